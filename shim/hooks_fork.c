/* fork(), _Fork(), vfork(), clone() and pthread_create().
 *
 * fork(): libc runs the library's pthread_atfork() handlers (state.c),
 * which count the fork for the arming gate (rule F of
 * shim/linger-protocol.md); _Fork() runs none, so its hook calls them.
 * Nothing walks the table.
 *
 * vfork(): the child shares the parent's memory, the library's table
 * included, until it calls exec or exits. The hooks must know they run in
 * such a child without a system call on their paths, so vfork() is the
 * library's own (vfork_x86_64.S): the system call, then a thread-local
 * flag set in the child and cleared in the parent when it resumes; clone()
 * making the same kind of child gets the same. */
#define _GNU_SOURCE /* clone */
#include "hooks.h"

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
	return notw_call_fork();
}

/* The fork handlers around a fork that runs none. */
static bool counts_forks(void)
{
	return notw_library_active() && !notw_in_vfork_child();
}

static long after_fork_call(bool counted, long pid)
{
	if (counted) {
		if (pid == 0)
			notw_after_fork_in_child();
		else
			NOTW_KEEP_ERRNO(notw_after_fork_in_parent());
	}
	return pid;
}

NOTW_EXPORT pid_t _Fork(void)
{
	bool counted = counts_forks();
	if (counted)
		notw_before_fork();
	return (pid_t)after_fork_call(counted, notw_call__Fork());
}

long notw_fork_syscall_hook(long nr, long (*call)(long, ...), long flags, long a1, long a2, long a3, long a4,
			    long a5)
{
	/* A thread, or a child sharing this memory (whose start must not
	 * reset the counters it shares): counted in the parent only. */
	bool counted = counts_forks() && (flags & CLONE_THREAD) == 0;
	bool own_memory = (flags & CLONE_VM) == 0;
	if (counted)
		notw_before_fork();
	long pid = call(nr, a1, a2, a3, a4, a5);
	return after_fork_call(counted && (own_memory || pid != 0), pid);
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

/* clone() without CLONE_VM makes a process like fork(): its child runs fn
 * after the child's fork handler. */
static __thread struct {
	int (*fn)(void *);
	void *arg;
} fork_like_call __attribute__((tls_model("initial-exec")));

static int run_as_fork_child(void *unused)
{
	(void)unused;
	notw_after_fork_in_child();
	return fork_like_call.fn(fork_like_call.arg);
}

static int clone_fork_like(int (*fn)(void *), void *stack, int flags, void *arg, pid_t *parent_tid, void *tls,
			   pid_t *child_tid)
{
	fork_like_call.fn = fn;
	fork_like_call.arg = arg;
	notw_before_fork();
	int rc = notw_call_clone(run_as_fork_child, stack, flags, NULL, parent_tid, tls, child_tid);
	NOTW_KEEP_ERRNO(notw_after_fork_in_parent());
	return rc;
}

NOTW_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	va_start(ap, arg);
	pid_t *parent_tid = va_arg(ap, pid_t *);
	void *tls = va_arg(ap, void *);
	pid_t *child_tid = va_arg(ap, pid_t *);
	va_end(ap);
	if ((flags & (CLONE_VM | CLONE_THREAD)) == 0 && fn != NULL && counts_forks())
		return clone_fork_like(fn, stack, flags, arg, parent_tid, tls, child_tid);
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
