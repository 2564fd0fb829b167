/* An inetd-style server: accepts one connection, makes it the standard
 * output of a program it execs in its place (the connection is not
 * close-on-exec), which writes to it and exits normally.
 *
 *   exec_server PORT FORM PROGRAM [ARGS...]
 *
 * FORM is the exec call used: execv, execvp, execl or execlp (the list
 * forms pass up to four arguments). Prints "listening PORT" once bound. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "progs.h"

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: exec_server PORT FORM PROGRAM [ARGS...]\n");
		return 2;
	}
	struct sockaddr_in a = progs_loopback(atoi(argv[1]));
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) != 0 || listen(l, 4) != 0) {
		perror("exec_server");
		return 1;
	}
	printf("listening %s\n", argv[1]);
	fflush(stdout);
	int c = accept(l, NULL, NULL);
	if (c < 0 || dup2(c, 1) != 1) {
		perror("exec_server: accept");
		return 1;
	}
	close(c);
	close(l);
	const char *form = argv[2];
	char **args = argv + 3;
	if (strcmp(form, "execv") == 0)
		execv(args[0], args);
	else if (strcmp(form, "execvp") == 0)
		execvp(args[0], args);
	else if (strcmp(form, "execl") == 0)
		execl(args[0], args[0], args[1], args[2], args[3], (char *)NULL);
	else if (strcmp(form, "execlp") == 0)
		execlp(args[0], args[0], args[1], args[2], args[3], (char *)NULL);
	perror("exec_server: exec");
	return 127;
}
