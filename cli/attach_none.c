/* notw attach, detach and attached in a build without the BPF engine
 * (meson -Dbpf=disabled, or clang, libbpf or bpftool missing). */
#include "command.h"

#include <stdio.h>

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
