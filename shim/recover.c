/* Recovery when bind() finds a managed port taken: what holds it, reap or wait (recover.h). */
#include "recover.h"

#include "dirwalk.h"
#include "fmt.h"
#include "log.h"
#include "policy.h"
#include "rawsys.h"
#include "real.h"
#include "sockdiag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REAP_ROUNDS 64         /* x NOTW_SCAN_MAX sockets at the most */
/* /proc entries (processes and their descriptors) looked at to name a
 * listener's process: a bound walk, done only for a line that is written. */
#define OWNER_SEARCH_ENTRIES 4096
#define DRAIN_POLL_MS 100u     /* rescans while orphans still send data */
#define DRAIN_ROUNDS_MAX 6100  /* bound on those rescans: NOTW_WAIT's 600 s */

static int retry_bind(int fd, const struct sockaddr *addr, socklen_t len, int *err)
{
	int rc = notw_call_bind(fd, addr, len);
	*err = rc == 0 ? 0 : errno;
	return rc;
}

static bool socket_is_v6only(int fd, int domain)
{
	int v = 0;
	socklen_t len = sizeof v;
	return domain == AF_INET6 && notw_call_getsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0 && v != 0;
}

/* "socket:[INODE]" as readlink shows it. */
static void socket_link_text(uint32_t inode, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_buf_format(&b, "socket:[%u]", (unsigned)inode);
}

struct owner_search {
	char want[32];
	char path[64];
	int pid;
	long budget;
	bool found;
};

static bool check_fd_link(const char *name, void *ctx)
{
	struct owner_search *o = ctx;
	char path[96], link[64];
	struct notw_buf b;
	if (o->budget-- <= 0)
		return false;
	notw_buf_init(&b, path, sizeof path);
	notw_buf_format(&b, "%s/%s", o->path, name);
	long n = notw_syscall(SYS_readlinkat, AT_FDCWD, path, link, sizeof link - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strcmp(link, o->want) == 0) {
			o->found = true;
			return false;
		}
	}
	return true;
}

