/* The same messages for every command's option errors (options.h). */
#include "options.h"

#include <getopt.h>
#include <stdio.h>

void option_error(const char *cmd, int c, char **argv)
{
	/* optind is past the word that was wrong (for a short option in a
	 * group, still on it: the word is shown whole either way). */
	const char *word = optind > 0 ? argv[optind - 1] : "?";
	if (c == ':')
		fprintf(stderr, "notw %s: %s needs a value\n", cmd, word);
	else if (optopt != 0 && optopt < 0x80 && word[0] == '-' && word[1] != '-')
		fprintf(stderr, "notw %s: unknown option -%c\n", cmd, optopt);
	else
		fprintf(stderr, "notw %s: unknown option %s\n", cmd, word);
	try_help(cmd);
}

void try_help(const char *cmd)
{
	if (cmd == NULL)
		fprintf(stderr, "try 'notw --help'\n");
	else
		fprintf(stderr, "try 'notw %s --help'\n", cmd);
}
