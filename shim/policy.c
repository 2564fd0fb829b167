#include "policy.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

void notw_policy_defaults(struct notw_policy *p)
{
	memset(p, 0, sizeof *p);
	p->enabled = true;
	p->reuseaddr = true;
	p->reap = true;
	p->ports.all = true;
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

/* Add lo..hi to set, joined with the ranges it overlaps or touches; false
 * when it joins none and set is full. */
static bool add_port_range(struct notw_port_set *set, unsigned lo, unsigned hi)
{
	unsigned first = 0, end;
	while (first < set->count && set->range[first].hi + 1u < lo)
		first++;
	for (end = first; end < set->count && set->range[end].lo <= hi + 1u; end++) {
		if (set->range[end].lo < lo)
			lo = set->range[end].lo;
		if (set->range[end].hi > hi)
			hi = set->range[end].hi;
	}
	/* range[first..end) joins the new one; it takes their place */
	if (first == end && set->count == NOTW_PORT_RANGES_MAX)
		return false;
	memmove(&set->range[first + 1], &set->range[end], (set->count - end) * sizeof set->range[0]);
	set->count = (uint8_t)(set->count + 1u - (end - first));
	set->range[first].lo = (uint16_t)lo;
	set->range[first].hi = (uint16_t)hi;
	return true;
}

#define TOO_MANY_RANGES "more than 64 separate ports or ranges (those that overlap or touch count as one)"
_Static_assert(NOTW_PORT_RANGES_MAX == 64, "TOO_MANY_RANGES names the limit");

/* One item, "80" or "8000-8100", blanks around it and around the '-'. */
static bool parse_port_item(const char **s, unsigned *lo, unsigned *hi, const char **reason)
{
	const char *p = *s;
	while (is_space(*p))
		p++;
	if (!parse_port_number(&p, lo)) {
		*reason = "expected a port number from 1 to 65535";
		return false;
	}
	*hi = *lo;
	while (is_space(*p))
		p++;
	if (*p == '-') {
		p++;
		while (is_space(*p))
			p++;
		if (!parse_port_number(&p, hi)) {
			*reason = "expected a port number from 1 to 65535 after '-'";
			return false;
		}
		if (*hi < *lo) {
			*reason = "a range must go from the lower port to the higher";
			return false;
		}
		while (is_space(*p))
			p++;
	}
	*s = p;
	return true;
}

/* Read the whole list into set (which starts empty). */
static bool walk_ports(const char *s, struct notw_port_set *set, const char **reason)
{
	const char *p = s;
	for (;;) {
		unsigned lo, hi;
		if (!parse_port_item(&p, &lo, &hi, reason))
			return false;
		if (!add_port_range(set, lo, hi)) {
			*reason = TOO_MANY_RANGES;
			return false;
		}
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

bool notw_parse_ports(const char *s, struct notw_port_set *set, const char **reason)
{
	struct notw_port_set list; /* only count and the ranges below it are used */
	list.all = false;
	list.count = 0;
	if (is_blank(s)) {
		if (set != NULL) {
			set->all = true;
			set->count = 0;
		}
		return true;
	}
	if (!walk_ports(s, &list, reason))
		return false;
	if (set != NULL) {
		set->all = false;
		set->count = list.count;
		memcpy(set->range, list.range, list.count * sizeof list.range[0]);
	}
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

static const char *const level_names[] = { "error", "warn", "info", "debug" };

const char *notw_level_name(enum notw_level level)
{
	return (unsigned)level < sizeof level_names / sizeof level_names[0] ? level_names[level] : "?";
}

bool notw_parse_level(const char *s, enum notw_level *out)
{
	for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
		if (strcasecmp(s, level_names[i]) == 0) {
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

static const struct {
	const char *key;
	const char *env;
} settings[NOTW_SET_COUNT] = {
	[NOTW_SET_ENABLED] = { "enabled", "NOTW_ENABLED" },
	[NOTW_SET_LOG] = { "log", "NOTW_LOG" },
	[NOTW_SET_LOG_LEVEL] = { "log_level", "NOTW_LOG_LEVEL" },
	[NOTW_SET_REUSEADDR] = { "reuseaddr", "NOTW_REUSEADDR" },
	[NOTW_SET_LINGER] = { "linger", "NOTW_LINGER" },
	[NOTW_SET_LINGER_OUTGOING] = { "linger_outgoing", "NOTW_LINGER_OUTGOING" },
	[NOTW_SET_REAP] = { "reap", "NOTW_REAP" },
	[NOTW_SET_WAIT] = { "wait", "NOTW_WAIT" },
	[NOTW_SET_PORTS] = { "ports", "NOTW_PORTS" },
};

const char *notw_setting_env(enum notw_setting s)
{
	return (unsigned)s < NOTW_SET_COUNT ? settings[s].env : "?";
}

int notw_setting_by_key(const char *name)
{
	for (int i = 0; i < NOTW_SET_COUNT; i++)
		if (strcmp(name, settings[i].key) == 0)
			return i;
	return -1;
}

static const char *const bool_reason = "expected on or off (1/0, yes/no, true/false)";

static const char *set_bool(bool *field, const char *text)
{
	bool v;
	if (!notw_parse_bool(text, &v))
		return bool_reason;
	if (field != NULL)
		*field = v;
	return NULL;
}

static const char *set_log(struct notw_policy *p, const char *text)
{
	enum notw_sink sink;
	char path[NOTW_LOG_PATH_MAX];
	const char *reason = NULL;
	if (!notw_parse_log_dest(text, &sink, path, sizeof path, &reason))
		return reason;
	if (p != NULL) {
		p->log_sink = sink;
		if (sink == NOTW_SINK_FILE)
			memcpy(p->log_path, path, strlen(path) + 1);
	}
	return NULL;
}

const char *notw_policy_set(struct notw_policy *p, enum notw_setting s, const char *text)
{
	const char *reason = NULL;
	enum notw_linger linger;
	enum notw_level level;
	unsigned secs;

	switch (s) {
	case NOTW_SET_ENABLED:
		return set_bool(p != NULL ? &p->enabled : NULL, text);
	case NOTW_SET_REUSEADDR:
		return set_bool(p != NULL ? &p->reuseaddr : NULL, text);
	case NOTW_SET_REAP:
		return set_bool(p != NULL ? &p->reap : NULL, text);
	case NOTW_SET_LINGER_OUTGOING:
		return set_bool(p != NULL ? &p->linger_outgoing : NULL, text);
	case NOTW_SET_LOG:
		return set_log(p, text);
	case NOTW_SET_LOG_LEVEL:
		if (!notw_parse_level(text, &level))
			return "expected error, warn, info or debug";
		if (p != NULL)
			p->log_level = level;
		return NULL;
	case NOTW_SET_LINGER:
		if (!notw_parse_linger(text, &linger))
			return "expected off, crash, exit or always";
		if (p != NULL)
			p->linger = linger;
		return NULL;
	case NOTW_SET_WAIT:
		if (!notw_parse_wait(text, &secs))
			return "expected a number of seconds from 0 to 600";
		if (p != NULL)
			p->wait_seconds = secs;
		return NULL;
	case NOTW_SET_PORTS:
		return notw_parse_ports(text, p != NULL ? &p->ports : NULL, &reason) ? NULL : reason;
	case NOTW_SET_COUNT:
		break;
	}
	return "unknown setting";
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
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		enum notw_setting s = (enum notw_setting)i;
		const char *v = get(settings[s].env);
		const char *reason;
		if (v != NULL && (reason = notw_policy_set(p, s, v)) != NULL)
			add_diag(diags, max, &n, settings[s].env, v, reason);
	}
	return n;
}
