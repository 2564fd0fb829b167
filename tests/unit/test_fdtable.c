/* Unit tests for core/fdtable.c: the per-descriptor state table.
 *
 * The table is process-global. Check forks a child per test by default,
 * but with CK_FORK=no all tests share one table, so every test uses its
 * own descriptors and its own chunks. */
#include "fdtable.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* helpers                                                              */

/* The first descriptor of chunk c. */
static int chunk_base(unsigned c)
{
	return (int)(NOTW_FD_DIRECT + c * NOTW_FD_CHUNK_SIZE);
}

static unsigned chunk_of(int fd)
{
	return ((unsigned)fd - NOTW_FD_DIRECT) >> NOTW_FD_CHUNK_SHIFT;
}

static bool chunk_mapped(unsigned c)
{
	return __atomic_load_n(&notw_fd_chunks[c], __ATOMIC_ACQUIRE) != NULL;
}

/* set, get, add, replace, forget on one descriptor. */
static void exercise_fd(int fd)
{
	ck_assert_msg(notw_fd_get(fd) == 0, "fd %d not clear at start", fd);
	ck_assert(notw_fd_set(fd, NOTW_FD_TCP | NOTW_FD_LISTENER));
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_TCP | NOTW_FD_LISTENER);
	notw_fd_add(fd, NOTW_FD_MANAGED);
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_TCP | NOTW_FD_LISTENER | NOTW_FD_MANAGED);
	notw_fd_add(fd, NOTW_FD_TCP); /* already there */
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_TCP | NOTW_FD_LISTENER | NOTW_FD_MANAGED);
	/* set replaces, it does not add */
	ck_assert(notw_fd_set(fd, NOTW_FD_V6));
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_V6);
	ck_assert(notw_fd_set(fd, UINT32_MAX));
	ck_assert_uint_eq(notw_fd_get(fd), UINT32_MAX);
	ck_assert(notw_fd_set(fd, 0));
	ck_assert_uint_eq(notw_fd_get(fd), 0);
}

/* ------------------------------------------------------------------ */
/* single-threaded                                                      */

START_TEST(test_direct_fds)
{
	static const int fds[] = { 0, 1, 2, 3, 100, 511, 1022, 1023 };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		exercise_fd(fds[i]);

	/* Neighbours are independent. */
	ck_assert(notw_fd_set(200, NOTW_FD_TCP));
	ck_assert(notw_fd_set(202, NOTW_FD_V6));
	ck_assert_uint_eq(notw_fd_get(199), 0);
	ck_assert_uint_eq(notw_fd_get(200), NOTW_FD_TCP);
	ck_assert_uint_eq(notw_fd_get(201), 0);
	ck_assert_uint_eq(notw_fd_get(202), NOTW_FD_V6);
	ck_assert_uint_eq(notw_fd_get(203), 0);
	ck_assert(notw_fd_set(200, 0));
	ck_assert(notw_fd_set(202, 0));
}
END_TEST

START_TEST(test_high_chunk)
{
	const int fd = 100000;
	const unsigned c = chunk_of(fd);
	ck_assert_uint_eq(c, (100000u - NOTW_FD_DIRECT) / NOTW_FD_CHUNK_SIZE);
	ck_assert_uint_eq(notw_fd_get(fd), 0);
	exercise_fd(fd);
	ck_assert(chunk_mapped(c));
	/* Other descriptors of the same chunk and of the neighbour chunks. */
	ck_assert(notw_fd_set(fd, NOTW_FD_INTERNAL));
	ck_assert_uint_eq(notw_fd_get(fd - 1), 0);
	ck_assert_uint_eq(notw_fd_get(fd + 1), 0);
	ck_assert_uint_eq(notw_fd_get(chunk_base(c)), 0);
	ck_assert_uint_eq(notw_fd_get(chunk_base(c + 1) - 1), 0);
	ck_assert_uint_eq(notw_fd_get(chunk_base(c + 1)), 0);
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_INTERNAL);
	ck_assert(notw_fd_set(fd, 0));
}
END_TEST

START_TEST(test_chunk_boundaries)
{
	/* 1024 is the first descriptor of chunk 0; chunk 0 ends at 1024+4095. */
	static const int fds[] = { 1024, 1025, 1024 + 4095, 1024 + 4096, 1024 + 2 * 4096 - 1 };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		exercise_fd(fds[i]);
	ck_assert_uint_eq(chunk_of(1024 + 4095), 0);
	ck_assert_uint_eq(chunk_of(1024 + 4096), 1);

	ck_assert(notw_fd_set(1023, NOTW_FD_TCP));
	ck_assert(notw_fd_set(1024, NOTW_FD_V6));
	ck_assert(notw_fd_set(1024 + 4095, NOTW_FD_LISTENER));
	ck_assert(notw_fd_set(1024 + 4096, NOTW_FD_REUSEADDR));
	ck_assert_uint_eq(notw_fd_get(1023), NOTW_FD_TCP);
	ck_assert_uint_eq(notw_fd_get(1024), NOTW_FD_V6);
	ck_assert_uint_eq(notw_fd_get(1024 + 4095), NOTW_FD_LISTENER);
	ck_assert_uint_eq(notw_fd_get(1024 + 4096), NOTW_FD_REUSEADDR);
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		ck_assert(notw_fd_set(fds[i], 0));
	ck_assert(notw_fd_set(1023, 0));
}
END_TEST

