/* Hooks of the exec family. The program that exec() starts cannot see this
 * process's table, and may not carry the library at all: see
 * notw_handover_before_exec(). The list forms (execl, execlp, execle) are
 * turned into their vector forms, as glibc does; fexecve() and execveat()
 * are entry points of their own. */
#define _GNU_SOURCE /* execvpe, execveat */
#include "rawsys.h"
#include "hooks.h"

#include "handover.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Decided from this process's own view of its descriptors, a vfork()
 * child's included (its descriptors are its own, its memory the parent's). */
static void prepare_exec(void)
{
	if (!notw_library_active())
		return;
	bool vfork_child = notw_in_vfork_child();
	int n = notw_handover_before_exec(vfork_child);
	if (n > 0 && !vfork_child)
		notw_log(NOTW_LEVEL_DEBUG, "exec: disarmed %d socket(s) the new program inherits or closes", n);
}

/* exec returned: it failed, and this program (or the vfork child's
 * parent) goes on with its sockets. */
static int exec_failed(int rc)
{
	notw_handover_exec_failed(notw_in_vfork_child());
	return rc;
}

int notw_execve_hook(const char *path, char *const argv[], char *const envp[])
{
	prepare_exec();
	return exec_failed(notw_call_execve(path, argv, envp));
}

NOTW_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return notw_execve_hook(path, argv, envp);
}

NOTW_EXPORT int execv(const char *path, char *const argv[])
{
	prepare_exec();
	return exec_failed(notw_call_execv(path, argv));
}

NOTW_EXPORT int execvp(const char *file, char *const argv[])
{
	prepare_exec();
	return exec_failed(notw_call_execvp(file, argv));
}

NOTW_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	prepare_exec();
	return exec_failed(notw_call_execvpe(file, argv, envp));
}

NOTW_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	prepare_exec();
	return exec_failed(notw_call_fexecve(fd, argv, envp));
}

/* glibc has execveat() since 2.34; before that, the system call. */
int notw_execveat_hook(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	prepare_exec();
	return exec_failed(notw_call_execveat(dirfd, path, argv, envp, flags));
}

NOTW_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	return notw_execveat_hook(dirfd, path, argv, envp, flags);
}

/* How many arguments a list form has, up to the terminating NULL. */
static size_t count_args(va_list ap)
{
	va_list count_ap;
	size_t n = 1;
	va_copy(count_ap, ap);
	while (va_arg(count_ap, const char *) != NULL)
		n++;
	va_end(count_ap);
	return n;
}

enum list_form { LIST_EXECL, LIST_EXECLP, LIST_EXECLE };

/* execl, execlp, execle: the same as their vector forms, which do the
 * disarming. The vector is on the stack, as glibc builds it: exec must stay
 * usable where malloc is not (after fork in a threaded program), and in a
 * vfork() child memory mapped here would stay behind in the parent. */
#define LIST_FORM_HOOK(name, form)                                              \
	NOTW_EXPORT int name(const char *path, const char *arg, ...)           \
	{                                                                       \
		va_list ap;                                                     \
		va_start(ap, arg);                                              \
		size_t n_ = count_args(ap);                                     \
		char **argv_ = __builtin_alloca((n_ + 1) * sizeof(char *));     \
		argv_[0] = (char *)(uintptr_t)arg;                              \
		for (size_t i_ = 1; i_ <= n_; i_++)                             \
			argv_[i_] = va_arg(ap, char *);                         \
		char *const *envp_ = form == LIST_EXECLE ? va_arg(ap, char *const *) : NULL; \
		va_end(ap);                                                     \
		return exec_vector_form(form, path, argv_, envp_);              \
	}

static int exec_vector_form(enum list_form form, const char *path, char **argv, char *const *envp)
{
	int rc;
	switch (form) {
	case LIST_EXECL:
		rc = execv(path, argv);
		break;
	case LIST_EXECLP:
		rc = execvp(path, argv);
		break;
	case LIST_EXECLE:
	default:
		rc = notw_execve_hook(path, argv, envp);
		break;
	}
	return rc;
}

LIST_FORM_HOOK(execl, LIST_EXECL)
LIST_FORM_HOOK(execlp, LIST_EXECLP)
LIST_FORM_HOOK(execle, LIST_EXECLE)
