/* notw attach, detach and attached in a build without the BPF engine
 * (meson -Dbpf=disabled, or clang, libbpf or bpftool missing). */
#include "command.h"

#include <stdio.h>
#include <syslog.h>

static int without_bpf(const char *cmd)
{
	fprintf(stderr, "notw %s: this notw was built without BPF support (clang, libbpf and bpftool "
			"at build time: meson -Dbpf=enabled)\n", cmd);
	return EXIT_USAGE;
}

int cmd_attach(int argc, char **argv)
{
	(void)argc;
	return without_bpf(argv[0]);
}

int cmd_detach(int argc, char **argv)
{
	(void)argc;
	return without_bpf(argv[0]);
}

int cmd_attached(int argc, char **argv)
{
	(void)argc;
	return without_bpf(argv[0]);
}

/* An OCI hook fails a container's start with any other exit status than
 * 0: without the engine the container starts without notw, as with a
 * kernel that lacks the hooks (oci_hook.c). */
int cmd_oci_hook(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	openlog("notw", LOG_PID, LOG_DAEMON);
	syslog(LOG_WARNING, "notw oci-hook: this notw was built without BPF support; the container starts without notw");
	fprintf(stderr, "notw oci-hook: this notw was built without BPF support; the container starts without notw\n");
	return EXIT_DONE;
}
