/* A configurable TCP server for the SO_LINGER tests. It knows nothing of
 * notw: it is the kind of program an operator runs under the library.
 *
 *   linger_server [options] PORT
 *
 * --threads N       N threads accept and serve concurrently (default 1)
 * --serve N         the first N connections are served: BYTES written, then
 *                   closed by the program (default 0)
 * --bytes B         bytes written on each served connection (default 0)
 * --drain           read a served connection until EOF or error before
 *                   closing it; prints "drained eof", "drained reset"
 *                   (ECONNRESET) or "drained error"
 * --held M          connections after the served ones are held open; once M
 *                   are held, print "held M" and do ACTION (default 0: never)
 * --then ACTION     wait (default: go on accepting until killed), segv (a
 *                   real NULL dereference), abort, return (from main), exit,
 *                   _exit, _Exit, close_range or closefrom (every descriptor
 *                   from 3 up, then _exit)
 * --dup HOW         on each accepted connection: dup (dup it, close the
 *                   copy, keep the original); dup2, dup3, fcntl,
 *                   fcntl-cloexec (copy it to a descriptor >= 100 of its
 *                   own, close the original, keep the copy); dup2-over (served connections:
 *                   after writing, dup2() /dev/null onto it, then close it);
 *                   dup2-same (dup2() every connection onto descriptor 200,
 *                   which closes the one held there before, then close the
 *                   original); dup-both (dup it at once, keep both until
 *                   after --linger, then close the original, keep the copy)
 * --linger ON,SECS  set SO_LINGER on each accepted connection and read it
 *                   back: prints "set SO_LINGER ON SECS got ON SECS" (with
 *                   --dup dup-both: set on the original, read on the copy)
 * --listener-linger ON,SECS
 *                   the same on the listener, after listen(): prints
 *                   "set listener SO_LINGER ON SECS got ON SECS"
 * --early-listener-linger ON,SECS
 *                   set SO_LINGER on the listening socket right after
 *                   socket(), before bind() (prints nothing)
 * --accept4         accept with accept4(SOCK_CLOEXEC)
 * --close-via HOW   how a served connection is closed: close (default),
 *                   fclose (of an fdopen()ed stream), close_range, shutdown
 *                   (shutdown(SHUT_WR), then close), dup-race (dup it, then
 *                   close the copy in a new thread while closing the
 *                   original)
 * --report          print the listener's SO_LINGER and SO_REUSEADDR
 *                   ("listener SO_LINGER 0 0", "listener SO_REUSEADDR 0")
 *                   and each accepted connection's SO_LINGER and
 *                   SO_REUSEADDR before any change ("accepted SO_LINGER 0 0",
 *                   "accepted SO_REUSEADDR 0")
 * --fork            fork per connection: the parent closes its copy, the
 *                   child closes the listener and serves or holds it
 * --prefork K       fork K children that accept and serve (each counting
 *                   its own connections); the parent waits to be killed
 * --pgrp            become a process group leader (a test kills the group)
 * -6                listen on [::] (dual stack) instead of 0.0.0.0
 * --reuseaddr       set SO_REUSEADDR on the listener before bind()
 * --timeout S       die of SIGALRM after S seconds (default 30)
 *
 * Prints "listening PORT" once listening. Sets SO_REUSEADDR only when told. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum action {
	ACT_WAIT, ACT_SEGV, ACT_ABORT, ACT_RETURN, ACT_EXIT, ACT_UEXIT, ACT_CEXIT, ACT_CLOSE_RANGE,
	ACT_CLOSEFROM
};
enum dup_how { DUP_NONE, DUP_DUP, DUP_DUP2, DUP_DUP3, DUP_FCNTL, DUP_FCNTL_CLOEXEC, DUP_OVER, DUP_SAME, DUP_BOTH };

static long serve_n, held_n;
static size_t bytes_n;
static int drain, report, fork_mode, use_accept4, linger_on = -1, linger_secs;
static int listener_linger_on = -1, listener_linger_secs;
static int early_linger_on = -1, early_linger_secs;
static const char *close_via = "close";
static enum action action = ACT_WAIT;
static enum dup_how dup_how = DUP_NONE;
static int lfd = -1;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t reached_cond = PTHREAD_COND_INITIALIZER;
static long accepted, held;
static int reached;

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&lock);
	vprintf(fmt, ap);
	fflush(stdout);
	pthread_mutex_unlock(&lock);
	va_end(ap);
}

__attribute__((noreturn, format(printf, 1, 2))) static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "linger_server: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, ": %s\n", strerror(errno));
	va_end(ap);
	_exit(1);
}

/* The crash is the point: a sanitizer build must let it happen. */
__attribute__((no_sanitize("undefined"))) static void crash_now(void)
{
	volatile int *volatile nowhere = NULL;
	*nowhere = 1;
}

