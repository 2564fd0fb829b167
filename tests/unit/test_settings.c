/* Unit tests for core/settings.c: every entry of the table of settings is
 * complete, what is printed reads back as the same value, the defaults
 * are all set, and the port list's limit is the same wherever a list is
 * read. */
#include "config.h"
#include "fmt.h"
#include "policy.h"
#include "settings.h"

#include <check.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SETTINGS ((int)NOTW_SET_COUNT)

/* ------------------------------------------------------------------ */
/* helpers                                                              */

static const char *printed(const struct notw_policy *p, enum notw_setting s, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_setting_print(p, s, &b);
	ck_assert_msg(!b.truncated, "%s: printed value cut", notw_setting_key(s));
	return out;
}

/* 64 separate ports: the longest list the library takes. */
static char longest_ports[NOTW_PORT_RANGES_MAX * 12];
/* A log file path as long as the policy holds. */
static char longest_log[5 + NOTW_LOG_PATH_MAX];

static void make_long_values(void)
{
	size_t len = 0;
	for (unsigned i = 0; i < NOTW_PORT_RANGES_MAX; i++)
		len += (size_t)snprintf(longest_ports + len, sizeof longest_ports - len, "%s%u-%u",
					i > 0 ? "," : "", 65535u - 1000u * i - 500u, 65535u - 1000u * i);
	memcpy(longest_log, "file:/", 6);
	memset(longest_log + 6, 'l', NOTW_LOG_PATH_MAX - 2);
	longest_log[5 + NOTW_LOG_PATH_MAX - 1] = '\0';
}

#define SAMPLES_MAX 8
/* Valid values of each setting, other than its default first. A setting
 * added to the table without samples here fails test_samples_for_all. */
static const char *samples[NOTW_SET_COUNT][SAMPLES_MAX] = {
	[NOTW_SET_ENABLED] = { "off", "on", "0", "YES", "False" },
	[NOTW_SET_REUSEADDR] = { "off", "on", "no", "TRUE" },
	[NOTW_SET_LINGER] = { "crash", "exit", "always", "off", "CRASH" },
	[NOTW_SET_LINGER_OUTGOING] = { "on", "off", "1" },
	[NOTW_SET_PORTS] = { "80", "80,81,82", " 9000 , 1-10, 5", "8000-8100,22,49200", "1-65535", longest_ports,
			     "" },
	[NOTW_SET_REAP] = { "off", "on", "false" },
	[NOTW_SET_WAIT] = { "70", "600", "070", "0" },
	[NOTW_SET_LOG] = { "syslog", "none", "file:/var/log/notw.log", "file:relative name", longest_log, "stderr" },
	[NOTW_SET_LOG_LEVEL] = { "debug", "error", "Warning", "info" },
};

/* ------------------------------------------------------------------ */
/* the table                                                            */

START_TEST(test_entry_complete)
{
	enum notw_setting s = (enum notw_setting)_i;
	const char *key = notw_setting_key(s), *env = notw_setting_env(s);
	const char *option = notw_setting_option(s), *help = notw_setting_help(s);

	ck_assert_msg(key != NULL && key[0] != '\0', "setting %d has no key", _i);
	ck_assert_int_eq(notw_setting_by_key(key), _i);
	/* NOTW_ and the key in upper case: the man pages say so. */
	ck_assert_msg(env != NULL && strncmp(env, "NOTW_", 5) == 0 && strlen(env) == 5 + strlen(key),
		      "%s: variable %s", key, env);
	for (size_t i = 0; key[i] != '\0'; i++)
		ck_assert_msg(env[5 + i] == toupper((unsigned char)key[i]), "%s: variable %s", key, env);
	/* The key with '-' for '_' (notw.1 says so); enabled alone has none. */
	if (s == NOTW_SET_ENABLED) {
		ck_assert_ptr_null(option);
	} else {
		ck_assert_msg(option != NULL && strlen(option) == strlen(key), "%s: option %s", key,
			      option != NULL ? option : "(none)");
		for (size_t i = 0; key[i] != '\0'; i++)
			ck_assert_msg(option[i] == (key[i] == '_' ? '-' : key[i]), "%s: option %s", key, option);
	}
	ck_assert_msg(help != NULL && help[0] != '\0' && strlen(help) <= 51 && strchr(help, '\n') == NULL,
		      "%s: help must be one line of at most 51 characters", key);
	const char *metavar = notw_setting_metavar(s);
	ck_assert_msg(metavar != NULL && metavar[0] != '\0', "%s: no metavar", key);
}
END_TEST

