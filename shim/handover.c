/* Handing sockets to another program (handover.h): exec, vfork, spawn,
 * SCM_RIGHTS and spawn file actions, in one place. */
#define _GNU_SOURCE
#include "rawsys.h"
#include "handover.h"

#include "armgate.h"
#include "dirwalk.h"
#include "fdtable.h"
#include "linger.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- SCM_RIGHTS, spawn file actions ---- */

void notw_handover_passed(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_ARMED) == 0 || notw_linger_mode() == NOTW_LINGER_ALWAYS)
		return;
	notw_linger_disarm_socket(fd, flags);
	notw_log(NOTW_LEVEL_DEBUG, "fd=%d handed to another program: disarmed", fd);
}

/* ---- exec ---- */

/* The duplicates a vfork() child made: its descriptors are its own, but it
 * must not write them into the table, which is the parent's. Kept on the
 * thread (the child runs on the parent's thread until exec) and tagged with
 * the child's pid, so that the next child starts afresh. */
#define VFORK_DUPS 16
static __thread struct {
	pid_t child;
	int count;
	bool overflow;
	int fds[VFORK_DUPS];
} vfork_dups __attribute__((tls_model("initial-exec")));

/* The list belongs to the vfork child now running on this thread. */
static void own_vfork_list(void)
{
	pid_t self = (pid_t)notw_syscall(SYS_getpid);
	if (vfork_dups.child != self) {
		vfork_dups.child = self;
		vfork_dups.count = 0;
		vfork_dups.overflow = false;
	}
}

/* A vfork child's view of one descriptor (rule E): its table is the
 * parent's and descriptors may have moved, so only the kernel's answer
 * counts. A close-on-exec one is left to the parent, which holds it and is
 * suspended; a survivor goes to the new program and is disarmed. The
 * parent's table is not written: the child bumped the parent's fork count
 * first, so the parent never arms those sockets again. */
static bool disarm_for_vfork_exec(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_OWN_LINGER) != 0 || !notw_linger_kernel_is_zero(fd))
		return false;
	int fdflags = (int)notw_syscall(SYS_fcntl, fd, F_GETFD);
	if (fdflags < 0 || (fdflags & FD_CLOEXEC) != 0)
		return false;
	notw_linger_disarm(fd, (flags & NOTW_FD_ARMED) != 0 ? flags : 0u);
	return true;
}

/* This process's own exec (rule E): every armed socket, close-on-exec or
 * not (the kernel's close at exec may be the last). Marked, so that a
 * failed exec arms them again through the gate. */
static bool disarm_for_exec(int fd, uint32_t flags, void *ctx)
{
	int *count = ctx;
	notw_linger_disarm_ours(fd, flags);
	notw_fd_update(fd, NOTW_FD_EXEC_DISARMED, NOTW_FD_ARMED);
	(*count)++;
	return true;
}

struct vfork_walk {
	int count;
	int dir;
};

static bool vfork_walk_tracked(int fd, uint32_t flags, void *ctx)
{
	struct vfork_walk *w = ctx;
	(void)flags;
	if (disarm_for_vfork_exec(fd))
		w->count++;
	return true;
}

static bool vfork_walk_entry(const char *name, void *ctx)
{
	struct vfork_walk *w = ctx;
	int fd = notw_dir_entry_number(name);
	if (fd >= 0 && fd != w->dir && disarm_for_vfork_exec(fd))
		w->count++;
	return true;
}

/* Every open descriptor, from the kernel's list: also those the table
 * never saw. */
static void vfork_walk_open_descriptors(struct vfork_walk *w)
{
	int dir = (int)notw_syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	w->dir = dir;
	notw_for_each_dir_entry(dir, vfork_walk_entry, w);
	notw_syscall(SYS_close, dir);
}

void notw_handover_vfork_dup(int newfd)
{
	own_vfork_list();
	if (vfork_dups.count < VFORK_DUPS)
		vfork_dups.fds[vfork_dups.count++] = newfd;
	else
		vfork_dups.overflow = true;
}

/* In a vfork child: what the parent's table holds as armed, and the
 * descriptors the child duplicated (0 and 1 for busybox's nc -e), or
 * every open descriptor when there were too many to keep. */
static int disarm_for_vfork_child_exec(void)
{
	struct vfork_walk w = { 0, -1 };
	notw_armgate_vfork_exec();
	own_vfork_list();
	notw_fd_for_each(NOTW_FD_ARMED, vfork_walk_tracked, &w);
	if (vfork_dups.overflow) {
		vfork_walk_open_descriptors(&w);
	} else {
		for (int i = 0; i < vfork_dups.count; i++)
			if (disarm_for_vfork_exec(vfork_dups.fds[i]))
				w.count++;
	}
	return w.count;
}

/* This thread's exec paused the gate: its failure resumes it (once). */
static __thread unsigned char exec_paused __attribute__((tls_model("initial-exec")));

int notw_handover_before_exec(bool vfork_child)
{
	if (notw_linger_mode() == NOTW_LINGER_OFF)
		return 0;
	int count = 0;
	int saved_errno = errno;
	if (vfork_child) {
		count = disarm_for_vfork_child_exec();
	} else {
		notw_armgate_pause();
		exec_paused = 1;
		notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exec, &count);
	}
	errno = saved_errno;
	return count;
}

static bool rearm_after_failed_exec(int fd, uint32_t flags, void *ctx)
{
	(void)flags;
	(void)ctx;
	notw_fd_update(fd, NOTW_FD_ARMED, NOTW_FD_EXEC_DISARMED);
	notw_linger_rearm(fd);
	return true;
}

/* A vfork child's failed exec leaves what it disarmed disarmed (graceful);
 * this process's own failed exec arms again through the gate. */
void notw_handover_exec_failed(bool vfork_child)
{
	if (vfork_child || !exec_paused)
		return;
	int saved_errno = errno;
	exec_paused = 0;
	notw_armgate_resume();
	notw_fd_for_each(NOTW_FD_EXEC_DISARMED, rearm_after_failed_exec, NULL);
	errno = saved_errno;
}

/* ---- spawn ---- */

static bool disarm_survivor_for_spawn(int fd, uint32_t flags, void *ctx)
{
	int *count = ctx;
	int fdflags = (int)notw_syscall(SYS_fcntl, fd, F_GETFD);
	if (fdflags < 0 || (fdflags & FD_CLOEXEC) != 0)
		return true;
	notw_linger_disarm_socket(fd, flags);
	(*count)++;
	return true;
}

/* posix_spawn(), system(), popen(): the child is made inside libc and
 * execs there, past the hooks. Around the whole call the library counts a
 * fork under way (rule F), so nothing accepted meanwhile is armed; before
 * it, what the new program inherits is disarmed for good. */
int notw_handover_before_spawn(void)
{
	notw_armgate_fork_begin();
	int count = 0;
	if (notw_linger_mode() == NOTW_LINGER_OFF || notw_linger_mode() == NOTW_LINGER_ALWAYS)
		return 0;
	int saved_errno = errno;
	notw_fd_for_each(NOTW_FD_ARMED, disarm_survivor_for_spawn, &count);
	errno = saved_errno;
	if (count > 0)
		notw_log(NOTW_LEVEL_DEBUG, "spawn: disarmed %d socket(s) the new program inherits", count);
	return count;
}

void notw_handover_after_spawn(void)
{
	notw_armgate_fork_parent();
}
