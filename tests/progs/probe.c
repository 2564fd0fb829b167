/* Small checks of what a program sees, run with and without the library.
 *
 *   probe errno PORT           errno and return values of the hooked calls
 *   probe reuse KIND PORT      bind a KIND socket (tcp4 tcp6 udp4 udp6) to
 *                              PORT (0 = ephemeral), print the kernel's
 *                              SO_REUSEADDR
 *   probe live PORT            a second bind while a listener holds PORT
 *   probe fd2 FILE PORT        close stderr, reopen FILE as fd 2, then bind
 *   probe closeall PORT        close() every descriptor from 3 up, then bind
 *   probe closerange FILE PORT close_range() from 3 up (not through close()),
 *                              open FILE (reusing those numbers), then bind
 *   probe binds N PORT         N binds of fresh sockets to PORT, PORT+1, ...
 *   probe refused N PORT       N binds of fresh sockets to PORT (which a live
 *                              listener holds): prints "refused R of N"
 *   probe bind-then-listen PORT SECONDS
 *                              bind, print "bound", wait, then listen: a
 *                              second instance starting at the same time
 *   probe env NAME             print the environment variable NAME
 *   probe timed-bind PORT      one bind of a fresh socket: prints its result
 *                              and how long bind() took, in microseconds
 *   probe stdout-closed PORT   bind, then write to fd 1 (closed by the
 *                              caller): exit 0 if that fails with EBADF
 *
 * Output depends only on what the calls return, so it is the same with and
 * without the library unless the library changed something visible. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void expect(int cond, const char *what)
{
	printf("%s: %s\n", what, cond ? "ok" : "FAILED");
	if (!cond)
		failures++;
}

static socklen_t make_addr(struct sockaddr_storage *ss, int family, int port, int loopback)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = loopback ? in6addr_loopback : in6addr_any;
		a->sin6_port = htons((uint16_t)port);
		return sizeof *a;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(loopback ? INADDR_LOOPBACK : INADDR_ANY);
	a->sin_port = htons((uint16_t)port);
	return sizeof *a;
}

static int bind_port(int fd, int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, family, port, 0);
	return bind(fd, (struct sockaddr *)&ss, len);
}

#define SENTINEL 4242

static int probe_errno(int port)
{
	struct sockaddr_storage ss;
	errno = SENTINEL;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	expect(l >= 0 && errno == SENTINEL, "socket keeps errno");
	expect(bind_port(l, AF_INET, port) == 0 && errno == SENTINEL, "bind keeps errno");
	expect(listen(l, 16) == 0 && errno == SENTINEL, "listen keeps errno");
	for (int round = 0; round < 2; round++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		socklen_t len = make_addr(&ss, AF_INET, port, 1);
		expect(connect(c, (struct sockaddr *)&ss, len) == 0, "connect");
		errno = SENTINEL;
		int a = round == 0 ? accept(l, NULL, NULL) : accept4(l, NULL, NULL, SOCK_CLOEXEC);
		expect(a >= 0 && errno == SENTINEL, round == 0 ? "accept keeps errno" : "accept4 keeps errno");
		expect(close(a) == 0 && errno == SENTINEL, "close of a connection keeps errno");
		expect(close(c) == 0 && errno == SENTINEL, "close of a client keeps errno");
	}
	expect(close(l) == 0 && errno == SENTINEL, "close of a listener keeps errno");
	errno = 0;
	expect(close(-1) == -1 && errno == EBADF, "close(-1) fails with EBADF");
	errno = 0;
	expect(close(1000000) == -1 && errno == EBADF, "close(1000000) fails with EBADF");
	errno = 0;
	expect(bind(-1, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 && errno == EBADF,
	       "bind(-1) fails with EBADF");
	int f = open("/dev/null", O_RDONLY);
	errno = 0;
	expect(bind(f, (struct sockaddr *)&ss, sizeof(struct sockaddr_in)) == -1 && errno == ENOTSOCK,
	       "bind on a file fails with ENOTSOCK");
	errno = SENTINEL;
	expect(close(f) == 0 && errno == SENTINEL, "close of a file keeps errno");
	errno = 0;
	expect(accept(-5, NULL, NULL) == -1 && errno == EBADF, "accept(-5) fails with EBADF");
	/* Skipped under valgrind, which reports the bad pointer itself. */
	if (getenv("PROBE_SKIP_EFAULT") != NULL)
		return failures != 0;
	int t = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	expect(bind(t, (const struct sockaddr *)(uintptr_t)16, sizeof(struct sockaddr_in)) == -1 &&
		       errno == EFAULT,
	       "bind with a bad address pointer fails with EFAULT");
	errno = 0;
	expect(connect(t, (const struct sockaddr *)(uintptr_t)16, sizeof(struct sockaddr_in)) == -1 &&
		       errno == EFAULT,
	       "connect with a bad address pointer fails with EFAULT");
	close(t);
	return failures != 0;
}

