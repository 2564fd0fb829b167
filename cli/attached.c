/* notw attached: what notw attach left in place, and what notw oci-hook
 * attached without pins (found on the cgroups themselves), with the ports
 * and the counters of each attachment. */
#include "bind_engine.h"
#include "bind_plain.h"
#include "bpf_pins.h"
#include "cgroup2.h"
#include "command.h"
#include "json.h"
#include "options.h"
#include "port_set.h"
#include "say.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ENTRIES 4096
#define NAME_CAP 128

struct entry {
	enum pin_kind kind;
	bool unpinned;      /* attached by notw oci-hook: no pins, ends with its cgroup */
	const char *name;
	char pins[512];
	char cgroup[4096];  /* "" when gone, or for a pinned set */
	bool gone;          /* a cgroup entry whose cgroup no longer exists */
	char ports[1024];
	struct bind_counters counters;
};

static void attached_usage(FILE *out)
{
	fprintf(out,
		"usage: notw attached [--json]\n"
		"Lists what notw attach attached (each cgroup, by path and id) and pinned (--pin),\n"
		"with the ports and the counters: binds the programs saw, SO_REUSEADDR set\n"
		"by them, and set already by the program itself. An attachment whose cgroup\n"
		"was removed shows as such (notw detach --id ID removes it). Attachments of\n"
		"notw oci-hook (no pins: they end with their cgroup) are found on the cgroups.\n");
}

static bool fill_entry(struct entry *e, const struct cgroup2_mount *m, bool have_mount)
{
	static struct notw_bind_ports set; /* 8 KiB */
	uint64_t id = 0;
	memset(&e->counters, 0, sizeof e->counters);
	e->cgroup[0] = '\0';
	e->gone = false;
	if (!pin_entry_path(e->kind, e->name, e->pins, sizeof e->pins) ||
	    bind_engine_read(e->pins, &set, &e->counters, &id) != 0)
		return false;
	port_set_text(&set, e->ports, sizeof e->ports);
	if (e->kind == PIN_CGROUP)
		e->gone = id == 0 || !have_mount || !cgroup2_path_of_id(m, id, e->cgroup, sizeof e->cgroup);
	return true;
}

static void print_text(const struct entry *e)
{
	if (e->unpinned)
		say(stdout, "cgroup %q (id %s), unpinned: ends with the cgroup", e->cgroup, e->name);
	else if (e->kind == PIN_UNIT)
		say(stdout, "pinned %q (for BPFProgram=, in %s)", e->name, e->pins);
	else if (e->gone)
		say(stdout, "cgroup id %s: the cgroup was removed (notw detach --id %s)", e->name, e->name);
	else
		say(stdout, "cgroup %q (id %s)", e->cgroup, e->name);
	printf("  ports %s\n  binds %" PRIu64 ", SO_REUSEADDR set %" PRIu64 ", already set %" PRIu64 "\n", e->ports,
	       e->counters.binds, e->counters.set, e->counters.already);
}

static void print_json(const struct entry *e, bool first)
{
	printf("%s{\"kind\":", first ? "" : ",");
	json_string(stdout, e->unpinned ? "unpinned" : e->kind == PIN_UNIT ? "pinned" : "cgroup");
	printf(",\"name\":");
	json_string(stdout, e->name);
	printf(",\"cgroup\":");
	if (e->kind == PIN_CGROUP && !e->gone)
		json_string(stdout, e->cgroup);
	else
		printf("null");
	printf(",\"removed\":%s,\"pins\":", e->gone ? "true" : "false");
	if (e->unpinned)
		printf("null");
	else
		json_string(stdout, e->pins);
	printf(",\"ports\":");
	json_string(stdout, e->ports);
	printf(",\"binds\":%" PRIu64 ",\"reuseaddr_set\":%" PRIu64 ",\"reuseaddr_already\":%" PRIu64 "}",
	       e->counters.binds, e->counters.set, e->counters.already);
}

/* Prints the entries of kind; *shown counts what was printed. */
static void list_kind(enum pin_kind kind, bool json, const struct cgroup2_mount *m, bool have_mount, int *shown)
{
	static char names[MAX_ENTRIES * NAME_CAP];
	static struct entry e;
	size_t n = pin_entries(kind, names, NAME_CAP, MAX_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		e.kind = kind;
		e.unpinned = false;
		e.name = names + i * NAME_CAP;
		if (!fill_entry(&e, m, have_mount)) {
			say(stderr, "notw attached: cannot read %q in " PINS_ROOT "/%s", e.name, pin_kind_dir(kind));
			continue;
		}
		if (json)
			print_json(&e, *shown == 0);
		else
			print_text(&e);
		(*shown)++;
	}
}

struct plain_listing {
	const uint32_t *skip;
	size_t n_skip;
	bool json;
	int *shown;
};

/* One cgroup of the walk: its unpinned instances, printed. */
static bool list_cgroup(int fd, const char *path, void *ctx)
{
	static struct notw_bind_ports set;
	static struct entry e;
	struct plain_listing *l = ctx;
	struct plain_instance pi[8];
	char id[24];
	uint64_t cgid = 0;
	int n = bind_plain_find(fd, l->skip, l->n_skip, pi, 8);
	if (n > 0 && !cgroup2_id(fd, &cgid))
		n = 0;
	snprintf(id, sizeof id, "%" PRIu64, cgid);
	for (int i = 0; i < n; i++) {
		memset(&e, 0, sizeof e);
		e.kind = PIN_CGROUP;
		e.unpinned = true;
		e.name = id;
		snprintf(e.cgroup, sizeof e.cgroup, "%s", path);
		if (bind_plain_read(&pi[i], &set, &e.counters) != 0)
			continue;
		port_set_text(&set, e.ports, sizeof e.ports);
		if (l->json)
			print_json(&e, *l->shown == 0);
		else
			print_text(&e);
		(*l->shown)++;
	}
	return true;
}

static void list_unpinned(bool json, const struct cgroup2_mount *m, bool have_pins, int *shown)
{
	static uint32_t skip[MAX_ENTRIES];
	/* The programs of notw attach's entries are listed from their pins
	 * already (and systemd attaches a set pinned for a unit without a
	 * link): skipped on the cgroups. */
	struct plain_listing l = { skip, have_pins ? bind_plain_pinned_progs(skip, MAX_ENTRIES) : 0, json, shown };
	cgroup2_walk(m, list_cgroup, &l);
}

int cmd_attached(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, empty = false;
	int c, shown = 0;
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		if (c == 'j') {
			json = true;
			continue;
		}
		if (c == 'h') {
			attached_usage(stdout);
			return EXIT_DONE;
		}
		option_error(argv[0], c, argv);
		return EXIT_USAGE;
	}
	if (optind < argc) {
		say(stderr, "notw attached: unexpected argument: %q", argv[optind]);
		return EXIT_USAGE;
	}
	struct pins pins;
	static struct cgroup2_mount m;
	if (!pins_open("attached", &pins, false, &empty))
		return EXIT_NOT_DONE;
	/* Without pins, no cgroup v2 only means nothing to list. */
	bool have_mount = cgroup2_find_mount(empty ? NULL : "attached", &m);
	if (json)
		printf("[");
	if (!empty) {
		list_kind(PIN_CGROUP, json, &m, have_mount, &shown);
		list_kind(PIN_UNIT, json, &m, have_mount, &shown);
	}
	if (have_mount)
		list_unpinned(json, &m, !empty, &shown);
	if (json)
		printf("]\n");
	else if (shown == 0)
		printf("nothing attached\n");
	pins_close(&pins);
	return EXIT_DONE;
}
