/* notw enable and disable take turns on a lock (preload_lock.h). */
#include "preload_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LOCK_WAIT_MS 5000
#define LOCK_TRIES 8 /* lock files replaced under us before we give up */

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Opens the lock file, creating it; -1 after saying why. *replaced when it
 * was one others might hold open: it is unlinked, try again. */
static int open_lock_file(int etc_fd, const char *dir, bool *replaced)
{
	*replaced = false;
	int fd = openat(etc_fd, PRELOAD_LOCK_NAME, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "notw: %s/%s: cannot open the lock: %s\n", dir, PRELOAD_LOCK_NAME,
			errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	struct stat st, now;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_uid != geteuid())
		why = "owned by another user, who could hold it and block enable and disable; remove it";
	if (why != NULL) {
		fprintf(stderr, "notw: %s/%s: refusing the lock: %s\n", dir, PRELOAD_LOCK_NAME, why);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 077) != 0 || st.st_nlink != 1) {
		/* Only if the name still leads to this very file. */
		if (fstatat(etc_fd, PRELOAD_LOCK_NAME, &now, AT_SYMLINK_NOFOLLOW) == 0 && same_file(&st, &now))
			unlinkat(etc_fd, PRELOAD_LOCK_NAME, 0);
		close(fd);
		*replaced = true;
		return -1;
	}
	return fd;
}

/* flock, waiting LOCK_WAIT_MS at most: 0, or an errno (EWOULDBLOCK when
 * another run held it all that time). */
static int wait_for_lock(int fd)
{
	for (int waited = 0;; waited += 20) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return errno;
		if (waited >= LOCK_WAIT_MS)
			return EWOULDBLOCK;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

bool lock_preload(int etc_fd, const char *dir, int *lock_fd)
{
	*lock_fd = -1;
	if (etc_fd < 0) /* nothing to change there */
		return true;
	for (int tries = 0; tries < LOCK_TRIES; tries++) {
		bool replaced;
		int fd = open_lock_file(etc_fd, dir, &replaced);
		if (fd < 0 && replaced)
			continue;
		if (fd < 0)
			return false;
		int err = wait_for_lock(fd);
		if (err == EWOULDBLOCK) {
			fprintf(stderr, "notw: %s: another notw enable or disable has held its lock for %d s; "
					"nothing changed\n", dir, LOCK_WAIT_MS / 1000);
			close(fd);
			return false;
		}
		if (err != 0) {
			fprintf(stderr, "notw: %s/%s: cannot lock: %s\n", dir, PRELOAD_LOCK_NAME, strerror(err));
			close(fd);
			return false;
		}
		/* A lock on a file since replaced under the name excludes nobody. */
		struct stat held, now;
		if (fstat(fd, &held) == 0 && fstatat(etc_fd, PRELOAD_LOCK_NAME, &now, AT_SYMLINK_NOFOLLOW) == 0 &&
		    same_file(&held, &now)) {
			*lock_fd = fd;
			return true;
		}
		close(fd);
	}
	fprintf(stderr, "notw: %s/%s: the lock file keeps being replaced; nothing changed\n", dir, PRELOAD_LOCK_NAME);
	return false;
}
