/* The notw command: shared declarations of its subcommands. */
#ifndef NOTW_CLI_H
#define NOTW_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

/* Exit statuses: 0 done (for reap: no timewait socket left), 1 not done,
 * 2 usage error or a program notw refuses to run. */
enum { EXIT_DONE = 0, EXIT_NOT_DONE = 1, EXIT_USAGE = 2 };

int cmd_run(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_reap(int argc, char **argv);

/* PORT or ADDR:PORT ([V6]:PORT): fills addr (wildcard 0.0.0.0 for a bare
 * port) and returns true, or prints why not. */
bool parse_port_arg(const char *arg, struct sockaddr_storage *addr, socklen_t *len, unsigned *port);

/* Enter another network namespace: a name under /run/netns, a path, or a
 * pid. Prints why not and returns false on failure. */
bool enter_netns(const char *spec);

/* "TIME-WAIT" etc. */
const char *tcp_state_name(unsigned state);

/* JSON string with escaping. */
void json_string(FILE *out, const char *s);

#endif
