/* The next definitions of the hooked functions, looked up on first use (real.h). */
#define _GNU_SOURCE /* RTLD_NEXT */
#include "real.h"

#include <dlfcn.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) void *notw_next_fn[NOTW_HOOKED_COUNT];

#define NOTW_NAME_(ret, name, ...) [NOTW_ID_##name] = #name,
#define NOTW_NAME_VOID_(name, ...) [NOTW_ID_##name] = #name,
static const char *const next_names[NOTW_HOOKED_COUNT] = {
	NOTW_HOOKED_FUNCTIONS(NOTW_NAME_, NOTW_NAME_, NOTW_NAME_VOID_)
};

static __thread bool looking_up __attribute__((tls_model("initial-exec")));

/* The flag covers a hook reached from inside dlsym() on this thread (an
 * allocator, or a signal handler arriving meanwhile): it takes the
 * fallback instead of waiting for itself. Another thread looking up the
 * same name at the same time finds the same definition. A name with no
 * definition (closefrom on an old libc) is looked up again at each call,
 * which only such a libc's programs pay. */
void *notw_next_lookup_name(const char *name)
{
	if (looking_up)
		return NULL;
	int saved_errno = errno;
	looking_up = true;
	void *fn = dlsym(RTLD_NEXT, name);
	looking_up = false;
	errno = saved_errno;
	return fn;
}

__attribute__((noinline, cold)) void *notw_next_lookup(enum notw_hooked_id id)
{
	void *fn = notw_next_lookup_name(next_names[id]);
	if (fn != NULL)
		__atomic_store_n(&notw_next_fn[id], fn, __ATOMIC_RELAXED);
	return fn;
}

/* dlsym() takes the dynamic loader's lock, which a thread inside dlopen()
 * holds while the opened library's constructors run. Were a lookup left
 * for later, a constructor that starts a thread and waits for it would
 * wait forever once that thread made its first close() (or any hooked
 * call): so everything is looked up before a second thread can exist. A
 * name with no definition leaves dlerror() a message the program did not
 * cause: taken off again. */
/* The next definition of syscall(), looked up on the first call that
 * needs it (the syscall() hook's assembly filter jumps here with the
 * caller's registers and stack, which a variadic function reads as its own
 * arguments). Until one is found, and where there is none, the bare system
 * call. */
static long first_syscall(long nr, ...);
__attribute__((visibility("hidden"))) notw_syscall_fn notw_syscall_next = first_syscall;

static long first_syscall(long nr, ...)
{
	long a[6];
	NOTW_SYSCALL_ARGS(nr, a);
	union {
		void *object;
		notw_syscall_fn function;
	} next = { .object = notw_next_lookup_name("syscall") };
	if (next.function == NULL)
		return notw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	__atomic_store_n(&notw_syscall_next, next.function, __ATOMIC_RELAXED);
	return next.function(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void bind_next_syscall(void)
{
	union {
		void *object;
		notw_syscall_fn function;
	} next = { .object = notw_next_lookup_name("syscall") };
	if (next.function != NULL)
		__atomic_store_n(&notw_syscall_next, next.function, __ATOMIC_RELAXED);
}

void notw_next_bind_all(void)
{
	static bool all_bound;
	if (__atomic_load_n(&all_bound, __ATOMIC_ACQUIRE))
		return;
	for (int id = 0; id < NOTW_HOOKED_COUNT; id++)
		if (__atomic_load_n(&notw_next_fn[id], __ATOMIC_RELAXED) == NULL &&
		    notw_next_lookup((enum notw_hooked_id)id) == NULL)
			dlerror();
	bind_next_syscall();
	__atomic_store_n(&all_bound, true, __ATOMIC_RELEASE);
}

int notw_raw_dup2(int oldfd, int newfd)
{
	if (oldfd == newfd) /* dup2 checks oldfd and returns it */
		return notw_syscall(SYS_fcntl, oldfd, F_GETFD) < 0 ? -1 : newfd;
	return (int)notw_syscall(SYS_dup3, oldfd, newfd, 0);
}

void notw_exit_group(int status)
{
	for (;;)
		notw_syscall(SYS_exit_group, status);
}

/* The first call of each function, and every call when it has no next
 * definition: look it up, then call it or make the fallback hooked.h names. */
#define NOTW_FIRST_VA_(ret, name, type, params, args, fallback)                          \
	__attribute__((noinline, cold)) ret notw_first_##name params                     \
	{                                                                                \
		union {                                                                  \
			void *object;                                                    \
			ret(*function) type;                                             \
		} next_ = { .object = notw_next_lookup(NOTW_ID_##name) };                \
		if (next_.function != NULL)                                              \
			return next_.function args;                                      \
		return (ret)(fallback);                                                  \
	}
#define NOTW_FIRST_(ret, name, params, args, fallback) NOTW_FIRST_VA_(ret, name, params, params, args, fallback)
#define NOTW_FIRST_VOID_(name, params, args, fallback)                                   \
	__attribute__((noinline, cold)) void notw_first_##name params                    \
	{                                                                                \
		union {                                                                  \
			void *object;                                                    \
			void(*function) params;                                          \
		} next_ = { .object = notw_next_lookup(NOTW_ID_##name) };                \
		if (next_.function != NULL)                                              \
			next_.function args;                                             \
		else                                                                     \
			fallback;                                                        \
	}
NOTW_HOOKED_FUNCTIONS(NOTW_FIRST_, NOTW_FIRST_VA_, NOTW_FIRST_VOID_)
