/* Unit tests for core/policy.c: the NOTW_* settings parsers and
 * notw_policy_apply_env() driven through a fake getenv. */
#include "policy.h"
#include "settings.h"

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* helpers                                                              */

static struct notw_policy policy_with(const char *ports)
{
	struct notw_policy p;
	const char *reason = NULL;
	notw_policy_defaults(&p);
	if (ports != NULL)
		ck_assert_msg(notw_parse_ports(ports, &p.ports, &reason), "setup: \"%s\" rejected", ports);
	return p;
}

/* The ports the ranges hold, checking they are what notw_port_set
 * promises: sorted, in 1..65535, none overlapping or touching another. */
static unsigned count_ports(const struct notw_policy *p)
{
	unsigned n = 0;
	ck_assert_uint_le(p->ports.count, NOTW_PORT_RANGES_MAX);
	for (unsigned i = 0; i < p->ports.count; i++) {
		const struct notw_port_span *r = &p->ports.range[i];
		ck_assert_uint_ge(r->lo, 1);
		ck_assert_uint_le(r->lo, r->hi);
		if (i > 0)
			ck_assert_uint_gt(r->lo, p->ports.range[i - 1].hi + 1u);
		n += r->hi - r->lo + 1u;
	}
	return n;
}

static bool ports_all_zero(const struct notw_policy *p)
{
	return p->ports.count == 0;
}

/* ------------------------------------------------------------------ */
/* notw_parse_bool                                                      */

static const struct {
	const char *text;
	bool value;
} bool_ok[] = {
	{ "on", true },     { "ON", true },     { "On", true },       { "oN", true },
	{ "1", true },      { "yes", true },    { "YES", true },      { "yEs", true },
	{ "true", true },   { "TRUE", true },   { "True", true },     { "tRUE", true },
	{ "off", false },   { "OFF", false },   { "Off", false },     { "oFf", false },
	{ "0", false },     { "no", false },    { "NO", false },      { "No", false },
	{ "false", false }, { "FALSE", false }, { "False", false },   { "fAlSe", false },
};

START_TEST(test_bool_accepts)
{
	for (size_t i = 0; i < sizeof bool_ok / sizeof bool_ok[0]; i++) {
		bool out = !bool_ok[i].value;
		ck_assert_msg(notw_parse_bool(bool_ok[i].text, &out), "\"%s\" rejected",
			      bool_ok[i].text);
		ck_assert_msg(out == bool_ok[i].value, "\"%s\" parsed as %d", bool_ok[i].text,
			      (int)out);
	}
}
END_TEST

/* Leading/trailing blanks are rejected on purpose: a value the parser does
 * not understand exactly gets a diagnostic rather than a guess. */
static const char *const bool_bad[] = {
	"", "2", "onn", " on", "on ", "\ton", "on\n", "o", "of", "offf", "yess", "ye", "tru",
	"-1", "01", "00", "10", "t", "f", "y", "n", "enable", "disable", "none", "null",
	"on,off", "1 ", "0x1",
};

