/* Where notw attach keeps what outlives the command: the BPF filesystem (bpf_pins.h). */
#include "bpf_pins.h"

#include "dirwalk.h"
#include "say.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#define MAX_DIR_ENTRIES 65536 /* bound on any directory read here */
#define STAGING "staging"

static const char *const kind_dirs[] = { [PIN_CGROUP] = "cgroup", [PIN_UNIT] = "unit" };

const char *pin_kind_dir(enum pin_kind kind)
{
	return kind_dirs[kind];
}

static bool is_bpffs(const char *path)
{
	struct statfs sfs;
	return statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

static bool mount_bpffs(const char *cmd)
{
	if (is_bpffs(PINS_BPFFS))
		return true;
	/* Pinned objects live only in a BPF filesystem; systemd mounts one at
	 * boot, a machine without systemd may have none. */
	if (mount("bpf", PINS_BPFFS, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") == 0)
		return true;
	int err = errno;
	if (err == EPERM)
		say(stderr, "notw %s: mounting the BPF filesystem at " PINS_BPFFS " needs root (CAP_SYS_ADMIN)", cmd);
	else
		say(stderr, "notw %s: cannot mount the BPF filesystem at " PINS_BPFFS ": %E (mount -t bpf bpf " PINS_BPFFS ")",
		    cmd, err);
	return false;
}

/* A directory notw keeps its pins in must be its own: a directory someone
 * else made (in a BPF filesystem mounted without mode=, which the kernel
 * makes 1777) or could write to could hold what they planted, a symbolic
 * link to steer the removals below anywhere, or lose the pins to them
 * (unpinning a link detaches its program). Opens name under at, without
 * following a symbolic link, and checks it: a directory of the BPF
 * filesystem, owned by this user, writable by nobody else. */
static int open_own_dir(const char *cmd, int at, const char *name, const char *shown)
{
	struct stat st;
	struct statfs sfs;
	int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		say(stderr, "notw %s: cannot open %s: %E%s", cmd, shown, errno,
		    errno == ELOOP || errno == ENOTDIR ? " (not a directory: notw does not use it)" : "");
		return -1;
	}
	if (fstat(fd, &st) != 0 || fstatfs(fd, &sfs) != 0 || sfs.f_type != BPF_FS_MAGIC) {
		say(stderr, "notw %s: %s is not in a BPF file system", cmd, shown);
	} else if (st.st_uid != geteuid()) {
		say(stderr, "notw %s: %s belongs to uid %u, not to notw's user: notw does not use pins it did not "
			    "make (look at it, remove it, run again)", cmd, shown, (unsigned)st.st_uid);
	} else if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		say(stderr, "notw %s: %s is writable by others: notw does not use it (look at it, remove it, "
			    "run again)", cmd, shown);
	} else {
		return fd;
	}
	close(fd);
	return -1;
}

/* Creates name under at (0700) unless it exists, then opens it as above. */
static int own_dir(const char *cmd, int at, const char *name, const char *shown, bool create)
{
	if (create && mkdirat(at, name, 0700) != 0 && errno != EEXIST) {
		say(stderr, "notw %s: cannot create %s: %E", cmd, shown, errno);
		return -1;
	}
	return open_own_dir(cmd, at, name, shown);
}

/* The BPF filesystem's directory PINS_ROOT is in: whoever may rename or
 * remove what is in it could put a directory of their own in PINS_ROOT's
 * place after the checks. Root's, and writable by others only with the
 * sticky bit (which the kernel always gives a BPF file system's root). */
static bool parent_safe(const char *cmd)
{
	struct stat st;
	if (stat(PINS_BPFFS, &st) != 0) {
		say(stderr, "notw %s: " PINS_BPFFS ": %E", cmd, errno);
		return false;
	}
	if (st.st_uid == 0 && ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0 || (st.st_mode & S_ISVTX) != 0))
		return true;
	say(stderr, "notw %s: " PINS_BPFFS " belongs to uid %u or is writable by others without the sticky bit: "
		    "others could replace " PINS_ROOT "; notw does not pin there", cmd, (unsigned)st.st_uid);
	return false;
}

/* PINS_ROOT made by another user: a BPF file system mounted without mode=
 * (1777, the kernel's default) lets anyone make it first, again after
 * every boot. notw never uses it nor follows anything in it; refusing
 * would leave root locked out, so notw takes the name back. */
static bool squatted(struct stat *st)
{
	return lstat(PINS_ROOT, st) == 0 && st->st_uid != geteuid();
}

/* Over someone else's directory, a BPF file system of notw's own, root's
 * only (mode=0700): it hides whatever is below, and a mount point can be
 * neither renamed nor removed by its owner. Mounted through a descriptor
 * opened without following a symbolic link, so the mount lands on that
 * directory and nowhere else. */
