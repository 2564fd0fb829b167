/* The syscall() hook: the system call numbers that close, duplicate,
 * accept, shut down, exec or exit go through the same logic as their libc
 * functions; every other number goes straight to the next definition. On
 * x86-64 the filter is in assembly (asm_x86_64.S) so that a call it does
 * not intercept costs five instructions; elsewhere it is the portable C
 * below. */
#define _GNU_SOURCE
#include "hooks.h"

#include "fdtable.h"
#include "rawsys.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The filter's bound (shim/meson.build, the one place of the number; the
 * assembly filter compares with it too): every watched number is below. */
#define WATCH_BITS NOTW_SYSCALL_WATCH_BITS

/* The numbers the filter watches, each with its case in
 * notw_syscall_intercept()'s switch: one list for the bitmap, the bound
 * check and the enumeration the switch runs over, so that a number without
 * its case, or a case without its number, does not compile (-Wswitch-enum
 * and -Wswitch are errors there). X(arg, number) for each. */
#define WATCHED_SYSCALLS(X, arg)                                                               \
	X(arg, SYS_close) X(arg, SYS_close_range) X(arg, SYS_dup) X(arg, DUP2_NR) X(arg, SYS_dup3) \
	X(arg, ACCEPT_NR) X(arg, SYS_accept4) X(arg, SYS_shutdown) X(arg, SYS_execve)              \
	X(arg, SYS_execveat) X(arg, SYS_exit_group) X(arg, SYS_exit) X(arg, FORK_NR)               \
	X(arg, SYS_clone) X(arg, SYS_clone3) X(arg, SYS_sendmsg) X(arg, SYS_sendmmsg)

/* Architectures without these calls (arm64) use a negative number, which
 * no bit stands for and no caller's number reaches (the filter compares
 * unsigned). */
#ifdef SYS_dup2
#define DUP2_NR SYS_dup2
#else
#define DUP2_NR (-1)
#endif
#ifdef SYS_accept
#define ACCEPT_NR SYS_accept
#else
#define ACCEPT_NR (-2)
#endif
#ifdef SYS_fork
#define FORK_NR SYS_fork
#else
#define FORK_NR (-3)
#endif

#define BELOW_BOUND(unused, n) _Static_assert((n) < WATCH_BITS, #n " is above the filter's bound");
WATCHED_SYSCALLS(BELOW_BOUND, 0)

#define AS_ENUMERATOR(unused, n) WATCHED_##n = (n),
enum watched_syscall { WATCHED_SYSCALLS(AS_ENUMERATOR, 0) };

#define BIT(n) ((n) >= 0 && (n) < WATCH_BITS ? (uint64_t)1 << ((n) % 64) : 0u)
#define OR_BIT_IN_WORD(w, n) | ((n) / 64 == (w) ? BIT(n) : 0u)
#define WATCHED_IN_WORD(w) (0u WATCHED_SYSCALLS(OR_BIT_IN_WORD, w))

__attribute__((visibility("hidden"))) const uint64_t notw_syscall_watched[WATCH_BITS / 64] = {
	WATCHED_IN_WORD(0), WATCHED_IN_WORD(1), WATCHED_IN_WORD(2), WATCHED_IN_WORD(3),
	WATCHED_IN_WORD(4), WATCHED_IN_WORD(5), WATCHED_IN_WORD(6),
};

long notw_syscall_failed(long err);
long notw_syscall_failed(long err)
{
	errno = (int)err;
	return -1;
}

static notw_syscall_fn next_syscall(void)
{
	return __atomic_load_n(&notw_syscall_next, __ATOMIC_RELAXED);
}

/* close, accept, accept4, sendmsg and sendmmsg are cancellation points as
 * libc functions and not as system calls through syscall(): those keep the
 * system call, which their hooks (hooks.h) make as the real call. */
static int syscall_close(int fd)
{
	return (int)next_syscall()(SYS_close, (long)fd);
}

#ifdef SYS_accept
static int syscall_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	(void)flags;
	return (int)next_syscall()(SYS_accept, (long)fd, (long)addr, (long)len);
}
#endif

