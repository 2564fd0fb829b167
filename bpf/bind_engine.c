/* The bind programs' instances: load, attach, pin, read (bind_engine.h). */
#include "bind_engine.h"

#include "bpf_pins.h"

/* bpftool's generated code, not written to this project's warnings. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include "notw_bind.skel.h"
#include "notw_bind_plain.skel.h"
#pragma GCC diagnostic pop

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/capability.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The file names of an instance's pins. */
#define PIN_BIND4 "bind4"
#define PIN_BIND6 "bind6"
#define PIN_PORTS "ports"
#define PIN_COUNTERS "counters"
#define PIN_LINK4 "link4"
#define PIN_LINK6 "link6"

/* libbpf's own messages would speak of its internals; the command says
 * what failed in its own words. */
static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	(void)fmt;
	(void)ap;
	return 0;
}

static void silence_libbpf(void)
{
	if (getenv("NOTW_BPF_DEBUG") == NULL)
		libbpf_set_print(quiet);
}

static bool join(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);
	return n > 0 && (size_t)n < cap;
}

static int pin_all(const char *dir, struct notw_bind *skel, struct bpf_link *l4, struct bpf_link *l6)
{
	char path[PATH_MAX];
	int rc = 0;
	if (rc == 0)
		rc = join(path, sizeof path, dir, PIN_PORTS) ? bpf_map__pin(skel->maps.ports, path) : -ENAMETOOLONG;
	if (rc == 0)
		rc = join(path, sizeof path, dir, PIN_COUNTERS) ? bpf_map__pin(skel->maps.counters, path) : -ENAMETOOLONG;
	if (rc == 0)
		rc = join(path, sizeof path, dir, PIN_BIND4) ? bpf_program__pin(skel->progs.notw_bind4, path) : -ENAMETOOLONG;
	if (rc == 0)
		rc = join(path, sizeof path, dir, PIN_BIND6) ? bpf_program__pin(skel->progs.notw_bind6, path) : -ENAMETOOLONG;
	if (rc == 0 && l4 != NULL)
		rc = join(path, sizeof path, dir, PIN_LINK4) ? bpf_link__pin(l4, path) : -ENAMETOOLONG;
	if (rc == 0 && l6 != NULL)
		rc = join(path, sizeof path, dir, PIN_LINK6) ? bpf_link__pin(l6, path) : -ENAMETOOLONG;
	return rc;
}

/* Both hooks or neither: the first link is destroyed (detached, since it
 * is not pinned yet) when the second cannot be made. */
static int attach_both(struct notw_bind *skel, int cgroup_fd, struct bpf_link **l4, struct bpf_link **l6,
		       enum bind_step *step)
{
	*step = BIND_STEP_ATTACH4;
	*l4 = bpf_program__attach_cgroup(skel->progs.notw_bind4, cgroup_fd);
	if (*l4 == NULL)
		return -errno;
	*step = BIND_STEP_ATTACH6;
	*l6 = bpf_program__attach_cgroup(skel->progs.notw_bind6, cgroup_fd);
	if (*l6 == NULL) {
		int err = -errno;
		bpf_link__destroy(*l4);
		*l4 = NULL;
		return err;
	}
	return 0;
}

int bind_engine_install(const char *dir, int cgroup_fd, enum bind_step *step)
{
	struct bpf_link *l4 = NULL, *l6 = NULL;
	silence_libbpf();
	*step = BIND_STEP_LOAD;
	struct notw_bind *skel = notw_bind__open();
	if (skel == NULL)
		return -errno;
	int rc = notw_bind__load(skel);
	if (rc == 0 && cgroup_fd >= 0)
		rc = attach_both(skel, cgroup_fd, &l4, &l6, step);
	if (rc == 0) {
		*step = BIND_STEP_PIN;
		rc = pin_all(dir, skel, l4, l6);
	}
	/* The pins keep what was pinned; the rest goes with the descriptors. */
	bpf_link__destroy(l6);
	bpf_link__destroy(l4);
	notw_bind__destroy(skel);
	return rc;
}

static int open_pinned(const char *dir, const char *name)
{
	char path[PATH_MAX];
	if (!join(path, sizeof path, dir, name))
		return -ENAMETOOLONG;
	int fd = bpf_obj_get(path);
	return fd >= 0 ? fd : -errno;
}

/* Without links: the cgroup itself holds the programs (and they their
 * maps), so the kernel frees them when the cgroup is removed; a link (even
 * one nobody pinned) would be a separate object. BPF_F_ALLOW_MULTI, as
 * systemd's BPFProgram= and the links of notw attach: the programs of
 * other tools on the same cgroup and its ancestors keep running. */
static int attach_both_plain(struct notw_bind_plain *skel, int cgroup_fd, enum bind_step *step)
{
	int fd4 = bpf_program__fd(skel->progs.notw_bind4), fd6 = bpf_program__fd(skel->progs.notw_bind6);
	*step = BIND_STEP_ATTACH4;
	if (bpf_prog_attach(fd4, cgroup_fd, BPF_CGROUP_INET4_BIND, BPF_F_ALLOW_MULTI) != 0)
		return -errno;
	*step = BIND_STEP_ATTACH6;
	if (bpf_prog_attach(fd6, cgroup_fd, BPF_CGROUP_INET6_BIND, BPF_F_ALLOW_MULTI) != 0) {
		int err = -errno;
		bpf_prog_detach2(fd4, cgroup_fd, BPF_CGROUP_INET4_BIND);
		return err;
	}
	return 0;
}

