/* notw status: what holds a TCP port, and whether a bind to it would
 * succeed now. */
#include "bind_probe.h"
#include "command.h"
#include "fmt.h"
#include "json.h"
#include "port_command.h"
#include "port_listing.h"
#include "sockdiag.h"

#include <stdio.h>
#include <string.h>

static void status_usage(FILE *out)
{
	fprintf(out,
		"usage: notw status [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT\n"
		"Lists every TCP socket on that local port: listeners and connections with their\n"
		"process (when /proc shows it), timewait sockets (TIME-WAIT and FIN-WAIT-2\n"
		"sub-states) with their time left; marks those that conflict with a bind to ADDR\n"
		"(default 0.0.0.0), and says whether such a bind, with and without SO_REUSEADDR,\n"
		"succeeds now (tried for an instant on a socket closed at once, with raw system\n"
		"calls: libnotw, when loaded, never sees it). Process names are printed with\n"
		"anything but printable ASCII as \\xNN.\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse_status_args(int argc, char **argv, struct port_command_args *a)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	return parse_port_command("status", argc, argv, long_opts, status_usage, a);
}

struct counts {
	int listeners, timewait, closing, draining, others;
};

/* What conflicts with the bind asked about, by the shared classifier's
 * kinds: timewait (TIME-WAIT and FIN-WAIT-2), closing orphans (draining:
 * those still sending data), and the sockets of live processes. */
static void count(const struct listing *l, struct counts *c)
{
	memset(c, 0, sizeof *c);
	for (int i = 0; i < l->n; i++) {
		if (!l->items[i].conflicts)
			continue;
		switch (l->items[i].what.kind) {
		case NOTW_LEFTOVER_TIMEWAIT:
		case NOTW_LEFTOVER_FIN_WAIT2:
			c->timewait++;
			break;
		case NOTW_LEFTOVER_DRAINING:
			c->draining++;
			c->closing++;
			break;
		case NOTW_LEFTOVER_CLOSING:
			c->closing++;
			break;
		case NOTW_LEFTOVER_LISTENER:
			c->listeners++;
			break;
		default:
			c->others++;
		}
	}
}

/* "pid 812 (\"myserver\")", the process name escaped. */
static void owner_text(const struct socket_owner *o, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_buf_format(&b, "pid %d (%q)", o->pid, o->program);
}

static void print_socket_text(const struct listed *it)
{
	char local[64], remote[64], owner[128];
	local_end_text(&it->m, local, sizeof local);
	remote_end_text(&it->m, remote, sizeof remote);
	printf("  %-11s %-28s %-28s ", notw_tcp_state_name(it->m.idiag_state), local, remote);
	if (notw_diag_is_timewait(&it->m)) {
		printf("timewait, %u s left", (it->m.idiag_expires + 999) / 1000);
	} else if (it->what.kind == NOTW_LEFTOVER_DRAINING) {
		printf("no process; still sending %u byte(s) not acknowledged", it->what.unacked);
	} else if (it->what.leftover) {
		printf("no process; closing");
	} else if (it->owner.pid > 0) {
		owner_text(&it->owner, owner, sizeof owner);
		printf("%s", owner);
	} else {
		printf("process not visible");
	}
	printf("%s\n", it->conflicts ? "" : "  [no conflict with a bind to the address given]");
}

static void print_socket_json(const struct listed *it, bool first)
{
	char local[64], remote[64];
	bool tw = notw_diag_is_timewait(&it->m);
	local_end_text(&it->m, local, sizeof local);
	remote_end_text(&it->m, remote, sizeof remote);
	printf("%s{\"state\":", first ? "" : ",");
	json_string(stdout, notw_tcp_state_name(it->m.idiag_state));
	printf(",\"kind\":");
	json_string(stdout, notw_leftover_kind_name(it->what.kind));
	printf(",\"leftover\":%s,\"safe_to_destroy\":%s,\"unacked\":%u", it->what.leftover ? "true" : "false",
	       it->what.safe_to_destroy ? "true" : "false", it->what.unacked);
	printf(",\"timewait\":%s,\"local\":", tw ? "true" : "false");
	json_string(stdout, local);
	printf(",\"remote\":");
	json_string(stdout, remote);
	printf(",\"expires_ms\":%u,\"conflicts\":%s", tw ? it->m.idiag_expires : 0, it->conflicts ? "true" : "false");
	if (it->owner.pid > 0) {
		printf(",\"pid\":%d,\"program\":", it->owner.pid);
		json_string(stdout, it->owner.program);
	} else {
		printf(",\"pid\":null,\"program\":null");
	}
	printf("}");
}

struct bind_now {
	char without[32], with[32];
};

static void print_json(const struct port_command_args *a, const char *target, const struct listing *l,
		       const struct counts *c, const struct bind_now *now)
{
	printf("{\"port\":%u,\"bind_address\":", a->target.port);
	json_string(stdout, target);
	printf(",\"sockets\":[");
	for (int i = 0; i < l->n; i++)
		print_socket_json(&l->items[i], i == 0);
	printf("],\"listeners\":%d,\"timewait\":%d,\"closing\":%d,\"draining\":%d,\"others\":%d,"
	       "\"not_listed\":%d,",
	       c->listeners, c->timewait, c->closing, c->draining, c->others, l->dropped);
	printf("\"bind_now\":{\"without_reuseaddr\":");
	json_string(stdout, now->without);
	printf(",\"with_reuseaddr\":");
	json_string(stdout, now->with);
	printf("}}\n");
}

static void print_text(const struct port_command_args *a, const char *target, const struct listing *l,
		       const struct counts *c, const struct bind_now *now)
{
	printf("TCP port %u:\n", a->target.port);
	for (int i = 0; i < l->n; i++)
		print_socket_text(&l->items[i]);
	if (l->n == 0)
		printf("  (no socket)\n");
	if (l->dropped > 0)
		printf("  ... and %d more not listed\n", l->dropped);
	printf("conflicting with a bind to %s: %d listener(s), %d timewait socket(s), %d closing socket(s) "
	       "(%d still sending data), %d other(s)\n",
	       target, c->listeners, c->timewait, c->closing, c->draining, c->others);
	printf("bind %s now: without SO_REUSEADDR: %s; with SO_REUSEADDR: %s\n", target, now->without, now->with);
}

int cmd_status(int argc, char **argv)
{
	struct port_command_args a;
	struct listing l;
	struct counts c;
	struct bind_now now;
	char target[64];
	int status = parse_status_args(argc, argv, &a);
	if (status >= 0)
		return status;
	if (!list_port(&a.target, NOTW_STATES_ALL, &l))
		return EXIT_NOT_DONE;
	listing_find_owners(&l);
	count(&l, &c);
	port_arg_text(&a.target, target, sizeof target);
	bind_probe(&a.target, false, now.without, sizeof now.without);
	bind_probe(&a.target, true, now.with, sizeof now.with);
	if (a.json)
		print_json(&a, target, &l, &c, &now);
	else
		print_text(&a, target, &l, &c, &now);
	listing_free(&l);
	return EXIT_DONE;
}
