/* The next definitions of the hooked functions (the list is hooked.h):
 * notw_call_NAME() calls the one after the library in the lookup order,
 * looked up by name the first time it is needed, so that a program pays
 * at start-up for none of them. */
#ifndef NOTW_REAL_H
#define NOTW_REAL_H

#include "hooked.h"
#include "rawsys.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Declared by <sys/socket.h> only with _GNU_SOURCE; some hook files are
 * built without it (hooks_socket.c says why). */
struct mmsghdr;
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#define NOTW_ID_(ret, name, ...) NOTW_ID_##name,
#define NOTW_ID_VOID_(name, ...) NOTW_ID_##name,
enum notw_hooked_id { NOTW_HOOKED_FUNCTIONS(NOTW_ID_, NOTW_ID_, NOTW_ID_VOID_) NOTW_HOOKED_COUNT };
#undef NOTW_ID_
#undef NOTW_ID_VOID_

/* One slot a function: NULL until its next definition is found. */
extern void *notw_next_fn[NOTW_HOOKED_COUNT];

/* Looks the next definition up (dlsym), fills its slot and returns it;
 * NULL when there is none, or when this thread is already inside a lookup. */
void *notw_next_lookup(enum notw_hooked_id id);
/* The same lookup for a name outside the list (syscall). */
void *notw_next_lookup_name(const char *name);
/* Every slot looked up now, syscall()'s too, the first time only (see
 * pthread_create() in hooks_fork.c). */
void notw_next_bind_all(void);

/* The next definition of syscall(), for its hook (hooks_syscall.c and the
 * assembly filter): looked up on its first call. */
typedef long (*notw_syscall_fn)(long, ...);
extern notw_syscall_fn notw_syscall_next;

/* The fallbacks hooked.h names. */
static inline int notw_no_next(int value)
{
	errno = ENOSYS;
	return value;
}

static inline void *notw_no_next_null(void)
{
	errno = ENOSYS;
	return NULL;
}

static inline int notw_no_next_errno(int err)
{
	errno = err;
	return -1;
}

/* dup2() as the system calls have it (dup2(fd, fd) checks fd). */
int notw_raw_dup2(int oldfd, int newfd);
__attribute__((noreturn)) void notw_exit_group(int status);

/* notw_call_NAME(): the next definition, called through its slot; the
 * first call (and a call with no definition) goes through notw_first_NAME()
 * in real.c, out of line, so that the common path stays a load, a test and
 * a jump. A function pointer from the object pointer dlsym() gives is a
 * union, since C leaves the cast undefined. */
#define NOTW_FIRST_DECL_VA_(ret, name, type, params, args, fallback) ret notw_first_##name params;
#define NOTW_FIRST_DECL_(ret, name, params, args, fallback) NOTW_FIRST_DECL_VA_(ret, name, params, params, args, fallback)
#define NOTW_FIRST_DECL_VOID_(name, params, args, fallback) void notw_first_##name params;
NOTW_HOOKED_FUNCTIONS(NOTW_FIRST_DECL_, NOTW_FIRST_DECL_VA_, NOTW_FIRST_DECL_VOID_)
#undef NOTW_FIRST_DECL_
#undef NOTW_FIRST_DECL_VA_
#undef NOTW_FIRST_DECL_VOID_

#define NOTW_CALL_VA_(ret, name, type, params, args, fallback)                           \
	static inline ret notw_call_##name params                                        \
	{                                                                                \
		union {                                                                  \
			void *object;                                                    \
			ret(*function) type;                                             \
		} next_ = { .object = __atomic_load_n(&notw_next_fn[NOTW_ID_##name],     \
						      __ATOMIC_RELAXED) };               \
		if (__builtin_expect(next_.function != NULL, 1))                         \
			return next_.function args;                                      \
		return notw_first_##name args;                                           \
	}
/* A function of fixed parameters is called through a pointer of its own
 * parameter list. */
#define NOTW_CALL_(ret, name, params, args, fallback) NOTW_CALL_VA_(ret, name, params, params, args, fallback)
#define NOTW_CALL_VOID_(name, params, args, fallback)                                    \
	static inline void notw_call_##name params                                       \
	{                                                                                \
		union {                                                                  \
			void *object;                                                    \
			void(*function) params;                                          \
		} next_ = { .object = __atomic_load_n(&notw_next_fn[NOTW_ID_##name],     \
						      __ATOMIC_RELAXED) };               \
		if (__builtin_expect(next_.function != NULL, 1))                         \
			next_.function args;                                             \
		else                                                                     \
			notw_first_##name args;                                          \
	}
NOTW_HOOKED_FUNCTIONS(NOTW_CALL_, NOTW_CALL_VA_, NOTW_CALL_VOID_)
#undef NOTW_CALL_
#undef NOTW_CALL_VA_
#undef NOTW_CALL_VOID_

/* The library's own SO_REUSEADDR on fd, on (1) or off (0), through the
 * next setsockopt() (what every bind() and its recovery set); returns 0
 * or the errno. */
static inline int notw_set_reuseaddr(int fd, int on)
{
	return notw_call_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 ? 0 : errno;
}

#endif
