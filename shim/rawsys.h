/* The library's own system calls. glibc's syscall() function is hooked by
 * the library itself (hooks_syscall.c), and a call to it from inside the
 * library would go through that hook: every raw call the library makes
 * goes through notw_syscall() instead, which is the bare system call.
 * Returns -1 with errno set on failure, as syscall() does. */
#ifndef NOTW_RAWSYS_H
#define NOTW_RAWSYS_H

long notw_syscall(long nr, ...);

#endif
