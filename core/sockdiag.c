/* The kernel's socket table (sock_diag): what holds a port, SOCK_DESTROY (sockdiag.h). */
#include "rawsys.h"
#include "sockdiag.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ALL_STATES 0xffffffffu

/* A page: the kernel sizes its dump messages to the reader's buffer, and
 * a hook may run on a small thread stack. */
#define RECV_BUFFER 4096
#define RECV_ROUNDS 4096 /* bound on messages read for one dump */

struct nl_dump_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
	struct nlattr bytecode_attr;
	struct inet_diag_bc_op ops[4];
};

/* The descriptor, or -1 with *err set; errno is left as it was. */
static int open_diag_socket(int *err)
{
	int saved_errno = errno;
	int fd = (int)notw_syscall(SYS_socket, AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	*err = fd < 0 ? errno : 0;
	errno = saved_errno;
	return fd;
}

static void close_diag_socket(int fd)
{
	int saved_errno = errno;
	notw_syscall(SYS_close, fd);
	errno = saved_errno;
}

/* Kernel-side filter "local port == port": two comparisons, each followed
 * by the operand op; "no" jumps past the end (len + 4) to reject. */
static void build_port_filter(struct inet_diag_bc_op ops[4], uint16_t port)
{
	const unsigned short len = 4 * sizeof(struct inet_diag_bc_op);
	ops[0] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_GE, 8, len + 4 };
	ops[1] = (struct inet_diag_bc_op){ 0, 0, port };
	ops[2] = (struct inet_diag_bc_op){ INET_DIAG_BC_S_LE, 8, 8 + 4 };
	ops[3] = (struct inet_diag_bc_op){ 0, 0, port };
}

/* bytes of requests to the kernel in one datagram: 0 or the error (a
 * signal may interrupt it a few times; EINTR when it always does). */
static int send_to_kernel(int fd, const void *requests, size_t bytes)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	for (int tries = 0; tries < 8; tries++) {
		long sent = notw_syscall(SYS_sendto, fd, requests, bytes, 0, &kernel, sizeof kernel);
		if (sent == (long)bytes)
			return 0;
		if (sent >= 0)
			return EIO;
		if (errno != EINTR)
			return errno;
	}
	return EINTR;
}

static int send_dump_request(int fd, uint8_t family, uint16_t port, uint32_t states)
{
	struct nl_dump_request r;
	memset(&r, 0, sizeof r);
	r.nlh.nlmsg_len = sizeof r;
	r.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	r.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	r.nlh.nlmsg_seq = 1;
	r.req.sdiag_family = family;
	r.req.sdiag_protocol = IPPROTO_TCP;
	r.req.idiag_states = states;
	/* inet_diag_dump_icsk() compares this before anything else for each
	 * socket it walks; the bytecode stays as the documented filter. */
	r.req.id.idiag_sport = htons(port);
	r.bytecode_attr.nla_len = (uint16_t)(sizeof r.bytecode_attr + sizeof r.ops);
	r.bytecode_attr.nla_type = INET_DIAG_REQ_BYTECODE;
	build_port_filter(r.ops, port);
	return send_to_kernel(fd, &r, sizeof r);
}

/* Does a socket bound to (family, addr of the diag id) conflict with t?
 * e_v6only: that socket is IPv6-only (then it never takes IPv4). */
static bool conflicts(const struct notw_bind_target *target, uint8_t family, const uint32_t src[4], bool e_v6only)
{
	const struct notw_inet_addr *t = &target->addr;
	uint8_t a[16];
	memcpy(a, src, sizeof a);
	bool e_v4 = family == AF_INET || notw_is_v4mapped(a);
	uint32_t e_v4addr = 0;
	if (e_v4)
		memcpy(&e_v4addr, family == AF_INET ? a : a + 12, sizeof e_v4addr);
	bool e_v6_wild = family == AF_INET6 && notw_is_in6_any(a);

	if (t->v4) {
		if (e_v4)
			return t->wildcard || e_v4addr == 0 || e_v4addr == t->v4addr;
		return e_v6_wild && !e_v6only; /* a dual-stack [::] socket takes IPv4 too */
	}
	if (t->wildcard)
		return !target->v6only || !e_v4;
	return !e_v4 && (e_v6_wild || memcmp(a, t->v6addr, 16) == 0);
}

