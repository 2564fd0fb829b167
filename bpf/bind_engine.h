/* The bind programs' instances: load one (its own maps), attach it to a
 * cgroup, pin it; read and change a pinned one. Paths are directories of
 * the BPF filesystem (see bpf_pins.h); errors are -errno values. */
#ifndef NOTW_CLI_BIND_ENGINE_H
#define NOTW_CLI_BIND_ENGINE_H

#include "notw_bind.h"

#include <stdbool.h>
#include <stdint.h>

struct bind_counters {
	uint64_t binds;    /* every bind() the programs saw */
	uint64_t set;      /* SO_REUSEADDR set by the program */
	uint64_t already;  /* the socket had it already */
};

/* Which step failed, for the message. */
enum bind_step { BIND_STEP_LOAD, BIND_STEP_ATTACH4, BIND_STEP_ATTACH6, BIND_STEP_PIN };

/* Loads a new instance with an empty port set (it changes nothing yet),
 * attaches both programs to cgroup_fd unless it is -1 (both or neither),
 * and pins programs, maps and links into dir. Returns 0 or -errno, *step
 * saying which step failed; what was pinned before a failure is the
 * caller's to remove. */
int bind_engine_install(const char *dir, int cgroup_fd, enum bind_step *step);

/* Loads a new instance of the build without CO-RE (notw_bind_plain: no
 * parse of the kernel's BTF) with the port set, and attaches both programs
 * to cgroup_fd (both or neither) without links and without pins: the
 * cgroup holds them, and they end with it. Returns 0 or -errno, *step saying
 * which step failed. */
int bind_engine_attach_plain(int cgroup_fd, const struct notw_bind_ports *set, enum bind_step *step);

/* Replaces the port set of the instance pinned in dir: both programs read
 * the one map element, so they switch together. */
int bind_engine_set_ports(const char *dir, const struct notw_bind_ports *set);

/* What is pinned in dir. *cgroup_id: the cgroup link4 is attached to, 0
 * when that cgroup is gone or there is no link. */
int bind_engine_read(const char *dir, struct notw_bind_ports *set, struct bind_counters *c, uint64_t *cgroup_id);

/* The counters map (open in fd), summed over the CPUs. */
int bind_engine_read_counters(int fd, struct bind_counters *c);

/* What failed, for a message: "the kernel refused to load the bind
 * programs"; and a hint for err (-errno), " (...)" or "". */
const char *bind_engine_step_text(enum bind_step step);
const char *bind_engine_hint(enum bind_step step, int err);

/* Has this process the capabilities to load and attach the programs
 * (CAP_BPF or CAP_SYS_ADMIN, and CAP_NET_ADMIN)? */
bool bind_engine_privileged(void);

/* Does this kernel have the cgroup sock_addr program type at all? */
bool bind_engine_supported(void);

#endif
