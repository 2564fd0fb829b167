/* Paths as the system under --root DIR sees them (root_path.h). */
#include "root_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int openat_in_root(int dirfd, const char *path, int flags)
{
#ifdef SYS_openat2
	struct open_how how = {
		.flags = (__u64)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	/* EAGAIN: a rename somewhere in the tree raced the ".." check. */
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
		if (fd >= 0 || errno != EAGAIN || tries >= 16)
			return (int)fd;
	}
#else
	(void)dirfd, (void)path, (void)flags;
	errno = ENOSYS;
	return -1;
#endif
}


int open_in_root(int root_fd, const char *path, int flags)
{
	if (root_fd < 0)
		return open(path, flags | O_CLOEXEC);
	int fd = openat_in_root(root_fd, path, flags);
	if (fd >= 0 || errno != ENOSYS)
		return fd;
	return openat(root_fd, path + strspn(path, "/"), flags | O_CLOEXEC);
}
