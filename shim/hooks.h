/* The hooks: the exported functions of hooked.h's list, one file per
 * family (hooks_*.c), and the logic behind them that other parts of the
 * library call without going through the dynamic linker (the syscall()
 * hook routes the system call numbers it watches here). Each behaves as
 * the libc function of the same name: its return value and its errno are
 * the next definition's.
 *
 * The shape of a hook: call the next definition through notw_call_NAME()
 * (real.h); pass the gate below; keep errno across the library's own work
 * (NOTW_KEEP_ERRNO); the work itself is a function of the family's file or
 * of linger.c, recover.c.
 *
 * The gate, the one rule of when a hook does more than pass the call on:
 * - Only the hooks that start tracking a descriptor (socket, bind,
 *   listen, accept, connect) ask notw_may_track(). The first such call
 *   makes the library ready (policy file, environment, log), so a program
 *   that never opens a socket pays for nothing but the loader's work; with
 *   enabled = off it answers false, and nothing is ever recorded.
 * - Every other hook acts only on what the table holds for its
 *   descriptors, which is nothing before that (and always, when disabled);
 *   the process-wide ones (exec, spawn) ask notw_library_active().
 * - A vfork() child shares the parent's memory but not its descriptors: it
 *   records nothing (notw_in_vfork_child()). */
#ifndef NOTW_HOOKS_H
#define NOTW_HOOKS_H

#include "fdtable.h"
#include "rawsys.h"
#include "state.h"
#include "tracking.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

static inline bool notw_may_track(void)
{
	return !notw_in_vfork_child() && notw_ensure_ready();
}

/* A number the kernel handed out (open, pipe, recvmsg's SCM_RIGHTS, ...):
 * stale state there is a close the library did not see (hooks_fdnew.c). */
void notw_check_number(int fd, const char *call);

/* The calls that are cancellation points as libc functions and not as
 * system calls through syscall() (close, accept, accept4, sendmsg,
 * sendmmsg): their hook takes the real call as its last argument, the
 * next definition (the exported hook) or the system call itself (the
 * syscall() hook), and is one body for both. */
typedef int (*notw_real_close)(int fd);
int notw_close_hook(int fd, notw_real_close real);
typedef int (*notw_real_accept)(int fd, struct sockaddr *addr, socklen_t *len, int flags);
int notw_accept_hook(int fd, struct sockaddr *addr, socklen_t *len, int flags, notw_real_accept real);
struct msghdr;
struct mmsghdr;
typedef ssize_t (*notw_real_sendmsg)(int fd, const struct msghdr *msg, int flags);
ssize_t notw_sendmsg_hook(int fd, const struct msghdr *msg, int flags, notw_real_sendmsg real);
typedef int (*notw_real_sendmmsg)(int fd, struct mmsghdr *msgs, unsigned int n, int flags);
int notw_sendmmsg_hook(int fd, struct mmsghdr *msgs, unsigned int n, int flags, notw_real_sendmmsg real);

int notw_close_range_hook(unsigned first, unsigned last, int flags);
int notw_dup_hook(int fd);
/* dup2() or dup3() (with its flags) of oldfd onto newfd. */
enum notw_dup_onto { NOTW_DUP2, NOTW_DUP3 };
int notw_dup_onto_hook(int oldfd, int newfd, int flags, enum notw_dup_onto call);
int notw_shutdown_hook(int fd, int how);
int notw_execve_hook(const char *path, char *const argv[], char *const envp[]);
int notw_execveat_hook(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);

/* Before the process ends without running destructors (_exit, _Exit,
 * quick_exit, exit_group). */
void notw_before_exit_now(void);

/* syscall(SYS_exit): only this thread ends, unless it is the last. */
void notw_before_thread_exit(void);

/* A fork through syscall() (SYS_fork, SYS_clone, SYS_clone3 with flags):
 * the fork handlers around call(nr, a1..a5), which libc runs none of. */
long notw_fork_syscall_hook(long nr, long (*call)(long, ...), long flags, long a1, long a2, long a3, long a4,
			    long a5);


#endif
