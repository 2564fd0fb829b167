/* The same messages for every command's option errors (options.h). */
#include "options.h"
#include "say.h"

#include <getopt.h>
#include <stdio.h>

void option_error(const char *cmd, int c, char **argv)
{
	/* optind is past the word that was wrong (for a short option in a
	 * group, still on it: the word is shown whole either way). */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (c == ':')
		say(stderr, "notw %s: %s needs a value", cmd, word);
	else if (optopt != 0 && optopt < 0x80 && word[0] == '-' && word[1] != '-')
		say(stderr, "notw %s: unknown option -%c", cmd, optopt);
	else
		say(stderr, "notw %s: unknown option %s", cmd, word);
	try_help(cmd);
}

void try_help(const char *cmd)
{
	if (cmd == NULL)
		fprintf(stderr, "try 'notw --help'\n");
	else
		say(stderr, "try 'notw %s --help'", cmd);
}
