/* What a socket on a port is, and whether destroying it is safe (port_socket.h). */
#include "port_socket.h"

#include <netinet/in.h>
#include <string.h>

void notw_port_socket_facts_from_diag(const struct inet_diag_msg *m, struct notw_port_socket_facts *f)
{
	memset(f, 0, sizeof *f);
	f->state = m->idiag_state;
	f->timer = m->idiag_timer;
	f->inode = m->idiag_inode;
	f->wqueue = m->idiag_wqueue;
	f->local_port = ntohs(m->id.idiag_sport);
	f->remote_port = ntohs(m->id.idiag_dport);
}

static bool in_range(uint16_t port, const struct notw_port_range *r)
{
	return r != NULL && r->lo != 0 && port >= r->lo && port <= r->hi;
}

static enum notw_port_socket_origin guess_origin(const struct notw_port_socket_facts *f, const struct notw_port_range *r)
{
	if (f->remote_port == 0)
		return NOTW_ORIGIN_UNKNOWN;
	bool local_eph = in_range(f->local_port, r), remote_eph = in_range(f->remote_port, r);
	if (local_eph == remote_eph)
		return NOTW_ORIGIN_UNKNOWN;
	return local_eph ? NOTW_ORIGIN_OUTGOING : NOTW_ORIGIN_ACCEPTED;
}

static enum notw_port_socket_kind orphan_kind(const struct notw_port_socket_facts *f, uint32_t *unacked)
{
	*unacked = 0;
	switch (f->state) {
	case NOTW_TCP_TIME_WAIT:
		return NOTW_PORT_SOCKET_TIMEWAIT;
	case NOTW_TCP_FIN_WAIT2:
		return NOTW_PORT_SOCKET_FIN_WAIT2;
	case NOTW_TCP_FIN_WAIT1:
	case NOTW_TCP_CLOSING:
	case NOTW_TCP_LAST_ACK:
		/* Our FIN was sent: the kernel counts it as one byte of
		 * idiag_wqueue (write_seq - snd_una) until it is acked. */
		*unacked = f->wqueue > 0 ? f->wqueue - 1u : 0u;
		return *unacked > 0 ? NOTW_PORT_SOCKET_DRAINING : NOTW_PORT_SOCKET_CLOSING;
	case NOTW_TCP_SYN_SENT: /* its connect() abandoned: nothing was sent */
		return NOTW_PORT_SOCKET_CLOSING;
	case NOTW_TCP_CLOSE:
		*unacked = f->wqueue;
		return *unacked > 0 ? NOTW_PORT_SOCKET_DRAINING : NOTW_PORT_SOCKET_CLOSING;
	default:
		/* ESTABLISHED, SYN-RECV, CLOSE-WAIT without a descriptor: a child
		 * not accept()ed yet; its listener is alive. */
		return NOTW_PORT_SOCKET_PENDING;
	}
}

static enum notw_port_socket_kind kind_of(const struct notw_port_socket_facts *f, uint32_t *unacked)
{
	*unacked = 0;
	if (f->timer == NOTW_DIAG_TIMER_TIMEWAIT && f->inode == 0 && (f->state == NOTW_TCP_TIME_WAIT || f->state == NOTW_TCP_FIN_WAIT2))
		return f->state == NOTW_TCP_TIME_WAIT ? NOTW_PORT_SOCKET_TIMEWAIT : NOTW_PORT_SOCKET_FIN_WAIT2;
	if (f->state == NOTW_TCP_LISTEN)
		return NOTW_PORT_SOCKET_LISTENER;
	if (f->state == NOTW_TCP_BOUND_INACTIVE || (f->state == NOTW_TCP_CLOSE && f->remote_port == 0))
		return NOTW_PORT_SOCKET_BOUND;
	if (f->state == NOTW_TCP_NEW_SYN_RECV)
		return NOTW_PORT_SOCKET_PENDING;
	if (f->inode != 0)
		return NOTW_PORT_SOCKET_CONNECTION;
	return orphan_kind(f, unacked);
}

static const char *reason_of(enum notw_port_socket_kind kind, enum notw_port_socket_origin origin)
{
	switch (kind) {
	case NOTW_PORT_SOCKET_TIMEWAIT:
	case NOTW_PORT_SOCKET_FIN_WAIT2:
		if (origin == NOTW_ORIGIN_OUTGOING)
			return "timewait socket of an outgoing connection that used this port as its ephemeral "
			       "port (a client's, unrelated to a server on the port); it carries no data: safe "
			       "to destroy";
		if (origin == NOTW_ORIGIN_ACCEPTED)
			return "timewait socket of a connection a server on this port accepted; it carries no "
			       "data: safe to destroy";
		return "timewait socket of a closed connection on this port; it carries no data: safe to "
		       "destroy";
	case NOTW_PORT_SOCKET_CLOSING:
		return "closing socket no process holds; the peer has acknowledged all its data (only the "
		       "FIN is in flight): safe to destroy";
	case NOTW_PORT_SOCKET_DRAINING:
		return "closing socket no process holds, still sending data the peer has not acknowledged: "
		       "destroying it would lose that data; it goes once the peer has it all";
	case NOTW_PORT_SOCKET_LISTENER:
		return "a live listener: never destroyed";
	case NOTW_PORT_SOCKET_BOUND:
		return "a socket bound to the port, not listening (yet): never destroyed";
	case NOTW_PORT_SOCKET_PENDING:
		return "a connection in a listener's accept queue: never destroyed";
	case NOTW_PORT_SOCKET_CONNECTION:
		if (origin == NOTW_ORIGIN_OUTGOING)
			return "an outgoing connection of a live process that uses this port as its ephemeral "
			       "port: never destroyed";
		return "a connection a live process holds: never destroyed";
	case NOTW_PORT_SOCKET_KINDS:
		break;
	}
	return "?";
}

void notw_port_socket_classify(const struct notw_port_socket_facts *f, const struct notw_port_range *ephemeral,
			    struct notw_leftover *out)
{
	memset(out, 0, sizeof *out);
	out->kind = kind_of(f, &out->unacked);
	out->origin = guess_origin(f, ephemeral);
	out->leftover = out->kind <= NOTW_PORT_SOCKET_DRAINING;
	out->safe_to_destroy = out->kind <= NOTW_PORT_SOCKET_CLOSING;
	out->reason = reason_of(out->kind, out->origin);
}

const char *notw_port_socket_kind_name(enum notw_port_socket_kind kind)
{
	static const char *const names[NOTW_PORT_SOCKET_KINDS] = {
		"timewait", "fin-wait-2", "closing", "draining", "listener", "bound", "pending", "connection",
	};
	return (unsigned)kind < NOTW_PORT_SOCKET_KINDS ? names[kind] : "?";
}

const char *notw_port_socket_kind_words(enum notw_port_socket_kind kind)
{
	static const char *const words[NOTW_PORT_SOCKET_KINDS] = {
		"timewait socket(s)",
		"timewait socket(s) in FIN-WAIT-2",
		"closing socket(s) with all data acknowledged",
		"closing socket(s) still sending data",
		"listener(s)",
		"bound socket(s)",
		"connection(s) waiting to be accepted",
		"connection(s) of live processes",
	};
	return (unsigned)kind < NOTW_PORT_SOCKET_KINDS ? words[kind] : "?";
}

const char *notw_port_socket_origin_name(enum notw_port_socket_origin origin)
{
	switch (origin) {
	case NOTW_ORIGIN_ACCEPTED:
		return "accepted";
	case NOTW_ORIGIN_OUTGOING:
		return "outgoing";
	case NOTW_ORIGIN_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *notw_tcp_state_name(unsigned state)
{
	static const char *const names[] = { "?",          "ESTAB",      "SYN-SENT",  "SYN-RECV",
					     "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "UNCONN",
					     "CLOSE-WAIT", "LAST-ACK",   "LISTEN",    "CLOSING",
					     "NEW-SYN-RECV", "BOUND-INACTIVE" };
	return state < sizeof names / sizeof names[0] ? names[state] : "?";
}

/* A decimal port at *s (1 to 65535), advancing *s. */
static bool read_port(const char **s, uint16_t *port)
{
	unsigned v = 0;
	const char *p = *s;
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10u + (unsigned)(*p - '0');
		if (v > 65535u)
			return false;
	}
	if (v == 0)
		return false;
	*port = (uint16_t)v;
	*s = p;
	return true;
}

bool notw_parse_port_range(const char *text, struct notw_port_range *out)
{
	struct notw_port_range r = { 0, 0 };
	const char *s = text;
	out->lo = out->hi = 0;
	if (s == NULL || !read_port(&s, &r.lo))
		return false;
	if (*s != ' ' && *s != '\t')
		return false;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!read_port(&s, &r.hi) || r.hi < r.lo)
		return false;
	if (*s == '\n')
		s++;
	if (*s != '\0')
		return false;
	*out = r;
	return true;
}
