/* Unit tests for core/config.c: reading a policy file, the diagnostics
 * for each kind of error (with fixture files), and the precedence of
 * [defaults] and [program:] sections. */
#include "config.h"
#include "policy.h"
#include "settings.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef FIXTURES
#error "FIXTURES must name the fixture directory"
#endif

/* ------------------------------------------------------------------ */
/* helpers                                                              */

struct loaded {
	struct notw_policy policy;
	struct notw_config_report report;
	bool truncated;
	int problems;
};

static const struct notw_program srv = { "srv", "/usr/sbin/srv" };

/* Read a fixture and apply it to the built-in defaults for prog. */
static struct loaded load(const char *name, const struct notw_program *prog)
{
	char path[512];
	struct notw_config_text text;
	struct loaded l;
	snprintf(path, sizeof path, "%s/%s", FIXTURES, name);
	int err = notw_config_read(path, &text);
	ck_assert_msg(err == 0, "%s: read failed: %s", name, strerror(err));
	notw_policy_defaults(&l.policy);
	l.truncated = text.truncated;
	l.problems = notw_config_apply(&l.policy, text.mem, text.len, prog, &l.report);
	notw_config_release(&text);
	return l;
}

static struct loaded apply_text(const char *text, const struct notw_program *prog)
{
	struct loaded l;
	notw_policy_defaults(&l.policy);
	l.truncated = false;
	l.problems = notw_config_apply(&l.policy, text, strlen(text), prog, &l.report);
	return l;
}

/* Diagnostic i is on line and says each of the given words. */
static void expect_diag(const struct loaded *l, int i, unsigned line, const char *w1, const char *w2)
{
	ck_assert_msg(i < l->report.count, "diagnostic %d missing (have %d)", i, l->report.count);
	const struct notw_config_diag *d = &l->report.diags[i];
	ck_assert_msg(d->line == line, "diagnostic %d on line %u, expected %u: %s", i, d->line, line,
		      d->text);
	ck_assert_msg(strstr(d->text, w1) != NULL, "diagnostic %d lacks \"%s\": %s", i, w1, d->text);
	if (w2 != NULL)
		ck_assert_msg(strstr(d->text, w2) != NULL, "diagnostic %d lacks \"%s\": %s", i, w2,
			      d->text);
}

START_TEST(test_control_characters_quoted)
{
	struct loaded l = apply_text("[defaults]\nli\x1b[2Jnger = on\n[\x1b]0;x\x07]\n", NULL);
	ck_assert_int_eq(l.problems, 2);
	for (int i = 0; i < 2; i++)
		for (const char *c = l.report.diags[i].text; *c != '\0'; c++)
			ck_assert_msg((unsigned char)*c >= 0x20, "raw control character in: %s", l.report.diags[i].text);
}
END_TEST

static void expect_no_diag(const struct loaded *l)
{
	ck_assert_msg(l->problems == 0, "%d problems, first: line %u %s", l->problems,
		      l->report.diags[0].line, l->report.diags[0].text);
}

static struct notw_policy defaults(void)
{
	struct notw_policy p;
	notw_policy_defaults(&p);
	return p;
}

/* ------------------------------------------------------------------ */
/* reading                                                              */

START_TEST(test_read_missing_file)
{
	struct notw_config_text t;
	ck_assert_int_eq(notw_config_read(FIXTURES "/no-such-file.ini", &t), ENOENT);
	ck_assert_ptr_null(t.mem);
}
END_TEST

START_TEST(test_read_directory)
{
	struct notw_config_text t;
	int err = notw_config_read(FIXTURES, &t);
	ck_assert_int_eq(err, EISDIR);
	ck_assert_str_eq(notw_config_read_problem(err), "it is a directory");
}
END_TEST

START_TEST(test_read_not_regular)
{
	struct notw_config_text t;
	char dir[] = "/tmp/notw-config-XXXXXX";
	char fifo[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	/* A FIFO with no writer: must not block. */
	int err = notw_config_read(fifo, &t);
	unlink(fifo);
	rmdir(dir);
	ck_assert_int_eq(err, EINVAL);
	ck_assert_str_eq(notw_config_read_problem(err), "it is not a regular file");
}
END_TEST

/* Root reads a mode-000 file anyway: the check runs as nobody. */
START_TEST(test_read_unreadable)
{
	char dir[] = "/tmp/notw-config-XXXXXX";
	char file[64];
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(file, sizeof file, "%s/secret.ini", dir);
	int fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0000);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "[defaults]\n", 11), 11);
	close(fd);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0))
			_exit(3);
		struct notw_config_text t;
		_exit(notw_config_read(file, &t) == EACCES ? 0 : 4);
	}
	int status = 0;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	unlink(file);
	rmdir(dir);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

