/* The bind programs attached to a cgroup without links and without pins
 * (bind_engine_attach_plain(), notw oci-hook): nothing of them is in the
 * BPF filesystem, so they are found by asking the kernel what is attached
 * to a cgroup and reading each program's name and maps. */
#ifndef NOTW_CLI_BIND_PLAIN_H
#define NOTW_CLI_BIND_PLAIN_H

#include "bind_engine.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One instance on a cgroup: its two programs (0: not attached there) and
 * the maps they share. */
struct plain_instance {
	uint32_t prog4, prog6;
	uint32_t ports_map, counters_map;
};

/* The instances of notw's bind programs attached directly to cgroup_fd
 * (not to its ancestors), at most max, whose bind4 program is not one of
 * the skip ids (the programs of notw attach's pinned entries). Returns how
 * many, or -errno. */
int bind_plain_find(int cgroup_fd, const uint32_t *skip, size_t n_skip, struct plain_instance *out, size_t max);

/* The same, skipping the programs pinned by notw attach: its cgroup
 * entries' and the sets pinned for systemd's BPFProgram=, which systemd
 * attaches without a link and would otherwise look like the hook's. */
int bind_plain_find_unpinned(int cgroup_fd, struct plain_instance *out, size_t max);

/* The bind4 programs of every entry notw attach pinned (cgroup and unit),
 * at most max ids. Returns how many. */
size_t bind_plain_pinned_progs(uint32_t *ids, size_t max);

/* Replaces the port set of an instance. */
int bind_plain_set_ports(const struct plain_instance *pi, const struct notw_bind_ports *set);

/* Reads the port set and the counters of an instance. */
int bind_plain_read(const struct plain_instance *pi, struct notw_bind_ports *set, struct bind_counters *c);

/* Detaches both programs of an instance from cgroup_fd; the kernel frees
 * them and their maps then. A program attached through a link (notw
 * attach) is not detached this way: the kernel refuses. */
int bind_plain_detach(int cgroup_fd, const struct plain_instance *pi);

#endif
