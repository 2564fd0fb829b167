/* Loading the policy in force: the policy file (for this program), then
 * the environment; then what they got wrong, said once the log is
 * configured. Runs once, from the ready gate (state.c), and calls nothing
 * back there. */
#define _GNU_SOURCE
#include "rawsys.h"
#include "policy_load.h"

#include "config.h"
#include "fmt.h"
#include "log.h"
#include "policy.h"
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The NOTW_* variables, found in one pass over the environment: getenv()
 * would walk all of it once for each setting. The pass is made as the
 * library loads (notw_policy_note_start()), so that the settings are the
 * ones the program was started with even if it clears or rewrites its
 * environment before its first socket. The entries are copied: a program
 * may write over the strings themselves (nginx, like others that set
 * their process title, moves the environment and writes the title where
 * it was). */
#define NOTW_VARIABLES_MAX 32
#define NOTW_VARIABLES_TEXT 4096
static const char *notw_variables[NOTW_VARIABLES_MAX];
static char notw_variables_text[NOTW_VARIABLES_TEXT];
static int notw_variable_count = -1;  /* -1: more than fit; ask getenv() */
static bool variables_collected;

/* Without strncmp(): at start-up, a call through the PLT costs its binding. */
static bool has_prefix(const char *s, const char *prefix)
{
	for (; *prefix != '\0'; s++, prefix++)
		if (*s != *prefix)
			return false;
	return true;
}

/* Copies s, with its terminator, to text + *used; false when it does not fit. */
static bool copy_entry(const char *s, size_t *used)
{
	size_t at = *used;
	do {
		if (at == NOTW_VARIABLES_TEXT)
			return false;
		notw_variables_text[at++] = *s;
	} while (*s++ != '\0');
	*used = at;
	return true;
}

static void collect_notw_variables(void)
{
	int n = 0;
	size_t used = 0;
	variables_collected = true;
	for (char **e = environ; e != NULL && *e != NULL; e++) {
		if (!has_prefix(*e, "NOTW_"))
			continue;
		size_t start = used;
		if (n == NOTW_VARIABLES_MAX || !copy_entry(*e, &used))
			return;
		notw_variables[n++] = notw_variables_text + start;
	}
	notw_variable_count = n;
}

/* getenv(name), for the names of NOTW_* variables. */
static const char *lookup_env(const char *name)
{
	size_t len = strlen(name);
	if (notw_variable_count < 0)
		return getenv(name);
	for (int i = 0; i < notw_variable_count; i++)
		if (strncmp(notw_variables[i], name, len) == 0 && notw_variables[i][len] == '=')
			return notw_variables[i] + len + 1;
	return NULL;
}

static void report_diagnostics(const struct notw_diag *diags, int n)
{
	for (int i = 0; i < n; i++)
		notw_log(NOTW_LEVEL_ERROR, "%s=%q: %s; ignored (the setting stays as the policy file or the default has it)", diags[i].name,
			 diags[i].value, diags[i].reason);
}

/* Names compared for a "did you mean": longer ones are no typo of ours. */
#define NAME_COMPARED_MAX 40

/* Edits (insert, delete, replace, swap two neighbours) from a[0, n) to
 * b[0, m), both at most NAME_COMPARED_MAX bytes. */
