/* notw reap's second method, for when SOCK_DESTROY is refused (no
 * CAP_NET_ADMIN, or a kernel before 6.0): a TCP reset that seems to come
 * from the connection's peer.
 *
 * A timewait socket dies on an RST whose sequence number is exactly the
 * next one it expects (tcp_timewait_state_process(): "TIME_WAIT
 * assassination", unless net.ipv4.tcp_rfc1337 = 1; in the FIN-WAIT-2
 * sub-state any in-window RST does). That number is learnt by asking: a
 * segment out of its window makes it answer with an ACK whose
 * acknowledgment number is that next sequence number. The question and the
 * reset are written with raw sockets, the answer is read with a packet
 * socket (it may leave towards a remote peer, which a raw socket would not
 * see): all three need CAP_NET_RAW.
 *
 * The reset must reach nothing but the timewait socket the listing showed.
 * A client that reconnected from the same port since has a new connection
 * on the same four-tuple; asked the same question, it answers with its own
 * next sequence number, and a reset at exactly that number ends it
 * (tcp_validate_incoming()). So the socket is looked up by its cookie
 * (sock_diag's exact request: a new connection is another socket, with
 * another cookie) right before the question and again right after the
 * answer: there both times, it is the socket that answered, since a
 * four-tuple has one socket at a time. Replaced after the second look, the
 * new connection is still out of reach: a timewait socket lets a SYN
 * through only with a sequence number after the one it expects (or newer
 * timestamps; tcp_timewait_state_process()), so the new connection's next
 * number is not the reset's, and an established socket takes a reset only
 * at exactly its next number; any other number in its window gets a
 * challenge ACK, never a reset (RFC 5961). */
#include "reset.h"
#include "sockdiag.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define ANSWER_WAIT_MS 200    /* per question; loopback answers in microseconds */
#define RATE_LIMIT_MS 600     /* the kernel answers a socket's out-of-window
				 segments at most every tcp_invalid_ratelimit
				 (500 ms by default) */
#define PACKETS_READ_MAX 4096 /* per question, whatever the filter lets through */
#define TCP_TIME_WAIT_STATE 6

/* One end of the connection as it travels on the wire. */
struct wire_end {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint16_t port; /* network order */
};

struct wire_conn {
	struct wire_end local; /* the timewait socket's end */
	struct wire_end peer;
	uint32_t ifindex;      /* for link-local IPv6 addresses */
};

/* A v4-mapped IPv6 socket (a dual-stack server's) speaks IPv4 on the wire. */
static void wire_end_from(struct wire_end *e, uint8_t family, const __be32 addr[4], __be16 port)
{
	memset(e, 0, sizeof *e);
	e->port = port;
	if (family == AF_INET6 && notw_is_v4mapped(addr)) {
		e->family = AF_INET;
		memcpy(e->addr, (const uint8_t *)addr + 12, 4);
	} else if (family == AF_INET6) {
		e->family = AF_INET6;
		memcpy(e->addr, addr, 16);
	} else {
		e->family = AF_INET;
		memcpy(e->addr, addr, 4);
	}
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4u : 16u;
}

/* ------------------------------------------------------------------ */
/* Building segments                                                    */

static uint32_t sum16(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len == 1)
		sum += (uint32_t)(p[0] << 8);
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum covers a pseudo-header of both addresses. */
static uint16_t tcp_checksum(const struct wire_conn *c, const struct tcphdr *th)
{
	size_t n = addr_len(c->peer.family);
	uint32_t sum = sum16(c->peer.addr, n, 0);
	sum = sum16(c->local.addr, n, sum);
	sum += IPPROTO_TCP + (uint32_t)sizeof *th;
	return htons(fold(sum16(th, sizeof *th, sum)));
}

/* A bare header from the peer to the timewait socket. */
static void build_segment(const struct wire_conn *c, struct tcphdr *th, uint32_t seq, bool rst)
{
	memset(th, 0, sizeof *th);
	th->source = c->peer.port;
	th->dest = c->local.port;
	th->seq = htonl(seq);
	th->doff = sizeof *th / 4;
	if (rst) {
		th->rst = 1;
	} else {
		th->ack = 1;
		th->window = htons(1024);
	}
	th->check = tcp_checksum(c, th);
}

/* The raw sockets: IPPROTO_RAW means the program writes the IP header
 * (with the peer's address as the source); the kernel fills in the IPv4
 * header's checksum, length and id. */
