/* Would a bind to an address succeed now? Tried for real, for an instant. */
#ifndef NOTW_CLI_BIND_PROBE_H
#define NOTW_CLI_BIND_PROBE_H

#include "port_arg.h"

#include <stdbool.h>
#include <stddef.h>

/* Binds a new TCP socket to a's address (with SO_REUSEADDR when reuse)
 * and closes it at once; writes "ok", the errno's name ("EADDRINUSE"), or
 * "unknown" into out. Made with raw system calls: when libnotw is loaded
 * into this process (notw enable puts it into every program), its bind()
 * hook would otherwise set SO_REUSEADDR, and destroy leftovers to let the
 * bind through, and the answer would be about the library, not the port. */
void bind_probe(const struct port_arg *a, bool reuse, char *out, size_t cap);

#endif
