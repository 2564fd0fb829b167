/* The subject of the instruction counts in scripts/bench (callgrind): does
 * one kind of call N times and nothing else, so that the difference
 * between two runs with different N, divided by the difference of N, is
 * the price of one call, exactly, whatever the machine's noise.
 *
 *   bench_count syscall|close|fork|cycle N [--fds M]
 *
 * syscall   syscall(SYS_getppid): a number the syscall() hook does not watch
 * close     close(-1): the close() hook's path for an untracked descriptor
 * fork      fork(), the child _exit(0)s, the parent waits; with --fds M the
 *           process first opens M TCP sockets (which the library tracks)
 * cycle     socket(), connect(), accept(), close(), close() on loopback, with
 *           a listener on 127.0.0.1:49300 (a port the library manages); run
 *           it in a network namespace of its own, each cycle leaves a
 *           socket in TIME_WAIT
 *
 * Prints "pid P" first (the callgrind file of this process is named by it). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <unistd.h>

static void open_sockets(unsigned long m)
{
	struct rlimit rl;
	if (m > 0 && (getrlimit(RLIMIT_NOFILE, &rl) != 0 || (rl.rlim_cur = m + 64) > rl.rlim_max ||
		      setrlimit(RLIMIT_NOFILE, &rl) != 0)) {
		fprintf(stderr, "bench_count: RLIMIT_NOFILE %lu: %s\n", m + 64, strerror(errno));
		exit(1);
	}
	for (unsigned long i = 0; i < m; i++)
		if (socket(AF_INET, SOCK_STREAM, 0) < 0) {
			fprintf(stderr, "bench_count: socket: %s\n", strerror(errno));
			exit(1);
		}
}

#define CYCLE_PORT 49300

static int cycle_listener(struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons(CYCLE_PORT);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)sin, sizeof *sin) != 0 || listen(l, 16) != 0) {
		fprintf(stderr, "bench_count: listener on 127.0.0.1:%d: %s\n", CYCLE_PORT, strerror(errno));
		exit(1);
	}
	return l;
}

static void connection_cycles(unsigned long n)
{
	struct sockaddr_in sin;
	int l = cycle_listener(&sin);
	for (unsigned long i = 0; i < n; i++) {
		int c = socket(AF_INET, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&sin, sizeof sin) != 0) {
			fprintf(stderr, "bench_count: connect (cycle %lu): %s\n", i, strerror(errno));
			exit(1);
		}
		int a = accept(l, NULL, NULL);
		if (a < 0) {
			fprintf(stderr, "bench_count: accept (cycle %lu): %s\n", i, strerror(errno));
			exit(1);
		}
		close(c);
		close(a);
	}
	close(l);
}

int main(int argc, char **argv)
{
	if (argc != 3 && !(argc == 5 && strcmp(argv[3], "--fds") == 0)) {
		fprintf(stderr, "usage: bench_count syscall|close|fork|cycle N [--fds M]\n");
		return 2;
	}
	unsigned long n = strtoul(argv[2], NULL, 10);
	printf("pid %ld\n", (long)getpid());
	fflush(stdout);
	if (argc == 5)
		open_sockets(strtoul(argv[4], NULL, 10));
	if (strcmp(argv[1], "syscall") == 0) {
		for (unsigned long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (strcmp(argv[1], "close") == 0) {
		for (unsigned long i = 0; i < n; i++)
			close(-1);
	} else if (strcmp(argv[1], "fork") == 0) {
		for (unsigned long i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid == 0)
				_exit(0);
			if (pid < 0 || waitpid(pid, NULL, 0) != pid)
				return 1;
		}
	} else if (strcmp(argv[1], "cycle") == 0) {
		connection_cycles(n);
	} else {
		fprintf(stderr, "bench_count: unknown call '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}
