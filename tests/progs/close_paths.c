/* A server that closes, execs or exits the ways real programs do, under
 * NOTW_LINGER, for tests/integration/linger-failsafe.sh. It knows nothing
 * of notw.
 *
 *   close_paths CASE PORT
 *
 * Listens on 127.0.0.1:PORT, prints "listening PORT", accepts one
 * connection (two for safety-net), writes 4 MiB on it and lets it go the
 * way CASE says:
 *
 *   syscall-close         glibc's syscall(SYS_close) (libuv does this)
 *   syscall-close-range   syscall(SYS_close_range) on it
 *   syscall-dup2          syscall(SYS_dup2) of /dev/null over it
 *   syscall-dup3          syscall(SYS_dup3) of /dev/null over it
 *   syscall-accept        accepted with syscall(SYS_accept4), then close()
 *   shutdown              shutdown(SHUT_WR), then a close the library cannot
 *                         see (the system call instruction itself)
 *   exec-cloexec          accept4(SOCK_CLOEXEC), then execve of /bin/true
 *   fexecve-cloexec       ... fexecve of /bin/true
 *   execveat-cloexec      ... execveat of /bin/true
 *   syscall-execve        ... syscall(SYS_execve) of /bin/true
 *   quick-exit            quick_exit(0) with the connection open
 *   syscall-exit-group    syscall(SYS_exit_group, 0) with it open
 *   vfork-exec            vfork(); the child puts the connection on 0 and 1,
 *                         closes it and execs "sh -c 'cat FILE'" (FILE: 4
 *                         MiB made first), the parent closes its copy (busybox
 *                         nc -e)
 *   vfork-exec-bare       the same, the child's environment without LD_PRELOAD
 *   fork-exec-listener    fork(); the child execs this program without
 *                         LD_PRELOAD (accept-write on the inherited listener),
 *                         the parent keeps the listener and waits (nginx's
 *                         binary upgrade)
 *   own-reset-exec        SO_LINGER{1,0} set by the program on the listener,
 *                         then it execs itself (accept-write) keeping LD_PRELOAD
 *   late-destructor       returns from main; the destructor of a library
 *                         linked to the program (late_lib) accepts and writes,
 *                         and the exit closes it
 *   errno-after-close     dup, the copy closed with the system call
 *                         instruction, errno set to 0, close() of the
 *                         original: prints "errno N"
 *   safety-net            accepts A and B; A closed with the system call
 *                         instruction; open("/dev/null") gets A's number;
 *                         B written and closed with the instruction too
 *   listen-twice          listen() twice on the listener (nginx), then as
 *                         the default case
 *   fork-snapshot         nonblocking write of what fits (a large send buffer),
 *                         fork() (the child holds every connection, as a
 *                         snapshot child does), close(), then the child is
 *                         SIGKILLed: the data the parent wrote must still arrive
 *   fork-helper-kill      fork() a child that only waits (a helper), then write,
 *                         close(), and kill the helper
 *   bind-fork             bind(), fork(); the child listens and waits, the
 *                         parent accepts on its copy (never listened on here)
 *   dups9                 10 dup()s of the socket before listen() on the
 *                         original; accept on the last duplicate
 *   close-range-einval    close_range() with an unknown flag (refused by the
 *                         kernel: nothing closed), then as the default case
 *   vfork-exit-crash      vfork(); the child's exec fails and it calls exit()
 *                         (destructors run in the parent's memory); then the
 *                         parent prints "held" and waits to be killed
 *   vfork-exit-crash-cloexec  the same with a close-on-exec connection
 *   vfork-execl N         (no connection) N times vfork() + execl("/bin/true"):
 *                         prints "rss-growth KB" of the parent
 *   exec-many-fds         2,000 files open, a close-on-exec connection, exec of
 *                         /bin/true
 *   fork-stdio-crash      fork(); the child moves the connection onto 0 and 1
 *                         (busybox httpd) and waits; then the parent closes its
 *                         copy, prints "held CHILDPID" and waits to be killed
 *   spawn-listener-HOW    the listener (no close-on-exec) handed to
 *                         "close_paths accept-write FD" started with posix_spawn,
 *                         system() or popen() (HOW), without the library
 *   spawn-conn            the connection put on the child's 1 with a spawn file
 *                         action, the child (sh) writes 4 MiB after 0.3 s; the
 *                         parent is SIGKILLed right after posix_spawn
 *   sendmmsg-conn         the connection passed with sendmmsg() to a child that
 *                         execs "close_paths receive-write FD"; the parent is
 *                         then SIGKILLed
 *   raw-accept            accepted with the system call instruction, then as
 *                         the default case
 *   clone-vfork           clone(CLONE_VM|CLONE_VFORK): the child closes every
 *                         descriptor from 3 and execs /bin/true; then as the
 *                         default case
 *   queued-exec-listener  a connection waits in the listener's queue, then
 *                         fork() + exec of this program without LD_PRELOAD
 *                         (accept-write)
 *   sendmsg-efault        (no connection) sendmsg() with a bad message pointer:
 *                         prints "sendmsg RC ERRNO"
 *   fork-fclose           fork() a helper child that keeps the connection;
 *                         answer 1 MiB through stdio with a 2 MiB buffer and
 *                         fclose(); print "closed HELPERPID", wait to be killed
 *   late-linger           a library's destructor, after libnotw's, sets
 *                         SO_LINGER{1,5} on the connection; exit()
 *   syscall-exit          the only thread ends with syscall(SYS_exit)
 *   signal-in-close       fork() a helper that exits at once; a SIGTERM
 *                         handler calls _exit(0); print "closing PID" and
 *                         close() (the test sends SIGTERM during the close)
 *   close-and-child-exit  fork() a child that exit()s 0.1 s after a word from
 *                         the parent; the parent sends the word and closes its
 *                         copy with dup2() of /dev/null over it (nothing is
 *                         written: the client sees EOF or a reset)
 *   child-own-linger      fork(); the child sets SO_LINGER{1,5}, the parent
 *                         closes its copy, the child prints the kernel's
 *                         "child linger ONOFF SECS", writes 4 MiB and closes
 *   child-own-linger-exit  fork(); the child sets SO_LINGER{1,5}, the
 *                         parent exit()s with its copy open; the child then
 *                         prints "child linger ONOFF SECS", writes and closes
 *   child-own-linger-exec  the same, the parent execs /bin/true instead
 *   rearm-HOW             HOW (fork, _Fork, syscall-fork, clone) a child that
 *                         execs "write-later FD" (writes after 0.5 s); the
 *                         parent then sets SO_LINGER{1,5}, prints "held" and
 *                         waits to be killed
 *   accept-timeout-jump   a SIGALRM handler siglongjmp()s out of an accept()
 *                         with a 0.1 s timer (the test holds the library's
 *                         setsockopt() inside the accept for 0.3 s, so the
 *                         jump leaves from there); then 20 connections to
 *                         itself, each accepted, written and closed:
 *                         prints "closes TOTAL_MS slowest MS"; then as the
 *                         default case
 *   accept-timeout-jump-thread  the same jump on a second thread; the
 *                         closes on the main thread
 *   fork-in-arming        a SIGALRM handler fork()s while the library arms a
 *                         connection (as accept-timeout-jump, the timer
 *                         fires inside the held setsockopt()); the child
 *                         then times 20 closes as there ("closes ..."), the
 *                         parent waits for it; then as the default case
 *   thread-raw-exits      two threads, one after the other, end with
 *                         syscall(SYS_exit); then accept, print "held" and
 *                         wait to be killed (the connection must stay armed)
 *   exit-during-arm       a second thread accepts, writes 4 MiB and closes;
 *                         the main thread, once the connection is queued,
 *                         lets it accept and calls exit() 0.15 s later (the
 *                         test holds the accept's setsockopt() for 0.5 s),
 *                         and a library destructor that runs after
 *                         libnotw's joins the thread
 *   write-later FD        (internal) wait 0.5 s, write 4 MiB on FD, close
 *   receive-write FD      (internal) receive a connection on FD, write, close
 *   passed-listener       the listener made after a fork() and passed over a
 *                         socketpair (SCM_RIGHTS) to the child, which execs this
 *                         program (receive-accept) with the library
 *   accept-write FD       (internal) accept on FD, write, close
 *   receive-accept FD     (internal) receive a listener on FD, accept-write
 *
 * Exits 0 when it did what it was told, 2 otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <sys/time.h>
#include <time.h>
#include <spawn.h>
#include <stdint.h>
#include <signal.h>
#include <unistd.h>

#include "progs.h"

#define BIG (4 << 20)

void late_lib_serve_at_exit(int listener);
void late_lib_set_linger_at_exit(int fd, int onoff, int secs);
void late_lib_call_at_exit(void (*fn)(void));

extern char **environ;

/* The system call instruction itself: a close no library can see. */
static long raw_close(int fd)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"((long)SYS_close), "D"((long)fd) : "rcx", "r11", "memory");
	return ret;
}

