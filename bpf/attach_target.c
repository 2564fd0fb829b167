/* What notw attach and detach act on, from their selectors (attach_target.h). */
#include "attach_target.h"

#include "cgroup2.h"
#include "fmt.h"
#include "say.h"
#include "systemd_unit.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PIN_NAME_MAX 64

void attach_select(struct attach_selector *s, int opt, const char *value)
{
	switch (opt) {
	case 'c':
		s->cgroup = value;
		break;
	case 'a':
		s->parent = value;
		break;
	case 'p':
		s->pid = value;
		break;
	case 'u':
		s->unit = value;
		break;
	case 'P':
		s->pin = value;
		break;
	case 'i':
		s->id = value;
		break;
	default:
		return;
	}
	s->given++;
}

/* A pinned set's name becomes a file name in the BPF filesystem (which
 * refuses a '.') and part of a unit's BPFProgram= line: letters, digits,
 * '-', '_', '@'. */
static bool valid_pin_name(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > PIN_NAME_MAX)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_@") == n;
}

/* A path in the hierarchy, as /proc/PID/cgroup shows it: absolute, no
 * "." or ".." component, no empty one but a trailing slash. */
static bool valid_hierarchy_path(const char *path)
{
	if (path[0] != '/' || strlen(path) >= 1024)
		return false;
	for (const char *c = path + 1; *c != '\0';) {
		size_t n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.') || (n == 0 && c[1] != '\0'))
			return false;
		c += n + (c[n] == '/');
	}
	return true;
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);
	return n > 0 && n <= 20 && strspn(id, "0123456789") == n && id[0] != '0';
}

static bool valid_pid(const char *pid)
{
	size_t n = strlen(pid);
	return n > 0 && n <= 10 && strspn(pid, "0123456789") == n && pid[0] != '0';
}

/* The value's form only; whether it names something is for resolving. */
static bool well_formed(const char *cmd, const struct attach_selector *s)
{
	const char *bad = NULL;
	if (s->pin != NULL && !valid_pin_name(s->pin))
		bad = "a pinned set's name is 1-64 letters, digits, '-', '_', '@'";
	else if (s->id != NULL && !valid_id(s->id))
		bad = "not a cgroup id (see notw attached)";
	else if (s->pid != NULL && !valid_pid(s->pid))
		bad = "not a process id";
	else if (s->parent != NULL && !valid_hierarchy_path(s->parent))
		bad = "not a path in the cgroup hierarchy (absolute, as /proc/PID/cgroup shows it: /machine.slice)";
	if (bad == NULL)
		return true;
	say(stderr, "notw %s: %q: %s", cmd,
	    s->pin != NULL ? s->pin : s->id != NULL ? s->id : s->pid != NULL ? s->pid : s->parent, bad);
	return false;
}

bool attach_selector_check(const char *cmd, const struct attach_selector *s)
{
	if (s->given == 1)
		return well_formed(cmd, s);
	fprintf(stderr, "notw %s: %s\n", cmd,
		s->given == 0 ? "say where: --cgroup PATH, --parent PATH, --pid PID, --unit NAME or --pin NAME"
			      : "one of --cgroup, --parent, --pid, --unit, --pin at a time");
	return false;
}

/* The cgroup directory the selector names, into t->path. */
static bool cgroup_dir(const char *cmd, const struct attach_selector *s, struct attach_target *t)
{
	struct cgroup2_mount m;
	char rel[4096];
	if (s->cgroup != NULL) {
		int n = snprintf(t->path, sizeof t->path, "%s", s->cgroup);
		if (n > 0 && (size_t)n < sizeof t->path)
			return true;
		say(stderr, "notw %s: %s", cmd, n == 0 ? "--cgroup with an empty path" : "the cgroup path is too long");
		return false;
	}
	if (!cgroup2_find_mount(cmd, &m))
		return false;
	if (s->pid != NULL)
		return cgroup2_of_pid(cmd, &m, s->pid, t->path, sizeof t->path);
	if (s->parent != NULL)
		return cgroup2_join(cmd, &m, s->parent, t->path, sizeof t->path) &&
		       (!s->make_parent || cgroup2_make(cmd, &m, t->path));
	return systemd_unit_cgroup(cmd, s->unit, rel, sizeof rel) && cgroup2_join(cmd, &m, rel, t->path, sizeof t->path);
}

bool attach_target_resolve(const char *cmd, const struct attach_selector *s, struct attach_target *t)
{
	memset(t, 0, sizeof *t);
	t->cgroup_fd = -1;
	if (s->pin != NULL || s->id != NULL) {
		const char *name = s->pin != NULL ? s->pin : s->id;
		t->kind = s->pin != NULL ? PIN_UNIT : PIN_CGROUP;
		if (!well_formed(cmd, s))
			return false;
		snprintf(t->name, sizeof t->name, "%s", name);
		return true;
	}
	t->kind = PIN_CGROUP;
	t->from_pid = s->pid != NULL;
	if (!cgroup_dir(cmd, s, t) || (t->cgroup_fd = cgroup2_open(cmd, t->path)) < 0)
		return false;
	if (!cgroup2_id(t->cgroup_fd, &t->cgroup_id)) {
		say(stderr, "notw %s: cannot read the id of the cgroup %q", cmd, t->path);
		attach_target_close(t);
		return false;
	}
	snprintf(t->name, sizeof t->name, "%" PRIu64, t->cgroup_id);
	return true;
}

void attach_target_close(struct attach_target *t)
{
	if (t->cgroup_fd >= 0)
		close(t->cgroup_fd);
	t->cgroup_fd = -1;
}

/* The kernel numbers cgroups by their kernfs node, the hierarchy's root
 * first: id 1. (In a cgroup namespace the mount's root is the namespace's
 * cgroup, another id, and covers that container only.) */
#define ROOT_CGROUP_ID 1

bool attach_target_is_root(const struct attach_target *t)
{
	return t->kind == PIN_CGROUP && t->cgroup_fd >= 0 && t->cgroup_id == ROOT_CGROUP_ID;
}

void attach_target_describe(const struct attach_target *t, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	if (t->kind == PIN_UNIT)
		notw_buf_format(&b, "the set pinned as %q", t->name);
	else if (t->path[0] != '\0')
		notw_buf_format(&b, "the cgroup %q", t->path);
	else
		notw_buf_format(&b, "the cgroup with id %s", t->name);
}
