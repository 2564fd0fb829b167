/* notw enable and notw disable: add or remove libnotw in /etc/ld.so.preload,
 * the file of libraries the dynamic loader preloads into every dynamically
 * linked program. */
#include "command.h"
#include "elf_file.h"
#include "ldso_tokens.h"
#include "library_trust.h"
#include "options.h"
#include "preload_lock.h"
#include "preload_text.h"
#include "root_path.h"
#include "say.h"

#include <errno.h>
#include <getopt.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define PRELOAD_FILE "/etc/ld.so.preload"
#define PRELOAD_NAME "ld.so.preload"
#define TMP_PREFIX ".ld.so.preload.notw-"
#define MAX_PRELOAD_SIZE (1024 * 1024)

/* Every step on the file is relative to etc_fd, the etc directory opened
 * once: a path is never looked up again, so swapping DIR/etc (or a
 * component above it) for a symbolic link between the read and the rename
 * cannot move the write elsewhere. dir and file are only for messages. */
struct target {
	const char *library;  /* the entry, as the target system sees it */
	char root[PATH_MAX];  /* "" for this system; never ends in '/' */
	int root_fd;          /* the root directory, or -1 for this system */
	int etc_fd;           /* its etc directory, or -1 when it does not exist */
	char dir[PATH_MAX];   /* root + "/etc", for messages */
	char file[PATH_MAX];  /* root + PRELOAD_FILE, for messages */
	struct stat lib_st;   /* the library itself, when lib_found */
	bool lib_found;
};

struct preload {
	char *text;
	size_t len;
	bool exists;
	struct stat st;
};

static void preload_usage(FILE *out, const char *cmd)
{
	fprintf(out, "usage: notw %s [--root DIR] [--library PATH]\n", cmd);
	if (strcmp(cmd, "enable") == 0)
		fprintf(out,
			"Adds the library PATH to " PRELOAD_FILE ", so that the dynamic loader\n"
			"preloads it into every dynamically linked program. Refuses a PATH that is\n"
			"not an ELF shared object for this machine or lies on a noexec mount (under\n"
			"--root: a warning); an entry already there (the same name, or the same\n"
			"file) is left alone.\n");
	else
		fprintf(out,
			"Removes from " PRELOAD_FILE " every entry naming the library PATH (the same\n"
			"name, or the same file, also as ld.so reads $LIB, $PLATFORM, $ORIGIN in it);\n"
			"other entries and comments stay as they are.\n");
	fprintf(out,
		"PATH is absolute; the default is %s/libnotw.so. --root DIR acts on\n"
		"DIR" PRELOAD_FILE " and finds the library as DIR/PATH, symbolic links\n"
		"resolved inside DIR; the entry is still PATH. The file is replaced\n"
		"atomically, keeping its owner and mode.\n",
		NOTW_LIBDIR);
}

/* A name ld.so would read back as exactly this one entry. */
static bool valid_library(const char *path)
{
	if (path[0] != '/') {
		say(stderr, "notw: --library %s: must be an absolute path", path);
		return false;
	}
	for (const char *c = path; *c != '\0'; c++) {
		if (notw_ldso_is_separator(*c) || *c == '#') {
			say(stderr, "notw: --library %s: ld.so.preload cannot hold a name with spaces, "
					"tabs, ':' or '#'", path);
			return false;
		}
	}
	if (strlen(path) >= PATH_MAX) {
		fprintf(stderr, "notw: --library: path too long\n");
		return false;
	}
	return true;
}

/* Returns true to go on; otherwise *status is what the command returns. */
static bool parse_options(int argc, char **argv, const char **root, const char **library, int *status)
{
	static const struct option long_opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "library", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	*root = NULL;
	*library = NOTW_LIBDIR "/libnotw.so";
	*status = EXIT_USAGE;
	int c;
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*root = optarg;
			break;
		case 'l':
			*library = optarg;
			break;
		case 'h':
			preload_usage(stdout, argv[0]);
			*status = EXIT_DONE;
			return false;
		default:
			option_error(argv[0], c, argv);
			return false;
		}
	}
	if (optind < argc) {
		say(stderr, "notw %s: unexpected argument: %s", argv[0], argv[optind]);
		try_help(argv[0]);
		return false;
	}
	if (*root != NULL && **root == '\0') {
		say(stderr, "notw %s: --root: empty directory name", argv[0]);
		return false;
	}
	return valid_library(*library);
}

