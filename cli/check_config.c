/* notw check-config: the policy file's problems, and what it makes of a
 * program's policy. */
#include "command.h"
#include "config.h"
#include "fmt.h"
#include "options.h"
#include "policy.h"
#include "policy_file.h"
#include "program.h"
#include "settings.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void check_usage(FILE *out)
{
	fprintf(out,
		"usage: notw check-config [--program NAME|PATH] [FILE]\n"
		"Reads FILE (default: $NOTW_CONFIG, else %s) as the library\n"
		"would, prints every problem as FILE:LINE: error: ..., then the policy it\n"
		"gives PROGRAM, or the [defaults] policy without --program. PROGRAM is found\n"
		"in PATH as a shell would, its symbolic links resolved and, for a script, its\n"
		"interpreter taken: the library matches the executable the kernel runs.\n"
		"The environment is not applied. Without FILE and $NOTW_CONFIG, a missing\n"
		"default file is no problem: the library then runs with its defaults.\n"
		"Exit status: 0 no problem, 1 problems, 2 usage error.\n",
		NOTW_DEFAULT_CONFIG);
}

/* What the library will see as /proc/self/exe when NAME is run: the file
 * found in PATH (or named), its links resolved; for a script, its
 * interpreter. Sets *script when NAME is one. */
static bool identify(const char *name, char *path, size_t cap, struct notw_program *prog, bool *script)
{
	char found[PATH_MAX], interp[PATH_MAX];
	*script = false;
	prog->name = name;
	prog->path = NULL;
	if (find_program(name, found, sizeof found) != 0) {
		if (strchr(name, '/') != NULL) { /* not there (yet): take it as given */
			prog->path = name;
			prog->name = strrchr(name, '/') + 1;
		}
		return false;
	}
	if (script_interpreter(found, interp, sizeof interp)) {
		*script = true;
		snprintf(found, sizeof found, "%s", interp);
	}
	if (realpath(found, path) == NULL)
		snprintf(path, cap, "%s", found);
	prog->path = path;
	const char *slash = strrchr(path, '/');
	prog->name = slash != NULL ? slash + 1 : path;
	return true;
}

/* The column of '=': after the longest key. */
static int key_width(void)
{
	size_t width = 0;
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		size_t n = strlen(notw_setting_key((enum notw_setting)i));
		if (n > width)
			width = n;
	}
	return (int)width;
}

/* Every setting, "  key = value" in the table's order, the way each is
 * written ("(all)" for an empty port list). */
static void print_policy(FILE *out, const struct notw_policy *p)
{
	char value[NOTW_SETTING_TEXT_MAX];
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		enum notw_setting s = (enum notw_setting)i;
		struct notw_buf b;
		notw_buf_init(&b, value, sizeof value);
		notw_setting_show(p, s, &b);
		fprintf(out, "  %-*s = %s\n", key_width(), notw_setting_key(s), value);
	}
}

static void print_sections(FILE *out, const struct notw_config_report *r)
{
	fprintf(out, "  %-*s = built-in defaults, [defaults]", key_width(), "from");
	for (int i = 0; i < r->matched && i < NOTW_CONFIG_MATCH_MAX; i++)
		fprintf(out, ", [program:%s] (line %u)", r->matched_names[i], r->matched_lines[i]);
	if (r->matched > NOTW_CONFIG_MATCH_MAX)
		fprintf(out, " and %d more", r->matched - NOTW_CONFIG_MATCH_MAX);
	fputc('\n', out);
}

/* A fresh installation has no policy file: the library then runs with
 * its built-in defaults, for every program. Not a problem. */
static int no_policy_file(const char *file)
{
	struct notw_policy p;
	notw_policy_defaults(&p);
	printf("%s: no such file, the normal state: the library runs every program with its built-in "
	       "defaults (notw.ini(5) tells how to write one):\n", file);
	print_policy(stdout, &p);
	return EXIT_DONE;
}

int cmd_check_config(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "program", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *program = NULL, *file = NULL;
	int c;
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			program = optarg;
			break;
		case 'h':
			check_usage(stdout);
			return EXIT_DONE;
		default:
			option_error("check-config", c, argv);
			return EXIT_USAGE;
		}
	}
	if (optind < argc - 1) {
		fprintf(stderr, "notw check-config: one file only\n");
		try_help("check-config");
		return EXIT_USAGE;
	}
	if (optind == argc - 1)
		file = argv[optind];
	const char *named = getenv("NOTW_CONFIG");
	bool by_default = file == NULL && (named == NULL || *named == '\0');
	if (file == NULL)
		file = by_default ? NOTW_DEFAULT_CONFIG : named;
	if (by_default && access(file, F_OK) != 0 && errno == ENOENT)
		return no_policy_file(file);

	char path[PATH_MAX];
	struct notw_program prog = { NULL, NULL };
	bool script = false, found = false;
	if (program != NULL)
		found = identify(program, path, sizeof path, &prog, &script);
	struct notw_policy p;
	struct notw_config_report r;
	notw_policy_defaults(&p);
	int problems = load_config_for(file, program != NULL ? &prog : NULL, &p, &r);
	if (problems < 0)
		return EXIT_NOT_DONE; /* not read at all: no policy to show */

	if (program == NULL)
		printf("%s: policy for a program no [program:] section matches:\n", file);
	else if (script)
		printf("%s: policy for %s (%s, the interpreter of the script %s):\n", file, prog.name,
		       prog.path, program);
	else if (found)
		printf("%s: policy for %s (%s):\n", file, prog.name, prog.path);
	else if (prog.path != NULL)
		printf("%s: policy for %s (%s: not found, matched as given):\n", file, prog.name, prog.path);
	else
		printf("%s: policy for %s (not found in PATH: only sections naming it match):\n", file,
		       prog.name);
	print_policy(stdout, &p);
	print_sections(stdout, &r);
	if (problems > 0)
		printf("%d problem(s): the settings they concern were left as they were.\n", problems);
	return problems > 0 ? EXIT_NOT_DONE : EXIT_DONE;
}
