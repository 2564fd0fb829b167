/* The PORT, ADDR:PORT or [ADDR6]:PORT argument of status and reap. */
#ifndef NOTW_CLI_PORT_ARG_H
#define NOTW_CLI_PORT_ARG_H

#include <stdbool.h>
#include <sys/socket.h>

struct port_arg {
	struct sockaddr_storage addr; /* 0.0.0.0:PORT for a bare port */
	socklen_t len;
	unsigned port;
	bool bare;                    /* no address given: every address */
};

/* Fills a and returns true, or prints why not. */
bool parse_port_arg(const char *text, struct port_arg *a);

/* "0.0.0.0:49200", "[::1]:49200". */
void port_arg_text(const struct port_arg *a, char *out, size_t cap);

#endif
