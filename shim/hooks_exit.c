/* The exit paths. exit() and a return from main() run the library's
 * destructor; _exit() and _Exit() run none, so they are hooked. A process
 * killed by a signal runs nothing at all: what it leaves is decided by the
 * linger armed earlier. */
#include "linger.h"
#include "real.h"
#include "state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((destructor)) static void notw_destructor(void)
{
	notw_linger_at_normal_exit();
}

/* A vfork() child's _exit() must not disarm the parent's sockets. */
NOTW_EXPORT __attribute__((noreturn)) void _exit(int status)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
	notw_real_exit_now(status, false);
}

NOTW_EXPORT __attribute__((noreturn)) void _Exit(int status)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
	notw_real_exit_now(status, true);
}
