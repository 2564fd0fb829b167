/* The exit paths. exit() and a return from main() run the library's
 * destructor; _exit(), _Exit(), quick_exit() (which reaches _exit inside
 * libc), a raw exit_group and the last thread's raw exit run none, so they
 * are hooked. A process killed by a signal runs nothing at all: what it
 * leaves is decided by the linger armed earlier. The destructors of the
 * program's own libraries run after this one: linger.c arms nothing new
 * from here on (rule D of shim/linger-protocol.md). */
#define _GNU_SOURCE
#include "hooks.h"

#include "linger.h"
#include "rawsys.h"
#include "real.h"
#include "state.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A vfork() child's exit must not disarm the parent's sockets (nor tell
 * the parent's memory that the process is exiting): a child whose exec
 * failed and that calls exit() instead of _exit() runs destructors. */
__attribute__((destructor)) static void notw_destructor(void)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
}

void notw_before_exit_now(void)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
}

/* The kernel's count of this process's threads (field 20 of
 * /proc/self/stat, after the command name in parentheses, which may hold
 * anything): -1 when it cannot be read. */
static long count_threads(void)
{
	char buf[512];
	int fd = (int)notw_syscall(SYS_openat, AT_FDCWD, "/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	long n = notw_syscall(SYS_read, fd, buf, sizeof buf - 1);
	notw_syscall(SYS_close, fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	/* after ") ": state is field 3, num_threads field 20 */
	for (int field = 2; p != NULL && field < 20; field++)
		p = strchr(p + 1, ' ');
	if (p == NULL)
		return -1;
	long threads = 0;
	for (p++; *p >= '0' && *p <= '9'; p++)
		threads = threads * 10 + (*p - '0');
	return threads;
}

/* The threads that began a raw exit (they never come back to say they are
 * gone: the kernel says it, a signal 0 to a thread that is gone fails). A
 * count that only grew took a process whose threads end this way now and
 * then for one that exits, and switched zero linger off for good. */
#define RAW_EXITS 32
static pid_t raw_exit_tids[RAW_EXITS];

static bool thread_alive(pid_t pid, pid_t tid)
{
	return notw_syscall(SYS_tgkill, pid, tid, 0) == 0;
}

/* Records tid among the threads in a raw exit and returns how many of
 * them (tid included) the kernel still has; RAW_EXITS + 1 when there is no
 * room to record it. */
static long threads_in_raw_exit(pid_t pid, pid_t tid)
{
	long alive = 0;
	bool recorded = false;
	for (int i = 0; i < RAW_EXITS; i++) {
		pid_t t = __atomic_load_n(&raw_exit_tids[i], __ATOMIC_SEQ_CST);
		if (t != 0 && !thread_alive(pid, t) &&
		    __atomic_compare_exchange_n(&raw_exit_tids[i], &t, 0, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			t = 0;
		if (t == 0 && !recorded) {
			pid_t none = 0;
			recorded = __atomic_compare_exchange_n(&raw_exit_tids[i], &none, tid, false,
							       __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			t = recorded ? tid : none;
		}
		alive += t != 0;
	}
	return recorded ? alive : RAW_EXITS + 1;
}

/* syscall(SYS_exit) ends only the calling thread, and the process with it
 * when it is the last. The other threads might all be inside a raw exit
 * of their own; when that cannot be ruled out (or the count cannot be
 * read), this is treated as the process's exit: graceful is the safe
 * side. */
void notw_before_thread_exit(void)
{
	if (notw_in_vfork_child() || !notw_library_active())
		return;
	pid_t pid = (pid_t)notw_syscall(SYS_getpid);
	long exiting = threads_in_raw_exit(pid, (pid_t)notw_syscall(SYS_gettid));
	long threads = count_threads();
	if (threads < 0 || threads <= exiting)
		notw_linger_at_normal_exit();
}

NOTW_EXPORT __attribute__((noreturn)) void _exit(int status)
{
	notw_before_exit_now();
	notw_call__exit(status);
	notw_exit_group(status);
}

NOTW_EXPORT __attribute__((noreturn)) void _Exit(int status)
{
	notw_before_exit_now();
	notw_call__Exit(status);
	notw_exit_group(status);
}

/* quick_exit() runs the at_quick_exit handlers and then _exit() inside
 * libc, past the hook above: disarm first (the handlers' own closes go
 * through close() as usual). */
NOTW_EXPORT __attribute__((noreturn)) void quick_exit(int status)
{
	notw_before_exit_now();
	notw_call_quick_exit(status);
	notw_exit_group(status);
}
