/* notw run: run a program under the library. */
#include "command.h"
#include "config.h"
#include "elf_file.h"
#include "fmt.h"
#include "options.h"
#include "policy.h"
#include "policy_file.h"
#include "preload_text.h"
#include "program.h"
#include "say.h"
#include "settings.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

/* How deep the kernel follows "#!" interpreters that are scripts
 * themselves (BINPRM_MAX_RECURSION + 1 files). */
#define MAX_INTERPRETER_DEPTH 5

#define USAGE_WIDTH 79
#define USAGE_HEAD "usage: notw run"
#define HELP_COLUMN 28

/* One "[--option VALUE]" of the synopsis, on a new line when it would
 * pass USAGE_WIDTH. */
static void put_synopsis_item(FILE *out, size_t *column, const char *item)
{
	size_t n = strlen(item);
	if (*column + 1 + n > USAGE_WIDTH) {
		fprintf(out, "\n%*s", (int)strlen(USAGE_HEAD), "");
		*column = strlen(USAGE_HEAD);
	}
	fprintf(out, " %s", item);
	*column += 1 + n;
}

static void print_synopsis(FILE *out)
{
	char item[128];
	size_t column = strlen(USAGE_HEAD);
	fputs(USAGE_HEAD, out);
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		enum notw_setting s = (enum notw_setting)i;
		if (notw_setting_option(s) == NULL)
			continue;
		snprintf(item, sizeof item, "[--%s %s]", notw_setting_option(s), notw_setting_metavar(s));
		put_synopsis_item(out, &column, item);
	}
	put_synopsis_item(out, &column, "[--config FILE]");
	put_synopsis_item(out, &column, "[--] PROGRAM [ARGS...]");
	fputc('\n', out);
}

/* "  --option VALUE   help", the help on the next line when the option
 * is too long for its column. */
static void print_option(FILE *out, const char *option, const char *metavar, const char *help)
{
	int n = fprintf(out, "  --%s %s", option, metavar);
	if (n >= HELP_COLUMN)
		fprintf(out, "\n%*s%s\n", HELP_COLUMN, "", help);
	else
		fprintf(out, "%*s%s\n", HELP_COLUMN - n, "", help);
}

static void run_usage(FILE *out)
{
	print_synopsis(out);
	fputs("Runs PROGRAM with libnotw preloaded (prepended to any LD_PRELOAD); each option\n"
	      "sets the NOTW_* variable of the same name (--config: NOTW_CONFIG, after\n"
	      "checking the file as notw check-config does). Options end at PROGRAM.\n"
	      "Refuses (status 2) a program the library could not load into: statically\n"
	      "linked (of any word size), built for another word size or machine than the\n"
	      "library, set-user-ID or set-group-ID, or with file capabilities; for a script,\n"
	      "the same of its \"#!\" interpreter (a script without \"#!\" runs with /bin/sh, as\n"
	      "a shell runs it). Refuses a library path that LD_PRELOAD would split (a space or\n"
	      "a colon in it). notw attach gives the programs it refuses their port back from\n"
	      "the kernel instead (a cgroup BPF program; see notw attach --help).\n"
	      "Options:\n",
	      out);
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		enum notw_setting s = (enum notw_setting)i;
		if (notw_setting_option(s) != NULL)
			print_option(out, notw_setting_option(s), notw_setting_metavar(s), notw_setting_help(s));
	}
	print_option(out, "config", "FILE", "the policy file (see notw.ini(5))");
}

/* libnotw.so: in the build tree next to this program, else the installed one. */
static bool find_library(char *out, size_t cap)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			struct notw_buf b;
			*slash = '\0';
			notw_buf_init(&b, out, cap);
			notw_buf_format(&b, "%s/../shim/libnotw.so", self);
			char real[PATH_MAX];
			if (access(out, R_OK) == 0 && realpath(out, real) != NULL) {
				snprintf(out, cap, "%s", real);
				return true;
			}
		}
	}
	snprintf(out, cap, "%s/libnotw.so", NOTW_LIBDIR);
	return access(out, R_OK) == 0;
}

static int refuse(const char *program, const char *what, const char *why)
{
	fprintf(stderr,
		"notw run: refusing to run %s: %s%s, so libnotw would silently not load\n"
		"notw run: notw attach reaches it instead: run it in a cgroup and attach the BPF engine there\n"
		"          (notw attach --cgroup PATH, --pid PID or --unit NAME; see notw attach --help)\n",
		program, what, why);
	return EXIT_USAGE;
}

