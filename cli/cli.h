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
int cmd_check_config(int argc, char **argv);   /* config.c */
int cmd_enable(int argc, char **argv);         /* preload.c */
int cmd_disable(int argc, char **argv);        /* preload.c */

/* PORT or ADDR:PORT ([V6]:PORT): fills addr (wildcard 0.0.0.0 for a bare
 * port) and returns true, or prints why not. */
bool parse_port_arg(const char *arg, struct sockaddr_storage *addr, socklen_t *len, unsigned *port);

/* Enter another network namespace: a name under /run/netns, a path, or a
 * pid. Prints why not and returns false on failure. */
bool enter_netns(const char *spec);

/* The file execvp() would run for name; false when there is none. */
bool find_in_path(const char *name, char *out, size_t cap);

struct notw_policy;
struct notw_program;
struct notw_config_report;
/* Read the policy file at path and apply it to p for prog, printing each
 * problem on stderr as FILE:LINE: error: ...; returns the number of
 * problems, or -1 when the file cannot be read. */
int load_config_for(const char *path, const struct notw_program *prog, struct notw_policy *p,
		    struct notw_config_report *r);

/* "TIME-WAIT" etc. */
const char *tcp_state_name(unsigned state);

/* JSON string with escaping. */
void json_string(FILE *out, const char *s);

#endif
