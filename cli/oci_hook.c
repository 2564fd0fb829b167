/* notw oci-hook STAGE: notw attach for one container, run by its OCI
 * runtime (podman, CRI-O: a hooks.d file; any runtime: config.json's
 * hooks) when the container's annotation io.notw.ports names the ports.
 *
 * A command of its own rather than a mode of notw attach: its input is the
 * runtime's state on standard input, not options; nobody reads what it
 * says but syslog; and its exit status decides whether the container
 * starts. What it attaches is not pinned: the container's cgroup holds the
 * programs, and the kernel frees them with it, whether or not a poststop
 * hook runs (a runtime killed half way) -- nothing of notw outlives the
 * container.
 *
 * What stops the start (exit 1): only the container's own request being
 * wrong, a value of io.notw.ports that is no port list: the one fix is in
 * the container's definition, and starting it would leave it unprotected
 * while the definition says otherwise. Everything else (a state that is no
 * state, a process already gone, no cgroup v2, a kernel without the hooks,
 * the kernel refusing) starts the container without notw, with a warning
 * in syslog: notw must not turn a working start into a failed one. */
#include "bind_engine.h"
#include "bind_plain.h"
#include "bpf_pins.h"
#include "cgroup2.h"
#include "command.h"
#include "fmt.h"
#include "oci_state.h"
#include "options.h"
#include "port_set.h"
#include "say.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* The stages the hook acts at. createRuntime (and prestart, its deprecated
 * predecessor) run in the runtime's namespaces once the container's
 * process exists in its cgroup, before the program starts: in time for its
 * first bind(). */
static const char *const attach_stages[] = { "createRuntime", "prestart" };
#define STAGE_POSTSTOP "poststop"

static void hook_usage(FILE *out)
{
	fprintf(out,
		"usage: notw oci-hook createRuntime|prestart|poststop\n"
		"An OCI hook: reads the container's state (JSON) on standard input and, when\n"
		"its annotation " OCI_PORTS_ANNOTATION " names ports (notw attach's --ports syntax, or\n"
		"\"all\"), attaches the bind programs to the container's cgroup, unpinned: they\n"
		"end with the cgroup. poststop detaches them from the container's cgroup\n"
		"(named after its id) if it still exists.\n"
		"Logs to syslog. Exit status: 0 (also when it could not attach: the container\n"
		"starts without notw, a warning says why), 1 the annotation is no port list\n"
		"(the start fails), 2 usage error.\n");
}

static bool attach_stage(const char *stage)
{
	for (size_t i = 0; i < sizeof attach_stages / sizeof attach_stages[0]; i++)
		if (strcmp(stage, attach_stages[i]) == 0)
			return true;
	return false;
}


/* "all": every port; anything else notw attach's --ports syntax. An empty
 * value is refused (it would read as every port). */
static bool parse_ports(const char *value, struct notw_bind_ports *set, const char **reason)
{
	if (value[0] == '\0') {
		*reason = "an empty list (say \"all\" for every port)";
		return false;
	}
	return port_set_parse(strcmp(value, "all") == 0 ? NULL : value, set, reason);
}

/* Does attaching at path cover the cgroup of process pid (path is that
 * cgroup or one above it)? */
static bool covers(const struct cgroup2_mount *m, const char *path, long pid)
{
	char text[24], other[4096];
	size_t len = strlen(path);
	snprintf(text, sizeof text, "%ld", pid);
	return cgroup2_of_pid("oci-hook", m, text, other, sizeof other) && strncmp(other, path, len) == 0 &&
	       (other[len] == '\0' || other[len] == '/');
}

/* The cgroup of the container's process, opened; -1 after saying why. A
 * cgroup that holds the hook itself (a container left in its runtime's
 * cgroup) or the machine's init (PID 1 as the hook sees it: systemd's
 * init.scope) is not the container's own: the programs there would act on
 * the binds of every process of it; *shared says so (the cgroup is opened
 * all the same). */
