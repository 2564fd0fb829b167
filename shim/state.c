/* The ready gate: the library makes itself ready once (the policy, the
 * log) at the program's first socket, and keeps what it needs across
 * fork(). */
#define _GNU_SOURCE
#include "rawsys.h"
#include "state.h"

#include "armgate.h"
#include "log.h"
#include "policy.h"
#include "policy_load.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t ready_once = PTHREAD_ONCE_INIT;
__attribute__((visibility("hidden"))) bool notw_ready_flag;
static __thread bool initialising_here __attribute__((tls_model("initial-exec")));

static pid_t own_pid;

pid_t notw_own_pid(void)
{
	return __atomic_load_n(&own_pid, __ATOMIC_RELAXED);
}

/* Every way of making a process (rule F of shim/linger-protocol.md): the
 * pthread_atfork() handlers for fork() and libc's own forks, called
 * directly where libc runs none (_Fork(), syscall(SYS_fork/SYS_clone)). */
void notw_before_fork(void)
{
	notw_armgate_fork_begin();
}

void notw_after_fork_in_parent(void)
{
	notw_armgate_fork_parent();
}

void notw_after_fork_in_child(void)
{
	notw_armgate_fork_child();
	__atomic_store_n(&own_pid, (pid_t)notw_syscall(SYS_getpid), __ATOMIC_RELAXED);
	notw_log_atfork_child();
}

static void get_ready(void)
{
	int saved_errno = errno;
	pthread_atfork(notw_before_fork, notw_after_fork_in_parent, notw_after_fork_in_child);
	__atomic_store_n(&own_pid, (pid_t)notw_syscall(SYS_getpid), __ATOMIC_RELAXED);
	notw_policy_load();
	__atomic_store_n(&notw_ready_flag, true, __ATOMIC_RELEASE);
	errno = saved_errno;
}

/* The flag goes up before pthread_once(): a hook reached from inside that
 * work on this thread (a signal handler, an allocator) must not wait for
 * itself. */
__attribute__((noinline, cold)) bool notw_make_ready(void)
{
	if (initialising_here)
		return false;
	initialising_here = true;
	pthread_once(&ready_once, get_ready);
	initialising_here = false;
	return notw_active_policy.enabled;
}

#if !NOTW_OWN_VFORK
/* A vfork() child shares the parent's memory (the table, the log state) but
 * not its descriptors: it must leave the parent's state alone. fork()
 * children update the pid in the atfork handler. */
bool notw_in_vfork_child(void)
{
	pid_t pid = notw_own_pid();
	return pid != 0 && (pid_t)notw_syscall(SYS_getpid) != pid;
}
#endif

/* The only work done as the library loads, noting what the program may
 * change before its first socket: everything else waits for that socket
 * (notw_ensure_ready()). */
__attribute__((constructor)) static void notw_constructor(void)
{
	notw_log_note_stderr_at_start();
	notw_policy_note_start();
}
