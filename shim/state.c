/* The ready gate: the library makes itself ready once (binding, the
 * policy, the log) before its first hook acts, and keeps what it needs
 * across fork(). */
#define _GNU_SOURCE
#include "rawsys.h"
#include "state.h"

#include "family.h"
#include "log.h"
#include "policy.h"
#include "policy_load.h"
#include "real.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t ready_once = PTHREAD_ONCE_INIT;
static bool ready;
static __thread bool initialising_here __attribute__((tls_model("initial-exec")));

static void before_fork(void)
{
	notw_family_prepare_fork();
}

static void after_fork_in_child(void)
{
	notw_family_child_forked();
	notw_log_atfork_child();
}

static void make_ready(void)
{
	int saved_errno = errno;
	pthread_atfork(before_fork, NULL, after_fork_in_child);
	notw_real_bind();
	notw_family_set_pid((pid_t)notw_syscall(SYS_getpid));
	notw_policy_load();
	__atomic_store_n(&ready, true, __ATOMIC_RELEASE);
	errno = saved_errno;
}

/* As in notw_real_bind(): the flag goes up before pthread_once(). */
bool notw_ensure_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 1))
		return notw_active_policy.enabled;
	if (initialising_here)
		return false;
	initialising_here = true;
	pthread_once(&ready_once, make_ready);
	initialising_here = false;
	return notw_active_policy.enabled;
}

bool notw_disabled(void)
{
	return __atomic_load_n(&ready, __ATOMIC_ACQUIRE) && !notw_active_policy.enabled;
}

#if !NOTW_OWN_VFORK
/* A vfork() child shares the parent's memory (the table, the log state) but
 * not its descriptors: it must leave the parent's state alone. fork()
 * children update the pid in the atfork handler. */
bool notw_in_vfork_child(void)
{
	pid_t pid = notw_family_pid();
	return pid != 0 && (pid_t)notw_syscall(SYS_getpid) != pid;
}
#endif

/* A hook may run earlier than this, from another library's constructor:
 * notw_ensure_ready() covers that; this covers programs that make no
 * socket call at all, so that a bad setting is still reported. */
__attribute__((constructor)) static void notw_constructor(void)
{
	notw_ensure_ready();
}
