/* Hooks of the ways glibc starts a program without going through the
 * exec hooks: posix_spawn(), posix_spawnp(), system() and popen() run
 * their child's steps inside libc. The program they start may not carry
 * the library, so what it inherits is disarmed first, as at exec: every
 * armed socket without close-on-exec, and a socket a spawn file action
 * puts into the child (posix_spawn_file_actions_adddup2). Those sockets
 * stay disarmed: another program now holds them. */
#define _GNU_SOURCE
#include "linger.h"
#include "real.h"
#include "state.h"

#include <dlfcn.h>
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int spawn_fn(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
		     char *const[], char *const[]);
typedef int adddup2_fn(posix_spawn_file_actions_t *, int, int);
typedef int system_fn(const char *);
typedef FILE *popen_fn(const char *, const char *);

/* The next definition of name (these are rare calls: looked up each time). */
static void *next_symbol(const char *name)
{
	notw_real_bind();
	return dlsym(RTLD_NEXT, name);
}

#define NEXT(type, name)                                                        \
	({                                                                      \
		union {                                                         \
			void *object;                                           \
			type *function;                                         \
		} next_ = { .object = next_symbol(name) };                      \
		next_.function;                                                 \
	})

static void before_spawn(void)
{
	if (notw_ensure_ready() && !notw_in_vfork_child())
		notw_linger_before_spawn();
}

/* posix_spawn and posix_spawnp (symbol), which return the error. */
static int spawn_through(const char *symbol, pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			 const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	spawn_fn *fn = NEXT(spawn_fn, symbol);
	if (fn == NULL)
		return ENOSYS;
	before_spawn();
	return fn(pid, path, fa, attr, argv, envp);
}

NOTW_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
			    const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_through("posix_spawn", pid, path, fa, attr, argv, envp);
}

NOTW_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
			     const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
	return spawn_through("posix_spawnp", pid, file, fa, attr, argv, envp);
}

NOTW_EXPORT int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fd, int newfd)
{
	adddup2_fn *fn = NEXT(adddup2_fn, "posix_spawn_file_actions_adddup2");
	if (fn == NULL)
		return ENOSYS;
	int rc = fn(fa, fd, newfd);
	if (rc == 0 && !notw_in_vfork_child()) {
		int saved_errno = errno;
		notw_linger_before_handing_over(fd);
		errno = saved_errno;
	}
	return rc;
}

NOTW_EXPORT int system(const char *command)
{
	system_fn *fn = NEXT(system_fn, "system");
	if (fn == NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (command != NULL)
		before_spawn();
	return fn(command);
}

NOTW_EXPORT FILE *popen(const char *command, const char *type)
{
	popen_fn *fn = NEXT(popen_fn, "popen");
	if (fn == NULL) {
		errno = ENOSYS;
		return NULL;
	}
	before_spawn();
	return fn(command, type);
}
