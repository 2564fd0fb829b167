/* Recovery when bind() finds a managed port taken (EADDRINUSE). */
#ifndef NOTW_RECOVER_H
#define NOTW_RECOVER_H

#include <stdbool.h>
#include <sys/socket.h>

/* Set SO_REUSEADDR on fd to on (1) or off (0); returns 0 or the errno. */
int notw_set_reuseaddr(int fd, int on);

/* Works out what holds the port and acts on it:
 *  - a live listener or another bound socket: nothing, one warning naming it;
 *  - only timewait sockets: SO_REUSEADDR and one more bind (gets past
 *    leftovers of a generation that had it); then, for leftovers of a
 *    process without it, SOCK_DESTROY (NOTW_REAP) or waiting for their
 *    timers (NOTW_WAIT), else one warning saying when the port frees itself.
 * may_set_reuse: the policy lets the library set SO_REUSEADDR on fd.
 * Returns the result of the last bind() (0 or -1); *err is its errno and
 * *reuse_set says whether SO_REUSEADDR was set. */
int notw_recover_bind(int fd, const struct sockaddr *addr, socklen_t len, int domain,
		      bool may_set_reuse, bool *reuse_set, int *err);

#endif
