/* Messages with hostile parts (cgroup paths, unit names): formatted with
 * the library's formatter, so no argument can start a line or steer a
 * terminal (%q: printable ASCII as is, anything else as \xNN). */
#ifndef NOTW_CLI_SAY_H
#define NOTW_CLI_SAY_H

#include <stdio.h>

/* One line on out, fmt as notw_buf_format() reads it, a newline added. */
void say(FILE *out, const char *fmt, ...);

/* From now on each line said on stderr also goes to syslog (openlog() is
 * the caller's) with this priority; -1 stops it. For a command whose
 * stderr nobody may read (an OCI hook). */
void say_syslog(int priority);

/* One line for syslog only (openlog() is the caller's), escaped as say()'s. */
void say_to_syslog(int priority, const char *fmt, ...);

#endif