static bool mount_own_bpffs(const char *cmd, const struct stat *st)
{
	int fd = open(PINS_ROOT, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	if (fd < 0 || fstat(fd, &now) != 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino) {
		say(stderr, "notw %s: " PINS_ROOT " changed while notw looked at it; run again", cmd);
		if (fd >= 0)
			close(fd);
		return false;
	}
	char at[64];
	snprintf(at, sizeof at, "/proc/self/fd/%d", fd);
	int rc = mount("bpf", at, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700");
	int err = errno;
	close(fd);
	if (rc != 0) {
		say(stderr, "notw %s: cannot mount a BPF file system over " PINS_ROOT " (made by uid %u): %E", cmd,
		    (unsigned)st->st_uid, err);
		return false;
	}
	say(stderr, "notw %s: " PINS_ROOT " belongs to uid %u (a BPF file system mounted without mode= lets anyone "
		    "make it): notw mounted a BPF file system of its own over it, root's only", cmd, (unsigned)st->st_uid);
	return true;
}

/* Anything but a directory (a symbolic link: the BPF file system has no
 * plain files) is renamed aside, never followed, and the name made again. */
static bool move_aside(const char *cmd, const struct stat *st)
{
	char aside[128];
	snprintf(aside, sizeof aside, PINS_BPFFS "/notw-moved-aside-uid%u-%d", (unsigned)st->st_uid, (int)getpid());
	if (renameat2(AT_FDCWD, PINS_ROOT, AT_FDCWD, aside, RENAME_NOREPLACE) != 0) {
		say(stderr, "notw %s: cannot rename " PINS_ROOT " (made by uid %u) aside: %E", cmd,
		    (unsigned)st->st_uid, errno);
		return false;
	}
	say(stderr, "notw %s: " PINS_ROOT " belonged to uid %u and was not a directory: renamed to %s", cmd,
	    (unsigned)st->st_uid, aside);
	return true;
}

static bool take_back(const char *cmd)
{
	struct stat st;
	if (!squatted(&st))
		return true;
	return S_ISDIR(st.st_mode) ? mount_own_bpffs(cmd, &st) : move_aside(cmd, &st);
}

/* The subdirectories, checked like PINS_ROOT (closed again: the paths
 * are used, below a PINS_ROOT nobody else can write to). */
static bool own_subdirs(const char *cmd, int root_fd, bool create)
{
	static const char *const names[] = { "cgroup", "unit", STAGING };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char shown[64];
		snprintf(shown, sizeof shown, PINS_ROOT "/%s", names[i]);
		if (!create && faccessat(root_fd, names[i], F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT)
			continue;
		int fd = own_dir(cmd, root_fd, names[i], shown, create);
		if (fd < 0)
			return false;
		close(fd);
	}
	return true;
}

/* One pass over a directory's entries (notw_for_each_dir_entry(): the
 * BPF filesystem refuses names with a '.', so none is passed over), at most
 * MAX_DIR_ENTRIES of them. */
struct entry_pass {
	int dir_fd;
	int left;
	void (*fn)(int dir_fd, const char *name);
};

static bool pass_entry(const char *name, void *ctx)
{
	struct entry_pass *p = ctx;
	p->fn(p->dir_fd, name);
	return --p->left > 0;
}

static void for_each_entry(int dir_fd, void (*fn)(int dir_fd, const char *name))
{
	struct entry_pass p = { dir_fd, MAX_DIR_ENTRIES, fn };
	notw_for_each_dir_entry(dir_fd, pass_entry, &p);
}

static void unlink_entry(int dir_fd, const char *name)
{
	unlinkat(dir_fd, name, 0);
}

/* Removes every file of the directory dir_name under at, then dir_name;
 * link files first: the attachments go before what they run. */
static void remove_tree(int at, const char *dir_name)
{
	static const char *const first[] = { "link4", "link6" };
	int fd = openat(at, dir_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof first / sizeof first[0]; i++)
		unlinkat(fd, first[i], 0);
	for_each_entry(fd, unlink_entry);
	close(fd);
	unlinkat(at, dir_name, AT_REMOVEDIR);
}

/* What a command interrupted half way (killed, power cut) left in the
 * staging directory: nobody works on it, since the caller holds the lock. */
static void tidy_staging(int root_fd)
{
	int fd = openat(root_fd, STAGING, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	for_each_entry(fd, remove_tree);
	close(fd);
}

bool pins_open(const char *cmd, struct pins *p, bool create, bool *empty)
{
	*empty = false;
	p->root_fd = -1;
	if (!create && !is_bpffs(PINS_BPFFS)) {
		*empty = true;
		return true;
	}
	if ((create && !mount_bpffs(cmd)) || !parent_safe(cmd))
		return false;
	if (!create && faccessat(AT_FDCWD, PINS_ROOT, F_OK, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT) {
		*empty = true;
		return true;
	}
	struct stat st;
	if (!create && squatted(&st)) {
		/* notw never pinned anything there: nothing of its own to show. */
		say(stderr, "notw %s: " PINS_ROOT " belongs to uid %u, not notw's: nothing of notw's is there "
			    "(notw attach mounts a BPF file system of its own over it)", cmd, (unsigned)st.st_uid);
		*empty = true;
		return true;
	}
	if (create && !take_back(cmd))
		return false;
	p->root_fd = own_dir(cmd, AT_FDCWD, PINS_ROOT, PINS_ROOT, create);
	if (p->root_fd < 0)
		return false;
	if (flock(p->root_fd, LOCK_EX) != 0 || !own_subdirs(cmd, p->root_fd, create)) {
		pins_close(p);
		return false;
	}
	tidy_staging(p->root_fd);
	return true;
}

void pins_close(struct pins *p)
{
	if (p->root_fd >= 0)
		close(p->root_fd); /* and the lock with it */
	p->root_fd = -1;
}

bool pin_entry_path(enum pin_kind kind, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, PINS_ROOT "/%s/%s", kind_dirs[kind], name);
	return n > 0 && (size_t)n < cap;
}

/* stage: "new" or "old". The BPF filesystem refuses names with a '.' (it
 * keeps them for its own files): staged entries live in a directory of
 * their own instead of under hidden names. */
static bool staged_path(enum pin_kind kind, const char *stage, const char *name, char *out, size_t cap)
{
	int n = snprintf(out, cap, PINS_ROOT "/" STAGING "/%s-%s-%s", stage, kind_dirs[kind], name);
	return n > 0 && (size_t)n < cap;
}

bool pin_temp_path(enum pin_kind kind, const char *name, char *out, size_t cap)
{
	return staged_path(kind, "new", name, out, cap);
}

/* Is path a directory of notw's own: on the BPF file system, this user's,
 * writable by nobody else, not a symbolic link? */
static bool own_path(const char *path)
{
	struct stat st;
	struct statfs sfs;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	       (st.st_mode & (S_IWGRP | S_IWOTH)) == 0 && statfs(path, &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC;
}

/* The readers that do not go through pins_open() (notw oci-hook, the
 * listing of pinned programs) read a kind's entries only when PINS_ROOT
 * and its KIND directory are notw's: on a BPF file system mounted without
 * mode= anyone can make them first and plant entries (an entry named
 * after a container's cgroup would read as "attached already" and leave
 * the container unprotected). */
static bool own_kind_dir(enum pin_kind kind)
{
	char path[64];
	snprintf(path, sizeof path, PINS_ROOT "/%s", kind_dirs[kind]);
	return own_path(PINS_ROOT) && own_path(path);
}

bool pin_entry_exists(enum pin_kind kind, const char *name)
{
	char path[512];
	struct stat st;
	return own_kind_dir(kind) && pin_entry_path(kind, name, path, sizeof path) && lstat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode);
}

bool pin_temp_create(enum pin_kind kind, const char *name)
{
	char path[512];
	if (!pin_temp_path(kind, name, path, sizeof path))
		return false;
	pin_temp_discard(kind, name);
	return mkdir(path, 0700) == 0;
}

bool pin_temp_commit(enum pin_kind kind, const char *name)
{
	char from[512], to[512];
	return pin_temp_path(kind, name, from, sizeof from) && pin_entry_path(kind, name, to, sizeof to) &&
	       rename(from, to) == 0;
}

void pin_temp_discard(enum pin_kind kind, const char *name)
{
	char staged[512];
	if (staged_path(kind, "new", name, staged, sizeof staged))
		remove_tree(AT_FDCWD, staged);
}

bool pin_entry_remove(enum pin_kind kind, const char *name)
{
	char from[512], to[512];
	if (!pin_entry_path(kind, name, from, sizeof from) || !staged_path(kind, "old", name, to, sizeof to))
		return false;
	if (rename(from, to) != 0)
		return false;
	remove_tree(AT_FDCWD, to);
	return true;
}

struct name_list {
	char *names;
	size_t cap, max, n;
	int left;
};

static bool add_name(const char *name, void *ctx)
{
	struct name_list *l = ctx;
	size_t len = strlen(name);
	if (len < l->cap) {
		memcpy(l->names + l->n * l->cap, name, len + 1);
		l->n++;
	}
	return l->n < l->max && --l->left > 0;
}

size_t pin_entries(enum pin_kind kind, char *names, size_t cap, size_t max)
{
	char path[512];
	if (max == 0 || !own_kind_dir(kind) || !pin_entry_path(kind, "", path, sizeof path))
		return 0;
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct name_list l = { names, cap, max, 0, MAX_DIR_ENTRIES };
	notw_for_each_dir_entry(fd, add_name, &l);
	close(fd);
	return l.n;
}
