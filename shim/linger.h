/* Zero linger (NOTW_LINGER): connections of a dying process are reset
 * instead of leaving timewait sockets, while the program's own closes stay
 * graceful.
 *
 * SIGKILL runs no code, so the decision is made before death: SO_LINGER
 * {1,0} is set on each connection the program accepts through the library
 * (never on a listener: the kernel would pass it on to connections the
 * library may never see) and, when the policy asks, on outgoing
 * connections; it is taken off again right before the program's own close
 * of the last descriptor this process holds for the socket (or its
 * shutdown()). The kernel applies an armed linger whenever it closes the
 * socket, including when it tears down a killed process.
 *
 * Across processes the rules are a protocol, written in
 * shim/linger-protocol.md and model-checked by tests/model/linger_model.py:
 * nothing is ever left armed on account of another process, and a socket
 * is armed only through the gate of armgate.h.
 *
 * Failing safe: an armed socket whose graceful close the library misses
 * loses data, an unarmed one whose crash it misses leaves one timewait
 * socket. So wherever the library cannot be sure, it disarms: at exec, at
 * exit, at every close that may be the last in the kernel, and for the
 * whole process once it sees evidence of a close that went past it. */
#ifndef NOTW_LINGER_H
#define NOTW_LINGER_H

#include "armgate.h"
#include "fdtable.h"
#include "policy.h"
#include "rawsys.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>

/* After a successful listen() on a TCP descriptor (flags: its state): its
 * connections will be armed as they are accepted. */
void notw_linger_after_listen(int fd, uint32_t flags);

/* Whether the policy arms outgoing connections at all (linger = always,
 * or linger_outgoing): connect() asks nothing more when it does not. */
static inline bool notw_linger_arms_outgoing(void)
{
	return notw_active_policy.linger == NOTW_LINGER_ALWAYS || notw_active_policy.linger_outgoing;
}

/* After connect() on a tracked TCP descriptor succeeded or is in progress:
 * arms it (on every duplicate's entry too) when the policy arms outgoing
 * connections, the remote port matches and the gate allows. */
void notw_linger_after_connect(int fd, uint32_t flags, const struct sockaddr *addr, socklen_t len);

/* The linger state an accepted connection starts with, from its listener's
 * state: NOTW_FD_ARMED when it is to be armed, which
 * notw_linger_arm_accepted() does once the entry is stored. */
uint32_t notw_linger_accepted_slow(uint32_t listener_flags);

static inline uint32_t notw_linger_accepted(uint32_t listener_flags)
{
	const uint32_t bits = NOTW_FD_OWN_LINGER | NOTW_FD_PROG_LINGER | NOTW_FD_LINGER_MASK | NOTW_FD_ARMS_CONNS;
	if ((listener_flags & bits) == 0)
		return 0; /* no linger of the program's, none of the library's */
	return notw_linger_accepted_slow(listener_flags);
}

/* The library's own SO_LINGER{1,0}: the system call itself (no other
 * library's setsockopt() sees it, errno stays the program's). Returns 0 or
 * the error. */
static inline int notw_linger_arm(int fd)
{
	static const struct linger zero = { .l_onoff = 1, .l_linger = 0 };
	return -(int)notw_syscall5_noerrno(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, (long)&zero, sizeof zero);
}

/* An arming section found fd may not be armed (err -1), could not arm it
 * (err > 0, logged), or armed it and must take that back
 * (NOTW_LINGER_ARM_TAKEN_BACK): its entry stops saying ARMED. errno is
 * kept. */
#define NOTW_LINGER_ARM_TAKEN_BACK (-2)
void notw_linger_not_armed(int fd, int err);