static void print_linger(const char *who, int fd)
{
	struct linger lg = { -1, -1 };
	socklen_t len = sizeof lg;
	if (getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len) != 0)
		die("getsockopt SO_LINGER");
	say("%s SO_LINGER %d %d\n", who, lg.l_onoff, lg.l_linger);
}

/* k: the connection's number, so that every copy gets a descriptor of its own */
static int copy_fd(int c, long k, int other)
{
	int target = 200 + (int)(k % 700);
	int d;
	switch (dup_how) {
	case DUP_DUP:
		d = dup(c);
		if (d < 0 || close(d) != 0)
			die("dup/close");
		return c;
	case DUP_DUP2:
		d = dup2(c, target);
		break;
	case DUP_SAME:
		d = dup2(c, 200);
		break;
	case DUP_BOTH:
		d = other;
		break;
	case DUP_DUP3:
		d = dup3(c, target, O_CLOEXEC);
		break;
	case DUP_FCNTL:
		d = fcntl(c, F_DUPFD, 100);
		break;
	case DUP_FCNTL_CLOEXEC:
		d = fcntl(c, F_DUPFD_CLOEXEC, 100);
		break;
	case DUP_NONE:
	case DUP_OVER:
	default:
		return c;
	}
	if (d < 0 || close(c) != 0)
		die("copy/close");
	return d;
}

static void *close_it(void *arg)
{
	int *fd = arg;
	if (close(*fd) != 0)
		die("close (other thread)");
	return NULL;
}

/* A copy of c is closed by another thread at the same moment as c itself. */
static void close_both_at_once(int c)
{
	int d = dup(c);
	pthread_t th;
	if (d < 0 || pthread_create(&th, NULL, close_it, &d) != 0)
		die("dup/pthread_create");
	if (close(c) != 0)
		die("close");
	pthread_join(th, NULL);
}

static void serve(int c)
{
	static const char chunk[65536];
	size_t left = bytes_n;
	while (left > 0) {
		size_t n = left < sizeof chunk ? left : sizeof chunk;
		ssize_t w = write(c, chunk, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			fprintf(stderr, "linger_server: write: %s\n", strerror(errno));
			break;
		}
		left -= (size_t)w;
	}
	if (drain) {
		char buf[4096];
		ssize_t r = -1;
		errno = ETIMEDOUT;
		for (int i = 0; i < 100000; i++) {
			r = read(c, buf, sizeof buf);
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
		say("drained %s\n", r == 0 ? "eof" : errno == ECONNRESET ? "reset" : "error");
	}
	if (dup_how == DUP_OVER) {
		int nul = open("/dev/null", O_RDONLY);
		if (nul < 0 || dup2(nul, c) != c || close(nul) != 0)
			die("dup2 over the connection");
	}
	if (strcmp(close_via, "fclose") == 0) {
		FILE *f = fdopen(c, "r+");
		if (f == NULL || fclose(f) != 0)
			die("fdopen/fclose");
	} else if (strcmp(close_via, "close_range") == 0) {
		if (close_range((unsigned)c, (unsigned)c, 0) != 0)
			die("close_range");
	} else if (strcmp(close_via, "dup-race") == 0) {
		close_both_at_once(c);
	} else if (strcmp(close_via, "shutdown") == 0) {
		if (shutdown(c, SHUT_WR) != 0 || close(c) != 0)
			die("shutdown/close");
	} else if (close(c) != 0) {
		die("close");
	}
}

/* Child of --fork: serve or hold the connection, then exit. */
__attribute__((noreturn)) static void child(int c, int serving, unsigned timeout)
{
	close(lfd);
	alarm(timeout);
	if (serving) {
		serve(c);
	} else {
		char buf[4096];
		for (int i = 0; i < 100000; i++) {
			ssize_t r = read(c, buf, sizeof buf);
			if (r == 0 || (r < 0 && errno != EINTR))
				break;
		}
	}
	exit(0);
}

static unsigned timeout_s = 30;

/* Accepts until M connections are held (returns), or forever. */
static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		int c = use_accept4 ? accept4(lfd, NULL, NULL, SOCK_CLOEXEC) : accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept");
		}
		if (report) {
			int v = -1;
			socklen_t len = sizeof v;
			print_linger("accepted", c);
			if (getsockopt(c, SOL_SOCKET, SO_REUSEADDR, &v, &len) != 0)
				die("getsockopt SO_REUSEADDR");
			say("accepted SO_REUSEADDR %d\n", v);
		}
		int other = c;
		if (dup_how == DUP_BOTH && (other = dup(c)) < 0)
			die("dup");
		if (linger_on >= 0) {
			struct linger lg = { linger_on, linger_secs }, back = { -1, -1 };
			socklen_t len = sizeof back;
			if (setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0 ||
			    getsockopt(other, SOL_SOCKET, SO_LINGER, &back, &len) != 0)
				die("SO_LINGER");
			say("set SO_LINGER %d %d got %d %d\n", lg.l_onoff, lg.l_linger, back.l_onoff,
			    back.l_linger);
		}
		pthread_mutex_lock(&lock);
		long k = ++accepted;
		int serving = k <= serve_n;
		long h = serving ? held : ++held;
		pthread_mutex_unlock(&lock);
		c = copy_fd(c, k, other);
		if (fork_mode) {
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0)
				child(c, serving, timeout_s);
			if (close(c) != 0)
				die("close (parent)");
		} else if (serving) {
			serve(c);
		}
		/* a held connection stays open: nothing reads or closes it */
		if (!serving && h == held_n) {
			say("held %ld\n", h);
			if (action != ACT_WAIT) {
				pthread_mutex_lock(&lock);
				reached = 1;
				pthread_cond_signal(&reached_cond);
				pthread_mutex_unlock(&lock);
				return NULL;
			}
		}
	}
}

