/* Every TCP socket on one local port, as the kernel lists them, for status
 * and reap. */
#ifndef NOTW_CLI_PORT_LISTING_H
#define NOTW_CLI_PORT_LISTING_H

#include "port_socket.h"
#include "owner.h"
#include "port_arg.h"

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_LISTED 4096

struct listed {
	struct inet_diag_msg m;
	bool v6only;
	bool conflicts;            /* with a bind to the address asked about */
	struct notw_leftover what; /* the one classifier's verdict */
	struct socket_owner owner; /* filled by listing_find_owners() */
};

struct listing {
	struct listed *items;
	int n;
	int dropped; /* sockets past MAX_LISTED */
};

/* Lists the sockets in states (NOTW_STATES_*) on a's port, each
 * classified. Returns false after saying why. */
bool list_port(const struct port_arg *a, uint32_t states, struct listing *l);
void listing_free(struct listing *l);

/* Fills each item's owner, from /proc. */
void listing_find_owners(struct listing *l);

/* "127.0.0.1:49200", "[::1]:49200": a socket's local or remote end. */
void endpoint_text(char *out, size_t cap, uint8_t family, const uint32_t addr[4], uint16_t port_be);
void local_end_text(const struct inet_diag_msg *m, char *out, size_t cap);
void remote_end_text(const struct inet_diag_msg *m, char *out, size_t cap);

/* Both ends equal: the same connection. */
bool same_socket(const struct inet_diag_msg *a, const struct inet_diag_msg *b);

#endif
