/* The client side of the SO_LINGER tests: reports how each connection
 * ended, as the peer of a server sees it.
 *
 *   linger_client [options] HOST PORT
 *
 * default mode      each of T threads makes N connections one after the
 *                   other, and reads each until EOF or an error
 * --hold N          connect N at once, print "connected N", then read them
 *                   all until each ends (EOF or error)
 * --cycles N        N connect/close cycles; prints "cycles N failed F"
 * --threads T       (default mode) client threads (default 1)
 * --conns N         (default mode) connections per thread (default 1)
 * --delay-ms D      wait D ms after connecting before reading
 * --timeout S       give up after S seconds (default 20)
 * --keep            (--hold) do not close a connection that has ended: all
 *                   stay open until the timeout, after the summary (the
 *                   server's side of each then stays a FIN-WAIT-2 timewait
 *                   socket, which no segment from this side can disturb)
 * --report          (--hold) print the first connection's SO_LINGER as
 *                   "connected SO_LINGER ON SECS" before "connected N"
 *
 * Every connection that ends prints "bytes N eof", "bytes N reset"
 * (ECONNRESET) or "bytes N error ENAME"; at the end "summary conns=C eof=E
 * reset=R error=X open=O bytes=B" (open: still open at the timeout). The
 * client never sends anything. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_HOLD 1024

static struct sockaddr_in server;
static int conns = 1, delay_ms, timeout_s = 20, report, keep;
static time_t deadline;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long n_conns, n_eof, n_reset, n_error, n_open;
static long long n_bytes;

/* Records and prints how one connection ended: err 0 = EOF. */
static void ended(long long bytes, int err)
{
	pthread_mutex_lock(&lock);
	n_conns++;
	n_bytes += bytes;
	if (err == 0) {
		n_eof++;
		printf("bytes %lld eof\n", bytes);
	} else if (err == ECONNRESET) {
		n_reset++;
		printf("bytes %lld reset\n", bytes);
	} else {
		n_error++;
		printf("bytes %lld error %s\n", bytes, strerrorname_np(err) ? strerrorname_np(err) : "?");
	}
	pthread_mutex_unlock(&lock);
}

static int connect_one(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&server, sizeof server) != 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	return fd;
}

static void pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Reads fd until EOF or an error, bounded by the deadline; returns 0 (EOF)
 * or the error. */
static int read_all(int fd, long long *bytes)
{
	char sink[65536];
	for (;;) {
		long left = (long)(deadline - time(NULL));
		if (left <= 0)
			return ETIMEDOUT;
		struct timeval tv = { left, 0 };
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		ssize_t r = read(fd, sink, sizeof sink);
		if (r > 0)
			*bytes += r;
		else if (r == 0)
			return 0;
		else if (errno != EINTR)
			return errno == EAGAIN ? ETIMEDOUT : errno;
	}
}

static void *reader(void *arg)
{
	(void)arg;
	for (int i = 0; i < conns && time(NULL) < deadline; i++) {
		long long bytes = 0;
		int fd = connect_one();
		if (fd < 0) {
			ended(0, -fd);
			continue;
		}
		if (delay_ms > 0)
			pause_ms(delay_ms);
		int err = read_all(fd, &bytes);
		close(fd);
		ended(bytes, err);
	}
	return NULL;
}

