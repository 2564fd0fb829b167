/* The bind programs attached without links or pins, for notw oci-hook (bind_plain.h). */
#include "bind_plain.h"

#include "bpf_pins.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The kernel allows at most 64 programs of one type on a cgroup
 * (BPF_CGROUP_MAX_PROGS). */
#define MAX_PROGS 64
#define MAX_MAPS 8

/* The names the kernel keeps (BPF_OBJ_NAME_LEN, 15 characters at most). */
#define NAME_BIND4 "notw_bind4"
#define NAME_BIND6 "notw_bind6"
#define NAME_PORTS "ports"
#define NAME_COUNTERS "counters"

static bool skipped(uint32_t id, const uint32_t *skip, size_t n_skip)
{
	for (size_t i = 0; i < n_skip; i++)
		if (skip[i] == id)
			return true;
	return false;
}

/* The program's name and its map ids (at most MAX_MAPS). */
static int prog_info(uint32_t id, char name[16], uint32_t *maps, uint32_t *n_maps)
{
	struct bpf_prog_info info;
	uint32_t len = sizeof info;
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return -errno;
	memset(&info, 0, sizeof info);
	info.nr_map_ids = MAX_MAPS;
	info.map_ids = (uint64_t)(uintptr_t)maps;
	int rc = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? 0 : -errno;
	close(fd);
	if (rc != 0)
		return rc;
	memcpy(name, info.name, 16);
	name[15] = '\0';
	*n_maps = info.nr_map_ids < MAX_MAPS ? info.nr_map_ids : MAX_MAPS;
	return 0;
}

static bool map_named(uint32_t id, const char *want)
{
	struct bpf_map_info info;
	uint32_t len = sizeof info;
	int fd = bpf_map_get_fd_by_id(id);
	if (fd < 0)
		return false;
	memset(&info, 0, sizeof info);
	bool same = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && strncmp(info.name, want, sizeof info.name) == 0;
	close(fd);
	return same;
}

/* Is program id one of notw's (by name), and which maps are its? */
static bool notw_prog(uint32_t id, const char *want, struct plain_instance *pi)
{
	char name[16] = "";
	uint32_t maps[MAX_MAPS], n = 0;
	if (prog_info(id, name, maps, &n) != 0 || strcmp(name, want) != 0)
		return false;
	for (uint32_t i = 0; i < n; i++) {
		if (map_named(maps[i], NAME_PORTS))
			pi->ports_map = maps[i];
		else if (map_named(maps[i], NAME_COUNTERS))
			pi->counters_map = maps[i];
	}
	return pi->ports_map != 0 && pi->counters_map != 0;
}

/* The ids of the programs attached directly to the cgroup for type. */
static int attached_ids(int cgroup_fd, enum bpf_attach_type type, uint32_t *ids, uint32_t *n)
{
	uint32_t flags = 0;
	*n = MAX_PROGS;
	if (bpf_prog_query(cgroup_fd, type, 0, &flags, ids, n) != 0)
		return -errno;
	if (*n > MAX_PROGS)
		*n = MAX_PROGS;
	return 0;
}

/* The bind6 program that shares pi's maps, on the same cgroup. */
static void find_bind6(int cgroup_fd, struct plain_instance *pi)
{
	uint32_t ids[MAX_PROGS], n = 0;
	if (attached_ids(cgroup_fd, BPF_CGROUP_INET6_BIND, ids, &n) != 0)
		return;
	for (uint32_t i = 0; i < n; i++) {
		struct plain_instance other;
		memset(&other, 0, sizeof other);
		if (notw_prog(ids[i], NAME_BIND6, &other) && other.ports_map == pi->ports_map) {
			pi->prog6 = ids[i];
			return;
		}
	}
}

