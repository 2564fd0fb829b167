/* The close() hook: every close() of every descriptor in the program comes
 * through here, so the path for descriptors the library does not track is
 * one table load and the call to the real close(). */
#include "fdtable.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <unistd.h>

/* Forget what the table knows of fd before the real close: once closed, the
 * number can be handed out again by another thread. */
__attribute__((noinline, cold)) static void forget_tracked(int fd, uint32_t flags)
{
	if ((flags & NOTW_FD_INTERNAL) != 0)
		notw_log_forget_fd(fd);
	notw_fd_set(fd, 0);
	if ((flags & NOTW_FD_MANAGED) != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d%s", fd,
			 (flags & NOTW_FD_LISTENER) != 0 ? " (listener)" : "");
}

NOTW_EXPORT int close(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if (__builtin_expect(flags != 0, 0))
		forget_tracked(fd, flags);
	return notw_call_close(fd);
}