static bool join(char *out, size_t cap, const char *a, const char *b)
{
	int n = snprintf(out, cap, "%s%s", a, b);
	if (n < 0 || (size_t)n >= cap) {
		say(stderr, "notw: %s%s: path too long", a, b);
		return false;
	}
	return true;
}

/* The etc directory every later step works in. Under --root it is looked up
 * inside the root (an etc that is a symbolic link, absolute or with "..",
 * leads to a directory under DIR, never outside); where the kernel has no
 * openat2 to do that, a symbolic link as DIR/etc is refused instead
 * (O_NOFOLLOW on the one component). Without --root it is /etc, which must
 * not be a symbolic link either. A missing etc is not an error here: disable
 * has nothing to remove, enable fails when it creates the new file. */
static bool open_etc(struct target *t, const char *root_arg)
{
	const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
	bool nofollow = t->root_fd < 0;
	int fd;
	if (nofollow) {
		fd = open("/etc", flags | O_NOFOLLOW);
	} else {
		fd = openat_in_root(t->root_fd, "etc", flags);
		if (fd < 0 && errno == ENOSYS) {
			nofollow = true;
			fd = openat(t->root_fd, "etc", flags | O_NOFOLLOW);
		}
	}
	if (fd >= 0 || errno == ENOENT) {
		t->etc_fd = fd;
		return true;
	}
	int err = errno;
	struct stat st;
	/* O_NOFOLLOW with O_DIRECTORY fails on a link with ENOTDIR, not ELOOP. */
	if (nofollow && (err == ENOTDIR || err == ELOOP) &&
	    fstatat(t->root_fd < 0 ? AT_FDCWD : t->root_fd, t->root_fd < 0 ? "/etc" : "etc", &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
		if (t->root_fd < 0)
			say(stderr, "notw: %s is a symbolic link; refusing to follow it", t->dir);
		else
			say(stderr, "notw: --root %s: %s is a symbolic link, and this kernel has no "
					"openat2 to resolve it inside the root; refusing to follow it",
				root_arg, t->dir);
	} else if (err == ELOOP) {
		say(stderr, "notw: %s: too many levels of symbolic links, or a link into /proc", t->dir);
	} else {
		say(stderr, "notw: %s: %s", t->dir, strerror(err));
	}
	return false;
}

static bool setup_target(struct target *t, const char *root, const char *library)
{
	memset(t, 0, sizeof *t);
	t->library = library;
	t->root_fd = -1;
	t->etc_fd = -1;
	if (root != NULL) {
		if (!join(t->root, sizeof t->root, root, ""))
			return false;
		size_t n = strlen(t->root);
		while (n > 0 && t->root[n - 1] == '/')
			t->root[--n] = '\0';
		/* "--root /" is this system. */
		if (n > 0) {
			t->root_fd = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (t->root_fd < 0) {
				say(stderr, "notw: --root %s: %s", root, strerror(errno));
				return false;
			}
		}
	}
	return join(t->dir, sizeof t->dir, t->root, "/etc") &&
	       join(t->file, sizeof t->file, t->root, PRELOAD_FILE) && open_etc(t, root);
}

/* NULL when fd holds a shared object this machine's loader can preload,
 * else what is wrong with it. */
static const char *not_a_loadable_library(int fd)
{
	native_ehdr eh;
	const char *why = notw_elf_read_native(fd, &eh);
	if (why != NULL)
		return why;
	if (eh.e_type != ET_DYN)
		return "an ELF file but not a shared object";
	/* ld.so refuses a PIE with a line on stderr, in every program. */
	if (notw_elf_is_pie(fd, &eh))
		return "a program (position-independent executable), not a shared library";
	return NULL;
}

/* The kernel refuses to map a file of a noexec mount executable
 * (mmap with PROT_EXEC: EPERM), which is how ld.so maps a library. */
static bool on_noexec_mount(int fd)
{
	struct statvfs sv;
	return fstatvfs(fd, &sv) == 0 && (sv.f_flag & ST_NOEXEC) != 0;
}

/* enable: the library must be there and loadable, or every program on the
 * system would start with an error from ld.so; and only root may be able
 * to replace it, since it will run in every program (library_trust.h). */
static bool check_library(struct target *t)
{
	int fd = open_in_root(t->root_fd, t->library, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		say(stderr, "notw: %s%s: %s", t->root, t->library, strerror(errno));
		return false;
	}
	const char *why = NULL;
	if (fstat(fd, &t->lib_st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(t->lib_st.st_mode))
		why = "not a regular file";
	else
		why = not_a_loadable_library(fd);
	bool noexec = why == NULL && on_noexec_mount(fd);
	close(fd);
	if (why == NULL && noexec && t->root_fd < 0)
		why = "it is on a file system mounted noexec: the loader cannot map it, and every program would "
		      "start with \"failed to map segment from shared object\" (move it, or remount without noexec)";
	if (why != NULL) {
		say(stderr, "notw: refusing %s%s: %s", t->root, t->library, why);
		return false;
	}
	/* Under --root the target system mounts its own file systems: this
	 * one's options may not be its. */
	if (noexec)
		say(stderr, "notw: warning: %s%s is on a file system mounted noexec here: the target system "
				"must mount %s without noexec, or every program there fails to load it",
			t->root, t->library, t->library);
	if (!library_trusted(t->root_fd, t->root, t->library))
		return false;
	t->lib_found = true;
	return true;
}

/* disable: the library may be gone already; then only its name matches.
 * Always true: nothing here stops disable. */
static bool find_library_quietly(struct target *t)
{
	int fd = open_in_root(t->root_fd, t->library, O_PATH);
	if (fd < 0)
		return true;
	t->lib_found = fstat(fd, &t->lib_st) == 0;
	close(fd);
	return true;
}

/* Reads the whole file; a missing one reads as empty, with exists false. */
static bool read_preload(const struct target *t, struct preload *p)
{
	memset(p, 0, sizeof *p);
	if (t->etc_fd < 0)
		return true;
	/* A symbolic link would be replaced by a plain file: not ours to do.
	 * O_NONBLOCK: a FIFO planted there must not hang the command. */
	int fd = openat(t->etc_fd, PRELOAD_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return true;
		if (errno == ELOOP)
			say(stderr, "notw: %s is a symbolic link; edit the file it points to by hand", t->file);
		else
			say(stderr, "notw: %s: %s", t->file, strerror(errno));
		return false;
	}
	const char *why = NULL;
	if (fstat(fd, &p->st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(p->st.st_mode))
		why = "not a regular file";
	else if (p->st.st_size > MAX_PRELOAD_SIZE)
		why = "larger than 1 MiB, not a list of libraries";
	else if ((p->text = malloc(MAX_PRELOAD_SIZE + 1)) == NULL)
		why = strerror(errno);
	/* Read up to one byte past the limit, to catch a file still growing. */
	while (why == NULL && p->len <= MAX_PRELOAD_SIZE) {
		ssize_t n = read(fd, p->text + p->len, MAX_PRELOAD_SIZE + 1 - p->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			why = strerror(errno);
		if (n <= 0)
			break;
		p->len += (size_t)n;
	}
	if (why == NULL && p->len > MAX_PRELOAD_SIZE)
		why = "larger than 1 MiB, not a list of libraries";
	close(fd);
	if (why != NULL) {
		say(stderr, "notw: %s: %s", t->file, why);
		free(p->text);
		p->text = NULL;
		return false;
	}
	p->exists = true;
	return true;
}

/* path (absolute) is the library's file under the root. */
static bool is_the_library_file(const char *path, void *ctx)
{
	const struct target *t = ctx;
	if (path[0] != '/')
		return false;
	int fd = open_in_root(t->root_fd, path, O_PATH);
	if (fd < 0)
		return false;
	struct stat st;
	bool same = fstat(fd, &st) == 0 && st.st_dev == t->lib_st.st_dev && st.st_ino == t->lib_st.st_ino;
	close(fd);
	return same;
}

/* The same name, or (absolute names only) the same file under the root,
 * also once ld.so has replaced its tokens ($LIB, $PLATFORM, $ORIGIN):
 * /usr/$LIB/notw/libnotw.so loads the library as surely as its plain
 * name does. */
static bool is_our_entry(const char *name, size_t n, void *ctx)
{
	const struct target *t = ctx;
	size_t lib_len = strlen(t->library);
	if (n == lib_len && memcmp(name, t->library, n) == 0)
		return true;
	if (!t->lib_found || n >= PATH_MAX || memchr(name, '\0', n) != NULL)
		return false;
	if (ldso_has_token(name, n))
		return ldso_for_each_expansion(name, n, is_the_library_file, ctx);
	char path[PATH_MAX];
	memcpy(path, name, n);
	path[n] = '\0';
	return is_the_library_file(path, ctx);
}

static bool write_all(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		text += n;
		len -= (size_t)n;
	}
	return true;
}

/* The old file's owner and mode, or 0644 (root's, by whoever runs this)
 * for a new one. The owner first: chown can clear set-id mode bits. */
static bool copy_owner_and_mode(int fd, const struct preload *old)
{
	if (!old->exists)
		return fchmod(fd, 0644) == 0;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return false;
	if ((st.st_uid != old->st.st_uid || st.st_gid != old->st.st_gid) &&
	    fchown(fd, old->st.st_uid, old->st.st_gid) != 0)
		return false;
	return fchmod(fd, old->st.st_mode & 07777) == 0;
}

/* Creates a new file in etc under a name of the form TMP_PREFIX + six
 * letters or digits, into name. O_EXCL and O_NOFOLLOW: never an existing
 * file or a symbolic link planted under the name; a taken name is retried
 * a bounded number of times. */
static int create_temporary(int etc_fd, char *name, size_t cap)
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t prefix = sizeof TMP_PREFIX - 1, n = 6;
	if (prefix + n + 1 > cap) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(name, TMP_PREFIX, prefix);
	for (unsigned tries = 0; tries < 100; tries++) {
		unsigned char r[6];
		if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
			/* No entropy yet (early boot): the name need not be secret. */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			unsigned long x = (unsigned long)ts.tv_nsec ^ ((unsigned long)getpid() << 16) ^
					  (tries * 2654435761UL);
			for (size_t i = 0; i < sizeof r; i++, x >>= 5)
				r[i] = (unsigned char)x;
		}
		for (size_t i = 0; i < n; i++)
			name[prefix + i] = chars[r[i] % (sizeof chars - 1)];
		name[prefix + n] = '\0';
		int fd = openat(etc_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Writes text to a new file in the etc directory and renames it over the
 * target, both relative to the one directory descriptor: a reader (ld.so
 * starting any program) sees the old file or the new one, never a part.
 * The temporary file never outlives a failure. */
static bool replace_file(const struct target *t, const struct preload *old, const char *text, size_t len)
{
	char name[64], tmp[PATH_MAX];
	/* Ctrl-C between creating and renaming would leave the temporary file. */
	sigset_t block, saved;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &saved);
	const char *step = "cannot create a temporary file in";
	const char *where = t->dir;
	bool ok = false;
	int fd = -1;
	if (t->etc_fd < 0)
		errno = ENOENT;
	else
		fd = create_temporary(t->etc_fd, name, sizeof name);
	if (fd >= 0) {
		int n = snprintf(tmp, sizeof tmp, "%s/%s", t->dir, name);
		where = n >= 0 && (size_t)n < sizeof tmp ? tmp : t->dir;
		if (!write_all(fd, text, len))
			step = "cannot write";
		else if (!copy_owner_and_mode(fd, old)) {
			step = "cannot give the new file the owner and mode of";
			where = t->file;
		}
		else if (fsync(fd) != 0)
			step = "cannot sync";
		else
			ok = true;
		int err = errno;
		if (close(fd) != 0 && ok) {
			step = "cannot write";
			ok = false;
		} else {
			errno = err;
		}
		if (ok && renameat(t->etc_fd, name, t->etc_fd, PRELOAD_NAME) != 0) {
			step = "cannot rename the new file over the old one:";
			where = t->file;
			ok = false;
		}
		if (!ok) {
			err = errno;
			unlinkat(t->etc_fd, name, 0);
			errno = err;
		}
	}
	if (!ok)
		say(stderr, "notw: %s %s: %s; %s left unchanged", step, where, strerror(errno), t->file);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	/* The rename is only durable once the directory entry is on disk. */
	if (ok && fsync(t->etc_fd) != 0) {
		say(stderr, "notw: replaced %s, but cannot sync %s: %s", t->file, t->dir, strerror(errno));
		return false;
	}
	return ok;
}

/* Says why an entry added to p could not count, or returns false: the
 * loader stops reading the file at a NUL byte. */
static bool nul_byte_in_the_way(const struct target *t, const struct preload *p)
{
	size_t active = notw_preload_active_length(p->text, p->len);
	if (active == p->len)
		return false;
	fprintf(stderr,
		"notw: %s has a NUL byte at offset %zu: the loader stops reading there, so an entry added "
		"after it would never be loaded; remove the NUL byte first (nothing changed)\n",
		t->file, active);
	return true;
}

static int enable(struct target *t)
{
	struct preload p;
	size_t start, end;
	if (!read_preload(t, &p))
		return EXIT_NOT_DONE;
	/* Only an entry the loader reads counts as there. */
	size_t active = notw_preload_active_length(p.text, p.len);
	if (notw_preload_find_entry(p.text, active, is_our_entry, t, &start, &end)) {
		size_t n = end - start;
		if (n == strlen(t->library) && memcmp(p.text + start, t->library, n) == 0)
			printf("notw: %s already in %s\n", t->library, t->file);
		else
			printf("notw: %s already in %s (as %.*s)\n", t->library, t->file, (int)n, p.text + start);
		free(p.text);
		return EXIT_DONE;
	}
	if (nul_byte_in_the_way(t, &p)) {
		free(p.text);
		return EXIT_NOT_DONE;
	}
	int status = EXIT_NOT_DONE;
	char *out = malloc(p.len + strlen(t->library) + 2);
	if (out == NULL)
		say(stderr, "notw: %s", strerror(errno));
	else if (replace_file(t, &p, out, notw_preload_append_entry(p.text, p.len, t->library, out))) {
		printf("notw: added %s to %s\n", t->library, t->file);
		status = EXIT_DONE;
	}
	free(out);
	free(p.text);
	return status;
}

static int disable(struct target *t)
{
	struct preload p;
	if (!read_preload(t, &p))
		return EXIT_NOT_DONE;
	int status = EXIT_NOT_DONE;
	size_t removed = 0;
	/* One byte more: malloc(0) may return NULL. */
	char *out = malloc(p.len + 1);
	if (out == NULL) {
		say(stderr, "notw: %s", strerror(errno));
	} else {
		size_t len = notw_preload_remove_entries(p.text, p.len, is_our_entry, t, out, &removed);
		if (removed == 0) {
			printf("notw: %s was not in %s\n", t->library, t->file);
			status = EXIT_DONE;
		} else if (replace_file(t, &p, out, len)) {
			printf("notw: removed %s from %s\n", t->library, t->file);
			status = EXIT_DONE;
		}
	}
	free(out);
	free(p.text);
	return status;
}

static int preload_command(int argc, char **argv, bool adding)
{
	const char *root, *library;
	int status;
	struct target t;
	if (!parse_options(argc, argv, &root, &library, &status))
		return status;
	/* This system's file is root's to change (under --root, the tree may
	 * be anyone's). */
	if (root == NULL && geteuid() != 0) {
		fprintf(stderr, "notw %s: needs root: it changes " PRELOAD_FILE ", which only root may (run it with "
				"sudo, or as root)\n", argv[0]);
		return EXIT_NOT_DONE;
	}
	int lock_fd = -1;
	/* The library first: it needs no lock, and a refusal changes nothing. */
	if (!setup_target(&t, root, library) || (adding ? !check_library(&t) : !find_library_quietly(&t)) ||
	    !lock_preload(t.etc_fd, t.dir, &lock_fd))
		status = EXIT_NOT_DONE;
	else
		status = adding ? enable(&t) : disable(&t);
	if (lock_fd >= 0)
		close(lock_fd);
	if (t.etc_fd >= 0)
		close(t.etc_fd);
	if (t.root_fd >= 0)
		close(t.root_fd);
	return status;
}

int cmd_enable(int argc, char **argv)
{
	return preload_command(argc, argv, true);
}

int cmd_disable(int argc, char **argv)
{
	return preload_command(argc, argv, false);
}
