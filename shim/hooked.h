/* The list of the functions the library stands in front of: one line
 * each, read by real.h and real.c to make, for every function, the slot
 * that holds its next definition (libc's, or another preloaded library's),
 * its lookup by name on first use, the notw_call_NAME() that calls it, and
 * what that call does when there is no next definition. The exported hook
 * of the same name is written in the file of its family (hooks_*.c; see
 * hooks.h for its shape). syscall() is not in the list: its hook is
 * assembly on x86-64 (asm_x86_64.S) and binds its own next definition.
 *
 *   NOTW_FN(ret, name, (params), (args), fallback)
 *   NOTW_FN_VA(ret, name, (type), (params), (args), fallback)
 *       a variadic function: (type) is its parameter list as libc declares
 *       it, (params) what the library passes on (the one optional
 *       argument, pointer-sized or an int, as glibc reads it)
 *   NOTW_FN_VOID(name, (params), (args), fallback)
 *
 * fallback is an expression of the parameters, evaluated when no next
 * definition can be had (none exists, or a lookup is already under way on
 * this thread: dlsym() may allocate, and an allocator may call a hook):
 * the system call itself where there is one, else ENOSYS.
 *
 * Adding a hook: one line here, the exported function in its family's
 * file, and its name in libnotw.map. */

