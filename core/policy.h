/* The policy: what the library does, and to which ports; each kind of
 * value a setting takes, and how it is read and written. Pure (no I/O, no
 * allocation) so the tests can drive it directly; the caller logs the
 * diagnostics. The settings themselves are listed in settings.h. */
#ifndef NOTW_POLICY_H
#define NOTW_POLICY_H

#include "log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A port list holds at most this many ranges once those that overlap or
 * touch are joined ("80,81,82" is one range): a longer list is refused. */
#define NOTW_PORT_RANGES_MAX 64

/* What happens to connections when they close (NOTW_LINGER). */
enum notw_linger {
	NOTW_LINGER_OFF = 0,  /* SO_LINGER is never touched */
	NOTW_LINGER_CRASH,    /* reset when the process is killed by a signal */
	NOTW_LINGER_EXIT,     /* ... and at a normal exit */
	NOTW_LINGER_ALWAYS,   /* every close resets, the program's own included */
};

struct notw_port_span {
	uint16_t lo, hi;                   /* lo <= hi, both in 1..65535 */
};

/* The ports the library acts on: all of them, or the ports of count
 * ranges, sorted, none overlapping or touching another. */
struct notw_port_set {
	bool all;                          /* NOTW_PORTS empty or unset; count is 0 */
	uint8_t count;
	struct notw_port_span range[NOTW_PORT_RANGES_MAX];
};

/* Where the log goes. */
struct notw_log_dest {
	enum notw_sink sink;
	char path[NOTW_LOG_PATH_MAX];      /* NOTW_SINK_FILE */
};

struct notw_policy {
	bool enabled;                      /* off: every call passes straight through */
	bool reuseaddr;
	enum notw_linger linger;
	bool linger_outgoing;              /* crash/exit: arm outgoing connections too */
	bool reap;                         /* destroy blocking timewait sockets */
	unsigned wait_seconds;             /* or wait for them, at most this long */
	struct notw_port_set ports;
	enum notw_level log_level;
	struct notw_log_dest log;          /* last: the path is big and seldom read */
};

/* The policy in force in this process: filled once by notw_policy_load()
 * (policy_load.c) before any hook acts on it, read-only after that. */
extern struct notw_policy notw_active_policy;

/* Every field its default. Only what is read is written: the first byte of
 * the log path, and of the port ranges nothing (there are none). */
void notw_policy_defaults(struct notw_policy *p);

/* on/off, 1/0, yes/no, true/false, any case. */
bool notw_parse_bool(const char *s, bool *out);
/* "49200,8000-8100", spaces allowed around items; "" means all ports.
 * On failure *set is unchanged and *reason says why; with set NULL, only
 * checks. At most NOTW_PORT_RANGES_MAX ranges, counted as the list is
 * read, each item joined with those before it that it overlaps or touches. */
bool notw_parse_ports(const char *s, struct notw_port_set *set, const char **reason);
/* stderr | syslog | none | file:PATH */
bool notw_parse_log_dest(const char *s, enum notw_sink *sink, char *path, size_t path_cap,
			 const char **reason);
/* a whole number of seconds, 0..600 */
bool notw_parse_wait(const char *s, unsigned *out);
/* off | crash | exit | always */
bool notw_parse_linger(const char *s, enum notw_linger *out);
const char *notw_linger_name(enum notw_linger mode);
/* error | warn | info | debug */
bool notw_parse_level(const char *s, enum notw_level *out);
const char *notw_level_name(enum notw_level level);

/* Called at every bind and accepted connection: the ranges are sorted, so
 * the first one that ends at or after port decides. */
static inline bool notw_policy_port_matches(const struct notw_policy *p, unsigned port)
{
	const struct notw_port_set *set = &p->ports;
	if (set->all)
		return port <= 65535u;
	for (unsigned i = 0; i < set->count; i++)
		if (port <= set->range[i].hi)
			return port >= set->range[i].lo;
	return false;
}

/* How one kind of value is read and written, the same for every setting
 * of that kind. */
struct notw_buf;
struct notw_value_kind {
	/* Read text into *value, or only check it when value is NULL. NULL
	 * when it is valid, else why not (*value is then unchanged). */
	const char *(*parse)(void *value, const char *text);
	/* *value as it is written, so that parse() reads it back. */
	void (*print)(const void *value, struct notw_buf *b);
	const char *metavar;     /* for notw run's usage: "on|off", "LIST" */
	const char *when_empty;  /* shown for a value written as "", or NULL */
};

extern const struct notw_value_kind notw_kind_bool;      /* bool: on | off */
extern const struct notw_value_kind notw_kind_linger;    /* enum notw_linger */
extern const struct notw_value_kind notw_kind_seconds;   /* unsigned, 0..600 */
extern const struct notw_value_kind notw_kind_ports;     /* struct notw_port_set */
extern const struct notw_value_kind notw_kind_log_dest;  /* struct notw_log_dest */
extern const struct notw_value_kind notw_kind_level;     /* enum notw_level */

#endif