static int container_cgroup(const struct oci_state *st, char *path, size_t cap, uint64_t *id, bool *shared)
{
	static struct cgroup2_mount m;
	char pid[24];
	snprintf(pid, sizeof pid, "%ld", st->pid);
	*shared = false;
	if (!cgroup2_find_mount("oci-hook", &m) || !cgroup2_of_pid("oci-hook", &m, pid, path, cap))
		return -1;
	*shared = covers(&m, path, (long)getpid()) || covers(&m, path, 1);
	int fd = cgroup2_open("oci-hook", path);
	if (fd >= 0 && !cgroup2_id(fd, id)) {
		say(stderr, "notw oci-hook: cannot read the id of the cgroup %q", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* Attaches, or gives an instance already there the ports (a hook run twice
 * for one cgroup). Returns 0 or -errno, *step and *updated said. */
static int attach_or_update(int cgroup_fd, const struct notw_bind_ports *set, enum bind_step *step, bool *updated)
{
	struct plain_instance pi;
	*updated = bind_plain_find_unpinned(cgroup_fd, &pi, 1) == 1;
	if (*updated) {
		*step = BIND_STEP_LOAD;
		return bind_plain_set_ports(&pi, set);
	}
	return bind_engine_attach_plain(cgroup_fd, set, step);
}

static int unprotected(const struct oci_state *st, const char *why)
{
	say(stderr, "notw oci-hook: container %q: %s; it starts without notw", st->id, why);
	return EXIT_DONE;
}

static int hook_attach(const struct oci_state *st)
{
	static struct notw_bind_ports set;
	const char *reason = "";
	char path[4096], ports[256], id_text[24];
	uint64_t id = 0;
	if (!parse_ports(st->ports, &set, &reason)) {
		say_syslog(LOG_ERR);
		say(stderr, "notw oci-hook: container %q: the annotation " OCI_PORTS_ANNOTATION "=%q is not a port list: %s "
			    "(e.g. 8080,9000-9100, or all); the start fails",
		    st->id, st->ports, reason);
		return EXIT_NOT_DONE;
	}
	if (st->pid <= 0)
		return unprotected(st, "the state names no process (\"pid\")");
	if (kill((pid_t)st->pid, 0) != 0 && errno == ESRCH)
		return unprotected(st, "its process (the state's \"pid\") is gone");
	if (!bind_engine_privileged())
		return unprotected(st, "not permitted: BPF programs on a cgroup need CAP_BPF and CAP_NET_ADMIN "
				       "(a runtime runs its hooks as root)");
	if (!bind_engine_supported())
		return unprotected(st, "this kernel has no cgroup BPF socket address hooks (cgroup/bind4, cgroup/bind6)");
	bool shared = false;
	int fd = container_cgroup(st, path, sizeof path, &id, &shared);
	if (fd < 0)
		return unprotected(st, "no cgroup v2 of its process to attach to");
	snprintf(id_text, sizeof id_text, "%" PRIu64, id);
	int status = EXIT_DONE;
	if (id == 1) {
		/* The root cgroup would cover every process of the machine. */
		status = unprotected(st, "its process is in the root cgroup, not in one of its own");
	} else if (shared) {
		status = unprotected(st, "its process's cgroup is not its own (it holds this hook or the machine's "
					 "init, PID 1)");
	} else if (pin_entry_exists(PIN_CGROUP, id_text)) {
		say_to_syslog(LOG_INFO, "notw oci-hook: container %q: the cgroup %q is attached already (notw attach); left as it is",
			 st->id, path);
	} else {
		enum bind_step step = BIND_STEP_LOAD;
		bool updated = false;
		int rc = attach_or_update(fd, &set, &step, &updated);
		port_set_text(&set, ports, sizeof ports);
		if (rc != 0) {
			say(stderr, "notw oci-hook: container %q: the cgroup %q: %s: %E%s; it starts without notw", st->id,
			    path, bind_engine_step_text(step), -rc, bind_engine_hint(step, rc));
		} else {
			say_to_syslog(LOG_INFO, "notw oci-hook: container %q: %s the cgroup %q (id %s), ports %s", st->id,
				 updated ? "updated" : "attached to", path, id_text, ports);
		}
	}
	close(fd);
	return status;
}

/* Is path the container's own cgroup? Runtimes name it after the
 * container's id (libpod-ID, docker/ID, crio-ID.scope,
 * cri-containerd-ID.scope): a pid read after the container stopped may be
 * another process's by now, in another container's cgroup. */
static bool named_after(const char *path, const char *id)
{
	const char *last = strrchr(path, '/');
	return id[0] != '\0' && last != NULL && strstr(last + 1, id) != NULL;
}

/* The programs end with the cgroup, which runtimes remove before poststop:
 * mostly there is nothing left to do. When the state still names a live
 * process in the container's own cgroup, that cgroup outlived the
 * container's stop: detach there. */
static int hook_poststop(const struct oci_state *st)
{
	struct plain_instance pi[4];
	char path[4096];
	uint64_t id = 0;
	if (st->pid <= 0 || kill((pid_t)st->pid, 0) != 0)
		return EXIT_DONE;
	say_syslog(-1); /* the process may be gone by now: nothing to warn about */
	bool shared = false;
	int fd = container_cgroup(st, path, sizeof path, &id, &shared);
	if (fd < 0)
		return EXIT_DONE;
	int n = id == 1 || shared || !named_after(path, st->id) ? 0 : bind_plain_find_unpinned(fd, pi, 4);
	for (int i = 0; i < n; i++)
		bind_plain_detach(fd, &pi[i]);
	if (n > 0)
		say_to_syslog(LOG_INFO, "notw oci-hook: container %q: detached from the cgroup %q", st->id, path);
	close(fd);
	return EXIT_DONE;
}

int cmd_oci_hook(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct oci_state st;
	char reason_buf[512];
	const char *reason = "";
	int c;
	while ((c = getopt_long(argc, argv, OPTS_QUIET "h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			hook_usage(stdout);
			return EXIT_DONE;
		}
		option_error(argv[0], c, argv);
		hook_usage(stderr);
		return EXIT_USAGE;
	}
	if (optind != argc - 1 || (!attach_stage(argv[optind]) && strcmp(argv[optind], STAGE_POSTSTOP) != 0)) {
		if (optind < argc)
			say(stderr, "notw oci-hook: %q is not a stage notw acts at", argv[optind]);
		hook_usage(stderr);
		return EXIT_USAGE;
	}
	const char *stage = argv[optind];
	openlog("notw", LOG_PID, LOG_DAEMON);
	say_syslog(LOG_WARNING);
	if (!oci_state_read(STDIN_FILENO, &st, &reason, reason_buf, sizeof reason_buf)) {
		say(stderr, "notw oci-hook: %s: cannot read the container's state: %s; the container starts without notw",
		    stage, reason);
		return EXIT_DONE;
	}
	if (!st.has_ports)
		return EXIT_DONE; /* not asked */
	return attach_stage(stage) ? hook_attach(&st) : hook_poststop(&st);
}
