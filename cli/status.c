/* notw status and notw reap: what holds a TCP port, and destroying its
 * timewait sockets. */
#include "cli.h"
#include "fmt.h"
#include "reset.h"
#include "sockdiag.h"

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_LISTED 4096

struct listed {
	struct inet_diag_msg m;
	bool conflicts;
	int pid;
	char program[32];
};

struct listing {
	const struct sockaddr *target;
	socklen_t target_len;
	struct listed *items;
	int n, dropped;
	int listeners, timewait, others;
};

static void collect(const struct inet_diag_msg *m, bool v6only, void *ctx)
{
	struct listing *l = ctx;
	if (l->n >= MAX_LISTED) {
		l->dropped++;
		return;
	}
	struct listed *it = &l->items[l->n++];
	memset(it, 0, sizeof *it);
	it->m = *m;
	it->conflicts = notw_diag_conflicts(l->target, l->target_len, false, m, v6only);
	if (!it->conflicts)
		return;
	if (notw_diag_is_timewait(m))
		l->timewait++;
	else if (m->idiag_state == 10)
		l->listeners++;
	else
		l->others++;
}

/* Fill pid and program of the listed sockets from /proc (only what this
 * user may see). */
static void find_owners(struct listing *l)
{
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return;
	struct dirent *p;
	while ((p = readdir(proc)) != NULL) {
		if (p->d_name[0] < '1' || p->d_name[0] > '9')
			continue;
		char dir[300];
		snprintf(dir, sizeof dir, "/proc/%s/fd", p->d_name);
		DIR *fds = opendir(dir);
		if (fds == NULL)
			continue;
		struct dirent *f;
		while ((f = readdir(fds)) != NULL) {
			char path[600], link[64];
			snprintf(path, sizeof path, "%s/%s", dir, f->d_name);
			ssize_t n = readlink(path, link, sizeof link - 1);
			unsigned long inode;
			if (n <= 0)
				continue;
			link[n] = '\0';
			if (sscanf(link, "socket:[%lu]", &inode) != 1)
				continue;
			for (int i = 0; i < l->n; i++) {
				struct listed *it = &l->items[i];
				if (it->pid != 0 || it->m.idiag_inode == 0 || it->m.idiag_inode != inode)
					continue;
				it->pid = atoi(p->d_name);
				char comm_path[300];
				snprintf(comm_path, sizeof comm_path, "/proc/%s/comm", p->d_name);
				FILE *c = fopen(comm_path, "re");
				if (c != NULL) {
					if (fgets(it->program, sizeof it->program, c) != NULL)
						it->program[strcspn(it->program, "\n")] = '\0';
					fclose(c);
				}
			}
		}
		closedir(fds);
	}
	closedir(proc);
}

static void format_end(char *out, size_t cap, uint8_t family, const __be32 addr[4], __be16 port)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	if (family == AF_INET) {
		notw_buf_put_in4(&b, addr);
	} else {
		notw_buf_putc(&b, '[');
		notw_buf_put_in6(&b, addr);
		notw_buf_putc(&b, ']');
	}
	notw_buf_putc(&b, ':');
	notw_buf_put_u64(&b, ntohs(port));
}

static const char *state_of(const struct inet_diag_msg *m)
{
	return tcp_state_name(m->idiag_state);
}

/* Would a bind to the target succeed now, with and without SO_REUSEADDR?
 * Tried for real, for an instant, on a socket that is closed at once. */
static const char *try_bind(const struct sockaddr *target, socklen_t len, bool reuse)
{
	int fd = socket(target->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return "unknown";
	int one = 1;
	if (reuse)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	int rc = bind(fd, target, len);
	int err = errno;
	close(fd);
	if (rc == 0)
		return "ok";
	static char name[32];
	struct notw_buf b;
	notw_buf_init(&b, name, sizeof name);
	notw_buf_put_errno(&b, err);
	return name;
}

struct common_args {
	bool json, dry_run;
	const char *netns;
	struct sockaddr_storage target;
	socklen_t target_len;
	unsigned port;
};

static bool parse_common(int argc, char **argv, bool allow_dry_run, struct common_args *a, void (*usage)(FILE *),
			 int *exit_now)
{
	const char *arg = NULL;
	memset(a, 0, sizeof *a);
	*exit_now = -1;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			*exit_now = EXIT_DONE;
			return false;
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = true;
		} else if (allow_dry_run && strcmp(argv[i], "--dry-run") == 0) {
			a->dry_run = true;
		} else if (strcmp(argv[i], "--netns") == 0 && i + 1 < argc) {
			a->netns = argv[++i];
		} else if (argv[i][0] != '-' && arg == NULL) {
			arg = argv[i];
		} else {
			fprintf(stderr, "notw: unexpected argument: %s\n", argv[i]);
			usage(stderr);
			*exit_now = EXIT_USAGE;
			return false;
		}
	}
	if (arg == NULL) {
		usage(stderr);
		*exit_now = EXIT_USAGE;
		return false;
	}
	if (!parse_port_arg(arg, &a->target, &a->target_len, &a->port) || (a->netns != NULL && !enter_netns(a->netns))) {
		*exit_now = EXIT_USAGE;
		return false;
	}
	return true;
}

