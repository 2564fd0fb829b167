/* Cost of close() on a descriptor that is not open: close(-1), which fails
 * with EBADF. With libnotw preloaded this is the hook's fast path (one
 * table lookup, then the real close), measured against libc alone.
 *
 *   bench_close [--iterations N] [--batches B] [--warmup N] [--verbose]
 *
 * Prints "<ns> ns/call (...)", the fastest batch (see bench_common.h), on
 * stdout; exits non-zero on any failure. */
#include "bench_common.h"

#include <unistd.h>

static const char *prog = "bench_close";

static void usage(void)
{
	fprintf(stderr, "usage: %s [--iterations N] [--batches B] [--warmup N] [--verbose]\n",
		prog);
	exit(2);
}

/* n calls; every one must fail with EBADF, or the measurement is not what
 * it claims to be. */
static void run(unsigned long n)
{
	unsigned long bad = 0;
	for (unsigned long i = 0; i < n; i++) {
		errno = 0;
		if (close(-1) != -1 || errno != EBADF)
			bad++;
	}
	if (bad != 0) {
		fprintf(stderr, "%s: %lu of %lu close(-1) calls did not fail with EBADF\n", prog,
			bad, n);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	unsigned long iterations = 1000000, batches = 100, warmup = 10000;
	int verbose = 0;
	if (argc > 0)
		prog = argv[0];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0) {
			verbose = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--iterations") == 0)
			iterations = bench_parse_ulong(prog, argv[i], argv[i + 1], 1, 1000000000ul);
		else if (strcmp(argv[i], "--batches") == 0)
			batches = bench_parse_ulong(prog, argv[i], argv[i + 1], 1, 100000ul);
		else if (strcmp(argv[i], "--warmup") == 0)
			warmup = bench_parse_ulong(prog, argv[i], argv[i + 1], 0, 1000000000ul);
		else
			usage();
		i++;
	}
	if (batches > iterations)
		batches = iterations;

	/* Binds the PLT entry and warms the caches and the branch predictors. */
	run(warmup);
	struct bench_timing t;
	bench_timing_init(&t);
	for (unsigned long b = 0; b < batches; b++) {
		unsigned long n = bench_batch_size(iterations, batches, b);
		uint64_t t0 = bench_now_ns();
		run(n);
		bench_timing_add(&t, n, bench_now_ns() - t0, verbose);
	}
	bench_report(&t, "call");
	return 0;
}
