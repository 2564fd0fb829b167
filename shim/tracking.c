/* The table's bookkeeping when a descriptor is handed out or closed (tracking.h). */
#include "tracking.h"

#include "holders.h"
#include "linger.h"
#include "safetynet.h"
#include "rawsys.h"

#include <errno.h>

/* A number the kernel just handed out is a new object, whatever the table
 * said: stale state there is a close the library did not see. */
__attribute__((noinline, cold)) void notw_stale_descriptor(int fd, uint32_t stale, const char *call)
{
	NOTW_KEEP_ERRNO(notw_safetynet_stale_descriptor(fd, stale, call));
	notw_fd_forget_sc(fd, notw_fd_aux(fd));
}

bool notw_forget_more(int fd, uint32_t flags, uint64_t aux)
{
	bool disarmed = false;
	if ((flags & NOTW_FD_ARMED) != 0)
		disarmed = notw_linger_before_close(fd, flags, aux); /* keeps errno */
	notw_fd_forget_sc(fd, aux);
	unsigned rec = notw_aux_record(aux);
	if (rec != 0)
		NOTW_KEEP_ERRNO(notw_holders_leave(fd, rec));
	if ((flags & NOTW_FD_INTERNAL) != 0)
		NOTW_KEEP_ERRNO(notw_log_forget_fd(fd));
	return disarmed;
}

void notw_log_close_of(int fd, uint32_t flags)
{
	notw_log(NOTW_LEVEL_DEBUG, "close fd=%d%s", fd, (flags & NOTW_FD_LISTENER) != 0 ? " (listener)" : "");
}
