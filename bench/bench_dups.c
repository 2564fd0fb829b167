/* What duplicated connections cost, and whether it grows with their
 * number: K loopback connections are made in this process, the accepted
 * end of each dup()ed; then, timed, a setsockopt(SO_LINGER {0,0}) on each
 * duplicate (unless --close-only), and the close of both descriptors of
 * each (duplicate first).
 *
 *   bench_dups --conns K [--port P] [--close-only]
 *
 * Prints "<ns> ns/conn setsockopt <ns> ns/conn close": per connection,
 * over all K. Run by scripts/bench in a network namespace of its own. */
#include "bench_common.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

static int listen_on(int port)
{
	struct sockaddr_in a;
	int one = 1;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((uint16_t)port);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4096) != 0) {
		fprintf(stderr, "bench_dups: listen on %d: %s\n", port, strerror(errno));
		exit(1);
	}
	return l;
}

int main(int argc, char **argv)
{
	unsigned long k = 2000, port = 49310;
	int close_only = 0;
	for (int i = 1; i < argc; i += 2) {
		if (strcmp(argv[i], "--close-only") == 0) {
			close_only = 1;
			i--;
		} else if (i + 1 >= argc)
			bench_usage("bench_dups", " --conns K [--port P] [--close-only]");
		else if (strcmp(argv[i], "--conns") == 0)
			k = bench_parse_ulong("bench_dups", "--conns", argv[i + 1], 1, 100000);
		else if (strcmp(argv[i], "--port") == 0)
			port = bench_parse_ulong("bench_dups", "--port", argv[i + 1], 1, 65535);
		else
			bench_usage("bench_dups", " --conns K [--port P] [--close-only]");
	}
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rl.rlim_cur = 3 * k + 64) > rl.rlim_max ||
	    setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "bench_dups: RLIMIT_NOFILE: %s\n", strerror(errno));
		return 1;
	}
	int *conn = calloc(k, sizeof *conn), *copy = calloc(k, sizeof *copy), *client = calloc(k, sizeof *client);
	if (conn == NULL || copy == NULL || client == NULL)
		return 1;
	int l = listen_on((int)port);
	struct sockaddr_in a;
	socklen_t alen = sizeof a;
	getsockname(l, (struct sockaddr *)&a, &alen);
	for (unsigned long i = 0; i < k; i++) {
		client[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (client[i] < 0 || connect(client[i], (struct sockaddr *)&a, alen) != 0 ||
		    (conn[i] = accept(l, NULL, NULL)) < 0 || (copy[i] = dup(conn[i])) < 0) {
			fprintf(stderr, "bench_dups: connection %lu: %s\n", i, strerror(errno));
			return 1;
		}
	}
	const struct linger off = { 0, 0 };
	uint64_t t0 = bench_now_ns();
	for (unsigned long i = 0; i < k && !close_only; i++)
		if (setsockopt(copy[i], SOL_SOCKET, SO_LINGER, &off, sizeof off) != 0)
			return 1;
	uint64_t t1 = bench_now_ns();
	for (unsigned long i = 0; i < k; i++)
		if (close(copy[i]) != 0 || close(conn[i]) != 0)
			return 1;
	uint64_t t2 = bench_now_ns();
	printf("%.1f ns/conn setsockopt %.1f ns/conn close\n", (double)(t1 - t0) / (double)k,
	       (double)(t2 - t1) / (double)k);
	for (unsigned long i = 0; i < k; i++)
		close(client[i]);
	return 0;
}
