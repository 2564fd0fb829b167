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
