#define _GNU_SOURCE
#include "rawsys.h"
#include "linger.h"

#include "dirwalk.h"
#include "family.h"
#include "fdtable.h"
#include "fmt.h"
#include "holders.h"
#include "log.h"
#include "policy.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
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
static bool can_arm(void)
{
	if (mode() == NOTW_LINGER_OFF || __atomic_load_n(&tripped, __ATOMIC_ACQUIRE))
		return false;
	return !(mode() == NOTW_LINGER_CRASH && __atomic_load_n(&exiting, __ATOMIC_ACQUIRE));
}

static int setsockopt_linger(int fd, const struct linger *l, bool raw)
{
	int saved_errno = errno;
	int rc = raw ? (int)notw_syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, l, sizeof *l)
		     : notw_call_setsockopt(fd, SOL_SOCKET, SO_LINGER, l, sizeof *l);
	errno = saved_errno;
	return rc;
}

static bool arm(int fd)
{
	const struct linger l = { .l_onoff = 1, .l_linger = 0 };
	return setsockopt_linger(fd, &l, false) == 0;
}

/* What the socket would have without the library: the program's own
 * SO_LINGER, or the kernel's default. raw: a bare system call, for the
 * exit and exec paths. */
static void disarm(int fd, uint32_t flags, bool raw)
{
	struct linger l = { .l_onoff = 0, .l_linger = 0 };
	if ((flags & NOTW_FD_PROG_LINGER) != 0) {
		l.l_onoff = notw_fd_linger_onoff(flags);
		l.l_linger = notw_fd_linger_secs(flags);
	}
	setsockopt_linger(fd, &l, raw);
}

/* Options belong to the socket: fd and every duplicate of it. */
static void update_socket(int fd, uint32_t set, uint32_t clear)
{
	notw_holders_update_socket(fd, set, clear);
}

static void log_listener_armed(int fd)
{
	if (!notw_log_enabled(NOTW_LEVEL_INFO))
		return;
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int saved_errno = errno;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
		len = 0;
	errno = saved_errno;
	notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on listener %A (linger=%s)", (const struct sockaddr *)&ss,
		 len, notw_linger_name(mode()));
}

void notw_linger_after_listen(int fd, uint32_t flags)
{
	/* Armed already: nginx calls listen() again on the same socket. */
	if (!can_arm() || (flags & (NOTW_FD_MANAGED | NOTW_FD_OWN_LINGER | NOTW_FD_ARMED)) != NOTW_FD_MANAGED)
		return;
	/* Flag first: a connection accepted on another thread meanwhile must
	 * not be armed by the kernel yet unknown to the table. */
	update_socket(fd, NOTW_FD_ARMED, 0);
	if (!arm(fd)) {
		update_socket(fd, 0, NOTW_FD_ARMED);
		notw_log(NOTW_LEVEL_WARN, "listen fd=%d: could not set SO_LINGER: %E", fd, errno);
		return;
	}
	log_listener_armed(fd);
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
	    (flags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER | NOTW_FD_LISTENER)) != 0)
		return 0;
	int port = notw_sockaddr_port(addr, len);
	if (port <= 0 || !notw_policy_port_matches(&notw_active_policy, (unsigned)port))
		return 0;
	if (!arm(fd)) {
		notw_log(NOTW_LEVEL_WARN, "connect fd=%d to %A: could not set SO_LINGER: %E", fd, addr,
			 len, errno);
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
	/* Zero linger that survived into this program is the program's own:
	 * the library disarms its own before every exec. */
	if (l.l_linger == 0 || l.l_linger > NOTW_FD_LINGER_SECS_MAX)
		return NOTW_FD_OWN_LINGER;
	return NOTW_FD_PROG_LINGER | notw_fd_linger_bits(1, l.l_linger);
}

/* Connections that were already queued on a listener this program was
 * handed (exec, socket activation) carry whatever linger the listener had
 * then: the previous program's zero linger among them. The queue is first
 * in, first out, so once one arrives without it, none of the rest has it. */
static uint32_t check_queued_connection(int listener, int conn)
{
	if (kernel_linger_is_zero(conn))
		return NOTW_FD_ARMED;
	notw_fd_update(listener, 0, NOTW_FD_CHECK_QUEUED);
	return 0;
}

