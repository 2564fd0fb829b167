/* Whether a library may be put into every program: only root may replace it (library_trust.h). */
#include "library_trust.h"

#include "root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40  /* symbolic links followed, as the kernel's own bound */
#define MAX_DEPTH 256 /* directories walked up */

struct walk {
	int root_fd;
	const char *root;    /* for messages */
	const char *library; /* for messages */
	struct stat top;     /* the root directory: where walking up stops */
	int links;
};

static bool refuse(const struct walk *w, const char *what, const char *why)
{
	fprintf(stderr, "notw: refusing %s%s: %s%s%s\n", w->root, w->library, what, what[0] != '\0' ? ": " : "",
		why);
	return false;
}

/* The checks on one directory or the file itself. */
static bool trusted_inode(const struct walk *w, const struct stat *st, const char *what)
{
	bool dir = S_ISDIR(st->st_mode);
	if (st->st_uid != 0)
		return refuse(w, what, "not owned by root: its owner could replace the library, which then runs "
				       "in every program, root's included");
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return refuse(w, what, dir ? "a directory writable by group or others (sticky or not): they "
					     "could put another library in its place"
					   : "writable by group or others: they could change the library");
	if ((st->st_mode & (dir ? S_IXOTH : S_IROTH)) == 0)
		return refuse(w, what, dir ? "others cannot search it: every other user's program would start "
					     "with a loader error"
					   : "others cannot read it: every other user's program would start with "
					     "a loader error");
	return true;
}

static bool is_top(const struct walk *w, const struct stat *st)
{
	return st->st_dev == w->top.st_dev && st->st_ino == w->top.st_ino;
}

/* Every directory from dir_fd up to the root, as they are on disk. */
static bool trusted_ancestors(const struct walk *w, int dir_fd, const char *what)
{
	int fd = dup(dir_fd);
	for (int depth = 0; fd >= 0 && depth < MAX_DEPTH; depth++) {
		struct stat st, parent;
		if (fstat(fd, &st) != 0 || !trusted_inode(w, &st, what))
			break;
		int up = openat(fd, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
		bool at_top = is_top(w, &st) ||
			      (up >= 0 && fstat(up, &parent) == 0 && parent.st_ino == st.st_ino &&
			       parent.st_dev == st.st_dev);
		close(fd);
		if (at_top) {
			if (up >= 0)
				close(up);
			return true;
		}
		fd = up;
		what = "a directory above it";
	}
	if (fd >= 0)
		close(fd);
	return false;
}

static bool trusted_path(struct walk *w, const char *path);

/* Each directory the path names, as written ("/", "/usr", "/usr/lib"),
 * and where it leads. */
static bool trusted_prefixes(const struct walk *w, const char *path, size_t dir_len)
{
	char prefix[PATH_MAX];
	for (size_t i = 1; i <= dir_len; i++) {
		if (i < dir_len && path[i] != '/')
			continue;
		snprintf(prefix, sizeof prefix, "%.*s", (int)(i == 1 ? 1 : i), path);
		int fd = open_in_root(w->root_fd, prefix, O_PATH | O_DIRECTORY);
		if (fd < 0) {
			fprintf(stderr, "notw: %s%s: %s\n", w->root, prefix, strerror(errno));
			return false;
		}
		bool ok = trusted_ancestors(w, fd, prefix);
		close(fd);
		if (!ok)
			return false;
	}
	return true;
}

/* A symbolic link as the last component: the file it leads to counts. */
static bool trusted_link(struct walk *w, int dir_fd, const char *path, size_t dir_len, const char *base)
{
	char target[PATH_MAX], next[PATH_MAX];
	ssize_t n = readlinkat(dir_fd, base, target, sizeof target - 1);
	if (n < 0 || ++w->links > MAX_LINKS) {
		fprintf(stderr, "notw: %s%s: %s\n", w->root, path, n < 0 ? strerror(errno) : "too many links");
		return false;
	}
	target[n] = '\0';
	int len = target[0] == '/' ? snprintf(next, sizeof next, "%s", target)
				   : snprintf(next, sizeof next, "%.*s/%s", (int)dir_len, path, target);
	if (len < 0 || (size_t)len >= sizeof next) {
		fprintf(stderr, "notw: %s%s: the path its link leads to is too long\n", w->root, path);
		return false;
	}
	return trusted_path(w, next);
}

static bool trusted_path(struct walk *w, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t dir_len = slash != NULL && slash != path ? (size_t)(slash - path) : 1;
	const char *base = slash != NULL ? slash + 1 : path;
	if (!trusted_prefixes(w, path, dir_len))
		return false;
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", (int)dir_len, path);
	int dir_fd = open_in_root(w->root_fd, dir, O_PATH | O_DIRECTORY);
	struct stat st;
	bool ok = dir_fd >= 0 && fstatat(dir_fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (!ok)
		fprintf(stderr, "notw: %s%s: %s\n", w->root, path, strerror(errno));
	else if (S_ISLNK(st.st_mode))
		ok = trusted_link(w, dir_fd, path, dir_len, base);
	else
		ok = trusted_inode(w, &st, "");
	if (dir_fd >= 0)
		close(dir_fd);
	return ok;
}

bool library_trusted(int root_fd, const char *root, const char *library)
{
	struct walk w = { .root_fd = root_fd, .root = root, .library = library, .links = 0 };
	if ((root_fd >= 0 ? fstat(root_fd, &w.top) : stat("/", &w.top)) != 0) {
		fprintf(stderr, "notw: %s/: %s\n", root, strerror(errno));
		return false;
	}
	return trusted_path(&w, library);
}
