/* What a socket on a port is, and whether destroying it is safe: the one
 * classifier of every socket on a port (leftovers of closed processes and
 * sockets of live ones), shared by the library's bind() recovery
 * and the notw command (status, reap).
 *
 * Pure: it reads fields the caller decoded from one sock_diag answer and
 * returns static text; no allocation, no system call, no stdio. */
#ifndef NOTW_PORT_SOCKET_H
#define NOTW_PORT_SOCKET_H

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stdint.h>

/* TCP states (include/net/tcp_states.h): not all are in the uapi headers. */
enum notw_tcp_state {
	NOTW_TCP_ESTABLISHED = 1,
	NOTW_TCP_SYN_SENT = 2,
	NOTW_TCP_SYN_RECV = 3,
	NOTW_TCP_FIN_WAIT1 = 4,
	NOTW_TCP_FIN_WAIT2 = 5,
	NOTW_TCP_TIME_WAIT = 6,
	NOTW_TCP_CLOSE = 7,
	NOTW_TCP_CLOSE_WAIT = 8,
	NOTW_TCP_LAST_ACK = 9,
	NOTW_TCP_LISTEN = 10,
	NOTW_TCP_CLOSING = 11,
	NOTW_TCP_NEW_SYN_RECV = 12,
	NOTW_TCP_BOUND_INACTIVE = 13, /* bound, not listening: dumped since Linux 6.8 */
};
#define NOTW_DIAG_TIMER_TIMEWAIT 3 /* idiag_timer of a timewait mini-socket */

/* The fields of one sock_diag answer (struct inet_diag_msg) it reads. */
struct notw_port_socket_facts {
	uint8_t state;        /* idiag_state, in the kernel's TCP_* numbering */
	uint8_t timer;        /* idiag_timer: 3 for a timewait mini-socket */
	uint32_t inode;       /* idiag_inode: 0 when no process holds the socket */
	uint32_t wqueue;      /* idiag_wqueue: bytes sent and not acknowledged */
	uint16_t local_port;  /* host order */
	uint16_t remote_port; /* host order; 0 for listeners and bound sockets */
};

/* The ephemeral ports (net.ipv4.ip_local_port_range); {0, 0}: unknown. */
struct notw_port_range {
	uint16_t lo, hi;
};

enum notw_port_socket_kind {
	/* Leftovers: no process holds them; the kernel frees them by itself. */
	NOTW_PORT_SOCKET_TIMEWAIT,   /* TIME-WAIT mini-socket: carries nothing */
	NOTW_PORT_SOCKET_FIN_WAIT2,  /* FIN-WAIT-2 (mini-socket or orphan): the peer
	                           * acknowledged every byte and the FIN */
	NOTW_PORT_SOCKET_CLOSING,    /* FIN-WAIT-1, CLOSING, LAST-ACK orphan whose
	                           * data the peer acknowledged: only the FIN is
	                           * in flight */
	NOTW_PORT_SOCKET_DRAINING,   /* ... still sending data the peer has not
	                           * acknowledged: destroying it loses that data */
	/* Sockets of live processes. */
	NOTW_PORT_SOCKET_LISTENER,   /* a listener */
	NOTW_PORT_SOCKET_BOUND,      /* bound, not listening (yet) */
	NOTW_PORT_SOCKET_PENDING,    /* a connection in a listener's accept queue */
	NOTW_PORT_SOCKET_CONNECTION, /* a connection a process holds */
	NOTW_PORT_SOCKET_KINDS
};

/* Which end opened the connection, guessed from the ephemeral port range
 * (the kernel does not say): an outgoing connection has an ephemeral local
 * port, so a client's socket merely shares the port number with a server. */
enum notw_port_socket_origin {
	NOTW_ORIGIN_UNKNOWN,  /* both or neither port ephemeral, or no range */
	NOTW_ORIGIN_ACCEPTED, /* accepted on this port: a server's connection */
	NOTW_ORIGIN_OUTGOING, /* a client's, with this as its ephemeral port */
};

struct notw_leftover {
	enum notw_port_socket_kind kind;
	enum notw_port_socket_origin origin;
	bool leftover;        /* no process holds it; it goes by itself */
	bool safe_to_destroy; /* SOCK_DESTROY loses nothing the peer has not
	                       * acknowledged, and no live process owns it */
	uint32_t unacked;     /* data bytes the peer has not acknowledged */
	const char *reason;   /* static, one line: what it is, why (not) safe */
};

/* The facts of one sock_diag answer. */
void notw_port_socket_facts_from_diag(const struct inet_diag_msg *m, struct notw_port_socket_facts *f);

/* Classify one socket. ephemeral may be NULL (origin stays unknown). */
void notw_port_socket_classify(const struct notw_port_socket_facts *f, const struct notw_port_range *ephemeral,
			    struct notw_leftover *out);

/* Stable one-word names ("timewait", "fin-wait-2", "closing", "draining",
 * "listener", "bound", "pending", "connection"), for JSON and tests. */
const char *notw_port_socket_kind_name(enum notw_port_socket_kind kind);

/* Words for a count of them: "timewait socket(s)", "closing socket(s) still
 * sending data"... */
const char *notw_port_socket_kind_words(enum notw_port_socket_kind kind);

/* "accepted", "outgoing", "unknown". */
const char *notw_port_socket_origin_name(enum notw_port_socket_origin origin);

/* ss(8)'s spelling of a TCP state ("ESTAB", "FIN-WAIT-1", "TIME-WAIT"...);
 * "?" for a number it does not know. */
const char *notw_tcp_state_name(unsigned state);

/* Reads the text of /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999\n").
 * Returns false (and leaves *out {0, 0}) for anything else. */
bool notw_parse_port_range(const char *text, struct notw_port_range *out);

#endif