bool notw_diag_is_timewait(const struct inet_diag_msg *m)
{
	return m->idiag_timer == NOTW_DIAG_TIMER_TIMEWAIT && m->idiag_inode == 0 &&
	       (m->idiag_state == NOTW_TCP_TIME_WAIT || m->idiag_state == NOTW_TCP_FIN_WAIT2);
}

struct scan_ctx {
	const struct notw_bind_target *t;
	struct notw_port_range ephemeral;
	struct notw_port_scan *out;
};

static void keep_safe(struct notw_port_scan *out, const struct inet_diag_msg *m, const struct notw_leftover *l)
{
	out->safe++;
	if (out->kept >= NOTW_SCAN_MAX)
		return;
	struct notw_tw_sock *tw = &out->tw[out->kept++];
	tw->family = m->idiag_family;
	tw->kind = (uint8_t)l->kind;
	tw->origin = (uint8_t)l->origin;
	tw->id = m->id;
}

static void count_leftover(struct notw_port_scan *out, const struct inet_diag_msg *m, const struct notw_leftover *l)
{
	out->timewait++;
	out->outgoing += l->origin == NOTW_ORIGIN_OUTGOING;
	if (m->idiag_timer != NOTW_DIAG_TIMER_TIMEWAIT)
		out->orphans++;
	if (m->idiag_expires > out->longest_ms)
		out->longest_ms = m->idiag_expires;
	if (l->safe_to_destroy) {
		keep_safe(out, m, l);
	} else {
		out->draining++;
		out->draining_bytes += l->unacked;
	}
}

static void count_socket(const struct inet_diag_msg *m, bool v6only, void *ctx)
{
	const struct scan_ctx *c = ctx;
	struct notw_port_scan *out = c->out;
	if (!conflicts(c->t, m->idiag_family, m->id.idiag_src, v6only))
		return;
	struct notw_port_socket_facts f;
	struct notw_leftover l;
	notw_port_socket_facts_from_diag(m, &f);
	notw_port_socket_classify(&f, &c->ephemeral, &l);
	if (l.leftover) {
		count_leftover(out, m, &l);
	} else if (l.kind == NOTW_PORT_SOCKET_LISTENER) {
		if (out->listeners++ == 0)
			out->listener_inode = m->idiag_inode;
	} else {
		out->others++;
	}
}

/* The message at *off in a datagram of n bytes, advancing *off; NULL at
 * the end or at a header that does not fit. */
static const struct nlmsghdr *next_message(const char *buf, size_t n, size_t *off)
{
	if (*off + sizeof(struct nlmsghdr) > n)
		return NULL;
	const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)(buf + *off);
	if (h->nlmsg_len < sizeof *h || h->nlmsg_len > n - *off)
		return NULL;
	*off += NLMSG_ALIGN(h->nlmsg_len);
	return h;
}

/* A message's payload, after its header (NLMSG_DATA() without the cast
 * that drops const). */
static const void *message_data(const struct nlmsghdr *h)
{
	return (const char *)h + NLMSG_HDRLEN;
}

/* The INET_DIAG_SKV6ONLY attribute (sent for listening and bound IPv6
 * sockets): is the socket IPv6-only? */
static bool message_v6only(const struct nlmsghdr *h)
{
	size_t off = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(struct inet_diag_msg)));
	while (off + sizeof(struct nlattr) <= h->nlmsg_len) {
		const struct nlattr *a = (const struct nlattr *)(const void *)((const char *)h + off);
		if (a->nla_len < sizeof *a || off + a->nla_len > h->nlmsg_len)
			break;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_SKV6ONLY && a->nla_len >= sizeof *a + 1)
			return *((const uint8_t *)a + sizeof *a) != 0;
		off += ((size_t)a->nla_len + 3u) & ~(size_t)3u;
	}
	return false;
}