static void write_file(const char *path, const char *chunk, size_t chunk_len, size_t total)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	for (size_t done = 0; done < total; done += chunk_len)
		ck_assert_uint_eq(fwrite(chunk, 1, chunk_len, f), chunk_len);
	fclose(f);
}

/* A file over the limit: the whole lines before the cut are read. */
START_TEST(test_read_over_long_file)
{
	char path[] = "/tmp/notw-config-big-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	const char line[] = "; 32 bytes of comment..........\n";
	ck_assert_uint_eq(sizeof line - 1, 32);
	write_file(path, "[defaults]\nreap = off\n", 22, 22);
	FILE *f = fopen(path, "a");
	for (unsigned i = 0; i < 3000; i++) /* 96,000 bytes */
		fputs(line, f);
	fputs("[defaults]\nlinger = always\n", f);
	fclose(f);
	struct notw_config_text t;
	ck_assert_int_eq(notw_config_read(path, &t), 0);
	unlink(path);
	ck_assert(t.truncated);
	ck_assert_uint_le(t.len, NOTW_CONFIG_FILE_MAX);
	ck_assert_int_eq(t.mem[t.len - 1], '\n');
	struct notw_policy p = defaults();
	struct notw_config_report r;
	ck_assert_int_eq(notw_config_apply(&p, t.mem, t.len, NULL, &r), 0);
	notw_config_release(&t);
	ck_assert(!p.reap);                           /* before the cut */
	ck_assert_int_eq(p.linger, NOTW_LINGER_OFF);  /* after it */
	ck_assert_uint_eq(r.lines, 2 + (NOTW_CONFIG_FILE_MAX - 22) / 32);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the settings                                                         */

START_TEST(test_good_file_for_each_program)
{
	struct loaded l = load("good.ini", &(struct notw_program){ "myserver", "/usr/local/bin/myserver" });
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_CRASH);
	ck_assert(!l.policy.ports.all);
	ck_assert(notw_policy_port_matches(&l.policy, 49200));
	ck_assert(notw_policy_port_matches(&l.policy, 8000));
	ck_assert(notw_policy_port_matches(&l.policy, 8100));
	ck_assert(!notw_policy_port_matches(&l.policy, 8101));
	ck_assert(l.policy.enabled);
	ck_assert_int_eq(l.report.matched, 1);
	ck_assert_uint_eq(l.report.matched_lines[0], 12);

	l = load("good.ini", &(struct notw_program){ "db", "/opt/vendor/v2/bin/db" });
	expect_no_diag(&l);
	ck_assert(!l.policy.enabled);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);
	ck_assert(l.policy.ports.all);

	/* The path glob's '*' does not cross a '/'. */
	l = load("good.ini", &(struct notw_program){ "db", "/opt/vendor/v2/extra/bin/db" });
	ck_assert(l.policy.enabled);

	l = load("good.ini", &(struct notw_program){ "other", "/usr/bin/other" });
	ck_assert_int_eq(l.report.matched, 0);
	struct notw_policy d = defaults();
	ck_assert(notw_policy_same(&l.policy, &d));

	/* No program at all: only [defaults]. */
	l = load("good.ini", NULL);
	ck_assert_int_eq(l.report.matched, 0);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);
}
END_TEST

START_TEST(test_every_key)
{
	struct loaded l = apply_text("[defaults]\n"
				     "enabled = off\nreuseaddr = no\nlinger = always\nports = 1-3\n"
				     "reap = false\nwait = 600\nlog = file:/var/log/n.log\nlog_level = debug\n",
				     NULL);
	expect_no_diag(&l);
	ck_assert(!l.policy.enabled);
	ck_assert(!l.policy.reuseaddr);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_ALWAYS);
	ck_assert(notw_policy_port_matches(&l.policy, 3) && !notw_policy_port_matches(&l.policy, 4));
	ck_assert(!l.policy.reap);
	ck_assert_uint_eq(l.policy.wait_seconds, 600);
	ck_assert_int_eq(l.policy.log.sink, NOTW_SINK_FILE);
	ck_assert_str_eq(l.policy.log.path, "/var/log/n.log");
	ck_assert_int_eq(l.policy.log_level, NOTW_LEVEL_DEBUG);
	/* "key: value" is inih's other separator. */
	l = apply_text("[defaults]\nlinger: exit\n", NULL);
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
}
END_TEST

