/* The library's own system calls, past its syscall() hook (rawsys.h). */
#include "rawsys.h"

#include <errno.h>

#if defined(__x86_64__)
static long bare_call(long nr, const long a[6])
{
	register long r10 __asm__("r10") = a[3];
	register long r8 __asm__("r8") = a[4];
	register long r9 __asm__("r9") = a[5];
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}
#else
/* Elsewhere: libc's own function, found past the library's hook (the
 * next definition after this object in the lookup order). */
#include <dlfcn.h>

typedef long libc_call_fn(long, ...);

static long bare_call(long nr, const long a[6])
{
	static libc_call_fn *next;
	libc_call_fn *fn = __atomic_load_n(&next, __ATOMIC_ACQUIRE);
	if (fn == NULL) {
		union {
			void *object;
			libc_call_fn *function;
		} found = { .object = dlsym(RTLD_NEXT, "syscall") };
		fn = found.function;
		__atomic_store_n(&next, fn, __ATOMIC_RELEASE);
	}
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	return fn(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif

long notw_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
	const long a[6] = { a1, a2, a3, a4, a5, a6 };
	return bare_call(nr, a);
}
