/* The library's own system calls. glibc's syscall() function is hooked by
 * the library itself (hooks_syscall.c), and a call to it from inside the
 * library would go through that hook: every raw call the library makes
 * goes through notw_syscall(nr, args...) instead, which is the bare system
 * call. Returns -1 with errno set on failure, as syscall() does. */
#ifndef NOTW_RAWSYS_H
#define NOTW_RAWSYS_H

#include <errno.h>
#include <stdarg.h>

/* The bare system call, of fixed arity: notw_syscall(nr, args...) is
 * notw_syscall6() with the arguments its caller wrote, each converted to
 * long, and zeros for the rest. (A variadic function would read six
 * arguments whatever its caller passed: undefined behaviour, which an
 * optimised sanitizer build reports as a read below the caller's frame.) */
long notw_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

#define notw_syscall(...)                                                      \
	NOTW_SYSCALL_PICK_(__VA_ARGS__, NOTW_SYSCALL6_, NOTW_SYSCALL5_,        \
			   NOTW_SYSCALL4_, NOTW_SYSCALL3_, NOTW_SYSCALL2_,     \
			   NOTW_SYSCALL1_, NOTW_SYSCALL0_, _)(__VA_ARGS__)
#define NOTW_SYSCALL_PICK_(nr, a1, a2, a3, a4, a5, a6, name, ...) name
#define NOTW_SYSCALL0_(nr) notw_syscall6(nr, 0, 0, 0, 0, 0, 0)
#define NOTW_SYSCALL1_(nr, a1) notw_syscall6(nr, (long)(a1), 0, 0, 0, 0, 0)
#define NOTW_SYSCALL2_(nr, a1, a2) notw_syscall6(nr, (long)(a1), (long)(a2), 0, 0, 0, 0)
#define NOTW_SYSCALL3_(nr, a1, a2, a3)                                         \
	notw_syscall6(nr, (long)(a1), (long)(a2), (long)(a3), 0, 0, 0)
#define NOTW_SYSCALL4_(nr, a1, a2, a3, a4)                                     \
	notw_syscall6(nr, (long)(a1), (long)(a2), (long)(a3), (long)(a4), 0, 0)
#define NOTW_SYSCALL5_(nr, a1, a2, a3, a4, a5)                                 \
	notw_syscall6(nr, (long)(a1), (long)(a2), (long)(a3), (long)(a4),      \
		      (long)(a5), 0)
#define NOTW_SYSCALL6_(nr, a1, a2, a3, a4, a5, a6)                             \
	notw_syscall6(nr, (long)(a1), (long)(a2), (long)(a3), (long)(a4),      \
		      (long)(a5), (long)(a6))

/* Runs the statement with the program's errno kept around it. */
#define NOTW_KEEP_ERRNO(statement)                                             \
	do {                                                                   \
		int saved_errno_ = errno;                                      \
		statement;                                                     \
		errno = saved_errno_;                                          \
	} while (0)

/* A system call of up to five arguments that leaves errno alone: returns
 * the kernel's answer, -errno on failure. For the calls the library makes
 * on the program's behalf on its hot paths (a setsockopt per connection),
 * where saving and restoring errno would cost more than the call's own
 * instructions. */
#if defined(__x86_64__)
static inline long notw_syscall5_noerrno(long nr, long a1, long a2, long a3, long a4, long a5)
{
	register long r10 __asm__("r10") = a4;
	register long r8 __asm__("r8") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}
#else
#include <errno.h>
static inline long notw_syscall5_noerrno(long nr, long a1, long a2, long a3, long a4, long a5)
{
	int saved_errno = errno;
	long ret = notw_syscall(nr, a1, a2, a3, a4, a5);
	if (ret < 0)
		ret = -errno;
	errno = saved_errno;
	return ret;
}
#endif

/* In a function declared like syscall(long nr, ...): its six arguments
 * after nr, as syscall() reads them, into long a[6]. */
#define NOTW_SYSCALL_ARGS(nr, a)                                               \
	do {                                                                   \
		va_list ap_;                                                   \
		va_start(ap_, nr);                                             \
		for (int i_ = 0; i_ < 6; i_++)                                 \
			(a)[i_] = va_arg(ap_, long);                           \
		va_end(ap_);                                                   \
	} while (0)

#endif
