/* Library-wide state: whether the library is ready (the policy in force is
 * policy.h's notw_active_policy), fork and vfork. */
#ifndef NOTW_STATE_H
#define NOTW_STATE_H

#include <stdbool.h>
#include <stdint.h>

#define NOTW_EXPORT __attribute__((visibility("default")))

/* Make the library ready (binding, policy, log) if it is not yet. Returns
 * false when called from inside that work on this thread, or when the
 * policy says enabled = off: the hook must then pass the call straight
 * through. */
bool notw_ensure_ready(void);

/* Ready, and the policy says enabled = off: track nothing. */
bool notw_disabled(void);

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

/* The part of close() that runs before the real call (hooks_close.c). */
bool notw_forget_before_close(int fd, uint32_t flags);

#endif
