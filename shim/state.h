/* Library-wide state: the policy in force and whether the library is ready. */
#ifndef NOTW_STATE_H
#define NOTW_STATE_H

#include "policy.h"

#include <stdbool.h>
#include <stdint.h>

#define NOTW_EXPORT __attribute__((visibility("default")))

extern struct notw_policy notw_active_policy;

/* Make the library ready (binding, policy, log) if it is not yet. Returns
 * false when called from inside that work on this thread, or when the
 * policy says enabled = off: the hook must then pass the call straight
 * through. */
bool notw_ensure_ready(void);

/* Ready, and the policy says enabled = off: track nothing. */
bool notw_disabled(void);

/* True in a vfork() child, which shares the parent's memory. */
bool notw_in_vfork_child(void);

/* The part of close() that runs before the real call (hooks_close.c). */
bool notw_forget_before_close(int fd, uint32_t flags);

#endif
