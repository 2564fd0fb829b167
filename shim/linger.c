#define _GNU_SOURCE
#include "linger.h"

#include "fdtable.h"
#include "fmt.h"
#include "log.h"
#include "policy.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Remote ports already announced at info level (one line per class). */
static uint64_t announced_remote_ports[65536 / 64];

static bool linger_active(void)
{
	return notw_active_policy.linger != NOTW_LINGER_OFF;
}

static bool set_linger(int fd, int on)
{
	struct linger l = { .l_onoff = on, .l_linger = 0 };
	int saved_errno = errno;
	bool ok = notw_call_setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l) == 0;
	errno = saved_errno;
	return ok;
}

/* For the exit paths: a raw system call, nothing else. */
static void set_linger_off_raw(int fd)
{
	struct linger l = { .l_onoff = 0, .l_linger = 0 };
	int saved_errno = errno;
	syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	errno = saved_errno;
}

void notw_linger_after_listen(int fd, uint32_t flags)
{
	if (!linger_active() || (flags & (NOTW_FD_MANAGED | NOTW_FD_OWN_LINGER)) != NOTW_FD_MANAGED)
		return;
	/* Flag first: a connection accepted on another thread meanwhile must
	 * not be armed by the kernel yet unknown to the table. The flag goes to
	 * every duplicate: linger belongs to the socket. */
	notw_fd_update_same_socket(fd, NOTW_FD_ARMED, 0);
	if (!set_linger(fd, 1)) {
		notw_fd_update_same_socket(fd, 0, NOTW_FD_ARMED);
		notw_log(NOTW_LEVEL_WARN, "listen fd=%d: could not set SO_LINGER: %E", fd, errno);
		return;
	}
	if (notw_log_enabled(NOTW_LEVEL_INFO)) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int saved_errno = errno;
		if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
			len = 0;
		errno = saved_errno;
		notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on listener %A (linger=%s)",
			 (const struct sockaddr *)&ss, len, notw_linger_name(notw_active_policy.linger));
	}
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

uint32_t notw_linger_after_connect(int fd, uint32_t flags, const struct sockaddr *addr, socklen_t len)
{
	if (!linger_active() || (flags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER | NOTW_FD_LISTENER)) != 0)
		return 0;
	int port = notw_sockaddr_port(addr, len);
	if (port <= 0 || !notw_policy_port_matches(&notw_active_policy, (unsigned)port))
		return 0;
	if (!set_linger(fd, 1)) {
		notw_log(NOTW_LEVEL_WARN, "connect fd=%d to %A: could not set SO_LINGER: %E", fd, addr,
			 len, errno);
		return 0;
	}
	if (first_time_for_remote_port(port))
		notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on connections to %A (linger=%s)", addr, len,
			 notw_linger_name(notw_active_policy.linger));
	else
		notw_log(NOTW_LEVEL_DEBUG, "connect fd=%d to %A: armed", fd, addr, len);
	return NOTW_FD_ARMED | NOTW_FD_MANAGED | NOTW_FD_OUTGOING;
}

uint32_t notw_linger_inherited(uint32_t listener_flags)
{
	return listener_flags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER);
}

struct holder_search {
	int fd;
	dev_t dev;
	ino_t ino;
	bool found;
};

static bool same_socket(int fd, uint32_t flags, void *ctx)
{
	struct holder_search *s = ctx;
	struct stat st;
	(void)flags;
	if (fd != s->fd && syscall(SYS_fstat, fd, &st) == 0 && st.st_ino == s->ino && st.st_dev == s->dev) {
		s->found = true;
		return false;
	}
	return true;
}

/* Another descriptor of this process still refers to the socket of fd.
 * The caller has already forgotten fd with a sequentially consistent
 * store, and the search reads with the same ordering: of two threads
 * closing two duplicates at once, at least one sees the other gone and
 * disarms (a store-buffer pattern, which sequential consistency forbids
 * from going both ways). */
static bool another_local_holder(int fd)
{
	struct holder_search s = { .fd = fd, .found = false };
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) != 0)
		return false;
	s.dev = st.st_dev;
	s.ino = st.st_ino;
	notw_fd_for_each(NOTW_FD_DUPED, same_socket, &s);
	return s.found;
}

/* In a child, for a socket inherited at fork(): does the parent still hold
 * it under the same number? Only the child ever keeps a socket armed on
 * this ground, so the two processes cannot both leave it armed for the
 * other; the parent disarms on its own close as usual. */
static bool parent_still_holds(int fd)
{
	int saved_errno = errno;
	long same = syscall(SYS_kcmp, (long)getpid(), (long)getppid(), KCMP_FILE, (long)fd, (long)fd);
	errno = saved_errno;
	return same == 0;
}