START_TEST(test_keys_unique)
{
	for (int i = 0; i < N_SETTINGS; i++)
		for (int j = i + 1; j < N_SETTINGS; j++) {
			ck_assert_str_ne(notw_setting_key((enum notw_setting)i), notw_setting_key((enum notw_setting)j));
			ck_assert_str_ne(notw_setting_env((enum notw_setting)i), notw_setting_env((enum notw_setting)j));
		}
	ck_assert_int_eq(notw_setting_by_key("nope"), -1);
	ck_assert_int_eq(notw_setting_by_key("LOG"), -1);
	ck_assert_int_eq(notw_setting_by_key(""), -1);
	ck_assert_str_eq(notw_setting_key(NOTW_SET_COUNT), "?");
	ck_assert_ptr_nonnull(notw_policy_set(NULL, NOTW_SET_COUNT, "on"));
}
END_TEST

START_TEST(test_samples_for_all)
{
	ck_assert_msg(samples[_i][0] != NULL, "%s: no sample values in this test",
		      notw_setting_key((enum notw_setting)_i));
}
END_TEST

/* ------------------------------------------------------------------ */
/* printing                                                             */

/* parse(print(x)) == x, and print(parse(print(x))) == print(x). */
START_TEST(test_print_reads_back)
{
	enum notw_setting s = (enum notw_setting)_i;
	static char first[NOTW_SETTING_TEXT_MAX], second[NOTW_SETTING_TEXT_MAX];
	for (int k = 0; k < SAMPLES_MAX && samples[s][k] != NULL; k++) {
		struct notw_policy x, y;
		notw_policy_defaults(&x);
		ck_assert_msg(notw_policy_set(&x, s, samples[s][k]) == NULL, "%s = %.40s rejected",
			      notw_setting_key(s), samples[s][k]);
		printed(&x, s, first, sizeof first);
		notw_policy_defaults(&y);
		const char *why = notw_policy_set(&y, s, first);
		ck_assert_msg(why == NULL, "%s: printed %.40s does not read back: %s", notw_setting_key(s),
			      first, why);
		ck_assert_msg(notw_policy_same(&x, &y), "%s = %.40s: not the same after printing",
			      notw_setting_key(s), samples[s][k]);
		ck_assert_str_eq(printed(&y, s, second, sizeof second), first);
	}
}
END_TEST

START_TEST(test_print_known_texts)
{
	struct notw_policy p;
	char text[NOTW_SETTING_TEXT_MAX];
	notw_policy_defaults(&p);
	ck_assert_ptr_null(notw_policy_set(&p, NOTW_SET_PORTS, "8100, 80, 8000-8099, 443-443"));
	ck_assert_str_eq(printed(&p, NOTW_SET_PORTS, text, sizeof text), "80,443,8000-8100");
	ck_assert_ptr_null(notw_policy_set(&p, NOTW_SET_LOG, "SysLog"));
	ck_assert_str_eq(printed(&p, NOTW_SET_LOG, text, sizeof text), "syslog");
	ck_assert_ptr_null(notw_policy_set(&p, NOTW_SET_LOG, "file:/x y"));
	ck_assert_str_eq(printed(&p, NOTW_SET_LOG, text, sizeof text), "file:/x y");
	ck_assert_ptr_null(notw_policy_set(&p, NOTW_SET_LOG_LEVEL, "warning"));
	ck_assert_str_eq(printed(&p, NOTW_SET_LOG_LEVEL, text, sizeof text), "warn");
	ck_assert_ptr_null(notw_policy_set(&p, NOTW_SET_WAIT, "007"));
	ck_assert_str_eq(printed(&p, NOTW_SET_WAIT, text, sizeof text), "7");

	/* All ports: written as an empty list, shown as "(all)". */
	notw_policy_defaults(&p);
	ck_assert_str_eq(printed(&p, NOTW_SET_PORTS, text, sizeof text), "");
	struct notw_buf b;
	notw_buf_init(&b, text, sizeof text);
	notw_setting_show(&p, NOTW_SET_PORTS, &b);
	ck_assert_str_eq(text, "(all)");
	notw_buf_init(&b, text, sizeof text);
	notw_setting_show(&p, NOTW_SET_WAIT, &b);
	ck_assert_str_eq(text, "0");
}
END_TEST

/* The debug line names every setting with its default. */
START_TEST(test_describe_defaults)
{
	struct notw_policy p;
	char text[NOTW_LOG_LINE_MAX];
	struct notw_buf b;
	notw_policy_defaults(&p);
	notw_buf_init(&b, text, sizeof text);
	notw_settings_describe(&p, &b);
	ck_assert_str_eq(text, "enabled=on reuseaddr=on linger=off linger_outgoing=off ports=(all) reap=on "
			       "wait=0 log=stderr log_level=info");
}
END_TEST

/* notw_policy_defaults() sets every setting whatever the memory held. */
START_TEST(test_defaults_set_everything)
{
	struct notw_policy dirty, clean;
	memset(&dirty, 0x5A, sizeof dirty);
	memset(&clean, 0, sizeof clean);
	notw_policy_defaults(&dirty);
	notw_policy_defaults(&clean);
	ck_assert(notw_policy_same(&dirty, &clean));
}
END_TEST

