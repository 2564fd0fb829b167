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

/* Threads that have begun a raw exit (they never come back to say they
 * are gone). */
static unsigned raw_thread_exits;

/* syscall(SYS_exit) ends only the calling thread, and the process with it
 * when it is the last. The other threads might all be inside a raw exit
 * of their own; when that cannot be ruled out (or the count cannot be
 * read), this is treated as the process's exit: graceful is the safe
 * side. */
void notw_before_thread_exit(void)
{
	if (notw_in_vfork_child() || !notw_library_active())
		return;
	unsigned exiting = __atomic_add_fetch(&raw_thread_exits, 1u, __ATOMIC_SEQ_CST);
	long threads = count_threads();
	if (threads < 0 || threads <= (long)exiting)
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