START_TEST(test_bad_value)
{
	struct loaded l = load("bad-value.ini", NULL);
	ck_assert_int_eq(l.problems, 2);
	expect_diag(&l, 0, 2, "linger = \"sometimes\"", "expected off, crash, exit or always");
	expect_diag(&l, 1, 4, "wait = \"601\"", "0 to 600");
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);  /* left as it was */
	ck_assert_uint_eq(l.policy.wait_seconds, 0);
	ck_assert(!l.policy.reap);                          /* the valid rest applies */
}
END_TEST

START_TEST(test_unknown_key)
{
	struct loaded l = load("unknown-key.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "unknown key \"lingr\"", "in section \"defaults\"");
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
}
END_TEST

START_TEST(test_duplicate_key)
{
	struct loaded l = load("duplicate.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 4, "duplicate key \"linger\"", "first set on line 2");
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_CRASH);  /* the first one */
	ck_assert(!l.policy.reap);
	/* Across two headers of the same section, too. */
	l = apply_text("[defaults]\nwait = 1\n[program:x]\nwait = 2\n[defaults]\nwait = 3\n", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 6, "duplicate key \"wait\"", "first set on line 2");
}
END_TEST

START_TEST(test_no_equals)
{
	struct loaded l = load("no-equals.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "expected 'key = value'", NULL);
	ck_assert(!l.policy.reap);
	/* The last line, too. */
	l = apply_text("[defaults]\nreap = off\nlinger", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 3, "expected 'key = value'", NULL);
}
END_TEST

START_TEST(test_no_trailing_newline)
{
	struct loaded l = load("no-trailing-newline.ini", NULL);
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
	ck_assert(!l.policy.reap);
	ck_assert_uint_eq(l.report.lines, 3);
}
END_TEST

START_TEST(test_line_1023_accepted)
{
	struct loaded l = load("line-1023.ini", NULL);
	expect_no_diag(&l);
	/* Its setting survives the long inline comment. */
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_CRASH);
	ck_assert(!l.policy.reap);
}
END_TEST

START_TEST(test_line_1024_rejected)
{
	struct loaded l = load("line-1024.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "longer than 1023 bytes", NULL);
	ck_assert(!l.policy.reap);  /* the next line still counts */
}
END_TEST

START_TEST(test_line_4096_rejected)
{
	struct loaded l = load("line-4096.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "longer than 1023 bytes", NULL);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);
	ck_assert(!l.policy.reap);
}
END_TEST

/* Key and value longer than the parser's 200-byte line buffer. */
START_TEST(test_long_setting_rejected)
{
	struct loaded l = load("long-setting.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "more than 199 bytes", NULL);
	ck_assert(l.policy.ports.all);
	ck_assert(!l.policy.reap);
}
END_TEST

START_TEST(test_bom)
{
	struct loaded l = load("bom.ini", NULL);
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
	/* Only at the very start. */
	l = apply_text("[defaults]\n\xEF\xBB\xBFlinger = exit\n", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "unknown key", NULL);
}
END_TEST

START_TEST(test_crlf)
{
	struct loaded l = load("crlf.ini", &srv);
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
	ck_assert_str_eq(l.policy.log.path, "/var/log/notw.log");  /* no '\r' */
	ck_assert(notw_policy_port_matches(&l.policy, 80) && !notw_policy_port_matches(&l.policy, 81));
}
END_TEST

START_TEST(test_empty_file)
{
	struct loaded l = load("empty.ini", &srv);
	expect_no_diag(&l);
	ck_assert_uint_eq(l.report.lines, 0);
	struct notw_policy d = defaults();
	ck_assert(notw_policy_same(&l.policy, &d));
}
END_TEST

START_TEST(test_sections)
{
	struct loaded l = load("sections.ini", &srv);
	ck_assert_int_eq(l.problems, 4);
	expect_diag(&l, 0, 3, "unknown section \"unknown\"", NULL);
	expect_diag(&l, 1, 5, "[program:] needs a program name", NULL);
	expect_diag(&l, 2, 7, "without ']'", NULL);
	expect_diag(&l, 3, 9, "text after", NULL);
	/* None of the broken sections' settings applied. */
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);
	ck_assert(l.policy.reap);
}
END_TEST

START_TEST(test_setting_before_section)
{
	struct loaded l = load("before-section.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 1, "before the first section", "[defaults]");
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_OFF);
	ck_assert(!l.policy.reap);
}
END_TEST

START_TEST(test_precedence)
{
	struct loaded l = load("precedence.ini", &srv);
	expect_no_diag(&l);
	/* [program:srv] beats [defaults] even though it comes first. */
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_CRASH);
	ck_assert_uint_eq(l.policy.wait_seconds, 7);  /* [program:s*], a glob on the name */
	ck_assert(!l.policy.reap);                    /* the second [defaults] block */
	ck_assert_int_eq(l.report.matched, 2);
	ck_assert_uint_eq(l.report.matched_lines[0], 1);
	ck_assert_uint_eq(l.report.matched_lines[1], 6);
	ck_assert_str_eq(l.report.matched_names[0], "srv");
	ck_assert_str_eq(l.report.matched_names[1], "s*");

	l = load("precedence.ini", &(struct notw_program){ "other", "/bin/other" });
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_EXIT);
	ck_assert_uint_eq(l.policy.wait_seconds, 9);

	/* Later matching sections win over earlier ones. */
	l = apply_text("[program:srv]\nwait = 1\n[program:/usr/sbin/*]\nwait = 2\n", &srv);
	ck_assert_uint_eq(l.policy.wait_seconds, 2);
	l = apply_text("[program:/usr/sbin/*]\nwait = 2\n[program:srv]\nwait = 1\n", &srv);
	ck_assert_uint_eq(l.policy.wait_seconds, 1);
}
END_TEST

