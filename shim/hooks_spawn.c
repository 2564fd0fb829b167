/* Hooks of the ways glibc starts a program without going through the
 * exec hooks: posix_spawn(), posix_spawnp(), system() and popen() run
 * their child's steps inside libc. The program they start may not carry
 * the library, so what it inherits is disarmed first, as at exec: every
 * armed socket without close-on-exec, and a socket a spawn file action
 * puts into the child (posix_spawn_file_actions_adddup2). Those sockets
 * stay disarmed: another program now holds them. The whole call counts
 * as a fork under way (rule F of shim/linger-protocol.md): nothing
 * accepted meanwhile on another thread is armed. */
#define _GNU_SOURCE
#include "hooks.h"
#include "handover.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>

/* Returns whether after_spawn() is owed. */
static bool before_spawn(void)
{
	if (!notw_library_active() || notw_in_vfork_child())
		return false;
	notw_handover_before_spawn();
	return true;
}

static void after_spawn(bool owed)
{
	if (owed)
		NOTW_KEEP_ERRNO(notw_handover_after_spawn());
}

NOTW_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	bool owed = before_spawn();
	int rc = notw_call_posix_spawn(pid, path, fa, attr, argv, envp);
	after_spawn(owed);
	return rc;
}

NOTW_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	bool owed = before_spawn();
	int rc = notw_call_posix_spawnp(pid, file, fa, attr, argv, envp);
	after_spawn(owed);
	return rc;
}

NOTW_EXPORT int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd)
{
	int rc = notw_call_posix_spawn_file_actions_adddup2(fa, fd, newfd);
	if (rc == 0 && !notw_in_vfork_child()) {
		NOTW_KEEP_ERRNO(notw_handover_passed(fd));
	}
	return rc;
}

NOTW_EXPORT int system(const char *command)
{
	bool owed = command != NULL && before_spawn();
	int rc = notw_call_system(command);
	after_spawn(owed);
	return rc;
}

NOTW_EXPORT FILE *popen(const char *command, const char *type)
{
	bool owed = before_spawn();
	FILE *f = notw_call_popen(command, type);
	after_spawn(owed);
	return f;
}