uint32_t notw_linger_accepted(int listener, uint32_t lflags, int conn)
{
	uint32_t cflags = lflags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER | NOTW_FD_PROG_LINGER |
				    NOTW_FD_LINGER_MASK);
	if ((lflags & (NOTW_FD_CHECK_QUEUED | NOTW_FD_OWN_LINGER | NOTW_FD_ARMED)) == NOTW_FD_CHECK_QUEUED)
		cflags |= check_queued_connection(listener, conn);
	/* Past a normal exit under crash: a late destructor's connection
	 * closes gracefully, so it is not left armed. */
	if ((cflags & NOTW_FD_ARMED) != 0 && mode() == NOTW_LINGER_CRASH &&
	    __atomic_load_n(&exiting, __ATOMIC_ACQUIRE)) {
		disarm(conn, cflags, false);
		cflags &= ~(uint32_t)NOTW_FD_ARMED;
	}
	return cflags;
}

static bool linger_set_by_child(int fd, uint32_t flags)
{
	/* Only take off what the library put: a child this socket was shared
	 * with may have set its own option since. */
	struct linger l;
	(void)flags;
	return kernel_linger(fd, &l) && !(l.l_onoff != 0 && l.l_linger == 0);
}

/* Everything this process wrote on the socket has been acknowledged by the
 * peer (SIOCOUTQ: written but not yet acknowledged). Only then may the
 * socket stay armed for a child: if that child is then killed, the reset
 * destroys none of this process's data. */
static bool nothing_unacknowledged(int fd)
{
	int pending = -1;
	int saved_errno = errno;
	bool empty = ioctl(fd, SIOCOUTQ, &pending) == 0 && pending == 0;
	errno = saved_errno;
	return empty;
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
	uint32_t birth = notw_aux_birth(aux);
	if (notw_family_child_holds(fd, birth) && nothing_unacknowledged(fd)) {
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: a child process holds the socket, stays armed", fd);
		return false;
	}
	if (notw_family_forked_since(birth) && linger_set_by_child(fd, flags))
		return false;
	disarm(fd, flags, false);
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
	disarm(fd, flags, false);
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
	if ((flags & NOTW_FD_ARMED) != 0 && !arm(fd))
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

/* At exit every descriptor of this process goes, duplicates included.
 * Listeners keep their linger: the processes they are shared with (the
 * workers of a pre-fork server) go on accepting. */
static bool disarm_for_exit(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	if ((flags & NOTW_FD_LISTENER) == 0)
		disarm(fd, flags, true);
	return true;
}

void notw_linger_at_normal_exit(void)
{
	if (mode() != NOTW_LINGER_CRASH)
		return;
	__atomic_store_n(&exiting, 1, __ATOMIC_RELEASE);
	notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exit, NULL);
}

/* ---- exec ---- */

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
				    nothing_unacknowledged(fd)))
			return false;
	}
	disarm(fd, (flags & NOTW_FD_ARMED) != 0 ? flags : 0u, true);
	/* The table is shared with the parent in a vfork child: hands off. */
	if (!vfork_child && (flags & NOTW_FD_ARMED) != 0)
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

/* Every open descriptor, from the kernel's list: it also shows sockets the
 * table never saw (a duplicate made in a vfork child, a raw system call).
 * Returns false when /proc cannot be read. */
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

int notw_linger_before_exec(bool vfork_child)
{
	struct exec_walk w = { vfork_child, 0 };
	if (mode() == NOTW_LINGER_OFF)
		return 0;
	int saved_errno = errno;
	if (!walk_open_descriptors(&w))
		notw_fd_for_each(NOTW_FD_ARMED, disarm_tracked_for_exec, &w);
	errno = saved_errno;
	return w.count;
}

static bool rearm_after_failed_exec(int fd, uint32_t flags, void *ctx)
{
	(void)flags;
	(void)ctx;
	const struct linger l = { .l_onoff = 1, .l_linger = 0 };
	setsockopt_linger(fd, &l, true);
	notw_fd_update(fd, NOTW_FD_ARMED, NOTW_FD_EXEC_DISARMED);
	return true;
}

void notw_linger_exec_failed(void)
{
	int saved_errno = errno;
	if (!__atomic_load_n(&tripped, __ATOMIC_ACQUIRE))
		notw_fd_for_each(NOTW_FD_EXEC_DISARMED, rearm_after_failed_exec, NULL);
	errno = saved_errno;
}

/* ---- the safety net ---- */

static bool disarm_everything(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	disarm(fd, flags, true);
	notw_fd_update(fd, 0, NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED);
	return true;
}

static void trip(int fd, const char *call, const char *why)
{
	if (mode() == NOTW_LINGER_OFF || __atomic_exchange_n(&tripped, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	int saved_errno = errno;
	notw_fd_for_each(NOTW_FD_ARMED | NOTW_FD_EXEC_DISARMED, disarm_everything, NULL);
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