START_TEST(test_last_fd)
{
	const int fd = (int)NOTW_FD_LIMIT - 1;
	ck_assert_uint_eq(chunk_of(fd), NOTW_FD_CHUNKS - 1);
	exercise_fd(fd);
	ck_assert(chunk_mapped(NOTW_FD_CHUNKS - 1));
	notw_fd_add(fd, NOTW_FD_REUSEADDR);
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_REUSEADDR);
	ck_assert_uint_eq(notw_fd_get(fd - 1), 0);
	ck_assert(notw_fd_set(fd, 0));
}
END_TEST

/* At or above NOTW_FD_LIMIT, or negative: ignored, get returns 0. The
 * return value of set(fd, 0) for these is not checked: the header says
 * false for an fd out of range, the code returns true (nothing to forget). */
START_TEST(test_out_of_range)
{
	static const int fds[] = {
		(int)NOTW_FD_LIMIT, (int)NOTW_FD_LIMIT + 1, (int)NOTW_FD_LIMIT + 4096, INT_MAX,
		-1, -2, -1024, INT_MIN,
	};
	uint32_t *before[NOTW_FD_CHUNKS];
	memcpy(before, notw_fd_chunks, sizeof before);
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
		int fd = fds[i];
		ck_assert_uint_eq(notw_fd_get(fd), 0);
		ck_assert_msg(!notw_fd_set(fd, NOTW_FD_TCP), "set(%d) accepted", fd);
		ck_assert_uint_eq(notw_fd_get(fd), 0);
		notw_fd_add(fd, NOTW_FD_MANAGED);
		ck_assert_uint_eq(notw_fd_get(fd), 0);
		(void)notw_fd_set(fd, 0);
		ck_assert_uint_eq(notw_fd_get(fd), 0);
	}
	/* ... and no chunk got mapped, nothing was written anywhere. */
	ck_assert(memcmp(before, notw_fd_chunks, sizeof before) == 0);
	ck_assert_uint_eq(notw_fd_get((int)NOTW_FD_LIMIT - 1), 0);
	ck_assert_uint_eq(notw_fd_get(0), 0);
}
END_TEST

START_TEST(test_clear_does_not_map)
{
	const unsigned c = 500;
	const int fd = chunk_base(c) + 7;
	ck_assert(!chunk_mapped(c));
	ck_assert(notw_fd_set(fd, 0));
	ck_assert(!chunk_mapped(c));
	ck_assert_uint_eq(notw_fd_get(fd), 0);
	ck_assert(!chunk_mapped(c));
	/* ... while a non-zero set does. */
	ck_assert(notw_fd_set(fd, NOTW_FD_TCP));
	ck_assert(chunk_mapped(c));
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_TCP);
	ck_assert(notw_fd_set(fd, 0));
	ck_assert(chunk_mapped(c)); /* chunks are never freed */
}
END_TEST

START_TEST(test_add_maps_chunk)
{
	const unsigned c = 510;
	const int fd = chunk_base(c) + 4095;
	ck_assert(!chunk_mapped(c));
	notw_fd_add(fd, NOTW_FD_LISTENER);
	ck_assert(chunk_mapped(c));
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_LISTENER);
	notw_fd_add(fd, NOTW_FD_MANAGED);
	ck_assert_uint_eq(notw_fd_get(fd), NOTW_FD_LISTENER | NOTW_FD_MANAGED);
	ck_assert(notw_fd_set(fd, 0));
}
END_TEST

START_TEST(test_errno_kept)
{
	const unsigned c = 600;
	ck_assert(!chunk_mapped(c));
	errno = EADDRINUSE;
	ck_assert(notw_fd_set(chunk_base(c) + 1, NOTW_FD_TCP));
	ck_assert_int_eq(errno, EADDRINUSE);
	ck_assert(chunk_mapped(c));

	ck_assert(!chunk_mapped(c + 1));
	errno = 0;
	notw_fd_add(chunk_base(c + 1), NOTW_FD_TCP);
	ck_assert_int_eq(errno, 0);
	ck_assert(chunk_mapped(c + 1));

	ck_assert(!chunk_mapped(c + 2));
	errno = ECONNREFUSED;
	ck_assert(notw_fd_set(chunk_base(c + 2) + 5, 0)); /* no mapping */
	ck_assert_int_eq(errno, ECONNREFUSED);
	errno = EINTR;
	ck_assert_uint_eq(notw_fd_get(chunk_base(c + 2) + 5), 0);
	ck_assert_int_eq(errno, EINTR);

	ck_assert(notw_fd_set(chunk_base(c) + 1, 0));
	ck_assert(notw_fd_set(chunk_base(c + 1), 0));
}
END_TEST

/* ------------------------------------------------------------------ */
/* multi-threaded                                                       */

