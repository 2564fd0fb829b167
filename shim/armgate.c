/* The arming gate (armgate.h; shim/linger-protocol.md, rules A to F). */
#include "armgate.h"

#include <sched.h>
#include <time.h>

__attribute__((visibility("hidden"))) uint32_t notw_armgate_started;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_in_flight;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_arming;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_stops;
__attribute__((visibility("hidden"))) __thread unsigned char notw_armgate_in_section
	__attribute__((tls_model("initial-exec")));

/* A section is two loads and one setsockopt() system call; the wait is
 * bounded so that a thread stopped inside one (by a signal handler that
 * does not return to it) cannot hold up an exit for ever. */
#define WAIT_LIMIT_NS (200 * 1000 * 1000L)

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* the vDSO: async-signal-safe */
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

void notw_armgate_wait_slow(void)
{
	uint32_t own = notw_armgate_in_section;
	if (__atomic_load_n(&notw_armgate_arming, __ATOMIC_SEQ_CST) <= own)
		return;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(&notw_armgate_arming, __ATOMIC_SEQ_CST) > own && elapsed_ns(&start) < WAIT_LIMIT_NS)
		sched_yield();
}

/* Once: a second exit path (a signal handler's _exit() during exit())
 * adds nothing. */
void notw_armgate_stop(void)
{
	uint32_t old = __atomic_load_n(&notw_armgate_stops, __ATOMIC_SEQ_CST);
	while ((old & NOTW_ARMGATE_FOR_GOOD) == 0 &&
	       !__atomic_compare_exchange_n(&notw_armgate_stops, &old, old | NOTW_ARMGATE_FOR_GOOD, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	notw_armgate_wait();
}

void notw_armgate_pause(void)
{
	__atomic_add_fetch(&notw_armgate_stops, 1u, __ATOMIC_SEQ_CST);
	notw_armgate_wait();
}

void notw_armgate_resume(void)
{
	__atomic_sub_fetch(&notw_armgate_stops, 1u, __ATOMIC_SEQ_CST);
}

void notw_armgate_vfork_exec(void)
{
	__atomic_add_fetch(&notw_armgate_started, 1u, __ATOMIC_SEQ_CST);
	notw_armgate_wait();
}

/* in_flight before started (see armgate.h). */
void notw_armgate_fork_begin(void)
{
	__atomic_add_fetch(&notw_armgate_in_flight, 1u, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&notw_armgate_started, 1u, __ATOMIC_SEQ_CST);
	notw_armgate_wait();
}

void notw_armgate_fork_parent(void)
{
	__atomic_sub_fetch(&notw_armgate_in_flight, 1u, __ATOMIC_SEQ_CST);
}

/* The child's memory is a copy: no fork or section of the parent's other
 * threads goes on in it. */
void notw_armgate_fork_child(void)
{
	__atomic_store_n(&notw_armgate_in_flight, 0u, __ATOMIC_SEQ_CST);
	__atomic_store_n(&notw_armgate_arming, 0u, __ATOMIC_SEQ_CST);
	/* the parent's execs under way are not the child's; its exit is */
	__atomic_and_fetch(&notw_armgate_stops, NOTW_ARMGATE_FOR_GOOD, __ATOMIC_SEQ_CST);
	notw_armgate_in_section = 0;
}
