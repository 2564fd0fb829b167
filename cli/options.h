/* What every command does with getopt_long(): the same messages for an
 * unknown option and a missing value. */
#ifndef NOTW_CLI_OPTIONS_H
#define NOTW_CLI_OPTIONS_H

/* The optstring prefix every command uses: ':' (a missing value is told
 * apart from an unknown option, and getopt prints nothing itself). */
#define OPTS_QUIET ":"

/* getopt_long() returned '?' or ':': says which option was wrong, for
 * "notw CMD". */
void option_error(const char *cmd, int c, char **argv);

#endif
