/* The close() hook: every close() of every descriptor in the program comes
 * through here, so the path for descriptors the library does not track is
 * one table load and the call to the real close(). */
#define _GNU_SOURCE /* close_range, closefrom */
#include "rawsys.h"
#include "hooks.h"

#include "fdtable.h"
#include "holders.h"
#include "safetynet.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The close of a descriptor the table holds (flags), by real. */
static inline __attribute__((always_inline)) int close_tracked(int fd, uint32_t flags, notw_real_close real)
{
	/* A vfork() child closes its own copy: the table is the parent's. */
	bool vfork_child = notw_in_vfork_child();
	if (!vfork_child)
		notw_forget_before_close(fd, flags);
	int rc = real(fd);
	/* EBADF for a descriptor the table held: it was closed behind the
	 * library's back. */
	if (rc != 0 && errno == EBADF && !vfork_child)
		NOTW_KEEP_ERRNO(notw_safetynet_close_found_closed(fd, flags));
	return rc;
}

int notw_close_hook(int fd, notw_real_close real)
{
	uint32_t flags = notw_fd_get(fd);
	if (__builtin_expect(flags != 0, 0))
		return close_tracked(fd, flags, real);
	return real(fd);
}

static int next_close(int fd)
{
	return notw_call_close(fd);
}

/* The tracked path out of line, with the next definition called
 * directly: close() of an untracked descriptor stays a load, a test and a
 * jump. */
__attribute__((noinline, cold)) static int close_tracked_by_next(int fd, uint32_t flags)
{
	return close_tracked(fd, flags, next_close);
}

NOTW_EXPORT int close(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if (__builtin_expect(flags != 0, 0))
		return close_tracked_by_next(fd, flags);
	return notw_call_close(fd);
}

/* Closes that do not pass through close() inside libc: fclose() of a
 * stream on a socket (fdopen), close_range() and closefrom(). Each is the
 * program's own close of those descriptors. */

NOTW_EXPORT int fclose(FILE *stream)
{
	int fd = stream != NULL ? fileno(stream) : -1;
	uint32_t flags = fd >= 0 ? notw_fd_get(fd) : 0u;
	if (flags != 0 && !notw_in_vfork_child())
		notw_forget_before_close(fd, flags);
	return notw_call_fclose(stream);
}

struct close_range_ctx {
	unsigned first, last;
};

static bool forget_in_range(int fd, uint32_t flags, void *ctx)
{
	const struct close_range_ctx *r = ctx;
	if ((unsigned)fd >= r->first && (unsigned)fd <= r->last)
		notw_forget_before_close(fd, flags);
	return true;
}

static void forget_range(unsigned first, unsigned last)
{
	if (notw_in_vfork_child())
		return;
	struct close_range_ctx r = { first, last };
	notw_fd_for_each(~0u, forget_in_range, &r);
}

int notw_close_range_hook(unsigned first, unsigned last, int flags)
{
	/* CLOSE_RANGE_CLOEXEC only marks them: exec() takes care of those. A
	 * call the kernel will refuse (an unknown flag, first > last) closes
	 * nothing, so nothing is forgotten. */
	const unsigned known = CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC;
	if (((unsigned)flags & ~known) == 0 && ((unsigned)flags & CLOSE_RANGE_CLOEXEC) == 0 && first <= last)
		forget_range(first, last);
	return notw_call_close_range(first, last, flags);
}

NOTW_EXPORT int close_range(unsigned first, unsigned last, int flags)
{
	return notw_close_range_hook(first, last, flags);
}

NOTW_EXPORT void closefrom(int lowfd)
{
	forget_range(lowfd < 0 ? 0u : (unsigned)lowfd, ~0u);
	notw_call_closefrom(lowfd);
}
