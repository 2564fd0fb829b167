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

/* n calls; every one must fail with EBADF, or the measurement is not what
 * it claims to be. */
static void run(unsigned long n, void *ctx)
{
	unsigned long bad = 0;
	(void)ctx;
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
	struct bench_options o = BENCH_CALL_OPTIONS;
	if (argc > 0)
		prog = argv[0];
	bench_take_all_options(prog, argc, argv, &o);
	bench_measure(&o, run, NULL, "call");
	return 0;
}
