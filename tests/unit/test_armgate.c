/* Unit tests for shim/armgate.c, the arming gate of
 * shim/linger-protocol.md: births, the fork counters, stop and pause, and
 * the wait that pairs each fork and walk with the arming sections of other
 * threads. */
#define _GNU_SOURCE
#include "armgate.h"

#include <check.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_alone_until_a_fork_begins)
{
	uint32_t birth = notw_armgate_birth();
	ck_assert(notw_armgate_alone_since(birth));
	ck_assert(notw_armgate_may_arm(birth));
	notw_armgate_fork_begin();
	ck_assert(!notw_armgate_alone_since(birth));
	/* born while the fork is under way: never armed, even after it */
	uint32_t during = notw_armgate_birth();
	ck_assert(!notw_armgate_may_arm(during));
	notw_armgate_fork_parent();
	ck_assert(!notw_armgate_may_arm(during));
	ck_assert(!notw_armgate_may_arm(birth));
	uint32_t after = notw_armgate_birth();
	ck_assert(notw_armgate_may_arm(after));
}
END_TEST

START_TEST(test_vfork_exec_ends_every_earlier_birth)
{
	uint32_t birth = notw_armgate_birth();
	notw_armgate_vfork_exec();
	ck_assert(!notw_armgate_may_arm(birth));
	ck_assert(notw_armgate_may_arm(notw_armgate_birth()));
}
END_TEST

START_TEST(test_exec_pauses_and_resumes)
{
	uint32_t birth = notw_armgate_birth();
	notw_armgate_pause();
	ck_assert(notw_armgate_stopped());
	ck_assert(!notw_armgate_may_arm(birth));
	notw_armgate_resume();
	ck_assert(!notw_armgate_stopped());
	ck_assert(notw_armgate_may_arm(birth));
}
END_TEST

/* A fork begun while another thread is inside an arming section returns
 * only once that section is over: the child's copy of memory is then
 * taken after the arm. */
static volatile int section_over;
static pthread_barrier_t in_section;

static void *slow_section(void *arg)
{
	(void)arg;
	notw_armgate_enter();
	pthread_barrier_wait(&in_section);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	section_over = 1;
	notw_armgate_leave();
	return NULL;
}

START_TEST(test_fork_waits_for_another_threads_section)
{
	pthread_t t;
	pthread_barrier_init(&in_section, NULL, 2);
	section_over = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, slow_section, NULL), 0);
	pthread_barrier_wait(&in_section);
	notw_armgate_fork_begin();
	ck_assert_int_eq(section_over, 1);
	notw_armgate_fork_parent();
	pthread_join(t, NULL);
	pthread_barrier_destroy(&in_section);
}
END_TEST

/* A signal handler that exits while its own thread is inside a section
 * must not wait for itself. */
START_TEST(test_wait_skips_own_section)
{
	struct timespec t0, t1;
	notw_armgate_enter();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	notw_armgate_wait();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	notw_armgate_leave();
	long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	ck_assert_int_lt(us, 500);
}
END_TEST

/* A section this thread left without leaving (a signal handler jumped
 * out of it) is its own: it never waits for it, in the sections after it
 * neither. */
START_TEST(test_wait_skips_own_section_jumped_out_of)
{
	struct timespec t0, t1;
	notw_armgate_enter(); /* never left */
	notw_armgate_enter();
	notw_armgate_leave();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	notw_armgate_wait();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
	ck_assert_int_lt(us, 500);
	ck_assert(notw_armgate_may_arm(notw_armgate_birth()));
}
END_TEST

static void *enter_and_end(void *arg)
{
	(void)arg;
	notw_armgate_enter(); /* the thread ends inside it */
	return NULL;
}

static long wait_us(void)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	notw_armgate_wait();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
}

/* Another thread's section that never ends: one wait reaches the bound,
 * arming stops for good, and no later wait costs anything. */
START_TEST(test_wait_gives_up_once)
{
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, enter_and_end, NULL), 0);
	pthread_join(t, NULL);
	ck_assert(!notw_armgate_stopped());
	ck_assert_int_ge(wait_us(), 150 * 1000);
	ck_assert(notw_armgate_stopped());
	ck_assert(!notw_armgate_may_arm(notw_armgate_birth()));
	for (int i = 0; i < 10; i++)
		ck_assert_int_lt(wait_us(), 500);
}
END_TEST

static void *time_a_wait(void *arg)
{
	*(long *)arg = wait_us();
	return NULL;
}

/* A signal handler that forks while its thread is inside a section: the
 * child's thread finishes that section when the handler returns. Its
 * count must come out even: no wait of another thread (a thread the child
 * starts) for a section that is over. */