static int syscall_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return (int)next_syscall()(SYS_accept4, (long)fd, (long)addr, (long)len, (long)flags);
}

static ssize_t syscall_sendmsg(int fd, const struct msghdr *msg, int flags)
{
	return (ssize_t)next_syscall()(SYS_sendmsg, (long)fd, (long)msg, (long)flags);
}

static int syscall_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
	return (int)next_syscall()(SYS_sendmmsg, (long)fd, (long)msgs, (long)n, (long)flags);
}

/* clone3's flags: the first member of struct clone_args, when the
 * program's size says it is there (the kernel checks the rest). */
static long clone3_flags(long args, long size)
{
	uint64_t flags = 0;
	if (args != 0 && size >= (long)sizeof flags)
		memcpy(&flags, (const void *)args, sizeof flags);
	return (long)flags;
}

/* Every number of WATCHED_SYSCALLS has its case here, and no other. */
#pragma GCC diagnostic push
#pragma GCC diagnostic error "-Wswitch"
#pragma GCC diagnostic error "-Wswitch-enum"
long notw_syscall_intercept(long nr, long a1, long a2, long a3, long a4, long a5);
long notw_syscall_intercept(long nr, long a1, long a2, long a3, long a4, long a5)
{
	switch ((enum watched_syscall)nr) {
	case SYS_close:
		return notw_close_hook((int)a1, syscall_close);
	case SYS_close_range:
		return notw_close_range_hook((unsigned)a1, (unsigned)a2, (int)a3);
	case SYS_dup:
		return notw_dup_hook((int)a1);
	case DUP2_NR:
		return notw_dup_onto_hook((int)a1, (int)a2, 0, NOTW_DUP2);
	case SYS_dup3:
		return notw_dup_onto_hook((int)a1, (int)a2, (int)a3, NOTW_DUP3);
#ifdef SYS_accept
	case ACCEPT_NR:
		return notw_accept_hook((int)a1, (struct sockaddr *)a2, (socklen_t *)a3, 0, syscall_accept);
#else
	case ACCEPT_NR:
		break;
#endif
	case SYS_accept4:
		return notw_accept_hook((int)a1, (struct sockaddr *)a2, (socklen_t *)a3, (int)a4, syscall_accept4);
	case SYS_shutdown:
		return notw_shutdown_hook((int)a1, (int)a2);
	case SYS_execve:
		return notw_execve_hook((const char *)a1, (char *const *)a2, (char *const *)a3);
	case SYS_execveat:
		return notw_execveat_hook((int)a1, (const char *)a2, (char *const *)a3, (char *const *)a4,
					  (int)a5);
	case SYS_exit_group:
		notw_before_exit_now();
		break;
	case SYS_exit:
		notw_before_thread_exit();
		break;
	case FORK_NR:
		return notw_fork_syscall_hook(nr, next_syscall(), 0, a1, a2, a3, a4, a5);
	case SYS_clone:
		return notw_fork_syscall_hook(nr, next_syscall(), a1, a1, a2, a3, a4, a5);
	case SYS_clone3:
		return notw_fork_syscall_hook(nr, next_syscall(), clone3_flags(a1, a2), a1, a2, a3, a4, a5);
	case SYS_sendmsg:
		return notw_sendmsg_hook((int)a1, (const struct msghdr *)a2, (int)a3, syscall_sendmsg);
	case SYS_sendmmsg:
		return notw_sendmmsg_hook((int)a1, (struct mmsghdr *)a2, (unsigned)a3, (int)a4, syscall_sendmmsg);
	default:
		break;
	}
	return next_syscall()(nr, a1, a2, a3, a4, a5);
}
#pragma GCC diagnostic pop

#if !NOTW_OWN_SYSCALL
NOTW_EXPORT long syscall(long nr, ...)
{
	long a[6];
	NOTW_SYSCALL_ARGS(nr, a);
	if ((unsigned long)nr < WATCH_BITS && (notw_syscall_watched[nr / 64] >> (nr % 64) & 1u) != 0)
		return notw_syscall_intercept(nr, a[0], a[1], a[2], a[3], a[4]);
	return next_syscall()(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif
