/* Shared helpers for the overhead benchmarks: the clock, the common
 * options, timing in batches, and the one-line result each program prints.
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

/* The options every benchmark takes: --iterations N, --batches B,
 * --warmup N (operations before timing starts), --verbose. */
struct bench_options {
	unsigned long iterations, batches, warmup;
	unsigned long max_iterations; /* bound of --iterations and --warmup */
	int verbose;
};

/* The defaults of the programs that time one call: 100 batches of 10,000. */
#define BENCH_CALL_OPTIONS                                                     \
	{ .iterations = 1000000, .batches = 100, .warmup = 10000,              \
	  .max_iterations = 1000000000ul, .verbose = 0 }

/* The usage line: the common options, then the program's own (own_usage,
 * "" for none); exits with status 2. */
__attribute__((noreturn)) static inline void bench_usage(const char *prog, const char *own_usage)
{
	fprintf(stderr, "usage: %s [--iterations N] [--batches B] [--warmup N] [--verbose]%s\n", prog,
		own_usage);
	exit(2);
}

/* When argv[*i] is one of the common options, takes it (and its value,
 * moving *i past it) and returns 1; otherwise returns 0. A value that is
 * missing is a usage error. */
static inline int bench_take_option(const char *prog, int argc, char **argv, int *i,
				    struct bench_options *o, const char *own_usage)
{
	const char *opt = argv[*i];
	unsigned long *value, min = 1, max = o->max_iterations;
	if (strcmp(opt, "--verbose") == 0) {
		o->verbose = 1;
		return 1;
	}
	if (strcmp(opt, "--iterations") == 0) {
		value = &o->iterations;
	} else if (strcmp(opt, "--batches") == 0) {
		value = &o->batches;
		max = 100000ul;
	} else if (strcmp(opt, "--warmup") == 0) {
		value = &o->warmup;
		min = 0;
	} else {
		return 0;
	}
	if (*i + 1 >= argc)
		bench_usage(prog, own_usage);
	*value = bench_parse_ulong(prog, opt, argv[*i + 1], min, max);
	(*i)++;
	return 1;
}

/* For a program with no options of its own: all of argv, or a usage error. */
static inline void bench_take_all_options(const char *prog, int argc, char **argv,
					  struct bench_options *o)
{
	for (int i = 1; i < argc; i++)
		if (!bench_take_option(prog, argc, argv, &i, o, ""))
			bench_usage(prog, "");
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

/* Runs the warm-up, then o->iterations operations in o->batches timed
 * batches (run(n, ctx) does n of them), and prints the result per unit. */
static inline void bench_measure(const struct bench_options *o,
				 void (*run)(unsigned long n, void *ctx), void *ctx,
				 const char *unit)
{
	unsigned long batches = o->batches > o->iterations ? o->iterations : o->batches;
	/* Binds the PLT entries and warms the caches and the branch predictors. */
	run(o->warmup, ctx);
	struct bench_timing t;
	bench_timing_init(&t);
	for (unsigned long b = 0; b < batches; b++) {
		unsigned long n = bench_batch_size(o->iterations, batches, b);
		uint64_t t0 = bench_now_ns();
		run(n, ctx);
		bench_timing_add(&t, n, bench_now_ns() - t0, o->verbose);
	}
	bench_report(&t, unit);
}

#endif
