/* notw attach and notw detach: the bind programs (bpf/notw_bind.bpf.c) on a
 * cgroup v2, for the programs a preload library cannot reach: static,
 * set-id, with file capabilities, raw system calls, containers. */
#include "attach_target.h"
#include "bind_engine.h"
#include "bind_plain.h"
#include "bpf_pins.h"
#include "command.h"
#include "options.h"
#include "port_set.h"
#include "say.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void attach_usage(FILE *out)
{
	fprintf(out,
		"usage: notw attach (--cgroup PATH | --parent PATH | --pid PID | --unit NAME) [--ports LIST]\n"
		"                   [--whole-machine]\n"
		"       notw attach --pin NAME [--ports LIST]\n"
		"Attaches BPF programs to a cgroup v2 (and so to its child cgroups) that set\n"
		"SO_REUSEADDR on every TCP socket binding one of the ports LIST (NOTW_PORTS'\n"
		"syntax, e.g. 8080,9000-9100; all ports when not given), so a server of the\n"
		"cgroup gets its port back at once after a crash, whatever the program:\n"
		"static, set-id, with file capabilities, in a container. UDP, port 0 and\n"
		"the other ports are left alone. --pid: the cgroup of that process (a\n"
		"container's first process); --unit: a systemd unit's control group;\n"
		"--parent: a cgroup by its path in the hierarchy (/machine.slice, /kubepods,\n"
		"as /proc/PID/cgroup shows it), made when missing, so that containers a\n"
		"runtime starts below it later are covered.\n"
		"The programs stay pinned under " PINS_ROOT " after the command; attaching\n"
		"again only replaces the ports. --pin NAME pins them without attaching, for\n"
		"a systemd unit's BPFProgram=bind4:" PINS_ROOT "/unit/NAME/bind4 and\n"
		"bind6:" PINS_ROOT "/unit/NAME/bind6. The root cgroup (every process of the\n"
		"machine; also what --pid names for a kernel thread) only with --whole-machine.\n"
		"Needs CAP_BPF and CAP_NET_ADMIN (root).\n"
		"Exit status: 0 done, 1 not done (said why), 2 usage error.\n");
}

static void detach_usage(FILE *out)
{
	fprintf(out,
		"usage: notw detach (--cgroup PATH | --parent PATH | --pid PID | --unit NAME | --id ID | --pin NAME)\n"
		"Removes what notw attach attached (or pinned, --pin); --id: the cgroup id\n"
		"notw attached shows, for a cgroup that no longer exists. Nothing attached\n"
		"is not an error. Exit status: 0 done, 1 not done, 2 usage error.\n");
}

static bool privileged(const char *cmd)
{
	if (bind_engine_privileged())
		return true;
	fprintf(stderr, "notw %s: not permitted: BPF programs on a cgroup need CAP_BPF and CAP_NET_ADMIN "
			"(run as root)\n", cmd);
	return false;
}

/* What the command line asks. */
struct request {
	struct attach_selector s;
	const char *ports;  /* NULL: every port */
	int ports_given;
	bool whole_machine; /* the root cgroup is meant */
};

