/* The policy and the kinds of value its settings take (policy.h). */
#include "policy.h"

#include "fmt.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct notw_policy notw_active_policy;

void notw_policy_defaults(struct notw_policy *p)
{
	p->enabled = true;
	p->reuseaddr = true;
	p->linger = NOTW_LINGER_OFF;
	p->linger_outgoing = false;
	p->reap = true;
	p->wait_seconds = 0;
	p->ports.all = true;
	p->ports.count = 0;
	p->log_level = NOTW_LEVEL_INFO;
	p->log.sink = NOTW_SINK_STDERR;
	p->log.path[0] = '\0';
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

/* ------------------------------------------------------------------ */
/* The kinds of value: parse and print for each                        */
/* ------------------------------------------------------------------ */

static const char *parse_bool(void *value, const char *text)
{
	bool v;
	if (!notw_parse_bool(text, &v))
		return "expected on or off (1/0, yes/no, true/false)";
	if (value != NULL)
		*(bool *)value = v;
	return NULL;
}

static void print_bool(const void *value, struct notw_buf *b)
{
	notw_buf_puts(b, *(const bool *)value ? "on" : "off");
}

const struct notw_value_kind notw_kind_bool = { parse_bool, print_bool, "on|off", NULL };

static const char *parse_linger(void *value, const char *text)
{
	enum notw_linger v;
	if (!notw_parse_linger(text, &v))
		return "expected off, crash, exit or always";
	if (value != NULL)
		*(enum notw_linger *)value = v;
	return NULL;
}

static void print_linger(const void *value, struct notw_buf *b)
{
	notw_buf_puts(b, notw_linger_name(*(const enum notw_linger *)value));
}

const struct notw_value_kind notw_kind_linger = { parse_linger, print_linger, "off|crash|exit|always",
						  NULL };

static const char *parse_seconds(void *value, const char *text)
{
	unsigned v;
	if (!notw_parse_wait(text, &v))
		return "expected a number of seconds from 0 to 600";
	if (value != NULL)
		*(unsigned *)value = v;
	return NULL;
}

static void print_seconds(const void *value, struct notw_buf *b)
{
	notw_buf_put_u64(b, *(const unsigned *)value);
}

const struct notw_value_kind notw_kind_seconds = { parse_seconds, print_seconds, "SECS", NULL };

static const char *parse_ports(void *value, const char *text)
{
	const char *reason = NULL;
	return notw_parse_ports(text, value, &reason) ? NULL : reason;
}

/* "80,8000-8100"; all ports: "" (an empty list). */
static void print_ports(const void *value, struct notw_buf *b)
{
	const struct notw_port_set *set = value;
	for (unsigned i = 0; i < set->count; i++) {
		if (i > 0)
			notw_buf_putc(b, ',');
		notw_buf_put_u64(b, set->range[i].lo);
		if (set->range[i].hi != set->range[i].lo) {
			notw_buf_putc(b, '-');
			notw_buf_put_u64(b, set->range[i].hi);
		}
	}
}

const struct notw_value_kind notw_kind_ports = { parse_ports, print_ports, "LIST", "(all)" };

static const char *parse_log_dest(void *value, const char *text)
{
	struct notw_log_dest *dest = value;
	enum notw_sink sink;
	char path[NOTW_LOG_PATH_MAX];
	const char *reason = NULL;
	if (!notw_parse_log_dest(text, &sink, path, sizeof path, &reason))
		return reason;
	if (dest != NULL) {
		dest->sink = sink;
		if (sink == NOTW_SINK_FILE)
			memcpy(dest->path, path, strlen(path) + 1);
	}
	return NULL;
}

static void print_log_dest(const void *value, struct notw_buf *b)
{
	static const char *const sinks[] = { "stderr", "syslog", "none", "file:" };
	const struct notw_log_dest *dest = value;
	notw_buf_puts(b, (unsigned)dest->sink < sizeof sinks / sizeof sinks[0] ? sinks[dest->sink] : "?");
	if (dest->sink == NOTW_SINK_FILE)
		notw_buf_puts(b, dest->path);
}

const struct notw_value_kind notw_kind_log_dest = { parse_log_dest, print_log_dest, "DEST", NULL };

static const char *parse_level(void *value, const char *text)
{
	enum notw_level v;
	if (!notw_parse_level(text, &v))
		return "expected error, warn, info or debug";
	if (value != NULL)
		*(enum notw_level *)value = v;
	return NULL;
}

static void print_level(const void *value, struct notw_buf *b)
{
	notw_buf_puts(b, notw_level_name(*(const enum notw_level *)value));
}

const struct notw_value_kind notw_kind_level = { parse_level, print_level, "LEVEL", NULL };
