#define _GNU_SOURCE
#include "rawsys.h"
#include "linger.h"

#include "dirwalk.h"
#include "family.h"
#include "fdtable.h"
#include "fmt.h"
#include "inetaddr.h"
#include "holders.h"
#include "log.h"
#include "policy.h"
#include "real.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/tcp.h> /* the kernel's tcp_info: glibc's lacks the byte counters */
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Remote ports already announced at info level (one line per class). */
static uint64_t announced_remote_ports[65536 / 64];
/* Set once: zero linger is off for the rest of this process. */
static int tripped;
/* Set once the process has begun a normal exit. */
static int exiting;

static enum notw_linger mode(void)
{
	return notw_active_policy.linger;
}

/* May a new socket be armed now? Not once the safety net has tripped, and
 * under crash not once the process is exiting (a late destructor's
 * connections must close gracefully). */
static inline bool can_arm(void)
{
	if (mode() == NOTW_LINGER_OFF || __atomic_load_n(&tripped, __ATOMIC_ACQUIRE))
		return false;
	return !(mode() == NOTW_LINGER_CRASH && __atomic_load_n(&exiting, __ATOMIC_ACQUIRE));
}

/* The library's own SO_LINGER: the system call itself (no other
 * library's setsockopt() sees it, errno stays the program's). Returns 0 or
 * -errno. */
static int setsockopt_linger(int fd, const struct linger *l)
{
	return (int)notw_syscall5_noerrno(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, (long)l, sizeof *l);
}

/* Returns 0 or the error. */
static int arm(int fd)
{
	const struct linger l = { .l_onoff = 1, .l_linger = 0 };
	return -setsockopt_linger(fd, &l);
}

/* What the socket would have without the library: the program's own
 * SO_LINGER, or the kernel's default. */
static void disarm(int fd, uint32_t flags)
{
	struct linger l = { .l_onoff = 0, .l_linger = 0 };
	if ((flags & NOTW_FD_PROG_LINGER) != 0) {
		l.l_onoff = notw_fd_linger_onoff(flags);
		l.l_linger = notw_fd_linger_secs(flags);
	}
	setsockopt_linger(fd, &l);
}

/* Options belong to the socket: fd and every duplicate of it. */
static void update_socket(int fd, uint32_t set, uint32_t clear)
{
	notw_holders_update_socket(fd, set, clear);
}

static void log_listener_arms(int fd)
{
	if (!notw_log_enabled(NOTW_LEVEL_INFO))
		return;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int saved_errno = errno;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		len = 0;
	errno = saved_errno;
	notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on connections accepted on %A (linger=%s)",
		 (const struct sockaddr *)&ss, len, notw_linger_name(mode()));
}

/* The listener itself is never armed: connections would inherit zero
 * linger from it in the kernel wherever they are accepted, also by a
 * program or a path the library never sees (a listener handed on through
 * posix_spawn or a raw sendmsg, an accept through io_uring, connections
 * queued when it changes hands). The library arms each connection it
 * accepts itself, and so knows every socket it armed. */
void notw_linger_after_listen(int fd, uint32_t flags)
{
	/* Once: nginx calls listen() again on the same socket. */
	if (!can_arm() || (flags & (NOTW_FD_MANAGED | NOTW_FD_OWN_LINGER | NOTW_FD_ARMS_CONNS)) != NOTW_FD_MANAGED)
		return;
	update_socket(fd, NOTW_FD_ARMS_CONNS, 0);
	log_listener_arms(fd);
}

static bool first_time_for_remote_port(int port)
{
	uint64_t bit = (uint64_t)1 << ((unsigned)port % 64u);
	uint64_t *word = &announced_remote_ports[(unsigned)port / 64u];
	/* Every connect() after the first only reads: no locked write to a
	 * line that all threads connecting out share. */
	if ((__atomic_load_n(word, __ATOMIC_RELAXED) & bit) != 0)
		return false;
	return (__atomic_fetch_or(word, bit, __ATOMIC_RELAXED) & bit) == 0;
}