static bool list_port(const struct common_args *a, uint32_t states, struct listing *l)
{
	memset(l, 0, sizeof *l);
	l->target = (const struct sockaddr *)&a->target;
	l->target_len = a->target_len;
	l->items = calloc(MAX_LISTED, sizeof *l->items);
	if (l->items == NULL)
		return false;
	int err = notw_list_port((uint16_t)a->port, states, collect, l);
	if (err != 0) {
		fprintf(stderr, "notw: cannot list the sockets of port %u: %s\n", a->port, strerror(err));
		free(l->items);
		return false;
	}
	return true;
}

static void status_usage(FILE *out)
{
	fprintf(out,
		"usage: notw status [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT\n"
		"Lists every TCP socket on that local port: listeners and connections with their\n"
		"process (when /proc shows it), timewait sockets (TIME-WAIT and FIN-WAIT-2\n"
		"sub-states) with their time left; marks those that conflict with a bind to ADDR\n"
		"(default 0.0.0.0), and says whether such a bind, with and without SO_REUSEADDR,\n"
		"succeeds now (tried for an instant on a socket closed at once).\n");
}

int cmd_status(int argc, char **argv)
{
	struct common_args a;
	struct listing l;
	int exit_now;
	if (!parse_common(argc, argv, false, &a, status_usage, &exit_now))
		return exit_now;
	if (!list_port(&a, NOTW_STATES_ALL, &l))
		return EXIT_NOT_DONE;
	find_owners(&l);
	char target[64];
	format_end(target, sizeof target, (uint8_t)a.target.ss_family,
		   a.target.ss_family == AF_INET ? (const __be32 *)&((struct sockaddr_in *)&a.target)->sin_addr
						 : (const __be32 *)&((struct sockaddr_in6 *)&a.target)->sin6_addr,
		   htons((uint16_t)a.port));
	const struct sockaddr *t = (const struct sockaddr *)&a.target;
	const char *without = try_bind(t, a.target_len, false);
	char without_copy[32];
	snprintf(without_copy, sizeof without_copy, "%s", without);
	const char *with = try_bind(t, a.target_len, true);

	if (a.json) {
		printf("{\"port\":%u,\"bind_address\":", a.port);
		json_string(stdout, target);
		printf(",\"sockets\":[");
	} else {
		printf("TCP port %u:\n", a.port);
	}
	for (int i = 0; i < l.n; i++) {
		const struct listed *it = &l.items[i];
		char local[64], remote[64];
		format_end(local, sizeof local, it->m.idiag_family, it->m.id.idiag_src, it->m.id.idiag_sport);
		format_end(remote, sizeof remote, it->m.idiag_family, it->m.id.idiag_dst, it->m.id.idiag_dport);
		bool tw = notw_diag_is_timewait(&it->m);
		if (a.json) {
			printf("%s{\"state\":", i > 0 ? "," : "");
			json_string(stdout, state_of(&it->m));
			printf(",\"timewait\":%s,\"local\":", tw ? "true" : "false");
			json_string(stdout, local);
			printf(",\"remote\":");
			json_string(stdout, remote);
			printf(",\"expires_ms\":%u,\"conflicts\":%s", tw ? it->m.idiag_expires : 0,
			       it->conflicts ? "true" : "false");
			if (it->pid > 0) {
				printf(",\"pid\":%d,\"program\":", it->pid);
				json_string(stdout, it->program);
			} else {
				printf(",\"pid\":null,\"program\":null");
			}
			printf("}");
			continue;
		}
		printf("  %-11s %-28s %-28s ", state_of(&it->m), local, remote);
		if (tw)
			printf("timewait, %u s left", (it->m.idiag_expires + 999) / 1000);
		else if (it->pid > 0)
			printf("pid %d (%s)", it->pid, it->program);
		else
			printf("process not visible");
		printf("%s\n", it->conflicts ? "" : "  [no conflict with a bind to the address given]");
	}
	if (a.json) {
		printf("],\"listeners\":%d,\"timewait\":%d,\"others\":%d,\"not_listed\":%d,", l.listeners, l.timewait,
		       l.others, l.dropped);
		printf("\"bind_now\":{\"without_reuseaddr\":");
		json_string(stdout, without_copy);
		printf(",\"with_reuseaddr\":");
		json_string(stdout, with);
		printf("}}\n");
	} else {
		if (l.n == 0)
			printf("  (no socket)\n");
		if (l.dropped > 0)
			printf("  ... and %d more not listed\n", l.dropped);
		printf("conflicting with a bind to %s: %d listener(s), %d timewait socket(s), %d other(s)\n", target,
		       l.listeners, l.timewait, l.others);
		printf("bind %s now: without SO_REUSEADDR: %s; with SO_REUSEADDR: %s\n", target, without_copy, with);
	}
	free(l.items);
	return EXIT_DONE;
}