int bind_plain_find(int cgroup_fd, const uint32_t *skip, size_t n_skip, struct plain_instance *out, size_t max)
{
	uint32_t ids[MAX_PROGS], n = 0;
	size_t found = 0;
	int rc = attached_ids(cgroup_fd, BPF_CGROUP_INET4_BIND, ids, &n);
	if (rc != 0)
		return rc;
	for (uint32_t i = 0; i < n && found < max; i++) {
		struct plain_instance *pi = &out[found];
		memset(pi, 0, sizeof *pi);
		if (skipped(ids[i], skip, n_skip) || !notw_prog(ids[i], NAME_BIND4, pi))
			continue;
		pi->prog4 = ids[i];
		find_bind6(cgroup_fd, pi);
		found++;
	}
	return (int)found;
}

/* The bound on the entries read: as notw attached lists them. */
#define MAX_PINNED 4096
#define PIN_NAME_CAP 128

int bind_plain_find_unpinned(int cgroup_fd, struct plain_instance *out, size_t max)
{
	static uint32_t skip[MAX_PINNED];
	size_t n = bind_plain_pinned_progs(skip, MAX_PINNED);
	return bind_plain_find(cgroup_fd, skip, n, out, max);
}

int bind_plain_set_ports(const struct plain_instance *pi, const struct notw_bind_ports *set)
{
	uint32_t zero = 0;
	int fd = bpf_map_get_fd_by_id(pi->ports_map);
	if (fd < 0)
		return -errno;
	int rc = bpf_map_update_elem(fd, &zero, set, BPF_ANY) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int bind_plain_read(const struct plain_instance *pi, struct notw_bind_ports *set, struct bind_counters *c)
{
	uint32_t zero = 0;
	int fd = bpf_map_get_fd_by_id(pi->ports_map);
	if (fd < 0)
		return -errno;
	int rc = bpf_map_lookup_elem(fd, &zero, set) == 0 ? 0 : -errno;
	close(fd);
	if (rc != 0)
		return rc;
	fd = bpf_map_get_fd_by_id(pi->counters_map);
	if (fd < 0)
		return -errno;
	rc = bind_engine_read_counters(fd, c);
	close(fd);
	return rc;
}

static int detach_one(int cgroup_fd, uint32_t id, enum bpf_attach_type type)
{
	if (id == 0)
		return 0;
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int rc = bpf_prog_detach2(fd, cgroup_fd, type) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

int bind_plain_detach(int cgroup_fd, const struct plain_instance *pi)
{
	/* The ports emptied first: both programs stop acting together. */
	static const struct notw_bind_ports none;
	bind_plain_set_ports(pi, &none);
	int rc4 = detach_one(cgroup_fd, pi->prog4, BPF_CGROUP_INET4_BIND);
	int rc6 = detach_one(cgroup_fd, pi->prog6, BPF_CGROUP_INET6_BIND);
	return rc4 != 0 ? rc4 : rc6;
}

/* The id of the bind4 program pinned in dir, 0 when it cannot be read. */
static uint32_t pinned_prog(const char *dir)
{
	char path[PATH_MAX];
	struct bpf_prog_info info;
	uint32_t len = sizeof info;
	int n = snprintf(path, sizeof path, "%s/bind4", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return 0;
	int fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	memset(&info, 0, sizeof info);
	uint32_t id = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
	close(fd);
	return id;
}

size_t bind_plain_pinned_progs(uint32_t *ids, size_t max)
{
	static char names[MAX_PINNED * PIN_NAME_CAP];
	static const enum pin_kind kinds[] = { PIN_CGROUP, PIN_UNIT };
	char dir[512];
	size_t k = 0;
	for (size_t j = 0; j < sizeof kinds / sizeof kinds[0]; j++) {
		size_t n = pin_entries(kinds[j], names, PIN_NAME_CAP, MAX_PINNED);
		for (size_t i = 0; i < n && k < max; i++)
			if (pin_entry_path(kinds[j], names + i * PIN_NAME_CAP, dir, sizeof dir) &&
			    (ids[k] = pinned_prog(dir)) != 0)
				k++;
	}
	return k;
}