/* An option of the other command: named as given, not by its argument. */
static void other_commands_option(const char *cmd, int c)
{
	fprintf(stderr, "notw %s: %s is for notw %s only\n", cmd, c == 'o' ? "--ports" : c == 'i' ? "--id" : "--whole-machine",
		c == 'i' ? "detach" : "attach");
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(int argc, char **argv, bool attach, struct request *r)
{
	static const struct option long_opts[] = {
		{ "cgroup", required_argument, NULL, 'c' },
		{ "parent", required_argument, NULL, 'a' },
		{ "pid", required_argument, NULL, 'p' },
		{ "unit", required_argument, NULL, 'u' },
		{ "pin", required_argument, NULL, 'P' },
		{ "id", required_argument, NULL, 'i' },
		{ "ports", required_argument, NULL, 'o' },
		{ "whole-machine", no_argument, NULL, 'W' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	void (*usage)(FILE *) = attach ? attach_usage : detach_usage;
	int c;
	memset(r, 0, sizeof *r);
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_DONE;
		}
		if (attach && c == 'o') {
			r->ports = optarg;
			r->ports_given++;
			continue;
		}
		if (attach && c == 'W') {
			r->whole_machine = true;
			continue;
		}
		if ((c == 'i' && !attach) || c == 'c' || c == 'a' || c == 'p' || c == 'u' || c == 'P') {
			attach_select(&r->s, c, optarg);
			r->s.make_parent = attach;
			continue;
		}
		if (c == 'o' || c == 'i' || c == 'W') {
			other_commands_option(argv[0], c);
			try_help(argv[0]);
		} else {
			option_error(argv[0], c, argv);
		}
		return EXIT_USAGE;
	}
	if (optind < argc) {
		say(stderr, "notw %s: unexpected argument: %q", argv[0], argv[optind]);
		try_help(argv[0]);
		return EXIT_USAGE;
	}
	if (r->ports_given > 1 || (r->ports != NULL && r->ports[strspn(r->ports, " \t")] == '\0')) {
		/* An empty list (or one of blanks only: "$PORTS" quoted around
		 * an unset variable and a space) would read as "every port": a
		 * script's mistake must not widen what it meant to narrow. */
		fprintf(stderr, "notw %s: %s\n", argv[0],
			r->ports_given > 1 ? "--ports given more than once (one list: 80,443)"
					   : "--ports with an empty list (leave it out for every port)");
		return EXIT_USAGE;
	}
	return attach_selector_check(argv[0], &r->s) ? -1 : EXIT_USAGE;
}

/* A new entry: built in staging with an empty port set, renamed into place,
 * then given its ports (the moment both programs start to act). */
static int install_new(const struct attach_target *t, const char *where, const struct notw_bind_ports *set)
{
	char staged[512], final[512];
	enum bind_step step = BIND_STEP_PIN;
	if (!pin_temp_path(t->kind, t->name, staged, sizeof staged) || !pin_entry_path(t->kind, t->name, final, sizeof final) ||
	    !pin_temp_create(t->kind, t->name)) {
		say(stderr, "notw attach: cannot create a directory in " PINS_ROOT "/%s: %E", pin_kind_dir(t->kind), errno);
		return EXIT_NOT_DONE;
	}
	int rc = bind_engine_install(staged, t->cgroup_fd, &step);
	if (rc == 0 && !pin_temp_commit(t->kind, t->name))
		rc = -errno;
	if (rc != 0) {
		pin_temp_discard(t->kind, t->name);
		say(stderr, "notw attach: %s: %s: %E%s", where, bind_engine_step_text(step), -rc,
		    step == BIND_STEP_PIN ? "" : bind_engine_hint(step, rc));
		return EXIT_NOT_DONE;
	}
	rc = bind_engine_set_ports(final, set);
	if (rc != 0) {
		pin_entry_remove(t->kind, t->name);
		say(stderr, "notw attach: %s: cannot set the ports: %E", where, -rc);
		return EXIT_NOT_DONE;
	}
	return EXIT_DONE;
}

static void report_attached(const struct attach_target *t, const char *where, const char *ports, bool updated)
{
	if (t->kind == PIN_UNIT)
		say(stdout, "notw attach: %s " PINS_ROOT "/unit/%s (ports %s); a unit takes it with "
			    "BPFProgram=bind4:" PINS_ROOT "/unit/%s/bind4 and BPFProgram=bind6:" PINS_ROOT "/unit/%s/bind6",
		    updated ? "updated" : "pinned", t->name, ports, t->name, t->name);
	else
		say(stdout, "notw attach: %s %s (id %s), ports %s", updated ? "updated" : "attached to", where, t->name,
		    ports);
}

static int attach_target(const struct attach_target *t, const struct notw_bind_ports *set)
{
	struct pins pins;
	char where[8192], ports[256], final[512];
	bool empty = false;
	attach_target_describe(t, where, sizeof where);
	port_set_text(set, ports, sizeof ports);
	if (!bind_engine_supported()) {
		fprintf(stderr, "notw attach: this kernel has no cgroup BPF socket address hooks (cgroup/bind4, "
				"cgroup/bind6: Linux 4.17 and later with CONFIG_CGROUP_BPF)\n");
		return EXIT_NOT_DONE;
	}
	if (!pins_open("attach", &pins, true, &empty))
		return EXIT_NOT_DONE;
	int status = EXIT_DONE;
	bool updated = pin_entry_exists(t->kind, t->name);
	if (updated) {
		/* Attached already: the same programs, the new ports. */
		int rc = pin_entry_path(t->kind, t->name, final, sizeof final) ? bind_engine_set_ports(final, set) : -ENAMETOOLONG;
		if (rc != 0) {
			say(stderr, "notw attach: %s: cannot set the ports: %E", where, -rc);
			status = EXIT_NOT_DONE;
		}
	} else {
		status = install_new(t, where, set);
	}
	pins_close(&pins);
	if (status == EXIT_DONE)
		report_attached(t, where, ports, updated);
	return status;
}

/* The root cgroup holds every process of the machine (kernel threads,
 * everything not in a cgroup of its own): attaching there must be meant. */
static bool root_refused(const struct attach_target *t, bool whole_machine)
{
	if (whole_machine || !attach_target_is_root(t))
		return false;
	say(stderr, "notw attach: %q is the root cgroup: the programs would act in every process of the machine; "
		    "say --whole-machine to mean it%s", t->path, t->from_pid ? " (the process is in no cgroup of its own)" : "");
	return true;
}

int cmd_attach(int argc, char **argv)
{
	struct request r;
	struct attach_target t;
	struct notw_bind_ports set;
	const char *reason = "";
	int status = parse_args(argc, argv, true, &r);
	if (status >= 0)
		return status;
	if (!port_set_parse(r.ports, &set, &reason)) {
		say(stderr, "notw attach: --ports %q: %s", r.ports, reason);
		return EXIT_USAGE;
	}
	if (!attach_target_resolve("attach", &r.s, &t))
		return EXIT_NOT_DONE;
	if (root_refused(&t, r.whole_machine))
		status = EXIT_USAGE;
	else
		status = privileged("attach") ? attach_target(&t, &set) : EXIT_NOT_DONE;
	attach_target_close(&t);
	return status;
}

/* What notw oci-hook attached to the cgroup (no pins: found on the cgroup
 * itself), detached; the programs of pinned links are left to the pins.
 * Returns how many instances were detached, or -errno. */
static int detach_unpinned(const struct attach_target *t)
{
	struct plain_instance pi[8];
	if (t->cgroup_fd < 0)
		return 0;
	int n = bind_plain_find_unpinned(t->cgroup_fd, pi, 8), done = 0;
	for (int i = 0; i < n; i++) {
		int rc = bind_plain_detach(t->cgroup_fd, &pi[i]);
		if (rc == 0)
			done++;
		else
			return rc;
	}
	return n < 0 ? n : done;
}

/* The ports emptied first: both programs stop acting at the same moment,
 * whatever happens to the removal of their pins after. */
static int detach_target(const struct attach_target *t)
{
	static const struct notw_bind_ports none;
	struct pins pins;
	char where[8192], final[512];
	bool empty = false;
	attach_target_describe(t, where, sizeof where);
	int unpinned = detach_unpinned(t);
	if (unpinned < 0) {
		say(stderr, "notw detach: %s: the kernel refused to detach notw oci-hook's programs: %E", where, -unpinned);
		return EXIT_NOT_DONE;
	}
	if (!pins_open("detach", &pins, false, &empty))
		return EXIT_NOT_DONE;
	if (empty || !pin_entry_exists(t->kind, t->name)) {
		pins_close(&pins);
		if (unpinned > 0)
			say(stdout, "notw detach: detached from %s", where);
		else
			say(stdout, "notw detach: nothing attached to %s", where);
		return EXIT_DONE;
	}
	if (pin_entry_path(t->kind, t->name, final, sizeof final))
		bind_engine_set_ports(final, &none);
	bool removed = pin_entry_remove(t->kind, t->name);
	int err = errno;
	pins_close(&pins);
	if (!removed) {
		say(stderr, "notw detach: %s: cannot remove its pins in " PINS_ROOT ": %E", where, err);
		return EXIT_NOT_DONE;
	}
	say(stdout, "notw detach: %s %s", t->kind == PIN_UNIT ? "unpinned" : "detached from", where);
	return EXIT_DONE;
}

int cmd_detach(int argc, char **argv)
{
	struct request r;
	struct attach_target t;
	int status = parse_args(argc, argv, false, &r);
	if (status >= 0)
		return status;
	if (!attach_target_resolve("detach", &r.s, &t))
		return EXIT_NOT_DONE;
	status = privileged("detach") ? detach_target(&t) : EXIT_NOT_DONE;
	attach_target_close(&t);
	return status;
}
