/* A one-connection inetd: listens on 127.0.0.1:PORT, accepts one client,
 * hands the connection over as descriptors 0, 1 and 2, as inetd, xinetd
 * and systemd's Accept=yes do, and executes the service.
 *
 *   inetd [--journal] PORT SERVICE [ARGS...]
 *
 * --journal   also set JOURNAL_STREAM to the connection's DEV:INO, as
 *             systemd does when a service's stderr is the journal's stream
 *
 * Prints "listening PORT" before it accepts. It knows nothing of notw. */
#define _GNU_SOURCE
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "progs.h"

int main(int argc, char **argv)
{
	int i = 1, journal = 0;
	if (i < argc && strcmp(argv[i], "--journal") == 0) {
		journal = 1;
		i++;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: inetd [--journal] PORT SERVICE [ARGS...]\n");
		return 2;
	}
	int port = atoi(argv[i]);
	struct sockaddr_in a = progs_loopback(port);
	int one = 1;
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) {
		perror("inetd: listen");
		return 1;
	}
	printf("listening %d\n", port);
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("inetd: accept");
		return 1;
	}
	if (journal) {
		struct stat st;
		char v[64];
		fstat(c, &st);
		snprintf(v, sizeof v, "%lu:%lu", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
		setenv("JOURNAL_STREAM", v, 1);
	}
	for (int fd = 0; fd < 3; fd++)
		dup2(c, fd);
	close(c);
	execvp(argv[i + 1], argv + i + 1);
	perror("inetd: exec");
	return 127;
}
