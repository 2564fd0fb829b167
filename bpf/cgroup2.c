/* The cgroup v2 hierarchy: its mount, a process's or a path's cgroup, ids (cgroup2.h). */
#include "cgroup2.h"

#include "dirwalk.h"
#include "say.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MAX_MOUNT_LINES 100000 /* bound on /proc/self/mountinfo */
#define MAX_CGROUP_LINES 64    /* bound on /proc/PID/cgroup (one per hierarchy) */
#define MAX_WALK_CGROUPS 100000 /* bound on a walk of the hierarchy */
#define MAX_WALK_DEPTH 64

/* kernfs file handles: the node id, 64 bits (FILEID_KERNFS). */
#define KERNFS_HANDLE_TYPE 0xfe

struct kernfs_handle {
	struct file_handle fh;
	uint64_t id;
};

/* mountinfo writes space, tab, newline and backslash as \NNN (octal). */
static void unescape_octal(char *s)
{
	char *out = s;
	for (const char *in = s; *in != '\0'; in++) {
		if (in[0] == '\\' && in[1] >= '0' && in[1] <= '3' && in[2] >= '0' && in[2] <= '7' &&
		    in[3] >= '0' && in[3] <= '7') {
			*out++ = (char)((in[1] - '0') * 64 + (in[2] - '0') * 8 + (in[3] - '0'));
			in += 3;
		} else {
			*out++ = *in;
		}
	}
	*out = '\0';
}

static bool copy_text(char *out, size_t cap, const char *s)
{
	size_t n = strlen(s);
	if (n >= cap)
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPER" */
static bool parse_cgroup2_line(char *line, struct cgroup2_mount *m)
{
	char *save = NULL, *root = NULL, *dir = NULL;
	bool after_dash = false;
	char *w = strtok_r(line, " \n", &save);
	for (int field = 0; w != NULL && field < 64; field++, w = strtok_r(NULL, " \n", &save)) {
		if (field == 3)
			root = w;
		else if (field == 4)
			dir = w;
		else if (field > 5 && strcmp(w, "-") == 0)
			after_dash = true;
		else if (after_dash)
			break; /* w is the file system type */
	}
	if (!after_dash || w == NULL || root == NULL || dir == NULL || strcmp(w, "cgroup2") != 0)
		return false;
	unescape_octal(root);
	unescape_octal(dir);
	return copy_text(m->root, sizeof m->root, root) && copy_text(m->dir, sizeof m->dir, dir);
}

bool cgroup2_find_mount(const char *cmd, struct cgroup2_mount *m)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	if (f == NULL) {
		say(stderr, "notw %s: cannot read /proc/self/mountinfo: %E", cmd, errno);
		return false;
	}
	for (int i = 0; i < MAX_MOUNT_LINES && !found && getline(&line, &cap, f) > 0; i++)
		found = parse_cgroup2_line(line, m);
	free(line);
	fclose(f);
	if (!found && cmd != NULL)
		say(stderr, "notw %s: no cgroup v2 hierarchy is mounted (the BPF hooks need one: "
			    "mount -t cgroup2 none /sys/fs/cgroup)", cmd);
	return found;
}

int cgroup2_open(const char *cmd, const char *path)
{
	struct statfs sfs;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			say(stderr, "notw %s: no such cgroup: %q", cmd, path);
		else
			say(stderr, "notw %s: %q: %E", cmd, path, errno);
		return -1;
	}
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
		return fd;
	if (fstatfs(fd, &sfs) == 0 && sfs.f_type == CGROUP_SUPER_MAGIC)
		say(stderr, "notw %s: %q is in a cgroup v1 hierarchy; the BPF hooks work on cgroup v2 only",
		    cmd, path);
	else
		say(stderr, "notw %s: %q is not a cgroup v2 directory", cmd, path);
	close(fd);
	return -1;
}

bool cgroup2_id(int fd, uint64_t *id)
{
	struct kernfs_handle h;
	int mount_id = 0;
	memset(&h, 0, sizeof h);
	h.fh.handle_bytes = sizeof h.id;
	if (name_to_handle_at(fd, "", &h.fh, &mount_id, AT_EMPTY_PATH) != 0 || h.fh.handle_bytes != sizeof h.id)
		return false;
	memcpy(id, h.fh.f_handle, sizeof *id);
	return true;
}

bool cgroup2_join(const char *cmd, const struct cgroup2_mount *m, const char *rel, char *out, size_t cap)
{
	size_t rl = strlen(m->root);
	const char *below = rel;
	if (strcmp(m->root, "/") != 0) {
		/* Only part of the hierarchy is mounted: rel must be inside it. */
		if (strncmp(rel, m->root, rl) != 0 || (rel[rl] != '\0' && rel[rl] != '/')) {
			say(stderr, "notw %s: the cgroup %q is outside the part of the hierarchy mounted at %q", cmd,
			    rel, m->dir);
			return false;
		}
		below = rel + rl;
	}
	if (strcmp(below, "/") == 0)
		below = ""; /* the root cgroup: the mount point itself */
	int n = snprintf(out, cap, "%s%s%s", m->dir, below[0] == '/' || below[0] == '\0' ? "" : "/", below);
	if (n < 0 || (size_t)n >= cap) {
		say(stderr, "notw %s: the cgroup path is too long", cmd);
		return false;
	}
	return true;
}

