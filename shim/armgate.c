/* The arming gate (armgate.h; shim/linger-protocol.md, rules A to F). */
#include "armgate.h"

#include "log.h"

#include <sched.h>
#include <time.h>

__attribute__((visibility("hidden"))) uint32_t notw_armgate_started;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_in_flight;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_arming;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_stops;
__attribute__((visibility("hidden"))) __thread unsigned notw_armgate_own_sections
	__attribute__((tls_model("initial-exec")));
/* A wait gave up: later ones return at once. */
static uint32_t gave_up;

/* A section is two loads and one setsockopt() system call; the wait is
 * bounded so that a thread stopped inside one (by a signal handler that
 * does not return to it, or jumps out of it on another thread) cannot
 * hold up an exit for ever. */
#define WAIT_LIMIT_NS (200 * 1000 * 1000L)

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* the vDSO: async-signal-safe */
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/* A section outlived the bound: it may never end (its thread jumped out
 * of it), and one that does may arm after a walk. Arming stops for good
 * (what is armed stays in the table and is disarmed as usual, and a
 * section that arms late sees the stop and takes it off again); waiting
 * again would cost every later close, fork and exit the bound. */
static void give_up_waiting(void)
{
	__atomic_or_fetch(&notw_armgate_stops, NOTW_ARMGATE_FOR_GOOD, __ATOMIC_SEQ_CST);
	if (__atomic_exchange_n(&gave_up, 1u, __ATOMIC_SEQ_CST) == 0)
		notw_log(NOTW_LEVEL_WARN,
			 "zero linger switched off for this process: a thread stayed inside the library's arming of a connection for over %ld ms (stopped, or a signal handler jumped out of accept()); connections armed so far are disarmed at their closes as usual",
			 WAIT_LIMIT_NS / 1000000L);
}

void notw_armgate_wait_for_others(void)
{
	uint32_t own = notw_armgate_own_sections;
	if (__atomic_load_n(&gave_up, __ATOMIC_RELAXED) != 0)
		return;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(&notw_armgate_arming, __ATOMIC_SEQ_CST) > own) {
		if (elapsed_ns(&start) >= WAIT_LIMIT_NS) {
			give_up_waiting();
			return;
		}
		sched_yield();
	}
}

void notw_armgate_stop(void)
{
	__atomic_or_fetch(&notw_armgate_stops, NOTW_ARMGATE_FOR_GOOD, __ATOMIC_SEQ_CST);
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

/* in_flight goes up before started: notw_armgate_birth() reads started,
 * then in_flight, so a birth that takes the new started sees the fork
 * under way. The other order lets a birth read between the two take the
 * new started with no fork under way, and the fork then copies the
 * descriptor before the table says armed (the model's mutant
 * protocol-started-before-in-flight). */
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
 * threads goes on in it, and none of its one thread's is counted (a signal
 * handler that forked inside one returns into it in the child and leaves
 * it uncounted; one it jumped out of is not carried over). */
void notw_armgate_fork_child(void)
{
	__atomic_store_n(&notw_armgate_in_flight, 0u, __ATOMIC_SEQ_CST);
	__atomic_store_n(&notw_armgate_arming, 0u, __ATOMIC_SEQ_CST);
	__atomic_and_fetch(&notw_armgate_stops, NOTW_ARMGATE_FOR_GOOD, __ATOMIC_SEQ_CST);
	notw_armgate_own_sections = 0;
}
