/* Cost of close() on a descriptor that is not open: close(-1), which fails
 * with EBADF. With libnotw preloaded this is the hook's fast path (one
 * table lookup, then the real close), measured against libc alone.
 *
 * --setsockopt times setsockopt(SO_LINGER, {0, 0}) on an unconnected TCP
 * socket instead: the price of the one call zero linger adds per
 * connection (without the library), and of the hook that notes the
 * program's own SO_LINGER (with it).
 *
 *   bench_close [--iterations N] [--batches B] [--warmup N] [--setsockopt]
 *               [--verbose]
 *
 * Prints "<ns> ns/call (...)", the fastest batch (see bench_common.h), on
 * stdout; exits non-zero on any failure. */
#include "bench_common.h"

#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "bench_close";

static void usage(void)
{
	fprintf(stderr,
		"usage: %s [--iterations N] [--batches B] [--warmup N] [--setsockopt] [--verbose]\n",
		prog);
	exit(2);
}

/* n calls; every one must fail with EBADF, or the measurement is not what
 * it claims to be. */
static void run_close(unsigned long n)
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

/* n calls on fd; every one must succeed. */
static void run_setsockopt(int fd, unsigned long n)
{
	const struct linger off = { .l_onoff = 0, .l_linger = 0 };
	for (unsigned long i = 0; i < n; i++) {
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off) != 0) {
			fprintf(stderr, "%s: setsockopt(SO_LINGER): %s\n", prog, strerror(errno));
			exit(1);
		}
	}
}

/* fd < 0: close(-1); else setsockopt on fd. */
static void run(int fd, unsigned long n)
{
	if (fd < 0)
		run_close(n);
	else
		run_setsockopt(fd, n);
}

int main(int argc, char **argv)
{
	unsigned long iterations = 1000000, batches = 100, warmup = 10000;
	int verbose = 0, fd = -1;
	if (argc > 0)
		prog = argv[0];
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--verbose") == 0) {
			verbose = 1;
			continue;
		}
		if (strcmp(argv[i], "--setsockopt") == 0) {
			if (fd < 0)
				fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
				exit(1);
			}
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
	run(fd, warmup);
	struct bench_timing t;
	bench_timing_init(&t);
	for (unsigned long b = 0; b < batches; b++) {
		unsigned long n = bench_batch_size(iterations, batches, b);
		uint64_t t0 = bench_now_ns();
		run(fd, n);
		bench_timing_add(&t, n, bench_now_ns() - t0, verbose);
	}
	bench_report(&t, "call");
	return 0;
}