static int hold(int n)
{
	static struct pollfd pfd[MAX_HOLD];
	static long long got[MAX_HOLD];
	static char buf[65536];
	for (int i = 0; i < n; i++) {
		pfd[i].fd = connect_one();
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "linger_client: connect %d: %s\n", i, strerror(-pfd[i].fd));
			return 1;
		}
	}
	if (report) {
		struct linger lg = { -1, -1 };
		socklen_t len = sizeof lg;
		if (getsockopt(pfd[0].fd, SOL_SOCKET, SO_LINGER, &lg, &len) != 0)
			lg.l_onoff = lg.l_linger = -1;
		printf("connected SO_LINGER %d %d\n", lg.l_onoff, lg.l_linger);
	}
	printf("connected %d\n", n);
	fflush(stdout);
	if (delay_ms > 0)
		pause_ms(delay_ms);
	int open_count = n;
	while (open_count > 0 && time(NULL) < deadline) {
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			ssize_t r = read(pfd[i].fd, buf, sizeof buf);
			if (r > 0) {
				got[i] += r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			ended(got[i], r == 0 ? 0 : errno);
			if (!keep)
				close(pfd[i].fd);
			pfd[i].fd = -1;
			open_count--;
		}
	}
	n_open = open_count;
	return 0;
}

/* --keep: the connections stay open until the deadline (or a signal). */
static void keep_open(void)
{
	fflush(stdout);
	while (time(NULL) < deadline)
		pause_ms(50);
}

static int cycles(int n)
{
	int failed = 0;
	for (int i = 0; i < n && time(NULL) < deadline; i++) {
		int fd = connect_one();
		if (fd < 0)
			failed++;
		else
			close(fd);
	}
	printf("cycles %d failed %d\n", n, failed);
	return failed != 0;
}

int main(int argc, char **argv)
{
	int threads = 1, hold_n = 0, cycles_n = 0;
	const char *host = NULL, *port = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int *opt = NULL;
		if (strcmp(a, "--report") == 0 || strcmp(a, "--keep") == 0) {
			*(a[2] == 'r' ? &report : &keep) = 1;
			continue;
		}
		if (strcmp(a, "--hold") == 0)
			opt = &hold_n;
		else if (strcmp(a, "--cycles") == 0)
			opt = &cycles_n;
		else if (strcmp(a, "--threads") == 0)
			opt = &threads;
		else if (strcmp(a, "--conns") == 0)
			opt = &conns;
		else if (strcmp(a, "--delay-ms") == 0)
			opt = &delay_ms;
		else if (strcmp(a, "--timeout") == 0)
			opt = &timeout_s;
		if (opt != NULL && i + 1 < argc)
			*opt = atoi(argv[++i]);
		else if (opt == NULL && host == NULL)
			host = a;
		else if (opt == NULL && port == NULL)
			port = a;
		else
			host = NULL, i = argc;
	}
	memset(&server, 0, sizeof server);
	server.sin_family = AF_INET;
	if (host == NULL || port == NULL || inet_pton(AF_INET, host, &server.sin_addr) != 1 ||
	    atoi(port) <= 0 || atoi(port) > 65535 || threads < 1 || threads > 64 || hold_n < 0 ||
	    hold_n > MAX_HOLD || timeout_s < 1) {
		fprintf(stderr, "usage: linger_client [--hold N | --cycles N | --threads T --conns N]\n"
				"  [--delay-ms D] [--timeout S] [--report] [--keep] HOST PORT\n");
		return 2;
	}
	server.sin_port = htons((uint16_t)atoi(port));
	deadline = time(NULL) + timeout_s;
	alarm((unsigned)timeout_s + 5); /* a last resort: no test hangs */

	int rc = 0;
	if (cycles_n > 0)
		return cycles(cycles_n);
	if (hold_n > 0) {
		rc = hold(hold_n);
	} else {
		pthread_t th[64];
		for (int t = 0; t < threads; t++) {
			if (pthread_create(&th[t], NULL, reader, NULL) != 0) {
				fprintf(stderr, "linger_client: pthread_create failed\n");
				return 1;
			}
		}
		for (int t = 0; t < threads; t++)
			pthread_join(th[t], NULL);
	}
	printf("summary conns=%ld eof=%ld reset=%ld error=%ld open=%ld bytes=%lld\n", n_conns, n_eof,
	       n_reset, n_error, n_open, n_bytes);
	if (keep)
		keep_open();
	fflush(stdout);
	return rc;
}
