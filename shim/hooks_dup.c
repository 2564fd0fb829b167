/* Hooks of the dup family: dup(), dup2(), dup3(), fcntl(F_DUPFD...).
 *
 * The linger of a socket must stay on while any descriptor of this process
 * still refers to it, so duplicates join a holder record (holders.c);
 * dup2() and dup3() onto a tracked descriptor close it implicitly, which
 * counts as the program's own close of that descriptor. A vfork() child
 * shares the parent's memory: its duplicates are its own business, and
 * exec decides from the kernel's view. */
/* Both fcntl and fcntl64 are defined here: with _FILE_OFFSET_BITS=64
 * (which meson sets) glibc's header would rename fcntl to fcntl64. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE /* dup3 */
#include "hooks.h"

#include "fdtable.h"
#include "holders.h"
#include "handover.h"
#include "linger.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <unistd.h>

int fcntl64(int fd, int cmd, ...);

/* newfd now refers to what oldfd refers to. */
static void note_duplicate(int oldfd, int newfd, const char *call)
{
	if (notw_in_vfork_child()) {
		NOTW_KEEP_ERRNO(notw_handover_vfork_dup(newfd));
		return;
	}
	/* dup() and F_DUPFD hand out a free number: a stale entry there is a
	 * close the library missed. dup2() and dup3() forgot their target
	 * before the call. */
	if (call != NULL)
		notw_fresh_descriptor(newfd, 0, call);
	else if (notw_fd_get(newfd) != 0)
		notw_fd_forget_sc(newfd, notw_fd_aux(newfd));
	uint32_t flags = notw_fd_get(oldfd) & ~(uint32_t)(NOTW_FD_INTERNAL | NOTW_FD_SEEN);
	if (flags == 0)
		return;
	int saved_errno = errno;
	unsigned rec = notw_holders_join(oldfd, newfd);
	/* the socket's birth, not the duplicate's */
	notw_fd_set_aux(newfd, notw_aux_make(notw_aux_birth(notw_fd_aux(oldfd)), rec));
	notw_fd_set(newfd, flags);
	if (rec == 0 && (flags & NOTW_FD_TCP) != 0)
		notw_linger_cannot_list(oldfd, newfd);
	if ((flags & NOTW_FD_MANAGED) != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "dup fd=%d -> fd=%d", oldfd, newfd);
	errno = saved_errno;
}

int notw_dup_hook(int fd)
{
	int newfd = notw_call_dup(fd);
	if (newfd >= 0)
		note_duplicate(fd, newfd, "dup()");
	return newfd;
}

NOTW_EXPORT int dup(int fd)
{
	return notw_dup_hook(fd);
}

static int call_dup_onto(int oldfd, int newfd, int flags, enum notw_dup_onto call)
{
	return call == NOTW_DUP3 ? notw_call_dup3(oldfd, newfd, flags) : notw_call_dup2(oldfd, newfd);
}

/* dup2 and dup3: the implicit close of newfd is prepared before the call;
 * if the call fails, newfd is still open and gets its state back. */
static int dup_onto(int oldfd, int newfd, int flags, enum notw_dup_onto call)
{
	if (notw_in_vfork_child()) {
		int rc = call_dup_onto(oldfd, newfd, flags, call);
		if (rc >= 0)
			note_duplicate(oldfd, newfd, NULL);
		return rc;
	}
	uint32_t target = oldfd != newfd ? notw_fd_get(newfd) : 0u;
	uint64_t target_aux = target != 0 ? notw_fd_aux(newfd) : 0u;
	bool disarmed = false;
	if (target != 0)
		disarmed = notw_forget_before_close(newfd, target);
	int rc = call_dup_onto(oldfd, newfd, flags, call);
	if (rc >= 0) {
		if (oldfd != newfd)
			note_duplicate(oldfd, newfd, NULL);
		return rc;
	}
	int saved_errno = errno;
	if (target != 0) {
		/* newfd is still open: it is on its own now (no record). What the
		 * close disarmed stays disarmed: arming again is for the gate
		 * alone (linger-protocol.md, rule B), and a graceful close is the
		 * safe side. */
		notw_fd_set_aux(newfd, notw_aux_make(notw_aux_birth(target_aux), 0));
		notw_fd_set(newfd, disarmed ? target & ~(uint32_t)NOTW_FD_ARMED : target);
	}
	errno = saved_errno;
	return rc;
}

int notw_dup_onto_hook(int oldfd, int newfd, int flags, enum notw_dup_onto call)
{
	return dup_onto(oldfd, newfd, flags, call);
}

NOTW_EXPORT int dup2(int oldfd, int newfd)
{
	return dup_onto(oldfd, newfd, 0, NOTW_DUP2);
}

NOTW_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	return dup_onto(oldfd, newfd, flags, NOTW_DUP3);
}

/* fcntl's third argument, when there is one, is an int, a long or a
 * pointer; like glibc, pass it on as a pointer-sized value. */
static int fcntl_common(int fd, int cmd, void *arg, bool is64)
{
	int rc = is64 ? notw_call_fcntl64(fd, cmd, arg) : notw_call_fcntl(fd, cmd, arg);
	if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC))
		note_duplicate(fd, rc, "fcntl(F_DUPFD)");
	return rc;
}

NOTW_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, false);
}

NOTW_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	va_start(ap, cmd);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	return fcntl_common(fd, cmd, arg, true);
}
