/* The safety net's eyes: calls that hand out a new descriptor number.
 *
 * A number comes back from the kernel only once its previous owner was
 * closed. If the table still holds state for it, that close went past the
 * library (a raw system call, a libc-internal close, io_uring): stale
 * state is dropped, and if it was an armed socket, zero linger is switched
 * off for the whole process (linger.c), since more such closes may come.
 * socket(), accept() and dup() look at their numbers in their own hooks;
 * these are the others. The check is one table load per call.
 *
 * recvmsg() may carry descriptors from another process (SCM_RIGHTS): their
 * numbers are new too. sendmsg() may hand a socket to a program without the
 * library: an armed one is disarmed first, as at exec (linger.c). Only a
 * message with control data costs more than a compare. */
#undef _FILE_OFFSET_BITS /* open and open64 are both defined here */
#define _GNU_SOURCE
#include "rawsys.h"
#include "hooks.h"

#include "fdtable.h"
#include "linger.h"
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

static void check_number(int fd, const char *call)
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
		check_number(fd, call);
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
		check_number(fds[0], call);
		check_number(fds[1], call);
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

/* Calls fn(fd, call) for each descriptor an SCM_RIGHTS message carries. */
static void for_each_passed(struct msghdr *msg, void (*fn)(int fd, const char *call), const char *call)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len < CMSG_LEN(0))
			continue;
		size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		const unsigned char *data = CMSG_DATA(c);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, data + i * sizeof fd, sizeof fd);
			fn(fd, call);
		}
	}
}

static bool carries_control(const struct msghdr *msg)
{
	return msg != NULL && msg->msg_control != NULL && msg->msg_controllen >= sizeof(struct cmsghdr) &&
	       !notw_in_vfork_child();
}

static void disarm_passed(int fd, const char *call)
{
	(void)call;
	notw_linger_before_handing_over(fd);
}

NOTW_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t rc = notw_call_recvmsg(fd, msg, flags);
	if (rc >= 0 && carries_control(msg)) {
		NOTW_KEEP_ERRNO(for_each_passed(msg, check_number, "recvmsg()"));
	}
	return rc;
}

/* After the kernel took the message (so its pointers are good): the
 * sockets it carried to another process are disarmed. The receiver cannot
 * be the last holder before this: the sender still holds them. */
static void after_sendmsg(const struct msghdr *msg, long rc)
{
	if (rc < 0 || !carries_control(msg))
		return;
	NOTW_KEEP_ERRNO(for_each_passed((struct msghdr *)(uintptr_t)msg, disarm_passed, "sendmsg()"));
}

ssize_t notw_sendmsg_hook(int fd, const struct msghdr *msg, int flags, notw_real_sendmsg real)
{
	ssize_t rc = real(fd, msg, flags);
	after_sendmsg(msg, rc);
	return rc;
}

int notw_sendmmsg_hook(int fd, struct mmsghdr *msgs, unsigned int n, int flags, notw_real_sendmmsg real)
{
	int rc = real(fd, msgs, n, flags);
	for (int i = 0; i < rc; i++)
		after_sendmsg(&msgs[i].msg_hdr, 0);
	return rc;
}

static ssize_t next_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return notw_call_sendmsg(fd, msg, flags);
}

static int next_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
	return notw_call_sendmmsg(fd, msgs, n, flags);
}

NOTW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return notw_sendmsg_hook(fd, msg, flags, next_sendmsg);
}

NOTW_EXPORT int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
	return notw_sendmmsg_hook(fd, msgs, n, flags, next_sendmmsg);
}
