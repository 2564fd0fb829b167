/* The exit paths. exit() and a return from main() run the library's
 * destructor; _exit(), _Exit(), quick_exit() (which reaches _exit inside
 * libc) and a raw exit_group run none, so they are hooked. A process
 * killed by a signal runs nothing at all: what it leaves is decided by the
 * linger armed earlier. The destructors of the program's own libraries run
 * after this one: linger.c arms nothing new from here on and disarms what
 * they accept. */
#include "hooks.h"

#include "linger.h"
#include "real.h"
#include "state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A vfork() child's exit must not disarm the parent's sockets (nor tell
 * the parent's memory that the process is exiting): a child whose exec
 * failed and that calls exit() instead of _exit() runs destructors. */
__attribute__((destructor)) static void notw_destructor(void)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
}

void notw_before_exit_now(void)
{
	if (!notw_in_vfork_child())
		notw_linger_at_normal_exit();
}

NOTW_EXPORT __attribute__((noreturn)) void _exit(int status)
{
	notw_before_exit_now();
	notw_call__exit(status);
	notw_exit_group(status);
}

NOTW_EXPORT __attribute__((noreturn)) void _Exit(int status)
{
	notw_before_exit_now();
	notw_call__Exit(status);
	notw_exit_group(status);
}

/* quick_exit() runs the at_quick_exit handlers and then _exit() inside
 * libc, past the hook above: disarm first (the handlers' own closes go
 * through close() as usual). */
NOTW_EXPORT __attribute__((noreturn)) void quick_exit(int status)
{
	notw_before_exit_now();
	notw_call_quick_exit(status);
	notw_exit_group(status);
}
