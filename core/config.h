/* The policy file (notw.ini): read once with plain system calls into a
 * bounded buffer (the caller's, or an anonymous mapping), parsed by inih,
 * merged into a policy. No allocation, no stdio. */
#ifndef NOTW_CONFIG_H
#define NOTW_CONFIG_H

#include "policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define NOTW_CONFIG_FILE_MAX 65536u   /* bytes read; a longer file is cut at a line end */
#define NOTW_CONFIG_LINE_MAX 1023u    /* bytes of one line, its line end not counted */
#define NOTW_CONFIG_SECTIONS_MAX 64u  /* distinct section names */
#define NOTW_CONFIG_DIAG_MAX 16
#define NOTW_CONFIG_MATCH_MAX 8       /* matching [program:] sections remembered */

/* The file's text, as notw_config_read() left it. */
struct notw_config_text {
	char *mem;
	size_t len;        /* bytes of text in mem */
	size_t map_len;    /* size of the mapping; 0: mem is the caller's */
	bool truncated;    /* the file was longer than NOTW_CONFIG_FILE_MAX */
	uid_t owner;
	mode_t mode;
};

/* Read path. 0 on success (release t later), else an errno value:
 * EISDIR for a directory, EINVAL for anything else that is not a regular
 * file, and what open/read said otherwise. No file: one system call (the
 * open); a file: open, fstat, one read for a file read whole at once,
 * close, and the text's mapping (mmap, munmap at release). */
int notw_config_read(const char *path, struct notw_config_text *t);
/* The same into buf, when it holds NOTW_CONFIG_FILE_MAX + 1 bytes (no
 * mapping then); t->mem points into it. */
int notw_config_read_into(const char *path, struct notw_config_text *t, char *buf, size_t cap);
void notw_config_release(struct notw_config_text *t);

/* In secure-execution mode the file steers a privileged program: only a
 * file owned by root and writable by nobody else may. */
bool notw_config_trusted_for_setid(const struct notw_config_text *t);

/* Why a read failed, in words ("it is a directory"); NULL when the errno
 * name says it best. */
const char *notw_config_read_problem(int err);

/* The program a policy is for: the basename and the full path of its
 * executable (either may be NULL: no [program:] section then matches it). */
struct notw_program {
	const char *name;
	const char *path;
};

struct notw_config_diag {
	unsigned line;     /* 0: about the file as a whole */
	char text[256];
};

struct notw_config_report {
	unsigned lines;                                 /* lines read */
	int count;                                      /* diagnostics kept */
	int dropped;                                    /* and not kept */
	struct notw_config_diag diags[NOTW_CONFIG_DIAG_MAX];
	int matched;                                    /* [program:] sections that applied */
	unsigned matched_lines[NOTW_CONFIG_MATCH_MAX];  /* their header lines, file order */
	char matched_names[NOTW_CONFIG_MATCH_MAX][64];  /* and NAMEs, cut to fit */
};

/* Apply text on top of p: [defaults] first, then every [program:NAME]
 * section that matches prog, in file order, whatever the order of the
 * sections in the file. Every problem is reported in r (which this
 * clears first) and the setting it concerns is left as it was; the valid
 * rest applies. Returns r->count + r->dropped. */
int notw_config_apply(struct notw_policy *p, const char *text, size_t len,
		      const struct notw_program *prog, struct notw_config_report *r);

/* The same for this program, identified only if a [program:] section is
 * to be matched: identify() fills *prog then, once (a file with only
 * [defaults] costs no look at the executable). */
typedef void (*notw_identify_fn)(struct notw_program *prog);
int notw_config_apply_identifying(struct notw_policy *p, const char *text, size_t len,
				  notw_identify_fn identify, struct notw_config_report *r);

/* The text's section headers match NAME as a glob (fnmatch) on the
 * program's basename, or, with a '/' in it, on its full path. */
bool notw_config_program_matches(const char *pattern, const struct notw_program *prog);

#endif
