/* Corner cases of zero linger and recovery, each a small program; every
 * one ends by printing one line a test compares.
 *
 *   edge_cases dup-before-listen PORT   bind, dup, listen on one descriptor,
 *                                       accept on the other, write 4 MB, close
 *   edge_cases dup-before-connect PORT  connect through a duplicate, close it,
 *                                       write 4 MB through the original, close
 *   edge_cases exec-listener PORT       a client is queued on the listener,
 *                                       then the program execs itself, and the
 *                                       new image accepts it and writes 4 MB
 *   edge_cases fork-own-linger PORT     a forked child sets SO_LINGER {1,7} on
 *                                       a connection, the parent closes its copy
 *   edge_cases stalled-crash PORT N     N clients that never read, the server
 *                                       queues unsent data and is SIGKILLed
 *                                       (leaves FIN-WAIT-1 sockets no process holds)
 *
 * The 4 MB cases print what the reading side got: "read N EOF" or
 * "read N <error>". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "progs.h"

#define BIG (4 << 20)

static int bound_socket(int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("edge_cases: bind");
		exit(2);
	}
	return fd;
}

static int connected_socket(int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("edge_cases: connect");
		exit(2);
	}
	return fd;
}

/* In a child: wait a little (so the writer closes first), read to the end.
 * The child closes its copy of the writer's end (other), or that end would
 * never close. */
static void read_all_in_child(int fd, int other)
{
	if (fork() != 0)
		return;
	if (other >= 0)
		close(other);
	usleep(300000);
	static char buf[65536];
	long total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		total += n;
	printf("read %ld %s\n", total, n == 0 ? "EOF" : strerror(errno));
	fflush(stdout);
	_exit(0);
}

static void write_big_and_close(int fd)
{
	static char big[BIG];
	for (size_t done = 0; done < sizeof big;) {
		ssize_t n = write(fd, big + done, sizeof big - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
}

static int dup_before_listen(int port)
{
	int fd = bound_socket(port);
	int d = dup(fd);
	listen(fd, 16);
	int c = connected_socket(port);
	int s = accept(d, NULL, NULL);
	read_all_in_child(c, s);
	close(c);
	write_big_and_close(s);
	wait(NULL);
	return 0;
}

static int dup_before_connect(int port)
{
	int l = bound_socket(port);
	listen(l, 16);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int d = dup(fd);
	struct sockaddr_in a = progs_loopback(port);
	if (connect(d, (struct sockaddr *)&a, sizeof a) != 0)
		return 2;
	close(d);
	int s = accept(l, NULL, NULL);
	read_all_in_child(s, fd);
	close(s);
	write_big_and_close(fd);
	wait(NULL);
	return 0;
}

static int exec_listener(int port, const char *self)
{
	int l = bound_socket(port);
	listen(l, 16);
	int c = connected_socket(port);
	usleep(100000);
	read_all_in_child(c, -1);
	close(c);
	char number[16];
	snprintf(number, sizeof number, "%d", l);
	execl(self, self, "exec-listener-accept", number, (char *)NULL);
	perror("edge_cases: exec");
	return 2;
}

static int exec_listener_accept(int l)
{
	int s = accept(l, NULL, NULL);
	write_big_and_close(s);
	wait(NULL);
	return 0;
}

static int fork_own_linger(int port)
{
	int l = bound_socket(port);
	listen(l, 4);
	int c = connected_socket(port);
	int s = accept(l, NULL, NULL);
	int to_parent[2], to_child[2];
	if (pipe(to_parent) != 0 || pipe(to_child) != 0)
		return 2;
	if (fork() == 0) {
		struct linger mine = { 1, 7 }, got = { 0, 0 };
		socklen_t len = sizeof got;
		char ch;
		setsockopt(s, SOL_SOCKET, SO_LINGER, &mine, sizeof mine);
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &ch, 1) != 1)
			_exit(2);
		getsockopt(s, SOL_SOCKET, SO_LINGER, &got, &len);
		printf("child reads {%d,%d}\n", got.l_onoff, got.l_linger);
		fflush(stdout);
		_exit(0);
	}
	char ch;
	if (read(to_parent[0], &ch, 1) != 1)
		return 2;
	close(s); /* the parent's own close of its copy */
	if (write(to_child[1], "y", 1) != 1)
		return 2;
	wait(NULL);
	close(c);
	return 0;
}

static int stalled_crash(int port, int n)
{
	int l = bound_socket(port);
	listen(l, 64);
	int clients[64], conns[64];
	if (n > 64)
		n = 64;
	for (int i = 0; i < n; i++) {
		clients[i] = connected_socket(port);
		conns[i] = accept(l, NULL, NULL);
	}
	static char chunk[1 << 20];
	for (int i = 0; i < n; i++) {
		fcntl(conns[i], F_SETFL, O_NONBLOCK);
		while (write(conns[i], chunk, sizeof chunk) > 0)
			;
	}
	if (fork() == 0) { /* the clients: hold their ends, never read */
		close(l);
		for (int i = 0; i < n; i++)
			close(conns[i]);
		sleep(30);
		_exit(0);
	}
	for (int i = 0; i < n; i++)
		close(clients[i]);
	printf("stalled %d\n", n);
	fflush(stdout);
	usleep(100000);
	kill(getpid(), SIGKILL);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: see the comment at the top of edge_cases.c\n");
		return 2;
	}
	int arg = atoi(argv[2]);
	if (strcmp(argv[1], "dup-before-listen") == 0)
		return dup_before_listen(arg);
	if (strcmp(argv[1], "dup-before-connect") == 0)
		return dup_before_connect(arg);
	if (strcmp(argv[1], "exec-listener") == 0)
		return exec_listener(arg, "/proc/self/exe");
	if (strcmp(argv[1], "exec-listener-accept") == 0)
		return exec_listener_accept(arg);
	if (strcmp(argv[1], "fork-own-linger") == 0)
		return fork_own_linger(arg);
	if (strcmp(argv[1], "stalled-crash") == 0 && argc >= 4)
		return stalled_crash(arg, atoi(argv[3]));
	return 2;
}