static int parse_action(const char *s)
{
	static const struct {
		const char *name;
		enum action a;
	} names[] = {
		{ "wait", ACT_WAIT }, { "segv", ACT_SEGV }, { "abort", ACT_ABORT },
		{ "return", ACT_RETURN }, { "exit", ACT_EXIT }, { "_exit", ACT_UEXIT },
		{ "_Exit", ACT_CEXIT }, { "close_range", ACT_CLOSE_RANGE }, { "closefrom", ACT_CLOSEFROM },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i].name) == 0) {
			action = names[i].a;
			return 0;
		}
	}
	return -1;
}

static int parse_dup(const char *s)
{
	static const struct {
		const char *name;
		enum dup_how d;
	} names[] = {
		{ "none", DUP_NONE }, { "dup", DUP_DUP }, { "dup2", DUP_DUP2 }, { "dup3", DUP_DUP3 },
		{ "fcntl", DUP_FCNTL }, { "fcntl-cloexec", DUP_FCNTL_CLOEXEC }, { "dup2-over", DUP_OVER },
		{ "dup2-same", DUP_SAME },
		{ "dup-both", DUP_BOTH },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcmp(s, names[i].name) == 0) {
			dup_how = names[i].d;
			return 0;
		}
	}
	return -1;
}

static int usage(void)
{
	fprintf(stderr, "usage: linger_server [-6] [--threads N] [--serve N] [--bytes B] [--drain]\n"
			"  [--held M] [--then wait|segv|abort|return|exit|_exit|_Exit|close_range|closefrom]\n"
			"  [--dup HOW]\n"
			"  [--linger ON,SECS] [--listener-linger ON,SECS] [--early-listener-linger ON,SECS]\n"
			"  [--report] [--fork | --prefork K]\n"
			"  [--pgrp] [--reuseaddr]\n"
			"  [--accept4] [--close-via close|fclose|close_range|shutdown|dup-race] [--timeout S] PORT\n");
	return 2;
}

