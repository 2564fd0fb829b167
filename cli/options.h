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

/* After a usage error's own line: where the whole usage is (the help is
 * not repeated on stderr: the line that says what was wrong would scroll
 * away). cmd NULL: notw itself. */
void try_help(const char *cmd);

#endif
