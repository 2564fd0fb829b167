#define _GNU_SOURCE
#include "rawsys.h"
#include "family.h"

#include <errno.h>
#include <linux/kcmp.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct child {
	uint32_t gen;
	pid_t pid;
};

__attribute__((visibility("hidden"))) uint32_t notw_family_generation;
static pid_t own_pid;
/* The process this one was fork()ed from, with the library: 0 when it was
 * not (started by exec), so an exit asks no one. */
static pid_t fork_parent;
static struct child children[NOTW_FAMILY_CHILDREN];
/* The generation this thread's fork() took, from prepare to the parent's
 * record of the child (two threads may fork at once). */
static __thread uint32_t forking_gen __attribute__((tls_model("initial-exec")));

pid_t notw_family_pid(void)
{
	return __atomic_load_n(&own_pid, __ATOMIC_RELAXED);
}

void notw_family_set_pid(pid_t pid)
{
	__atomic_store_n(&own_pid, pid, __ATOMIC_RELAXED);
}

/* Before the fork system call: a descriptor born from now on (on any
 * thread) belongs to the new generation and is never taken for one the
 * child inherited. One born between this and the system call is inherited
 * all the same, but then only disarms early. */
void notw_family_prepare_fork(void)
{
	forking_gen = __atomic_add_fetch(&notw_family_generation, 1u, __ATOMIC_ACQ_REL);
}

void notw_family_parent_forked(pid_t child)
{
	uint32_t g = forking_gen;
	struct child *slot = &children[g % NOTW_FAMILY_CHILDREN];
	__atomic_store_n(&slot->pid, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&slot->gen, g, __ATOMIC_RELEASE);
	__atomic_store_n(&slot->pid, child, __ATOMIC_RELEASE);
}

/* The parent's children are not this process's. */
void notw_family_child_forked(void)
{
	memset(children, 0, sizeof children);
	__atomic_store_n(&notw_family_generation, forking_gen, __ATOMIC_RELEASE);
	fork_parent = notw_family_pid(); /* still the parent's, copied at fork */
	notw_family_set_pid((pid_t)notw_syscall(SYS_getpid));
}

/* Our fd and other's descriptor other_fd are the same open file. */
static bool same_file(pid_t other, int fd, int other_fd)
{
	int saved_errno = errno;
	long same = notw_syscall(SYS_kcmp, (long)notw_family_pid(), (long)other, KCMP_FILE, (long)fd,
				 (long)other_fd);
	errno = saved_errno;
	return same == 0;
}

/* A child holds fd under the same number, or moved it onto its standard
 * descriptors (an inetd-style child: busybox httpd puts the connection on
 * 0 and 1 before it serves). */
static bool child_has_file(pid_t child, int fd)
{
	if (same_file(child, fd, fd))
		return true;
	for (int std = 0; std <= 2; std++)
		if (std != fd && same_file(child, fd, std))
			return true;
	return false;
}

bool notw_family_parent_holds(int fd)
{
	return fork_parent > 0 && same_file(fork_parent, fd, fd);
}

bool notw_family_child_holds(int fd, uint32_t birth)
{
	uint32_t now = notw_family_gen();
	if (now == birth)
		return false;
	for (unsigned i = 0; i < NOTW_FAMILY_CHILDREN; i++) {
		const struct child *c = &children[i];
		pid_t pid = __atomic_load_n(&c->pid, __ATOMIC_ACQUIRE);
		uint32_t g = __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE);
		/* forked after the descriptor was born (generations wrap) */
		if (pid > 0 && (int32_t)(g - birth) > 0 && (int32_t)(now - g) >= 0 && child_has_file(pid, fd))
			return true;
	}
	return false;
}
