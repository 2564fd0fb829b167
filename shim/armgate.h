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
 * asks whether a socket of that birth may be armed now. */
void notw_armgate_enter(void);
bool notw_armgate_may_arm(uint32_t birth);
void notw_armgate_leave(void);

/* Exit or the safety net: arming stops for good (after the other
 * threads' sections are done). */
void notw_armgate_stop(void);
bool notw_armgate_stopped(void);

/* Exec: arming stops while it is under way; resumed when it failed. */
void notw_armgate_pause(void);
void notw_armgate_resume(void);

/* Wait (bounded) until no other thread is inside an arming section. A
 * wait that reaches the bound stops arming for good (one warning) and
 * makes every later wait return at once. */
void notw_armgate_wait(void);

/* A vfork() child about to exec, in its parent's memory: no socket the
 * parent has now is armed again. */
void notw_armgate_vfork_exec(void);

/* Around every way of making a process: before the system call; after
 * it in the parent; at the start of the child (own memory only). */
void notw_armgate_fork_begin(void);
void notw_armgate_fork_parent(void);
void notw_armgate_fork_child(void);

#endif
