#include "recover.h"

#include "fmt.h"
#include "log.h"
#include "policy.h"
#include "real.h"
#include "sockdiag.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define REAP_ROUNDS 64         /* x NOTW_SCAN_MAX sockets at the most */
#define OWNER_SEARCH_LINKS 20000 /* readlink calls allowed to find a listener's process */

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

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Calls fn(name, ctx) for each entry of the open directory dirfd; stops when
 * fn returns false. Raw getdents64: no allocation. */
static void for_each_entry(int dirfd, bool (*fn)(const char *name, void *ctx), void *ctx)
{
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		long n = syscall(SYS_getdents64, dirfd, buf, sizeof buf);
		if (n <= 0)
			return;
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			if (d->d_name[0] != '.' && !fn(d->d_name, ctx))
				return;
			off += d->d_reclen;
		}
	}
}

struct owner_search {
	char want[32];
	char path[64];
	int pid;
	long budget;
	bool found;
};

static bool is_number(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool check_fd_link(const char *name, void *ctx)
{
	struct owner_search *o = ctx;
	char path[96], link[64];
	struct notw_buf b;
	if (o->budget-- <= 0)
		return false;
	notw_buf_init(&b, path, sizeof path);
	notw_buf_format(&b, "%s/%s", o->path, name);
	long n = syscall(SYS_readlinkat, AT_FDCWD, path, link, sizeof link - 1);
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
	if (!is_number(name))
		return true;
	notw_buf_init(&b, o->path, sizeof o->path);
	notw_buf_format(&b, "/proc/%s/fd", name);
	int dfd = (int)syscall(SYS_openat, AT_FDCWD, o->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return o->budget > 0;
	for_each_entry(dfd, check_fd_link, o);
	syscall(SYS_close, dfd);
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
	struct owner_search o = { .pid = 0, .budget = OWNER_SEARCH_LINKS, .found = false };
	if (inode == 0)
		return false;
	socket_link_text(inode, o.want, sizeof o.want);
	int proc = (int)syscall(SYS_openat, AT_FDCWD, "/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (proc < 0)
		return false;
	for_each_entry(proc, check_process, &o);
	syscall(SYS_close, proc);
	if (!o.found)
		return false;
	char path[64];
	struct notw_buf b;
	notw_buf_init(&b, path, sizeof path);
	notw_buf_format(&b, "/proc/%d/comm", o.pid);
	comm[0] = '\0';
	int cfd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (cfd >= 0) {
		long n = syscall(SYS_read, cfd, comm, comm_cap - 1);
		syscall(SYS_close, cfd);
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

/* SOCK_DESTROY on the timewait sockets. The kernel answers for each, so
 * a scan that held them all needs no second look (each scan is a walk of
 * the kernel's whole socket table); a port with more than one scan holds is
 * scanned again, in rounds. Returns the number destroyed; *err the first
 * refusal. */
static int reap(const struct sockaddr *addr, socklen_t len, bool v6only, struct notw_port_scan *s, int *err)
{
	int total = 0;
	*err = 0;
	for (int round = 0; round < REAP_ROUNDS && s->timewait > 0 && s->listeners == 0 && s->others == 0;
	     round++) {
		int destroyed = notw_destroy_timewait(s, err);
		total += destroyed;
		if (*err != 0)
			break;
		if (s->kept == s->timewait) {
			s->timewait -= destroyed;
			break;
		}
		if (notw_scan_port(addr, len, v6only, s) != 0)
			break;
	}
	return total;
}

static void sleep_ms(uint32_t ms)
{
	struct timespec t = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };
	while (syscall(SYS_nanosleep, &t, &t) != 0 && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* Wait for the timewait timers, at most limit_s; rescans after each sleep.
 * Returns true when nothing blocks the port any more. */
static bool wait_for_expiry(const struct sockaddr *addr, socklen_t len, bool v6only, struct notw_port_scan *s,
			    unsigned limit_s)
{
	uint64_t deadline = now_ms() + (uint64_t)limit_s * 1000u;
	for (int round = 0; round < 1000; round++) {
		if (s->timewait == 0 && s->listeners == 0 && s->others == 0)
			return true;
		if (s->listeners > 0 || s->others > 0)
			return false;
		uint64_t now = now_ms();
		if (now >= deadline)
			return false;
		uint64_t step = (uint64_t)s->longest_ms + 50u;
		if (step > deadline - now)
			step = deadline - now;
		sleep_ms((uint32_t)step);
		if (notw_scan_port(addr, len, v6only, s) != 0)
			return false;
	}
	return false;
}

/* What the leftovers are, for the log. */
static const char *leftover_words(const struct notw_port_scan *s)
{
	if (s->orphans == 0)
		return "timewait socket(s)";
	return s->orphans == s->timewait ? "closing socket(s) no process holds" :
					    "leftover socket(s) (timewait, or closing with no process)";
}

static void warn_timewait(int fd, const struct sockaddr *addr, socklen_t len, const struct notw_port_scan *s,
			  int reap_err)
{
	const char *why = "";
	if (!notw_active_policy.reap)
		why = " (NOTW_REAP=off)";
	else if (reap_err == EPERM || reap_err == EACCES)
		why = " (reaping needs CAP_NET_ADMIN over this network namespace)";
	else if (reap_err == EOPNOTSUPP)
		why = " (this kernel cannot destroy timewait sockets: it needs Linux 6.0 and "
		      "CONFIG_INET_DIAG_DESTROY)";
	notw_log(NOTW_LEVEL_WARN,
		 "bind %A fd=%d: EADDRINUSE: %d %s left by a process without SO_REUSEADDR "
		 "hold the port; they expire within %u s%s. To free it now: run the program as root "
		 "(NOTW_REAP=on), or `notw reap %d` as root; or set NOTW_WAIT=%u to wait",
		 addr, len, fd, s->timewait, leftover_words(s), seconds_up(s->longest_ms), why,
		 notw_sockaddr_port(addr, len), seconds_up(s->longest_ms) + 1u);
}

int notw_set_reuseaddr(int fd, int on)
{
	return notw_call_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 ? 0 : errno;
}

int notw_recover_bind(int fd, const struct sockaddr *addr, socklen_t len, int domain, bool may_set_reuse,
		      bool *reuse_set, int *err)
{
	const struct notw_policy *p = &notw_active_policy;
	struct notw_port_scan scan;
	bool v6only = socket_is_v6only(fd, domain);
	*reuse_set = false;
	*err = EADDRINUSE;

	int scan_err = notw_scan_port(addr, len, v6only, &scan);
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
	if (scan.listeners > 0) {
		warn_listener(fd, addr, len, &scan);
		return -1;
	}
	if (scan.others > 0) {
		/* A socket bound but not listening (a second instance starting):
		 * SO_REUSEADDR would let both bind and one fail in listen(). */
		notw_log(NOTW_LEVEL_WARN,
			 "bind %A fd=%d: EADDRINUSE: %d other socket(s) are bound to the port (not timewait "
			 "leftovers): left as is",
			 addr, len, fd, scan.others);
		return -1;
	}
	/* Only timewait sockets (or none any more). Those of a generation that
	 * had SO_REUSEADDR let a socket that has it through. */
	int rc = -1;
	if (may_set_reuse && notw_set_reuseaddr(fd, 1) == 0) {
		*reuse_set = true;
		rc = retry_bind(fd, addr, len, err);
		if (rc == 0 || *err != EADDRINUSE)
			return rc;
		/* The same sockets still hold it: they lack SO_REUSEADDR. */
	}
	int reap_err = 0;
	if (p->reap && scan.timewait > 0) {
		int before = scan.timewait;
		int reaped = reap(addr, len, v6only, &scan, &reap_err);
		if (reaped > 0) {
			rc = retry_bind(fd, addr, len, err);
			if (rc == 0) {
				notw_log(NOTW_LEVEL_INFO,
					 "bind %A fd=%d: reaped %d of %d %s left by a process without SO_REUSEADDR",
					 addr, len, fd, reaped, before, leftover_words(&scan));
				return 0;
			}
		}
	}
	if (p->wait_seconds > 0 && scan.timewait > 0) {
		notw_log(NOTW_LEVEL_INFO,
			 "bind %A fd=%d: waiting up to %u s for %d timewait socket(s) left by a process without "
			 "SO_REUSEADDR (the last expires in %u s)",
			 addr, len, fd, p->wait_seconds, scan.timewait, seconds_up(scan.longest_ms));
		uint64_t start = now_ms();
		bool clear = wait_for_expiry(addr, len, v6only, &scan, p->wait_seconds);
		rc = retry_bind(fd, addr, len, err);
		notw_log(rc == 0 ? NOTW_LEVEL_INFO : NOTW_LEVEL_WARN, "bind %A fd=%d: waited %u s: %s", addr, len, fd,
			 seconds_up((uint32_t)(now_ms() - start)),
			 rc == 0 ? "the port is free" : (clear ? "still refused" : "still held"));
		if (rc == 0)
			return 0;
	}
	if (scan.timewait > 0) {
		warn_timewait(fd, addr, len, &scan, reap_err);
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
