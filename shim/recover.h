/* Recovery when bind() finds a managed port taken (EADDRINUSE). */
#ifndef NOTW_RECOVER_H
#define NOTW_RECOVER_H

#include "inetaddr.h"
#include <stdbool.h>
#include <sys/socket.h>

/* How long bind() waits, when NOTW_WAIT is 0, for leftovers that still send
 * data their peers have not acknowledged (FIN-WAIT-1, CLOSING, LAST-ACK
 * orphans): they are never destroyed. NOTW_WAIT, when set, bounds it instead. */
#define NOTW_DRAIN_WAIT_S 5u

/* Works out what holds the port (port_socket.c classifies each socket) and
 * acts on it:
 *  - a live listener or another socket of a live process: nothing, one
 *    warning naming it;
 *  - only leftovers: SO_REUSEADDR and one more bind (gets past leftovers of
 *    a generation that had it); then, for leftovers of a process without
 *    it, SOCK_DESTROY on those that carry no unacknowledged data (NOTW_REAP)
 *    after waiting, at most NOTW_WAIT or NOTW_DRAIN_WAIT_S, for those that
 *    still send data; or waiting for their timers (NOTW_WAIT); else one
 *    warning saying what they are and when the port frees itself.
 * target: addr as read once by the bind() hook; domain: the socket's.
 * may_set_reuse: the policy lets the library set SO_REUSEADDR on fd.
 * Returns the result of the last bind() (0 or -1); *err is its errno and
 * *reuse_set says whether SO_REUSEADDR was set. */
int notw_recover_bind(int fd, const struct sockaddr *addr, socklen_t len, const struct notw_inet_addr *target,
		      int domain, bool may_set_reuse, bool *reuse_set, int *err);

#endif