static void reap_usage(FILE *out)
{
	fprintf(out,
		"usage: notw reap [--dry-run] [--json] [--netns NAME|PATH|PID] PORT|ADDR:PORT\n"
		"Destroys the timewait sockets (TIME-WAIT and FIN-WAIT-2 sub-states) on that local\n"
		"port (those that conflict with ADDR when given) with SOCK_DESTROY, and prints each.\n"
		"That needs CAP_NET_ADMIN over the network namespace and Linux 6.0 or later; where\n"
		"it is refused, each socket is sent a TCP reset from its peer's address instead\n"
		"(needs CAP_NET_RAW; for TIME-WAIT also net.ipv4.tcp_rfc1337 = 0); a reset counts once a new\n"
		"listing of the port shows the socket gone.\n"
		"Exit status: 0 no timewait socket is left on the port, 1 some remain (each with\n"
		"its cause), 2 usage error.\n");
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
	int result;          /* SOCK_DESTROY's answer */
	bool reset_tried;
	int reset_result;    /* 0: sent; else why not */
	bool still_there;    /* in the listing made afterwards */
	char cause[256];
};

/* The kernel's answer for each socket, in batches of one request each. */
static void destroy_listed(struct reap_item *items, int n)
{
	struct notw_tw_sock batch[NOTW_SCAN_MAX];
	int results[NOTW_SCAN_MAX];
	for (int start = 0; start < n; start += NOTW_SCAN_MAX) {
		int count = n - start < NOTW_SCAN_MAX ? n - start : NOTW_SCAN_MAX;
		for (int k = 0; k < count; k++) {
			memset(&batch[k], 0, sizeof batch[k]);
			batch[k].family = items[start + k].it->m.idiag_family;
			batch[k].id = items[start + k].it->m.id;
		}
		int err = notw_destroy_batch(batch, count, results);
		for (int k = 0; k < count; k++)
			items[start + k].result = err != 0 ? err : results[k];
	}
}

static bool same_socket(const struct inet_diag_msg *a, const struct inet_diag_msg *b)
{
	return a->idiag_family == b->idiag_family && a->id.idiag_sport == b->id.idiag_sport &&
	       a->id.idiag_dport == b->id.idiag_dport &&
	       memcmp(a->id.idiag_src, b->id.idiag_src, sizeof a->id.idiag_src) == 0 &&
	       memcmp(a->id.idiag_dst, b->id.idiag_dst, sizeof a->id.idiag_dst) == 0;
}

/* The reset method for what SOCK_DESTROY refused, then a new listing: the
 * kernel gives no answer to a reset, only the socket's absence shows it. */