static int listener(int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0) {
		perror("close_paths: listen");
		exit(2);
	}
	printf("listening %d\n", port);
	fflush(stdout);
	return fd;
}

static void write_big(int fd)
{
	static char big[BIG];
	for (size_t done = 0; done < sizeof big;) {
		ssize_t n = write(fd, big + done, sizeof big - done);
		if (n <= 0) {
			perror("close_paths: write");
			exit(2);
		}
		done += (size_t)n;
	}
}

/* The program's own graceful close of a connection it answered on: 0 when
 * close() succeeded. */
static int write_big_and_close(int c)
{
	write_big(c);
	return close(c) == 0 ? 0 : 2;
}

static int accept_one(int l, int flags)
{
	int c = accept4(l, NULL, NULL, flags);
	if (c < 0) {
		perror("close_paths: accept");
		exit(2);
	}
	return c;
}

static int exec_true(const char *how, int c)
{
	static char name[] = "true";
	char *argv[] = { name, NULL };
	if (strcmp(how, "exec-cloexec") == 0) {
		execve("/bin/true", argv, environ);
	} else if (strcmp(how, "fexecve-cloexec") == 0) {
		int f = open("/bin/true", O_RDONLY | O_CLOEXEC);
		fexecve(f, argv, environ);
	} else if (strcmp(how, "execveat-cloexec") == 0) {
		execveat(AT_FDCWD, "/bin/true", argv, environ, 0);
	} else {
		syscall(SYS_execve, "/bin/true", argv, environ);
	}
	perror("close_paths: exec");
	(void)c;
	return 2;
}

