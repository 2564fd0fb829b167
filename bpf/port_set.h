/* The --ports LIST of notw attach, as the bit set the bind programs read:
 * the library's own parser (NOTW_PORTS), and the set back as text. */
#ifndef NOTW_CLI_PORT_SET_H
#define NOTW_CLI_PORT_SET_H

#include "notw_bind.h"

#include <stdbool.h>
#include <stddef.h>

/* "49200,8000-8100" (NOTW_PORTS' syntax); NULL or "" means every port.
 * False with *reason set when the list is invalid. */
bool port_set_parse(const char *list, struct notw_bind_ports *set, const char **reason);

/* "all", "none" or "8000-8100,49200" (ascending); "..." ends a text cut
 * short by cap. */
void port_set_text(const struct notw_bind_ports *set, char *out, size_t cap);

#endif
