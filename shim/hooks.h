/* The logic behind the exported hooks, callable from inside the library
 * without going through the dynamic linker: the syscall() hook routes the
 * system call numbers it watches here. Each behaves as the libc function
 * of the same name (return value and errno). */
#ifndef NOTW_HOOKS_H
#define NOTW_HOOKS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* What the close() hook does around the real call, for a descriptor in
 * state flags (0: untracked, nothing to do). */
void notw_before_close_call(int fd, uint32_t flags);
void notw_after_close_call(int fd, uint32_t flags, long rc);
int notw_close_range_hook(unsigned first, unsigned last, int flags);
int notw_dup_hook(int fd);
int notw_dup3_hook(int oldfd, int newfd, int flags, bool three);
/* conn was just accepted from listener. */
void notw_after_accept(int listener, int conn);
int notw_shutdown_hook(int fd, int how);
int notw_execve_hook(const char *path, char *const argv[], char *const envp[]);
int notw_execveat_hook(int dirfd, const char *path, char *const argv[], char *const envp[], int flags);

/* Before the process ends without running destructors (_exit, _Exit,
 * quick_exit, exit_group). */
void notw_before_exit_now(void);

/* fd was just handed out by the kernel (socket, accept, open, pipe, ...):
 * drop stale state (the safety net looks at it), then record flags. */
void notw_fresh_descriptor(int fd, uint32_t flags, const char *call);

/* A sendmsg()/sendmmsg() went through (rc: its result, sent: messages):
 * the sockets handed to another process are disarmed. */
struct msghdr;
struct mmsghdr;
void notw_after_sendmsg(const struct msghdr *msg, long rc);
void notw_after_sendmmsg(const struct mmsghdr *msgs, long sent);

#endif
