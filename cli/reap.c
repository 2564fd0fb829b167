/* notw reap: destroy the leftovers that hold a TCP port, each with the
 * kernel's own answer, and say what it left and why. What may be destroyed
 * is the shared classifier's (port_socket.h) verdict, the same one the
 * library's bind() recovery follows. */
#include "command.h"
#include "fmt.h"
#include "json.h"
#include "port_socket.h"
#include "port_command.h"
#include "port_listing.h"
#include "reset.h"
#include "sockdiag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reap_usage(FILE *out)
{
	fprintf(out,
		"usage: notw reap [--dry-run] [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT\n"
		"Destroys, with SOCK_DESTROY, the leftovers on that local port (those that\n"
		"conflict with ADDR when given) that carry no data: timewait sockets (TIME-WAIT\n"
		"and FIN-WAIT-2 sub-states) and closing sockets no process holds whose data the\n"
		"peer has acknowledged. It never destroys a closing socket still sending data\n"
		"(its data would be lost: it goes once the peer has it all) nor a socket of a\n"
		"live process; it lists each one it leaves, and why.\n"
		"SOCK_DESTROY needs CAP_NET_ADMIN over the network namespace and Linux 6.0 or\n"
		"later; where it is refused, each timewait socket is sent a TCP reset from its\n"
		"peer's address instead (needs CAP_NET_RAW; for TIME-WAIT also\n"
		"net.ipv4.tcp_rfc1337 = 0); a reset counts once a new listing of the port shows\n"
		"the socket gone. Each socket is looked up again right before its reset: one\n"
		"gone, or replaced by a new connection of the same client port, is \"already\n"
		"gone\" and sent nothing.\n"
		"Exit status: 0 nothing it was asked about holds the port any more, 1 something\n"
		"still does (each with its cause), 2 usage error; with --dry-run, what a reap\n"
		"would leave: 0 it would free the port, 1 something would still hold it.\n");
}

