/* Hooks of the socket family: socket(), bind(), listen(), accept(),
 * accept4(), connect(), shutdown().
 *
 * Built without _GNU_SOURCE on purpose: glibc then declares the sockaddr
 * arguments as plain pointers instead of transparent unions. */
#include "hooks.h"

#include "armgate.h"
#include "fdtable.h"
#include "fmt.h"
#include "inetaddr.h"
#include "holders.h"
#include "linger.h"
#include "log.h"
#include "policy.h"
#include "recover.h"
#include "real.h"
#include "state.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/* What the library decided for one bind(). */
enum bind_decision {
	BIND_NO_PORT,          /* the address has no port the library can read */
	BIND_EPHEMERAL,        /* port 0: the kernel picks, nothing to keep */
	BIND_PORT_EXCLUDED,    /* NOTW_PORTS does not name the port */
	BIND_REUSEADDR_OFF,    /* NOTW_REUSEADDR=off */
	BIND_ALREADY_SET,      /* the program set SO_REUSEADDR itself */
	BIND_SET,              /* the library set SO_REUSEADDR */
	BIND_SET_FAILED,       /* ... and setsockopt() refused */
	BIND_HELD,             /* the port is held: nothing set (recover.c said why) */
};

static bool is_inet_stream_type(int domain, int type, int protocol)
{
	/* SOCK_NONBLOCK and SOCK_CLOEXEC ride in the type argument. */
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	return (domain == AF_INET || domain == AF_INET6) && base == SOCK_STREAM &&
	       (protocol == 0 || protocol == IPPROTO_TCP);
}

static uint32_t tcp_flags_for(int domain)
{
	return NOTW_FD_TCP | (domain == AF_INET6 ? NOTW_FD_V6 : 0u);
}

/* Ask the kernel rather than trust the table: the descriptor may come from
 * exec, socket activation or a raw syscall, and a number reused without
 * passing through close() may carry stale state. UDP must never get
 * SO_REUSEADDR (another process could then take its traffic). */
static bool kernel_says_tcp(int fd, int *domain)
{
	int protocol = 0;
	socklen_t len = sizeof protocol;
	if (notw_call_getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) != 0 || protocol != IPPROTO_TCP)
		return false;
	len = sizeof *domain;
	if (notw_call_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, domain, &len) != 0)
		return false;
	return *domain == AF_INET || *domain == AF_INET6;
}

/* The address a bind() names, read once; its port, or -1 when it has none
 * the library can read. The kernel also takes AF_UNSPEC with INADDR_ANY on
 * an AF_INET socket (a zeroed address whose family was never set), so that
 * counts too. Only called once the kernel has read the address itself, so
 * a bad pointer has already been answered with EFAULT. */
static int read_bind_target(const struct sockaddr *addr, socklen_t len, int domain, struct notw_inet_addr *t)
{
	if (notw_inet_addr_read(addr, len, t))
		return t->port;
	if (domain == AF_INET && addr != NULL && len >= (socklen_t)sizeof(struct sockaddr_in) &&
	    addr->sa_family == AF_UNSPEC) {
		struct sockaddr_in sin;
		memcpy(&sin, addr, sizeof sin);
		sin.sin_family = AF_INET;
		if (sin.sin_addr.s_addr == htonl(INADDR_ANY) &&
		    notw_inet_addr_read((const struct sockaddr *)&sin, sizeof sin, t))
			return t->port;
	}
	return -1;
}

/* What the policy says for this bind, before touching the socket. */
static enum bind_decision decide_bind(int fd, int port)
{
	const struct notw_policy *p = &notw_active_policy;
	int current = 0;
	socklen_t optlen = sizeof current;
	if (port < 0)
		return BIND_NO_PORT;
	if (port == 0)
		return BIND_EPHEMERAL;
	if (!notw_policy_port_matches(p, (unsigned)port))
		return BIND_PORT_EXCLUDED;
	if (!p->reuseaddr)
		return BIND_REUSEADDR_OFF;
	if (notw_call_getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &current, &optlen) == 0 && current != 0)
		return BIND_ALREADY_SET;
	return BIND_SET;
}

