/* notw reap's reset method (reset.c): for timewait sockets SOCK_DESTROY
 * may not destroy. */
#ifndef NOTW_CLI_RESET_H
#define NOTW_CLI_RESET_H

#include <linux/inet_diag.h>
#include <stdint.h>

struct notw_reset {
	int send_v4, send_v6;  /* raw sockets that write their own IP header */
	int capture;           /* a packet socket that reads the answers */
	int unusable;          /* why the method cannot run here (an errno), 0 if it can */
	const char *why;
};

/* Opens what the method needs in the current network namespace; never
 * fails as such: see notw_reset_unusable(). */
struct notw_reset *notw_reset_open(struct notw_reset *r);
/* Why the method cannot run here (and *err), or NULL when it can. */
const char *notw_reset_unusable(const struct notw_reset *r, int *err);
void notw_reset_close(struct notw_reset *r);

/* Send the reset for one timewait socket: 0 when it was sent (whether the
 * socket is gone, only a new listing can tell), else an errno value
 * (ETIMEDOUT: the socket did not answer). */
int notw_reset_timewait(struct notw_reset *r, uint8_t family, const struct inet_diag_sockid *id);

#endif
