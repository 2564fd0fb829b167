/* Library-wide state: whether the library is ready (the policy in force is
 * policy.h's notw_active_policy), fork and vfork. */
#ifndef NOTW_STATE_H
#define NOTW_STATE_H

#include "policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define NOTW_EXPORT __attribute__((visibility("default")))

extern bool notw_ready_flag;

/* The first call's part of notw_ensure_ready(), once per process. */
bool notw_make_ready(void);

/* Make the library ready (policy, log) if it is not yet. Returns false
 * when called from inside that work on this thread, or when the policy
 * says enabled = off: the hook must then pass the call straight through. */
static inline bool notw_ensure_ready(void)
{
	if (__builtin_expect(__atomic_load_n(&notw_ready_flag, __ATOMIC_ACQUIRE), 1))
		return notw_active_policy.enabled;
	return notw_make_ready();
}

/* Ready and enabled: the library may hold state. Makes nothing ready. */
static inline bool notw_library_active(void)
{
	return __atomic_load_n(&notw_ready_flag, __ATOMIC_ACQUIRE) && notw_active_policy.enabled;
}

/* The fork handlers (pthread_atfork, and the hooks of the forks that run
 * none): before the system call, after it in the parent, in the child. */
void notw_before_fork(void);
void notw_after_fork_in_parent(void);
void notw_after_fork_in_child(void);

/* This process's pid as of the library's start or its last fork handler. */
pid_t notw_own_pid(void);

/* True in a vfork() child, which shares the parent's memory. Where the
 * library has its own vfork() (hooks_fork.c) this is a thread-local flag;
 * elsewhere it compares pids (a system call). */
#if defined(__x86_64__)
#define NOTW_OWN_VFORK 1
#define NOTW_OWN_SYSCALL 1
extern __thread unsigned char notw_vfork_flag __attribute__((tls_model("initial-exec")));
static inline bool notw_in_vfork_child(void)
{
	return notw_vfork_flag != 0;
}
#else
#define NOTW_OWN_VFORK 0
#define NOTW_OWN_SYSCALL 0
bool notw_in_vfork_child(void);
#endif

#endif