/* Keeps what the table knew of the socket before bind() (the program's own
 * SO_LINGER, duplicates, fork); a socket it did not know yet gets the
 * program's own SO_LINGER from the kernel. */
static void record_bind(int fd, enum bind_decision d, int domain)
{
	uint32_t flags = tcp_flags_for(domain);
	uint32_t keep = NOTW_FD_OWN_LINGER | NOTW_FD_PROG_LINGER | NOTW_FD_LINGER_MASK;
	if (d == BIND_SET)
		flags |= NOTW_FD_MANAGED | NOTW_FD_REUSEADDR;
	else if (d == BIND_ALREADY_SET || d == BIND_SET_FAILED || d == BIND_REUSEADDR_OFF || d == BIND_HELD)
		flags |= NOTW_FD_MANAGED;
	if (notw_fd_get(fd) == 0)
		flags |= notw_linger_adopt(fd);
	notw_fd_update(fd, flags, ~(flags | keep));
}

static void report_bind(int fd, const struct sockaddr *addr, socklen_t len, enum bind_decision d,
			int set_err, int rc)
{
	static const char *const why[] = {
		[BIND_NO_PORT] = "not an IPv4/IPv6 address: left alone",
		[BIND_EPHEMERAL] = "port 0 (the kernel picks one): left alone",
		[BIND_PORT_EXCLUDED] = "port not in NOTW_PORTS: left alone",
		[BIND_REUSEADDR_OFF] = "NOTW_REUSEADDR=off: left alone",
		[BIND_ALREADY_SET] = "SO_REUSEADDR already set by the program",
	};
	switch (d) {
	case BIND_SET_FAILED:
		notw_log(NOTW_LEVEL_WARN, "bind %A fd=%d: could not set SO_REUSEADDR: %E", addr, len, fd,
			 set_err);
		break;
	case BIND_SET:
		if (rc == 0)
			notw_log(NOTW_LEVEL_INFO, "bind %A fd=%d: set SO_REUSEADDR", addr, len, fd);
		break;
	case BIND_HELD:
		break;
	case BIND_NO_PORT:
	case BIND_EPHEMERAL:
	case BIND_PORT_EXCLUDED:
	case BIND_REUSEADDR_OFF:
	case BIND_ALREADY_SET:
		notw_log(NOTW_LEVEL_DEBUG, "bind %A fd=%d: %s", addr, len, fd, why[d]);
		break;
	}
}

/* Where outgoing connections may be armed (linger = always,
 * linger_outgoing), a TCP socket is tracked from socket() on, with its
 * birth read before the system call (armgate.h); the first socket, which
 * makes the library ready, is made here too. Everywhere else bind() and
 * accept() take sockets in, so a client costs nothing more at connect()
 * and close(). */
__attribute__((noinline)) static int socket_armable(int domain, int type, int protocol)
{
	uint32_t birth = notw_armgate_birth();
	int fd = notw_call_socket(domain, type, protocol);
	if (fd < 0 || !notw_may_track())
		return fd;
	uint32_t flags = is_inet_stream_type(domain, type, protocol) && notw_linger_arms_outgoing()
				 ? tcp_flags_for(domain)
				 : 0u;
	notw_fresh_descriptor_born(fd, flags, "socket()", birth);
	if (flags != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "socket fd=%d: TCP, tracked", fd);
	return fd;
}

NOTW_EXPORT int socket(int domain, int type, int protocol)
{
	if (__builtin_expect(!__atomic_load_n(&notw_ready_flag, __ATOMIC_ACQUIRE) || notw_linger_arms_outgoing(), 0))
		return socket_armable(domain, type, protocol);
	int fd = notw_call_socket(domain, type, protocol);
	if (fd >= 0 && notw_may_track())
		notw_fresh_descriptor(fd, 0, "socket()");
	return fd;
}

