/* Which process holds a socket, from /proc (owner.h). */
#include "owner.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void read_comm(int pid, char *out, size_t cap)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", pid);
	out[0] = '\0';
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return;
	if (fgets(out, (int)cap, f) != NULL)
		out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

/* The socket inode a descriptor link names, or 0. */
static unsigned long socket_inode(const char *fd_dir, const char *fd_name)
{
	char path[600], link[64];
	unsigned long inode;
	snprintf(path, sizeof path, "%s/%s", fd_dir, fd_name);
	ssize_t n = readlink(path, link, sizeof link - 1);
	if (n <= 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%lu]", &inode) == 1 ? inode : 0;
}

static void claim(struct socket_owner *owners, int n, unsigned long inode, int pid)
{
	for (int i = 0; i < n; i++) {
		if (owners[i].pid != 0 || owners[i].inode == 0 || owners[i].inode != inode)
			continue;
		owners[i].pid = pid;
		read_comm(pid, owners[i].program, sizeof owners[i].program);
	}
}

static void look_at_process(const char *pid_text, struct socket_owner *owners, int n)
{
	char dir[300];
	snprintf(dir, sizeof dir, "/proc/%s/fd", pid_text);
	DIR *fds = opendir(dir);
	if (fds == NULL)
		return;
	struct dirent *f;
	while ((f = readdir(fds)) != NULL) {
		unsigned long inode = f->d_name[0] == '.' ? 0 : socket_inode(dir, f->d_name);
		if (inode != 0)
			claim(owners, n, inode, atoi(pid_text));
	}
	closedir(fds);
}

void find_socket_owners(struct socket_owner *owners, int n)
{
	DIR *proc = opendir("/proc");
	if (proc == NULL)
		return;
	struct dirent *p;
	while ((p = readdir(proc)) != NULL)
		if (p->d_name[0] >= '1' && p->d_name[0] <= '9')
			look_at_process(p->d_name, owners, n);
	closedir(proc);
}

int owner_find_libnotw(const struct socket_owner *o)
{
	char path[64], line[4096 + 128];
	if (o->pid <= 0)
		return LIBNOTW_UNKNOWN;
	snprintf(path, sizeof path, "/proc/%d/maps", o->pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return LIBNOTW_UNKNOWN;
	int found = LIBNOTW_UNKNOWN;
	/* Bounded: a process maps at most vm.max_map_count areas (65530 by
	 * default); an empty read (a process gone, or not readable after
	 * all) tells nothing. */
	for (int lines = 0; found != LIBNOTW_LOADED && lines < 1000000 && fgets(line, sizeof line, f) != NULL; lines++) {
		found = LIBNOTW_ABSENT;
		line[strcspn(line, "\n")] = '\0';
		const char *slash = strrchr(line, '/');
		if (slash != NULL && strncmp(slash + 1, "libnotw.so", 10) == 0)
			found = LIBNOTW_LOADED;
	}
	fclose(f);
	return found;
}
