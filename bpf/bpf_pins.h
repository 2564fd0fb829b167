/* Where notw attach keeps what must outlive the command: the BPF
 * filesystem, one directory per attachment.
 *
 *   /sys/fs/bpf/notw/cgroup/ID/   attached to the cgroup whose id is ID:
 *                                 bind4 bind6 (programs) ports counters
 *                                 (maps) link4 link6 (the attachments)
 *   /sys/fs/bpf/notw/unit/NAME/   pinned for systemd's BPFProgram=, no links
 *
 *   /sys/fs/bpf/notw/staging/     entries being built or removed
 *
 * An entry is built in staging/ ("new-cgroup-ID") and renamed into place in
 * one step, and removed the same way (renamed to staging/ first), so a
 * reader never sees half of one. Every command holds an exclusive lock on
 * /sys/fs/bpf/notw while it works, and first empties staging/: what an
 * interrupted command left there.
 *
 * /sys/fs/bpf/notw made by another user first (a BPF file system mounted
 * without mode= is 1777) is never used: attach mounts a BPF file system of
 * its own over that directory (or renames anything else aside), so a user
 * cannot lock root out; detach and attached find nothing of notw's there. */
#ifndef NOTW_CLI_BPF_PINS_H
#define NOTW_CLI_BPF_PINS_H

#include <stdbool.h>
#include <stddef.h>

#define PINS_BPFFS "/sys/fs/bpf"
#define PINS_ROOT PINS_BPFFS "/notw"

enum pin_kind { PIN_CGROUP = 0, PIN_UNIT };

struct pins {
	int root_fd;  /* PINS_ROOT, locked */
};

/* Mounts the BPF filesystem at PINS_BPFFS when nothing is mounted there,
 * creates PINS_ROOT, locks it, tidies up. With create false, a missing
 * PINS_ROOT is not an error: *empty is set. False after saying why. */
bool pins_open(const char *cmd, struct pins *p, bool create, bool *empty);
void pins_close(struct pins *p);

const char *pin_kind_dir(enum pin_kind kind); /* "cgroup", "unit" */

/* PINS_ROOT/KIND/NAME, or the staging directory it is built in. */
bool pin_entry_path(enum pin_kind kind, const char *name, char *out, size_t cap);
bool pin_temp_path(enum pin_kind kind, const char *name, char *out, size_t cap);

/* Is there an entry name of kind? False also when PINS_ROOT or the kind's
 * directory is not notw's own (another user's, or writable by others):
 * nothing planted there is taken for notw's. */
bool pin_entry_exists(enum pin_kind kind, const char *name);

/* A fresh, empty staging directory for name (a leftover one removed). */
bool pin_temp_create(enum pin_kind kind, const char *name);
/* Renames the staging directory into place (the entry must not exist). */
bool pin_temp_commit(enum pin_kind kind, const char *name);
/* Removes the staging directory and everything pinned in it. */
void pin_temp_discard(enum pin_kind kind, const char *name);
/* Removes an entry: into staging first, then its files (links first). */
bool pin_entry_remove(enum pin_kind kind, const char *name);

/* The entries of kind, in no particular order, at most max names of cap
 * bytes each into names (names[i * cap]). Returns how many: none when the
 * directories are not notw's own (as pin_entry_exists()). */
size_t pin_entries(enum pin_kind kind, char *names, size_t cap, size_t max);

#endif
