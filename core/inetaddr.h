/* The one reader of AF_INET and AF_INET6 socket addresses: the bind()
 * hook, the recovery path, the log's %A, the conflict rules and the notw
 * command read a struct sockaddr through it, once. */
#ifndef NOTW_INETADDR_H
#define NOTW_INETADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct notw_inet_addr {
	int family;          /* AF_INET or AF_INET6, as given */
	uint16_t port;
	bool v4;             /* an IPv4 address: AF_INET, or IPv4-mapped IPv6 */
	bool wildcard;       /* 0.0.0.0, :: or ::ffff:0.0.0.0 */
	uint32_t v4addr;     /* network order, when v4 */
	uint8_t v6addr[16];  /* the IPv6 address as given (AF_INET6) */
};

/* False for anything but an AF_INET or AF_INET6 address that len covers
 * (the kernel takes the older 24-byte IPv6 size too). The family is read
 * only once len says it is there. */
bool notw_inet_addr_read(const struct sockaddr *sa, socklen_t len, struct notw_inet_addr *out);

/* Port of an AF_INET/AF_INET6 address, checked against len; -1 otherwise. */
int notw_sockaddr_port(const struct sockaddr *sa, socklen_t len);

/* ::ffff:a.b.c.d */
bool notw_is_v4mapped(const void *addr16);
/* :: */
bool notw_is_in6_any(const void *addr16);

#endif