/* A crashed client's timewait sockets sit on ephemeral ports and block
 * nobody: outgoing connections are armed only under always, or when the
 * policy asks (linger_outgoing). */
static bool arms_outgoing(void)
{
	return mode() == NOTW_LINGER_ALWAYS || notw_active_policy.linger_outgoing;
}

uint32_t notw_linger_after_connect(int fd, uint32_t flags, const struct sockaddr *addr, socklen_t len)
{
	if (!can_arm() || !arms_outgoing() ||
	    (flags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER | NOTW_FD_LISTENER | NOTW_FD_NO_ARM)) != 0)
		return 0;
	int port = notw_sockaddr_port(addr, len);
	if (port <= 0 || !notw_policy_port_matches(&notw_active_policy, (unsigned)port))
		return 0;
	int err = arm(fd);
	if (err != 0) {
		notw_log(NOTW_LEVEL_WARN, "connect fd=%d to %A: could not set SO_LINGER: %E", fd, addr, len, err);
		return 0;
	}
	if (first_time_for_remote_port(port))
		notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on connections to %A (linger=%s)", addr, len,
			 notw_linger_name(mode()));
	else if (notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "connect fd=%d to %A: armed", fd, addr, len);
	return NOTW_FD_ARMED | NOTW_FD_MANAGED;
}

static bool kernel_linger(int fd, struct linger *l)
{
	socklen_t len = sizeof *l;
	int saved_errno = errno;
	bool ok = notw_call_getsockopt(fd, SOL_SOCKET, SO_LINGER, l, &len) == 0;
	errno = saved_errno;
	return ok;
}

static bool kernel_linger_is_zero(int fd)
{
	struct linger l;
	return kernel_linger(fd, &l) && l.l_onoff != 0 && l.l_linger == 0;
}

uint32_t notw_linger_adopt(int fd)
{
	struct linger l;
	if (mode() == NOTW_LINGER_OFF || !kernel_linger(fd, &l) || l.l_onoff == 0)
		return 0;
	/* Zero linger found on a socket met already open is a program's own:
	 * the library never arms a listener, and disarms the connections it
	 * armed before they leave its sight (exec, sendmsg). */
	if (l.l_linger == 0 || l.l_linger > NOTW_FD_LINGER_SECS_MAX)
		return NOTW_FD_OWN_LINGER;
	return NOTW_FD_PROG_LINGER | notw_fd_linger_bits(1, l.l_linger);
}

uint32_t notw_linger_accepted_slow(int listener, uint32_t lflags, int conn)
{
	(void)listener;
	/* The kernel copied the listener's options into the connection: the
	 * program's own {1,0} stands, its other values are the connection's
	 * too. */
	if ((lflags & NOTW_FD_OWN_LINGER) != 0)
		return NOTW_FD_OWN_LINGER;
	uint32_t cflags = lflags & (NOTW_FD_PROG_LINGER | NOTW_FD_LINGER_MASK);
	if ((lflags & NOTW_FD_ARMS_CONNS) == 0 || !can_arm())
		return cflags;
	int err = arm(conn);
	if (err != 0) {
		notw_log(NOTW_LEVEL_WARN, "accept fd=%d: could not set SO_LINGER: %E", conn, err);
		return cflags;
	}
	return cflags | NOTW_FD_ARMED;
}