/* Read one dump to its end (NLMSG_DONE), multipart messages included. */
static int read_dump(int fd, notw_diag_fn fn, void *ctx)
{
	char buf[RECV_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (int round = 0; round < RECV_ROUNDS; round++) {
		long n = notw_syscall(SYS_recvfrom, fd, buf, sizeof buf, 0, NULL, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno; /* ENOBUFS: the dump overflowed; the caller gives up */
		}
		const struct nlmsghdr *h;
		for (size_t off = 0; (h = next_message(buf, (size_t)n, &off)) != NULL;) {
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = message_data(h);
				return h->nlmsg_len >= NLMSG_LENGTH(sizeof *e) && e->error < 0 ? -e->error : EPROTO;
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				fn(message_data(h), message_v6only(h), ctx);
		}
	}
	return EOVERFLOW;
}

int notw_list_port(uint16_t port, uint32_t states, notw_diag_fn fn, void *ctx)
{
	int saved_errno = errno;
	int err = 0;
	int fd = open_diag_socket(&err);
	if (fd < 0)
		return err;
	/* Both families: an IPv4 bind conflicts with IPv4-mapped and dual-stack
	 * IPv6 sockets, and the reverse. */
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	for (size_t i = 0; i < sizeof families && err == 0; i++) {
		err = send_dump_request(fd, families[i], port, states);
		if (err == 0)
			err = read_dump(fd, fn, ctx);
	}
	close_diag_socket(fd);
	errno = saved_errno;
	return err;
}

/* The kernel's answer to an exact request (inet_diag_cmd_exact()): the
 * socket's message, or an error: ENOENT for no socket on the four-tuple,
 * ESTALE for another socket there than the cookie names. */
static int read_exact_answer(int fd, struct inet_diag_msg *out)
{
	char buf[RECV_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (int round = 0; round < RECV_ROUNDS; round++) {
		long n = notw_syscall(SYS_recvfrom, fd, buf, sizeof buf, 0, NULL, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		const struct nlmsghdr *h;
		for (size_t off = 0; (h = next_message(buf, (size_t)n, &off)) != NULL;) {
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = message_data(h);
				if (h->nlmsg_len < NLMSG_LENGTH(sizeof *e))
					return EPROTO;
				if (e->error < 0)
					return -e->error;
				continue; /* an acknowledgment */
			}
			if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg))) {
				memcpy(out, message_data(h), sizeof *out);
				return 0;
			}
		}
	}
	return EPROTO;
}

/* A request about one socket, named by its family and id. */
struct nl_socket_request {
	struct nlmsghdr nlh;
	struct inet_diag_req_v2 req;
};

static void socket_request(struct nl_socket_request *r, uint16_t type, uint16_t flags, uint32_t seq,
			   uint8_t family, const struct inet_diag_sockid *id)
{
	r->nlh.nlmsg_len = sizeof *r;
	r->nlh.nlmsg_type = type;
	r->nlh.nlmsg_flags = flags;
	r->nlh.nlmsg_seq = seq;
	r->req.sdiag_family = family;
	r->req.sdiag_protocol = IPPROTO_TCP;
	r->req.idiag_states = ALL_STATES;
	r->req.id = *id;
}

int notw_diag_find_socket(uint8_t family, const struct inet_diag_sockid *id, struct inet_diag_msg *out)
{
	struct nl_socket_request r;
	memset(&r, 0, sizeof r);
	socket_request(&r, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, 1, family, id);
	int saved_errno = errno;
	int err = 0;
	int fd = open_diag_socket(&err);
	if (fd < 0)
		return err;
	err = send_to_kernel(fd, &r, sizeof r);
	if (err == 0)
		err = read_exact_answer(fd, out);
	close_diag_socket(fd);
	errno = saved_errno;
	return err == ESTALE ? ENOENT : err;
}

bool notw_diag_conflicts(const struct notw_bind_target *t, const struct inet_diag_msg *m, bool m_v6only)
{
	return conflicts(t, m->idiag_family, m->id.idiag_src, m_v6only);
}

