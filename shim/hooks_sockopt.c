/* Hooks of getsockopt() and setsockopt(): the program's own options win,
 * and what it reads back is what it set (or the kernel's default), never a
 * value the library put there. */
#include "fdtable.h"
#include "real.h"
#include "state.h"

#include <string.h>
#include <sys/socket.h>

NOTW_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int rc = notw_call_setsockopt(fd, level, name, val, len);
	if (rc != 0 || level != SOL_SOCKET || notw_fd_get(fd) == 0)
		return rc;
	/* Options belong to the socket: every duplicate sees the change. */
	if (name == SO_LINGER) /* the program decides: never touched again */
		notw_fd_update_same_socket(fd, NOTW_FD_OWN_LINGER, NOTW_FD_ARMED);
	else if (name == SO_REUSEADDR) /* the kernel now holds the program's value */
		notw_fd_update_same_socket(fd, 0, NOTW_FD_REUSEADDR);
	return rc;
}

NOTW_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int rc = notw_call_getsockopt(fd, level, name, val, len);
	if (rc != 0 || level != SOL_SOCKET || val == NULL || len == NULL)
		return rc;
	uint32_t flags = notw_fd_get(fd);
	if (name == SO_LINGER && (flags & NOTW_FD_ARMED) != 0 && *len >= (socklen_t)sizeof(struct linger)) {
		const struct linger kernel_default = { .l_onoff = 0, .l_linger = 0 };
		memcpy(val, &kernel_default, sizeof kernel_default);
	} else if (name == SO_REUSEADDR && (flags & NOTW_FD_REUSEADDR) != 0 && *len >= (socklen_t)sizeof(int)) {
		const int off = 0;
		memcpy(val, &off, sizeof off);
	}
	return rc;
}
