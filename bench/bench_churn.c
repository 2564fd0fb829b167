/* Connection churn on loopback, in one process: a listener on 127.0.0.1,
 * then per cycle socket(), connect(), accept(), close() of the client side,
 * close() of the accepted side. With libnotw preloaded every step but
 * connect() goes through a hook.
 *
 *   bench_churn [--iterations N] [--batches B] [--warmup N] [--port P]
 *               [--server-only] [--verbose]
 *
 * --server-only: the clients run in a separate process started without
 * the library (LD_PRELOAD and NOTW_* taken out of its environment), as
 * for a server whose clients are elsewhere. Per cycle that process
 * connects, waits for the server's close and closes; this one accepts and
 * closes. The two take turns, so a cycle also holds two context switches.
 *
 * --port 0 (the default) binds an ephemeral port, which the library leaves
 * alone; with a fixed port the library manages the listener, so its bind
 * path and the tracking of accepted connections are exercised too.
 *
 * Every cycle leaves a socket in TIME_WAIT: run it in a network namespace
 * of its own with a wide ip_local_port_range (scripts/bench does).
 *
 * Prints "<ns> ns/cycle (...)", the fastest batch (see bench_common.h), on
 * stdout; exits non-zero on any failure. */
#include "bench_common.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *prog = "bench_churn";

static void die(const char *what, unsigned long cycle)
{
	fprintf(stderr, "%s: %s (cycle %lu): %s\n", prog, what, cycle, strerror(errno));
	exit(1);
}

#define OWN_USAGE " [--port P] [--server-only]"

struct churn {
	int listener;
	struct sockaddr_in addr; /* the listener's */
	int server_only;
	unsigned long cycle;     /* cycles so far, for the messages */
};

/* n cycles against the listener, client and server in this process. */
static void run_both_sides(struct churn *ch, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++, ch->cycle++) {
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			die("socket", ch->cycle);
		if (connect(c, (const struct sockaddr *)&ch->addr, sizeof ch->addr) != 0)
			die("connect", ch->cycle);
		int s = accept(ch->listener, NULL, NULL);
		if (s < 0)
			die("accept", ch->cycle);
		if (close(c) != 0)
			die("close (client side)", ch->cycle);
		if (close(s) != 0)
			die("close (accepted side)", ch->cycle);
	}
}

/* --server-only, the server's side: accept and close. */
static void run_server_side(struct churn *ch, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++, ch->cycle++) {
		int s = accept(ch->listener, NULL, NULL);
		if (s < 0)
			die("accept", ch->cycle);
		if (close(s) != 0)
			die("close (accepted side)", ch->cycle);
	}
}

static void run(unsigned long n, void *ctx)
{
	struct churn *ch = ctx;
	if (ch->server_only)
		run_server_side(ch, n);
	else
		run_both_sides(ch, n);
}

/* The client process of --server-only (argv: --client PORT CYCLES). */
static int client_main(unsigned long port, unsigned long cycles)
{
	struct sockaddr_in addr;
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (unsigned long i = 0; i < cycles; i++) {
		char byte;
		int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (c < 0)
			die("client socket", i);
		if (connect(c, (const struct sockaddr *)&addr, sizeof addr) != 0)
			die("client connect", i);
		if (read(c, &byte, 1) != 0) /* the server's close */
			die("client read", i);
		if (close(c) != 0)
			die("client close", i);
	}
	return 0;
}

/* The environment without the library and its settings. */
static char **environment_without_library(void)
{
	size_t n = 0, k = 0;
	while (environ[n] != NULL)
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (env == NULL)
		die("calloc", 0);
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "NOTW_", 5) != 0)
			env[k++] = environ[i];
	return env;
}

static pid_t start_clients(unsigned long port, unsigned long cycles)
{
	char self[PATH_MAX], port_arg[16], cycles_arg[24], client_arg[] = "--client";
	ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
	if (len <= 0)
		die("readlink /proc/self/exe", 0);
	self[len] = '\0';
	snprintf(port_arg, sizeof port_arg, "%lu", port);
	snprintf(cycles_arg, sizeof cycles_arg, "%lu", cycles);
	char **env = environment_without_library();
	pid_t pid = fork();
	if (pid < 0)
		die("fork", 0);
	if (pid == 0) {
		char *args[] = { self, client_arg, port_arg, cycles_arg, NULL };
		execve(self, args, env);
		_exit(127);
	}
	free(env);
	return pid;
}

static void wait_clients(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: the client process failed (status %d)\n", prog, status);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	struct bench_options o = {
		.iterations = 50000, .batches = 50, .warmup = 500, .max_iterations = 10000000ul
	};
	struct churn ch = { .listener = -1, .server_only = 0, .cycle = 0 };
	unsigned long port = 0;
	if (argc > 0)
		prog = argv[0];
	if (argc == 4 && strcmp(argv[1], "--client") == 0)
		return client_main(bench_parse_ulong(prog, argv[1], argv[2], 1, 65535ul),
				   bench_parse_ulong(prog, argv[1], argv[3], 1, 20000000ul));
	for (int i = 1; i < argc; i++) {
		if (bench_take_option(prog, argc, argv, &i, &o, OWN_USAGE))
			continue;
		if (strcmp(argv[i], "--server-only") == 0) {
			ch.server_only = 1;
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			port = bench_parse_ulong(prog, argv[i], argv[i + 1], 0, 65535ul);
			i++;
		} else {
			bench_usage(prog, OWN_USAGE);
		}
	}

	memset(&ch.addr, 0, sizeof ch.addr);
	ch.addr.sin_family = AF_INET;
	ch.addr.sin_port = htons((uint16_t)port);
	ch.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	ch.listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ch.listener < 0)
		die("socket (listener)", 0);
	if (bind(ch.listener, (const struct sockaddr *)&ch.addr, sizeof ch.addr) != 0)
		die("bind", 0);
	if (listen(ch.listener, 128) != 0)
		die("listen", 0);
	socklen_t len = sizeof ch.addr;
	if (getsockname(ch.listener, (struct sockaddr *)&ch.addr, &len) != 0 || len != sizeof ch.addr)
		die("getsockname", 0);

	pid_t clients = -1;
	if (ch.server_only)
		clients = start_clients(ntohs(ch.addr.sin_port), o.warmup + o.iterations);
	bench_measure(&o, run, &ch, "cycle");
	if (ch.server_only)
		wait_clients(clients);
	if (close(ch.listener) != 0)
		die("close (listener)", ch.cycle);
	return 0;
}