static int send_segment(const struct notw_reset *r, const struct wire_conn *c, uint32_t seq, bool rst)
{
	uint8_t packet[sizeof(struct ip6_hdr) + sizeof(struct tcphdr)];
	struct tcphdr th;
	size_t iplen;
	struct sockaddr_storage to;
	socklen_t tolen;
	int fd;

	build_segment(c, &th, seq, rst);
	memset(&to, 0, sizeof to);
	if (c->local.family == AF_INET) {
		struct ip ip;
		memset(&ip, 0, sizeof ip);
		ip.ip_v = 4;
		ip.ip_hl = sizeof ip / 4;
		ip.ip_ttl = 64;
		ip.ip_p = IPPROTO_TCP;
		ip.ip_len = htons((uint16_t)(sizeof ip + sizeof th));
		memcpy(&ip.ip_src, c->peer.addr, 4);
		memcpy(&ip.ip_dst, c->local.addr, 4);
		memcpy(packet, &ip, sizeof ip);
		iplen = sizeof ip;
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, c->local.addr, 4);
		tolen = sizeof *sin;
		fd = r->send_v4;
	} else {
		struct ip6_hdr ip6;
		memset(&ip6, 0, sizeof ip6);
		ip6.ip6_flow = htonl(6u << 28);
		ip6.ip6_plen = htons((uint16_t)sizeof th);
		ip6.ip6_nxt = IPPROTO_TCP;
		ip6.ip6_hlim = 64;
		memcpy(&ip6.ip6_src, c->peer.addr, 16);
		memcpy(&ip6.ip6_dst, c->local.addr, 16);
		memcpy(packet, &ip6, sizeof ip6);
		iplen = sizeof ip6;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, c->local.addr, 16);
		if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
			sin6->sin6_scope_id = c->ifindex;
		tolen = sizeof *sin6;
		fd = r->send_v6;
	}
	memcpy(packet + iplen, &th, sizeof th);
	if (sendto(fd, packet, iplen + sizeof th, 0, (struct sockaddr *)&to, tolen) < 0)
		return errno;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Reading the answer                                                   */

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Is this IP packet the timewait socket's ACK to the peer? Sets *ack. */
static bool is_answer(const struct wire_conn *c, const uint8_t *pkt, size_t len, uint32_t *ack)
{
	const uint8_t *src, *dst, *tcp;
	size_t n = addr_len(c->local.family);
	if (len < 1)
		return false;
	if (c->local.family == AF_INET) {
		size_t ihl = (size_t)(pkt[0] & 0x0f) * 4;
		if ((pkt[0] >> 4) != 4 || ihl < 20 || len < ihl + sizeof(struct tcphdr) || pkt[9] != IPPROTO_TCP)
			return false;
		src = pkt + 12;
		dst = pkt + 16;
		tcp = pkt + ihl;
	} else {
		/* No extension headers: the kernel's own ACKs carry none. */
		if ((pkt[0] >> 4) != 6 || len < 40 + sizeof(struct tcphdr) || pkt[6] != IPPROTO_TCP)
			return false;
		src = pkt + 8;
		dst = pkt + 24;
		tcp = pkt + 40;
	}
	struct tcphdr th;
	memcpy(&th, tcp, sizeof th);
	if (memcmp(src, c->local.addr, n) != 0 || memcmp(dst, c->peer.addr, n) != 0 ||
	    th.source != c->local.port || th.dest != c->peer.port || !th.ack || th.rst || th.syn)
		return false;
	*ack = ntohl(th.ack_seq);
	return true;
}

/* Throw away what the capture socket holds from before a question. */
static void drain(int capture)
{
	uint8_t pkt[256];
	for (int i = 0; i < PACKETS_READ_MAX && recv(capture, pkt, sizeof pkt, MSG_DONTWAIT) >= 0; i++)
		;
}