void notw_linger_recheck_accepted(int conn)
{
	/* The table's entry is stored; a normal exit or the safety net that
	 * began meanwhile on another thread may have walked past it. The
	 * fence pairs with theirs: one of the two sees the other. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (can_arm() || mode() == NOTW_LINGER_OFF)
		return;
	uint32_t flags = notw_fd_get(conn);
	if ((flags & NOTW_FD_ARMED) != 0) {
		disarm(conn, flags);
		notw_fd_update(conn, 0, NOTW_FD_ARMED);
	}
}

void notw_linger_before_handing_over(int fd)
{
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_ARMED) == 0 || mode() == NOTW_LINGER_ALWAYS)
		return;
	notw_holders_update_socket(fd, 0, NOTW_FD_ARMED);
	disarm(fd, flags);
	notw_log(NOTW_LEVEL_DEBUG, "fd=%d handed to another program: disarmed", fd);
}

void notw_linger_cannot_list(int fd, int unlisted)
{
	uint32_t flags = notw_fd_get(fd);
	notw_holders_update_socket(fd, NOTW_FD_NO_ARM, NOTW_FD_ARMED);
	notw_fd_update(unlisted, NOTW_FD_NO_ARM, NOTW_FD_ARMED);
	if ((flags & NOTW_FD_ARMED) != 0 && mode() != NOTW_LINGER_ALWAYS) {
		disarm(fd, flags);
		notw_log(NOTW_LEVEL_DEBUG, "dup fd=%d -> fd=%d: too many duplicates to follow, disarmed", fd,
			 unlisted);
	}
}

/* Only take off what the library put: a child this socket was shared with
 * may have set its own option since. */
static bool linger_set_by_child(int fd)
{
	struct linger l;
	return kernel_linger(fd, &l) && !(l.l_onoff != 0 && l.l_linger == 0);
}

/* The kernel's count of what was written on a TCP connection: false when
 * it cannot say (then every caller takes the safe answer). */
static bool written_bytes(int fd, struct tcp_info *info)
{
	socklen_t len = sizeof *info;
	int saved_errno = errno;
	memset(info, 0, sizeof *info);
	bool ok = notw_call_getsockopt(fd, IPPROTO_TCP, TCP_INFO, info, &len) == 0 &&
		  len >= offsetof(struct tcp_info, tcpi_notsent_bytes) + sizeof info->tcpi_notsent_bytes;
	errno = saved_errno;
	return ok;
}

/* Nothing has been written on the connection yet (no byte acknowledged,
 * in flight or queued): a fork-per-connection parent that hands a fresh
 * connection to its child (the client's request may already have
 * arrived). Only such a connection may stay armed for a child at this
 * process's close: a child that merely inherited a connection this process
 * has been answering on (a snapshot child, a helper) may be killed later,
 * and its death must not reset what this process wrote. */
static bool nothing_written(int fd)
{
	struct tcp_info info;
	return written_bytes(fd, &info) && info.tcpi_bytes_acked == 0 && info.tcpi_unacked == 0 &&
	       info.tcpi_notsent_bytes == 0;
}

/* No byte written on the connection waits for the peer's acknowledgement:
 * a reset now would destroy none of it. */
static bool nothing_unacknowledged(int fd)
{
	struct tcp_info info;
	return written_bytes(fd, &info) && info.tcpi_unacked == 0 && info.tcpi_notsent_bytes == 0;
}

bool notw_linger_before_close(int fd, uint32_t flags, uint64_t aux, bool other_local_holder)
{
	/* A listener's close never lingers (tcp_close() stops a listener
	 * before it looks at SO_LINGER), and "always" wants every close to
	 * reset. */
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_LISTENER)) != NOTW_FD_ARMED || mode() == NOTW_LINGER_ALWAYS)
		return false;
	if (other_local_holder) {
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: a duplicate still holds the socket, stays armed", fd);
		return false;
	}
	/* Without a fork since the socket was born, no child holds it. */
	uint32_t birth = notw_aux_birth(aux);
	if (notw_family_forked_since(birth)) {
		bool child_holds = false, child_set = false;
		NOTW_KEEP_ERRNO(child_holds = notw_family_child_holds(fd, birth) && nothing_written(fd));
		if (child_holds) {
			notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: a child process holds the socket, stays armed", fd);
			return false;
		}
		NOTW_KEEP_ERRNO(child_set = linger_set_by_child(fd));
		if (child_set)
			return false;
	}
	disarm(fd, flags);
	if (notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: disarmed, closes gracefully", fd);
	return true;
}

void notw_linger_rearm(int fd)
{
	arm(fd);
}

void notw_linger_after_shutdown(int fd, uint32_t flags)
{
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_LISTENER)) != NOTW_FD_ARMED || mode() == NOTW_LINGER_ALWAYS)
		return;
	update_socket(fd, 0, NOTW_FD_ARMED);
	disarm(fd, flags);
	notw_log(NOTW_LEVEL_DEBUG, "shutdown fd=%d: disarmed, closes gracefully", fd);
}

