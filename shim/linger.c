/* Zero linger's decisions (linger.h): arm at accept or connect, disarm at
 * a graceful close, a shutdown, the program's own SO_LINGER, the exit
 * walk; the primitives handover.c and safetynet.c share. */
#define _GNU_SOURCE
#include "rawsys.h"
#include "linger.h"

#include "armgate.h"
#include "fdtable.h"
#include "fmt.h"
#include "inetaddr.h"
#include "holders.h"
#include "log.h"
#include "policy.h"
#include "real.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Remote ports already announced at info level (one line per class). */
static uint64_t announced_remote_ports[65536 / 64];


/* Worth trying to arm a new socket now (the arming section decides). */
static inline bool may_try_arming(void)
{
	return notw_linger_mode() != NOTW_LINGER_OFF && !notw_armgate_stopped();
}

/* The library's own SO_LINGER: the system call itself (no other
 * library's setsockopt() sees it, errno stays the program's). Returns 0 or
 * -errno. */
static int setsockopt_linger(int fd, const struct linger *l)
{
	return (int)notw_syscall5_noerrno(SYS_setsockopt, fd, SOL_SOCKET, SO_LINGER, (long)l, sizeof *l);
}

void notw_linger_disarm(int fd, uint32_t flags)
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

/* notw_linger_disarm_ours() with the socket's birth known. */
static inline bool disarm_ours_born(int fd, uint32_t flags, uint32_t birth)
{
	if (!notw_armgate_alone_since(birth)) {
		bool ours = false;
		NOTW_KEEP_ERRNO(ours = notw_linger_kernel_is_zero(fd));
		if (!ours)
			return false;
	}
	notw_linger_disarm(fd, flags);
	return true;
}

bool notw_linger_disarm_ours(int fd, uint32_t flags)
{
	return disarm_ours_born(fd, flags, notw_aux_birth(notw_fd_aux(fd)));
}

void notw_linger_disarm_socket(int fd, uint32_t flags)
{
	notw_linger_disarm_ours(fd, flags);
	update_socket(fd, 0, NOTW_FD_ARMED);
}

__attribute__((noinline, cold)) void notw_linger_not_armed(int fd, int err)
{
	int saved_errno = errno;
	if (err == NOTW_LINGER_ARM_TAKEN_BACK)
		notw_linger_disarm(fd, notw_fd_get(fd));
	update_socket(fd, 0, NOTW_FD_ARMED);
	if (err > 0)
		notw_log(NOTW_LEVEL_WARN, "fd=%d: could not set SO_LINGER: %E", fd, err);
	errno = saved_errno;
}

int notw_linger_rearm(int fd)
{
	return notw_linger_arming_section(fd, notw_aux_birth(notw_fd_aux(fd)));
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
		 (const struct sockaddr *)&ss, len, notw_linger_name(notw_linger_mode()));
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
	if (!may_try_arming() ||
	    (flags & (NOTW_FD_MANAGED | NOTW_FD_OWN_LINGER | NOTW_FD_ARMS_CONNS)) != NOTW_FD_MANAGED)
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
	return notw_linger_mode() == NOTW_LINGER_ALWAYS || notw_active_policy.linger_outgoing;
}

void notw_linger_after_connect(int fd, uint32_t flags, const struct sockaddr *addr, socklen_t len)
{
	if (!may_try_arming() || !arms_outgoing() ||
	    (flags & (NOTW_FD_ARMED | NOTW_FD_OWN_LINGER | NOTW_FD_LISTENER | NOTW_FD_NO_ARM)) != 0)
		return;
	int port = notw_sockaddr_port(addr, len);
	if (port <= 0 || !notw_policy_port_matches(&notw_active_policy, (unsigned)port))
		return;
	/* The entry (and every duplicate's) says ARMED before the section
	 * looks: a fork from now on copies it so. */
	update_socket(fd, NOTW_FD_ARMED | NOTW_FD_MANAGED, 0);
	if (notw_linger_rearm(fd) != 0)
		return;
	if (first_time_for_remote_port(port))
		notw_log(NOTW_LEVEL_INFO, "arm SO_LINGER{1,0} on connections to %A (linger=%s)", addr, len,
			 notw_linger_name(notw_linger_mode()));
	else if (notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "connect fd=%d to %A: armed", fd, addr, len);
}

static bool kernel_linger(int fd, struct linger *l)
{
	socklen_t len = sizeof *l;
	int saved_errno = errno;
	bool ok = notw_call_getsockopt(fd, SOL_SOCKET, SO_LINGER, l, &len) == 0;
	errno = saved_errno;
	return ok;
}

bool notw_linger_kernel_is_zero(int fd)
{
	struct linger l;
	return kernel_linger(fd, &l) && l.l_onoff != 0 && l.l_linger == 0;
}

