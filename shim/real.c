#define _GNU_SOURCE /* RTLD_NEXT */
#include "real.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) struct notw_real_fns notw_real;

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

static void bind_all(void)
{
	binding_here = true;
	BIND_NEXT(socket);
	BIND_NEXT(bind);
	BIND_NEXT(listen);
	BIND_NEXT(accept);
	BIND_NEXT(accept4);
	BIND_NEXT(close);
	binding_here = false;
}

bool notw_real_bind(void)
{
	if (binding_here)
		return false;
	pthread_once(&bind_once, bind_all);
	return true;
}

/* Each fallback binds if it can and calls the next definition; if that is
 * impossible (recursion from inside dlsym, or no definition found) it makes
 * the system call itself. */

int notw_real_socket_slow(int domain, int type, int protocol)
{
	if (notw_real_bind() && NOTW_REAL(socket) != NULL)
		return NOTW_REAL(socket)(domain, type, protocol);
	return (int)syscall(SYS_socket, domain, type, protocol);
}

int notw_real_bind_slow(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (notw_real_bind() && NOTW_REAL(bind) != NULL)
		return NOTW_REAL(bind)(fd, addr, len);
	return (int)syscall(SYS_bind, fd, addr, len);
}

int notw_real_listen_slow(int fd, int backlog)
{
	if (notw_real_bind() && NOTW_REAL(listen) != NULL)
		return NOTW_REAL(listen)(fd, backlog);
	return (int)syscall(SYS_listen, fd, backlog);
}

int notw_real_accept4_slow(int fd, struct sockaddr *addr, socklen_t *len, int flags, bool four)
{
	if (notw_real_bind()) {
		if (four && NOTW_REAL(accept4) != NULL)
			return NOTW_REAL(accept4)(fd, addr, len, flags);
		if (!four && NOTW_REAL(accept) != NULL)
			return NOTW_REAL(accept)(fd, addr, len);
	}
	return (int)syscall(SYS_accept4, fd, addr, len, flags);
}

int notw_real_close_slow(int fd)
{
	if (notw_real_bind() && NOTW_REAL(close) != NULL)
		return NOTW_REAL(close)(fd);
	return (int)syscall(SYS_close, fd);
}
