#include "policy.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

void notw_policy_defaults(struct notw_policy *p)
{
	memset(p, 0, sizeof *p);
	p->reuseaddr = true;
	p->reap = true;
	p->all_ports = true;
	p->log_sink = NOTW_SINK_STDERR;
	p->log_level = NOTW_LEVEL_INFO;
}

bool notw_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "1", "yes", "true" };
	static const char *const no[] = { "off", "0", "no", "false" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* A decimal port 1..65535 at *s; advances *s past it. */
static bool parse_port_number(const char **s, unsigned *out)
{
	const char *p = *s;
	unsigned v = 0;
	if (*p < '0' || *p > '9')
		return false;
	while (*p >= '0' && *p <= '9') {
		v = v * 10u + (unsigned)(*p - '0');
		if (v > 65535u)
			return false;
		p++;
	}
	if (v == 0)
		return false;
	*s = p;
	*out = v;
	return true;
}

/* Walk the list; with bits != NULL, set the bits of each item. */
static bool walk_ports(const char *s, uint64_t *bits, const char **reason)
{
	const char *p = s;
	for (;;) {
		unsigned lo, hi;
		while (is_space(*p))
			p++;
		if (!parse_port_number(&p, &lo)) {
			*reason = "expected a port number from 1 to 65535";
			return false;
		}
		hi = lo;
		while (is_space(*p))
			p++;
		if (*p == '-') {
			p++;
			while (is_space(*p))
				p++;
			if (!parse_port_number(&p, &hi)) {
				*reason = "expected a port number from 1 to 65535 after '-'";
				return false;
			}
			if (hi < lo) {
				*reason = "a range must go from the lower port to the higher";
				return false;
			}
			while (is_space(*p))
				p++;
		}
		if (bits != NULL)
			for (unsigned port = lo; port <= hi; port++)
				bits[port / 64u] |= (uint64_t)1 << (port % 64u);
		if (*p == '\0')
			return true;
		if (*p != ',') {
			*reason = "expected ',' between items";
			return false;
		}
		p++;
	}
}

static bool is_blank(const char *s)
{
	while (is_space(*s))
		s++;
	return *s == '\0';
}

bool notw_parse_ports(const char *s, struct notw_policy *p, const char **reason)
{
	if (is_blank(s)) {
		p->all_ports = true;
		memset(p->ports, 0, sizeof p->ports);
		return true;
	}
	if (!walk_ports(s, NULL, reason))
		return false;
	memset(p->ports, 0, sizeof p->ports);
	walk_ports(s, p->ports, reason);
	p->all_ports = false;
	return true;
}

bool notw_parse_log_dest(const char *s, enum notw_sink *sink, char *path, size_t path_cap,
			 const char **reason)
{
	if (strcasecmp(s, "stderr") == 0) {
		*sink = NOTW_SINK_STDERR;
	} else if (strcasecmp(s, "syslog") == 0) {
		*sink = NOTW_SINK_SYSLOG;
	} else if (strcasecmp(s, "none") == 0) {
		*sink = NOTW_SINK_NONE;
	} else if (strncmp(s, "file:", 5) == 0) {
		size_t n = strlen(s + 5);
		if (n == 0) {
			*reason = "file: needs a path";
			return false;
		}
		if (n >= path_cap) {
			*reason = "the path is too long";
			return false;
		}
		memcpy(path, s + 5, n + 1);
		*sink = NOTW_SINK_FILE;
	} else {
		*reason = "expected stderr, syslog, none or file:PATH";
		return false;
	}
	return true;
}

bool notw_parse_wait(const char *s, unsigned *out)
{
	unsigned v = 0;
	if (*s == '\0')
		return false;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10u + (unsigned)(*p - '0');
		if (v > 600u)
			return false;
	}
	*out = v;
	return true;
}

static const char *const linger_names[] = { "off", "crash", "exit", "always" };

bool notw_parse_linger(const char *s, enum notw_linger *out)
{
	for (size_t i = 0; i < sizeof linger_names / sizeof linger_names[0]; i++) {
		if (strcasecmp(s, linger_names[i]) == 0) {
			*out = (enum notw_linger)i;
			return true;
		}
	}
	return false;
}

const char *notw_linger_name(enum notw_linger mode)
{
	return (unsigned)mode < sizeof linger_names / sizeof linger_names[0] ? linger_names[mode] : "?";
}

bool notw_parse_level(const char *s, enum notw_level *out)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*out = (enum notw_level)i;
			return true;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*out = NOTW_LEVEL_WARN;
		return true;
	}
	return false;
}

static void add_diag(struct notw_diag *diags, int max, int *n, const char *name,
		     const char *value, const char *reason)
{
	if (*n >= max)
		return;
	struct notw_diag *d = &diags[*n];
	size_t len = strnlen(value, sizeof d->value - 1);
	d->name = name;
	memcpy(d->value, value, len);
	d->value[len] = '\0';
	d->reason = reason;
	(*n)++;
}

int notw_policy_apply_env(struct notw_policy *p, notw_getenv_fn get, struct notw_diag *diags,
			  int max)
{
	int n = 0;
	const char *v;
	const char *reason = NULL;

	if ((v = get("NOTW_LOG")) != NULL &&
	    !notw_parse_log_dest(v, &p->log_sink, p->log_path, sizeof p->log_path, &reason))
		add_diag(diags, max, &n, "NOTW_LOG", v, reason);
	if ((v = get("NOTW_LOG_LEVEL")) != NULL && !notw_parse_level(v, &p->log_level))
		add_diag(diags, max, &n, "NOTW_LOG_LEVEL", v, "expected error, warn, info or debug");
	if ((v = get("NOTW_REUSEADDR")) != NULL && !notw_parse_bool(v, &p->reuseaddr))
		add_diag(diags, max, &n, "NOTW_REUSEADDR", v,
			 "expected on or off (1/0, yes/no, true/false)");
	if ((v = get("NOTW_LINGER")) != NULL && !notw_parse_linger(v, &p->linger))
		add_diag(diags, max, &n, "NOTW_LINGER", v, "expected off, crash, exit or always");
	if ((v = get("NOTW_REAP")) != NULL && !notw_parse_bool(v, &p->reap))
		add_diag(diags, max, &n, "NOTW_REAP", v, "expected on or off (1/0, yes/no, true/false)");
	if ((v = get("NOTW_WAIT")) != NULL && !notw_parse_wait(v, &p->wait_seconds))
		add_diag(diags, max, &n, "NOTW_WAIT", v, "expected a number of seconds from 0 to 600");
	if ((v = get("NOTW_PORTS")) != NULL && !notw_parse_ports(v, p, &reason))
		add_diag(diags, max, &n, "NOTW_PORTS", v, reason);
	return n;
}
