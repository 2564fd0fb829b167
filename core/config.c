/* The policy file (notw.ini): read, parsed, reported (config.h). */
#define _GNU_SOURCE
#include "rawsys.h"
#include "config.h"

#include "fmt.h"
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ini.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ------------------------------------------------------------------ */
/* Reading the file                                                    */
/* ------------------------------------------------------------------ */

/* A read shorter than asked that reaches the size fstat() gave is the
 * end of the file: no further read to hear it say 0. A file that claims
 * no size (procfs and the like) is read until read() says 0. */
static bool at_end(size_t len, size_t asked, long got, off_t size)
{
	return (size_t)got < asked && size > 0 && len >= (size_t)size;
}

/* Plain system calls: this runs while the library is getting ready, and
 * the library's own close() hook must not see its descriptor. */
static int read_all(int fd, struct notw_config_text *t, off_t size)
{
	size_t want = NOTW_CONFIG_FILE_MAX + 1; /* one more byte: is there more? */
	while (t->len < want) {
		size_t asked = want - t->len;
		long n = notw_syscall(SYS_read, fd, t->mem + t->len, asked);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		if (n == 0)
			break;
		t->len += (size_t)n;
		if (at_end(t->len, asked, n, size))
			break;
	}
	if (t->len > NOTW_CONFIG_FILE_MAX) {
		/* Keep whole lines only: a cut line would read as another value. */
		t->truncated = true;
		t->len = NOTW_CONFIG_FILE_MAX;
		while (t->len > 0 && t->mem[t->len - 1] != '\n')
			t->len--;
	}
	return 0;
}

static int check_regular(int fd, struct notw_config_text *t, off_t *size)
{
	struct stat st;
	if (notw_syscall(SYS_fstat, fd, &st) != 0)
		return errno;
	if (S_ISDIR(st.st_mode))
		return EISDIR;
	if (!S_ISREG(st.st_mode))
		return EINVAL;
	t->owner = st.st_uid;
	t->mode = st.st_mode;
	*size = st.st_size;
	return 0;
}