static bool wait_for_answer(int capture, const struct wire_conn *c, uint32_t *ack)
{
	long long deadline = now_ms() + ANSWER_WAIT_MS;
	uint8_t pkt[2048];
	for (int read_count = 0; read_count < PACKETS_READ_MAX;) {
		long long left = deadline - now_ms();
		if (left <= 0)
			return false;
		struct pollfd pfd = { .fd = capture, .events = POLLIN };
		int r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		for (; read_count < PACKETS_READ_MAX; read_count++) {
			ssize_t len = recv(capture, pkt, sizeof pkt, MSG_DONTWAIT);
			if (len < 0)
				break;
			if (is_answer(c, pkt, (size_t)len, ack))
				return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ */
/* The method                                                           */

/* net.ipv4.tcp_rfc1337 = 1 makes sockets in the TIME-WAIT sub-state
 * ignore resets (read in the namespace this process is in: /proc/sys/net
 * follows it). The FIN-WAIT-2 sub-state takes them whatever it says. */
static bool rfc1337_protects(void)
{
	char v = '0';
	int fd = open("/proc/sys/net/ipv4/tcp_rfc1337", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (read(fd, &v, 1) != 1)
		v = '0';
	close(fd);
	return v != '0';
}

/* Only TCP segments from the local port reach the capture socket (IPv4:
 * after a header of any length; IPv6: right after the fixed header, as
 * the kernel sends its ACKs), cut to their headers: unrelated traffic
 * cannot fill its buffer and crowd the answer out. */
static int filter_port(int capture, uint16_t port)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0),                /* 0: version */
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 4),               /* 1 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 4, 0, 5),         /* 2: IPv4? else 8 */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 9),                /* 3: protocol */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 9), /* 4: else drop */
		BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),               /* 5: X = header length */
		BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0),                /* 6: source port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 5, 6),      /* 7: keep or drop */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 6, 0, 5),         /* 8: IPv6? else drop */
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 6),                /* 9: next header */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, IPPROTO_TCP, 0, 3), /* 10: else drop */
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 40),               /* 11: source port */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, port, 0, 1),      /* 12: keep or drop */
		BPF_STMT(BPF_RET | BPF_K, 128),                       /* 13: keep the headers */
		BPF_STMT(BPF_RET | BPF_K, 0),                         /* 14: drop */
	};
	struct sock_fprog prog = { .len = (unsigned short)(sizeof code / sizeof code[0]), .filter = code };
	if (setsockopt(capture, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
		return errno;
	drain(capture); /* what arrived before the filter */
	return 0;
}

static void close_all(struct notw_reset *r)
{
	if (r->send_v4 >= 0)
		close(r->send_v4);
	if (r->send_v6 >= 0)
		close(r->send_v6);
	if (r->capture >= 0)
		close(r->capture);
	r->send_v4 = r->send_v6 = r->capture = -1;
}

struct notw_reset *notw_reset_open(struct notw_reset *r, uint16_t port)
{
	memset(r, 0, sizeof *r);
	r->send_v4 = r->send_v6 = r->capture = -1;
	r->rfc1337 = rfc1337_protects();
	r->send_v4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	int err = r->send_v4 < 0 ? errno : 0;
	r->send_v6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (err == 0 && r->send_v6 < 0 && errno != EAFNOSUPPORT)
		err = errno;
	r->capture = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (err == 0 && r->capture < 0)
		err = errno;
	if (err == 0)
		err = filter_port(r->capture, port);
	if (err != 0) {
		close_all(r);
		r->unusable = err;
	}
	return r;
}

const char *notw_reset_unusable(const struct notw_reset *r, int *err)
{
	*err = r->unusable;
	if (r->unusable == 0)
		return NULL;
	return r->unusable == EPERM || r->unusable == EACCES ? "the reset method needs CAP_NET_RAW"
							     : strerror(r->unusable);
}

const char *notw_reset_cause(int rc)
{
	switch (rc) {
	case NOTW_RESET_RFC1337:
		return "net.ipv4.tcp_rfc1337 = 1 makes TIME-WAIT sockets ignore resets";
	case ETIMEDOUT:
		return "it did not answer the reset method's probe";
	case 0:
		return "it was sent a reset and is still there";
	default:
		return strerror(rc);
	}
}

void notw_reset_close(struct notw_reset *r)
{
	close_all(r);
}

/* Two questions at most: one of two sequence numbers half the number
 * space apart is outside any window. The second waits out the kernel's
 * rate limit, in case the first was answered and the answer lost. Each
 * question restarts the timer of a TIME-WAIT socket (the kernel does so
 * for every segment it gets): one the reset then fails on lives longer. */
int notw_reset_timewait(struct notw_reset *r, uint8_t family, uint8_t state,
			const struct inet_diag_sockid *id)
{
	struct wire_conn c;
	uint32_t ack = 0;
	bool answered = false;
	if (r->unusable != 0)
		return r->unusable;
	if (state == TCP_TIME_WAIT_STATE && r->rfc1337)
		return NOTW_RESET_RFC1337;
	wire_end_from(&c.local, family, id->idiag_src, id->idiag_sport);
	wire_end_from(&c.peer, family, id->idiag_dst, id->idiag_dport);
	c.ifindex = id->idiag_if;
	if ((c.local.family == AF_INET ? r->send_v4 : r->send_v6) < 0)
		return EAFNOSUPPORT;
	struct inet_diag_msg seen;
	int gone = notw_diag_find_socket(family, id, &seen);
	if (gone != 0)
		return gone;
	uint32_t guess = (uint32_t)now_ms() * 2654435761u;
	long long first = now_ms();
	for (int attempt = 0; attempt < 2 && !answered; attempt++) {
		if (attempt > 0) {
			long long wait = first + RATE_LIMIT_MS - now_ms();
			if (wait > 0)
				poll(NULL, 0, (int)wait);
		}
		drain(r->capture);
		int err = send_segment(r, &c, guess + (uint32_t)attempt * 0x80000000u, false);
		if (err != 0)
			return err;
		answered = wait_for_answer(r->capture, &c, &ack);
	}
	if (!answered)
		return ETIMEDOUT;
	gone = notw_diag_find_socket(family, id, &seen);
	if (gone != 0)
		return gone;
	return send_segment(r, &c, ack, true);
}
