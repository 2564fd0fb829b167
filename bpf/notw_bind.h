/* What the bind programs (notw_bind.bpf.c) and the notw command share: the
 * layout of the two maps of an attachment. */
#ifndef NOTW_BPF_BIND_H
#define NOTW_BPF_BIND_H

#include <linux/types.h>

/* The ports an attachment manages: bit p of the set is port p. One map
 * element holds the whole set, so that one update switches both programs
 * of an attachment (they share the map) from the old set to the new. */
#define NOTW_BIND_PORT_WORDS 1024u /* 65536 bits */

struct notw_bind_ports {
	__u64 bits[NOTW_BIND_PORT_WORDS];
};

/* The counters map (per CPU), one slot each. */
enum notw_bind_counter {
	NOTW_COUNT_BINDS = 0,  /* every bind() the programs saw */
	NOTW_COUNT_SET,        /* SO_REUSEADDR set by the program */
	NOTW_COUNT_ALREADY,    /* a managed port whose socket had it already */
	NOTW_COUNTERS
};

#endif
