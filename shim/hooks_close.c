/* The close() hook: every close() of every descriptor in the program comes
 * through here, so the path for descriptors the library does not track is
 * one table load and the call to the real close(). */
#include "fdtable.h"
#include "linger.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <unistd.h>

/* What close() and an implicit close (dup2 over a descriptor) share:
 * forget the descriptor first (once closed, its number can be handed out
 * again by another thread), then let the linger logic decide. Returns true
 * when it disarmed the socket. */
bool notw_forget_before_close(int fd, uint32_t flags)
{
	notw_fd_forget_sc(fd);
	if ((flags & NOTW_FD_INTERNAL) != 0)
		notw_log_forget_fd(fd);
	if ((flags & NOTW_FD_MANAGED) != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d%s", fd,
			 (flags & NOTW_FD_LISTENER) != 0 ? " (listener)" : "");
	return notw_linger_before_close(fd, flags);
}

__attribute__((noinline, cold)) static int close_tracked(int fd, uint32_t flags)
{
	notw_forget_before_close(fd, flags);
	return notw_call_close(fd);
}

NOTW_EXPORT int close(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if (__builtin_expect(flags != 0, 0))
		return close_tracked(fd, flags);
	return notw_call_close(fd);
}