/* The real bind() runs first, so that the kernel checks the program's
 * address (EFAULT for a bad pointer) before the library reads it, and
 * SO_REUSEADDR is set right after it succeeds. For the kernel's rules this
 * is the same as setting it before: a later bind() reads the option of the
 * sockets already bound live, timewait sockets copy it when they are born,
 * and accepted sockets copy it from the listener. When the port is taken,
 * recover.c looks at what holds it (and costs nothing otherwise). */
NOTW_EXPORT int bind(int fd, const struct sockaddr *addr, socklen_t len)
{
	if (!notw_may_track())
		return notw_call_bind(fd, addr, len);
	int saved_errno = errno;
	int domain = AF_UNSPEC, set_err = 0;
	bool tcp = kernel_says_tcp(fd, &domain);
	errno = saved_errno;
	int rc = notw_call_bind(fd, addr, len);
	int bind_err = errno;
	if (!tcp || (rc != 0 && bind_err != EADDRINUSE))
		return rc;

	struct notw_inet_addr target;
	enum bind_decision d = decide_bind(fd, read_bind_target(addr, len, domain, &target));
	if (rc == 0) {
		if (d == BIND_SET && (set_err = notw_set_reuseaddr(fd, 1)) != 0)
			d = BIND_SET_FAILED;
	} else if (d == BIND_SET || d == BIND_ALREADY_SET) {
		bool reuse_set = false;
		rc = notw_recover_bind(fd, addr, len, &target, domain, d == BIND_SET, &reuse_set, &bind_err);
		if (d == BIND_SET && (rc != 0 || !reuse_set)) {
			if (reuse_set) /* refused after all: leave the socket as the program made it */
				notw_set_reuseaddr(fd, 0);
			d = BIND_HELD;
		}
	}
	record_bind(fd, d, domain);
	report_bind(fd, addr, len, d, set_err, rc);
	errno = rc == 0 ? saved_errno : bind_err;
	return rc;
}

/* A TCP socket the table does not know (handed over through exec, socket
 * activation, a raw system call): the flags the kernel's answers give it.
 * 0 when it is not a TCP socket. */
static uint32_t adopt_tcp_socket(int fd)
{
	int domain = AF_UNSPEC;
	if (!kernel_says_tcp(fd, &domain))
		return 0;
	uint32_t flags = tcp_flags_for(domain);
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int port = getsockname(fd, (struct sockaddr *)&ss, &len) == 0
			   ? notw_sockaddr_port((const struct sockaddr *)&ss, len)
			   : -1;
	if (port > 0 && notw_policy_port_matches(&notw_active_policy, (unsigned)port))
		flags |= NOTW_FD_MANAGED;
	return flags | notw_linger_adopt(fd);
}

/* A listener met for the first time at listen() or accept(): remembered,
 * so the kernel is asked once. */
static uint32_t adopt_listener(int fd)
{
	int saved_errno = errno;
	uint32_t flags = adopt_tcp_socket(fd);
	flags = flags != 0 ? flags | NOTW_FD_LISTENER : NOTW_FD_SEEN;
	notw_fresh_descriptor(fd, flags, "listen()");
	errno = saved_errno;
	return flags;
}

static void after_listen(int fd, int backlog)
{
	uint32_t flags = notw_fd_get(fd);
	if (flags == 0)
		flags = adopt_listener(fd);
	if ((flags & NOTW_FD_TCP) != 0) {
		notw_holders_update_socket(fd, NOTW_FD_LISTENER, 0);
		notw_linger_after_listen(fd, flags);
		if (notw_log_enabled(NOTW_LEVEL_DEBUG))
			notw_log(NOTW_LEVEL_DEBUG, "listen fd=%d backlog=%d%s", fd, backlog,
				 (flags & NOTW_FD_MANAGED) != 0 ? "" : " (port not managed)");
	}
}

NOTW_EXPORT int listen(int fd, int backlog)
{
	int rc = notw_call_listen(fd, backlog);
	if (rc == 0 && notw_may_track())
		NOTW_KEEP_ERRNO(after_listen(fd, backlog));
	return rc;
}

/* A listener met for the first time at accept(). */
__attribute__((noinline, cold)) static uint32_t adopt_listener_at_accept(int listener)
{
	NOTW_KEEP_ERRNO(notw_linger_after_listen(listener, adopt_listener(listener)));
	return notw_fd_get(listener);
}

