/* The PORT, ADDR:PORT or [ADDR6]:PORT argument of status and reap (port_arg.h). */
#include "port_arg.h"

#include "fmt.h"
#include "say.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_port_number(const char *text, unsigned *port)
{
	char *end = NULL;
	errno = 0;
	unsigned long p = strtoul(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || p == 0 || p > 65535 || text[0] == '-' || text[0] == '+')
		return false;
	*port = (unsigned)p;
	return true;
}

/* host is "", "a.b.c.d" or "[v6]". */
static bool parse_host(char *host, unsigned port, struct port_arg *a)
{
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a->addr;
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return false;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		a->len = sizeof *a6;
		return true;
	}
	struct sockaddr_in *a4 = (struct sockaddr_in *)&a->addr;
	if (hl > 0 && inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		return false;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)port);
	a->len = sizeof *a4;
	return true;
}

/* "localhost", "db.example": a letter outside brackets, where an IPv4
 * address has none. */
static bool names_a_host(const char *host)
{
	if (host[0] == '[')
		return false;
	for (const char *c = host; *c != '\0'; c++)
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))
			return true;
	return false;
}

bool parse_port_arg(const char *text, struct port_arg *a)
{
	char host[INET6_ADDRSTRLEN + 2] = "";
	const char *port_text = text;
	const char *colon = strrchr(text, ':');
	memset(a, 0, sizeof *a);
	if (colon != NULL) {
		size_t n = (size_t)(colon - text);
		if (n >= sizeof host)
			goto bad;
		memcpy(host, text, n);
		host[n] = '\0';
		port_text = colon + 1;
	}
	a->bare = colon == NULL;
	if (parse_port_number(port_text, &a->port) && parse_host(host, a->port, a))
		return true;
bad:
	if (names_a_host(host))
		say(stderr, "notw: %s: host names are not resolved (a name may stand for several addresses, "
				"or none); give an address: 127.0.0.1:PORT, [::1]:PORT, or PORT alone for every "
				"address", text);
	else
		say(stderr, "notw: %s: expected PORT, ADDR:PORT or [ADDR6]:PORT (port 1-65535)", text);
	return false;
}

void port_arg_text(const struct port_arg *a, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_buf_put_sockaddr(&b, (const struct sockaddr *)&a->addr, a->len);
}
