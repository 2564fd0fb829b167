/* Shared helpers for the overhead benchmarks: the clock, option parsing,
 * timing in batches, and the one-line result each program prints.
 *
 * Nothing here links against libnotw: scripts/bench preloads the library
 * (or not) around the same binaries.
 *
 * Why batches: on a virtual machine the speed of the whole guest changes
 * in phases that last from milliseconds to seconds (other guests, the
 * host), by 30 % and more, while the overhead to measure is a few
 * percent at most. Noise of that kind only ever adds time, so each
 * program times its work in batches and reports the fastest batch, per
 * operation: what the code path costs when nothing interferes. The mean
 * over all batches is printed too, for reference. */
#ifndef NOTW_BENCH_COMMON_H
#define NOTW_BENCH_COMMON_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;
	if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
		fprintf(stderr, "clock_gettime(CLOCK_MONOTONIC): %s\n", strerror(errno));
		exit(1);
	}
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A decimal number from min to max, or exit with a usage error. */
static inline unsigned long bench_parse_ulong(const char *prog, const char *opt, const char *s,
					      unsigned long min, unsigned long max)
{
	char *end = NULL;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (s[0] < '0' || s[0] > '9' || errno != 0 || end == s || *end != '\0' || v < min ||
	    v > max) {
		fprintf(stderr, "%s: %s: expected a number from %lu to %lu, got '%s'\n", prog, opt,
			min, max, s);
		exit(2);
	}
	return v;
}

/* The work is n operations cut into batches; batch b has this many. */
static inline unsigned long bench_batch_size(unsigned long n, unsigned long batches,
					     unsigned long b)
{
	return n / batches + (b < n % batches ? 1u : 0u);
}

struct bench_timing {
	double best;          /* ns per operation in the fastest batch */
	uint64_t total_ns;    /* all batches */
	unsigned long ops;    /* all batches */
	unsigned long batches;
};

static inline void bench_timing_init(struct bench_timing *t)
{
	t->best = -1.0;
	t->total_ns = 0;
	t->ops = 0;
	t->batches = 0;
}

static inline void bench_timing_add(struct bench_timing *t, unsigned long ops, uint64_t ns,
				    int verbose)
{
	double per = (double)ns / (double)ops;
	if (t->best < 0.0 || per < t->best)
		t->best = per;
	t->total_ns += ns;
	t->ops += ops;
	t->batches++;
	if (verbose)
		fprintf(stderr, "batch %lu: %lu ops, %.3f ns/op\n", t->batches, ops, per);
}

/* "<best> ns/<unit> (fastest of <b> batches; mean <m> ns/<unit> over <n>
 * <unit>s)": scripts/bench reads the first field. */
static inline void bench_report(const struct bench_timing *t, const char *unit)
{
	if (printf("%.3f ns/%s (fastest of %lu batches; mean %.3f ns/%s over %lu %ss)\n", t->best,
		   unit, t->batches, (double)t->total_ns / (double)t->ops, unit, t->ops, unit) < 0 ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "cannot write the result: %s\n", strerror(errno));
		exit(1);
	}
}

#endif
