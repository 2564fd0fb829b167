/* The arguments of status and reap (port_command.h). */
#include "port_command.h"

#include "command.h"
#include "netns.h"
#include "options.h"
#include "say.h"

#include <string.h>

int parse_port_command(const char *cmd, int argc, char **argv, const struct option *long_opts,
		       void (*usage)(FILE *out), struct port_command_args *a)
{
	memset(a, 0, sizeof *a);
	int c;
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			a->json = true;
			break;
		case 'd':
			a->dry_run = true;
			break;
		case 'n':
			a->netns = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_DONE;
		default:
			option_error(cmd, c, argv);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		say(stderr, "notw %s: %s", cmd, optind >= argc ? "which port?" : "one port only");
		try_help(cmd);
		return EXIT_USAGE;
	}
	if (!parse_port_arg(argv[optind], &a->target) || (a->netns != NULL && !enter_netns(a->netns)))
		return EXIT_USAGE;
	return -1;
}
