/* notw reap's reset method (reset.c): for timewait sockets SOCK_DESTROY
 * may not destroy. */
#ifndef NOTW_CLI_RESET_H
#define NOTW_CLI_RESET_H

#include <linux/inet_diag.h>
#include <stdbool.h>
#include <stdint.h>

struct notw_reset {
	int send_v4, send_v6;  /* raw sockets that write their own IP header */
	int capture;           /* a packet socket that reads the answers */
	int unusable;          /* why the method cannot run here (an errno), 0 if it can */
	bool rfc1337;          /* net.ipv4.tcp_rfc1337 = 1 */
};

/* notw_reset_timewait(): the socket is in TIME-WAIT and tcp_rfc1337 = 1. */
#define NOTW_RESET_RFC1337 (-1)

/* Opens what the method needs in the current network namespace, for
 * sockets on local port port; never fails as such: see
 * notw_reset_unusable(). */
struct notw_reset *notw_reset_open(struct notw_reset *r, uint16_t port);
/* Why the method cannot run here (and *err), or NULL when it can. */
const char *notw_reset_unusable(const struct notw_reset *r, int *err);
void notw_reset_close(struct notw_reset *r);

/* Send the reset for one timewait socket in sub-state state (as
 * inet_diag gives it): 0 when it was sent (whether the socket is gone,
 * only a new listing can tell), NOTW_RESET_RFC1337, or an errno value
 * (ETIMEDOUT: the socket did not answer; ENOENT: it was gone, or replaced
 * by a new connection on its four-tuple, before the reset: none sent). id
 * names the socket with its cookie, as the listing gave it. */
int notw_reset_timewait(struct notw_reset *r, uint8_t family, uint8_t state,
			const struct inet_diag_sockid *id);

/* Why a socket is still there after notw_reset_timewait() returned rc. */
const char *notw_reset_cause(int rc);

#endif