/* Returns -1 to go on, else the exit status. */
static int parse_reap_args(int argc, char **argv, struct port_command_args *a)
{
	static const struct option long_opts[] = {
		{ "dry-run", no_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	return parse_port_command("reap", argc, argv, long_opts, reap_usage, a);
}

static const char *refusal_cause(int err)
{
	switch (err) {
	case EPERM:
	case EACCES:
		return "SOCK_DESTROY needs CAP_NET_ADMIN over this network namespace";
	case EOPNOTSUPP:
		return "this kernel cannot destroy timewait sockets (before Linux 6.0, or built without "
		       "CONFIG_INET_DIAG_DESTROY)";
	default:
		return strerror(err);
	}
}

/* SOCK_DESTROY refusals the reset method may get around. */
static bool reset_may_help(int err)
{
	return err == EPERM || err == EACCES || err == EOPNOTSUPP;
}

struct reap_item {
	const struct listed *it;
	bool destroyable;    /* the classifier says it is safe to */
	int result;          /* SOCK_DESTROY's answer */
	bool reset_tried;
	int reset_result;    /* 0: sent; else why not */
	bool still_there;    /* in the listing made afterwards */
	char cause[512];
};

/* The kernel's answer for each destroyable socket, in batches of one
 * request each. */
static void destroy_listed(struct reap_item *items, int n)
{
	struct notw_tw_sock batch[NOTW_SCAN_MAX];
	struct reap_item *in_batch[NOTW_SCAN_MAX];
	int results[NOTW_SCAN_MAX];
	int i = 0;
	while (i < n) {
		int count = 0;
		for (; i < n && count < NOTW_SCAN_MAX; i++) {
			if (!items[i].destroyable)
				continue;
			memset(&batch[count], 0, sizeof batch[count]);
			batch[count].family = items[i].it->m.idiag_family;
			batch[count].id = items[i].it->m.id;
			in_batch[count++] = &items[i];
		}
		if (count == 0)
			break;
		int err = notw_destroy_batch(batch, count, results);
		for (int k = 0; k < count; k++)
			in_batch[k]->result = err != 0 ? err : results[k];
	}
}

/* The reset method works on timewait mini-sockets only. */
static bool may_reset(const struct reap_item *item)
{
	return item->destroyable && reset_may_help(item->result) && notw_diag_is_timewait(&item->it->m);
}

/* Marks the items a new listing still shows (all of them when it cannot
 * be made or does not hold them all: unconfirmed). */
static void confirm_resets(const struct port_command_args *a, struct reap_item *items, int n)
{
	struct listing after;
	if (!list_port(&a->target, NOTW_STATES_TIMEWAIT, &after)) {
		for (int i = 0; i < n; i++)
			items[i].still_there = items[i].reset_tried;
		return;
	}
	for (int i = 0; i < n; i++) {
		for (int k = 0; k < after.n && items[i].reset_tried; k++)
			if (same_socket(&items[i].it->m, &after.items[k].m))
				items[i].still_there = true;
		if (after.dropped > 0)
			items[i].still_there |= items[i].reset_tried;
	}
	listing_free(&after);
}

/* The reset method for what SOCK_DESTROY refused, then a new listing: the
 * kernel gives no answer to a reset, only the socket's absence shows it. */
static void reset_refused(const struct port_command_args *a, struct reap_item *items, int n)
{
	struct notw_reset r;
	int unusable_err;
	bool any = false;
	for (int i = 0; i < n && !any; i++)
		any = may_reset(&items[i]);
	if (!any)
		return;
	notw_reset_open(&r, (uint16_t)a->target.port);
	const char *unusable = notw_reset_unusable(&r, &unusable_err);
	for (int i = 0; i < n; i++) {
		struct reap_item *item = &items[i];
		if (!may_reset(item))
			continue;
		item->reset_tried = true;
		item->reset_result = unusable != NULL ? unusable_err
						      : notw_reset_timewait(&r, item->it->m.idiag_family,
									    item->it->m.idiag_state, &item->it->m.id);
		snprintf(item->cause, sizeof item->cause, "%s; %s", refusal_cause(item->result),
			 unusable != NULL ? unusable : notw_reset_cause(item->reset_result));
	}
	notw_reset_close(&r);
	confirm_resets(a, items, n);
}

/* Why reap leaves a socket it may not destroy, into item->cause. */
static void explain_kept(struct reap_item *item)
{
	const struct listed *it = item->it;
	struct notw_buf b;
	notw_buf_init(&b, item->cause, sizeof item->cause);
	if (it->what.kind == NOTW_PORT_SOCKET_DRAINING)
		notw_buf_format(&b, "data still in flight (%u byte(s) not acknowledged): ", it->what.unacked);
	notw_buf_puts(&b, it->what.reason);
	if (it->owner.pid > 0)
		notw_buf_format(&b, " (pid %d, %q)", it->owner.pid, it->owner.program);
}

enum outcome { GONE, WOULD_GO, REFUSED, KEPT };

/* What happened to one socket, and the word for it. */
static enum outcome outcome_of(const struct reap_item *item, bool dry_run, const char **word)
{
	if (!item->destroyable) {
		*word = dry_run ? "would leave" : "left";
		return KEPT;
	}
	if (dry_run) {
		*word = "would destroy";
		return WOULD_GO;
	}
	if (item->result == 0 || item->result == ENOENT) {
		*word = item->result == 0 ? "destroyed" : "already gone";
		return GONE;
	}
	if (item->reset_tried && item->reset_result == ENOENT) {
		/* Gone before its reset, perhaps replaced by a new connection:
		 * no reset was sent. */
		*word = "already gone";
		return GONE;
	}
	if (item->reset_tried && !item->still_there) {
		*word = "reset";
		return GONE;
	}
	*word = "not destroyed";
	return REFUSED;
}

static const char *cause_of(const struct reap_item *item, enum outcome o)
{
	if (o == GONE)
		return NULL;
	if (o == KEPT || item->reset_tried)
		return item->cause;
	return o == REFUSED ? refusal_cause(item->result) : NULL;
}

struct totals {
	int destroyed, by_reset, refused, kept, draining, live;
	int would; /* --dry-run: what a reap would destroy */
};

static void print_item(const struct reap_item *item, enum outcome o, const char *word, bool json, bool first)
{
	const struct listed *it = item->it;
	char local[64], remote[64];
	const char *cause = cause_of(item, o);
	local_end_text(&it->m, local, sizeof local);
	remote_end_text(&it->m, remote, sizeof remote);
	if (!json) {
		printf("%s %s %s %s\n", word, notw_tcp_state_name(it->m.idiag_state), local, remote);
		if (cause != NULL)
			printf("  cause: %s\n", cause);
		return;
	}
	printf("%s{\"state\":", first ? "" : ",");
	json_string(stdout, notw_tcp_state_name(it->m.idiag_state));
	printf(",\"kind\":");
	json_string(stdout, notw_port_socket_kind_name(it->what.kind));
	printf(",\"local\":");
	json_string(stdout, local);
	printf(",\"remote\":");
	json_string(stdout, remote);
	printf(",\"result\":");
	json_string(stdout, word);
	printf(",\"cause\":");
	if (cause != NULL)
		json_string(stdout, cause);
	else
		printf("null");
	printf("}");
}

static void add_up(const struct reap_item *item, enum outcome o, struct totals *t)
{
	if (o == WOULD_GO) {
		t->would++;
	} else if (o == GONE) {
		t->destroyed++;
		t->by_reset += item->reset_tried && item->reset_result == 0;
	} else if (o == REFUSED) {
		t->refused++;
	} else if (o == KEPT) {
		t->kept++;
		t->draining += item->it->what.kind == NOTW_PORT_SOCKET_DRAINING;
		t->live += !item->it->what.leftover;
	}
}

/* --dry-run: what a reap would do, and what would then be left. */
static void print_dry_run_summary(const struct port_command_args *a, const struct totals *t, int remaining)
{
	printf("port %u, dry run (nothing done): %d would be destroyed, %d left (%d still sending data, %d of live "
	       "processes); ",
	       a->target.port, t->would, t->kept, t->draining, t->live);
	if (remaining == 0)
		printf("a reap would free the port\n");
	else
		printf("after a reap %d socket(s) would still hold it\n", remaining);
}

static void print_summary(const struct port_command_args *a, const struct totals *t, int remaining, bool json)
{
	if (json) {
		printf("],\"destroyed\":%d,\"by_reset\":%d,\"refused\":%d,\"would_destroy\":%d,\"left\":%d,"
		       "\"draining\":%d,\"live\":%d,\"remaining\":%d}\n",
		       t->destroyed, t->by_reset, t->refused, t->would, t->kept, t->draining, t->live, remaining);
		return;
	}
	if (a->dry_run) {
		print_dry_run_summary(a, t, remaining);
		return;
	}
	printf("port %u: %d destroyed (%d by reset), %d refused, %d left (%d still sending data, %d of live "
	       "processes); ",
	       a->target.port, t->destroyed, t->by_reset, t->refused, t->kept, t->draining, t->live);
	if (remaining == 0)
		printf("nothing holds the port any more\n");
	else
		printf("%d socket(s) still hold it\n", remaining);
}

/* The sockets reap was asked about: all on the port for a bare port, else
 * those that conflict with a bind to the address. */
static int select_items(const struct port_command_args *a, const struct listing *l, struct reap_item *items)
{
	int n = 0;
	for (int i = 0; i < l->n; i++) {
		if (!a->target.bare && !l->items[i].conflicts)
			continue;
		items[n].it = &l->items[i];
		items[n].destroyable = l->items[i].what.safe_to_destroy;
		n++;
	}
	return n;
}

static bool any_live(const struct reap_item *items, int n)
{
	for (int i = 0; i < n; i++)
		if (!items[i].it->what.leftover)
			return true;
	return false;
}

int cmd_reap(int argc, char **argv)
{
	struct port_command_args a;
	struct listing l;
	int status = parse_reap_args(argc, argv, &a);
	if (status >= 0)
		return status;
	if (!list_port(&a.target, NOTW_STATES_CONNECTED, &l))
		return EXIT_NOT_DONE;
	struct reap_item *items = calloc((size_t)l.n + 1, sizeof *items);
	if (items == NULL) {
		listing_free(&l);
		return EXIT_NOT_DONE;
	}
	int n = select_items(&a, &l, items);
	if (any_live(items, n)) /* only they have an owner to name */
		listing_find_owners(&l);
	for (int i = 0; i < n; i++)
		if (!items[i].destroyable)
			explain_kept(&items[i]);
	if (!a.dry_run) {
		destroy_listed(items, n);
		reset_refused(&a, items, n);
	}
	struct totals t = { 0, 0, 0, 0, 0, 0, 0 };
	if (a.json)
		printf("{\"port\":%u,\"dry_run\":%s,\"sockets\":[", a.target.port, a.dry_run ? "true" : "false");
	for (int i = 0; i < n; i++) {
		const char *word;
		enum outcome o = outcome_of(&items[i], a.dry_run, &word);
		print_item(&items[i], o, word, a.json, i == 0);
		add_up(&items[i], o, &t);
	}
	/* What remains is what the kernel did not confirm destroying (for
	 * --dry-run: what a reap would leave), and what the listing could not
	 * hold (over MAX_LISTED). */
	int remaining = n - t.destroyed - t.would + l.dropped;
	print_summary(&a, &t, remaining, a.json);
	free(items);
	listing_free(&l);
	return remaining == 0 ? EXIT_DONE : EXIT_NOT_DONE;
}