/* The caller's buffer, or an anonymous mapping when it has none. */
static int take_buffer(struct notw_config_text *t, char *buf, size_t cap)
{
	if (buf != NULL && cap >= NOTW_CONFIG_FILE_MAX + 1) {
		t->mem = buf;
		return 0;
	}
	void *mem = mmap(NULL, NOTW_CONFIG_FILE_MAX + 1, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return errno;
	t->mem = mem;
	t->map_len = NOTW_CONFIG_FILE_MAX + 1;
	return 0;
}

int notw_config_read_into(const char *path, struct notw_config_text *t, char *buf, size_t cap)
{
	int saved_errno = errno;
	off_t size = 0;
	memset(t, 0, sizeof *t);
	/* O_NONBLOCK: a FIFO put in the file's place must not hang the program. */
	int fd = (int)notw_syscall(SYS_openat, AT_FDCWD, path,
			      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		errno = saved_errno;
		return err;
	}
	int err = check_regular(fd, t, &size);
	if (err == 0)
		err = take_buffer(t, buf, cap);
	if (err == 0)
		err = read_all(fd, t, size);
	notw_syscall(SYS_close, fd);
	if (err != 0)
		notw_config_release(t);
	errno = saved_errno;
	return err;
}

int notw_config_read(const char *path, struct notw_config_text *t)
{
	return notw_config_read_into(path, t, NULL, 0);
}

void notw_config_release(struct notw_config_text *t)
{
	if (t->map_len != 0)
		munmap(t->mem, t->map_len);
	t->mem = NULL;
	t->len = 0;
	t->map_len = 0;
}

bool notw_config_trusted_for_setid(const struct notw_config_text *t)
{
	return t->owner == 0 && (t->mode & (S_IWGRP | S_IWOTH)) == 0;
}

const char *notw_config_read_problem(int err)
{
	if (err == EISDIR)
		return "it is a directory";
	if (err == EINVAL)
		return "it is not a regular file";
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Parsing: lines are cut and classified here, settings split by inih   */
/* ------------------------------------------------------------------ */

/* inih (as Debian builds it) parses a line in a 200-byte buffer, takes a
 * line with leading blanks as the continuation of the previous value and
 * reports a bad line only by the number of the first one. So this file
 * feeds it one line at a time through a reader: the reader numbers the
 * lines, handles section headers, blank lines and comments itself, trims
 * the blanks, and hands inih only "key = value" lines, whose splitting
 * and inline comments are inih's. A setting line inih does not call back
 * for did not parse. */

enum section_kind {
	SECTION_NONE,      /* before the first header */
	SECTION_IGNORED,   /* a header that was reported; its settings are skipped */
	SECTION_DEFAULTS,
	SECTION_PROGRAM,
};

struct section_seen {
	size_t name_off;   /* the name, as it stands in the text */
	size_t name_len;
	uint32_t keys;     /* settings given in it so far */
	unsigned first_line[NOTW_SET_COUNT];
};

struct parse {
	const char *text;
	size_t len;
	size_t pos;
	unsigned line;             /* number of the line last handed out */
	bool setting_pending;      /* that line was given to inih as a setting */
	bool called_back;          /* ... and inih called back for it */
	enum section_kind kind;
	bool applies;              /* [defaults], or a [program:] that matches */
	unsigned current;          /* index in seen[] of the current section */
	unsigned n_seen;
	struct section_seen seen[NOTW_CONFIG_SECTIONS_MAX];
	uint32_t set_by_program;   /* settings a matching [program:] has set */
	struct notw_policy *policy;
	const struct notw_program *prog;
	notw_identify_fn identify;  /* fills identified when first needed */
	struct notw_program identified;
	struct notw_config_report *report;
};

static void report(struct parse *ps, const char *fmt, ...)
{
	struct notw_config_report *r = ps->report;
	if (r->count >= NOTW_CONFIG_DIAG_MAX) {
		r->dropped++;
		return;
	}
	struct notw_config_diag *d = &r->diags[r->count++];
	struct notw_buf b;
	va_list ap;
	d->line = ps->line;
	notw_buf_init(&b, d->text, sizeof d->text);
	va_start(ap, fmt);
	notw_buf_vformat(&b, fmt, ap);
	va_end(ap);
}

static bool is_blank_char(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank_char(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank_char((*s)[*n - 1]))
		(*n)--;
}

/* The text before an inline comment: ';' after a blank, inih's rule. */
static size_t before_inline_comment(const char *s, size_t n)
{
	for (size_t i = 1; i < n; i++)
		if (s[i] == ';' && is_blank_char(s[i - 1])) {
			while (i > 0 && is_blank_char(s[i - 1]))
				i--;
			return i;
		}
	return n;
}

/* The current section's name, NUL-terminated, for messages. */
static void section_name(const struct parse *ps, char *out, size_t cap)
{
	const struct section_seen *sec = &ps->seen[ps->current];
	size_t n = sec->name_len < cap - 1 ? sec->name_len : cap - 1;
	memcpy(out, ps->text + sec->name_off, n);
	out[n] = '\0';
}

bool notw_config_program_matches(const char *pattern, const struct notw_program *prog)
{
	if (prog == NULL)
		return false;
	if (strchr(pattern, '/') != NULL)
		return prog->path != NULL && fnmatch(pattern, prog->path, FNM_PATHNAME) == 0;
	return prog->name != NULL && fnmatch(pattern, prog->name, 0) == 0;
}

static bool section_matches(struct parse *ps, const char *name, size_t n)
{
	char pattern[NOTW_CONFIG_LINE_MAX + 1];
	memcpy(pattern, name, n);
	pattern[n] = '\0';
	if (ps->identify != NULL) {
		ps->identify(&ps->identified);
		ps->identify = NULL;
		ps->prog = &ps->identified;
	}
	return notw_config_program_matches(pattern, ps->prog);
}

/* The entry of this name in seen[], added if new; false when full. */
static bool find_section(struct parse *ps, size_t off, size_t n)
{
	for (unsigned i = 0; i < ps->n_seen; i++) {
		const struct section_seen *sec = &ps->seen[i];
		if (sec->name_len == n && memcmp(ps->text + sec->name_off, ps->text + off, n) == 0) {
			ps->current = i;
			return true;
		}
	}
	if (ps->n_seen >= NOTW_CONFIG_SECTIONS_MAX)
		return false;
	ps->current = ps->n_seen++;
	memset(&ps->seen[ps->current], 0, sizeof ps->seen[ps->current]);
	ps->seen[ps->current].name_off = off;
	ps->seen[ps->current].name_len = n;
	return true;
}

static void note_match(struct parse *ps, const char *name, size_t n)
{
	struct notw_config_report *r = ps->report;
	if (r->matched < NOTW_CONFIG_MATCH_MAX) {
		char *out = r->matched_names[r->matched];
		size_t k = n < sizeof r->matched_names[0] - 1 ? n : sizeof r->matched_names[0] - 1;
		memcpy(out, name, k);
		out[k] = '\0';
		r->matched_lines[r->matched] = ps->line;
	}
	r->matched++;
}

/* "[defaults]" or "[program:NAME]", blanks allowed inside the brackets,
 * a comment after them. */
static void enter_section(struct parse *ps, const char *s, size_t n)
{
	const char *close = memchr(s, ']', n);
	ps->kind = SECTION_IGNORED;
	ps->applies = false;
	if (close == NULL) {
		report(ps, "a section header without ']'; its settings are ignored");
		return;
	}
	const char *rest = close + 1;
	size_t rest_n = n - (size_t)(rest - s);
	trim(&rest, &rest_n);
	if (rest_n > 0 && *rest != ';' && *rest != '#') {
		report(ps, "text after the section header's ']'; its settings are ignored");
		return;
	}
	const char *name = s + 1;
	size_t name_n = (size_t)(close - name);
	trim(&name, &name_n);
	enum section_kind kind = SECTION_IGNORED;
	const char *pattern = NULL;
	size_t pattern_n = 0;
	if (name_n == 8 && memcmp(name, "defaults", 8) == 0) {
		kind = SECTION_DEFAULTS;
	} else if (name_n >= 8 && memcmp(name, "program:", 8) == 0) {
		pattern = name + 8;
		pattern_n = name_n - 8;
		trim(&pattern, &pattern_n);
		if (pattern_n == 0) {
			report(ps, "[program:] needs a program name or path; its settings are ignored");
			return;
		}
		kind = SECTION_PROGRAM;
	} else {
		char shown[128];
		size_t k = name_n < sizeof shown - 1 ? name_n : sizeof shown - 1;
		memcpy(shown, name, k);
		shown[k] = '\0';
		report(ps, "unknown section %q (expected [defaults] or [program:NAME]); its settings are ignored",
		       shown);
		return;
	}
	if (!find_section(ps, (size_t)(name - ps->text), name_n)) {
		report(ps, "more than %u sections; this one and its settings are ignored",
		       NOTW_CONFIG_SECTIONS_MAX);
		return;
	}
	ps->kind = kind;
	ps->applies = kind == SECTION_DEFAULTS || section_matches(ps, pattern, pattern_n);
	if (kind == SECTION_PROGRAM && ps->applies)
		note_match(ps, pattern, pattern_n);
}

/* Called before each new line: was the previous setting line understood? */
static void finish_previous_line(struct parse *ps)
{
	if (ps->setting_pending && !ps->called_back)
		report(ps, "expected 'key = value', a [section] header or a comment");
	ps->setting_pending = false;
	ps->called_back = false;
}

/* One physical line without its line end; the BOM of the first one off. */
static bool take_line(struct parse *ps, const char **s, size_t *n)
{
	if (ps->pos >= ps->len)
		return false;
	const char *start = ps->text + ps->pos;
	size_t avail = ps->len - ps->pos;
	const char *nl = memchr(start, '\n', avail);
	size_t len = nl != NULL ? (size_t)(nl - start) : avail;
	ps->pos += len + (nl != NULL);
	ps->line++;
	if (len > 0 && start[len - 1] == '\r')
		len--;
	if (ps->line == 1 && len >= 3 && memcmp(start, "\xEF\xBB\xBF", 3) == 0) {
		start += 3;
		len -= 3;
	}
	*s = start;
	*n = len;
	return true;
}

/* The reader inih calls for each line: fills buf with what inih should
 * see, an empty string for anything it should skip. */
static char *next_line(char *buf, int max, void *stream)
{
	struct parse *ps = stream;
	const char *s;
	size_t n;
	finish_previous_line(ps);
	if (!take_line(ps, &s, &n))
		return NULL;
	buf[0] = '\0';
	if (n > NOTW_CONFIG_LINE_MAX) {
		report(ps, "the line is longer than %u bytes; ignored", NOTW_CONFIG_LINE_MAX);
		return buf;
	}
	if (memchr(s, '\0', n) != NULL) {
		report(ps, "the line holds a NUL byte; ignored");
		return buf;
	}
	trim(&s, &n);
	if (n == 0 || *s == ';' || *s == '#')
		return buf;
	if (*s == '[') {
		enter_section(ps, s, n);
		return buf;
	}
	if (ps->kind == SECTION_NONE) {
		report(ps, "a setting before the first section header; put it under [defaults]");
		return buf;
	}
	if (ps->kind == SECTION_IGNORED)
		return buf; /* said once, at the header */
	if (n >= (size_t)max)
		n = before_inline_comment(s, n);
	if (n >= (size_t)max) {
		report(ps, "key and value take more than %d bytes (the INI parser's limit); ignored",
		       max - 1);
		return buf;
	}
	memcpy(buf, s, n);
	buf[n] = '\0';
	ps->setting_pending = true;
	return buf;
}

static bool relative_log_file(enum notw_setting s, const char *value)
{
	return s == NOTW_SET_LOG && strncmp(value, "file:", 5) == 0 && value[5] != '\0' &&
	       value[5] != '/';
}

/* inih's callback for one "key = value"; the section is this file's own
 * record (inih never sees the headers). */
static int on_setting(void *user, const char *unused_section, const char *key, const char *value)
{
	struct parse *ps = user;
	char shown[128];
	(void)unused_section;
	ps->called_back = true;
	section_name(ps, shown, sizeof shown);
	int found = notw_setting_by_key(key);
	if (found < 0) {
		report(ps, "unknown key %q in section %q; ignored", key, shown);
		return 1;
	}
	enum notw_setting s = (enum notw_setting)found;
	struct section_seen *sec = &ps->seen[ps->current];
	uint32_t bit = (uint32_t)1 << s;
	if ((sec->keys & bit) != 0) {
		report(ps, "duplicate key %q in section %q (first set on line %u); ignored", key, shown,
		       sec->first_line[s]);
		return 1;
	}
	sec->keys |= bit;
	sec->first_line[s] = ps->line;
	if (relative_log_file(s, value)) {
		report(ps, "log = %q: the path of a log file must be absolute here; ignored", value);
		return 1;
	}
	bool is_program = ps->kind == SECTION_PROGRAM;
	/* [defaults] is the lower layer whatever the order in the file. */
	bool apply = ps->applies && (is_program || (ps->set_by_program & bit) == 0);
	const char *why = notw_policy_set(apply ? ps->policy : NULL, s, value);
	if (why != NULL) {
		report(ps, "%s = %q: %s; ignored", key, value, why);
		return 1;
	}
	if (apply && is_program)
		ps->set_by_program |= bit;
	return 1;
}

static int apply(struct notw_policy *p, const char *text, size_t len, const struct notw_program *prog,
		 notw_identify_fn identify, struct notw_config_report *r)
{
	struct parse ps;
	memset(r, 0, sizeof *r);
	memset(&ps, 0, sizeof ps);
	ps.text = text;
	ps.len = len;
	ps.kind = SECTION_NONE;
	ps.policy = p;
	ps.prog = prog;
	ps.identify = identify;
	ps.report = r;
	/* Its result is the first line that did not parse: next_line() has
	 * already said so, with the others. */
	(void)ini_parse_stream(next_line, &ps, on_setting, &ps);
	r->lines = ps.line;
	return r->count + r->dropped;
}

int notw_config_apply(struct notw_policy *p, const char *text, size_t len,
		      const struct notw_program *prog, struct notw_config_report *r)
{
	return apply(p, text, len, prog, NULL, r);
}

int notw_config_apply_identifying(struct notw_policy *p, const char *text, size_t len,
				  notw_identify_fn identify, struct notw_config_report *r)
{
	return apply(p, text, len, NULL, identify, r);
}
