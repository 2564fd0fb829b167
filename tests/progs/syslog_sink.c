/* A stand-in syslog daemon for the tests: receives datagrams on a Unix
 * socket PATH and appends each, one per line, to OUT.
 *
 *   syslog_sink PATH OUT SECONDS
 *
 * Prints "ready" once bound; exits after SECONDS. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof sun.sun_path)
		return 2;
	strcpy(sun.sun_path, argv[1]);
	unlink(argv[1]);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
		perror("syslog_sink: bind");
		return 1;
	}
	FILE *out = fopen(argv[2], "a");
	if (out == NULL)
		return 1;
	printf("ready\n");
	fflush(stdout);
	time_t deadline = time(NULL) + atoi(argv[3]);
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
		if (poll(&p, 1, 100) != 1)
			continue;
		char buf[2048];
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			fprintf(out, "%s\n", buf);
			fflush(out);
		}
	}
	return 0;
}