bool cgroup2_make(const char *cmd, const struct cgroup2_mount *m, const char *path)
{
	char buf[4096];
	size_t base = strlen(m->dir);
	if (!copy_text(buf, sizeof buf, path) || strncmp(buf, m->dir, base) != 0)
		return false;
	/* Each component below the mount point, parents first. */
	for (char *c = buf + base + 1; c <= buf + strlen(path); c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char saved = *c;
		*c = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
			say(stderr, "notw %s: cannot create the cgroup %q: %E", cmd, buf, errno);
			return false;
		}
		*c = saved;
		if (saved == '\0')
			break;
	}
	return true;
}

static bool all_digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

bool cgroup2_of_pid(const char *cmd, const struct cgroup2_mount *m, const char *pid, char *out, size_t cap)
{
	char file[64], *line = NULL;
	size_t lcap = 0;
	ssize_t len = 0;
	bool found = false;
	if (!all_digits(pid) || atol(pid) <= 0) {
		say(stderr, "notw %s: %q is not a process id", cmd, pid);
		return false;
	}
	snprintf(file, sizeof file, "/proc/%s/cgroup", pid);
	FILE *f = fopen(file, "re");
	if (f == NULL) {
		say(stderr, "notw %s: no process %s (%E)", cmd, pid, errno);
		return false;
	}
	for (int i = 0; i < MAX_CGROUP_LINES && !found && (len = getline(&line, &lcap, f)) > 0; i++) {
		/* The v2 hierarchy's line is "0::PATH". */
		found = strncmp(line, "0::", 3) == 0;
	}
	if (found && line[len - 1] == '\n')
		line[len - 1] = '\0';
	bool ok = found && cgroup2_join(cmd, m, line + 3, out, cap);
	if (!found)
		say(stderr, "notw %s: process %s is in no cgroup v2 (no \"0::\" line in %s)", cmd, pid, file);
	free(line);
	fclose(f);
	return ok;
}

bool cgroup2_path_of_id(const struct cgroup2_mount *m, uint64_t id, char *out, size_t cap)
{
	struct kernfs_handle h;
	char link[64];
	memset(&h, 0, sizeof h);
	h.fh.handle_bytes = sizeof h.id;
	h.fh.handle_type = KERNFS_HANDLE_TYPE;
	memcpy(h.fh.f_handle, &id, sizeof id);
	int mfd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mfd < 0)
		return false;
	int fd = open_by_handle_at(mfd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(mfd);
	if (fd < 0)
		return false;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, out, cap - 1);
	close(fd);
	if (n <= 0)
		return false;
	out[n] = '\0';
	return true;
}

struct walk {
	bool (*fn)(int fd, const char *path, void *ctx);
	void *ctx;
	char path[4096];
	int left, depth;
	bool stop;
};

/* A directory being read, for its entries' callback. */
struct walk_dir {
	struct walk *w;
	int fd;
};

static void walk_cgroup(struct walk *w, int fd);

/* One entry of a cgroup's directory: a child cgroup when a directory (its
 * files are never directories). */
static bool walk_entry(const char *name, void *ctx)
{
	struct walk_dir *d = ctx;
	struct walk *w = d->w;
	struct stat st;
	if (fstatat(d->fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode))
		return true;
	size_t len = strlen(w->path);
	int n = snprintf(w->path + len, sizeof w->path - len, "/%s", name);
	if (n > 0 && (size_t)n < sizeof w->path - len) {
		int child = openat(d->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (child >= 0) {
			walk_cgroup(w, child);
			close(child);
		}
	}
	w->path[len] = '\0';
	return !w->stop;
}

static void walk_cgroup(struct walk *w, int fd)
{
	struct walk_dir d = { w, fd };
	if (w->left-- <= 0 || !w->fn(fd, w->path, w->ctx)) {
		w->stop = true;
		return;
	}
	if (w->depth >= MAX_WALK_DEPTH)
		return;
	w->depth++;
	notw_for_each_dir_entry(fd, walk_entry, &d);
	w->depth--;
}

void cgroup2_walk(const struct cgroup2_mount *m, bool (*fn)(int fd, const char *path, void *ctx), void *ctx)
{
	static struct walk w;
	memset(&w, 0, sizeof w);
	w.fn = fn;
	w.ctx = ctx;
	w.left = MAX_WALK_CGROUPS;
	if (!copy_text(w.path, sizeof w.path, m->dir))
		return;
	int fd = open(m->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	walk_cgroup(&w, fd);
	close(fd);
}
