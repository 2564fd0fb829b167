/* Messages that carry descriptors (SCM_RIGHTS): recvmsg() brings numbers
 * from another process, new numbers the safety net looks at
 * (notw_check_number(), hooks_fdnew.c); sendmsg() and sendmmsg() may hand a
 * socket to a program without the library, and an armed one is disarmed
 * first, as at exec (handover.c). Only a message with control data costs
 * more than a compare. */
#define _GNU_SOURCE
#include "hooks.h"

#include "handover.h"
#include "real.h"
#include "state.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

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
	notw_handover_passed(fd);
}

NOTW_EXPORT ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	ssize_t rc = notw_call_recvmsg(fd, msg, flags);
	if (rc >= 0 && carries_control(msg)) {
		NOTW_KEEP_ERRNO(for_each_passed(msg, notw_check_number, "recvmsg()"));
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
