/* The kind of server notw attach is for, built statically: it never sets
 * SO_REUSEADDR (unless told to) and, when its port is busy, quietly moves to
 * the next one. A preload library never loads into it.
 *
 *   drift_server [-6] [--raw-bind] [--udp] [--reuseaddr] [--exit] PORT
 *
 * --raw-bind binds with syscall(SYS_bind, ...) instead of bind(); --udp
 * binds a UDP socket instead; --reuseaddr sets SO_REUSEADDR itself first;
 * --exit exits once bound instead of serving. Prints "bound PORT reuseaddr
 * R" once bound (R: the socket's SO_REUSEADDR after bind(), the kernel's
 * word), then, for TCP, listens, holds every connection it accepts and
 * reads what comes until killed. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_CONNS 64
#define PORT_TRIES 10

struct options {
	int family, type, port;
	int raw_bind, reuseaddr, exit_when_bound;
};

static int bind_port(const struct options *o, int fd, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	if (o->family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_any;
		a->sin6_port = htons((uint16_t)port);
		len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_ANY);
		a->sin_port = htons((uint16_t)port);
		len = sizeof *a;
	}
	if (o->raw_bind)
		return (int)syscall(SYS_bind, fd, (struct sockaddr *)&ss, len);
	return bind(fd, (struct sockaddr *)&ss, len);
}

/* The first port from o->port on that binds; -1 when none does. */
static int bind_first_free(const struct options *o, int *bound)
{
	int one = 1;
	for (int p = o->port; p < o->port + PORT_TRIES && p <= 65535; p++) {
		int fd = socket(o->family, o->type, 0);
		if (fd < 0)
			return -1;
		if (o->reuseaddr)
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind_port(o, fd, p) == 0) {
			*bound = p;
			return fd;
		}
		int err = errno;
		close(fd);
		if (err != EADDRINUSE) {
			fprintf(stderr, "drift_server: bind %d: %s\n", p, strerror(err));
			return -1;
		}
		fprintf(stderr, "drift_server: port %d busy, trying the next\n", p);
		if (o->port == 0)
			break;
	}
	return -1;
}

static void serve(int lfd)
{
	struct pollfd pfd[MAX_CONNS + 1];
	int n = 1;
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	for (;;) {
		if (poll(pfd, (nfds_t)n, -1) < 0 && errno != EINTR)
			return;
		if ((pfd[0].revents & POLLIN) != 0 && n <= MAX_CONNS) {
			int c = accept(lfd, NULL, NULL);
			if (c >= 0) {
				pfd[n].fd = c;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				n++;
			}
		}
		for (int i = 1; i < n; i++) {
			char buf[512];
			if ((pfd[i].revents & POLLIN) != 0 && read(pfd[i].fd, buf, sizeof buf) <= 0)
				pfd[i].events = 0; /* held, not read again */
		}
	}
}

int main(int argc, char **argv)
{
	struct options o = { AF_INET, SOCK_STREAM, -1, 0, 0, 0 };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-6") == 0)
			o.family = AF_INET6;
		else if (strcmp(argv[i], "--raw-bind") == 0)
			o.raw_bind = 1;
		else if (strcmp(argv[i], "--udp") == 0)
			o.type = SOCK_DGRAM;
		else if (strcmp(argv[i], "--reuseaddr") == 0)
			o.reuseaddr = 1;
		else if (strcmp(argv[i], "--exit") == 0)
			o.exit_when_bound = 1;
		else
			o.port = atoi(argv[i]);
	}
	if (o.port < 0 || o.port > 65535) {
		fprintf(stderr, "usage: drift_server [-6] [--raw-bind] [--udp] [--reuseaddr] [--exit] PORT\n");
		return 2;
	}
	int bound = 0, reuse = 0;
	socklen_t rlen = sizeof reuse;
	int fd = bind_first_free(&o, &bound);
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, &rlen) != 0)
		return 1;
	if (o.type == SOCK_STREAM && listen(fd, 128) != 0)
		return 1;
	printf("bound %d reuseaddr %d\n", bound, reuse);
	fflush(stdout);
	if (o.exit_when_bound)
		return 0;
	if (o.type == SOCK_STREAM)
		serve(fd);
	else
		pause();
	return 0;
}
