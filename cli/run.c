/* notw run: run a program under the library. */
#include "cli.h"
#include "config.h"
#include "elf_file.h"
#include "fmt.h"
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static void run_usage(FILE *out)
{
	fprintf(out,
		"usage: notw run [--reuseaddr on|off] [--linger off|crash|exit|always] [--ports LIST]\n"
		"                [--reap on|off] [--wait SECS] [--log DEST] [--log-level LEVEL]\n"
		"                [--config FILE] -- PROGRAM [ARGS...]\n"
		"Runs PROGRAM with libnotw preloaded (prepended to any LD_PRELOAD); each option\n"
		"sets the NOTW_* variable of the same name (--config: NOTW_CONFIG, after\n"
		"checking the file as notw check-config does). Refuses (status 2) a program the\n"
		"library could not load into: statically linked, set-user-ID or set-group-ID,\n"
		"or with file capabilities.\n");
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

bool find_in_path(const char *name, char *out, size_t cap)
{
	if (strchr(name, '/') != NULL) {
		snprintf(out, cap, "%s", name);
		return access(out, X_OK) == 0;
	}
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");
		snprintf(out, cap, "%.*s/%s", (int)n, path, name);
		if (n > 0 && access(out, X_OK) == 0)
			return true;
		path += n + (path[n] == ':');
	}
	return false;
}

/* An ELF executable without a PT_INTERP program header is statically
 * linked: the dynamic loader, and so LD_PRELOAD, never runs. */
static bool is_static_elf(const char *file)
{
	/* O_NONBLOCK: a FIFO in the program's place must not hang us. */
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	native_ehdr eh;
	bool is_static = notw_elf_read_native(fd, &eh) == NULL &&
			 !notw_elf_has_segment(fd, &eh, PT_INTERP, NULL);
	close(fd);
	return is_static;
}

static int refuse(const char *program, const char *why)
{
	fprintf(stderr, "notw: refusing to run %s: %s, so libnotw would silently not load\n", program, why);
	return EXIT_USAGE;
}

static int check_program(const char *file)
{
	struct stat st;
	if (stat(file, &st) != 0) {
		fprintf(stderr, "notw: %s: %s\n", file, strerror(errno));
		return EXIT_USAGE;
	}
	if ((st.st_mode & S_ISUID) != 0)
		return refuse(file, "it is set-user-ID");
	if ((st.st_mode & S_ISGID) != 0)
		return refuse(file, "it is set-group-ID");
	if (getxattr(file, "security.capability", NULL, 0) > 0)
		return refuse(file, "it has file capabilities");
	if (is_static_elf(file))
		return refuse(file, "it is statically linked");
	return EXIT_DONE;
}

struct option_map {
	const char *option;
	enum notw_setting setting; /* its NOTW_* variable gets the value */
};

static const struct option_map options[] = {
	{ "--reuseaddr", NOTW_SET_REUSEADDR }, { "--linger", NOTW_SET_LINGER },
	{ "--ports", NOTW_SET_PORTS },         { "--reap", NOTW_SET_REAP },
	{ "--wait", NOTW_SET_WAIT },           { "--log", NOTW_SET_LOG },
	{ "--log-level", NOTW_SET_LOG_LEVEL },
};

/* --config FILE: the library reads it as NOTW_CONFIG; a problem in it is
 * the user's to fix now, not a line in a log later. */
static bool use_config(const char *file)
{
	char path[PATH_MAX];
	struct notw_policy p;
	struct notw_config_report r;
	if (realpath(file, path) == NULL) {
		fprintf(stderr, "notw run: --config %s: %s\n", file, strerror(errno));
		return false;
	}
	notw_policy_defaults(&p);
	int problems = load_config_for(path, NULL, &p, &r);
	if (problems != 0) {
		if (problems > 0)
			fprintf(stderr, "notw run: --config %s: fix the problems above first\n", file);
		return false;
	}
	setenv("NOTW_CONFIG", path, 1);
	return true;
}

/* One option and its value; false (usage printed) when it is not valid. */
static bool take_option(const char *option, const char *value)
{
	if (strcmp(option, "--config") == 0)
		return use_config(value);
	for (size_t k = 0; k < sizeof options / sizeof options[0]; k++) {
		if (strcmp(option, options[k].option) != 0)
			continue;
		/* The value must be one the library accepts: a typo here is
		 * the user's to fix now, not a line in a log later. */
		const char *why = notw_policy_set(NULL, options[k].setting, value);
		if (why != NULL) {
			fprintf(stderr, "notw run: %s %s: %s\n", option, value, why);
			return false;
		}
		setenv(notw_setting_env(options[k].setting), value, 1);
		return true;
	}
	fprintf(stderr, "notw run: unknown option: %s\n", option);
	run_usage(stderr);
	return false;
}

int cmd_run(int argc, char **argv)
{
	int i = 1;
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--help") == 0) {
			run_usage(stdout);
			return EXIT_DONE;
		}
		if (argv[i][0] != '-')
			break; /* the program, without "--" */
		if (i + 1 >= argc) {
			fprintf(stderr, "notw run: %s needs a value\n", argv[i]);
			run_usage(stderr);
			return EXIT_USAGE;
		}
		if (!take_option(argv[i], argv[i + 1]))
			return EXIT_USAGE;
		i++;
	}
	if (i >= argc) {
		fprintf(stderr, "notw run: no program to run\n");
		run_usage(stderr);
		return EXIT_USAGE;
	}
	char program[PATH_MAX], library[PATH_MAX];
	if (!find_in_path(argv[i], program, sizeof program)) {
		fprintf(stderr, "notw run: %s: no such program\n", argv[i]);
		return EXIT_USAGE;
	}
	int rc = check_program(program);
	if (rc != EXIT_DONE)
		return rc;
	if (!find_library(library, sizeof library)) {
		fprintf(stderr, "notw run: cannot find libnotw.so (looked next to this program and in %s)\n",
			NOTW_LIBDIR);
		return EXIT_USAGE;
	}
	const char *old = getenv("LD_PRELOAD");
	char preload[2 * PATH_MAX];
	if (old != NULL && *old != '\0')
		snprintf(preload, sizeof preload, "%s:%s", library, old);
	else
		snprintf(preload, sizeof preload, "%s", library);
	setenv("LD_PRELOAD", preload, 1);
	execv(program, argv + i);
	fprintf(stderr, "notw run: %s: %s\n", program, strerror(errno));
	return 127;
}