#define NOTW_HOOKED_FUNCTIONS(NOTW_FN, NOTW_FN_VA, NOTW_FN_VOID)                                      \
	/* sockets (hooks_socket.c, hooks_sockopt.c) */                                               \
	NOTW_FN(int, socket, (int domain, int type, int protocol), (domain, type, protocol),          \
		notw_syscall(SYS_socket, domain, type, protocol))                                     \
	NOTW_FN(int, bind, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len),     \
		notw_syscall(SYS_bind, fd, addr, len))                                                \
	NOTW_FN(int, listen, (int fd, int backlog), (fd, backlog), notw_syscall(SYS_listen, fd, backlog)) \
	NOTW_FN(int, accept, (int fd, struct sockaddr *addr, socklen_t *len), (fd, addr, len),        \
		notw_syscall(SYS_accept4, fd, addr, len, 0))                                          \
	NOTW_FN(int, accept4, (int fd, struct sockaddr *addr, socklen_t *len, int flags),             \
		(fd, addr, len, flags), notw_syscall(SYS_accept4, fd, addr, len, flags))              \
	NOTW_FN(int, connect, (int fd, const struct sockaddr *addr, socklen_t len), (fd, addr, len),  \
		notw_syscall(SYS_connect, fd, addr, len))                                             \
	NOTW_FN(int, shutdown, (int fd, int how), (fd, how), notw_syscall(SYS_shutdown, fd, how))     \
	NOTW_FN(int, getsockopt, (int fd, int level, int name, void *val, socklen_t *len),            \
		(fd, level, name, val, len), notw_syscall(SYS_getsockopt, fd, level, name, val, len)) \
	NOTW_FN(int, setsockopt, (int fd, int level, int name, const void *val, socklen_t len),       \
		(fd, level, name, val, len), notw_syscall(SYS_setsockopt, fd, level, name, val, len)) \
	/* closing (hooks_close.c) */                                                                 \
	NOTW_FN(int, close, (int fd), (fd), notw_syscall(SYS_close, fd))                              \
	NOTW_FN(int, fclose, (FILE * stream), (stream), notw_no_next(EOF))                            \
	NOTW_FN(int, close_range, (unsigned first, unsigned last, int flags), (first, last, flags),  \
		notw_syscall(SYS_close_range, first, last, flags))                                    \
	NOTW_FN_VOID(closefrom, (int lowfd), (lowfd),                                                 \
		     notw_syscall(SYS_close_range, lowfd < 0 ? 0u : (unsigned)lowfd, ~0u, 0))        \
	/* duplicating (hooks_dup.c) */                                                               \
	NOTW_FN(int, dup, (int fd), (fd), notw_syscall(SYS_dup, fd))                                  \
	NOTW_FN(int, dup2, (int oldfd, int newfd), (oldfd, newfd), notw_raw_dup2(oldfd, newfd))      \
	NOTW_FN(int, dup3, (int oldfd, int newfd, int flags), (oldfd, newfd, flags),                  \
		notw_syscall(SYS_dup3, oldfd, newfd, flags))                                          \
	NOTW_FN_VA(int, fcntl, (int, int, ...), (int fd, int cmd, void *arg), (fd, cmd, arg),         \
		   notw_syscall(SYS_fcntl, fd, cmd, arg))                                             \
	NOTW_FN_VA(int, fcntl64, (int, int, ...), (int fd, int cmd, void *arg), (fd, cmd, arg),       \
		   notw_syscall(SYS_fcntl, fd, cmd, arg))                                             \
	/* new descriptor numbers (hooks_fdnew.c) */                                                  \
	NOTW_FN_VA(int, open, (const char *, int, ...), (const char *path, int flags, mode_t mode),   \
		   (path, flags, mode), notw_syscall(SYS_openat, AT_FDCWD, path, flags, mode))        \
	NOTW_FN_VA(int, open64, (const char *, int, ...), (const char *path, int flags, mode_t mode), \
		   (path, flags, mode), notw_syscall(SYS_openat, AT_FDCWD, path, flags, mode))        \
	NOTW_FN_VA(int, openat, (int, const char *, int, ...),                                        \
		   (int dirfd, const char *path, int flags, mode_t mode), (dirfd, path, flags, mode), \
		   notw_syscall(SYS_openat, dirfd, path, flags, mode))                                \
	NOTW_FN_VA(int, openat64, (int, const char *, int, ...),                                      \
		   (int dirfd, const char *path, int flags, mode_t mode), (dirfd, path, flags, mode), \
		   notw_syscall(SYS_openat, dirfd, path, flags, mode))                                \
	NOTW_FN(int, pipe, (int *fds), (fds), notw_syscall(SYS_pipe2, fds, 0))                        \
	NOTW_FN(int, pipe2, (int *fds, int flags), (fds, flags), notw_syscall(SYS_pipe2, fds, flags)) \
	NOTW_FN(int, socketpair, (int domain, int type, int protocol, int *fds),                      \
		(domain, type, protocol, fds), notw_syscall(SYS_socketpair, domain, type, protocol, fds)) \
	NOTW_FN(int, epoll_create, (int size), (size),                                                \
		size > 0 ? notw_syscall(SYS_epoll_create1, 0) : notw_no_next_errno(EINVAL))           \
	NOTW_FN(int, epoll_create1, (int flags), (flags), notw_syscall(SYS_epoll_create1, flags))     \
	NOTW_FN(int, eventfd, (unsigned int initval, int flags), (initval, flags),                    \
		notw_syscall(SYS_eventfd2, initval, flags))                                           \
	NOTW_FN(ssize_t, recvmsg, (int fd, struct msghdr *msg, int flags), (fd, msg, flags),          \
		notw_syscall(SYS_recvmsg, fd, msg, flags))                                            \
	NOTW_FN(ssize_t, sendmsg, (int fd, const struct msghdr *msg, int flags), (fd, msg, flags),    \
		notw_syscall(SYS_sendmsg, fd, msg, flags))                                            \
	NOTW_FN(int, sendmmsg, (int fd, struct mmsghdr *msgs, unsigned int n, int flags),             \
		(fd, msgs, n, flags), notw_syscall(SYS_sendmmsg, fd, msgs, n, flags))                 \
	/* processes, threads (hooks_fork.c, hooks_exec.c, hooks_spawn.c, hooks_exit.c) */          \
	NOTW_FN(pid_t, fork, (void), (), notw_no_next(-1))                                            \
	NOTW_FN(pid_t, _Fork, (void), (), notw_no_next(-1))                                           \
	NOTW_FN_VA(int, clone, (int (*)(void *), void *, int, void *, ...),                           \
		   (int (*fn)(void *), void *stack, int flags, void *arg, pid_t *ptid, void *tls,     \
		    pid_t *ctid),                                                                     \
		   (fn, stack, flags, arg, ptid, tls, ctid), notw_no_next(-1))                        \
	NOTW_FN(int, execve, (const char *path, char *const *argv, char *const *envp),                \
		(path, argv, envp), notw_syscall(SYS_execve, path, argv, envp))                       \
	NOTW_FN(int, execv, (const char *path, char *const *argv), (path, argv), notw_no_next(-1))    \
	NOTW_FN(int, execvp, (const char *file, char *const *argv), (file, argv), notw_no_next(-1))   \
	NOTW_FN(int, execvpe, (const char *file, char *const *argv, char *const *envp),               \
		(file, argv, envp), notw_no_next(-1))                                                 \
	NOTW_FN(int, fexecve, (int fd, char *const *argv, char *const *envp), (fd, argv, envp),       \
		notw_syscall(SYS_execveat, fd, "", argv, envp, AT_EMPTY_PATH))                        \
	NOTW_FN(int, execveat,                                                                        \
		(int dirfd, const char *path, char *const *argv, char *const *envp, int flags),       \
		(dirfd, path, argv, envp, flags), notw_syscall(SYS_execveat, dirfd, path, argv, envp, flags)) \
	NOTW_FN(int, posix_spawn,                                                                     \
		(pid_t * pid, const char *path, const posix_spawn_file_actions_t *fa,                 \
		 const posix_spawnattr_t *attr, char *const *argv, char *const *envp),                \
		(pid, path, fa, attr, argv, envp), ENOSYS)                                            \
	NOTW_FN(int, posix_spawnp,                                                                    \
		(pid_t * pid, const char *file, const posix_spawn_file_actions_t *fa,                 \
		 const posix_spawnattr_t *attr, char *const *argv, char *const *envp),                \
		(pid, file, fa, attr, argv, envp), ENOSYS)                                            \
	NOTW_FN(int, posix_spawn_file_actions_adddup2, (posix_spawn_file_actions_t * fa, int fd, int newfd), \
		(fa, fd, newfd), ENOSYS)                                                              \
	NOTW_FN(int, system, (const char *command), (command), notw_no_next(-1))                      \
	NOTW_FN(FILE *, popen, (const char *command, const char *type), (command, type),              \
		notw_no_next_null())                                                                  \
	NOTW_FN(int, pthread_create,                                                                  \
		(pthread_t * thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg),  \
		(thread, attr, start, arg), ENOSYS)                                                   \
	NOTW_FN_VOID(_exit, (int status), (status), notw_exit_group(status))                          \
	NOTW_FN_VOID(_Exit, (int status), (status), notw_exit_group(status))                          \
	NOTW_FN_VOID(quick_exit, (int status), (status), notw_exit_group(status))
