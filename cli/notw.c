/* notw: run a program under libnotw, show what holds a port, free a port. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <unistd.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: notw run [OPTIONS] -- PROGRAM [ARGS...]   run PROGRAM under libnotw\n"
		"       notw status [--json] [--netns NS] PORT|ADDR:PORT\n"
		"                                                 what holds a TCP port\n"
		"       notw reap [--dry-run] [--json] [--netns NS] PORT|ADDR:PORT\n"
		"                                                 destroy its timewait sockets\n"
		"       notw check-config [--program NAME|PATH] [FILE]\n"
		"                                                 check a policy file, show its effect\n"
		"       notw enable|disable [--root DIR] [--library PATH]\n"
		"                                                 add/remove libnotw in /etc/ld.so.preload\n"
		"       notw --version | --help | COMMAND --help\n");
}

bool parse_port_arg(const char *arg, struct sockaddr_storage *addr, socklen_t *len, unsigned *port)
{
	char host[INET6_ADDRSTRLEN + 2] = "";
	const char *port_text = arg;
	const char *colon = strrchr(arg, ':');
	memset(addr, 0, sizeof *addr);
	if (colon != NULL) {
		size_t n = (size_t)(colon - arg);
		if (n >= sizeof host)
			goto bad;
		memcpy(host, arg, n);
		host[n] = '\0';
		port_text = colon + 1;
	}
	char *end = NULL;
	errno = 0;
	unsigned long p = strtoul(port_text, &end, 10);
	if (errno != 0 || end == port_text || *end != '\0' || p == 0 || p > 65535)
		goto bad;
	*port = (unsigned)p;
	struct sockaddr_in *a4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*len = sizeof *a6;
		return true;
	}
	if (hl > 0 && inet_pton(AF_INET, host, &a4->sin_addr) != 1)
		goto bad;
	a4->sin_family = AF_INET;
	a4->sin_port = htons((uint16_t)p);
	*len = sizeof *a4;
	return true;
bad:
	fprintf(stderr, "notw: %s: expected PORT, ADDR:PORT or [ADDR6]:PORT (port 1-65535)\n", arg);
	return false;
}

bool enter_netns(const char *spec)
{
	char path[4096];
	if (strchr(spec, '/') != NULL)
		snprintf(path, sizeof path, "%s", spec);
	else if (strspn(spec, "0123456789") == strlen(spec))
		snprintf(path, sizeof path, "/proc/%s/ns/net", spec);
	else
		snprintf(path, sizeof path, "/run/netns/%s", spec);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "notw: --netns %s: cannot open %s: %s\n", spec, path, strerror(errno));
		return false;
	}
	if (setns(fd, CLONE_NEWNET) != 0) {
		fprintf(stderr, "notw: --netns %s: cannot enter it: %s%s\n", spec, strerror(errno),
			errno == EPERM ? " (needs CAP_SYS_ADMIN)" : "");
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

const char *tcp_state_name(unsigned state)
{
	static const char *const names[] = { "?", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1",
					     "FIN-WAIT-2", "TIME-WAIT", "UNCONN", "CLOSE-WAIT",
					     "LAST-ACK", "LISTEN", "CLOSING", "NEW-SYN-RECV",
					     "BOUND-INACTIVE" };
	return state < sizeof names / sizeof names[0] ? names[state] : "?";
}

void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(cmd, "--version") == 0) {
		printf("notw %s\n", NOTW_VERSION);
		return EXIT_DONE;
	}
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc - 1, argv + 1);
	if (strcmp(cmd, "reap") == 0)
		return cmd_reap(argc - 1, argv + 1);
	if (strcmp(cmd, "check-config") == 0)
		return cmd_check_config(argc - 1, argv + 1);
	if (strcmp(cmd, "enable") == 0)
		return cmd_enable(argc - 1, argv + 1);
	if (strcmp(cmd, "disable") == 0)
		return cmd_disable(argc - 1, argv + 1);
	fprintf(stderr, "notw: unknown command '%s'\n", cmd);
	usage(stderr);
	return EXIT_USAGE;
}
