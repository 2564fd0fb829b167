/* What the table records when the kernel hands out a descriptor number
 * and when the program closes one: the bookkeeping every hook that
 * creates or closes a descriptor shares (hooks_*.c), with its fast paths
 * inline. */
#ifndef NOTW_TRACKING_H
#define NOTW_TRACKING_H

#include "family.h"
#include "fdtable.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>

/* State found under a number the kernel just handed out: a close the
 * library did not see (the safety net looks at it). errno is kept. */
void notw_stale_descriptor(int fd, uint32_t stale, const char *call);

/* fd was just handed out by the kernel (socket, accept, open, pipe, ...):
 * drop stale state, then record flags. errno is kept. */
static inline void notw_fresh_descriptor(int fd, uint32_t flags, const char *call)
{
	uint32_t stale = notw_fd_get(fd);
	if (__builtin_expect(stale != 0, 0))
		notw_stale_descriptor(fd, stale, call);
	if (flags != 0) {
		uint32_t birth = notw_family_gen();
		if (birth != 0 || notw_fd_aux(fd) != 0)
			notw_fd_set_aux(fd, notw_aux_make(birth, 0));
		notw_fd_set(fd, flags);
	}
}

/* What close() and an implicit close (dup2 over a descriptor) share:
 * forget the descriptor first (once closed, its number can be handed out
 * again by another thread), take it off its holder record, then let the
 * linger logic decide. Returns true when it disarmed the socket. errno is
 * the program's. notw_forget_more() is the part for a socket with
 * duplicates, an armed one and the log's own descriptor. */
bool notw_forget_more(int fd, uint32_t flags, uint64_t aux);
void notw_log_close_of(int fd, uint32_t flags);

static inline bool notw_forget_before_close(int fd, uint32_t flags)
{
	uint64_t aux = notw_fd_aux(fd);
	notw_fd_forget_sc(fd, aux);
	if (__builtin_expect((flags & NOTW_FD_MANAGED) != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG), 0))
		notw_log_close_of(fd, flags);
	if (notw_aux_record(aux) == 0 && (flags & (NOTW_FD_INTERNAL | NOTW_FD_ARMED)) == 0)
		return false;
	return notw_forget_more(fd, flags, aux);
}

#endif
