/* What the table records when the kernel hands out a descriptor number
 * and when the program closes one: the bookkeeping every hook that
 * creates or closes a descriptor shares (hooks_*.c), with its fast paths
 * inline. */
#ifndef NOTW_TRACKING_H
#define NOTW_TRACKING_H

#include "armgate.h"
#include "fdtable.h"
#include "log.h"

#include <stdbool.h>
#include <stdint.h>

/* State found under a number the kernel just handed out: a close the
 * library did not see (the safety net looks at it). errno is kept. */
void notw_stale_descriptor(int fd, uint32_t stale, const char *call);

/* fd was just handed out by the kernel (socket, accept, open, pipe, ...):
 * drop stale state, then record flags, with the socket's birth (read
 * before the system call that made fd: armgate.h). errno is kept. */
static inline void notw_fresh_descriptor_born(int fd, uint32_t flags, const char *call, uint32_t birth)
{
	uint32_t stale = notw_fd_get(fd);
	if (__builtin_expect(stale != 0, 0))
		notw_stale_descriptor(fd, stale, call);
	if (flags != 0) {
		if (birth != 0 || notw_fd_aux(fd) != 0)
			notw_fd_set_aux(fd, notw_aux_make(birth, 0));
		notw_fd_set(fd, flags);
	}
}

/* The same for a descriptor that is never armed (its birth is now). */
static inline void notw_fresh_descriptor(int fd, uint32_t flags, const char *call)
{
	notw_fresh_descriptor_born(fd, flags, call, flags != 0 ? notw_armgate_birth() : 0u);
}

/* What close() and an implicit close (dup2 over a descriptor) share, in
 * the order of shim/linger-protocol.md's rule C: an armed socket is
 * disarmed while its entry is still in the table (a signal handler's
 * _exit() in between still finds it), unless another descriptor of this
 * process holds it; then the entry is forgotten (once closed, its number
 * can be handed out again by another thread) and taken off its holder
 * record. Returns true when it disarmed the socket. errno is the
 * program's. notw_forget_more() is the part for a socket with duplicates,
 * an armed one and the log's own descriptor. */
bool notw_forget_more(int fd, uint32_t flags, uint64_t aux);
void notw_log_close_of(int fd, uint32_t flags);

static inline bool notw_forget_before_close(int fd, uint32_t flags)
{
	uint64_t aux = notw_fd_aux(fd);
	if (__builtin_expect((flags & NOTW_FD_MANAGED) != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG), 0))
		notw_log_close_of(fd, flags);
	if (notw_aux_record(aux) == 0 && (flags & (NOTW_FD_INTERNAL | NOTW_FD_ARMED)) == 0) {
		notw_fd_forget_sc(fd, aux);
		return false;
	}
	return notw_forget_more(fd, flags, aux);
}

#endif
