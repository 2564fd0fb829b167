/* Unit tests for shim/holders.c (which descriptors of this process refer to
 * one socket), on real descriptors. The fail-safe property under test: a
 * record may only ever err towards "no other holder". */
#define _GNU_SOURCE
#include "fdtable.h"
#include "holders.h"

#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* fd and its record, as the dup hook leaves them. */
static int dup_tracked(int fd)
{
	int copy = dup(fd);
	ck_assert_int_ge(copy, 0);
	unsigned rec = notw_holders_join(fd, copy);
	notw_fd_set_aux(copy, notw_aux_make(notw_aux_birth(notw_fd_aux(fd)), rec));
	notw_fd_set(copy, notw_fd_get(fd));
	return copy;
}

/* What the close hook does before the real close (shim/linger-protocol.md,
 * rule C): mark, look for another holder, forget, leave the record. */
static bool leave_and_close(int fd)
{
	unsigned rec = notw_aux_record(notw_fd_aux(fd));
	notw_fd_mark_sc(fd, NOTW_FD_CLOSING);
	bool other = rec != 0 && notw_holders_other_open(fd, rec);
	notw_fd_forget_sc(fd, notw_fd_aux(fd));
	if (rec != 0)
		notw_holders_leave(fd, rec);
	close(fd);
	return other;
}

static int new_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	notw_fd_set(fd, NOTW_FD_TCP);
	return fd;
}

START_TEST(test_last_holder_is_found)
{
	int a = new_socket();
	int b = dup_tracked(a);
	int c = dup_tracked(b);
	ck_assert_uint_ne(notw_aux_record(notw_fd_aux(a)), 0);
	ck_assert_uint_eq(notw_aux_record(notw_fd_aux(a)), notw_aux_record(notw_fd_aux(c)));
	ck_assert(leave_and_close(b));
	ck_assert(leave_and_close(a));
	ck_assert(!leave_and_close(c));
}
END_TEST

/* A duplicate closed behind the library's back never counts. */
START_TEST(test_missed_close_never_keeps_it)
{
	int a = new_socket();
	int b = dup_tracked(a);
	syscall(SYS_close, b);
	ck_assert(!leave_and_close(a));
}
END_TEST

/* ... nor does its number reused for another socket. */
START_TEST(test_reused_number_never_keeps_it)
{
	int a = new_socket();
	int b = dup_tracked(a);
	syscall(SYS_close, b);
	int other = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(other, b);
	ck_assert(!leave_and_close(a));
	close(other);
}
END_TEST

START_TEST(test_more_than_the_record_holds)
{
	int fds[NOTW_HOLDERS_MAX + 1];
	fds[0] = new_socket();
	for (int i = 1; i < NOTW_HOLDERS_MAX; i++)
		fds[i] = dup_tracked(fds[0]);
	int extra = dup(fds[0]);
	ck_assert_uint_eq(notw_holders_join(fds[0], extra), 0);
	/* the extra one is on its own: its close "disarms" (answers no
	 * other holder), which only ever makes the library disarm early */
	ck_assert(!leave_and_close(extra));
	for (int i = 0; i < NOTW_HOLDERS_MAX - 1; i++)
		ck_assert(leave_and_close(fds[i]));
	ck_assert(!leave_and_close(fds[NOTW_HOLDERS_MAX - 1]));
}
END_TEST

START_TEST(test_options_reach_every_duplicate)
{
	int a = new_socket();
	int b = dup_tracked(a);
	notw_holders_update_socket(b, NOTW_FD_ARMED, 0);
	ck_assert_uint_eq(notw_fd_get(a) & NOTW_FD_ARMED, NOTW_FD_ARMED);
	notw_holders_update_socket(a, 0, NOTW_FD_ARMED);
	ck_assert_uint_eq(notw_fd_get(b) & NOTW_FD_ARMED, 0);
	leave_and_close(a);
	leave_and_close(b);
}
END_TEST

/* Two threads close the two descriptors of a socket at once: at least one
 * of them must find no other holder (else the socket stays armed). */
#define RACE_PAIRS 2000
static int race_a[RACE_PAIRS], race_b[RACE_PAIRS];
static bool race_other_a[RACE_PAIRS], race_other_b[RACE_PAIRS];
static pthread_barrier_t race_barrier;

static void *close_side(void *arg)
{
	bool first = arg != NULL;
	for (int i = 0; i < RACE_PAIRS; i++) {
		pthread_barrier_wait(&race_barrier);
		if (first)
			race_other_a[i] = leave_and_close(race_a[i]);
		else
			race_other_b[i] = leave_and_close(race_b[i]);
	}
	return NULL;
}

START_TEST(test_two_threads_never_both_keep_it)
{
	for (int i = 0; i < RACE_PAIRS; i++) {
		race_a[i] = new_socket();
		race_b[i] = dup_tracked(race_a[i]);
	}
	pthread_t t1, t2;
	pthread_barrier_init(&race_barrier, NULL, 2);
	static int first_side;
	pthread_create(&t1, NULL, close_side, &first_side);
	pthread_create(&t2, NULL, close_side, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	pthread_barrier_destroy(&race_barrier);
	int both = 0;
	for (int i = 0; i < RACE_PAIRS; i++)
		both += race_other_a[i] && race_other_b[i];
	ck_assert_int_eq(both, 0);
}
END_TEST

static Suite *holders_suite(void)
{
	Suite *s = suite_create("holders");
	TCase *tc = tcase_create("holders");
	tcase_add_test(tc, test_last_holder_is_found);
	tcase_add_test(tc, test_missed_close_never_keeps_it);
	tcase_add_test(tc, test_reused_number_never_keeps_it);
	tcase_add_test(tc, test_more_than_the_record_holds);
	tcase_add_test(tc, test_options_reach_every_duplicate);
	tcase_add_test(tc, test_two_threads_never_both_keep_it);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(holders_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