#define N_THREADS 8
#define FIRST_RACE_CHUNK 700u
#define RACE_ROUNDS 64u
#define RACE_ITERS 4

static pthread_barrier_t race_barrier;

struct racer {
	pthread_t thread;
	unsigned id;
	unsigned long errors;
};

/* The value thread t leaves in slot i (never 0). */
static uint32_t race_value(unsigned t, unsigned i)
{
	return (uint32_t)(i << 8) | (t + 1u);
}

/* The slots from SHARED_SLOT to the end of each chunk are shared: every
 * thread adds its own bits to each of them (one bit per pass, so a lost
 * update stays lost), all in the same order, so the read-modify-writes
 * collide. The slots below SHARED_SLOT are split between the threads. */
#define SHARED_SLOT (NOTW_FD_CHUNK_SIZE - 1024u)
#define SHARED_PASSES (32 / N_THREADS)

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	const unsigned t = r->id;
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		const int base = chunk_base(FIRST_RACE_CHUNK + round);
		/* Start together so the threads race to map the fresh chunk. */
		pthread_barrier_wait(&race_barrier);
		for (unsigned pass = 0; pass < SHARED_PASSES; pass++)
			for (unsigned i = SHARED_SLOT; i < NOTW_FD_CHUNK_SIZE; i++)
				notw_fd_add(base + (int)i, 1u << (t + pass * N_THREADS));
		for (int iter = 0; iter < RACE_ITERS; iter++) {
			for (unsigned i = t; i < SHARED_SLOT; i += N_THREADS) {
				int fd = base + (int)i;
				if (!notw_fd_set(fd, race_value(t, i)))
					r->errors++;
				notw_fd_add(fd, 0x80000000u);
				if (notw_fd_get(fd) != (race_value(t, i) | 0x80000000u))
					r->errors++;
				/* Odd groups end cleared, even groups set. */
				if (iter == RACE_ITERS - 1 && (i / N_THREADS) % 2u == 1u) {
					if (!notw_fd_set(fd, 0))
						r->errors++;
				}
				/* A neighbour's slot holds 0 or one of the neighbour's values. */
				unsigned j = i - t + (t + 1u) % N_THREADS;
				if (j < SHARED_SLOT) {
					uint32_t v = notw_fd_get(base + (int)j);
					if (v != 0 && (v & 0xffu) != (t + 1u) % N_THREADS + 1u)
						r->errors++;
				}
			}
		}
	}
	return NULL;
}

START_TEST(test_threads_no_lost_update)
{
	struct racer racers[N_THREADS];
	for (unsigned c = FIRST_RACE_CHUNK; c < FIRST_RACE_CHUNK + RACE_ROUNDS; c++)
		ck_assert(!chunk_mapped(c));
	ck_assert_int_eq(pthread_barrier_init(&race_barrier, NULL, N_THREADS), 0);
	for (unsigned t = 0; t < N_THREADS; t++) {
		racers[t].id = t;
		racers[t].errors = 0;
		ck_assert_int_eq(pthread_create(&racers[t].thread, NULL, racer_main, &racers[t]), 0);
	}
	for (unsigned t = 0; t < N_THREADS; t++)
		ck_assert_int_eq(pthread_join(racers[t].thread, NULL), 0);
	pthread_barrier_destroy(&race_barrier);

	for (unsigned t = 0; t < N_THREADS; t++)
		ck_assert_msg(racers[t].errors == 0, "thread %u saw %lu errors", t, racers[t].errors);

	unsigned long lost = 0;
	for (unsigned round = 0; round < RACE_ROUNDS; round++) {
		const unsigned c = FIRST_RACE_CHUNK + round;
		const int base = chunk_base(c);
		ck_assert(chunk_mapped(c));
		for (unsigned i = SHARED_SLOT; i < NOTW_FD_CHUNK_SIZE; i++)
			ck_assert_msg(notw_fd_get(base + (int)i) == UINT32_MAX,
				      "chunk %u: shared slot %u holds 0x%x", c, i,
				      notw_fd_get(base + (int)i));
		for (unsigned i = 0; i < SHARED_SLOT; i++) {
			unsigned t = i % N_THREADS;
			uint32_t want = (i / N_THREADS) % 2u == 1u ? 0 : race_value(t, i) | 0x80000000u;
			if (notw_fd_get(base + (int)i) != want)
				lost++;
		}
	}
	ck_assert_msg(lost == 0, "%lu descriptors hold the wrong state", lost);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *fdtable_suite(void)
{
	Suite *s = suite_create("fdtable");
	TCase *tc;

	tc = tcase_create("single");
	tcase_add_test(tc, test_direct_fds);
	tcase_add_test(tc, test_high_chunk);
	tcase_add_test(tc, test_chunk_boundaries);
	tcase_add_test(tc, test_last_fd);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_clear_does_not_map);
	tcase_add_test(tc, test_add_maps_chunk);
	tcase_add_test(tc, test_errno_kept);
	suite_add_tcase(s, tc);

	tc = tcase_create("threads");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_threads_no_lost_update);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fdtable_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
