/* Hooks of getsockopt() and setsockopt(): the program's own options win,
 * and what it reads back is what it set (or the kernel's default), never a
 * value the library put there. */
#include "hooks.h"

#include "fdtable.h"
#include "holders.h"
#include "linger.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* The program set a socket option on a TCP socket the library tracks. */
static void after_setsockopt(int fd, uint32_t flags, int name, const void *val, socklen_t len)
{
	/* The kernel accepted val, so it is readable and long enough. */
	if (name == SO_LINGER && len >= (socklen_t)sizeof(struct linger)) {
		struct linger l;
		memcpy(&l, val, sizeof l);
		notw_linger_program_set(fd, flags, &l);
	} else if (name == SO_REUSEADDR) { /* the kernel now holds the program's value */
		notw_holders_update_socket(fd, 0, NOTW_FD_REUSEADDR);
	}
}

NOTW_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int rc = notw_call_setsockopt(fd, level, name, val, len);
	if (rc != 0 || level != SOL_SOCKET || notw_in_vfork_child())
		return rc;
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_TCP) != 0)
		NOTW_KEEP_ERRNO(after_setsockopt(fd, flags, name, val, len));
	return rc;
}

NOTW_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int rc = notw_call_getsockopt(fd, level, name, val, len);
	if (rc != 0 || level != SOL_SOCKET || val == NULL || len == NULL)
		return rc;
	uint32_t flags = notw_fd_get(fd);
	struct linger program;
	if (name == SO_LINGER && *len >= (socklen_t)sizeof(struct linger) &&
	    notw_linger_program_view(flags, &program)) {
		memcpy(val, &program, sizeof program);
	} else if (name == SO_REUSEADDR && (flags & NOTW_FD_REUSEADDR) != 0 && *len >= (socklen_t)sizeof(int)) {
		const int off = 0;
		memcpy(val, &off, sizeof off);
	}
	return rc;
}
