/* The arguments of the commands that look at one port (status, reap):
 * options anywhere, then PORT|ADDR:PORT. */
#ifndef NOTW_CLI_PORT_COMMAND_H
#define NOTW_CLI_PORT_COMMAND_H

#include "port_arg.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

struct port_command_args {
	bool json;          /* --json ('j') */
	bool dry_run;       /* --dry-run ('d') */
	const char *netns;  /* --netns NS ('n'), entered once parsed */
	struct port_arg target;
};

/* Parses argv of "notw cmd" with the command's own long_opts (whose vals
 * are among 'j', 'd', 'n', 'h'), prints usage on --help or a mistake, and
 * enters the --netns namespace. Returns -1 to go on, else the exit status. */
int parse_port_command(const char *cmd, int argc, char **argv, const struct option *long_opts,
		       void (*usage)(FILE *out), struct port_command_args *a);

#endif