/* The environment without LD_PRELOAD, for a program that does not carry
 * the library. */
static char **bare_environment(void)
{
	static char *env[256];
	int n = 0;
	for (char **e = environ; *e != NULL && n < 255; e++)
		if (strncmp(*e, "LD_PRELOAD=", 11) != 0)
			env[n++] = *e;
	env[n] = NULL;
	return env;
}

static int vfork_exec(int l, bool bare)
{
	char file[] = "/tmp/notw-close-paths.XXXXXX";
	int f = mkstemp(file);
	static char big[BIG];
	if (f < 0 || write(f, big, sizeof big) != (ssize_t)sizeof big)
		return 2;
	close(f);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "cat %s", file);
	int c = accept_one(l, 0);
	static char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, cmd, NULL };
	char **env = bare ? bare_environment() : environ;
	pid_t pid = vfork();
	if (pid == 0) {
		dup2(c, 0);
		dup2(c, 1);
		close(c);
		execve("/bin/sh", argv, env);
		_exit(127);
	}
	close(c);
	int status = 0;
	waitpid(pid, &status, 0);
	unlink(file);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2;
}

/* fork(), and in the child exec "self verb FD" with env. */
static pid_t run_self(char *self, const char *verb, int fd, char **env)
{
	pid_t pid = fork();
	if (pid == 0) {
		char number[16];
		snprintf(number, sizeof number, "%d", fd);
		char *argv[] = { self, (char *)(uintptr_t)verb, number, NULL };
		execve(self, argv, env);
		_exit(127);
	}
	return pid;
}

/* 0 when the child pid exited with status 0, else 2. */
static int child_status(pid_t pid)
{
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 2;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 2;
}

/* A child running "self verb SOCK" on one end of a unix socketpair;
 * returns the other end (-1 on failure) and the child's pid. */
static int start_receiver(char *self, const char *verb, pid_t *pid)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return -1;
	fcntl(sv[0], F_SETFD, FD_CLOEXEC);
	*pid = run_self(self, verb, sv[1], environ);
	close(sv[1]);
	return sv[0];
}

static int fork_exec_listener(int l, char *self)
{
	pid_t pid = run_self(self, "accept-write", l, bare_environment());
	close(l);
	return child_status(pid);
}

static int accept_write(int l)
{
	printf("accepting\n");
	fflush(stdout);
	int c = accept_one(l, 0);
	return write_big_and_close(c);
}

static int fork_snapshot(int l)
{
	int c = accept_one(l, 0);
	int size = BIG;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	fcntl(c, F_SETFL, O_NONBLOCK);
	static char big[BIG];
	ssize_t n = write(c, big, sizeof big);
	printf("wrote %zd\n", n);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	close(c); /* the program's own graceful close, its data still queued */
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return n > 0 ? 0 : 2;
}

static int fork_helper_kill(int l)
{
	int c = accept_one(l, 0);
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	write_big(c);
	close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}

static int bind_fork(int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int go[2];
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || pipe(go) != 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		listen(fd, 16);
		if (write(go[1], "l", 1) != 1)
			_exit(2);
		pause();
		_exit(0);
	}
	char ch;
	if (read(go[0], &ch, 1) != 1)
		return 2;
	printf("listening %d\n", port);
	fflush(stdout);
	int c = accept_one(fd, 0);
	write_big(c);
	int rc = close(c);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return rc == 0 ? 0 : 2;
}

static int dups9(int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0)
		return 2;
	int last = fd;
	for (int i = 0; i < 10; i++)
		last = dup(fd);
	if (listen(fd, 16) != 0)
		return 2;
	printf("listening %d\n", port);
	fflush(stdout);
	int c = accept_one(last, 0);
	return write_big_and_close(c);
}

static int vfork_exit_crash(int l, int accept_flags)
{
	int c = accept_one(l, accept_flags);
	pid_t pid = vfork();
	if (pid == 0) {
		execl("/nonexistent/notw-test", "x", (char *)NULL);
		exit(1); /* not _exit: the destructors run */
	}
	waitpid(pid, NULL, 0);
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
	(void)c;
}

