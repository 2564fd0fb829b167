/* What notw attach and notw detach act on, from their selectors: a cgroup
 * v2 directory (--cgroup PATH, --parent PATH, --pid PID, --unit NAME; detach also takes
 * --id ID, for a cgroup that no longer exists) or a set pinned for systemd
 * (--pin NAME). */
#ifndef NOTW_CLI_ATTACH_TARGET_H
#define NOTW_CLI_ATTACH_TARGET_H

#include "bpf_pins.h"

#include <stdbool.h>
#include <stdint.h>

struct attach_selector {
	const char *cgroup, *pid, *unit, *pin, *id;
	const char *parent;   /* a path in the hierarchy: "/machine.slice" */
	bool make_parent;     /* create it when missing (attach) */
	int given; /* how many of them */
};

struct attach_target {
	enum pin_kind kind;
	char name[128];     /* the entry's name under PINS_ROOT/KIND */
	char path[4096];    /* the cgroup directory, "" for --pin and --id */
	int cgroup_fd;      /* open on path, or -1 */
	uint64_t cgroup_id;
	bool from_pid;      /* named by --pid */
};

/* Records one selector option (opt: 'c', 'a' (--parent), 'p', 'u', 'P', 'i'). */
void attach_select(struct attach_selector *s, int opt, const char *value);

/* Exactly one selector must be given, its value well formed (a process
 * id, a cgroup id, a pinned set's name): false after saying why. */
bool attach_selector_check(const char *cmd, const struct attach_selector *s);

/* Resolves the selector; false after saying why (no cgroup v2, no such
 * cgroup, a cgroup v1 path, systemd not running, a bad name). */
bool attach_target_resolve(const char *cmd, const struct attach_selector *s, struct attach_target *t);
void attach_target_close(struct attach_target *t);

/* The target is the root cgroup of the whole hierarchy. */
bool attach_target_is_root(const struct attach_target *t);

/* "the cgroup PATH", "the pinned set NAME", "the cgroup with id ID":
 * said with hostile bytes escaped. */
void attach_target_describe(const struct attach_target *t, char *out, size_t cap);

#endif