/* Why the loader of this ELF file cannot preload libnotw, or NULL. */
static const char *elf_problem(const char *file)
{
	/* O_NONBLOCK: a FIFO in the program's place must not hang us. */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return NULL; /* exec will say why */
	native_ehdr eh;
	const char *why = NULL;
	enum notw_elf_linking linking = notw_elf_linking(fd);
	if (linking == NOTW_ELF_STATIC)
		why = "statically linked";
	else if (linking == NOTW_ELF_DYNAMIC && (why = notw_elf_read_native(fd, &eh)) != NULL)
		why = "an ELF program libnotw cannot load into: not the library's word size or machine";
	close(fd);
	return why;
}

/* The kernel's own refusals to preload anything: secure execution. */
static const char *setid_problem(const char *file)
{
	struct stat st;
	if (stat(file, &st) != 0)
		return NULL;
	if ((st.st_mode & S_ISUID) != 0)
		return "set-user-ID";
	if ((st.st_mode & S_ISGID) != 0)
		return "set-group-ID";
	if (getxattr(file, "security.capability", NULL, 0) > 0)
		return "with file capabilities";
	return NULL;
}

/* EXIT_DONE when libnotw would load into what the kernel runs for file,
 * else the refusal's status, said on stderr. what: "it is " or "its
 * interpreter ... is ". */
static int check_program(const char *program, const char *file, const char *what, int depth)
{
	const char *why = setid_problem(file);
	if (why == NULL)
		why = elf_problem(file);
	if (why != NULL)
		return refuse(program, what, why);
	if (depth >= MAX_INTERPRETER_DEPTH)
		return EXIT_DONE;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	bool elf = fd >= 0 && notw_elf_linking(fd) != NOTW_ELF_NONE;
	if (fd >= 0)
		close(fd);
	if (elf)
		return EXIT_DONE;
	char interp[PATH_MAX], next_what[PATH_MAX + 64];
	if (has_shebang(file)) {
		if (!script_interpreter(file, interp, sizeof interp))
			return EXIT_DONE; /* exec will say what is wrong */
	} else {
		snprintf(interp, sizeof interp, "%s", PLAIN_SCRIPT_SHELL);
	}
	snprintf(next_what, sizeof next_what, "its interpreter %s is ", interp);
	return check_program(program, interp, next_what, depth + 1);
}

/* --config FILE: the library reads it as NOTW_CONFIG; a problem in it is
 * the user's to fix now, not a line in a log later. */
static bool use_config(const char *file)
{
	char path[PATH_MAX];
	struct notw_policy p;
	struct notw_config_report r;
	if (realpath(file, path) == NULL) {
		say(stderr, "notw run: --config %s: %s", file, strerror(errno));
		return false;
	}
	notw_policy_defaults(&p);
	int problems = load_config_for(path, NULL, &p, &r);
	if (problems != 0) {
		if (problems > 0)
			say(stderr, "notw run: --config %s: fix the problems above first", file);
		return false;
	}
	setenv("NOTW_CONFIG", path, 1);
	return true;
}

/* The value must be one the library accepts: a typo here is the user's to
 * fix now, not a line in a log later. */
static bool set_variable(const char *option, enum notw_setting setting, const char *value)
{
	const char *why = notw_policy_set(NULL, setting, value);
	if (why != NULL) {
		say(stderr, "notw run: --%s %s: %s", option, value, why);
		return false;
	}
	setenv(notw_setting_env(setting), value, 1);
	return true;
}

/* getopt_long's val for --config; the others are their setting + 1. */
#define OPT_CONFIG 1000

/* One long option per setting that has one, then --config and --help. */
static const struct option *run_options(void)
{
	static struct option opts[NOTW_SET_COUNT + 3];
	int n = 0;
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		const char *name = notw_setting_option((enum notw_setting)i);
		if (name != NULL)
			opts[n++] = (struct option){ name, required_argument, NULL, i + 1 };
	}
	opts[n++] = (struct option){ "config", required_argument, NULL, OPT_CONFIG };
	opts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[n] = (struct option){ NULL, 0, NULL, 0 };
	return opts;
}

