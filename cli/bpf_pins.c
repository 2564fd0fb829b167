#include "bpf_pins.h"

#include "say.h"

#include <dirent.h>
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

static bool make_dir(const char *cmd, int at, const char *name, const char *shown)
{
	if (mkdirat(at, name, 0700) == 0 || errno == EEXIST)
		return true;
	say(stderr, "notw %s: cannot create %s: %E", cmd, shown, errno);
	return false;
}

/* Removes every file of the directory dir_name under at, then dir_name;
 * link files first: the attachments go before what they run. */
static void remove_tree(int at, const char *dir_name)
{
	static const char *const first[] = { "link4", "link6" };
	int fd = openat(at, dir_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (size_t i = 0; i < sizeof first / sizeof first[0]; i++)
		unlinkat(fd, first[i], 0);
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *e;
	for (int i = 0; i < MAX_DIR_ENTRIES && (e = readdir(d)) != NULL; i++)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(at, dir_name, AT_REMOVEDIR);
}

/* What a command interrupted half way (killed, power cut) left in the
 * staging directory: nobody works on it, since the caller holds the lock. */
static void tidy_staging(int root_fd)
{
	int fd = openat(root_fd, STAGING, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		return;
	}
	struct dirent *e;
	for (int i = 0; i < MAX_DIR_ENTRIES && (e = readdir(d)) != NULL; i++)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			remove_tree(fd, e->d_name);
	closedir(d);
}

bool pins_open(const char *cmd, struct pins *p, bool create, bool *empty)
{
	*empty = false;
	p->root_fd = -1;
	if (!create && !is_bpffs(PINS_BPFFS)) {
		*empty = true;
		return true;
	}
	if (create && (!mount_bpffs(cmd) || !make_dir(cmd, AT_FDCWD, PINS_ROOT, PINS_ROOT)))
		return false;
	p->root_fd = open(PINS_ROOT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->root_fd < 0) {
		if (errno == ENOENT && !create) {
			*empty = true;
			return true;
		}
		say(stderr, "notw %s: cannot open " PINS_ROOT ": %E", cmd, errno);
		return false;
	}
	if (flock(p->root_fd, LOCK_EX) != 0 ||
	    (create && (!make_dir(cmd, p->root_fd, "cgroup", PINS_ROOT "/cgroup") ||
			!make_dir(cmd, p->root_fd, "unit", PINS_ROOT "/unit") ||
			!make_dir(cmd, p->root_fd, STAGING, PINS_ROOT "/" STAGING)))) {
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

bool pin_entry_exists(enum pin_kind kind, const char *name)
{
	char path[512];
	struct stat st;
	return pin_entry_path(kind, name, path, sizeof path) && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
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

size_t pin_entries(enum pin_kind kind, char *names, size_t cap, size_t max)
{
	char path[512];
	size_t n = 0;
	if (!pin_entry_path(kind, "", path, sizeof path))
		return 0;
	DIR *d = opendir(path);
	if (d == NULL)
		return 0;
	struct dirent *e;
	for (int i = 0; i < MAX_DIR_ENTRIES && n < max && (e = readdir(d)) != NULL; i++) {
		if (e->d_name[0] == '.' || strlen(e->d_name) >= cap)
			continue;
		memcpy(names + n * cap, e->d_name, strlen(e->d_name) + 1);
		n++;
	}
	closedir(d);
	return n;
}
