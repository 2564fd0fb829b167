/* A bulk transfer to a slow client, for the tests of bind() recovery with
 * leftovers that still carry data.
 *
 *   bulk serve PORT BYTES     listen on 0.0.0.0:PORT (no SO_REUSEADDR),
 *                             accept one connection, write BYTES of a known
 *                             pattern, close it gracefully and exit 0;
 *                             prints "listening PORT", then "closed BYTES"
 *   bulk read PORT PAUSE_MS KB_PER_S SECONDS
 *                             connect to 127.0.0.1:PORT with a small receive
 *                             buffer, print "connected", wait PAUSE_MS, then
 *                             read at about KB_PER_S until EOF, an error or
 *                             SECONDS; prints "bytes N eof|reset|error|timeout
 *                             intact|corrupt" (the pattern checked byte by
 *                             byte)
 *   bulk dump PORT SECONDS    connect to 127.0.0.1:PORT and copy what arrives
 *                             to stdout until EOF, an error or SECONDS
 *   bulk client PORT          connect to 127.0.0.1:PORT, print "local EPHEMERAL",
 *                             close first (this end keeps the TIME-WAIT
 *                             socket, on its ephemeral port) and exit
 *
 * It knows nothing of notw. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"

#define CHUNK 16384

static unsigned char pattern_at(unsigned long long i)
{
	return (unsigned char)((i * 131u + (i >> 12)) & 0xffu);
}

static int serve(int port, unsigned long long bytes)
{
	struct sockaddr_in a = progs_loopback(port);
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) {
		perror("bulk: listen");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("bulk: accept");
		return 1;
	}
	unsigned char buf[CHUNK];
	for (unsigned long long sent = 0; sent < bytes;) {
		size_t n = bytes - sent < CHUNK ? (size_t)(bytes - sent) : CHUNK;
		for (size_t k = 0; k < n; k++)
			buf[k] = pattern_at(sent + k);
		ssize_t w = write(c, buf, n);
		if (w <= 0) {
			perror("bulk: write");
			return 1;
		}
		sent += (unsigned long long)w;
	}
	close(c);
	close(l);
	printf("closed %llu\n", bytes);
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&t, &t) != 0 && errno == EINTR)
		;
}

static int slow_read(int port, long pause_ms, long kb_per_s, int seconds)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int small = 32768;
	/* Before connect(): the window the server sees stays small, so most
	 * of what it writes waits in its own send queue. */
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("bulk: connect");
		return 1;
	}
	printf("connected\n");
	fflush(stdout);
	sleep_ms(pause_ms);
	unsigned long long total = 0;
	int intact = 1;
	const char *end = "timeout";
	time_t deadline = time(NULL) + seconds;
	long per_tick = kb_per_s * 1024 / 10; /* what ten ticks a second take */
	long budget = per_tick;
	if (per_tick < 1)
		per_tick = budget = 1;
	while (time(NULL) < deadline) {
		if (budget <= 0) {
			sleep_ms(100);
			budget = per_tick;
		}
		struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		unsigned char buf[CHUNK];
		ssize_t n = read(fd, buf, (size_t)(budget < CHUNK ? budget : CHUNK));
		if (n > 0) {
			for (ssize_t k = 0; k < n; k++)
				intact &= buf[k] == pattern_at(total + (unsigned long long)k);
			total += (unsigned long long)n;
			budget -= n;
			continue;
		}
		end = n == 0 ? "eof" : (errno == ECONNRESET ? "reset" : "error");
		break;
	}
	printf("bytes %llu %s %s\n", total, end, intact ? "intact" : "corrupt");
	return 0;
}

static int dump(int port, int seconds)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("bulk: connect");
		return 1;
	}
	time_t deadline = time(NULL) + seconds;
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			break;
		fwrite(buf, 1, (size_t)n, stdout);
	}
	return 0;
}

static int client_closes_first(int port)
{
	struct sockaddr_in a = progs_loopback(port), local;
	socklen_t len = sizeof local;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&local, &len) != 0) {
		perror("bulk: connect");
		return 1;
	}
	printf("local %d\n", ntohs(local.sin_port));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(atoi(argv[2]), strtoull(argv[3], NULL, 10));
	if (argc == 6 && strcmp(argv[1], "read") == 0)
		return slow_read(atoi(argv[2]), atol(argv[3]), atol(argv[4]), atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "dump") == 0)
		return dump(atoi(argv[2]), atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "client") == 0)
		return client_closes_first(atoi(argv[2]));
	fprintf(stderr, "usage: bulk serve PORT BYTES | bulk read PORT PAUSE_MS KB_PER_S SECONDS | bulk dump PORT SECONDS | bulk client PORT\n");
	return 2;
}
