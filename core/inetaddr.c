/* The one reader of AF_INET and AF_INET6 socket addresses (inetaddr.h). */
#include "inetaddr.h"

#include <netinet/in.h>
#include <string.h>

/* The kernel accepts an IPv6 address of the older 24-byte size (RFC 2133,
 * without sin6_scope_id), so that is the least to read. */
#define SIN6_LEN_RFC2133 24u

bool notw_is_v4mapped(const void *addr16)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(addr16, prefix, sizeof prefix) == 0;
}

bool notw_is_in6_any(const void *a)
{
	static const uint8_t zero[16];
	return memcmp(a, zero, sizeof zero) == 0;
}

static void read_in4(const struct sockaddr *sa, struct notw_inet_addr *out)
{
	struct sockaddr_in sin;
	memcpy(&sin, sa, sizeof sin);
	out->family = AF_INET;
	out->port = ntohs(sin.sin_port);
	out->v4 = true;
	out->v4addr = sin.sin_addr.s_addr;
	out->wildcard = sin.sin_addr.s_addr == htonl(INADDR_ANY);
}

static void read_in6(const struct sockaddr *sa, socklen_t len, struct notw_inet_addr *out)
{
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof sin6);
	memcpy(&sin6, sa, len < sizeof sin6 ? len : sizeof sin6);
	out->family = AF_INET6;
	out->port = ntohs(sin6.sin6_port);
	memcpy(out->v6addr, &sin6.sin6_addr, sizeof out->v6addr);
	out->v4 = notw_is_v4mapped(out->v6addr);
	if (out->v4) {
		memcpy(&out->v4addr, out->v6addr + 12, sizeof out->v4addr);
		out->wildcard = out->v4addr == htonl(INADDR_ANY);
	} else {
		out->wildcard = notw_is_in6_any(out->v6addr);
	}
}

bool notw_inet_addr_read(const struct sockaddr *sa, socklen_t len, struct notw_inet_addr *out)
{
	memset(out, 0, sizeof *out);
	if (sa == NULL)
		return false;
	if (len >= (socklen_t)sizeof(struct sockaddr_in) && sa->sa_family == AF_INET) {
		read_in4(sa, out);
		return true;
	}
	if (len >= SIN6_LEN_RFC2133 && sa->sa_family == AF_INET6) {
		read_in6(sa, len, out);
		return true;
	}
	return false;
}

int notw_sockaddr_port(const struct sockaddr *sa, socklen_t len)
{
	struct notw_inet_addr a;
	return notw_inet_addr_read(sa, len, &a) ? a.port : -1;
}
