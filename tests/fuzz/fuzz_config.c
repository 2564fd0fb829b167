/* libFuzzer target: the policy file parser and the merge of its sections
 * (core/config.c, core/policy.c). Built by scripts/fuzz with clang,
 * ASan and UBSan. Besides the sanitizers' own findings it checks what the
 * library relies on after a parse, whatever the text:
 *   - every field of the policy holds a value the hooks understand (the
 *     port ranges sorted and apart, within their limit);
 *   - every setting, printed, reads back as the same value;
 *   - the report is within its bounds and its texts are terminated;
 *   - the result does not depend on anything but the text and the program
 *     (a second parse gives the same settings, the same report bytes);
 *   - [defaults] is the lower layer: a program no section names gets
 *     exactly what the text gives with no program at all. */
#include "config.h"
#include "fmt.h"
#include "policy.h"
#include "settings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The ranges are what notw_policy_port_matches() relies on: sorted, in
 * 1..65535, none overlapping or touching the next; none with all ports. */
static void check_ports(const struct notw_port_set *set)
{
	if (set->count > NOTW_PORT_RANGES_MAX || (set->all && set->count != 0))
		abort();
	for (unsigned i = 0; i < set->count; i++) {
		const struct notw_port_span *r = &set->range[i];
		if (r->lo == 0 || r->lo > r->hi || (i > 0 && r->lo <= set->range[i - 1].hi + 1u))
			abort();
	}
}

static void check_policy(const struct notw_policy *p)
{
	check_ports(&p->ports);
	if ((unsigned)p->linger > NOTW_LINGER_ALWAYS || (unsigned)p->log_level > NOTW_LEVEL_DEBUG ||
	    (unsigned)p->log.sink > NOTW_SINK_FILE || p->wait_seconds > 600 ||
	    memchr(p->log.path, '\0', sizeof p->log.path) == NULL)
		abort();
	if (p->log.sink == NOTW_SINK_FILE && p->log.path[0] != '/')
		abort(); /* the file must give an absolute path */
}

/* Every setting printed (as check-config shows it) reads back the same. */
static void check_round_trip(const struct notw_policy *p)
{
	static struct notw_policy copy;
	static char text[NOTW_SETTING_TEXT_MAX];
	notw_policy_defaults(&copy);
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		struct notw_buf b;
		notw_buf_init(&b, text, sizeof text);
		notw_setting_print(p, (enum notw_setting)i, &b);
		if (b.truncated || notw_policy_set(&copy, (enum notw_setting)i, text) != NULL)
			abort();
	}
	if (!notw_policy_same(&copy, p))
		abort();
}

static void check_report(const struct notw_config_report *r, int problems)
{
	if (r->count < 0 || r->count > NOTW_CONFIG_DIAG_MAX || r->dropped < 0 ||
	    problems != r->count + r->dropped || r->matched < 0)
		abort();
	for (int i = 0; i < r->count; i++)
		if (memchr(r->diags[i].text, '\0', sizeof r->diags[i].text) == NULL ||
		    r->diags[i].line == 0 || r->diags[i].line > r->lines)
			abort();
}

static int parse(const char *text, size_t len, const struct notw_program *prog,
		 struct notw_policy *p, struct notw_config_report *r)
{
	notw_policy_defaults(p);
	int problems = notw_config_apply(p, text, len, prog, r);
	check_policy(p);
	check_round_trip(p);
	check_report(r, problems);
	return problems;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct notw_program progs[] = {
		{ "srv", "/usr/sbin/srv" },
		{ "java", "/usr/lib/jvm/java-17/bin/java" },
		{ "a", "/a" },
	};
	static const struct notw_program nobody = { "\x01unnamed", "/\x01/unnamed" };
	static struct notw_policy p1, p2;
	static struct notw_config_report r1, r2;
	const char *text = (const char *)data;

	if (size > NOTW_CONFIG_FILE_MAX)
		return 0; /* the library never reads more */
	const struct notw_program *prog = &progs[size % 3];
	parse(text, size, prog, &p1, &r1);
	parse(text, size, prog, &p2, &r2);
	if (!notw_policy_same(&p1, &p2) || memcmp(&r1, &r2, sizeof r1) != 0)
		abort();

	parse(text, size, NULL, &p1, &r1);
	parse(text, size, &nobody, &p2, &r2);
	if (r2.matched == 0 && !notw_policy_same(&p1, &p2))
		abort();
	return 0;
}
