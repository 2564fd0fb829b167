/* --netns: another network namespace (netns.h). */
#include "netns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void netns_path(const char *spec, char *path, size_t cap)
{
	if (strchr(spec, '/') != NULL)
		snprintf(path, cap, "%s", spec);
	else if (strspn(spec, "0123456789") == strlen(spec))
		snprintf(path, cap, "/proc/%s/ns/net", spec);
	else
		snprintf(path, cap, "/run/netns/%s", spec);
}

bool enter_netns(const char *spec)
{
	char path[4096];
	netns_path(spec, path, sizeof path);
	/* O_NONBLOCK: opening a FIFO would wait for a writer. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		fprintf(stderr, "notw: --netns %s: cannot open %s: %s\n", spec, path, strerror(errno));
		return false;
	}
	bool ok = setns(fd, CLONE_NEWNET) == 0;
	if (!ok && errno == EINVAL)
		fprintf(stderr, "notw: --netns %s: %s is not a network namespace\n", spec, path);
	else if (!ok)
		fprintf(stderr, "notw: --netns %s: cannot enter it: %s%s\n", spec, strerror(errno),
			errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
	close(fd);
	return ok;
}
