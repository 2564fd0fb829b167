/* What holds a TCP port, from the kernel's socket diagnostics
 * (NETLINK_SOCK_DIAG), and destroying timewait sockets (SOCK_DESTROY).
 * No allocation: every buffer is on the stack and bounded. */
#ifndef NOTW_SOCKDIAG_H
#define NOTW_SOCKDIAG_H

#include "inetaddr.h"
#include "port_socket.h"

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Leftovers kept per scan; a port with more is handled in rounds. */
#define NOTW_SCAN_MAX 32

/* One leftover to destroy: what a SOCK_DESTROY request names, and what
 * the report counts it as. */
struct notw_tw_sock {
	uint8_t family;
	uint8_t kind;       /* enum notw_port_socket_kind */
	uint8_t origin;     /* enum notw_port_socket_origin */
	struct inet_diag_sockid id;
};

/* The sockets that conflict with one bind() under the kernel's rules
 * (wildcard against specific addresses, IPv4-mapped IPv6), classified by
 * port_socket.c. */
struct notw_port_scan {
	int listeners;            /* live listeners */
	int timewait;             /* leftovers (no process holds them): timewait
	                           * mini-sockets (both sub-states) and orphans
	                           * (closing sockets), draining ones included */
	int orphans;              /* ... of which orphans (full closing sockets) */
	int draining;             /* ... of which still sending data the peer has
	                           * not acknowledged: never destroyed */
	uint64_t draining_bytes;  /* that data, in bytes */
	int outgoing;             /* ... of which a client's: outgoing connections
	                           * that had this port as their ephemeral port */
	int others;               /* anything else bound to the port: bound,
	                           * pending or live connections */
	uint32_t listener_inode;  /* of the first listener, to name its process */
	uint32_t longest_ms;      /* remaining time of the longest-lived leftover */
	int kept;                 /* leftovers safe to destroy stored in tw[] */
	int safe;                 /* leftovers safe to destroy, kept or not */
	struct notw_tw_sock tw[NOTW_SCAN_MAX];
};

/* TCP states to list (bit 1 << state). Bound sockets that are not
 * listening make the kernel walk its whole bind table, which costs more
 * than everything else together: ask for them only when needed. */
#define NOTW_STATES_TIMEWAIT ((1u << 5) | (1u << 6))  /* FIN-WAIT-2, TIME-WAIT */
#define NOTW_STATES_BOUND (1u << 13)                 /* bound, not listening */
#define NOTW_STATES_ALL 0xffffffffu
#define NOTW_STATES_CONNECTED (NOTW_STATES_ALL & ~NOTW_STATES_BOUND)

/* Calls fn for every TCP socket (IPv4 and IPv6, timewait mini-sockets
 * included) in one of the states whose local port is port. Returns 0, or
 * an errno. */
typedef void (*notw_diag_fn)(const struct inet_diag_msg *m, bool v6only, void *ctx);
int notw_list_port(uint16_t port, uint32_t states, notw_diag_fn fn, void *ctx);

/* Is the very socket id names (its cookie included: a new connection
 * on the same four-tuple is another socket) still there? 0 and its
 * description in *out, ENOENT when it is gone or replaced, or an errno. */
int notw_diag_find_socket(uint8_t family, const struct inet_diag_sockid *id, struct inet_diag_msg *out);

/* Is m a timewait mini-socket (TIME-WAIT or FIN-WAIT-2 sub-state)? */
bool notw_diag_is_timewait(const struct inet_diag_msg *m);

/* A bind() address as the conflict rules look at it, read once. */
struct notw_bind_target {
	struct notw_inet_addr addr;
	bool v6only;        /* an IPv6 socket that does not take IPv4 */
};

/* Does the socket m conflict with a bind to t under the kernel's rules
 * for addresses (the options of both sockets aside)? */
bool notw_diag_conflicts(const struct notw_bind_target *t, const struct inet_diag_msg *m, bool m_v6only);

/* Destroy n (at most NOTW_SCAN_MAX) sockets in one request; results[i] is
 * the kernel's answer for tw[i]: 0, or an errno (ENOENT: already gone).
 * Returns 0, or the errno that kept the request from being made. */
int notw_destroy_batch(const struct notw_tw_sock *tw, int n, int results[]);

/* Scan the sockets on the port of t. Returns 0, or an errno (EINVAL for
 * port 0). */
int notw_scan_port(const struct notw_bind_target *t, struct notw_port_scan *out);

/* Destroy the leftovers stored in scan (only those port_socket.c calls safe to
 * destroy are stored). Returns how many the kernel destroyed and adds them
 * to *tally (a client's in tally->outgoing, the others by kind); *err is
 * 0, or the errno of the first refusal (EPERM without CAP_NET_ADMIN,
 * EOPNOTSUPP on kernels before 6.0 or without CONFIG_INET_DIAG_DESTROY).
 * A socket already gone counts as destroyed. */
struct notw_reap_tally {
	int by_kind[NOTW_PORT_SOCKET_KINDS]; /* not outgoing */
	int outgoing;             /* a client's (outgoing connections) */
};
int notw_destroy_timewait(const struct notw_port_scan *scan, struct notw_reap_tally *tally, int *err);

/* net.ipv4.ip_local_port_range of this network namespace, read from /proc
 * (raw system calls); 0, or an errno (then *out is {0, 0}). */
int notw_read_ephemeral_range(struct notw_port_range *out);

#endif
