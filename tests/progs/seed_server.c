/* The program the seed scenario is about: a TCP server that never sets
 * SO_REUSEADDR and, when its port is busy, quietly moves to the next one.
 *
 *   seed_server [-6] [--crash-after N] [--exit-after N] PORT
 *
 * Prints "listening PORT" once bound. Holds every accepted connection open
 * and echoes what it reads. --crash-after N dereferences NULL (a real
 * SIGSEGV) once N connections are accepted; --exit-after N returns from
 * main instead. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 256
#define PORT_TRIES 10

static int bind_first_free(int family, int port, int *bound_port)
{
	for (int p = port; p < port + PORT_TRIES && p <= 65535; p++) {
		int fd = socket(family, SOCK_STREAM, 0);
		if (fd < 0) {
			perror("socket");
			return -1;
		}
		int rc;
		if (family == AF_INET6) {
			struct sockaddr_in6 a;
			memset(&a, 0, sizeof a);
			a.sin6_family = AF_INET6;
			a.sin6_addr = in6addr_any;
			a.sin6_port = htons((uint16_t)p);
			rc = bind(fd, (struct sockaddr *)&a, sizeof a);
		} else {
			struct sockaddr_in a;
			memset(&a, 0, sizeof a);
			a.sin_family = AF_INET;
			a.sin_addr.s_addr = htonl(INADDR_ANY);
			a.sin_port = htons((uint16_t)p);
			rc = bind(fd, (struct sockaddr *)&a, sizeof a);
		}
		if (rc == 0) {
			*bound_port = p;
			return fd;
		}
		int err = errno;
		close(fd);
		if (err != EADDRINUSE) {
			fprintf(stderr, "bind %d: %s\n", p, strerror(err));
			return -1;
		}
		fprintf(stderr, "seed_server: port %d busy, trying the next\n", p);
	}
	return -1;
}

/* The crash is the point: a sanitizer build must let it happen. */
__attribute__((no_sanitize("undefined"))) static void crash_now(void)
{
	/* volatile pointer: the compiler may not remove the store or warn of it */
	volatile int *volatile nowhere = NULL;
	*nowhere = 1;
}

int main(int argc, char **argv)
{
	int family = AF_INET, crash_after = -1, exit_after = -1, port = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-6") == 0)
			family = AF_INET6;
		else if (strcmp(argv[i], "--crash-after") == 0 && i + 1 < argc)
			crash_after = atoi(argv[++i]);
		else if (strcmp(argv[i], "--exit-after") == 0 && i + 1 < argc)
			exit_after = atoi(argv[++i]);
		else
			port = atoi(argv[i]);
	}
	if (port <= 0) {
		fprintf(stderr, "usage: seed_server [-6] [--crash-after N] [--exit-after N] PORT\n");
		return 2;
	}
	int bound = 0;
	int lfd = bind_first_free(family, port, &bound);
	if (lfd < 0 || listen(lfd, 128) != 0)
		return 1;
	printf("listening %d\n", bound);
	fflush(stdout);

	struct pollfd pfd[MAX_CONNS + 1];
	int n = 1, accepted = 0;
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if ((pfd[0].revents & POLLIN) != 0 && n <= MAX_CONNS) {
			int c = accept(lfd, NULL, NULL);
			if (c >= 0) {
				pfd[n].fd = c;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				n++;
				accepted++;
				if (accepted == crash_after)
					crash_now();
				if (accepted == exit_after)
					return 0;
			}
		}
		for (int i = 1; i < n; i++) {
			if ((pfd[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
				continue;
			char buf[4096];
			ssize_t r = read(pfd[i].fd, buf, sizeof buf);
			if (r > 0) {
				if (write(pfd[i].fd, buf, (size_t)r) < 0)
					r = 0;
			}
			if (r <= 0) {
				close(pfd[i].fd);
				pfd[i] = pfd[n - 1];
				n--;
				i--;
			}
		}
	}
}
