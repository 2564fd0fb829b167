/* The arming gate (armgate.h; shim/linger-protocol.md, rules A to F). */
#include "armgate.h"

#include <sched.h>
#include <time.h>

__attribute__((visibility("hidden"))) uint32_t notw_armgate_started;
__attribute__((visibility("hidden"))) uint32_t notw_armgate_in_flight;
/* Threads inside an arming section. */
static uint32_t arming;
/* Exit or the safety net began (for good); execs under way. */
static uint32_t stopped_for_good;
static uint32_t execs;
/* This thread is inside a section: a signal handler on it that exits or
 * forks must not wait for itself. */
static __thread unsigned char in_section __attribute__((tls_model("initial-exec")));

/* A section is two loads and one setsockopt() system call; the wait is
 * bounded so that a thread stopped inside one (by a signal handler that
 * does not return to it) cannot hold up an exit for ever. */
#define WAIT_LIMIT_NS (200 * 1000 * 1000L)

void notw_armgate_enter(void)
{
	in_section = 1;
	__atomic_add_fetch(&arming, 1u, __ATOMIC_SEQ_CST);
}

bool notw_armgate_stopped(void)
{
	return __atomic_load_n(&stopped_for_good, __ATOMIC_SEQ_CST) != 0 ||
	       __atomic_load_n(&execs, __ATOMIC_SEQ_CST) != 0;
}

bool notw_armgate_may_arm(uint32_t birth)
{
	return !notw_armgate_stopped() && notw_armgate_alone_since(birth);
}

void notw_armgate_leave(void)
{
	__atomic_sub_fetch(&arming, 1u, __ATOMIC_SEQ_CST);
	in_section = 0;
}

static long elapsed_ns(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* the vDSO: async-signal-safe */
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

void notw_armgate_wait(void)
{
	uint32_t own = in_section;
	if (__builtin_expect(__atomic_load_n(&arming, __ATOMIC_SEQ_CST) <= own, 1))
		return;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (__atomic_load_n(&arming, __ATOMIC_SEQ_CST) > own && elapsed_ns(&start) < WAIT_LIMIT_NS)
		sched_yield();
}

void notw_armgate_stop(void)
{
	__atomic_store_n(&stopped_for_good, 1u, __ATOMIC_SEQ_CST);
	notw_armgate_wait();
}

void notw_armgate_pause(void)
{
	__atomic_add_fetch(&execs, 1u, __ATOMIC_SEQ_CST);
	notw_armgate_wait();
}

void notw_armgate_resume(void)
{
	__atomic_sub_fetch(&execs, 1u, __ATOMIC_SEQ_CST);
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
 * threads goes on in it. */
void notw_armgate_fork_child(void)
{
	__atomic_store_n(&notw_armgate_in_flight, 0u, __ATOMIC_SEQ_CST);
	__atomic_store_n(&arming, 0u, __ATOMIC_SEQ_CST);
	__atomic_store_n(&execs, 0u, __ATOMIC_SEQ_CST);
	in_section = 0;
}
