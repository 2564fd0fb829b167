/* --netns: look at another network namespace. */
#ifndef NOTW_CLI_NETNS_H
#define NOTW_CLI_NETNS_H

#include <stdbool.h>

/* Enter the network namespace spec names: a name under /run/netns, a path,
 * or a pid. Prints why not and returns false on failure; never blocks (a
 * FIFO in its place is refused). */
bool enter_netns(const char *spec);

#endif