/* The connection inherits what the library knows of its listener; any
 * stale state under the new number is dropped. birth: read before the
 * accept system call (armgate.h). */
static inline void after_accept(int listener, int conn, uint32_t birth)
{
	if (!notw_may_track())
		return;
	uint32_t lflags = notw_fd_get(listener);
	if (__builtin_expect(lflags == 0, 0))
		lflags = adopt_listener_at_accept(listener);
	uint32_t cflags = 0;
	if ((lflags & NOTW_FD_MANAGED) != 0)
		/* The kernel copies the listener's options into the connection,
		 * SO_REUSEADDR included: what the library set there, the
		 * program must not read back here either. */
		cflags = NOTW_FD_TCP | NOTW_FD_MANAGED | (lflags & (NOTW_FD_V6 | NOTW_FD_REUSEADDR)) |
			 notw_linger_accepted(lflags);
	notw_fresh_descriptor_born(conn, cflags, "accept()", birth);
	if ((cflags & NOTW_FD_ARMED) != 0)
		notw_linger_arming_section(conn, birth); /* keeps errno */
	if (cflags != 0 && notw_log_enabled(NOTW_LEVEL_DEBUG))
		notw_log(NOTW_LEVEL_DEBUG, "accept fd=%d: connection fd=%d", listener, conn);
}

static inline __attribute__((always_inline)) int accept_hook(int fd, struct sockaddr *addr, socklen_t *len,
								int flags, notw_real_accept real)
{
	uint32_t birth = notw_armgate_birth();
	int conn = real(fd, addr, len, flags);
	if (conn >= 0)
		after_accept(fd, conn, birth); /* keeps errno */
	return conn;
}

int notw_accept_hook(int fd, struct sockaddr *addr, socklen_t *len, int flags, notw_real_accept real)
{
	return accept_hook(fd, addr, len, flags, real);
}

/* accept() is accept4() without flags, to the hook. */
static int next_accept(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	(void)flags;
	return notw_call_accept(fd, addr, len);
}

static int next_accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return notw_call_accept4(fd, addr, len, flags);
}

NOTW_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept_hook(fd, addr, len, 0, next_accept);
}

NOTW_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	return accept_hook(fd, addr, len, flags, next_accept4);
}

/* Armed once the kernel has taken the address (so a bad pointer is the
 * kernel's EFAULT, not a crash here); the window between the handshake and
 * the setsockopt is a few instructions. */
__attribute__((noinline)) static int connect_tracked(int fd, uint32_t flags, const struct sockaddr *addr,
						     socklen_t len)
{
	int rc = notw_call_connect(fd, addr, len);
	if (notw_in_vfork_child())
		return rc;
	int connect_err = errno;
	if ((rc == 0 || connect_err == EINPROGRESS) && notw_may_track())
		notw_linger_after_connect(fd, flags, addr, len);
	errno = connect_err;
	return rc;
}

/* Only a socket that may be armed as an outgoing connection is tracked
 * from socket() on (and the policy may still say no): the others go
 * straight through. */
NOTW_EXPORT int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
	uint32_t flags = notw_fd_get(fd);
	if (__builtin_expect((flags & NOTW_FD_TCP) == 0, 1) || !notw_linger_arms_outgoing())
		return notw_call_connect(fd, addr, len);
	return connect_tracked(fd, flags, addr, len);
}

/* A program that shuts a connection down is closing it gracefully. */
int notw_shutdown_hook(int fd, int how)
{
	uint32_t flags = notw_fd_get(fd);
	int rc = notw_call_shutdown(fd, how);
	if (rc == 0 && (flags & NOTW_FD_ARMED) != 0 && !notw_in_vfork_child()) {
		NOTW_KEEP_ERRNO(notw_linger_after_shutdown(fd, flags));
	}
	return rc;
}

NOTW_EXPORT int shutdown(int fd, int how)
{
	return notw_shutdown_hook(fd, how);
}