static bool check_process(const char *name, void *ctx)
{
	struct owner_search *o = ctx;
	struct notw_buf b;
	if (notw_dir_entry_number(name) < 0)
		return true;
	if (o->budget-- <= 0)
		return false; /* every process counts, readable or not */
	notw_buf_init(&b, o->path, sizeof o->path);
	notw_buf_format(&b, "/proc/%s/fd", name);
	int dfd = (int)notw_syscall(SYS_openat, AT_FDCWD, o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return o->budget > 0;
	notw_for_each_dir_entry(dfd, check_fd_link, o);
	notw_syscall(SYS_close, dfd);
	if (o->found) {
		int pid = 0;
		for (const char *p = name; *p != '\0'; p++)
			pid = pid * 10 + (*p - '0');
		o->pid = pid;
		return false;
	}
	return o->budget > 0;
}

/* The process holding a socket, by its inode, as /proc shows it (other
 * users' processes are invisible without privilege). */
static bool find_owner(uint32_t inode, int *pid, char *comm, size_t comm_cap)
{
	struct owner_search o = { .pid = 0, .budget = OWNER_SEARCH_ENTRIES, .found = false };
	if (inode == 0)
		return false;
	socket_link_text(inode, o.want, sizeof o.want);
	int proc = (int)notw_syscall(SYS_openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return false;
	notw_for_each_dir_entry(proc, check_process, &o);
	notw_syscall(SYS_close, proc);
	if (!o.found)
		return false;
	char path[64];
	struct notw_buf b;
	notw_buf_init(&b, path, sizeof path);
	notw_buf_format(&b, "/proc/%d/comm", o.pid);
	comm[0] = '\0';
	int cfd = (int)notw_syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		long n = notw_syscall(SYS_read, cfd, comm, comm_cap - 1);
		notw_syscall(SYS_close, cfd);
		if (n > 0) {
			comm[n] = '\0';
			if (comm[n - 1] == '\n')
				comm[n - 1] = '\0';
		}
	}
	*pid = o.pid;
	return true;
}

static void warn_listener(int fd, const struct sockaddr *addr, socklen_t len, const struct notw_port_scan *s)
{
	int pid = 0;
	char comm[32];
	if (!notw_log_enabled(NOTW_LEVEL_WARN))
		return; /* the walk of /proc is only for the line */
	if (find_owner(s->listener_inode, &pid, comm, sizeof comm))
		notw_log(NOTW_LEVEL_WARN, "bind %A fd=%d: EADDRINUSE: a live listener holds the port: pid %d (%q)",
			 addr, len, fd, pid, comm);
	else
		notw_log(NOTW_LEVEL_WARN,
			 "bind %A fd=%d: EADDRINUSE: a live listener holds the port (its process is not "
			 "visible here)",
			 addr, len, fd);
}

/* Whole seconds, rounded up, for the log. */
static unsigned seconds_up(uint32_t ms)
{
	return (unsigned)((ms + 999u) / 1000u);
}

/* When a timer sock_diag shows as ms away has surely fired: the kernel's
 * timer wheel lets a timer that far out fire late by up to about an eighth
 * of its delay (a timewait socket shown at 60 s was measured gone at 65 s). */
static unsigned seconds_surely(uint32_t ms)
{
	return seconds_up(ms + ms / 8u) + 1u;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec t = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
	while (notw_syscall(SYS_nanosleep, &t, &t) != 0 && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* A time waited, as "3.0 s": to the nearest tenth, since rounding a wait
 * of 3.004 s up would report 4 s for NOTW_WAIT=3. */
struct waited {
	unsigned whole, tenth;
};

static struct waited waited_since(uint64_t start)
{
	uint64_t tenths = (now_ms() - start + 50u) / 100u;
	struct waited w = { (unsigned)(tenths / 10u), (unsigned)(tenths % 10u) };
	return w;
}

/* One bind's recovery: the port's sockets as last scanned, and what was
 * destroyed so far. */
struct recovery {
	int fd;
	const struct sockaddr *addr;   /* as given, for bind() and the log */
	socklen_t len;
	struct notw_bind_target target;
	struct notw_port_scan scan;
	struct notw_reap_tally tally;
	int reaped;
	int reap_err;
};

static bool only_leftovers(const struct notw_port_scan *s)
{
	return s->listeners == 0 && s->others == 0;
}

static int rescan(struct recovery *r)
{
	return notw_scan_port(&r->target, &r->scan);
}

/* SOCK_DESTROY on the leftovers port_socket.c calls safe to destroy (never on
 * one still sending data). The kernel answers for each, so a scan that held
 * them all needs no second look (each scan is a walk of the kernel's whole
 * socket table); a port with more than one scan holds is scanned again, in
 * rounds. */
static void reap_safe(struct recovery *r)
{
	struct notw_port_scan *s = &r->scan;
	for (int round = 0; round < REAP_ROUNDS && s->safe > 0 && only_leftovers(s); round++) {
		int destroyed = notw_destroy_timewait(s, &r->tally, &r->reap_err);
		r->reaped += destroyed;
		if (r->reap_err != 0)
			break;
		if (s->kept == s->safe) {
			s->timewait -= destroyed;
			s->safe -= destroyed;
			s->kept = 0;
			break;
		}
		if (rescan(r) != 0)
			break;
	}
}

/* Orphans still sending data are never destroyed: the peer would lose what
 * it has not acknowledged yet (the kernel resets the connection). Wait, at
 * most until deadline, for them to deliver it; once the peer has acked the
 * data and the FIN they are timewait sockets, destroyed as they appear.
 * Returns true when none is left sending. */
static bool wait_for_drain(struct recovery *r, uint64_t deadline)
{
	for (int round = 0; round < DRAIN_ROUNDS_MAX; round++) {
		if (r->scan.draining == 0 || !only_leftovers(&r->scan))
			break;
		uint64_t now = now_ms();
		if (now >= deadline)
			break;
		sleep_ms((uint32_t)(deadline - now < DRAIN_POLL_MS ? deadline - now : DRAIN_POLL_MS));
		if (rescan(r) != 0)
			return false;
		reap_safe(r);
		if (r->reap_err != 0)
			break;
	}
	return r->scan.draining == 0;
}

/* Wait for the leftovers' timers, until deadline; rescans after each sleep.
 * Returns true when nothing blocks the port any more. */
static bool wait_for_expiry(struct recovery *r, uint64_t deadline)
{
	struct notw_port_scan *s = &r->scan;
	for (int round = 0; round < 1000; round++) {
		if (s->timewait == 0 && only_leftovers(s))
			return true;
		if (!only_leftovers(s))
			return false;
		uint64_t now = now_ms();
		if (now >= deadline)
			return false;
		uint64_t step = (uint64_t)s->longest_ms + 50u;
		if (step > deadline - now)
			step = deadline - now;
		sleep_ms((uint32_t)step);
		if (rescan(r) != 0)
			return false;
	}
	return false;
}

/* What the leftovers of a scan are, for a warning: "5 timewait socket(s)
 * left by a process without SO_REUSEADDR"... */
static void describe_scan(struct notw_buf *b, const struct notw_port_scan *s, int port)
{
	if (s->outgoing == s->timewait) {
		notw_buf_format(b, "%d timewait socket(s) of outgoing connections that had port %d as their "
				   "ephemeral port (a client's sockets that merely share the port)",
				s->timewait, port);
		return;
	}
	const char *what = s->orphans == 0 ? "timewait socket(s)"
			 : s->orphans == s->timewait ? "closing socket(s) no process holds"
						      : "leftover socket(s) (timewait, or closing with no process)";
	notw_buf_format(b, "%d %s left by a process without SO_REUSEADDR", s->timewait, what);
	if (s->outgoing > 0)
		notw_buf_format(b, " (%d of them a client's, of outgoing connections from this port)", s->outgoing);
}

/* What was destroyed, by kind: "5 timewait socket(s) left by a process
 * without SO_REUSEADDR", "1 timewait socket(s) of outgoing connections..." */
static void describe_tally(struct notw_buf *b, const struct notw_reap_tally *t, int port)
{
	int timewait = t->by_kind[NOTW_PORT_SOCKET_TIMEWAIT] + t->by_kind[NOTW_PORT_SOCKET_FIN_WAIT2];
	int closing = t->by_kind[NOTW_PORT_SOCKET_CLOSING];
	int parts = (timewait > 0) + (closing > 0) + (t->outgoing > 0);
	if (parts > 1)
		notw_buf_puts(b, "leftover socket(s): ");
	if (timewait > 0 || closing > 0) {
		if (parts > 1 || timewait > 0)
			notw_buf_format(b, parts > 1 ? "%d timewait socket(s)" : "timewait socket(s)", timewait);
		if (timewait > 0 && closing > 0)
			notw_buf_puts(b, " and ");
		if (closing > 0)
			notw_buf_format(b, parts > 1 ? "%d closing socket(s) whose data the peer had acknowledged"
						     : "closing socket(s) whose data the peer had acknowledged",
					closing);
		notw_buf_puts(b, " left by a process without SO_REUSEADDR");
	}
	if (t->outgoing > 0) {
		if (parts > 1)
			notw_buf_format(b, ", and %d ", t->outgoing);
		notw_buf_format(b, "timewait socket(s) of outgoing connections that had port %d as their ephemeral "
				   "port (a client's sockets that merely shared the port)",
				port);
	}
}

static void log_reaped(const struct recovery *r, int before)
{
	char what[256];
	struct notw_buf b;
	if (!notw_log_enabled(NOTW_LEVEL_INFO))
		return;
	notw_buf_init(&b, what, sizeof what);
	describe_tally(&b, &r->tally, r->target.addr.port);
	notw_log(NOTW_LEVEL_INFO, "bind %A fd=%d: reaped %d of %d %s", r->addr, r->len, r->fd, r->reaped, before,
		 what);
}

static const char *reap_refusal(int reap_err)
{
	if (!notw_active_policy.reap)
		return " (NOTW_REAP=off)";
	if (reap_err == EPERM || reap_err == EACCES)
		return " (reaping needs CAP_NET_ADMIN over this network namespace)";
	if (reap_err == EOPNOTSUPP)
		return " (this kernel cannot destroy timewait sockets: it needs Linux 6.0 and "
		       "CONFIG_INET_DIAG_DESTROY)";
	return "";
}

static void warn_leftovers(const struct recovery *r)
{
	const struct notw_port_scan *s = &r->scan;
	int port = r->target.addr.port;
	char what[256];
	struct notw_buf b;
	if (!notw_log_enabled(NOTW_LEVEL_WARN))
		return;
	notw_buf_init(&b, what, sizeof what);
	describe_scan(&b, s, port);
	if (s->draining > 0) {
		notw_log(NOTW_LEVEL_WARN,
			 "bind %A fd=%d: EADDRINUSE: %s hold the port; %d of them still send data their peers have "
			 "not acknowledged (%lu byte(s)): never destroyed, they close once the peers have it "
			 "all%s. To wait for them, set NOTW_WAIT (seconds)",
			 r->addr, r->len, r->fd, what, s->draining, (unsigned long)s->draining_bytes,
			 reap_refusal(r->reap_err));
		return;
	}
	notw_log(NOTW_LEVEL_WARN,
		 "bind %A fd=%d: EADDRINUSE: %s hold the port; they expire within %u s%s. To free it now: run the "
		 "program as root (NOTW_REAP=on), or `notw reap %d` as root; or set NOTW_WAIT=%u to wait",
		 r->addr, r->len, r->fd, what, seconds_surely(s->longest_ms), reap_refusal(r->reap_err), port,
		 seconds_surely(s->longest_ms));
}

/* Destroy what is safe to destroy, wait (bounded) for what still sends
 * data, then bind once more. Returns the bind's result, or -1 when nothing
 * was freed. */
static int reap_and_bind(struct recovery *r, uint64_t start, int *err)
{
	const struct notw_policy *p = &notw_active_policy;
	int before = r->scan.timewait;
	reap_safe(r);
	if (r->reap_err == 0 && r->scan.draining > 0) {
		unsigned limit = p->wait_seconds > 0 ? p->wait_seconds : NOTW_DRAIN_WAIT_S;
		notw_log(NOTW_LEVEL_INFO,
			 "bind %A fd=%d: waiting up to %u s for %d closing socket(s) of a process without "
			 "SO_REUSEADDR to deliver %lu byte(s) their peers have not acknowledged (destroying "
			 "them would lose that data)",
			 r->addr, r->len, r->fd, limit, r->scan.draining, (unsigned long)r->scan.draining_bytes);
		bool drained = wait_for_drain(r, start + (uint64_t)limit * 1000u);
		struct waited w = waited_since(start);
		notw_log(drained ? NOTW_LEVEL_INFO : NOTW_LEVEL_WARN, "bind %A fd=%d: %s after %u.%u s", r->addr,
			 r->len, r->fd, drained ? "their data was delivered" : "still sending", w.whole, w.tenth);
	}
	if (r->reaped == 0 && r->scan.timewait > 0)
		return -1;
	int rc = retry_bind(r->fd, r->addr, r->len, err);
	if (rc == 0 && r->reaped > 0)
		log_reaped(r, before);
	return rc;
}

int notw_recover_bind(int fd, const struct sockaddr *addr, socklen_t len, const struct notw_inet_addr *target,
		      int domain, bool may_set_reuse, bool *reuse_set, int *err)
{
	const struct notw_policy *p = &notw_active_policy;
	struct recovery r = { .fd = fd, .addr = addr, .len = len };
	r.target.addr = *target;
	r.target.v6only = socket_is_v6only(fd, domain);
	struct notw_port_scan *scan = &r.scan;
	uint64_t start = now_ms();
	*reuse_set = false;
	*err = EADDRINUSE;

	int scan_err = rescan(&r);
	if (scan_err != 0) {
		/* Blind: behave as before sock_diag, SO_REUSEADDR and one retry. */
		notw_log(NOTW_LEVEL_WARN, "bind %A fd=%d: EADDRINUSE; cannot list the port's sockets: %E", addr,
			 len, fd, scan_err);
		if (may_set_reuse && notw_set_reuseaddr(fd, 1) == 0) {
			*reuse_set = true;
			return retry_bind(fd, addr, len, err);
		}
		return -1;
	}
	if (scan->listeners > 0) {
		warn_listener(fd, addr, len, scan);
		return -1;
	}
	if (scan->others > 0) {
		/* A socket bound but not listening (a second instance starting):
		 * SO_REUSEADDR would let both bind and one fail in listen(). */
		notw_log(NOTW_LEVEL_WARN,
			 "bind %A fd=%d: EADDRINUSE: %d other socket(s) are bound to the port (not timewait "
			 "leftovers): left as is",
			 addr, len, fd, scan->others);
		return -1;
	}
	/* Only leftovers (or none any more). Those of a generation that had
	 * SO_REUSEADDR let a socket that has it through. */
	int rc = -1;
	if (may_set_reuse && notw_set_reuseaddr(fd, 1) == 0) {
		*reuse_set = true;
		rc = retry_bind(fd, addr, len, err);
		if (rc == 0 || *err != EADDRINUSE)
			return rc;
		/* The same sockets still hold it: they lack SO_REUSEADDR. */
	}
	if (p->reap && scan->timewait > 0) {
		rc = reap_and_bind(&r, start, err);
		if (rc == 0)
			return 0;
	}
	if (p->wait_seconds > 0 && scan->timewait > 0 && only_leftovers(scan)) {
		uint64_t deadline = start + (uint64_t)p->wait_seconds * 1000u;
		notw_log(NOTW_LEVEL_INFO,
			 "bind %A fd=%d: waiting up to %u s for %d timewait socket(s) left by a process without "
			 "SO_REUSEADDR (the last expires in %u s)",
			 addr, len, fd, p->wait_seconds, scan->timewait, seconds_up(scan->longest_ms));
		bool clear = wait_for_expiry(&r, deadline);
		rc = retry_bind(fd, addr, len, err);
		struct waited w = waited_since(start);
		notw_log(rc == 0 ? NOTW_LEVEL_INFO : NOTW_LEVEL_WARN, "bind %A fd=%d: waited %u.%u s: %s", addr, len,
			 fd, w.whole, w.tenth, rc == 0 ? "the port is free" : (clear ? "still refused" : "still held"));
		if (rc == 0)
			return 0;
	}
	if (scan->timewait > 0) {
		warn_leftovers(&r);
		return rc;
	}
	if (rc != 0)
		rc = retry_bind(fd, addr, len, err); /* they went meanwhile */
	if (rc != 0)
		notw_log(NOTW_LEVEL_WARN,
			 "bind %A fd=%d: %E, although nothing the kernel lists conflicts with it (it may have "
			 "changed meanwhile)",
			 addr, len, fd, *err);
	return rc;
}