static void log_program_linger(int fd, uint32_t flags, const struct linger *l)
{
	if ((flags & (NOTW_FD_LISTENER | NOTW_FD_MANAGED)) != (NOTW_FD_LISTENER | NOTW_FD_MANAGED) ||
	    mode() == NOTW_LINGER_OFF)
		return;
	if (l->l_onoff != 0 && l->l_linger == 0)
		notw_log(NOTW_LEVEL_INFO,
			 "listener fd=%d: the program set SO_LINGER{1,0} itself: its connections reset as it asks, zero linger leaves them alone",
			 fd);
	else if (l->l_onoff != 0)
		notw_log(NOTW_LEVEL_INFO,
			 "listener fd=%d: the program set SO_LINGER{1,%d}: restored before each of its own closes, zero linger still applies at a crash",
			 fd, l->l_linger);
	else
		notw_log(NOTW_LEVEL_INFO,
			 "listener fd=%d: the program set SO_LINGER{0,%d} (the kernel's default): zero linger still applies at a crash",
			 fd, l->l_linger);
}

void notw_linger_program_set(int fd, uint32_t flags, const struct linger *l)
{
	log_program_linger(fd, flags, l);
	/* {1,0}: the program wants resets itself; a value the table cannot
	 * hold is left alone too. */
	if ((l->l_onoff != 0 && l->l_linger == 0) || l->l_linger < 0 || l->l_linger > NOTW_FD_LINGER_SECS_MAX) {
		update_socket(fd, NOTW_FD_OWN_LINGER, NOTW_FD_ARMED | NOTW_FD_PROG_LINGER | NOTW_FD_LINGER_MASK);
		return;
	}
	/* With l_onoff 0 the kernel keeps the linger time it had. */
	int secs = l->l_onoff != 0 ? l->l_linger
				   : ((flags & NOTW_FD_PROG_LINGER) != 0 ? notw_fd_linger_secs(flags) : 0);
	update_socket(fd, NOTW_FD_PROG_LINGER | notw_fd_linger_bits(l->l_onoff, secs),
		      NOTW_FD_OWN_LINGER | NOTW_FD_LINGER_MASK);
	/* The program's call replaced zero linger in the kernel: put it back;
	 * its value returns before its own close. */
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_NO_ARM)) == NOTW_FD_ARMED && arm(fd) != 0)
		update_socket(fd, 0, NOTW_FD_ARMED);
}

bool notw_linger_program_view(uint32_t flags, struct linger *out)
{
	if ((flags & NOTW_FD_ARMED) == 0)
		return false;
	out->l_onoff = (flags & NOTW_FD_PROG_LINGER) != 0 ? notw_fd_linger_onoff(flags) : 0;
	out->l_linger = (flags & NOTW_FD_PROG_LINGER) != 0 ? notw_fd_linger_secs(flags) : 0;
	return true;
}

/* At exit every descriptor of this process goes, duplicates included,
 * but a connection the parent still holds (a snapshot or helper child
 * exiting) with nothing written on it still unacknowledged: the parent
 * disarms at its own close, since it defers to a child only for a
 * connection nothing has been written on (see nothing_written). */
static bool disarm_for_exit(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	if (!(notw_family_parent_holds(fd) && nothing_unacknowledged(fd)))
		disarm(fd, flags);
	return true;
}

void notw_linger_at_normal_exit(void)
{
	if (mode() != NOTW_LINGER_CRASH)
		return;
	__atomic_store_n(&exiting, 1, __ATOMIC_SEQ_CST);
	notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exit, NULL);
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
	/* what its exec disarmed, armed again if the exec fails */
	int disarmed_count;
	bool disarmed_overflow;
	int disarmed[VFORK_DUPS];
} vfork_dups __attribute__((tls_model("initial-exec")));