/* The arming section (rules A.4, A.5 and B of shim/linger-protocol.md):
 * arms fd, a socket of that birth, when the gate allows it and its entry
 * still says ARMED and not CLOSING; otherwise the entry stops saying
 * ARMED. A.5: after the arm it asks again, and takes the arm back when an
 * exit, exec or safety net stopped arming since (one that gave up waiting
 * for this section may have walked the table already) or a fork began (a
 * signal handler on this thread that forked, whom no wait covers).
 * Returns 0 when it armed. Inline: every accepted connection of a managed
 * listener comes through it. errno is kept. */
static inline int notw_linger_arming_section(int fd, uint32_t birth)
{
	notw_armgate_enter();
	int err = -1;
	if ((notw_fd_get(fd) & (NOTW_FD_ARMED | NOTW_FD_CLOSING)) == NOTW_FD_ARMED && notw_armgate_may_arm(birth)) {
		err = notw_linger_arm(fd);
		if (__builtin_expect(err == 0 && !notw_armgate_may_arm(birth), 0))
			err = NOTW_LINGER_ARM_TAKEN_BACK;
	}
	if (__builtin_expect(err != 0, 0))
		notw_linger_not_armed(fd, err);
	notw_armgate_leave();
	return err;
}

/* A duplicate of fd (unlisted) could not be listed among the socket's
 * holders: the socket is disarmed and never armed again, since a close of
 * either could not tell whether the other still holds it. */
void notw_linger_cannot_list(int fd, int unlisted);

/* The linger flags for a TCP descriptor the library meets for the first
 * time (handed over through exec, socket activation): the program's own
 * SO_LINGER as the kernel has it. */
uint32_t notw_linger_adopt(int fd);

/* The program is about to close fd (still in the table; flags and aux are
 * what it has): marks it CLOSING and, unless another descriptor of this
 * process holds the socket, takes zero linger off, restoring the
 * program's own value. Returns true when it did. The caller forgets the
 * entry afterwards. errno is kept. */
bool notw_linger_before_close(int fd, uint32_t flags, uint64_t aux);

/* The program shut the connection down: it is closing it gracefully. */
void notw_linger_after_shutdown(int fd, uint32_t flags);

/* The program set SO_LINGER to *l on fd (the kernel accepted it). */
void notw_linger_program_set(int fd, uint32_t flags, const struct linger *l);

/* What getsockopt(SO_LINGER) shows the program for a descriptor in state
 * flags: false when the kernel's own answer stands. */
bool notw_linger_program_view(uint32_t flags, struct linger *out);

/* Normal exit (destructor, _exit, quick_exit, exit_group, the last
 * thread's SYS_exit): with NOTW_LINGER=crash, take the linger off every
 * armed connection, and arm nothing from now on. Async-signal-safe. */
void notw_linger_at_normal_exit(void);

/* The primitives the hand-over (handover.c) and the safety net
 * (safetynet.c) share with zero linger's own decisions. */
static inline enum notw_linger notw_linger_mode(void)
{
	return notw_active_policy.linger;
}

/* What the socket would have without the library: the program's own
 * SO_LINGER (flags), or the kernel's default. */
void notw_linger_disarm(int fd, uint32_t flags);

/* Every disarm of a socket the library armed (rules C.3, D, E, G of
 * linger-protocol.md). Without a fork since the socket's birth only this
 * process can have set its SO_LINGER; after one, a child may have set its
 * own since: only the library's {1,0} is taken off. Returns true when it
 * disarmed. */
bool notw_linger_disarm_ours(int fd, uint32_t flags);

/* notw_linger_disarm_ours(), then the table (fd and its duplicates) stops
 * saying ARMED (rule G: a holder's table never says "not armed" while the
 * kernel still has it armed). */
void notw_linger_disarm_socket(int fd, uint32_t flags);

/* The kernel has the library's SO_LINGER{1,0} on fd. errno is kept. */
bool notw_linger_kernel_is_zero(int fd);

/* Rule B: arm fd again through the arming section (its entry says ARMED
 * and holds its birth). Returns 0 when it armed. */
int notw_linger_rearm(int fd);

#endif