static int probe_reuse(const char *kind, int port)
{
	int family = strstr(kind, "6") != NULL ? AF_INET6 : AF_INET;
	int type = strncmp(kind, "udp", 3) == 0 ? SOCK_DGRAM : SOCK_STREAM;
	int fd = socket(family, type, 0);
	struct sockaddr_storage ss;
	socklen_t len = make_addr(&ss, family, port, 0);
	/* "unspec": a zeroed address whose family was never set, which the
	 * kernel takes as INADDR_ANY on an AF_INET socket. */
	if (strcmp(kind, "unspec") == 0)
		ss.ss_family = AF_UNSPEC;
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) != 0) {
		printf("bind: %s\n", strerror(errno));
		return 1;
	}
	/* The kernel's own value: a raw system call, not getsockopt(), which
	 * shows the program's view under the library. */
	int v = -1;
	socklen_t vlen = sizeof v;
	syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &v, &vlen);
	printf("SO_REUSEADDR=%d\n", v);
	close(fd);
	return 0;
}

static int probe_live(int port)
{
	int a = socket(AF_INET, SOCK_STREAM, 0);
	if (bind_port(a, AF_INET, port) != 0 || listen(a, 4) != 0) {
		printf("first bind: %s\n", strerror(errno));
		return 1;
	}
	int b = socket(AF_INET, SOCK_STREAM, 0);
	errno = 0;
	int rc = bind_port(b, AF_INET, port);
	printf("second bind: %s\n", rc == 0 ? "succeeded" : (errno == EADDRINUSE ? "EADDRINUSE" : strerror(errno)));
	return rc == 0 || errno != EADDRINUSE;
}

static int bind_and_close(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int rc = bind_port(fd, AF_INET, port);
	close(fd);
	return rc;
}

static int probe_fd2(const char *file, int port)
{
	close(2);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd != 2) {
		printf("reopen as fd 2: got %d\n", fd);
		return 1;
	}
	printf("bind: %s\n", bind_and_close(port) == 0 ? "ok" : strerror(errno));
	return 0;
}

static int probe_closeall(int port)
{
	for (int fd = 3; fd < 1024; fd++)
		close(fd);
	printf("bind: %s\n", bind_and_close(port) == 0 ? "ok" : strerror(errno));
	return 0;
}

static int probe_closerange(const char *file, int port)
{
	/* close_range does not pass through close(): the library's own log
	 * descriptor disappears behind its back and its number is reused. */
	syscall(SYS_close_range, 3u, ~0u, 0u);
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	printf("file fd: %s\n", fd == 3 ? "3" : "other");
	printf("bind: %s\n", bind_and_close(port) == 0 ? "ok" : strerror(errno));
	close(fd);
	return 0;
}

static int probe_binds(int n, int port)
{
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		bind_port(fd, AF_INET, port + i);
		close(fd);
	}
	return 0;
}

static int probe_refused(int n, int port)
{
	int refused = 0;
	for (int i = 0; i < n; i++)
		refused += bind_and_close(port) != 0 && errno == EADDRINUSE;
	printf("refused %d of %d\n", refused, n);
	return refused != n;
}

static int probe_bind_then_listen(int port, int seconds)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind_port(fd, AF_INET, port) != 0) {
		printf("bind: %s\n", errno == EADDRINUSE ? "EADDRINUSE" : strerror(errno));
		return 1;
	}
	printf("bound\n");
	fflush(stdout);
	sleep((unsigned)seconds);
	int rc = listen(fd, 4);
	printf("listen: %s\n", rc == 0 ? "ok" : (errno == EADDRINUSE ? "EADDRINUSE" : strerror(errno)));
	return rc != 0;
}

static int probe_stdout_closed(int port)
{
	bind_and_close(port);
	errno = 0;
	ssize_t n = write(1, "program-data\n", 13);
	return n == -1 && errno == EBADF ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "errno") == 0)
		return probe_errno(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "reuse") == 0)
		return probe_reuse(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "live") == 0)
		return probe_live(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "fd2") == 0)
		return probe_fd2(argv[2], atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "closeall") == 0)
		return probe_closeall(atoi(argv[2]));
	if (argc >= 4 && strcmp(argv[1], "closerange") == 0)
		return probe_closerange(argv[2], atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "binds") == 0)
		return probe_binds(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 4 && strcmp(argv[1], "refused") == 0)
		return probe_refused(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "timed-bind") == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = bind_port(fd, AF_INET, atoi(argv[2]));
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000L;
		printf("bind %s %ld us\n", rc == 0 ? "ok" : strerror(errno), us);
		return rc != 0;
	}
	if (argc >= 3 && strcmp(argv[1], "env") == 0) {
		const char *v = getenv(argv[2]);
		printf("%s\n", v != NULL ? v : "");
		return 0;
	}
	if (argc >= 4 && strcmp(argv[1], "bind-then-listen") == 0)
		return probe_bind_then_listen(atoi(argv[2]), atoi(argv[3]));
	if (argc >= 3 && strcmp(argv[1], "stdout-closed") == 0)
		return probe_stdout_closed(atoi(argv[2]));
	fprintf(stderr, "usage: see the comment at the top of probe.c\n");
	return 2;
}
