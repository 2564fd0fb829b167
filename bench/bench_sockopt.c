/* Cost of setsockopt(SO_LINGER, {0, 0}) on an unconnected TCP socket: the
 * kind of call zero linger adds per connection (one per accepted
 * connection, two per outgoing one), measured without the library, and the
 * hook that notes a program's own SO_LINGER (with it). scripts/bench sets
 * the zero-linger churn's added time beside this price; the churn's calls
 * arm ({1, 0}) and disarm connected sockets, so the price is an estimate.
 *
 *   bench_sockopt [--iterations N] [--batches B] [--warmup N] [--verbose]
 *
 * Prints "<ns> ns/call (...)", the fastest batch (see bench_common.h), on
 * stdout; exits non-zero on any failure. */
#include "bench_common.h"

#include <sys/socket.h>
#include <unistd.h>

static const char *prog = "bench_sockopt";

/* n calls on the socket *ctx; every one must succeed. */
static void run(unsigned long n, void *ctx)
{
	const int fd = *(const int *)ctx;
	const struct linger off = { .l_onoff = 0, .l_linger = 0 };
	for (unsigned long i = 0; i < n; i++) {
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof off) != 0) {
			fprintf(stderr, "%s: setsockopt(SO_LINGER): %s\n", prog, strerror(errno));
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	struct bench_options o = BENCH_CALL_OPTIONS;
	if (argc > 0)
		prog = argv[0];
	bench_take_all_options(prog, argc, argv, &o);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(errno));
		return 1;
	}
	bench_measure(&o, run, &fd, "call");
	close(fd);
	return 0;
}