/* Returns -1 and the program's index in *first, or the exit status. */
static int parse_run_args(int argc, char **argv, int *first)
{
	const struct option *long_opts = run_options();
	int c, index = 0;
	/* '+': options end at the program, whose own options are its own. */
	while ((c = getopt_long(argc, argv, "+" OPTS_QUIET "h", long_opts, &index)) != -1) {
		if (c == 'h') {
			run_usage(stdout);
			return EXIT_DONE;
		}
		if (c == '?' || c == ':') {
			option_error("run", c, argv);
			return EXIT_USAGE;
		}
		bool ok = c == OPT_CONFIG ? use_config(optarg)
					  : set_variable(long_opts[index].name, (enum notw_setting)(c - 1), optarg);
		if (!ok)
			return EXIT_USAGE;
	}
	if (optind >= argc) {
		fprintf(stderr, "notw run: no program to run\n");
		try_help("run");
		return EXIT_USAGE;
	}
	*first = optind;
	return -1;
}

/* LD_PRELOAD with the library first; false when ld.so would split the
 * library's path (it separates names at spaces and colons) and load what
 * the pieces name instead, relative to the current directory. */
static bool set_preload(const char *library)
{
	if (notw_ldso_name_splits(library)) {
		say(stderr,
			"notw run: refusing to preload %s: LD_PRELOAD would split its path at the space, tab, "
			"newline or ':' in it and load other files; install the library (or move this build) "
			"under a path without them",
			library);
		return false;
	}
	const char *old = getenv("LD_PRELOAD");
	char preload[2 * PATH_MAX];
	if (old != NULL && *old != '\0')
		snprintf(preload, sizeof preload, "%s:%s", library, old);
	else
		snprintf(preload, sizeof preload, "%s", library);
	setenv("LD_PRELOAD", preload, 1);
	return true;
}

/* execv(), and for a file without "#!" that is not ELF, sh, as execvp()
 * and the shells do. */
static void exec_program(char *program, char **argv)
{
	execv(program, argv);
	if (errno != ENOEXEC)
		return;
	int argc = 0;
	while (argv[argc] != NULL)
		argc++;
	char **sh_argv = calloc((size_t)argc + 2, sizeof *sh_argv);
	if (sh_argv == NULL)
		return;
	static char sh_name[] = "sh";
	sh_argv[0] = sh_name;
	sh_argv[1] = program;
	for (int i = 1; i < argc; i++)
		sh_argv[i + 1] = argv[i];
	execv(PLAIN_SCRIPT_SHELL, sh_argv);
	int err = errno;
	free(sh_argv);
	errno = err;
}

/* A name without '/' is looked up in PATH only, as a shell does: one in
 * the current directory is run as ./NAME. Says so when it is there. */
static const char *here_instead(const char *name, int err)
{
	static char hint[PATH_MAX + 96];
	struct stat st;
	char here[PATH_MAX];
	if (err != ENOENT || strchr(name, '/') != NULL ||
	    (size_t)snprintf(here, sizeof here, "./%s", name) >= sizeof here || stat(here, &st) != 0 ||
	    !S_ISREG(st.st_mode))
		return "";
	snprintf(hint, sizeof hint, " in PATH (a name without '/' is looked up there only); to run the file "
				    "here: notw run ./%s", name);
	return hint;
}

int cmd_run(int argc, char **argv)
{
	int first;
	int status = parse_run_args(argc, argv, &first);
	if (status >= 0)
		return status;
	char program[PATH_MAX], library[PATH_MAX];
	int err = find_program(argv[first], program, sizeof program);
	if (err == EINVAL) {
		say(stderr, "notw run: %s", find_program_problem(err));
		try_help("run");
		return EXIT_USAGE;
	}
	if (err != 0) {
		say(stderr, "notw run: %s: %s%s", err == EACCES ? program : argv[first],
			find_program_problem(err), here_instead(argv[first], err));
		return EXIT_USAGE;
	}
	status = check_program(program, program, "it is ", 0);
	if (status != EXIT_DONE)
		return status;
	if (!find_library(library, sizeof library)) {
		say(stderr, "notw run: cannot find libnotw.so (looked next to this program and in %s)",
			NOTW_LIBDIR);
		return EXIT_USAGE;
	}
	if (!set_preload(library))
		return EXIT_USAGE;
	exec_program(program, argv + first);
	say(stderr, "notw run: %s: %s", program, strerror(errno));
	return 127;
}