int main(int argc, char **argv)
{
	int port = -1, threads = 1, pgrp = 0, v6 = 0, prefork = 0, reuseaddr = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--drain") == 0) {
			drain = 1;
		} else if (strcmp(a, "--report") == 0) {
			report = 1;
		} else if (strcmp(a, "--fork") == 0) {
			fork_mode = 1;
		} else if (strcmp(a, "--pgrp") == 0) {
			pgrp = 1;
		} else if (strcmp(a, "--reuseaddr") == 0) {
			reuseaddr = 1;
		} else if (strcmp(a, "-6") == 0) {
			v6 = 1;
		} else if (strcmp(a, "--accept4") == 0) {
			use_accept4 = 1;
		} else if (v == NULL && a[0] == '-') {
			return usage();
		} else if (strcmp(a, "--threads") == 0) {
			threads = atoi(v), i++;
		} else if (strcmp(a, "--serve") == 0) {
			serve_n = atol(v), i++;
		} else if (strcmp(a, "--bytes") == 0) {
			bytes_n = (size_t)strtoul(v, NULL, 10), i++;
		} else if (strcmp(a, "--held") == 0) {
			held_n = atol(v), i++;
		} else if (strcmp(a, "--prefork") == 0) {
			prefork = atoi(v), i++;
		} else if (strcmp(a, "--timeout") == 0) {
			timeout_s = (unsigned)atoi(v), i++;
		} else if (strcmp(a, "--then") == 0) {
			if (parse_action(v) != 0)
				return usage();
			i++;
		} else if (strcmp(a, "--dup") == 0) {
			if (parse_dup(v) != 0)
				return usage();
			i++;
		} else if (strcmp(a, "--close-via") == 0) {
			close_via = v, i++;
		} else if (strcmp(a, "--early-listener-linger") == 0) {
			if (sscanf(v, "%d,%d", &early_linger_on, &early_linger_secs) != 2)
				return usage();
			i++;
		} else if (strcmp(a, "--listener-linger") == 0) {
			if (sscanf(v, "%d,%d", &listener_linger_on, &listener_linger_secs) != 2)
				return usage();
			i++;
		} else if (strcmp(a, "--linger") == 0) {
			if (sscanf(v, "%d,%d", &linger_on, &linger_secs) != 2)
				return usage();
			i++;
		} else if (a[0] != '-') {
			port = atoi(a);
		} else {
			return usage();
		}
	}
	if (port <= 0 || port > 65535 || threads < 1 || threads > 64 || (fork_mode && threads != 1) ||
	    prefork < 0 || prefork > 64)
		return usage();
	alarm(timeout_s);
	signal(SIGPIPE, SIG_IGN);
	if (fork_mode)
		signal(SIGCHLD, SIG_IGN); /* children are reaped by the kernel */
	if (pgrp && setpgid(0, 0) != 0)
		die("setpgid");

	lfd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	if (reuseaddr && setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &reuseaddr, sizeof reuseaddr) != 0)
		die("setsockopt SO_REUSEADDR");
	if (early_linger_on >= 0) {
		struct linger lg = { early_linger_on, early_linger_secs };
		if (setsockopt(lfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0)
			die("SO_LINGER on the socket before bind");
	}
	struct sockaddr_in sa;
	struct sockaddr_in6 sa6;
	memset(&sa, 0, sizeof sa);
	memset(&sa6, 0, sizeof sa6);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_ANY);
	sa.sin_port = htons((uint16_t)port);
	sa6.sin6_family = AF_INET6;
	sa6.sin6_addr = in6addr_any;
	sa6.sin6_port = htons((uint16_t)port);
	if ((v6 ? bind(lfd, (struct sockaddr *)&sa6, sizeof sa6) : bind(lfd, (struct sockaddr *)&sa, sizeof sa)) != 0)
		die("bind %d", port);
	if (listen(lfd, 1024) != 0)
		die("listen");
	if (listener_linger_on >= 0) {
		struct linger lg = { listener_linger_on, listener_linger_secs }, back = { -1, -1 };
		socklen_t len = sizeof back;
		if (setsockopt(lfd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0 ||
		    getsockopt(lfd, SOL_SOCKET, SO_LINGER, &back, &len) != 0)
			die("SO_LINGER on the listener");
		say("set listener SO_LINGER %d %d got %d %d\n", lg.l_onoff, lg.l_linger, back.l_onoff,
		    back.l_linger);
	}
	if (report) {
		int v = -1;
		socklen_t len = sizeof v;
		print_linger("listener", lfd);
		if (getsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &v, &len) != 0)
			die("getsockopt SO_REUSEADDR");
		say("listener SO_REUSEADDR %d\n", v);
	}
	say("listening %d\n", port);

	if (prefork > 0) {
		for (int k = 0; k < prefork; k++) {
			pid_t pid = fork();
			if (pid < 0)
				die("fork");
			if (pid == 0) {
				alarm(timeout_s);
				accept_loop(NULL);
				exit(0);
			}
		}
		for (;;)
			pause(); /* until killed */
	}

	if (threads == 1) {
		accept_loop(NULL);
	} else {
		for (int t = 0; t < threads; t++) {
			pthread_t th;
			if (pthread_create(&th, NULL, accept_loop, NULL) != 0)
				die("pthread_create");
			pthread_detach(th);
		}
		pthread_mutex_lock(&lock);
		while (!reached)
			pthread_cond_wait(&reached_cond, &lock);
		pthread_mutex_unlock(&lock);
	}
	switch (action) {
	case ACT_SEGV:
		crash_now();
		break;
	case ACT_ABORT:
		abort();
	case ACT_EXIT:
		exit(0);
	case ACT_UEXIT:
		_exit(0);
	case ACT_CEXIT:
		_Exit(0);
	case ACT_CLOSE_RANGE:
		if (close_range(3, ~0U, 0) != 0)
			die("close_range");
		_exit(0);
	case ACT_CLOSEFROM:
		closefrom(3);
		_exit(0);
	case ACT_RETURN:
	case ACT_WAIT:
	default:
		break;
	}
	return 0;
}
