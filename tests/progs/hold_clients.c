/* Connects N clients to HOST PORT and holds them open.
 *
 *   hold_clients HOST PORT N [SECONDS]
 *
 * Prints "connected N" once all are up. Closes each connection when the
 * server closes it (or dies); exits when all are closed or after SECONDS
 * (default 30), whichever comes first. */
#include <arpa/inet.h>
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

#define MAX_CLIENTS 1024

static int connect_one(const char *host, int port)
{
	struct sockaddr_storage ss;
	socklen_t len = progs_parse_address(host, port, &ss);
	if (len == 0)
		return -1;
	int fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: hold_clients HOST PORT N [SECONDS]\n");
		return 2;
	}
	int port = atoi(argv[2]), n = atoi(argv[3]);
	int seconds = argc > 4 ? atoi(argv[4]) : 30;
	if (n <= 0 || n > MAX_CLIENTS)
		return 2;
	struct pollfd pfd[MAX_CLIENTS];
	for (int i = 0; i < n; i++) {
		pfd[i].fd = connect_one(argv[1], port);
		pfd[i].events = POLLIN;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "hold_clients: connect %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	printf("connected %d\n", n);
	fflush(stdout);
	time_t deadline = time(NULL) + seconds;
	int open_count = n;
	while (open_count > 0 && time(NULL) < deadline) {
		if (poll(pfd, (nfds_t)n, 200) < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || (pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			char buf[4096];
			if (read(pfd[i].fd, buf, sizeof buf) <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_count--;
			}
		}
	}
	return 0;
}
