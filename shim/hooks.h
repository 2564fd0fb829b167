/* The hooks: the exported functions of hooked.h's list, one file per
 * family (hooks_*.c), and the logic behind them that other parts of the
 * library call without going through the dynamic linker (the syscall()
 * hook routes the system call numbers it watches here). Each behaves as
 * the libc function of the same name: its return value and its errno are
 * the next definition's.
 *
 * The shape of a hook: call the next definition through notw_call_NAME()
 * (real.h); pass the gate below; keep errno across the library's own work
 * (NOTW_KEEP_ERRNO); the work itself is a function of the family's file or
 * of linger.c, recover.c.
 *
 * The gate, the one rule of when a hook does more than pass the call on:
 * - Only the hooks that start tracking a descriptor (socket, bind,
 *   listen, accept, connect) ask notw_may_track(). The first such call
 *   makes the library ready (policy file, environment, log), so a program
 *   that never opens a socket pays for nothing but the loader's work; with
 *   enabled = off it answers false, and nothing is ever recorded.
 * - Every other hook acts only on what the table holds for its
 *   descriptors, which is nothing before that (and always, when disabled);
 *   the process-wide ones (exec, spawn) ask notw_tracking().
 * - A vfork() child shares the parent's memory but not its descriptors: it
 *   records nothing (notw_in_vfork_child()). */
#ifndef NOTW_HOOKS_H
#define NOTW_HOOKS_H

#include "family.h"
#include "fdtable.h"
#include "log.h"
#include "rawsys.h"
#include "state.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

static inline bool notw_may_track(void)
{
	return !notw_in_vfork_child() && notw_ensure_ready();
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

/* What the close() hook does around the real call, for a descriptor in
 * state flags (0: untracked, nothing to do). */
void notw_before_close_call(int fd, uint32_t flags);
void notw_after_close_call(int fd, uint32_t flags, long rc);
int notw_close_range_hook(unsigned first, unsigned last, int flags);
int notw_dup_hook(int fd);
int notw_dup3_hook(int oldfd, int newfd, int flags, bool three);
/* conn was just accepted from listener. */
void notw_after_accept(int listener, int conn);
int notw_shutdown_hook(int fd, int how);
int notw_execve_hook(const char *path, char *const argv[], char *const envp[]);
int notw_execveat_hook(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);

/* Before the process ends without running destructors (_exit, _Exit,
 * quick_exit, exit_group). */
void notw_before_exit_now(void);

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

/* A sendmsg()/sendmmsg() went through (rc: its result, sent: messages):
 * the sockets handed to another process are disarmed. */
struct msghdr;
struct mmsghdr;
void notw_after_sendmsg(const struct msghdr *msg, long rc);
void notw_after_sendmmsg(const struct mmsghdr *msgs, long sent);

#endif
