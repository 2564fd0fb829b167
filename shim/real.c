#define _GNU_SOURCE /* RTLD_NEXT */
#include "rawsys.h"
#include "real.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) struct notw_real_fns notw_real;

/* The syscall() hook jumps here for the numbers it does not watch
 * (hooks_syscall.c); it starts as the bare system call. */
typedef long (*syscall_fn)(long, ...);
extern syscall_fn notw_syscall_next;

static pthread_once_t bind_once = PTHREAD_ONCE_INIT;
static __thread bool binding_here __attribute__((tls_model("initial-exec")));

/* dlsym() hands back an object pointer; a union turns it into a function
 * pointer without a cast that C leaves undefined. */
#define BIND_NEXT(field)                                                       \
	do {                                                                   \
		union {                                                        \
			void *object;                                          \
			__typeof__(notw_real.field) function;                  \
		} next_ = { .object = dlsym(RTLD_NEXT, #field) };              \
		__atomic_store_n(&notw_real.field, next_.function, __ATOMIC_RELEASE); \
	} while (0)

#define BIND_NEXT_AS(field, symbol)                                            \
	do {                                                                   \
		union {                                                        \
			void *object;                                          \
			__typeof__(notw_real.field) function;                  \
		} next_ = { .object = dlsym(RTLD_NEXT, symbol) };              \
		__atomic_store_n(&notw_real.field, next_.function, __ATOMIC_RELEASE); \
	} while (0)

/* The same for a pointer of its own; left as it is when there is none. */
#define BIND_POINTER(pointer, symbol)                                          \
	do {                                                                   \
		union {                                                        \
			void *object;                                          \
			__typeof__(pointer) function;                          \
		} next_ = { .object = dlsym(RTLD_NEXT, symbol) };              \
		if (next_.function != NULL)                                    \
			__atomic_store_n(&(pointer), next_.function, __ATOMIC_RELEASE); \
	} while (0)

static void bind_all(void)
{
	BIND_NEXT(socket);
	BIND_NEXT(bind);
	BIND_NEXT(listen);
	BIND_NEXT(accept);
	BIND_NEXT(accept4);
	BIND_NEXT(close);
	BIND_NEXT(connect);
	BIND_NEXT(getsockopt);
	BIND_NEXT(setsockopt);
	BIND_NEXT(dup);
	BIND_NEXT(dup2);
	BIND_NEXT(dup3);
	BIND_NEXT(fcntl);
	BIND_NEXT(fcntl64);
	BIND_NEXT_AS(exit_now, "_exit");
	BIND_NEXT_AS(exit_now2, "_Exit");
	BIND_NEXT(fclose);
	BIND_NEXT(close_range);
	BIND_NEXT(closefrom);
	BIND_NEXT(shutdown);
	BIND_NEXT(fork);
	BIND_NEXT(quick_exit);
	BIND_POINTER(notw_syscall_next, "syscall");
}

/* The flag is set before pthread_once(): a hook reached from inside it on
 * this thread (dlsym allocating, or a signal handler arriving while the
 * once is marked in progress) must not wait for itself. */
bool notw_real_bind(void)
{
	if (binding_here)
		return false;
	binding_here = true;
	pthread_once(&bind_once, bind_all);
	binding_here = false;
	return true;
}

/* Each fallback binds if it can and calls the next definition; if that is
 * impossible (recursion from inside dlsym, or no definition found) it makes
 * the system call itself. */

int notw_real_socket_slow(int domain, int type, int protocol)
{
	if (notw_real_bind() && NOTW_REAL(socket) != NULL)
		return NOTW_REAL(socket)(domain, type, protocol);
	return (int)notw_syscall(SYS_socket, domain, type, protocol);
}

int notw_real_bind_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (notw_real_bind() && NOTW_REAL(bind) != NULL)
		return NOTW_REAL(bind)(fd, addr, len);
	return (int)notw_syscall(SYS_bind, fd, addr, len);
}

int notw_real_listen_slow(int fd, int backlog)
{
	if (notw_real_bind() && NOTW_REAL(listen) != NULL)
		return NOTW_REAL(listen)(fd, backlog);
	return (int)notw_syscall(SYS_listen, fd, backlog);
}

int notw_real_accept4_slow(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool four)
{
	if (notw_real_bind()) {
		if (four && NOTW_REAL(accept4) != NULL)
			return NOTW_REAL(accept4)(fd, addr, len, flags);
		if (!four && NOTW_REAL(accept) != NULL)
			return NOTW_REAL(accept)(fd, addr, len);
	}
	return (int)notw_syscall(SYS_accept4, fd, addr, len, flags);
}

int notw_real_close_slow(int fd)
{
	if (notw_real_bind() && NOTW_REAL(close) != NULL)
		return NOTW_REAL(close)(fd);
	return (int)notw_syscall(SYS_close, fd);
}

int notw_real_connect_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (notw_real_bind() && NOTW_REAL(connect) != NULL)
		return NOTW_REAL(connect)(fd, addr, len);
	return (int)notw_syscall(SYS_connect, fd, addr, len);
}

int notw_real_getsockopt_slow(int fd, int level, int name, void *val, socklen_t *len)
{
	if (notw_real_bind() && NOTW_REAL(getsockopt) != NULL)
		return NOTW_REAL(getsockopt)(fd, level, name, val, len);
	return (int)notw_syscall(SYS_getsockopt, fd, level, name, val, len);
}

int notw_real_setsockopt_slow(int fd, int level, int name, const void *val, socklen_t len)
{
	if (notw_real_bind() && NOTW_REAL(setsockopt) != NULL)
		return NOTW_REAL(setsockopt)(fd, level, name, val, len);
	return (int)notw_syscall(SYS_setsockopt, fd, level, name, val, len);
}

int notw_real_dup_slow(int fd)
{
	if (notw_real_bind() && NOTW_REAL(dup) != NULL)
		return NOTW_REAL(dup)(fd);
	return (int)notw_syscall(SYS_dup, fd);
}

int notw_real_dup3_slow(int oldfd, int newfd, int flags, bool three)
{
	if (notw_real_bind()) {
		if (three && NOTW_REAL(dup3) != NULL)
			return NOTW_REAL(dup3)(oldfd, newfd, flags);
		if (!three && NOTW_REAL(dup2) != NULL)
			return NOTW_REAL(dup2)(oldfd, newfd);
	}
	if (!three && oldfd == newfd) /* dup2 checks oldfd and returns it */
		return (int)notw_syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
	return (int)notw_syscall(SYS_dup3, oldfd, newfd, flags);
}

int notw_real_fcntl_slow(int fd, int cmd, void *arg, bool is64)
{
	if (notw_real_bind()) {
		int (*fn)(int, int, ...) = is64 ? NOTW_REAL(fcntl64) : NOTW_REAL(fcntl);
		if (fn == NULL)
			fn = NOTW_REAL(fcntl);
		if (fn != NULL)
			return fn(fd, cmd, arg);
	}
	return (int)notw_syscall(SYS_fcntl, fd, cmd, arg);
}

int notw_real_shutdown_slow(int fd, int how)
{
	if (notw_real_bind() && NOTW_REAL(shutdown) != NULL)
		return NOTW_REAL(shutdown)(fd, how);
	return (int)notw_syscall(SYS_shutdown, fd, how);
}

void notw_real_exit_now(int status, bool upper)
{
	if (notw_real_bind()) {
		void (*fn)(int) = upper ? NOTW_REAL(exit_now2) : NOTW_REAL(exit_now);
		if (fn != NULL)
			fn(status);
	}
	for (;;)
		notw_syscall(SYS_exit_group, status);
}