static int fork_fclose(int l)
{
	int c = accept_one(l, 0);
	int size = BIG;
	setsockopt(c, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
	pid_t helper = fork();
	if (helper == 0) {
		pause();
		_exit(0);
	}
	FILE *f = fdopen(c, "w");
	static char buffer[2 << 20], reply[1 << 20];
	if (f == NULL || setvbuf(f, buffer, _IOFBF, sizeof buffer) != 0)
		return 2;
	/* all of it in the stream's buffer: written out by fclose() itself */
	if (fwrite(reply, 1, sizeof reply, f) != sizeof reply || fclose(f) != 0)
		return 2;
	printf("closed %d\n", (int)helper);
	fflush(stdout);
	for (;;)
		pause();
}

static int late_linger(int l)
{
	int c = accept_one(l, 0);
	write_big(c);
	late_lib_set_linger_at_exit(c, 1, 5);
	return 0; /* the exit closes it, after the late destructor */
}

static int syscall_exit(int l)
{
	int c = accept_one(l, 0);
	write_big(c);
	syscall(SYS_exit, 0);
	return 2;
}

static void exit_at_once(int sig)
{
	(void)sig;
	_exit(0);
}

static int signal_in_close(int l)
{
	int c = accept_one(l, 0);
	pid_t helper = fork();
	if (helper == 0)
		_exit(0);
	waitpid(helper, NULL, 0);
	signal(SIGTERM, exit_at_once);
	write_big(c);
	printf("closing %d\n", (int)getpid());
	fflush(stdout);
	close(c);
	return 3; /* the handler did not run during the close */
}

static int close_and_child_exit(int l)
{
	int c = accept_one(l, 0);
	int word[2];
	if (pipe(word) != 0)
		return 2;
	pid_t child = fork();
	if (child == 0) {
		char ch;
		if (read(word[0], &ch, 1) != 1)
			_exit(2);
		usleep(100000);
		exit(0); /* a normal exit: the destructors run */
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0 || write(word[1], "x", 1) != 1)
		return 2;
	/* the implicit close of c; the test delays the dup2 system call */
	if (dup2(devnull, c) != c)
		return 2;
	waitpid(child, NULL, 0);
	return 0;
}

/* In a fork child: sets SO_LINGER{1,5} on c, says so on ready, waits for
 * the parent to let go of its copy (go gives `word` bytes: 1, a word; 0,
 * end of file), prints the kernel's own SO_LINGER ("child linger ONOFF
 * SECS", past the library's getsockopt()), then answers and closes. */
static __attribute__((noreturn)) void child_keeps_own_linger(int c, int ready, int go, ssize_t word)
{
	struct linger own = { 1, 5 };
	char ch;
	if (setsockopt(c, SOL_SOCKET, SO_LINGER, &own, sizeof own) != 0 || write(ready, "x", 1) != 1 ||
	    read(go, &ch, 1) != word)
		_exit(2);
	struct linger kernel;
	socklen_t len = sizeof kernel;
	if (syscall(SYS_getsockopt, c, SOL_SOCKET, SO_LINGER, &kernel, &len) != 0)
		_exit(2);
	printf("child linger %d %d\n", kernel.l_onoff, kernel.l_linger);
	fflush(stdout);
	_exit(write_big_and_close(c));
}

static int child_own_linger(int l)
{
	int c = accept_one(l, 0);
	int set[2], closed[2];
	if (pipe(set) != 0 || pipe(closed) != 0)
		return 2;
	pid_t child = fork();
	if (child == 0)
		child_keeps_own_linger(c, set[1], closed[0], 1);
	char ch;
	if (read(set[0], &ch, 1) != 1)
		return 2;
	close(c);
	if (write(closed[1], "x", 1) != 1)
		return 2;
	int status = 0;
	waitpid(child, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 2;
}

/* The parent lets go of its copy by exit() or exec (HOW) while the child
 * holds the connection with its own SO_LINGER{1,5}. */
static int child_own_linger_parent_ends(int l, const char *how)
{
	int c = accept_one(l, 0);
	int set[2], gone[2];
	if (pipe(set) != 0 || pipe2(gone, O_CLOEXEC) != 0)
		return 2;
	pid_t child = fork();
	if (child == 0) {
		close(gone[1]);
		child_keeps_own_linger(c, set[1], gone[0], 0);
	}
	char ch;
	if (read(set[0], &ch, 1) != 1)
		return 2;
	if (strcmp(how, "exec") == 0) {
		execl("/bin/true", "true", (char *)NULL);
		return 2;
	}
	exit(0);
}

static char *rearm_self;
static int rearm_fd;

static int exec_write_later(void *unused)
{
	(void)unused;
	char number[16];
	snprintf(number, sizeof number, "%d", rearm_fd);
	execl(rearm_self, rearm_self, "write-later", number, (char *)NULL);
	_exit(2);
}

static char rearm_stack[1 << 16] __attribute__((aligned(16)));

/* A child made by HOW execs a program that writes on the connection
 * later; the parent sets its own SO_LINGER meanwhile and is then killed. */
static int rearm_after_child_exec(int l, char *self, const char *how)
{
	rearm_fd = accept_one(l, 0);
	rearm_self = self;
	pid_t pid;
	if (strcmp(how, "fork") == 0)
		pid = fork();
	else if (strcmp(how, "_Fork") == 0)
		pid = _Fork();
	else if (strcmp(how, "syscall-fork") == 0)
		pid = (pid_t)syscall(SYS_fork);
	else if (strcmp(how, "clone") == 0)
		pid = clone(exec_write_later, rearm_stack + sizeof rearm_stack, SIGCHLD, NULL);
	else
		return 2;
	if (pid == 0)
		return exec_write_later(NULL);
	if (pid < 0)
		return 2;
	usleep(200000); /* the child has exec'd */
	struct linger own = { 1, 5 };
	if (setsockopt(rearm_fd, SOL_SOCKET, SO_LINGER, &own, sizeof own) != 0)
		return 2;
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int write_later(int fd)
{
	usleep(500000);
	return write_big_and_close(fd);
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f != NULL && fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb;
}

static int vfork_execl(int n)
{
	long before = rss_kb();
	for (int i = 0; i < n; i++) {
		pid_t pid = vfork();
		if (pid == 0) {
			execl("/bin/true", "true", (char *)NULL);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	printf("rss-growth %ld\n", rss_kb() - before);
	return 0;
}

static int exec_many_fds(int l)
{
	for (int i = 0; i < 2000; i++)
		if (open("/dev/null", O_RDONLY) < 0)
			return 2;
	int c = accept_one(l, SOCK_CLOEXEC);
	write_big(c);
	return exec_true("exec-cloexec", c);
}

static int fork_stdio_crash(int l)
{
	int c = accept_one(l, 0);
	int moved[2];
	if (pipe(moved) != 0)
		return 2;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(c, 0);
		dup2(c, 1);
		close(c);
		if (write(moved[1], "m", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	char ch;
	if (read(moved[0], &ch, 1) != 1)
		return 2;
	close(c);
	printf("held %d\n", (int)pid);
	fflush(stdout);
	for (;;)
		pause();
}

static int spawn_listener(int l, char *self, const char *how)
{
	char number[16], cmd[512];
	snprintf(number, sizeof number, "%d", l);
	static char verb[] = "accept-write";
	char *argv[] = { self, verb, number, NULL };
	char **env = bare_environment();
	if (strcmp(how, "posix_spawn") == 0) {
		pid_t pid;
		if (posix_spawn(&pid, self, NULL, NULL, argv, env) != 0)
			return 2;
		waitpid(pid, NULL, 0);
		return 0;
	}
	snprintf(cmd, sizeof cmd, "env -u LD_PRELOAD %s accept-write %d", self, l);
	if (strcmp(how, "system") == 0)
		return system(cmd) == 0 ? 0 : 2;
	FILE *p = popen(cmd, "r");
	char line[64];
	while (p != NULL && fgets(line, sizeof line, p) != NULL) {
		fputs(line, stdout);
		fflush(stdout);
	}
	return p != NULL && pclose(p) == 0 ? 0 : 2;
}

static int spawn_conn(int l)
{
	char file[] = "/tmp/notw-spawn-conn.XXXXXX";
	int f = mkstemp(file);
	static char big[BIG];
	if (f < 0 || write(f, big, sizeof big) != (ssize_t)sizeof big)
		return 2;
	close(f);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "sleep 0.3; cat %s; rm -f %s", file, file);
	int c = accept_one(l, SOCK_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, c, 1);
	static char sh[] = "sh", dash_c[] = "-c";
	char *argv[] = { sh, dash_c, cmd, NULL };
	pid_t pid;
	if (posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ) != 0)
		return 2;
	kill(getpid(), SIGKILL);
	return 2;
}

static int send_fd(int sock, int fd, bool many)
{
	char byte = 'c';
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof control.buf };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof fd);
	if (!many)
		return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
	struct mmsghdr one = { .msg_hdr = msg };
	return sendmmsg(sock, &one, 1, 0) == 1 ? 0 : -1;
}

static int receive_fd(int sock)
{
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
			      .msg_controllen = sizeof control.buf };
	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int fd;
	if (c == NULL || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof fd);
	return fd;
}

static int sendmmsg_conn(int l, char *self)
{
	pid_t pid;
	int sock = start_receiver(self, "receive-write", &pid);
	int c = accept_one(l, SOCK_CLOEXEC);
	if (sock < 0 || send_fd(sock, c, true) != 0)
		return 2;
	kill(getpid(), SIGKILL);
	return 2;
}

static int receive_write(int sock)
{
	int c = receive_fd(sock);
	if (c < 0)
		return 2;
	usleep(200000);
	return write_big_and_close(c);
}

static int raw_accept(int l)
{
	long c;
	register long flags __asm__("r10") = 0;
	__asm__ volatile("syscall"
			 : "=a"(c)
			 : "a"((long)SYS_accept4), "D"((long)l), "S"(0L), "d"(0L), "r"(flags)
			 : "rcx", "r11", "memory");
	if (c < 0)
		return 2;
	write_big((int)c);
	return close((int)c) == 0 ? 0 : 2;
}

static char clone_stack[1 << 16] __attribute__((aligned(16)));

static int clone_child(void *arg)
{
	(void)arg;
	closefrom(3);
	execl("/bin/true", "true", (char *)NULL);
	_exit(127);
}

static int clone_vfork(int l)
{
	int c = accept_one(l, 0);
	pid_t pid = clone(clone_child, clone_stack + sizeof clone_stack, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		return 2;
	waitpid(pid, NULL, 0);
	return write_big_and_close(c);
}

static int queued_exec_listener(int l, char *self)
{
	struct pollfd p = { .fd = l, .events = POLLIN };
	if (poll(&p, 1, 10000) != 1)
		return 2;
	return fork_exec_listener(l, self);
}

static int sendmsg_efault(void)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
		return 2;
	errno = 0;
	long rc = (long)sendmsg(sv[0], (const struct msghdr *)(uintptr_t)1, 0);
	printf("sendmsg %ld %d\n", rc, errno);
	return 0;
}

static int passed_listener(int port, char *self)
{
	pid_t pid;
	int sock = start_receiver(self, "receive-accept", &pid);
	int l = listener(port);
	if (sock < 0 || send_fd(sock, l, false) != 0)
		return 2;
	close(l);
	return child_status(pid);
}

static int receive_accept(int sock)
{
	int l = receive_fd(sock);
	return l < 0 ? 2 : accept_write(l);
}

static int own_reset_exec(int l, char *self)
{
	struct linger z = { 1, 0 };
	setsockopt(l, SOL_SOCKET, SO_LINGER, &z, sizeof z);
	char number[16];
	snprintf(number, sizeof number, "%d", l);
	char *argv[] = { self, (char *)(uintptr_t)"accept-write", number, NULL };
	execve(self, argv, environ);
	return 2;
}

static int errno_after_close(int l)
{
	int c = accept_one(l, 0);
	int d = dup(c);
	raw_close(d);
	write_big(c);
	errno = 0;
	int rc = close(c);
	printf("close %d errno %d\n", rc, errno);
	fflush(stdout);
	return 0;
}

static int safety_net(int l)
{
	int a = accept_one(l, 0);
	int b = accept_one(l, 0);
	raw_close(a);
	int n = open("/dev/null", O_RDONLY);
	printf("reused %s\n", n == a ? "yes" : "no");
	fflush(stdout);
	write_big(b);
	raw_close(b);
	return 0;
}

static sigjmp_buf accept_timeout;

static void jump_out_of_accept(int sig)
{
	(void)sig;
	siglongjmp(accept_timeout, 1);
}

/* accept() with a timeout, the way older servers write it: a SIGALRM
 * handler that jumps out. Returns the connection, or -1 on the timeout. */
static int accept_or_jump(int l)
{
	struct sigaction sa = { .sa_handler = jump_out_of_accept };
	sigaction(SIGALRM, &sa, NULL);
	volatile int c = -1;
	if (sigsetjmp(accept_timeout, 1) == 0) {
		struct itimerval in_100ms = { .it_value = { 0, 100 * 1000 } };
		setitimer(ITIMER_REAL, &in_100ms, NULL);
		c = accept(l, NULL, NULL);
	}
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	return c;
}

static long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* 20 closes of connections accepted and written on: prints "closes
 * TOTAL_MS slowest SLOWEST_MS". */
static void time_closes(int l, int port)
{
	long slowest = 0, total = 0;
	struct sockaddr_in a = progs_loopback(port);
	for (int i = 0; i < 20; i++) {
		int peer = socket(AF_INET, SOCK_STREAM, 0);
		if (peer < 0 || connect(peer, (struct sockaddr *)&a, sizeof a) != 0)
			exit(2);
		int c = accept_one(l, 0);
		if (write(c, "x", 1) != 1)
			exit(2);
		long t0 = now_us();
		close(c);
		long took = now_us() - t0;
		slowest = took > slowest ? took : slowest;
		total += took;
		close(peer);
	}
	printf("closes %ld slowest %ld\n", total / 1000, slowest / 1000);
	fflush(stdout);
}

/* The timer's signal is the process's: blocked on every thread but this. */
static void *jump_thread(void *arg)
{
	sigset_t alarm;
	sigemptyset(&alarm);
	sigaddset(&alarm, SIGALRM);
	pthread_sigmask(SIG_UNBLOCK, &alarm, NULL);
	accept_or_jump(*(int *)arg);
	return NULL;
}

static int accept_timeout_jump(int l, int port, bool on_thread)
{
	/* a connection to this program: the accept returns at once */
	struct sockaddr_in a = progs_loopback(port);
	int first = socket(AF_INET, SOCK_STREAM, 0);
	if (first < 0 || connect(first, (struct sockaddr *)&a, sizeof a) != 0)
		return 2;
	if (on_thread) {
		pthread_t t;
		sigset_t alarm;
		sigemptyset(&alarm);
		sigaddset(&alarm, SIGALRM);
		pthread_sigmask(SIG_BLOCK, &alarm, NULL);
		if (pthread_create(&t, NULL, jump_thread, &l) != 0)
			return 2;
		pthread_join(t, NULL);
	} else {
		accept_or_jump(l);
	}
	close(first);
	time_closes(l, port);
	return write_big_and_close(accept_one(l, 0));
}

static volatile pid_t forked_in_handler = -1;

static void fork_in_handler(int sig)
{
	(void)sig;
	int saved_errno = errno;
	forked_in_handler = fork();
	errno = saved_errno;
}

static int fork_in_arming(int l, int port)
{
	struct sockaddr_in a = progs_loopback(port);
	int first = socket(AF_INET, SOCK_STREAM, 0);
	if (first < 0 || connect(first, (struct sockaddr *)&a, sizeof a) != 0)
		return 2;
	struct sigaction sa = { .sa_handler = fork_in_handler };
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval in_100ms = { .it_value = { 0, 100 * 1000 } };
	setitimer(ITIMER_REAL, &in_100ms, NULL);
	int c = accept_one(l, 0);
	if (forked_in_handler == 0) {
		close(c);
		close(first);
		time_closes(l, port);
		_exit(0);
	}
	int status = 2;
	if (forked_in_handler < 0 || waitpid(forked_in_handler, &status, 0) < 0 || status != 0)
		return 2;
	close(c);
	close(first);
	return write_big_and_close(accept_one(l, 0));
}

static void *end_by_raw_exit(void *unused)
{
	(void)unused;
	syscall(SYS_exit, 0);
	return NULL;
}

static int thread_raw_exits(int l)
{
	for (int i = 0; i < 2; i++) {
		pthread_t t;
		/* the kernel wakes the join when the thread is gone (its
		 * clear-child-tid futex), raw exit or not */
		if (pthread_create(&t, NULL, end_by_raw_exit, NULL) != 0 || pthread_join(t, NULL) != 0)
			return 2;
	}
	int c = accept_one(l, 0);
	write_big(c);
	printf("held\n");
	fflush(stdout);
	for (;;)
		pause();
}

static pthread_t serving_thread;
static int serve_go[2];

/* Accepts once the main thread says go: only the main thread waits on the
 * listener before that (an accept() waiting beside its poll() could take
 * the connection first and leave the poll() waiting for ever). */
static void *serve_one(void *arg)
{
	char go;
	if (read(serve_go[0], &go, 1) != 1)
		return NULL;
	write_big_and_close(accept_one(*(int *)arg, 0));
	return NULL;
}

static void join_serving_thread(void)
{
	pthread_join(serving_thread, NULL);
}

static int exit_during_arm(int l)
{
	static int listener_fd;
	listener_fd = l;
	if (pipe(serve_go) != 0 || pthread_create(&serving_thread, NULL, serve_one, &listener_fd) != 0)
		return 2;
	late_lib_call_at_exit(join_serving_thread);
	struct pollfd queued = { .fd = l, .events = POLLIN };
	if (poll(&queued, 1, 10000) != 1) {
		fprintf(stderr, "close_paths: no connection queued within 10 s\n");
		return 2;
	}
	if (write(serve_go[1], "g", 1) != 1)
		return 2;
	usleep(150 * 1000);
	exit(0);
}

static int close_case(const char *how, int l)
{
	int c = accept_one(l, strstr(how, "cloexec") != NULL || strcmp(how, "syscall-execve") == 0 ? SOCK_CLOEXEC : 0);
	write_big(c);
	if (strcmp(how, "syscall-close") == 0)
		return syscall(SYS_close, c) == 0 ? 0 : 2;
	if (strcmp(how, "syscall-close-range") == 0)
		return syscall(SYS_close_range, c, c, 0) == 0 ? 0 : 2;
	if (strcmp(how, "syscall-dup2") == 0 || strcmp(how, "syscall-dup3") == 0) {
		int n = open("/dev/null", O_RDONLY);
		long rc = strcmp(how, "syscall-dup2") == 0 ? syscall(SYS_dup2, n, c) : syscall(SYS_dup3, n, c, 0);
		return rc == c ? 0 : 2;
	}
	if (strcmp(how, "shutdown") == 0) {
		if (shutdown(c, SHUT_WR) != 0)
			return 2;
		return raw_close(c) == 0 ? 0 : 2;
	}
	if (strcmp(how, "quick-exit") == 0)
		quick_exit(0);
	if (strcmp(how, "syscall-exit-group") == 0)
		syscall(SYS_exit_group, 0);
	if (strstr(how, "exec") != NULL)
		return exec_true(how, c);
	return close(c) == 0 ? 0 : 2;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: close_paths CASE PORT (see close_paths.c)\n");
		return 2;
	}
	const char *how = argv[1];
	if (strcmp(how, "accept-write") == 0)
		return accept_write(atoi(argv[2]));
	if (strcmp(how, "receive-accept") == 0)
		return receive_accept(atoi(argv[2]));
	if (strcmp(how, "passed-listener") == 0)
		return passed_listener(atoi(argv[2]), argv[0]);
	if (strcmp(how, "bind-fork") == 0)
		return bind_fork(atoi(argv[2]));
	if (strcmp(how, "dups9") == 0)
		return dups9(atoi(argv[2]));
	if (strcmp(how, "vfork-execl") == 0)
		return vfork_execl(atoi(argv[2]));
	if (strcmp(how, "sendmsg-efault") == 0)
		return sendmsg_efault();
	if (strcmp(how, "receive-write") == 0)
		return receive_write(atoi(argv[2]));
	if (strcmp(how, "write-later") == 0)
		return write_later(atoi(argv[2]));
	int l = listener(atoi(argv[2]));
	if (strcmp(how, "syscall-accept") == 0) {
		int c = (int)syscall(SYS_accept4, l, NULL, NULL, 0);
		if (c < 0)
			return 2;
		write_big(c);
		return close(c) == 0 ? 0 : 2;
	}
	if (strcmp(how, "vfork-exec") == 0 || strcmp(how, "vfork-exec-bare") == 0)
		return vfork_exec(l, strcmp(how, "vfork-exec-bare") == 0);
	if (strcmp(how, "fork-exec-listener") == 0)
		return fork_exec_listener(l, argv[0]);
	if (strcmp(how, "own-reset-exec") == 0)
		return own_reset_exec(l, argv[0]);
	if (strcmp(how, "fork-snapshot") == 0)
		return fork_snapshot(l);
	if (strcmp(how, "fork-fclose") == 0)
		return fork_fclose(l);
	if (strcmp(how, "late-linger") == 0)
		return late_linger(l);
	if (strcmp(how, "syscall-exit") == 0)
		return syscall_exit(l);
	if (strcmp(how, "signal-in-close") == 0)
		return signal_in_close(l);
	if (strcmp(how, "close-and-child-exit") == 0)
		return close_and_child_exit(l);
	if (strcmp(how, "child-own-linger") == 0)
		return child_own_linger(l);
	if (strncmp(how, "child-own-linger-", 17) == 0)
		return child_own_linger_parent_ends(l, how + 17);
	if (strncmp(how, "rearm-", 6) == 0)
		return rearm_after_child_exec(l, argv[0], how + 6);
	if (strncmp(how, "spawn-listener-", 15) == 0)
		return spawn_listener(l, argv[0], how + 15);
	if (strcmp(how, "spawn-conn") == 0)
		return spawn_conn(l);
	if (strcmp(how, "sendmmsg-conn") == 0)
		return sendmmsg_conn(l, argv[0]);
	if (strcmp(how, "raw-accept") == 0)
		return raw_accept(l);
	if (strcmp(how, "clone-vfork") == 0)
		return clone_vfork(l);
	if (strcmp(how, "queued-exec-listener") == 0)
		return queued_exec_listener(l, argv[0]);
	if (strcmp(how, "fork-stdio-crash") == 0)
		return fork_stdio_crash(l);
	if (strcmp(how, "fork-helper-kill") == 0)
		return fork_helper_kill(l);
	if (strcmp(how, "vfork-exit-crash") == 0)
		return vfork_exit_crash(l, 0);
	if (strcmp(how, "vfork-exit-crash-cloexec") == 0)
		return vfork_exit_crash(l, SOCK_CLOEXEC);
	if (strcmp(how, "exec-many-fds") == 0)
		return exec_many_fds(l);
	if (strcmp(how, "accept-timeout-jump") == 0 || strcmp(how, "accept-timeout-jump-thread") == 0)
		return accept_timeout_jump(l, atoi(argv[2]), strcmp(how, "accept-timeout-jump-thread") == 0);
	if (strcmp(how, "thread-raw-exits") == 0)
		return thread_raw_exits(l);
	if (strcmp(how, "fork-in-arming") == 0)
		return fork_in_arming(l, atoi(argv[2]));
	if (strcmp(how, "exit-during-arm") == 0)
		return exit_during_arm(l);
	if (strcmp(how, "close-range-einval") == 0 && close_range((unsigned)l, ~0u, 0x80) == 0)
		return 2;
	if (strcmp(how, "late-destructor") == 0) {
		late_lib_serve_at_exit(l);
		return 0;
	}
	if (strcmp(how, "errno-after-close") == 0)
		return errno_after_close(l);
	if (strcmp(how, "safety-net") == 0)
		return safety_net(l);
	if (strcmp(how, "listen-twice") == 0 && listen(l, 32) != 0)
		return 2;
	return close_case(how, l);
}
