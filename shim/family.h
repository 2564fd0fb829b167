/* The fork family: which children may hold a socket of this process.
 *
 * Zero linger may stay on at a close only when another holder is certain
 * to take it off at its own last close (or to die, when the reset is the
 * point). Deferring goes one way only, from a process to the children it
 * forked while the descriptor was open, which the library runs in and
 * whose table lists the socket: so two processes can never leave a socket
 * armed for each other, and a chain of deferrals always ends at a holder
 * that disarms.
 *
 * Fork generations make this free at fork(): each fork bumps a counter;
 * a descriptor remembers the generation it was born in, and only a
 * descriptor born before the latest forks is ever checked (with kcmp) in
 * the children forked since. Nothing walks the table at fork. */
#ifndef NOTW_FAMILY_H
#define NOTW_FAMILY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* How many of the latest children are remembered. A socket shared with
 * more is checked in these only: at worst it is disarmed early. */
#define NOTW_FAMILY_CHILDREN 32

extern uint32_t notw_family_generation;

/* The generation a descriptor born now gets. */
static inline uint32_t notw_family_gen(void)
{
	return __atomic_load_n(&notw_family_generation, __ATOMIC_ACQUIRE);
}

/* A fork has happened since a descriptor of generation birth was born. */
static inline bool notw_family_forked_since(uint32_t birth)
{
	return notw_family_gen() != birth;
}

/* A child forked since birth still holds the file of fd (kcmp) under the
 * same number or as one of its standard descriptors: it will disarm the
 * socket at its own last close. */
bool notw_family_child_holds(int fd, uint32_t birth);

/* The process this one was fork()ed from holds the file of fd under the
 * same number (kcmp); false, with no system call, in a process that was not
 * forked by one running the library. */
bool notw_family_parent_holds(int fd);

/* The fork handlers: prepare (before the fork system call), and after it
 * in the parent (with the child's pid, from the fork() hook) and the
 * child. */
void notw_family_prepare_fork(void);
void notw_family_parent_forked(pid_t child);
void notw_family_child_forked(void);

/* This process's pid, kept current across fork() without a system call. */
pid_t notw_family_pid(void);
void notw_family_set_pid(pid_t pid);

#endif
