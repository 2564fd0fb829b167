/* The safety net (safetynet.h): evidence of a close the library did not
 * see switches zero linger off for the whole process. */
#include "safetynet.h"

#include "armgate.h"
#include "fdtable.h"
#include "linger.h"
#include "log.h"
#include "rawsys.h"

#include <errno.h>

/* Set once: the safety net switched zero linger off for this process. */
static int tripped;

static bool disarm_everything(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED)) != 0)
		notw_linger_disarm(fd, flags);
	notw_fd_update(fd, 0, NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED | NOTW_FD_ARMS_CONNS);
	return true;
}

static void trip(int fd, const char *call, const char *why)
{
	if (notw_linger_mode() == NOTW_LINGER_OFF || __atomic_exchange_n(&tripped, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	int saved_errno = errno;
	notw_armgate_stop();
	notw_fd_for_each(NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED | NOTW_FD_ARMS_CONNS, disarm_everything, NULL);
	errno = saved_errno;
	notw_log(NOTW_LEVEL_WARN,
		 "zero linger switched off for this process: fd=%d %s %s; every armed socket disarmed (a crash now leaves timewait sockets, as without NOTW_LINGER)",
		 fd, call, why);
}

void notw_safetynet_stale_descriptor(int fd, uint32_t stale_flags, const char *call)
{
	if ((stale_flags & (NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED)) != 0)
		trip(fd, call,
		     "returned a descriptor number the library still held as an armed socket: the program closed that socket by a way the library does not see");
}

void notw_safetynet_close_found_closed(int fd, uint32_t flags)
{
	if ((flags & NOTW_FD_ARMED) != 0)
		trip(fd, "close()", "found the armed socket already closed by a way the library does not see");
}
