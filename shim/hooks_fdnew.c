/* The safety net's eyes: calls that hand out a new descriptor number.
 *
 * A number comes back from the kernel only once its previous owner was
 * closed. If the table still holds state for it, that close went past the
 * library (a raw system call, a libc-internal close, io_uring): stale
 * state is dropped, and if it was an armed socket, zero linger is switched
 * off for the whole process (safetynet.c), since more such closes may
 * come. socket(), accept() and dup() look at their numbers in their own
 * hooks, recvmsg() in hooks_msg.c; these are the others. The check is one
 * table load per call. */
#undef _FILE_OFFSET_BITS /* open and open64 are both defined here */
#define _GNU_SOURCE
#include "rawsys.h"
#include "hooks.h"

#include "fdtable.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <unistd.h>

int open64(const char *path, int flags, ...);
int openat64(int dirfd, const char *path, int flags, ...);

void notw_check_number(int fd, const char *call)
{
	if (__builtin_expect(notw_fd_get(fd) != 0, 0) && !notw_in_vfork_child())
		notw_fresh_descriptor(fd, 0, call);
}

static bool takes_mode(int flags)
{
	return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

static int after_one(int fd, const char *call)
{
	if (fd >= 0)
		notw_check_number(fd, call);
	return fd;
}

#define MODE_ARG(flags)                                                         \
	mode_t mode = 0;                                                        \
	if (takes_mode(flags)) {                                                \
		va_list ap;                                                     \
		va_start(ap, flags);                                            \
		mode = (mode_t)va_arg(ap, int);                                 \
		va_end(ap);                                                     \
	}

NOTW_EXPORT int open(const char *path, int flags, ...)
{
	MODE_ARG(flags)
	return after_one(notw_call_open(path, flags, mode), "open()");
}

NOTW_EXPORT int open64(const char *path, int flags, ...)
{
	MODE_ARG(flags)
	return after_one(notw_call_open64(path, flags, mode), "open()");
}

NOTW_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags)
	return after_one(notw_call_openat(dirfd, path, flags, mode), "open()");
}

NOTW_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	MODE_ARG(flags)
	return after_one(notw_call_openat64(dirfd, path, flags, mode), "open()");
}

static int after_pair(int rc, const int fds[2], const char *call)
{
	if (rc == 0) {
		notw_check_number(fds[0], call);
		notw_check_number(fds[1], call);
	}
	return rc;
}

NOTW_EXPORT int pipe(int fds[2])
{
	return after_pair(notw_call_pipe(fds), fds, "pipe()");
}

NOTW_EXPORT int pipe2(int fds[2], int flags)
{
	return after_pair(notw_call_pipe2(fds, flags), fds, "pipe2()");
}

NOTW_EXPORT int socketpair(int domain, int type, int protocol, int fds[2])
{
	return after_pair(notw_call_socketpair(domain, type, protocol, fds), fds, "socketpair()");
}

NOTW_EXPORT int epoll_create1(int flags)
{
	return after_one(notw_call_epoll_create1(flags), "epoll_create1()");
}

NOTW_EXPORT int epoll_create(int size)
{
	return after_one(notw_call_epoll_create(size), "epoll_create()");
}

NOTW_EXPORT int eventfd(unsigned int initval, int flags)
{
	return after_one(notw_call_eventfd(initval, flags), "eventfd()");
}
