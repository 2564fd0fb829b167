/* The functions the hooks stand in front of: the next definition in the
 * lookup order (libc, or another preloaded library), bound once. */
#ifndef NOTW_REAL_H
#define NOTW_REAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/types.h>

struct notw_real_fns {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept)(int, struct sockaddr *, socklen_t *);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*close)(int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*fcntl64)(int, int, ...);
	void (*exit_now)(int);   /* _exit */
	void (*exit_now2)(int);  /* _Exit */
	int (*fclose)(FILE *);
	int (*close_range)(unsigned, unsigned, int);
	void (*closefrom)(int);
	int (*shutdown)(int, int);
	pid_t (*fork)(void);
	void (*quick_exit)(int);
};

extern struct notw_real_fns notw_real;

/* Bind every entry (once, thread-safe). Returns false while this thread is
 * itself binding them: dlsym() may allocate, and an allocator may call a
 * hook; the caller then makes the raw system call instead. */
bool notw_real_bind(void);

/* Fallbacks for the rare call that arrives before binding is done. */
int notw_real_socket_slow(int domain, int type, int protocol);
int notw_real_bind_slow(int fd, const struct sockaddr *addr, socklen_t len);
int notw_real_listen_slow(int fd, int backlog);
int notw_real_accept4_slow(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool four);
int notw_real_close_slow(int fd);
int notw_real_connect_slow(int fd, const struct sockaddr *addr, socklen_t len);
int notw_real_getsockopt_slow(int fd, int level, int name, void *val, socklen_t *len);
int notw_real_setsockopt_slow(int fd, int level, int name, const void *val, socklen_t len);
int notw_real_shutdown_slow(int fd, int how);
int notw_real_dup_slow(int fd);
int notw_real_dup3_slow(int oldfd, int newfd, int flags, bool three);
int notw_real_fcntl_slow(int fd, int cmd, void *arg, bool is64);
__attribute__((noreturn)) void notw_real_exit_now(int status, bool upper);

#define NOTW_REAL(name) __atomic_load_n(&notw_real.name, __ATOMIC_RELAXED)

static inline int notw_call_socket(int domain, int type, int protocol)
{
	int (*fn)(int, int, int) = NOTW_REAL(socket);
	return __builtin_expect(fn != NULL, 1) ? fn(domain, type, protocol)
					      : notw_real_socket_slow(domain, type, protocol);
}

static inline int notw_call_bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*fn)(int, const struct sockaddr *, socklen_t) = NOTW_REAL(bind);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, addr, len) : notw_real_bind_slow(fd, addr, len);
}

static inline int notw_call_listen(int fd, int backlog)
{
	int (*fn)(int, int) = NOTW_REAL(listen);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, backlog) : notw_real_listen_slow(fd, backlog);
}

static inline int notw_call_accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	int (*fn)(int, struct sockaddr *, socklen_t *) = NOTW_REAL(accept);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, addr, len)
					      : notw_real_accept4_slow(fd, addr, len, 0, false);
}

static inline int notw_call_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	int (*fn)(int, struct sockaddr *, socklen_t *, int) = NOTW_REAL(accept4);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, addr, len, flags)
					      : notw_real_accept4_slow(fd, addr, len, flags, true);
}

static inline int notw_call_close(int fd)
{
	int (*fn)(int) = NOTW_REAL(close);
	return __builtin_expect(fn != NULL, 1) ? fn(fd) : notw_real_close_slow(fd);
}

static inline int notw_call_connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	int (*fn)(int, const struct sockaddr *, socklen_t) = NOTW_REAL(connect);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, addr, len) : notw_real_connect_slow(fd, addr, len);
}

static inline int notw_call_getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int (*fn)(int, int, int, void *, socklen_t *) = NOTW_REAL(getsockopt);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, level, name, val, len)
					      : notw_real_getsockopt_slow(fd, level, name, val, len);
}

static inline int notw_call_setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int (*fn)(int, int, int, const void *, socklen_t) = NOTW_REAL(setsockopt);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, level, name, val, len)
					      : notw_real_setsockopt_slow(fd, level, name, val, len);
}

static inline int notw_call_shutdown(int fd, int how)
{
	int (*fn)(int, int) = NOTW_REAL(shutdown);
	return __builtin_expect(fn != NULL, 1) ? fn(fd, how) : notw_real_shutdown_slow(fd, how);
}

#endif
