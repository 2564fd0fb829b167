/* The cgroup v2 hierarchy: where it is mounted, which directory a process
 * or a path names, and the kernel's id of a cgroup (what a BPF link
 * reports). */
#ifndef NOTW_CLI_CGROUP2_H
#define NOTW_CLI_CGROUP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup2_mount {
	char dir[4096];   /* the mount point, e.g. /sys/fs/cgroup/unified */
	char root[4096];  /* the hierarchy's directory mounted there: "/" mostly */
};

/* The first cgroup2 mount of /proc/self/mountinfo. False (said on stderr,
 * as "notw CMD: ...", unless cmd is NULL) when there is none. */
bool cgroup2_find_mount(const char *cmd, struct cgroup2_mount *m);

/* Opens path as a cgroup v2 directory. Returns the descriptor, or -1 after
 * saying why not: no such directory, a cgroup v1 hierarchy, not a cgroup. */
int cgroup2_open(const char *cmd, const char *path);

/* The kernel's cgroup id of the directory fd (its kernfs node id). */
bool cgroup2_id(int fd, uint64_t *id);

/* The path of /proc/PID/cgroup's v2 line under the mount, into out. */
bool cgroup2_of_pid(const char *cmd, const struct cgroup2_mount *m, const char *pid, char *out,
		    size_t cap);

/* The hierarchy path rel ("/system.slice/x.service") under the mount. */
bool cgroup2_join(const char *cmd, const struct cgroup2_mount *m, const char *rel, char *out,
		  size_t cap);

/* Creates the cgroup path (under the mount m) and the ones above it that
 * are missing, as mkdir -p; false after saying why. */
bool cgroup2_make(const char *cmd, const struct cgroup2_mount *m, const char *path);

/* The path of the cgroup with id, found by the kernel (a file handle on
 * the mount); false when it no longer exists. */
bool cgroup2_path_of_id(const struct cgroup2_mount *m, uint64_t id, char *out, size_t cap);

/* Calls fn(fd, path, ctx) for the cgroup at the mount point and each one
 * below it (parents first), fd open on the cgroup's directory for the
 * call; at most 100000 cgroups, 64 levels deep; stops when fn returns
 * false. */
void cgroup2_walk(const struct cgroup2_mount *m, bool (*fn)(int fd, const char *path, void *ctx), void *ctx);

#endif