static int edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	int d[NAME_COMPARED_MAX + 1][NAME_COMPARED_MAX + 1];
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (int)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (int)j;
	for (size_t i = 1; i <= n; i++) {
		for (size_t j = 1; j <= m; j++) {
			int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[n][m];
}

/* The variables the library reads: each setting's, and NOTW_CONFIG. */
static const char *variable_name(int i)
{
	return i < NOTW_SET_COUNT ? notw_setting_env((enum notw_setting)i) : "NOTW_CONFIG";
}

/* The variable name[0, n) looks like a misspelling of, or NULL. One edit
 * away (two for longer names, after "NOTW_") is a typo; anything further
 * is some other program's NOTW_ variable (the prefix is not the library's
 * alone) and left alone. */
static const char *meant_variable(const char *name, size_t n)
{
	const size_t prefix = 5; /* "NOTW_" */
	const char *best = NULL;
	int best_d = 3;
	if (n <= prefix || n - prefix > NAME_COMPARED_MAX)
		return NULL;
	for (int i = 0; i <= NOTW_SET_COUNT; i++) {
		const char *known = variable_name(i);
		size_t kn = strlen(known);
		if (kn == n && memcmp(known, name, n) == 0)
			return NULL; /* one of ours */
		if (kn - prefix > NAME_COMPARED_MAX)
			continue;
		int d = edit_distance(name + prefix, n - prefix, known + prefix, kn - prefix);
		int allowed = n - prefix >= 6 ? 2 : 1;
		if (d <= allowed && d < best_d) {
			best = known;
			best_d = d;
		}
	}
	return best;
}

/* NOTW_LINGR=crash would otherwise be ignored without a word (the same
 * typo in the policy file is reported with its line): each misspelt
 * variable is said once, with the one it looks like. */
static void report_misspelt_variables(void)
{
	for (int i = 0; i < notw_variable_count; i++) {
		const char *v = notw_variables[i];
		size_t n = strcspn(v, "=");
		const char *meant = meant_variable(v, n);
		char name[NAME_COMPARED_MAX + 8]; /* "NOTW_" and a name no longer than compared */
		if (meant == NULL || n >= sizeof name)
			continue;
		memcpy(name, v, n);
		name[n] = '\0';
		notw_log(NOTW_LEVEL_WARN, "%q: no such variable, ignored; did you mean %s?", name, meant);
	}
}

/* A sink that cannot be opened is said once on stderr; the log keeps
 * trying it, so a syslog daemon that starts later is still reached (a
 * syslog sink lost later is said once too, by the log itself). */
static void report_sink_failure(const struct notw_policy *p, bool secure)
{
	int err = notw_log_probe_sink();
	if (err == 0)
		return;
	/* Name the setting where the operator will look for it. */
	const char *origin = !secure && lookup_env("NOTW_LOG") != NULL ? "NOTW_LOG=" : "log = ";
	if (p->log.sink == NOTW_SINK_FILE)
		notw_log_error_to_stderr("%sfile:%s: cannot open the log file: %E", origin, p->log.path, err);
	else
		notw_log_syslog_unreachable(origin, err);
}

/* The kernel names an executable whose file was removed since (a package
 * upgrade, then a server that re-executes itself through /proc/self/exe)
 * "PATH (deleted)". The program is still the one at PATH; only a file with
 * no link left is taken for such a one, not a file really called that (nor
 * one removed at PATH but still linked elsewhere). */
static void strip_deleted_suffix(char *path, size_t len)
{
	static const char suffix[] = " (deleted)";
	const size_t slen = sizeof suffix - 1;
	struct stat st;
	if (len <= slen || memcmp(path + len - slen, suffix, slen) != 0)
		return;
	if (stat("/proc/self/exe", &st) == 0 && st.st_nlink == 0)
		path[len - slen] = '\0';
}

/* The executable, for [program:] sections: its path as the kernel has it. */
static void identify_program(struct notw_program *prog)
{
	static char path[PATH_MAX]; /* runs once; see notw_policy_load() */
	const size_t cap = sizeof path;
	long n = notw_syscall(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", path, cap - 1);
	if (n <= 0) {
		/* no /proc: the name execve() was given */
		const char *execfn = (const char *)getauxval(AT_EXECFN);
		n = execfn != NULL ? (long)strnlen(execfn, cap - 1) : 0;
		if (n > 0)
			memcpy(path, execfn, (size_t)n);
	}
	path[n > 0 ? n : 0] = '\0';
	strip_deleted_suffix(path, (size_t)(n > 0 ? n : 0));
	const char *slash = strrchr(path, '/');
	prog->path = path[0] == '/' ? path : NULL;
	prog->name = path[0] != '\0' ? (slash != NULL ? slash + 1 : path) : NULL;
}

/* What loading the policy file found, said once the log is configured. */
struct config_outcome {
	const char *path;
	int read_err;             /* 0, or why the file could not be read */
	bool named;               /* by NOTW_CONFIG, so a missing file is news */
	bool untrusted;           /* secure mode: owned by another user, or writable */
	bool truncated;
	struct notw_config_report report;
};

/* Sets every field of out but report, which only a file read fills. */
static void load_config_file(struct notw_policy *p, bool secure, struct config_outcome *out)
{
	/* Only the pages the file fills are ever touched: no mapping to make
	 * and remove for it. */
	static char text_buf[NOTW_CONFIG_FILE_MAX + 1];
	struct notw_config_text text;
	const char *named = secure ? NULL : lookup_env("NOTW_CONFIG");

	out->named = named != NULL && named[0] != '\0';
	out->path = out->named ? named : NOTW_DEFAULT_CONFIG;
	out->untrusted = false;
	out->truncated = false;
	out->read_err = notw_config_read_into(out->path, &text, text_buf, sizeof text_buf);
	if (out->read_err != 0)
		return;
	if (secure && !notw_config_trusted_for_setid(&text)) {
		out->untrusted = true;
		notw_config_release(&text);
		return;
	}
	out->truncated = text.truncated;
	notw_config_apply_identifying(p, text.mem, text.len, identify_program, &out->report);
	notw_config_release(&text);
}

static void report_config(const struct config_outcome *c)
{
	const struct notw_config_report *r = &c->report;
	if (c->read_err == ENOENT && !c->named)
		return; /* no policy file: the usual case */
	if (c->read_err != 0) {
		const char *problem = notw_config_read_problem(c->read_err);
		if (c->read_err == ENOENT)
			notw_log(NOTW_LEVEL_WARN, "NOTW_CONFIG=%s: no such file; using the built-in defaults",
				 c->path);
		else if (problem != NULL)
			notw_log(NOTW_LEVEL_ERROR, "%s: cannot be read: %s; ignored", c->path, problem);
		else
			notw_log(NOTW_LEVEL_ERROR, "%s: cannot be read: %E; ignored", c->path, c->read_err);
		return;
	}
	if (c->untrusted) {
		notw_log(NOTW_LEVEL_ERROR,
			 "%s: ignored in this set-id program: the file must be owned by root and writable by nobody else",
			 c->path);
		return;
	}
	for (int i = 0; i < r->count; i++)
		notw_log(NOTW_LEVEL_ERROR, "%s:%u: %s", c->path, r->diags[i].line, r->diags[i].text);
	if (r->dropped > 0)
		notw_log(NOTW_LEVEL_ERROR, "%s: %d more problems not shown",
			 c->path, r->dropped);
	if (c->truncated)
		notw_log(NOTW_LEVEL_ERROR, "%s: larger than %u bytes: everything after line %u is ignored",
			 c->path, NOTW_CONFIG_FILE_MAX, r->lines);
	notw_log(NOTW_LEVEL_DEBUG, "policy file %s: %d [program:] section(s) apply", c->path, r->matched);
}

/* Every setting in force, at debug level; nothing formatted otherwise. */
static void report_ready(const struct notw_policy *p)
{
	char text[NOTW_LOG_LINE_MAX];
	struct notw_buf b;
	if (!notw_log_enabled(NOTW_LEVEL_DEBUG))
		return;
	notw_buf_init(&b, text, sizeof text);
	notw_settings_describe(p, &b);
	notw_log(NOTW_LEVEL_DEBUG, "ready: %s", text);
}

void notw_policy_load(void)
{
	struct notw_policy *p = &notw_active_policy;
	struct notw_diag diags[NOTW_DIAG_MAX];
	/* Static: this runs once, maybe on a thread with a small stack. */
	static struct config_outcome config;
	int n = 0;
	/* A set-id or file-capability program runs with an environment its
	 * caller chose: none of it may steer the library, NOTW_CONFIG included. */
	bool secure = getauxval(AT_SECURE) != 0;

	if (!secure && !variables_collected) /* loaded before the library's constructor ran */
		collect_notw_variables();
	notw_policy_defaults(p);
	load_config_file(p, secure, &config);
	if (!secure)
		n = notw_policy_apply_env(p, lookup_env, diags, NOTW_DIAG_MAX);
	notw_log_configure(p->log.sink, p->log.path, p->log_level);
	/* A disabled program touches no sink unless it has a line to write
	 * (with the library in /etc/ld.so.preload, that is every program). */
	if (p->enabled)
		report_sink_failure(p, secure);
	report_config(&config);
	report_diagnostics(diags, n);
	if (!secure)
		report_misspelt_variables();
	if (secure)
		notw_log(NOTW_LEVEL_DEBUG, "secure-execution mode: the NOTW_* environment is ignored");
	if (!p->enabled)
		notw_log(NOTW_LEVEL_DEBUG, "disabled for this program (enabled = off): every call passes through");
	report_ready(p);
}

void notw_policy_note_start(void)
{
	collect_notw_variables();
	for (int i = 0; i < notw_variable_count; i++) {
		const char *v = notw_variables[i];
		if (has_prefix(v, "NOTW_LOG=file:") && v[14] != '/' && v[14] != '\0')
			notw_log_note_start_directory();
	}
}