/* Each setting on its own makes two policies differ. */
START_TEST(test_same_sees_each_setting)
{
	enum notw_setting s = (enum notw_setting)_i;
	struct notw_policy a, b;
	notw_policy_defaults(&a);
	notw_policy_defaults(&b);
	ck_assert(notw_policy_same(&a, &b));
	ck_assert_ptr_null(notw_policy_set(&b, s, samples[s][0]));
	ck_assert_msg(!notw_policy_same(&a, &b), "%s = %s: not seen", notw_setting_key(s), samples[s][0]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the environment                                                      */

static enum notw_setting bad_one;

/* Only the variable of bad_one is set, to a value no kind takes. */
static const char *one_bad_variable(const char *name)
{
	return strcmp(name, notw_setting_env(bad_one)) == 0 ? "\x01?" : NULL;
}

START_TEST(test_env_names_each_setting)
{
	struct notw_policy p, before;
	struct notw_diag d[NOTW_DIAG_MAX];
	bad_one = (enum notw_setting)_i;
	notw_policy_defaults(&p);
	notw_policy_defaults(&before);
	ck_assert_int_eq(notw_policy_apply_env(&p, one_bad_variable, d, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(d[0].name, notw_setting_env(bad_one));
	ck_assert_str_eq(d[0].value, "\x01?");
	ck_assert_str_eq(d[0].reason, notw_policy_set(NULL, bad_one, "\x01?"));
	ck_assert(notw_policy_same(&p, &before));
}
END_TEST

/* ------------------------------------------------------------------ */
/* the port list's limit, wherever a list is read                       */

static char too_many[1024];

static void make_too_many(void)
{
	size_t len = 0;
	for (unsigned i = 0; i <= NOTW_PORT_RANGES_MAX; i++)
		len += (size_t)snprintf(too_many + len, sizeof too_many - len, "%s%u", i > 0 ? "," : "",
					1000u + 2u * i);
}

static const char *too_many_env(const char *name)
{
	return strcmp(name, "NOTW_PORTS") == 0 ? too_many : NULL;
}

START_TEST(test_port_limit_everywhere)
{
	const char *why = notw_policy_set(NULL, NOTW_SET_PORTS, too_many);
	ck_assert_ptr_nonnull(why);
	ck_assert_ptr_nonnull(strstr(why, "more than 64 separate ports or ranges"));

	/* The environment. */
	struct notw_policy p;
	struct notw_diag d[NOTW_DIAG_MAX];
	notw_policy_defaults(&p);
	ck_assert_int_eq(notw_policy_apply_env(&p, too_many_env, d, NOTW_DIAG_MAX), 1);
	ck_assert_str_eq(d[0].reason, why);
	ck_assert(p.ports.all);

	/* The policy file: such a list is longer than a line may be (65
	 * separate ports take more than 199 bytes), refused all the same. */
	char text[1200];
	struct notw_config_report r;
	snprintf(text, sizeof text, "[defaults]\nports = %s\n", too_many);
	notw_policy_defaults(&p);
	ck_assert_int_eq(notw_config_apply(&p, text, strlen(text), NULL, &r), 1);
	ck_assert_uint_eq(r.diags[0].line, 2);
	ck_assert(p.ports.all);

	/* One port fewer is taken everywhere. */
	*strrchr(too_many, ',') = '\0';
	ck_assert_ptr_null(notw_policy_set(NULL, NOTW_SET_PORTS, too_many));
	notw_policy_defaults(&p);
	ck_assert_int_eq(notw_policy_apply_env(&p, too_many_env, d, NOTW_DIAG_MAX), 0);
	ck_assert_uint_eq(p.ports.count, NOTW_PORT_RANGES_MAX);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *settings_suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_entry_complete, 0, N_SETTINGS);
	tcase_add_test(tc, test_keys_unique);
	tcase_add_loop_test(tc, test_samples_for_all, 0, N_SETTINGS);
	suite_add_tcase(s, tc);

	tc = tcase_create("print");
	tcase_add_loop_test(tc, test_print_reads_back, 0, N_SETTINGS);
	tcase_add_test(tc, test_print_known_texts);
	tcase_add_test(tc, test_describe_defaults);
	tcase_add_test(tc, test_defaults_set_everything);
	tcase_add_loop_test(tc, test_same_sees_each_setting, 0, N_SETTINGS);
	suite_add_tcase(s, tc);

	tc = tcase_create("environment");
	tcase_add_loop_test(tc, test_env_names_each_setting, 0, N_SETTINGS);
	tcase_add_test(tc, test_port_limit_everywhere);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	make_long_values();
	make_too_many();
	SRunner *sr = srunner_create(settings_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
