/* The arming gate: when the library may put zero linger on a socket.
 *
 * shim/linger-protocol.md is the protocol this implements (rules A, B, D,
 * E and F there). A socket may be armed only while every process that
 * holds it will disarm it before a graceful close of its own. Two things
 * break that, and both are fenced off here:
 * - a fork whose child gets the socket without the table entry that says
 *   it is armed: the fork counters (`started`, `in_flight`) and the
 *   socket's birth, read before the system call that made it;
 * - an exit, exec or the safety net that walks the table while another
 *   thread is arming: `stopped`, and the arming sections the walk waits
 *   for.
 * Each arming section counts its thread in before it looks, and each fork
 * or walk publishes before it waits for the count: one of the two always
 * sees the other. The waits are bounded (a thread stopped inside a section
 * for longer is a documented limit). */
#ifndef NOTW_ARMGATE_H
#define NOTW_ARMGATE_H

#include <stdbool.h>
#include <stdint.h>

extern uint32_t notw_armgate_started;
extern uint32_t notw_armgate_in_flight;
/* Threads inside an arming section. */
extern uint32_t notw_armgate_arming;
/* Execs under way (low bits), and NOTW_ARMGATE_FOR_GOOD once an exit, the
 * safety net or a wait that gave up began: arming is stopped while it is
 * not 0. One word, so that a section's two looks at it are one load
 * each. */
extern uint32_t notw_armgate_stops;
#define NOTW_ARMGATE_FOR_GOOD 0x80000000u
/* The sections this thread is inside of, or left without leaving (a
 * signal handler that siglongjmp()s out of the accept that runs one): it
 * never waits for its own, as a signal handler on it that exits or forks
 * must not, and a section it jumped out of would never end. */
extern __thread unsigned notw_armgate_own_sections __attribute__((tls_model("initial-exec")));

/* The birth of a descriptor the kernel is about to hand out: read before
 * the system call. While a fork is under way it is a value `started` does
 * not take again, so that descriptor is never armed. started is read
 * before in_flight: a fork raises them the other way round. */
static inline uint32_t notw_armgate_birth(void)
{
	uint32_t started = __atomic_load_n(&notw_armgate_started, __ATOMIC_SEQ_CST);
	if (__builtin_expect(__atomic_load_n(&notw_armgate_in_flight, __ATOMIC_SEQ_CST) != 0, 0))
		return started - 1u;
	return started;
}

/* No fork has begun since birth: no other process can hold the socket
 * through this one. */
static inline bool notw_armgate_alone_since(uint32_t birth)
{
	return __atomic_load_n(&notw_armgate_started, __ATOMIC_SEQ_CST) == birth;
}

/* An arming section: enter, ask, (arm,) leave. notw_armgate_may_arm()
 * asks whether a socket of that birth may be armed now. Inline: they are
 * on the path of every accepted connection. */
static inline void notw_armgate_enter(void)
{
	notw_armgate_own_sections++;
	__atomic_add_fetch(&notw_armgate_arming, 1u, __ATOMIC_SEQ_CST);
}

static inline bool notw_armgate_stopped(void)
{
	return __atomic_load_n(&notw_armgate_stops, __ATOMIC_SEQ_CST) != 0;
}

static inline bool notw_armgate_may_arm(uint32_t birth)
{
	return !notw_armgate_stopped() && notw_armgate_alone_since(birth);
}

static inline void notw_armgate_leave(void)
{
	/* none counted: a section begun before a fork, left in the child */
	if (__builtin_expect(notw_armgate_own_sections == 0, 0))
		return;
	notw_armgate_own_sections--;
	__atomic_sub_fetch(&notw_armgate_arming, 1u, __ATOMIC_SEQ_CST);
}

/* Exit or the safety net: arming stops for good (after the other
 * threads' sections are done). */
void notw_armgate_stop(void);

/* Exec: arming stops while it is under way; resumed when it failed. */
void notw_armgate_pause(void);
void notw_armgate_resume(void);

/* Wait (bounded) until no other thread is inside an arming section. A
 * wait that reaches the bound stops arming for good (one warning) and
 * makes every later wait return at once. The caller has published what
 * it does (a locked read-modify-write) first. Returns false when no other
 * section was under way (nothing waited for). */
void notw_armgate_wait_for_others(void);
static inline bool notw_armgate_wait(void)
{
	if (__builtin_expect(__atomic_load_n(&notw_armgate_arming, __ATOMIC_SEQ_CST) <= notw_armgate_own_sections, 1))
		return false;
	notw_armgate_wait_for_others();
	return true;
}

/* A vfork() child about to exec, in its parent's memory: no socket the
 * parent has now is armed again. */
void notw_armgate_vfork_exec(void);

/* Around every way of making a process: before the system call; after
 * it in the parent; at the start of the child (own memory only). */
void notw_armgate_fork_begin(void);
void notw_armgate_fork_parent(void);
void notw_armgate_fork_child(void);

#endif