/* The list belongs to the vfork child now running on this thread. */
static void own_vfork_lists(void)
{
	pid_t self = (pid_t)notw_syscall(SYS_getpid);
	if (vfork_dups.child != self) {
		vfork_dups.child = self;
		vfork_dups.count = 0;
		vfork_dups.overflow = false;
		vfork_dups.disarmed_count = 0;
		vfork_dups.disarmed_overflow = false;
	}
}

static void note_vfork_disarmed(int fd)
{
	own_vfork_lists();
	if (vfork_dups.disarmed_count < VFORK_DUPS)
		vfork_dups.disarmed[vfork_dups.disarmed_count++] = fd;
	else
		vfork_dups.disarmed_overflow = true;
}

/* The exec of a vfork child failed: what it disarmed is the parent's too,
 * and the parent's table still says armed. Past the list's size, the rest
 * stays disarmed (graceful). */
static void rearm_after_failed_vfork_exec(void)
{
	const struct linger l = { .l_onoff = 1, .l_linger = 0 };
	if (vfork_dups.child != (pid_t)notw_syscall(SYS_getpid))
		return;
	for (int i = 0; i < vfork_dups.disarmed_count; i++)
		setsockopt_linger(vfork_dups.disarmed[i], &l);
	vfork_dups.disarmed_count = 0;
}

/* One descriptor as exec will treat it. Its state in the table is used
 * only when the kernel agrees it is an armed socket: in a vfork child the
 * table is the parent's, and descriptors may have moved. */
static bool disarm_one_for_exec(int fd, bool vfork_child)
{
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_OWN_LINGER) != 0 || !kernel_linger_is_zero(fd))
		return false;
	int fdflags = (int)notw_syscall(SYS_fcntl, fd, F_GETFD);
	if (fdflags < 0)
		return false;
	if ((fdflags & FD_CLOEXEC) != 0) {
		/* Closed by exec: a vfork child's parent still holds it; a child
		 * forked since it was born may hold it and disarms it itself. */
		if (vfork_child || (notw_family_child_holds(fd, notw_aux_birth(notw_fd_aux(fd))) &&
				    nothing_written(fd)))
			return false;
	}
	disarm(fd, (flags & NOTW_FD_ARMED) != 0 ? flags : 0u);
	/* The table is shared with the parent in a vfork child: hands off;
	 * the child keeps its own list in case exec fails. */
	if (vfork_child)
		note_vfork_disarmed(fd);
	else if ((flags & NOTW_FD_ARMED) != 0)
		notw_fd_update(fd, NOTW_FD_EXEC_DISARMED, NOTW_FD_ARMED);
	return true;
}

struct exec_walk {
	bool vfork_child;
	int count;
};

static bool disarm_tracked_for_exec(int fd, uint32_t flags, void *ctx)
{
	struct exec_walk *w = ctx;
	(void)flags;
	if (disarm_one_for_exec(fd, w->vfork_child))
		w->count++;
	return true;
}

struct exec_dir_walk {
	struct exec_walk *walk;
	int dir;
};

static bool disarm_entry_for_exec(const char *name, void *ctx)
{
	struct exec_dir_walk *d = ctx;
	int fd = notw_dir_entry_number(name);
	if (fd >= 0 && fd != d->dir && disarm_one_for_exec(fd, d->walk->vfork_child))
		d->walk->count++;
	return true;
}

/* Every open descriptor, from the kernel's list: also those the table
 * never saw. Returns false when /proc cannot be read. */
static bool walk_open_descriptors(struct exec_walk *w)
{
	int dir = (int)notw_syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return false;
	struct exec_dir_walk d = { w, dir };
	notw_for_each_dir_entry(dir, disarm_entry_for_exec, &d);
	notw_syscall(SYS_close, dir);
	return true;
}

void notw_linger_vfork_dup(int newfd)
{
	own_vfork_lists();
	if (vfork_dups.count < VFORK_DUPS)
		vfork_dups.fds[vfork_dups.count++] = newfd;
	else
		vfork_dups.overflow = true;
}

/* In a vfork child: the descriptors it duplicated (0 and 1 for busybox's
 * nc -e), or every open descriptor when there were too many to keep. */