static void reset_refused(const struct common_args *a, struct reap_item *items, int n)
{
	struct notw_reset r;
	int unusable_err;
	bool any = false;
	for (int i = 0; i < n && !any; i++)
		any = reset_may_help(items[i].result);
	if (!any)
		return;
	notw_reset_open(&r, (uint16_t)a->port);
	const char *unusable = notw_reset_unusable(&r, &unusable_err);
	for (int i = 0; i < n; i++) {
		struct reap_item *item = &items[i];
		if (!reset_may_help(item->result))
			continue;
		item->reset_tried = true;
		item->reset_result = unusable != NULL ? unusable_err
						      : notw_reset_timewait(&r, item->it->m.idiag_family,
									    item->it->m.idiag_state,
									    &item->it->m.id);
		snprintf(item->cause, sizeof item->cause, "%s; %s", refusal_cause(item->result),
			 unusable != NULL ? unusable : notw_reset_cause(item->reset_result));
	}
	notw_reset_close(&r);

	struct listing after;
	if (!list_port(a, NOTW_STATES_TIMEWAIT, &after)) {
		for (int i = 0; i < n; i++)
			items[i].still_there = items[i].reset_tried; /* unconfirmed */
		return;
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < after.n && items[i].reset_tried; k++)
			if (same_socket(&items[i].it->m, &after.items[k].m))
				items[i].still_there = true;
	if (after.dropped > 0) /* could not look at them all */
		for (int i = 0; i < n; i++)
			items[i].still_there |= items[i].reset_tried;
	free(after.items);
}

/* What happened to one socket; *done when it is gone. */
static const char *reap_result(const struct reap_item *item, bool dry_run, bool *done)
{
	*done = false;
	if (dry_run)
		return "would destroy";
	if (item->result == 0 || item->result == ENOENT) {
		*done = true;
		return item->result == 0 ? "destroyed" : "already gone";
	}
	if (item->reset_tried && !item->still_there) {
		*done = true;
		return "reset";
	}
	return item->reset_tried ? item->cause : refusal_cause(item->result);
}

int cmd_reap(int argc, char **argv)
{
	struct common_args a;
	struct listing l;
	int exit_now;
	if (!parse_common(argc, argv, true, &a, reap_usage, &exit_now))
		return exit_now;
	bool bare_port = strchr(argv[argc - 1], ':') == NULL;
	if (!list_port(&a, NOTW_STATES_TIMEWAIT, &l))
		return EXIT_NOT_DONE;
	struct reap_item *items = calloc((size_t)l.n + 1, sizeof *items);
	if (items == NULL) {
		free(l.items);
		return EXIT_NOT_DONE;
	}
	int n = 0;
	for (int i = 0; i < l.n; i++)
		if (notw_diag_is_timewait(&l.items[i].m) && (bare_port || l.items[i].conflicts))
			items[n++].it = &l.items[i];
	if (!a.dry_run) {
		destroy_listed(items, n);
		reset_refused(&a, items, n);
	}
	int destroyed = 0, refused = 0, by_reset = 0;
	if (a.json)
		printf("{\"port\":%u,\"dry_run\":%s,\"sockets\":[", a.port, a.dry_run ? "true" : "false");
	for (int i = 0; i < n; i++) {
		const struct listed *it = items[i].it;
		char local[64], remote[64];
		format_end(local, sizeof local, it->m.idiag_family, it->m.id.idiag_src, it->m.id.idiag_sport);
		format_end(remote, sizeof remote, it->m.idiag_family, it->m.id.idiag_dst, it->m.id.idiag_dport);
		bool done;
		const char *result = reap_result(&items[i], a.dry_run, &done);
		if (done) {
			destroyed++;
			by_reset += items[i].reset_tried;
		} else if (!a.dry_run) {
			refused++;
		}
		if (a.json) {
			printf("%s{\"state\":", i > 0 ? "," : "");
			json_string(stdout, state_of(&it->m));
			printf(",\"local\":");
			json_string(stdout, local);
			printf(",\"remote\":");
			json_string(stdout, remote);
			printf(",\"result\":");
			json_string(stdout, result);
			printf("}");
		} else {
			printf("%s %s %s %s\n", done || a.dry_run ? result : "not destroyed", state_of(&it->m), local,
			       remote);
			if (!done && !a.dry_run)
				printf("  cause: %s\n", result);
		}
	}
	/* What remains is what the kernel did not confirm destroying: each
	 * socket got its own answer. Sockets the listing could not hold
	 * (over MAX_LISTED) count as remaining. */
	int remaining = n - destroyed + l.dropped;
	free(items);
	free(l.items);
	if (a.json)
		printf("],\"destroyed\":%d,\"by_reset\":%d,\"refused\":%d,\"remaining\":%d}\n", destroyed,
		       by_reset, refused, remaining);
	else
		printf("port %u: %d destroyed (%d by reset), %d refused, %d timewait socket(s) remain\n", a.port,
		       destroyed, by_reset, refused, remaining);
	return remaining == 0 ? EXIT_DONE : EXIT_NOT_DONE;
}
