/* Cost of bind() on a TCP socket, for notw attach: scripts/bench-attach runs
 * it in a cgroup with the bind programs attached and in one without. Each
 * operation is socket(), bind() to 0.0.0.0:PORT, close() (never listening,
 * the socket leaves nothing behind); only the bind() is timed (the clock
 * read on either side of it, the same in both runs), because socket() and
 * close() cost several times more and vary more than the bind() itself;
 * --cycle times the whole cycle instead.
 *
 *   bench_bind [--iterations N] [--batches B] [--warmup N] [--verbose]
 *              [--port PORT] [--cycle]
 *
 * Prints "<ns> ns/bind (...)" or "<ns> ns/cycle (...)", the fastest batch
 * (see bench_common.h), on stdout; exits non-zero on any failure. */
#include "bench_common.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "bench_bind";
static const char *own_usage = " [--port PORT] [--cycle]";

/* One socket, bound and closed; returns the bind()'s nanoseconds. */
static uint64_t one_bind(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		exit(1);
	}
	uint64_t t0 = bench_now_ns();
	if (bind(fd, (const struct sockaddr *)addr, sizeof *addr) != 0) {
		fprintf(stderr, "%s: bind: %s\n", prog, strerror(errno));
		exit(1);
	}
	uint64_t ns = bench_now_ns() - t0;
	close(fd);
	return ns;
}

static void run_cycles(unsigned long n, void *ctx)
{
	for (unsigned long i = 0; i < n; i++)
		one_bind(ctx);
}

/* bench_measure() for the bind() alone: the same batches, only the binds
 * timed. */
static void measure_binds(const struct bench_options *o, const struct sockaddr_in *addr)
{
	unsigned long batches = o->batches > o->iterations ? o->iterations : o->batches;
	struct bench_timing t;
	run_cycles(o->warmup, (void *)(uintptr_t)addr);
	bench_timing_init(&t);
	for (unsigned long b = 0; b < batches; b++) {
		unsigned long n = bench_batch_size(o->iterations, batches, b);
		uint64_t ns = 0;
		for (unsigned long i = 0; i < n; i++)
			ns += one_bind(addr);
		bench_timing_add(&t, n, ns, o->verbose);
	}
	bench_report(&t, "bind");
}

int main(int argc, char **argv)
{
	struct bench_options o = { .iterations = 200000, .batches = 100, .warmup = 10000,
				   .max_iterations = 1000000000ul, .verbose = 0 };
	struct sockaddr_in addr;
	unsigned long port = 49400;
	int cycle = 0;
	memset(&addr, 0, sizeof addr);
	if (argc > 0)
		prog = argv[0];
	for (int i = 1; i < argc; i++) {
		if (bench_take_option(prog, argc, argv, &i, &o, own_usage))
			continue;
		if (strcmp(argv[i], "--cycle") == 0)
			cycle = 1;
		else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
			port = bench_parse_ulong(prog, "--port", argv[++i], 1, 65535);
		else
			bench_usage(prog, own_usage);
	}
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_ANY);
	addr.sin_port = htons((uint16_t)port);
	if (cycle)
		bench_measure(&o, run_cycles, &addr, "cycle");
	else
		measure_binds(&o, &addr);
	return 0;
}