static void walk_vfork_dups(struct exec_walk *w)
{
	if (vfork_dups.child != (pid_t)notw_syscall(SYS_getpid))
		return;
	if (vfork_dups.overflow) {
		walk_open_descriptors(w);
		return;
	}
	for (int i = 0; i < vfork_dups.count; i++)
		if (disarm_one_for_exec(vfork_dups.fds[i], true))
			w->count++;
}

int notw_linger_before_exec(bool vfork_child)
{
	struct exec_walk w = { vfork_child, 0 };
	if (mode() == NOTW_LINGER_OFF)
		return 0;
	int saved_errno = errno;
	if (vfork_child)
		own_vfork_lists();
	/* What the table holds as armed, seen from this process's own
	 * descriptors; in a vfork child also what it duplicated itself. */
	notw_fd_for_each(NOTW_FD_ARMED, disarm_tracked_for_exec, &w);
	if (vfork_child)
		walk_vfork_dups(&w);
	errno = saved_errno;
	return w.count;
}

static bool disarm_survivor_for_spawn(int fd, uint32_t flags, void *ctx)
{
	int *count = ctx;
	int fdflags = (int)notw_syscall(SYS_fcntl, fd, F_GETFD);
	if (fdflags < 0 || (fdflags & FD_CLOEXEC) != 0)
		return true;
	notw_holders_update_socket(fd, 0, NOTW_FD_ARMED);
	disarm(fd, flags);
	(*count)++;
	return true;
}

int notw_linger_before_spawn(void)
{
	int count = 0;
	if (mode() == NOTW_LINGER_OFF || mode() == NOTW_LINGER_ALWAYS)
		return 0;
	int saved_errno = errno;
	notw_fd_for_each(NOTW_FD_ARMED, disarm_survivor_for_spawn, &count);
	errno = saved_errno;
	if (count > 0)
		notw_log(NOTW_LEVEL_DEBUG, "spawn: disarmed %d socket(s) the new program inherits", count);
	return count;
}

static bool rearm_after_failed_exec(int fd, uint32_t flags, void *ctx)
{
	(void)flags;
	(void)ctx;
	const struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt_linger(fd, &l);
	notw_fd_update(fd, NOTW_FD_ARMED, NOTW_FD_EXEC_DISARMED);
	return true;
}

void notw_linger_exec_failed(bool vfork_child)
{
	if (__atomic_load_n(&tripped, __ATOMIC_ACQUIRE))
		return; /* everything stays disarmed */
	int saved_errno = errno;
	if (vfork_child)
		rearm_after_failed_vfork_exec();
	else
		notw_fd_for_each(NOTW_FD_EXEC_DISARMED, rearm_after_failed_exec, NULL);
	errno = saved_errno;
}

/* ---- the safety net ---- */

static bool disarm_everything(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED)) != 0)
		disarm(fd, flags);
	notw_fd_update(fd, 0, NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED | NOTW_FD_ARMS_CONNS);
	return true;
}

static void trip(int fd, const char *call, const char *why)
{
	if (mode() == NOTW_LINGER_OFF || __atomic_exchange_n(&tripped, 1, __ATOMIC_SEQ_CST) != 0)
		return;
	int saved_errno = errno;
	notw_fd_for_each(NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED | NOTW_FD_ARMS_CONNS, disarm_everything, NULL);
	errno = saved_errno;
	notw_log(NOTW_LEVEL_WARN,
		 "zero linger switched off for this process: fd=%d %s %s; every armed socket disarmed (a crash now leaves timewait sockets, as without NOTW_LINGER)",
		 fd, call, why);
}

void notw_linger_stale_descriptor(int fd, uint32_t stale_flags, const char *call)
{
	if ((stale_flags & (NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED)) != 0)
		trip(fd, call,
		     "returned a descriptor number the library still held as an armed socket: the program closed that socket by a way the library does not see");
}

void notw_linger_close_found_closed(int fd, uint32_t flags)
{
	if ((flags & NOTW_FD_ARMED) != 0)
		trip(fd, "close()", "found the armed socket already closed by a way the library does not see");
}
