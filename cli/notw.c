/* notw: run a program under libnotw, show what holds a port, free a port,
 * check a policy file, switch the library on for the whole system, attach
 * the BPF engine to a cgroup. One
 * table of commands, one dispatcher; each command parses its own options. */
#include "command.h"
#include "options.h"
#include "say.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	/* after "notw NAME", as the command's own usage writes it (notw
	 * NAME --help); one line per form. The man page's SYNOPSIS, the README
	 * and the bash completion are checked against it (tests/check-docs.py). */
	const char *synopsis;
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "[OPTIONS] [--] PROGRAM [ARGS...]", "run PROGRAM under libnotw" },
	{ "status", cmd_status, "[--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT", "what holds a TCP port" },
	{ "reap", cmd_reap, "[--dry-run] [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT",
	  "destroy the leftovers that hold a TCP port" },
	{ "check-config", cmd_check_config, "[--program NAME|PATH] [FILE]",
	  "check a policy file, show its effect" },
	{ "enable", cmd_enable, "[--root DIR] [--library PATH]", "add libnotw to /etc/ld.so.preload" },
	{ "disable", cmd_disable, "[--root DIR] [--library PATH]", "remove libnotw from /etc/ld.so.preload" },
	{ "attach", cmd_attach, "(--cgroup PATH | --parent PATH | --pid PID | --unit NAME) [--ports LIST] [--whole-machine]\n"
	  "--pin NAME [--ports LIST]",
	  "SO_REUSEADDR for every program of a cgroup (BPF), no library needed" },
	{ "detach", cmd_detach, "(--cgroup PATH | --parent PATH | --pid PID | --unit NAME | --id ID | --pin NAME)",
	  "undo notw attach" },
	{ "attached", cmd_attached, "[--json]", "what notw attach and notw oci-hook attached: ports, counters" },
	{ "oci-hook", cmd_oci_hook, "createRuntime|prestart|poststop",
	  "an OCI runtime's hook: notw attach for a container that asks (io.notw.ports)" },
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* "notw NAME FORM" for each line of the synopsis, then the summary. */
static void print_command(FILE *out, const struct command *c, bool first)
{
	const char *form = c->synopsis;
	do {
		size_t n = strcspn(form, "\n");
		fprintf(out, "%s notw %s %.*s\n", first ? "usage:" : "      ", c->name, (int)n, form);
		first = false;
		form += n + (form[n] == '\n');
	} while (*form != '\0');
	fprintf(out, "%*s%s\n", 17, "", c->summary);
}

static void usage(FILE *out)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		print_command(out, &commands[i], i == 0);
	fprintf(out, "       notw --version (-V) | --help (-h) | COMMAND --help\n");
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
		printf("notw %s\n", NOTW_VERSION);
		return EXIT_DONE;
	}
	const struct command *c = find_command(name);
	if (c == NULL) {
		say(stderr, "notw: unknown command '%s'", name);
		try_help(NULL);
		return EXIT_USAGE;
	}
	return c->run(argc - 1, argv + 1);
}
