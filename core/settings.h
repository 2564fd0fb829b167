/* The settings: one table, NOTW_SETTINGS below, drives everything that
 * names a setting:
 *   - the environment: NOTW_ENABLED=off (notw_policy_apply_env());
 *   - the policy file's keys: "enabled = off" (config.c);
 *   - notw run's options and its usage (cli/run.c);
 *   - notw check-config's printout (cli/check_config.c);
 *   - the library's debug line "ready: enabled=on reuseaddr=on ..."
 *     (policy_load.c).
 *
 * Each entry is
 *   X(ID, key, environment variable, notw run option, kind, field, help)
 * ID names the setting in C (NOTW_SET_ID); the option is NULL when notw
 * run has none; kind is how its value is read and written (policy.h:
 * bool, linger, seconds, ports, log_dest, level), stored in the field of
 * struct notw_policy; help is one line (at most 51 characters) for notw
 * run --help. The order of
 * the entries is the order of check-config's printout, of the debug line
 * and of the environment's diagnostics.
 *
 * Adding a setting
 *   1. Its field in struct notw_policy (policy.h) and its default in
 *      notw_policy_defaults() (policy.c). A new kind of value (say, a
 *      list of addresses) also needs its parse and print functions and
 *      its struct notw_value_kind in policy.c, and its C type below.
 *   2. One entry here. For a boolean "keepalive":
 *        X(KEEPALIVE, "keepalive", "NOTW_KEEPALIVE", "keepalive", bool, keepalive,
 *          "set SO_KEEPALIVE on the connections of listeners")
 *      NOTW_KEEPALIVE, "keepalive = on" in notw.ini, notw run --keepalive
 *      on|off with its line in the usage, check-config's line and the
 *      debug line all follow from it; the code that acts on it reads
 *      notw_active_policy.keepalive.
 *   3. The man pages: libnotw(7) (ENVIRONMENT), notw.ini(5) (KEYS), and
 *      notw(1) (OPTIONS) for its option; a commented line in
 *      config/notw.ini, the key in tests/fuzz/notw.dict, a row of README.md's
 *      settings table, and its option in the bash completion
 *      (config/bash-completion/notw). tests/check-docs.py checks each.
 * The unit tests (tests/unit/test_settings.c) check every entry: a key,
 * a variable, an option, a help line, a default, and that what is
 * printed reads back the same. */
#ifndef NOTW_SETTINGS_H
#define NOTW_SETTINGS_H

#include "policy.h"

#include <stdbool.h>

/* clang-format off */
#define NOTW_SETTINGS(X) \
	X(ENABLED, "enabled", "NOTW_ENABLED", NULL, bool, enabled, \
	  "off: pass every call straight through") \
	X(REUSEADDR, "reuseaddr", "NOTW_REUSEADDR", "reuseaddr", bool, reuseaddr, \
	  "set SO_REUSEADDR on TCP sockets as they bind") \
	X(LINGER, "linger", "NOTW_LINGER", "linger", linger, linger, \
	  "reset connections: at a crash, at exit, or always") \
	X(LINGER_OUTGOING, "linger_outgoing", "NOTW_LINGER_OUTGOING", "linger-outgoing", bool, \
	  linger_outgoing, "with crash or exit: outgoing connections too") \
	X(PORTS, "ports", "NOTW_PORTS", "ports", ports, ports, \
	  "the ports acted on: 49200,8000-8100; empty: all") \
	X(REAP, "reap", "NOTW_REAP", "reap", bool, reap, \
	  "destroy the timewait sockets that block a bind") \
	X(WAIT, "wait", "NOTW_WAIT", "wait", seconds, wait_seconds, \
	  "or wait up to SECS (0..600) for them to expire") \
	X(LOG, "log", "NOTW_LOG", "log", log_dest, log, \
	  "where the log goes: stderr|syslog|none|file:PATH") \
	X(LOG_LEVEL, "log_level", "NOTW_LOG_LEVEL", "log-level", level, log_level, \
	  "what the log says: error|warn|info|debug")
/* clang-format on */

/* The C type of each kind's field, checked against the field's type. */
#define NOTW_KIND_TYPE_bool bool
#define NOTW_KIND_TYPE_linger enum notw_linger
#define NOTW_KIND_TYPE_seconds unsigned
#define NOTW_KIND_TYPE_ports struct notw_port_set
#define NOTW_KIND_TYPE_log_dest struct notw_log_dest
#define NOTW_KIND_TYPE_level enum notw_level

#define NOTW_SETTING_ID(id, key, env, option, kind, field, help) NOTW_SET_##id,
enum notw_setting {
	NOTW_SETTINGS(NOTW_SETTING_ID)
	NOTW_SET_COUNT
};
#undef NOTW_SETTING_ID

/* Room for any setting's value as written: a log file's path, or a port
 * list of NOTW_PORT_RANGES_MAX ranges, and the final NUL. */
#define NOTW_SETTING_TEXT_MAX (sizeof "file:" + NOTW_LOG_PATH_MAX)

const char *notw_setting_key(enum notw_setting s);      /* "log_level" */
const char *notw_setting_env(enum notw_setting s);      /* "NOTW_LOG_LEVEL" */
const char *notw_setting_option(enum notw_setting s);   /* "log-level"; NULL: none */
const char *notw_setting_metavar(enum notw_setting s);  /* "LEVEL" */
const char *notw_setting_help(enum notw_setting s);

/* The setting whose key is name, or -1. */
int notw_setting_by_key(const char *name);

/* Read text as the value of setting s into p; with p NULL, only check it.
 * Returns NULL when it is valid, else why not (p is then unchanged). */
const char *notw_policy_set(struct notw_policy *p, enum notw_setting s, const char *text);

/* p's value of s as it is written ("80,8000-8100", "file:/var/log/notw"),
 * which notw_policy_set() reads back as the same value. */
void notw_setting_print(const struct notw_policy *p, enum notw_setting s, struct notw_buf *b);
/* The same for people: an empty port list is "(all)". */
void notw_setting_show(const struct notw_policy *p, enum notw_setting s, struct notw_buf *b);
/* Every setting as key=value, separated by spaces. */
void notw_settings_describe(const struct notw_policy *p, struct notw_buf *b);

/* a and b hold the same value for every setting (whatever the bytes of
 * what no setting reads, such as a log path with another sink). */
bool notw_policy_same(const struct notw_policy *a, const struct notw_policy *b);

/* One rejected variable: its name, its value as given, and why. */
struct notw_diag {
	const char *name;
	char value[96];
	const char *reason;
};

#define NOTW_DIAG_MAX NOTW_SET_COUNT  /* one per setting at most */

typedef const char *(*notw_getenv_fn)(const char *name);

/* Apply the NOTW_* variables that get() returns on top of p, in the
 * table's order. Each invalid value leaves that setting as it was and
 * adds a diagnostic (up to max). Returns the number of diagnostics. */
int notw_policy_apply_env(struct notw_policy *p, notw_getenv_fn get, struct notw_diag *diags,
			  int max);

#endif
