/* fork(), vfork() and pthread_create().
 *
 * fork(): the child's pid is recorded for the fork generation the prepare
 * handler took (family.c), so a close can later ask that child whether it
 * still holds a socket. Nothing walks the table.
 *
 * vfork(): the child shares the parent's memory, the library's table
 * included, until it calls exec or exits. The hooks must know they run in
 * such a child without a system call on their paths, so vfork() is the
 * library's own (vfork_x86_64.S): the system call, then a thread-local
 * flag set in the child and cleared in the parent when it resumes; clone()
 * making the same kind of child gets the same. */
#define _GNU_SOURCE /* clone */
#include "hooks.h"

#include "family.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <sched.h>
#include <stdarg.h>
#include <sys/types.h>
#include <unistd.h>

/* The first thread the program starts: every next definition is looked up
 * before it runs (real.c, notw_next_bind_all() says why). */
NOTW_EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
			       void *arg)
{
	notw_next_bind_all();
	return notw_call_pthread_create(thread, attr, start, arg);
}

NOTW_EXPORT pid_t fork(void)
{
	pid_t pid = notw_call_fork();
	if (pid > 0)
		notw_family_parent_forked(pid);
	return pid;
}

#if NOTW_OWN_VFORK
__attribute__((visibility("hidden"))) __thread unsigned char notw_vfork_flag
	__attribute__((tls_model("initial-exec")));

/* clone() with CLONE_VM and CLONE_VFORK (and no CLONE_SETTLS) makes the same
 * kind of child as vfork(), on the caller's thread-local storage: the
 * child's function is wrapped so that it runs with the flag set, and the
 * parent, which the kernel holds until the child execs or exits, clears
 * it. Every other clone() passes straight through. */

static __thread struct {
	int (*fn)(void *);
	void *arg;
} vfork_like_call __attribute__((tls_model("initial-exec")));

static int run_as_vfork_child(void *unused)
{
	(void)unused;
	notw_vfork_flag = 1;
	return vfork_like_call.fn(vfork_like_call.arg);
}

NOTW_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *parent_tid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *child_tid = va_arg(ap, pid_t *);
	va_end(ap);
	const int vfork_like = CLONE_VM | CLONE_VFORK;
	if ((flags & (vfork_like | CLONE_SETTLS)) != vfork_like || fn == NULL)
		return notw_call_clone(fn, stack, flags, arg, parent_tid, tls, child_tid);
	vfork_like_call.fn = fn;
	vfork_like_call.arg = arg;
	int rc = notw_call_clone(run_as_vfork_child, stack, flags, NULL, parent_tid, tls, child_tid);
	notw_vfork_flag = 0;
	return rc;
}

/* Called by the assembly vfork() when the system call failed, in the
 * parent (no child exists). */
long notw_vfork_failed(long err);
long notw_vfork_failed(long err)
{
	errno = (int)err;
	return -1;
}
#endif