START_TEST(test_bool_rejects)
{
	for (size_t i = 0; i < sizeof bool_bad / sizeof bool_bad[0]; i++) {
		for (int init = 0; init < 2; init++) {
			bool out = init != 0;
			ck_assert_msg(!notw_parse_bool(bool_bad[i], &out), "\"%s\" accepted",
				      bool_bad[i]);
			ck_assert_msg(out == (init != 0), "\"%s\" changed *out on failure",
				      bool_bad[i]);
		}
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_parse_ports                                                     */

START_TEST(test_ports_single)
{
	struct notw_policy p = policy_with("8080");
	ck_assert(!p.ports.all);
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(notw_policy_port_matches(&p, 8080));
	ck_assert(!notw_policy_port_matches(&p, 8079));
	ck_assert(!notw_policy_port_matches(&p, 8081));
	ck_assert(!notw_policy_port_matches(&p, 0));
}
END_TEST

START_TEST(test_ports_list)
{
	struct notw_policy p = policy_with("80,443,8080,49200");
	ck_assert(!p.ports.all);
	ck_assert_uint_eq(count_ports(&p), 4);
	ck_assert(notw_policy_port_matches(&p, 80));
	ck_assert(notw_policy_port_matches(&p, 443));
	ck_assert(notw_policy_port_matches(&p, 8080));
	ck_assert(notw_policy_port_matches(&p, 49200));
	ck_assert(!notw_policy_port_matches(&p, 81));
	ck_assert(!notw_policy_port_matches(&p, 444));
}
END_TEST

START_TEST(test_ports_range)
{
	struct notw_policy p = policy_with("8000-8100");
	ck_assert(!p.ports.all);
	ck_assert_uint_eq(count_ports(&p), 101);
	ck_assert(!notw_policy_port_matches(&p, 7999));
	for (unsigned port = 8000; port <= 8100; port++)
		ck_assert(notw_policy_port_matches(&p, port));
	ck_assert(!notw_policy_port_matches(&p, 8101));

	p = policy_with("49200,8000-8100,22");
	ck_assert_uint_eq(count_ports(&p), 103);
	ck_assert(notw_policy_port_matches(&p, 22));
	ck_assert(notw_policy_port_matches(&p, 49200));

	p = policy_with("5000-5000");
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(notw_policy_port_matches(&p, 5000));

	/* Ranges that cross 64-bit word boundaries. */
	p = policy_with("63-129");
	ck_assert_uint_eq(count_ports(&p), 67);
	ck_assert(!notw_policy_port_matches(&p, 62));
	ck_assert(notw_policy_port_matches(&p, 63));
	ck_assert(notw_policy_port_matches(&p, 64));
	ck_assert(notw_policy_port_matches(&p, 128));
	ck_assert(notw_policy_port_matches(&p, 129));
	ck_assert(!notw_policy_port_matches(&p, 130));

	/* Overlapping items. */
	p = policy_with("10-20,15-25,20");
	ck_assert_uint_eq(count_ports(&p), 16);
}
END_TEST

START_TEST(test_ports_spaces)
{
	static const char *const texts[] = {
		" 80,443", "80 ,443", "80, 443", "80,443 ", "  80  ,  443  ", "\t80\t,\t443\t",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		struct notw_policy p = policy_with(texts[i]);
		ck_assert_msg(!p.ports.all, "\"%s\"", texts[i]);
		ck_assert_msg(count_ports(&p) == 2, "\"%s\": %u ports", texts[i], count_ports(&p));
		ck_assert(notw_policy_port_matches(&p, 80));
		ck_assert(notw_policy_port_matches(&p, 443));
	}
	struct notw_policy p = policy_with(" 8000 - 8010 , 9000\t-\t9001 ");
	ck_assert_uint_eq(count_ports(&p), 13);
	ck_assert(notw_policy_port_matches(&p, 8000));
	ck_assert(notw_policy_port_matches(&p, 9001));
}
END_TEST

START_TEST(test_ports_empty_means_all)
{
	static const char *const texts[] = { "", " ", "   ", "\t", " \t " };
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		/* Start from a restricted policy: an empty list must undo it. */
		struct notw_policy p = policy_with("22,80-90");
		const char *reason = NULL;
		ck_assert_msg(notw_parse_ports(texts[i], &p.ports, &reason), "\"%s\" rejected", texts[i]);
		ck_assert(p.ports.all);
		ck_assert(ports_all_zero(&p));
		ck_assert(notw_policy_port_matches(&p, 1));
		ck_assert(notw_policy_port_matches(&p, 12345));
		ck_assert(notw_policy_port_matches(&p, 65535));
	}
}
END_TEST

START_TEST(test_ports_boundaries)
{
	struct notw_policy p = policy_with("1");
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(notw_policy_port_matches(&p, 1));

	p = policy_with("65535");
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(notw_policy_port_matches(&p, 65535));
	ck_assert(!notw_policy_port_matches(&p, 65534));

	p = policy_with("1-65535");
	ck_assert(!p.ports.all);
	ck_assert_uint_eq(count_ports(&p), 65535);
	ck_assert(!notw_policy_port_matches(&p, 0));
	ck_assert(notw_policy_port_matches(&p, 1));
	ck_assert(notw_policy_port_matches(&p, 65535));

	p = policy_with("65535,1");
	ck_assert_uint_eq(count_ports(&p), 2);

	/* Leading zeros are plain decimal. */
	p = policy_with("00080");
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(notw_policy_port_matches(&p, 80));
}
END_TEST

static const char *const ports_bad[] = {
	"0", "00", "65536", "65537", "70000", "99999999999", "4294967376", "18446744073709551696",
	"0-5", "5-65536", "1-99999999999", "100-99", "65535-1", "80,", "80 ,", ",80", " ,80",
	"80,,81", ",", ",,", " , ", "abc", "80a", "8o", "a80", "1-", "1 - ", "-5", "-", "--",
	"1--5", "80-90-100", "80 81", "+80", "0x50", "80;81", "80:81", "80.0", "-1", "80,abc",
	"80,0", "80,65536", "80\n", "\n",
};

START_TEST(test_ports_rejects_and_keeps_policy)
{
	for (size_t i = 0; i < sizeof ports_bad / sizeof ports_bad[0]; i++) {
		/* Once from the defaults (all ports), once from a restricted list. */
		for (int start = 0; start < 2; start++) {
			struct notw_policy p = policy_with(start == 0 ? NULL : "22,8000-8100");
			struct notw_policy before = p;
			const char *reason = NULL;
			ck_assert_msg(!notw_parse_ports(ports_bad[i], &p.ports, &reason), "\"%s\" accepted",
				      ports_bad[i]);
			ck_assert_msg(reason != NULL && reason[0] != '\0', "\"%s\": no reason",
				      ports_bad[i]);
			ck_assert_msg(memcmp(&p, &before, sizeof p) == 0,
				      "\"%s\" changed the policy on failure", ports_bad[i]);
		}
	}
}
END_TEST

/* "1,3,5,...": count separate ports, each two apart, from first. */
static void separate_ports(char *text, size_t cap, unsigned first, unsigned count)
{
	size_t len = 0;
	text[0] = '\0';
	for (unsigned i = 0; i < count; i++)
		len += (size_t)snprintf(text + len, cap - len, "%s%u", i > 0 ? "," : "", first + 2u * i);
}

START_TEST(test_ports_range_limit)
{
	char text[1024];
	const char *reason = NULL;
	struct notw_policy p;

	/* As many separate ports as the limit: all kept. */
	separate_ports(text, sizeof text, 1, NOTW_PORT_RANGES_MAX);
	p = policy_with(text);
	ck_assert_uint_eq(p.ports.count, NOTW_PORT_RANGES_MAX);
	ck_assert_uint_eq(count_ports(&p), NOTW_PORT_RANGES_MAX);
	ck_assert(notw_policy_port_matches(&p, 2u * NOTW_PORT_RANGES_MAX - 1u));
	ck_assert(!notw_policy_port_matches(&p, 2u * NOTW_PORT_RANGES_MAX - 2u));

	/* One more: refused, saying why, the policy as it was. */
	separate_ports(text, sizeof text, 1, NOTW_PORT_RANGES_MAX + 1);
	p = policy_with("22");
	ck_assert(!notw_parse_ports(text, &p.ports, &reason));
	ck_assert_ptr_nonnull(strstr(reason, "more than 64 separate ports or ranges"));
	ck_assert_uint_eq(p.ports.count, 1);
	ck_assert(notw_policy_port_matches(&p, 22));
	ck_assert(!notw_parse_ports(text, NULL, &reason));
	ck_assert_str_eq(notw_policy_set(NULL, NOTW_SET_PORTS, text), reason);

	/* Ports that touch are one range, whatever their number. */
	size_t len = 0;
	for (unsigned port = 100; port < 100 + 2 * NOTW_PORT_RANGES_MAX; port++)
		len += (size_t)snprintf(text + len, sizeof text - len, "%s%u", len > 0 ? "," : "", port);
	p = policy_with(text);
	ck_assert_uint_eq(p.ports.count, 1);
	ck_assert_uint_eq(count_ports(&p), 2 * NOTW_PORT_RANGES_MAX);

	/* An item that joins two ranges frees a place for one more. */
	separate_ports(text, sizeof text, 1, NOTW_PORT_RANGES_MAX);
	len = strlen(text);
	snprintf(text + len, sizeof text - len, ",2,1000");
	p = policy_with(text);
	ck_assert_uint_eq(p.ports.count, NOTW_PORT_RANGES_MAX);
	ck_assert_uint_eq(p.ports.range[0].lo, 1);
	ck_assert_uint_eq(p.ports.range[0].hi, 3);
	ck_assert_uint_eq(p.ports.range[NOTW_PORT_RANGES_MAX - 1].lo, 1000);

	/* Counted as the list is read: a range that would join them all comes
	 * too late for 65 separate ports before it. */
	separate_ports(text, sizeof text, 1, NOTW_PORT_RANGES_MAX + 1);
	len = strlen(text);
	snprintf(text + len, sizeof text - len, ",1-1000");
	ck_assert(!notw_parse_ports(text, NULL, &reason));
	/* ... and first, it takes them all in. */
	snprintf(text, sizeof text, "1-1000,");
	separate_ports(text + 7, sizeof text - 7, 1, NOTW_PORT_RANGES_MAX + 1);
	p = policy_with(text);
	ck_assert_uint_eq(p.ports.count, 1);
}
END_TEST

/* Ranges given in any order come out sorted and joined. */
START_TEST(test_ports_sorted_and_joined)
{
	struct notw_policy p = policy_with("9000,80-90,7,91,5-6,100-200,150-300,8999");
	static const struct notw_port_span want[] = { { 5, 7 }, { 80, 91 }, { 100, 300 }, { 8999, 9000 } };
	ck_assert_uint_eq(p.ports.count, 4);
	for (unsigned i = 0; i < 4; i++) {
		ck_assert_uint_eq(p.ports.range[i].lo, want[i].lo);
		ck_assert_uint_eq(p.ports.range[i].hi, want[i].hi);
	}
	p = policy_with("10-20,1-65535,30");
	ck_assert_uint_eq(p.ports.count, 1);
	ck_assert_uint_eq(p.ports.range[0].lo, 1);
	ck_assert_uint_eq(p.ports.range[0].hi, 65535);
}
END_TEST

START_TEST(test_ports_replace_previous_list)
{
	struct notw_policy p = policy_with("22,80");
	const char *reason = NULL;
	ck_assert(notw_parse_ports("443", &p.ports, &reason));
	ck_assert_uint_eq(count_ports(&p), 1);
	ck_assert(!notw_policy_port_matches(&p, 22));
	ck_assert(!notw_policy_port_matches(&p, 80));
	ck_assert(notw_policy_port_matches(&p, 443));
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_policy_port_matches                                             */

/* Every range sets exactly its ports, at every word boundary. */
START_TEST(test_ports_ranges_exact)
{
	static const unsigned edges[] = { 1, 2, 62, 63, 64, 65, 127, 128, 129, 1000, 65471, 65472, 65534, 65535 };
	const size_t n = sizeof edges / sizeof edges[0];
	for (size_t i = 0; i < n; i++) {
		for (size_t j = i; j < n; j++) {
			char text[32];
			snprintf(text, sizeof text, "%u-%u", edges[i], edges[j]);
			struct notw_policy p = policy_with(text);
			ck_assert_uint_eq(count_ports(&p), edges[j] - edges[i] + 1u);
			/* One assertion per range: Check's are slow by the million. */
			unsigned wrong = 0;
			for (unsigned port = 0; port <= 65535; port++)
				wrong += notw_policy_port_matches(&p, port) != (port >= edges[i] && port <= edges[j]);
			ck_assert_msg(wrong == 0, "%s: %u ports wrong", text, wrong);
		}
	}
}
END_TEST

static double cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A 128 KB NOTW_PORTS of wide ranges once cost 0.5 s of CPU per program
 * start (each port's bit set one by one). Each item now joins the range
 * list at once: the bound is generous (sanitizer builds, a loaded machine). */
START_TEST(test_ports_long_list_is_fast)
{
	static char text[128 * 1024];
	size_t len = 0;
	while (len + 9 < sizeof text) {
		memcpy(text + len, "1-65535,", 8);
		len += 8;
	}
	memcpy(text + len, "1", 2);
	struct notw_policy p;
	const char *reason = NULL;
	notw_policy_defaults(&p);
	double start = cpu_seconds();
	ck_assert(notw_parse_ports(text, &p.ports, &reason));
	double took = cpu_seconds() - start;
	ck_assert_uint_eq(count_ports(&p), 65535);
	ck_assert_msg(took < 0.15, "parsing 128 KB of ranges took %.3f s of CPU", took);
}
END_TEST

START_TEST(test_port_matches)
{
	struct notw_policy p;
	notw_policy_defaults(&p);
	ck_assert(p.ports.all);
	ck_assert(notw_policy_port_matches(&p, 0));
	ck_assert(notw_policy_port_matches(&p, 1));
	ck_assert(notw_policy_port_matches(&p, 65535));
	ck_assert(!notw_policy_port_matches(&p, 65536));
	ck_assert(!notw_policy_port_matches(&p, 100000));
	ck_assert(!notw_policy_port_matches(&p, UINT32_MAX));

	p = policy_with("63,64,65535");
	for (unsigned port = 0; port <= 65535; port++) {
		bool want = port == 63 || port == 64 || port == 65535;
		ck_assert_msg(notw_policy_port_matches(&p, port) == want, "port %u", port);
	}
	ck_assert(!notw_policy_port_matches(&p, 65536));
	ck_assert(!notw_policy_port_matches(&p, 65536 + 63));
	ck_assert(!notw_policy_port_matches(&p, UINT32_MAX));
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_parse_log_dest                                                  */

START_TEST(test_log_dest_keywords)
{
	static const struct {
		const char *text;
		enum notw_sink sink;
	} ok[] = {
		{ "stderr", NOTW_SINK_STDERR }, { "STDERR", NOTW_SINK_STDERR },
		{ "syslog", NOTW_SINK_SYSLOG }, { "SysLog", NOTW_SINK_SYSLOG },
		{ "none", NOTW_SINK_NONE },     { "NONE", NOTW_SINK_NONE },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		enum notw_sink sink = NOTW_SINK_FILE;
		char path[64] = "unchanged";
		const char *reason = NULL;
		ck_assert_msg(notw_parse_log_dest(ok[i].text, &sink, path, sizeof path, &reason),
			      "\"%s\" rejected", ok[i].text);
		ck_assert_int_eq(sink, ok[i].sink);
	}
}
END_TEST

START_TEST(test_log_dest_file)
{
	enum notw_sink sink = NOTW_SINK_STDERR;
	char path[NOTW_LOG_PATH_MAX];
	const char *reason = NULL;
	ck_assert(notw_parse_log_dest("file:/tmp/notw.log", &sink, path, sizeof path, &reason));
	ck_assert_int_eq(sink, NOTW_SINK_FILE);
	ck_assert_str_eq(path, "/tmp/notw.log");

	ck_assert(notw_parse_log_dest("file:relative name:with,odd chars", &sink, path, sizeof path,
				      &reason));
	ck_assert_str_eq(path, "relative name:with,odd chars");

	/* The longest path that fits: path_cap - 1 bytes. */
	char text[5 + NOTW_LOG_PATH_MAX + 1];
	memcpy(text, "file:", 5);
	memset(text + 5, 'p', NOTW_LOG_PATH_MAX - 1);
	text[5 + NOTW_LOG_PATH_MAX - 1] = '\0';
	sink = NOTW_SINK_STDERR;
	ck_assert(notw_parse_log_dest(text, &sink, path, sizeof path, &reason));
	ck_assert_int_eq(sink, NOTW_SINK_FILE);
	ck_assert_uint_eq(strlen(path), NOTW_LOG_PATH_MAX - 1);

	/* Small caller buffer, with canary bytes after it. */
	char small[8 + 8];
	memset(small, 'Z', sizeof small);
	ck_assert(notw_parse_log_dest("file:1234567", &sink, small, 8, &reason));
	ck_assert_str_eq(small, "1234567");
	for (size_t i = 8; i < sizeof small; i++)
		ck_assert_int_eq(small[i], 'Z');
}
END_TEST

START_TEST(test_log_dest_rejects)
{
	char longtext[5 + NOTW_LOG_PATH_MAX + 100];
	memcpy(longtext, "file:", 5);
	memset(longtext + 5, 'p', NOTW_LOG_PATH_MAX);
	longtext[5 + NOTW_LOG_PATH_MAX] = '\0'; /* exactly path_cap bytes: too long */
	char verylong[5000];
	memcpy(verylong, "file:", 5);
	memset(verylong + 5, 'q', sizeof verylong - 6);
	verylong[sizeof verylong - 1] = '\0';

	const char *const bad[] = {
		"file:", "", "stdout", "file", "files:/x", "stderr ", " syslog", "syslog:", "none:",
		"stderr,syslog", "2", "-", longtext, verylong,
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum notw_sink sink = NOTW_SINK_SYSLOG;
		char path[NOTW_LOG_PATH_MAX + 16];
		memset(path, 'Z', sizeof path);
		const char *reason = NULL;
		ck_assert_msg(!notw_parse_log_dest(bad[i], &sink, path, NOTW_LOG_PATH_MAX, &reason),
			      "\"%.40s\" accepted", bad[i]);
		ck_assert_msg(reason != NULL && reason[0] != '\0', "\"%.40s\": no reason", bad[i]);
		ck_assert_int_eq(sink, NOTW_SINK_SYSLOG);
		for (size_t j = 0; j < sizeof path; j++)
			ck_assert_msg(path[j] == 'Z', "\"%.40s\" wrote path[%zu]", bad[i], j);
	}

	/* "file:" with a small buffer: one byte over is rejected. */
	enum notw_sink sink = NOTW_SINK_NONE;
	char small[8 + 8];
	memset(small, 'Z', sizeof small);
	const char *reason = NULL;
	ck_assert(!notw_parse_log_dest("file:12345678", &sink, small, 8, &reason));
	ck_assert_int_eq(sink, NOTW_SINK_NONE);
	for (size_t i = 0; i < sizeof small; i++)
		ck_assert_int_eq(small[i], 'Z');
}
END_TEST

/* The keywords are case-insensitive but "file:" is compared exactly. Either
 * answer is defensible for "FILE:/x"; what must hold is that a rejection
 * leaves the outputs alone and an acceptance copies the path. */
START_TEST(test_log_dest_file_prefix_case)
{
	enum notw_sink sink = NOTW_SINK_NONE;
	char path[32] = "unchanged";
	const char *reason = NULL;
	if (notw_parse_log_dest("FILE:/x", &sink, path, sizeof path, &reason)) {
		ck_assert_int_eq(sink, NOTW_SINK_FILE);
		ck_assert_str_eq(path, "/x");
	} else {
		ck_assert_int_eq(sink, NOTW_SINK_NONE);
		ck_assert_str_eq(path, "unchanged");
		ck_assert_ptr_nonnull(reason);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_parse_level                                                     */

START_TEST(test_level)
{
	static const struct {
		const char *text;
		enum notw_level level;
	} ok[] = {
		{ "error", NOTW_LEVEL_ERROR }, { "ERROR", NOTW_LEVEL_ERROR }, { "Error", NOTW_LEVEL_ERROR },
		{ "warn", NOTW_LEVEL_WARN },   { "WARN", NOTW_LEVEL_WARN },   { "warning", NOTW_LEVEL_WARN },
		{ "Warning", NOTW_LEVEL_WARN }, { "info", NOTW_LEVEL_INFO },  { "INFO", NOTW_LEVEL_INFO },
		{ "debug", NOTW_LEVEL_DEBUG }, { "DeBuG", NOTW_LEVEL_DEBUG },
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		enum notw_level out = ok[i].level == NOTW_LEVEL_DEBUG ? NOTW_LEVEL_ERROR : NOTW_LEVEL_DEBUG;
		ck_assert_msg(notw_parse_level(ok[i].text, &out), "\"%s\" rejected", ok[i].text);
		ck_assert_int_eq(out, ok[i].level);
	}
	static const char *const bad[] = {
		"", "err", "errors", "warnings", "trace", "verbose", "0", "3", " info", "info ",
		"debug\n", "inf", "none",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum notw_level out = NOTW_LEVEL_WARN;
		ck_assert_msg(!notw_parse_level(bad[i], &out), "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(out, NOTW_LEVEL_WARN);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_policy_apply_env with a fake getenv                            */

static const char *const env_names[] = { "NOTW_LOG",    "NOTW_LOG_LEVEL", "NOTW_REUSEADDR",
					  "NOTW_PORTS",  "NOTW_LINGER",    "NOTW_REAP",
					  "NOTW_WAIT",   "NOTW_ENABLED",   "NOTW_LINGER_OUTGOING" };
#define ENV_N (sizeof env_names / sizeof env_names[0])

/* Values for env_names, NULL = unset. */
static const char *fake_values[ENV_N];
static int fake_calls[ENV_N];
static int fake_unknown_calls;

static const char *fake_getenv(const char *name)
{
	for (size_t i = 0; i < ENV_N; i++) {
		if (strcmp(name, env_names[i]) == 0) {
			fake_calls[i]++;
			return fake_values[i];
		}
	}
	fake_unknown_calls++;
	return NULL;
}

static void fake_env_set(const char *log, const char *level, const char *reuse, const char *ports)
{
	fake_values[0] = log;
	fake_values[1] = level;
	fake_values[2] = reuse;
	fake_values[3] = ports;
	fake_values[4] = NULL;
	fake_values[5] = NULL;
	fake_values[6] = NULL;
	memset(fake_calls, 0, sizeof fake_calls);
	fake_unknown_calls = 0;
}

static const char *fake_value_of(const char *name)
{
	for (size_t i = 0; i < ENV_N; i++)
		if (strcmp(name, env_names[i]) == 0)
			return fake_values[i];
	return NULL;
}

struct env_case {
	const char *log, *level, *reuse, *ports;  /* the environment, NULL = unset */
	/* expected policy */
	enum notw_sink sink;
	const char *path;                         /* for NOTW_SINK_FILE */
	enum notw_level lvl;
	bool reuseaddr;
	bool all_ports;
	unsigned port_in, port_out;               /* 0: not checked */
	/* expected diagnostics, in the table's order (settings.h): variable names */
	const char *diags[ENV_N + 1];
};

#define D_SINK NOTW_SINK_STDERR
#define D_LVL NOTW_LEVEL_INFO

static const struct env_case env_cases[] = {
	/* 0: nothing set: the defaults */
	{ NULL, NULL, NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { NULL } },
	/* each variable on its own */
	{ "syslog", NULL, NULL, NULL, NOTW_SINK_SYSLOG, NULL, D_LVL, true, true, 0, 0, { NULL } },
	{ "none", NULL, NULL, NULL, NOTW_SINK_NONE, NULL, D_LVL, true, true, 0, 0, { NULL } },
	{ "stderr", NULL, NULL, NULL, NOTW_SINK_STDERR, NULL, D_LVL, true, true, 0, 0, { NULL } },
	{ "file:/var/log/notw.log", NULL, NULL, NULL, NOTW_SINK_FILE, "/var/log/notw.log", D_LVL,
	  true, true, 0, 0, { NULL } },
	{ NULL, "debug", NULL, NULL, D_SINK, NULL, NOTW_LEVEL_DEBUG, true, true, 0, 0, { NULL } },
	{ NULL, "ERROR", NULL, NULL, D_SINK, NULL, NOTW_LEVEL_ERROR, true, true, 0, 0, { NULL } },
	{ NULL, "warn", NULL, NULL, D_SINK, NULL, NOTW_LEVEL_WARN, true, true, 0, 0, { NULL } },
	{ NULL, NULL, "off", NULL, D_SINK, NULL, D_LVL, false, true, 0, 0, { NULL } },
	{ NULL, NULL, "0", NULL, D_SINK, NULL, D_LVL, false, true, 0, 0, { NULL } },
	{ NULL, NULL, "yes", NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { NULL } },
	{ NULL, NULL, NULL, "8080", D_SINK, NULL, D_LVL, true, false, 8080, 8081, { NULL } },
	{ NULL, NULL, NULL, "8000-8100, 9000", D_SINK, NULL, D_LVL, true, false, 9000, 8999, { NULL } },
	{ NULL, NULL, NULL, "", D_SINK, NULL, D_LVL, true, true, 1, 0, { NULL } },
	/* all valid together */
	{ "file:x.log", "debug", "false", "443", NOTW_SINK_FILE, "x.log", NOTW_LEVEL_DEBUG, false,
	  false, 443, 80, { NULL } },
	/* each invalid on its own: one diagnostic, the setting keeps its default */
	{ "bogus", NULL, NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_LOG", NULL } },
	{ "file:", NULL, NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_LOG", NULL } },
	{ "", NULL, NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_LOG", NULL } },
	{ NULL, "loud", NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_LOG_LEVEL", NULL } },
	{ NULL, "", NULL, NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_LOG_LEVEL", NULL } },
	{ NULL, NULL, "maybe", NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_REUSEADDR", NULL } },
	{ NULL, NULL, "", NULL, D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_REUSEADDR", NULL } },
	{ NULL, NULL, NULL, "80,", D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_PORTS", NULL } },
	{ NULL, NULL, NULL, "0", D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_PORTS", NULL } },
	{ NULL, NULL, NULL, "200-100", D_SINK, NULL, D_LVL, true, true, 0, 0, { "NOTW_PORTS", NULL } },
	/* all invalid */
	{ "stdout", "trace", "2", "http", D_SINK, NULL, D_LVL, true, true, 0, 0,
	  { "NOTW_REUSEADDR", "NOTW_PORTS", "NOTW_LOG", "NOTW_LOG_LEVEL", NULL } },
	/* mixed: the valid ones still apply */
	{ "syslog", "chatty", "off", "65536", NOTW_SINK_SYSLOG, NULL, D_LVL, false, true, 0, 0,
	  { "NOTW_PORTS", "NOTW_LOG_LEVEL", NULL } },
	{ "file", "debug", "enable", "22, 443", D_SINK, NULL, NOTW_LEVEL_DEBUG, true, false, 22, 80,
	  { "NOTW_REUSEADDR", "NOTW_LOG", NULL } },
	{ "none", "warning", "nope", "1-65535", NOTW_SINK_NONE, NULL, NOTW_LEVEL_WARN, true, false,
	  65535, 0, { "NOTW_REUSEADDR", NULL } },
};

START_TEST(test_apply_env_table)
{
	const struct env_case *c = &env_cases[_i];
	struct notw_policy p, defaults;
	struct notw_diag diags[NOTW_DIAG_MAX];
	memset(diags, 0, sizeof diags);
	notw_policy_defaults(&p);
	notw_policy_defaults(&defaults);
	fake_env_set(c->log, c->level, c->reuse, c->ports);

	int n = notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX);

	int want_n = 0;
	while (c->diags[want_n] != NULL)
		want_n++;
	ck_assert_msg(n == want_n, "case %d: %d diagnostics, expected %d", _i, n, want_n);
	for (int i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(diags[i].name);
		ck_assert_str_eq(diags[i].name, c->diags[i]);
		ck_assert_str_eq(diags[i].value, fake_value_of(c->diags[i]));
		ck_assert_msg(diags[i].reason != NULL && diags[i].reason[0] != '\0',
			      "case %d: diagnostic %d has no reason", _i, i);
	}

	ck_assert_int_eq(p.log.sink, c->sink);
	if (c->sink == NOTW_SINK_FILE)
		ck_assert_str_eq(p.log.path, c->path);
	else
		ck_assert_str_eq(p.log.path, defaults.log.path);
	ck_assert_int_eq(p.log_level, c->lvl);
	ck_assert_int_eq(p.reuseaddr, c->reuseaddr);
	ck_assert_int_eq(p.ports.all, c->all_ports);
	if (c->all_ports)
		ck_assert(ports_all_zero(&p));
	if (c->port_in != 0)
		ck_assert(notw_policy_port_matches(&p, c->port_in));
	if (c->port_out != 0)
		ck_assert(!notw_policy_port_matches(&p, c->port_out));

	/* Each variable looked up exactly once, nothing else. */
	for (size_t i = 0; i < ENV_N; i++)
		ck_assert_msg(fake_calls[i] == 1, "%s looked up %d times", env_names[i],
			      fake_calls[i]);
	ck_assert_int_eq(fake_unknown_calls, 0);
}
END_TEST

START_TEST(test_apply_env_nothing_set_is_defaults)
{
	struct notw_policy p, defaults;
	struct notw_diag diags[NOTW_DIAG_MAX];
	notw_policy_defaults(&p);
	notw_policy_defaults(&defaults);
	fake_env_set(NULL, NULL, NULL, NULL);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 0);
	ck_assert(notw_policy_same(&p, &defaults));
	ck_assert(p.reuseaddr);
	ck_assert(p.ports.all);
	ck_assert_int_eq(p.log.sink, NOTW_SINK_STDERR);
	ck_assert_int_eq(p.log_level, NOTW_LEVEL_INFO);
	ck_assert_str_eq(p.log.path, "");
}
END_TEST

START_TEST(test_linger_values)
{
	static const struct {
		const char *text;
		enum notw_linger mode;
	} ok[] = {
		{ "off", NOTW_LINGER_OFF }, { "crash", NOTW_LINGER_CRASH },
		{ "exit", NOTW_LINGER_EXIT }, { "always", NOTW_LINGER_ALWAYS },
		{ "CRASH", NOTW_LINGER_CRASH }, { "Always", NOTW_LINGER_ALWAYS },
	};
	static const char *const bad[] = { "", "on", "1", "crash ", " exit", "abort", "alway" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		enum notw_linger mode = NOTW_LINGER_OFF;
		ck_assert_msg(notw_parse_linger(ok[i].text, &mode), "%s", ok[i].text);
		ck_assert_int_eq(mode, ok[i].mode);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		enum notw_linger mode = NOTW_LINGER_EXIT;
		ck_assert_msg(!notw_parse_linger(bad[i], &mode), "\"%s\" accepted", bad[i]);
		ck_assert_int_eq(mode, NOTW_LINGER_EXIT);
	}
	ck_assert_str_eq(notw_linger_name(NOTW_LINGER_OFF), "off");
	ck_assert_str_eq(notw_linger_name(NOTW_LINGER_CRASH), "crash");
	ck_assert_str_eq(notw_linger_name(NOTW_LINGER_EXIT), "exit");
	ck_assert_str_eq(notw_linger_name(NOTW_LINGER_ALWAYS), "always");
}
END_TEST

START_TEST(test_apply_env_linger)
{
	struct notw_policy p;
	struct notw_diag diags[NOTW_DIAG_MAX];
	notw_policy_defaults(&p);
	ck_assert_int_eq(p.linger, NOTW_LINGER_OFF);

	fake_env_set(NULL, NULL, NULL, NULL);
	fake_values[4] = "exit";
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 0);
	ck_assert_int_eq(p.linger, NOTW_LINGER_EXIT);

	/* A bad value: one diagnostic naming the variable and the value; the
	 * setting stays as it was, the others still apply. */
	notw_policy_defaults(&p);
	fake_env_set(NULL, NULL, "off", NULL);
	fake_values[4] = "sometimes";
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(diags[0].name, "NOTW_LINGER");
	ck_assert_str_eq(diags[0].value, "sometimes");
	ck_assert_int_eq(p.linger, NOTW_LINGER_OFF);
	ck_assert(!p.reuseaddr);
}
END_TEST

START_TEST(test_reap_and_wait)
{
	struct notw_policy p;
	struct notw_diag diags[NOTW_DIAG_MAX];
	unsigned w = 7;
	notw_policy_defaults(&p);
	ck_assert(p.reap);
	ck_assert_uint_eq(p.wait_seconds, 0);
	ck_assert(notw_parse_wait("0", &w) && w == 0);
	ck_assert(notw_parse_wait("600", &w) && w == 600);
	ck_assert(notw_parse_wait("070", &w) && w == 70);
	w = 7;
	ck_assert(!notw_parse_wait("601", &w));
	ck_assert(!notw_parse_wait("", &w));
	ck_assert(!notw_parse_wait("-1", &w));
	ck_assert(!notw_parse_wait("5s", &w));
	ck_assert(!notw_parse_wait("99999999999999999999", &w));
	ck_assert_uint_eq(w, 7);

	fake_env_set(NULL, NULL, NULL, NULL);
	fake_values[5] = "off";
	fake_values[6] = "70";
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 0);
	ck_assert(!p.reap);
	ck_assert_uint_eq(p.wait_seconds, 70);

	notw_policy_defaults(&p);
	fake_env_set(NULL, NULL, NULL, NULL);
	fake_values[5] = "sometimes";
	fake_values[6] = "forever";
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 2);
	ck_assert_str_eq(diags[0].name, "NOTW_REAP");
	ck_assert_str_eq(diags[1].name, "NOTW_WAIT");
	ck_assert_str_eq(diags[1].value, "forever");
	ck_assert(p.reap);
	ck_assert_uint_eq(p.wait_seconds, 0);
}
END_TEST

/* Unset or invalid variables leave whatever p held, not the defaults. */
START_TEST(test_apply_env_on_top_of_existing)
{
	struct notw_policy p = policy_with("22");
	const char *reason = NULL;
	p.reuseaddr = false;
	p.log_level = NOTW_LEVEL_DEBUG;
	ck_assert(notw_parse_log_dest("file:/a", &p.log.sink, p.log.path, sizeof p.log.path, &reason));
	struct notw_policy before = p;
	struct notw_diag diags[NOTW_DIAG_MAX];

	fake_env_set(NULL, NULL, NULL, NULL);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 0);
	ck_assert(memcmp(&p, &before, sizeof p) == 0);

	fake_env_set("nowhere", "x", "x", "x");
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, diags, NOTW_DIAG_MAX), 4);
	ck_assert(memcmp(&p, &before, sizeof p) == 0);
}
END_TEST

START_TEST(test_apply_env_long_value_truncated)
{
	static char value[10000];
	memset(value, '8', sizeof value - 1); /* 9999 digits: not a port */
	value[sizeof value - 1] = '\0';

	struct {
		struct notw_diag d[NOTW_DIAG_MAX];
		unsigned char canary[64];
	} s;
	memset(&s, 0xA5, sizeof s);
	struct notw_policy p;
	notw_policy_defaults(&p);
	fake_env_set(NULL, NULL, NULL, value);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, s.d, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(s.d[0].name, "NOTW_PORTS");
	size_t len = strlen(s.d[0].value);
	ck_assert_uint_eq(len, sizeof s.d[0].value - 1);
	ck_assert(memcmp(s.d[0].value, value, len) == 0);
	ck_assert(p.ports.all);
	for (size_t i = 0; i < sizeof s.canary; i++)
		ck_assert_int_eq(s.canary[i], 0xA5);

	/* An over-long file: path, and the same through NOTW_LOG. */
	static char logv[3000];
	memcpy(logv, "file:", 5);
	memset(logv + 5, '/', sizeof logv - 6);
	logv[sizeof logv - 1] = '\0';
	struct notw_diag d[NOTW_DIAG_MAX];
	notw_policy_defaults(&p);
	fake_env_set(logv, NULL, NULL, NULL);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, d, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(d[0].name, "NOTW_LOG");
	ck_assert_uint_eq(strlen(d[0].value), sizeof d[0].value - 1);
	ck_assert(strncmp(d[0].value, logv, sizeof d[0].value - 1) == 0);
	ck_assert_int_eq(p.log.sink, NOTW_SINK_STDERR);
	ck_assert_str_eq(p.log.path, "");

	/* A value exactly as long as the field holds is kept whole. */
	char fits[sizeof d[0].value];
	memset(fits, 'x', sizeof fits - 1);
	fits[sizeof fits - 1] = '\0';
	fake_env_set(NULL, fits, NULL, NULL);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, d, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(d[0].value, fits);
}
END_TEST

START_TEST(test_apply_env_respects_max)
{
	struct notw_diag d[NOTW_DIAG_MAX];
	struct notw_policy p;
	memset(d, 0xA5, sizeof d);
	notw_policy_defaults(&p);
	fake_env_set("a", "b", "c", "d");
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, d, 2), 2);
	ck_assert_str_eq(d[0].name, "NOTW_REUSEADDR");
	ck_assert_str_eq(d[1].name, "NOTW_PORTS");
	const unsigned char *raw = (const unsigned char *)&d[2];
	for (size_t i = 0; i < sizeof d - 2 * sizeof d[0]; i++)
		ck_assert_msg(raw[i] == 0xA5, "diags[2..] written");

	memset(d, 0xA5, sizeof d);
	ck_assert_int_eq(notw_policy_apply_env(&p, fake_getenv, d, 0), 0);
	raw = (const unsigned char *)d;
	for (size_t i = 0; i < sizeof d; i++)
		ck_assert_msg(raw[i] == 0xA5, "diags written with max 0");
	/* Invalid values still left the settings alone. */
	ck_assert(p.reuseaddr);
	ck_assert(p.ports.all);
	ck_assert_int_eq(p.log.sink, NOTW_SINK_STDERR);
	ck_assert_int_eq(p.log_level, NOTW_LEVEL_INFO);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("bool");
	tcase_add_test(tc, test_bool_accepts);
	tcase_add_test(tc, test_bool_rejects);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_test(tc, test_ports_single);
	tcase_add_test(tc, test_ports_list);
	tcase_add_test(tc, test_ports_range);
	tcase_add_test(tc, test_ports_spaces);
	tcase_add_test(tc, test_ports_empty_means_all);
	tcase_add_test(tc, test_ports_boundaries);
	tcase_add_test(tc, test_ports_rejects_and_keeps_policy);
	tcase_add_test(tc, test_ports_replace_previous_list);
	tcase_add_test(tc, test_ports_range_limit);
	tcase_add_test(tc, test_ports_sorted_and_joined);
	tcase_add_test(tc, test_ports_ranges_exact);
	tcase_add_test(tc, test_ports_long_list_is_fast);
	tcase_add_test(tc, test_port_matches);
	suite_add_tcase(s, tc);

	tc = tcase_create("log_dest_level");
	tcase_add_test(tc, test_log_dest_keywords);
	tcase_add_test(tc, test_log_dest_file);
	tcase_add_test(tc, test_log_dest_rejects);
	tcase_add_test(tc, test_log_dest_file_prefix_case);
	tcase_add_test(tc, test_level);
	tcase_add_test(tc, test_linger_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("apply_env");
	tcase_add_loop_test(tc, test_apply_env_table, 0,
			    (int)(sizeof env_cases / sizeof env_cases[0]));
	tcase_add_test(tc, test_apply_env_nothing_set_is_defaults);
	tcase_add_test(tc, test_apply_env_linger);
	tcase_add_test(tc, test_reap_and_wait);
	tcase_add_test(tc, test_apply_env_on_top_of_existing);
	tcase_add_test(tc, test_apply_env_long_value_truncated);
	tcase_add_test(tc, test_apply_env_respects_max);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
