/* fork() and vfork().
 *
 * fork(): the child's pid is recorded for the fork generation the prepare
 * handler took (family.c), so a close can later ask that child whether it
 * still holds a socket. Nothing walks the table.
 *
 * vfork(): the child shares the parent's memory, the library's table
 * included, until it calls exec or exits. The hooks must know they run in
 * such a child without a system call on their paths, so vfork() is the
 * library's own (vfork_x86_64.S): the system call, then a thread-local
 * flag set in the child and cleared in the parent when it resumes. */
#include "hooks.h"

#include "family.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

NOTW_EXPORT pid_t fork(void)
{
	pid_t (*fn)(void) = NOTW_REAL(fork);
	if (fn == NULL && (!notw_real_bind() || (fn = NOTW_REAL(fork)) == NULL)) {
		errno = ENOSYS;
		return -1;
	}
	pid_t pid = fn();
	if (pid > 0)
		notw_family_parent_forked(pid);
	return pid;
}

#if NOTW_OWN_VFORK
__attribute__((visibility("hidden"))) __thread unsigned char notw_vfork_flag
	__attribute__((tls_model("initial-exec")));

/* Called by the assembly vfork() when the system call failed, in the
 * parent (no child exists). */
long notw_vfork_failed(long err);
long notw_vfork_failed(long err)
{
	errno = (int)err;
	return -1;
}
#endif