static bool kernel_linger_is_ours(int fd)
{
	struct linger l = { .l_onoff = 0, .l_linger = 0 };
	socklen_t len = sizeof l;
	int saved_errno = errno;
	bool ours = notw_call_getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff != 0 &&
		    l.l_linger == 0;
	errno = saved_errno;
	return ours;
}

static bool keep_armed_for_other_holder(int fd, uint32_t flags)
{
	if ((flags & NOTW_FD_DUPED) != 0 && another_local_holder(fd))
		return true;
	return (flags & NOTW_FD_FORKED) != 0 && parent_still_holds(fd);
}

bool notw_linger_before_close(int fd, uint32_t flags)
{
	/* A listener's close never lingers (tcp_close() stops a listener
	 * before it looks at SO_LINGER), and "always" wants every close to
	 * reset. */
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_LISTENER)) != NOTW_FD_ARMED ||
	    notw_active_policy.linger == NOTW_LINGER_ALWAYS)
		return false;
	if (keep_armed_for_other_holder(fd, flags)) {
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: the socket stays open elsewhere, stays armed", fd);
		return false;
	}
	/* A socket this process shared with a forked child may carry the
	 * child's own SO_LINGER by now: only take off what the library put. */
	if ((flags & NOTW_FD_SHARED_BY_FORK) != 0 && !kernel_linger_is_ours(fd))
		return false;
	set_linger(fd, 0);
	notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: disarmed, closes gracefully", fd);
	return true;
}

void notw_linger_rearm(int fd)
{
	set_linger(fd, 1);
}

/* At exit every descriptor of this process goes, duplicates included;
 * only a parent that still holds an inherited socket keeps it armed. */
static bool disarm_for_exit(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	if ((flags & NOTW_FD_LISTENER) == 0 &&
	    !((flags & NOTW_FD_FORKED) != 0 && parent_still_holds(fd)))
		set_linger_off_raw(fd);
	return true;
}

void notw_linger_at_normal_exit(void)
{
	if (notw_active_policy.linger == NOTW_LINGER_CRASH)
		notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exit, NULL);
}

static bool disarm_for_exec(int fd, uint32_t flags, void *ctx)
{
	int *count = ctx;
	int fdflags = (int)syscall(SYS_fcntl, fd, F_GETFD);
	if (fdflags < 0 || (fdflags & FD_CLOEXEC) != 0)
		return true;
	/* A parent that still holds an inherited socket disarms it itself. */
	if ((flags & NOTW_FD_FORKED) != 0 && parent_still_holds(fd))
		return true;
	set_linger_off_raw(fd);
	notw_fd_update(fd, NOTW_FD_EXEC_DISARMED, NOTW_FD_ARMED);
	(*count)++;
	return true;
}

int notw_linger_before_exec(void)
{
	int count = 0;
	if (notw_active_policy.linger != NOTW_LINGER_OFF)
		notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exec, &count);
	return count;
}

static bool rearm_after_failed_exec(int fd, uint32_t flags, void *ctx)
{
	(void)flags;
	(void)ctx;
	struct linger l = { .l_onoff = 1, .l_linger = 0 };
	int saved_errno = errno;
	syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
	errno = saved_errno;
	notw_fd_update(fd, NOTW_FD_ARMED, NOTW_FD_EXEC_DISARMED);
	return true;
}

void notw_linger_exec_failed(void)
{
	notw_fd_for_each(NOTW_FD_EXEC_DISARMED, rearm_after_failed_exec, NULL);
}

/* notw_fd_for_each() callback: add the flag ctx points to. */
static bool add_flag(int fd, uint32_t flags, void *ctx)
{
	(void)flags;
	notw_fd_add(fd, *(const uint32_t *)ctx);
	return true;
}

void notw_linger_atfork_child(void)
{
	uint32_t forked = NOTW_FD_FORKED;
	notw_fd_for_each(NOTW_FD_ARMED, add_flag, &forked);
}

void notw_linger_atfork_parent(void)
{
	uint32_t shared = NOTW_FD_SHARED_BY_FORK;
	notw_fd_for_each(NOTW_FD_ARMED, add_flag, &shared);
}

uint32_t notw_linger_adopt_accepted(int conn)
{
	/* A connection from a listener this program never saw (handed over
	 * through exec by a program that armed it) may carry SO_LINGER{1,0}
	 * copied at the handshake: take it on, so the program's own close of it
	 * is graceful. */
	if (!linger_active() || !kernel_linger_is_ours(conn))
		return 0;
	return NOTW_FD_TCP | NOTW_FD_ACCEPTED | NOTW_FD_MANAGED | NOTW_FD_ARMED;
}
