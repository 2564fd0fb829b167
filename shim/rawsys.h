/* The library's own system calls. glibc's syscall() function is hooked by
 * the library itself (hooks_syscall.c), and a call to it from inside the
 * library would go through that hook: every raw call the library makes
 * goes through notw_syscall() instead, which is the bare system call.
 * Returns -1 with errno set on failure, as syscall() does. */
#ifndef NOTW_RAWSYS_H
#define NOTW_RAWSYS_H

#include <stdarg.h>

long notw_syscall(long nr, ...);

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
