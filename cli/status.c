/* notw status: what holds a TCP port, whether a bind to it would succeed
 * now, and what to do next. It only looks (the kernel's socket list): a
 * probe bind would hold the port for an instant, and a server starting
 * then without SO_REUSEADDR would fail. */
#include "command.h"
#include "fmt.h"
#include "json.h"
#include "port_command.h"
#include "port_listing.h"
#include "say.h"
#include "sockdiag.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void status_usage(FILE *out)
{
	fprintf(out,
		"usage: notw status [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT\n"
		"Lists every TCP socket on that local port: listeners and connections with their\n"
		"process (when /proc shows it) and whether it has libnotw loaded, timewait\n"
		"sockets (TIME-WAIT and FIN-WAIT-2 sub-states) with their time left; marks those\n"
		"that conflict with a bind to ADDR (default 0.0.0.0), says whether such a bind,\n"
		"with and without SO_REUSEADDR, would succeed now (by the kernel's rules, from\n"
		"its list of sockets: status never binds, so it never takes the port), and what\n"
		"to do next. Process names are printed with anything but printable ASCII as \\xNN.\n"
		"Exit status: 0 the port is free (a bind without SO_REUSEADDR succeeds), 1 it is\n"
		"held, 2 usage error or the sockets cannot be listed.\n");
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
	uint32_t longest_ms;           /* of the conflicting timewait sockets */
	const struct listed *listener; /* the first conflicting listener */
	const struct listed *live;     /* the first other socket of a live process */
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
		const struct listed *it = &l->items[i];
		switch (it->what.kind) {
		case NOTW_PORT_SOCKET_TIMEWAIT:
		case NOTW_PORT_SOCKET_FIN_WAIT2:
			c->timewait++;
			if (it->m.idiag_expires > c->longest_ms)
				c->longest_ms = it->m.idiag_expires;
			break;
		case NOTW_PORT_SOCKET_DRAINING:
			c->draining++;
			c->closing++;
			break;
		case NOTW_PORT_SOCKET_CLOSING:
			c->closing++;
			break;
		case NOTW_PORT_SOCKET_LISTENER:
			if (c->listeners++ == 0)
				c->listener = it;
			break;
		default:
			if (c->others++ == 0)
				c->live = it;
		}
	}
}

/* "pid 812 (\"myserver\")", the process name escaped. */
static void owner_text(const struct socket_owner *o, char *out, size_t cap)
{
	static const char *const libnotw[] = { [LIBNOTW_UNKNOWN] = "",
					       [LIBNOTW_LOADED] = ", libnotw loaded",
					       [LIBNOTW_ABSENT] = ", without libnotw" };
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_buf_format(&b, "pid %d (%q)%s", o->pid, o->program, libnotw[o->libnotw]);
}

static void print_socket_text(const struct listed *it)
{
	char local[64], remote[64], owner[160];
	local_end_text(&it->m, local, sizeof local);
	remote_end_text(&it->m, remote, sizeof remote);
	printf("  %-11s %-28s %-28s ", notw_tcp_state_name(it->m.idiag_state), local, remote);
	if (notw_diag_is_timewait(&it->m)) {
		printf("timewait, %u s left", (it->m.idiag_expires + 999) / 1000);
	} else if (it->what.kind == NOTW_PORT_SOCKET_DRAINING) {
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
	json_string(stdout, notw_port_socket_kind_name(it->what.kind));
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
		printf(",\"libnotw\":%s", it->owner.libnotw == LIBNOTW_LOADED   ? "true"
					 : it->owner.libnotw == LIBNOTW_ABSENT ? "false"
									       : "null");
	} else {
		printf(",\"pid\":null,\"program\":null,\"libnotw\":null");
	}
	printf("}");
}

struct bind_now {
	const char *without, *with;
};

/* What a bind would get now, by inet_bind_conflict()'s rule: any socket
 * on the port whose address conflicts refuses a bind without
 * SO_REUSEADDR; with it, only a listener or a socket that does not have
 * SO_REUSEADDR itself (which no socket list shows: a timewait socket has
 * its listener's, and libnotw sets it on every listener) does. */
static void bind_now_from(const struct counts *c, struct bind_now *now)
{
	bool any = c->listeners + c->timewait + c->closing + c->others > 0;
	now->without = any ? "EADDRINUSE" : "ok";
	if (c->listeners > 0)
		now->with = "EADDRINUSE";
	else if (any)
		now->with = "depends";
	else
		now->with = "ok";
}

/* The bind's answer with SO_REUSEADDR, as the text says it. */
static const char *with_text(const struct bind_now *now)
{
	if (strcmp(now->with, "depends") == 0)
		return "ok only if the program that made those sockets had set SO_REUSEADDR too (libnotw does), "
		       "else EADDRINUSE";
	return now->with;
}

/* "pid 812 (\"srv\"), libnotw loaded", or who cannot be seen. */
static void holder_text(const struct listed *it, char *out, size_t cap)
{
	if (it->owner.pid > 0)
		owner_text(&it->owner, out, cap);
	else if (geteuid() != 0)
		snprintf(out, cap, "a process this user cannot see (as root, status names it)");
	else
		snprintf(out, cap, "a process not visible here (in another PID namespace: a container's?)");
}

/* The one line that says what to do about the port. */
static void print_next_step(const struct port_command_args *a, const struct counts *c)
{
	char holder[192];
	if (c->listener != NULL) {
		holder_text(c->listener, holder, sizeof holder);
		say(stdout, "next: %s listens on it; no option takes a port from a live listener: stop that "
			    "process first (or bind another address)", holder);
	} else if (c->live != NULL) {
		holder_text(c->live, holder, sizeof holder);
		say(stdout, "next: sockets of live processes hold it (%s): they must close first", holder);
	} else if (c->timewait + c->closing > 0) {
		printf("next: only leftovers of closed or crashed processes hold it; ");
		if (c->draining > 0)
			printf("%d still send data their peers have not acknowledged (never destroyed, they close "
			       "once the peers have it all); ", c->draining);
		if (c->timewait > 0)
			printf("the timewait sockets expire within %u s; ", (c->longest_ms + 999) / 1000);
		printf("to free it now: notw reap %u (as root)\n", a->target.port);
	} else {
		printf("next: the port is free: a server can bind it now\n");
	}
}

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
	printf("\"free\":%s,", strcmp(now->without, "ok") == 0 && l->dropped == 0 ? "true" : "false");
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
	printf("bind %s now: without SO_REUSEADDR: %s; with SO_REUSEADDR: %s\n", target, now->without,
	       with_text(now));
	print_next_step(a, c);
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
		return EXIT_USAGE;
	listing_find_owners(&l);
	for (int i = 0; i < l.n; i++)
		l.items[i].owner.libnotw = owner_find_libnotw(&l.items[i].owner);
	count(&l, &c);
	bind_now_from(&c, &now);
	port_arg_text(&a.target, target, sizeof target);
	if (a.json)
		print_json(&a, target, &l, &c, &now);
	else
		print_text(&a, target, &l, &c, &now);
	listing_free(&l);
	/* More than listed (past MAX_LISTED) is more than nothing. */
	return strcmp(now.without, "ok") == 0 && l.dropped == 0 ? EXIT_DONE : EXIT_NOT_DONE;
}
