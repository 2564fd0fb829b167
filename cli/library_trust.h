/* notw enable puts a library into every program, root's and set-id ones
 * included: only root may be able to replace it. */
#ifndef NOTW_CLI_LIBRARY_TRUST_H
#define NOTW_CLI_LIBRARY_TRUST_H

#include <stdbool.h>

/* True when root owns the library and every directory on its path (as
 * written, and where its symbolic links lead), none of them is writable
 * by group or others (sticky directories included), and others can read
 * the file and search the directories (or every other user's program would
 * start with a loader error). Otherwise says why on stderr. root_fd is the
 * --root directory (-1: this system) and root its text for messages; the
 * walk stops at it. */
bool library_trusted(int root_fd, const char *root, const char *library);

#endif