START_TEST(test_child_of_a_fork_inside_a_section)
{
	notw_armgate_enter();
	notw_armgate_fork_begin(); /* the handler's fork */
	notw_armgate_fork_child();
	notw_armgate_leave(); /* the handler returned, the section ends */
	ck_assert(!notw_armgate_stopped());
	pthread_t t;
	long us = -1;
	ck_assert_int_eq(pthread_create(&t, NULL, time_a_wait, &us), 0);
	pthread_join(t, NULL);
	ck_assert_int_lt(us, 500);
	ck_assert(!notw_armgate_stopped());
}
END_TEST

/* The forked child starts with no fork or section under way. */
START_TEST(test_child_starts_clear)
{
	notw_armgate_fork_begin();
	notw_armgate_enter();
	notw_armgate_fork_child();
	ck_assert(notw_armgate_may_arm(notw_armgate_birth()));
}
END_TEST

START_TEST(test_stop_is_for_good)
{
	notw_armgate_pause(); /* an exec under way */
	notw_armgate_stop();
	notw_armgate_stop(); /* a second exit path adds nothing */
	ck_assert(notw_armgate_stopped());
	ck_assert(!notw_armgate_may_arm(notw_armgate_birth()));
	notw_armgate_resume(); /* the exec's resume does not undo the exit */
	ck_assert(notw_armgate_stopped());
	notw_armgate_fork_child(); /* nor does a child's start */
	ck_assert(notw_armgate_stopped());
}
END_TEST

/* A birth read while a fork begins on another thread: either it is one
 * that fork moves started away from, or it sees the fork under way. Of the
 * fork's two increments, a birth read between them must not take the new
 * started for a fork not under way (the fork then copies the descriptor
 * before the table says armed, and the birth still says alone). Thread
 * "forker" runs fork_begin, marks its fork point, fork_parent; the main
 * thread reads a birth, the fork points passed, and later both again: a
 * fork point after the birth with the birth still alone is the race. */
static uint32_t fork_points;
static int stop_forking;

static void *forker(void *arg)
{
	(void)arg;
	while (!__atomic_load_n(&stop_forking, __ATOMIC_RELAXED)) {
		notw_armgate_fork_begin();
		__atomic_add_fetch(&fork_points, 1u, __ATOMIC_SEQ_CST);
		notw_armgate_fork_parent();
		/* a gap between forks, in which a birth can be seen alone */
		for (int spin = 0; spin < 200; spin++)
			__asm__ volatile("" ::: "memory");
	}
	return NULL;
}

START_TEST(test_birth_never_misses_a_fork_under_way)
{
	pthread_t t;
	__atomic_store_n(&stop_forking, 0, __ATOMIC_RELAXED);
	ck_assert_int_eq(pthread_create(&t, NULL, forker, NULL), 0);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long missed = 0, tries = 0;
	for (; tries < 50L * 1000 * 1000; tries++) {
		uint32_t birth = notw_armgate_birth();
		uint32_t before = __atomic_load_n(&fork_points, __ATOMIC_SEQ_CST);
		for (int spin = 0; spin < 50; spin++)
			__asm__ volatile("" ::: "memory");
		uint32_t after = __atomic_load_n(&fork_points, __ATOMIC_SEQ_CST);
		bool alone = notw_armgate_alone_since(birth);
		if (alone && after != before)
			missed++;
		if ((tries & 0xfff) == 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec >= 3)
				break;
		}
	}
	__atomic_store_n(&stop_forking, 1, __ATOMIC_RELAXED);
	pthread_join(t, NULL);
	ck_assert_msg(missed == 0, "%ld of %ld births missed a fork under way", missed, tries);
}
END_TEST

static Suite *armgate_suite(void)
{
	Suite *s = suite_create("armgate");
	TCase *tc = tcase_create("armgate");
	/* each test in a process of its own (Check forks): the gate is
	 * process-wide state */
	tcase_add_test(tc, test_alone_until_a_fork_begins);
	tcase_add_test(tc, test_vfork_exec_ends_every_earlier_birth);
	tcase_add_test(tc, test_exec_pauses_and_resumes);
	tcase_add_test(tc, test_fork_waits_for_another_threads_section);
	tcase_add_test(tc, test_wait_skips_own_section);
	tcase_add_test(tc, test_wait_skips_own_section_jumped_out_of);
	tcase_add_test(tc, test_wait_gives_up_once);
	tcase_add_test(tc, test_child_of_a_fork_inside_a_section);
	tcase_add_test(tc, test_child_starts_clear);
	tcase_add_test(tc, test_stop_is_for_good);
	tcase_add_test(tc, test_birth_never_misses_a_fork_under_way);
	tcase_set_timeout(tc, 20);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(armgate_suite());
	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