int notw_scan_port(const struct notw_bind_target *t, struct notw_port_scan *out)
{
	uint16_t port = t->addr.port;
	memset(out, 0, sizeof *out);
	if (port == 0)
		return EINVAL;
	struct scan_ctx c = { t, { 0, 0 }, out };
	notw_read_ephemeral_range(&c.ephemeral);
	int err = notw_list_port(port, NOTW_STATES_CONNECTED, count_socket, &c);
	/* Nothing there: perhaps a socket bound but not listening yet (another
	 * instance starting), which only the costlier listing shows. */
	if (err == 0 && out->listeners == 0 && out->timewait == 0 && out->others == 0)
		err = notw_list_port(port, NOTW_STATES_BOUND, count_socket, &c);
	return err;
}

/* Reads the kernel's answer to each request of a batch: results[seq - 1]
 * is 0 or the errno it gave. */
static int read_acks(int fd, int expected, int results[])
{
	char buf[RECV_BUFFER] __attribute__((aligned(NLMSG_ALIGNTO)));
	int seen = 0;
	for (int round = 0; round < RECV_ROUNDS && seen < expected; round++) {
		long n = notw_syscall(SYS_recvfrom, fd, buf, sizeof buf, 0, NULL, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		const struct nlmsghdr *h;
		for (size_t off = 0; (h = next_message(buf, (size_t)n, &off)) != NULL;) {
			if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr)))
				continue;
			const struct nlmsgerr *e = message_data(h);
			if (h->nlmsg_seq >= 1 && h->nlmsg_seq <= (uint32_t)expected) {
				results[h->nlmsg_seq - 1] = -e->error;
				seen++;
			}
		}
	}
	return seen == expected ? 0 : EIO;
}

/* SOCK_DESTROY for n sockets in one datagram; each gets its own answer. */
int notw_destroy_batch(const struct notw_tw_sock *tw, int n, int results[])
{
	struct nl_socket_request batch[NOTW_SCAN_MAX];
	if (n <= 0 || n > NOTW_SCAN_MAX)
		return EINVAL;
	memset(batch, 0, sizeof batch);
	for (int i = 0; i < n; i++) {
		socket_request(&batch[i], SOCK_DESTROY, NLM_F_REQUEST | NLM_F_ACK, (uint32_t)i + 1, tw[i].family,
			       &tw[i].id);
		results[i] = EIO; /* until the kernel answers */
	}
	int saved_errno = errno;
	int err = 0;
	int fd = open_diag_socket(&err);
	if (fd < 0)
		return err;
	err = send_to_kernel(fd, batch, (size_t)n * sizeof batch[0]);
	if (err == 0)
		err = read_acks(fd, n, results);
	close_diag_socket(fd);
	errno = saved_errno;
	return err;
}

int notw_destroy_timewait(const struct notw_port_scan *scan, struct notw_reap_tally *tally, int *err)
{
	int results[NOTW_SCAN_MAX];
	int destroyed = 0;
	*err = 0;
	if (scan->kept == 0)
		return 0;
	int rc = notw_destroy_batch(scan->tw, scan->kept, results);
	for (int i = 0; i < scan->kept; i++) {
		/* ENOENT: it expired or was destroyed meanwhile, which is what
		 * was wanted. */
		if (results[i] == 0 || results[i] == ENOENT) {
			destroyed++;
			if (scan->tw[i].origin == NOTW_ORIGIN_OUTGOING)
				tally->outgoing++;
			else if (scan->tw[i].kind < NOTW_PORT_SOCKET_KINDS)
				tally->by_kind[scan->tw[i].kind]++;
		} else if (*err == 0) {
			*err = results[i];
		}
	}
	if (*err == 0)
		*err = rc;
	return destroyed;
}

int notw_read_ephemeral_range(struct notw_port_range *out)
{
	char text[64];
	int saved_errno = errno;
	out->lo = out->hi = 0;
	int fd = (int)notw_syscall(SYS_openat, AT_FDCWD, "/proc/sys/net/ipv4/ip_local_port_range", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		errno = saved_errno;
		return err;
	}
	long n = notw_syscall(SYS_read, fd, text, sizeof text - 1);
	int err = n < 0 ? errno : 0;
	notw_syscall(SYS_close, fd);
	errno = saved_errno;
	if (n < 0)
		return err;
	text[n] = '\0';
	return notw_parse_port_range(text, out) ? 0 : EINVAL;
}