/* Leading blanks do not make a line a continuation (inih's default). */
START_TEST(test_indented_lines)
{
	struct loaded l = load("indented.ini", NULL);
	expect_no_diag(&l);
	ck_assert_int_eq(l.policy.linger, NOTW_LINGER_CRASH);
	ck_assert(!l.policy.reap);
}
END_TEST

START_TEST(test_relative_log_path)
{
	struct loaded l = load("relative-log.ini", NULL);
	ck_assert_int_eq(l.problems, 1);
	expect_diag(&l, 0, 2, "must be absolute", NULL);
	ck_assert_int_eq(l.policy.log.sink, NOTW_SINK_STDERR);
	ck_assert_int_eq(l.policy.log_level, NOTW_LEVEL_DEBUG);
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char text[] = "[defaults]\nlinger = cr\0sh\nreap = off\n";
	struct notw_policy p = defaults();
	struct notw_config_report r;
	ck_assert_int_eq(notw_config_apply(&p, text, sizeof text - 1, NULL, &r), 1);
	ck_assert_uint_eq(r.diags[0].line, 2);
	ck_assert_ptr_nonnull(strstr(r.diags[0].text, "NUL"));
	ck_assert_int_eq(p.linger, NOTW_LINGER_OFF);
	ck_assert(!p.reap);
}
END_TEST

/* More problems than are kept: counted, not written past the array. */
START_TEST(test_many_problems)
{
	char text[4096];
	size_t n = (size_t)snprintf(text, sizeof text, "[defaults]\n");
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "bogus%d = 1\n", i);
	struct notw_policy p = defaults();
	struct notw_config_report r;
	ck_assert_int_eq(notw_config_apply(&p, text, n, NULL, &r), 40);
	ck_assert_int_eq(r.count, NOTW_CONFIG_DIAG_MAX);
	ck_assert_int_eq(r.dropped, 40 - NOTW_CONFIG_DIAG_MAX);
}
END_TEST

START_TEST(test_too_many_sections)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text, "[defaults]\nreap = off\n");
	/* [defaults] takes one place: the last of these is one too many. */
	for (unsigned i = 0; i < NOTW_CONFIG_SECTIONS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "[program:p%u]\nwait = 1\n", i);
	n += (size_t)snprintf(text + n, sizeof text - n, "[defaults]\nlinger = exit\n");
	struct notw_policy p = defaults();
	struct notw_config_report r;
	ck_assert_int_eq(notw_config_apply(&p, text, n, NULL, &r), 1);
	ck_assert_uint_eq(r.diags[0].line, 2 + 2 * (NOTW_CONFIG_SECTIONS_MAX - 1) + 1);
	ck_assert_ptr_nonnull(strstr(r.diags[0].text, "more than 64 sections"));
	ck_assert(!p.reap);
	ck_assert_int_eq(p.linger, NOTW_LINGER_EXIT); /* a section seen before still counts */
}
END_TEST

