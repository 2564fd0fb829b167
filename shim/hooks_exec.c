/* Hooks of the exec family. The program that exec() starts cannot see this
 * process's table, and may not carry the library at all: see
 * notw_linger_before_exec(). The list forms (execl, execlp, execle) are
 * turned into their vector forms, as glibc does; fexecve() and execveat()
 * are entry points of their own. */
#define _GNU_SOURCE /* execvpe, execveat */
#include "rawsys.h"
#include "hooks.h"

#include "linger.h"
#include "log.h"
#include "real.h"
#include "state.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*execve_fn)(const char *, char *const[], char *const[]);
typedef int (*execv_fn)(const char *, char *const[]);
typedef int (*fexecve_fn)(int, char *const[], char *const[]);
typedef int (*execveat_fn)(int, const char *, char *const[], char *const[], int);

/* Looked up on first use: exec is rare, and this keeps the table in real.c
 * to the hot calls. */
static void *next_symbol(const char *name)
{
	notw_real_bind();
	return dlsym(RTLD_NEXT, name);
}

/* Decided from this process's own view of its descriptors, a vfork()
 * child's included (its descriptors are its own, its memory the parent's). */
static void prepare_exec(void)
{
	if (!notw_ensure_ready())
		return;
	bool vfork_child = notw_in_vfork_child();
	int n = notw_linger_before_exec(vfork_child);
	if (n > 0 && !vfork_child)
		notw_log(NOTW_LEVEL_DEBUG, "exec: disarmed %d socket(s) the new program inherits or closes", n);
}

/* exec returned: it failed, and this program (or the vfork child's
 * parent) goes on with its sockets. */
static int exec_failed(int rc)
{
	notw_linger_exec_failed(notw_in_vfork_child());
	return rc;
}

#define CALL_NEXT(type, name, ...)                                              \
	do {                                                                    \
		union {                                                         \
			void *object;                                           \
			type function;                                          \
		} next_ = { .object = next_symbol(name) };                      \
		if (next_.function == NULL) {                                   \
			errno = ENOSYS;                                         \
			return -1;                                              \
		}                                                               \
		prepare_exec();                                                 \
		return exec_failed(next_.function(__VA_ARGS__));                \
	} while (0)

int notw_execve_hook(const char *path, char *const argv[], char *const envp[])
{
	CALL_NEXT(execve_fn, "execve", path, argv, envp);
}

NOTW_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
	return notw_execve_hook(path, argv, envp);
}

NOTW_EXPORT int execv(const char *path, char *const argv[])
{
	CALL_NEXT(execv_fn, "execv", path, argv);
}

NOTW_EXPORT int execvp(const char *file, char *const argv[])
{
	CALL_NEXT(execv_fn, "execvp", file, argv);
}

NOTW_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
	CALL_NEXT(execve_fn, "execvpe", file, argv, envp);
}

NOTW_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
	CALL_NEXT(fexecve_fn, "fexecve", fd, argv, envp);
}

/* glibc has execveat() since 2.34; before that, the system call. */
int notw_execveat_hook(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
	union {
		void *object;
		execveat_fn function;
	} next = { .object = next_symbol("execveat") };
	prepare_exec();
	int rc = next.function != NULL ? next.function(dirfd, path, argv, envp, flags)
				       : (int)notw_syscall(SYS_execveat, dirfd, path, argv, envp, flags);
	return exec_failed(rc);
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