int bind_engine_attach_plain(int cgroup_fd, const struct notw_bind_ports *set, enum bind_step *step)
{
	uint32_t zero = 0;
	silence_libbpf();
	*step = BIND_STEP_LOAD;
	struct notw_bind_plain *skel = notw_bind_plain__open();
	if (skel == NULL)
		return -errno;
	int rc = notw_bind_plain__load(skel);
	/* The ports first: nothing to stage, the programs act from the moment
	 * they are attached. */
	if (rc == 0 && bpf_map_update_elem(bpf_map__fd(skel->maps.ports), &zero, set, BPF_ANY) != 0)
		rc = -errno;
	if (rc == 0)
		rc = attach_both_plain(skel, cgroup_fd, step);
	/* The cgroup keeps what was attached; the rest goes with the descriptors. */
	notw_bind_plain__destroy(skel);
	return rc;
}

int bind_engine_set_ports(const char *dir, const struct notw_bind_ports *set)
{
	uint32_t zero = 0;
	int fd = open_pinned(dir, PIN_PORTS);
	if (fd < 0)
		return fd;
	int rc = bpf_map_update_elem(fd, &zero, set, BPF_ANY) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int bind_engine_read_counters(int fd, struct bind_counters *c)
{
	int ncpu = libbpf_num_possible_cpus();
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	uint64_t *per_cpu = calloc((size_t)ncpu, sizeof *per_cpu);
	uint64_t *fields[NOTW_COUNTERS] = { &c->binds, &c->set, &c->already };
	int rc = per_cpu == NULL ? -ENOMEM : 0;
	for (uint32_t k = 0; rc >= 0 && k < NOTW_COUNTERS; k++) {
		if (bpf_map_lookup_elem(fd, &k, per_cpu) != 0) {
			rc = -errno;
			break;
		}
		*fields[k] = 0;
		for (int i = 0; i < ncpu; i++)
			*fields[k] += per_cpu[i];
	}
	free(per_cpu);
	return rc < 0 ? rc : 0;
}

static uint64_t link_cgroup_id(const char *dir)
{
	struct bpf_link_info info;
	uint32_t len = sizeof info;
	int fd = open_pinned(dir, PIN_LINK4);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof info);
	/* The kernel reports 0 once the cgroup is gone and the link with it. */
	uint64_t id = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.cgroup.cgroup_id : 0;
	close(fd);
	return id;
}

int bind_engine_read(const char *dir, struct notw_bind_ports *set, struct bind_counters *c, uint64_t *cgroup_id)
{
	uint32_t zero = 0;
	silence_libbpf();
	int fd = open_pinned(dir, PIN_PORTS);
	if (fd < 0)
		return fd;
	int rc = bpf_map_lookup_elem(fd, &zero, set) == 0 ? 0 : -errno;
	close(fd);
	if (rc == 0) {
		fd = open_pinned(dir, PIN_COUNTERS);
		rc = fd < 0 ? fd : bind_engine_read_counters(fd, c);
		if (fd >= 0)
			close(fd);
	}
	*cgroup_id = link_cgroup_id(dir);
	return rc;
}

const char *bind_engine_step_text(enum bind_step step)
{
	switch (step) {
	case BIND_STEP_LOAD:
		return "the kernel refused to load the bind programs";
	case BIND_STEP_ATTACH4:
		return "the kernel refused to attach the cgroup/bind4 program";
	case BIND_STEP_ATTACH6:
		return "the kernel refused to attach the cgroup/bind6 program (cgroup/bind4 was detached again)";
	case BIND_STEP_PIN:
		return "cannot pin the programs in " PINS_ROOT;
	}
	return "failed";
}

const char *bind_engine_hint(enum bind_step step, int err)
{
	/* The programs read the socket through the kernel's BTF (CO-RE). */
	if (step == BIND_STEP_LOAD && access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		return " (the kernel has no BTF, /sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF)";
	/* The kernel refuses a BPF_F_ALLOW_MULTI program beside one attached
	 * to the same cgroup without it (exclusive or override). */
	if ((step == BIND_STEP_ATTACH4 || step == BIND_STEP_ATTACH6) && err == -EPERM && bind_engine_privileged())
		return " (the cgroup holds a bind program of another tool attached without BPF_F_ALLOW_MULTI, which "
		       "admits no other: attach to its parent cgroup instead)";
	if (err == -EPERM || err == -EACCES)
		return " (needs CAP_BPF and CAP_NET_ADMIN)";
	if (err == -EINVAL || err == -EOPNOTSUPP || err == -ENOTSUP)
		return " (a kernel without the cgroup/bind4 and cgroup/bind6 hooks, or without bpf_setsockopt there)";
	return "";
}

#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Loading the programs needs CAP_BPF (or CAP_SYS_ADMIN, before 5.8);
 * attaching them to a cgroup needs CAP_NET_ADMIN. */
bool bind_engine_privileged(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (syscall(SYS_capget, &hdr, data) != 0)
		return true; /* let the kernel say */
	bool bpf = (data[CAP_BPF / 32].effective >> (CAP_BPF % 32) & 1) != 0 ||
		   (data[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32) & 1) != 0;
	bool net_admin = (data[CAP_NET_ADMIN / 32].effective >> (CAP_NET_ADMIN % 32) & 1) != 0;
	return bpf && net_admin;
}

bool bind_engine_supported(void)
{
	silence_libbpf();
	return libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SOCK_ADDR, NULL) == 1;
}