START_TEST(test_program_matching)
{
	const struct notw_program java = { "java", "/usr/lib/jvm/java-17/bin/java" };
	ck_assert(notw_config_program_matches("java", &java));
	ck_assert(notw_config_program_matches("j*", &java));
	ck_assert(!notw_config_program_matches("jav", &java));
	ck_assert(notw_config_program_matches("/usr/lib/jvm/*/bin/java", &java));
	ck_assert(!notw_config_program_matches("/usr/lib/*/java", &java));
	ck_assert(!notw_config_program_matches("java", NULL));
	ck_assert(!notw_config_program_matches("/x", &(struct notw_program){ "x", NULL }));
}
END_TEST

/* Into the caller's buffer: no mapping, the same text. */
START_TEST(test_read_into_caller_buffer)
{
	static char buf[NOTW_CONFIG_FILE_MAX + 1];
	char path[512];
	struct notw_config_text mapped, into;
	snprintf(path, sizeof path, "%s/good.ini", FIXTURES);
	ck_assert_int_eq(notw_config_read(path, &mapped), 0);
	ck_assert_uint_ne(mapped.map_len, 0);
	ck_assert_int_eq(notw_config_read_into(path, &into, buf, sizeof buf), 0);
	ck_assert_ptr_eq(into.mem, buf);
	ck_assert_uint_eq(into.map_len, 0);
	ck_assert_uint_eq(into.len, mapped.len);
	ck_assert(memcmp(into.mem, mapped.mem, mapped.len) == 0);
	notw_config_release(&into);
	notw_config_release(&mapped);

	/* A buffer too small for the longest file: a mapping all the same. */
	char small[64];
	ck_assert_int_eq(notw_config_read_into(path, &into, small, sizeof small), 0);
	ck_assert_ptr_ne(into.mem, small);
	ck_assert_uint_ne(into.map_len, 0);
	notw_config_release(&into);
}
END_TEST

static int identify_calls;

static void identify_srv(struct notw_program *prog)
{
	identify_calls++;
	*prog = srv;
}

/* The program is identified only for a [program:] section, once. */
START_TEST(test_identify_only_when_needed)
{
	struct notw_policy p;
	struct notw_config_report r;
	const char *defaults_only = "[defaults]\nenabled = off\nlinger = crash\n";
	const char *sections = "[defaults]\nenabled = off\n[program:other]\nreap = off\n"
			       "[program:srv]\nenabled = on\n[program:/usr/sbin/*]\nwait = 5\n";

	notw_policy_defaults(&p);
	identify_calls = 0;
	ck_assert_int_eq(notw_config_apply_identifying(&p, defaults_only, strlen(defaults_only), identify_srv, &r),
			 0);
	ck_assert_int_eq(identify_calls, 0);
	ck_assert(!p.enabled);
	ck_assert_int_eq(p.linger, NOTW_LINGER_CRASH);

	notw_policy_defaults(&p);
	ck_assert_int_eq(notw_config_apply_identifying(&p, sections, strlen(sections), identify_srv, &r), 0);
	ck_assert_int_eq(identify_calls, 1);
	ck_assert(p.enabled);
	ck_assert(p.reap);
	ck_assert_uint_eq(p.wait_seconds, 5);
	ck_assert_int_eq(r.matched, 2);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("read");
	tcase_add_test(tc, test_read_missing_file);
	tcase_add_test(tc, test_read_directory);
	tcase_add_test(tc, test_read_not_regular);
	tcase_add_test(tc, test_read_unreadable);
	tcase_add_test(tc, test_read_over_long_file);
	tcase_add_test(tc, test_read_into_caller_buffer);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_test(tc, test_good_file_for_each_program);
	tcase_add_test(tc, test_every_key);
	tcase_add_test(tc, test_bad_value);
	tcase_add_test(tc, test_unknown_key);
	tcase_add_test(tc, test_duplicate_key);
	tcase_add_test(tc, test_no_equals);
	tcase_add_test(tc, test_no_trailing_newline);
	tcase_add_test(tc, test_line_1023_accepted);
	tcase_add_test(tc, test_line_1024_rejected);
	tcase_add_test(tc, test_line_4096_rejected);
	tcase_add_test(tc, test_long_setting_rejected);
	tcase_add_test(tc, test_bom);
	tcase_add_test(tc, test_crlf);
	tcase_add_test(tc, test_empty_file);
	tcase_add_test(tc, test_sections);
	tcase_add_test(tc, test_setting_before_section);
	tcase_add_test(tc, test_precedence);
	tcase_add_test(tc, test_indented_lines);
	tcase_add_test(tc, test_relative_log_path);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_many_problems);
	tcase_add_test(tc, test_too_many_sections);
	tcase_add_test(tc, test_program_matching);
	tcase_add_test(tc, test_identify_only_when_needed);
	tcase_add_test(tc, test_control_characters_quoted);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