uint32_t notw_linger_adopt(int fd)
{
	struct linger l;
	if (notw_linger_mode() == NOTW_LINGER_OFF || !kernel_linger(fd, &l) || l.l_onoff == 0)
		return 0;
	/* Zero linger found on a socket met already open is a program's own:
	 * the library never arms a listener, and disarms the connections it
	 * armed before they leave its sight (exec, sendmsg). */
	if (l.l_linger == 0 || l.l_linger > NOTW_FD_LINGER_SECS_MAX)
		return NOTW_FD_OWN_LINGER;
	return NOTW_FD_PROG_LINGER | notw_fd_linger_bits(1, l.l_linger);
}

uint32_t notw_linger_accepted_slow(uint32_t lflags)
{
	/* The kernel copied the listener's options into the connection: the
	 * program's own {1,0} stands, its other values are the connection's
	 * too. */
	if ((lflags & NOTW_FD_OWN_LINGER) != 0)
		return NOTW_FD_OWN_LINGER;
	uint32_t cflags = lflags & (NOTW_FD_PROG_LINGER | NOTW_FD_LINGER_MASK);
	/* to be armed: the arming section decides (notw_linger_arming_section) */
	return (lflags & NOTW_FD_ARMS_CONNS) != 0 ? cflags | NOTW_FD_ARMED : cflags;
}

void notw_linger_cannot_list(int fd, int unlisted)
{
	uint32_t flags = notw_fd_get(fd);
	if ((flags & NOTW_FD_ARMED) != 0 && notw_linger_mode() != NOTW_LINGER_ALWAYS) {
		notw_linger_disarm(fd, flags);
		notw_log(NOTW_LEVEL_DEBUG, "dup fd=%d -> fd=%d: too many duplicates to follow, disarmed", fd,
			 unlisted);
	}
	notw_holders_update_socket(fd, NOTW_FD_NO_ARM, NOTW_FD_ARMED);
	notw_fd_update(unlisted, NOTW_FD_NO_ARM, NOTW_FD_ARMED);
}

bool notw_linger_before_close(int fd, uint32_t flags, uint64_t aux)
{
	/* A listener's close never lingers (tcp_close() stops a listener
	 * before it looks at SO_LINGER), and "always" wants every close to
	 * reset. */
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_LISTENER)) != NOTW_FD_ARMED || notw_linger_mode() == NOTW_LINGER_ALWAYS)
		return false;
	/* C.1, C.2: marked, then no arming section of another thread is
	 * under way on it. */
	uint32_t now = notw_fd_mark_sc(fd, NOTW_FD_CLOSING);
	if (notw_armgate_wait())
		now = notw_fd_get(fd);
	if ((now & NOTW_FD_ARMED) == 0)
		return false; /* an exit or hand-over disarmed it meanwhile */
	unsigned rec = notw_aux_record(aux);
	if (rec != 0 && notw_holders_other_open(fd, rec)) {
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: a duplicate still holds the socket, stays armed", fd);
		return false;
	}
	if (!disarm_ours_born(fd, now, notw_aux_birth(aux)))
		return false;
	if (notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "close fd=%d: disarmed, closes gracefully", fd);
	return true;
}

void notw_linger_after_shutdown(int fd, uint32_t flags)
{
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_LISTENER)) != NOTW_FD_ARMED || notw_linger_mode() == NOTW_LINGER_ALWAYS)
		return;
	notw_linger_disarm_socket(fd, flags);
	notw_log(NOTW_LEVEL_DEBUG, "shutdown fd=%d: disarmed, closes gracefully", fd);
}

static void log_program_linger(int fd, uint32_t flags, const struct linger *l)
{
	if ((flags & (NOTW_FD_LISTENER | NOTW_FD_MANAGED)) != (NOTW_FD_LISTENER | NOTW_FD_MANAGED) ||
	    notw_linger_mode() == NOTW_LINGER_OFF)
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
	/* The program's call replaced zero linger in the kernel: put back
	 * (rule B) when the gate allows; its value returns before its own
	 * close. Otherwise the program's value stands. */
	if ((flags & (NOTW_FD_ARMED | NOTW_FD_NO_ARM)) == NOTW_FD_ARMED)
		notw_linger_rearm(fd);
}

bool notw_linger_program_view(uint32_t flags, struct linger *out)
{
	if ((flags & NOTW_FD_ARMED) == 0)
		return false;
	out->l_onoff = (flags & NOTW_FD_PROG_LINGER) != 0 ? notw_fd_linger_onoff(flags) : 0;
	out->l_linger = (flags & NOTW_FD_PROG_LINGER) != 0 ? notw_fd_linger_secs(flags) : 0;
	return true;
}

static bool disarm_for_exit(int fd, uint32_t flags, void *ctx)
{
	(void)ctx;
	notw_linger_disarm_ours(fd, flags);
	notw_fd_update(fd, 0, NOTW_FD_ARMED);
	return true;
}

/* Rule D: whatever runs after this (the program's later destructors,
 * stdio's flush, threads until the kernel stops them) finds nothing armed
 * and cannot arm. */
void notw_linger_at_normal_exit(void)
{
	if (notw_linger_mode() != NOTW_LINGER_CRASH)
		return;
	notw_armgate_stop();
	notw_fd_for_each(NOTW_FD_ARMED, disarm_for_exit, NULL);
}

