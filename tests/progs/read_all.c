/* Connects to 127.0.0.1 PORT and reads until EOF, an error, or SECONDS.
 *
 *   read_all PORT [SECONDS]
 *
 * Prints "bytes N eof", "bytes N reset" or "bytes N error|timeout". */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "progs.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	int seconds = argc > 2 ? atoi(argv[2]) : 10;
	struct sockaddr_in a = progs_loopback(atoi(argv[1]));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		perror("read_all: connect");
		return 1;
	}
	long long total = 0;
	const char *end = "timeout";
	time_t deadline = time(NULL) + seconds;
	while (time(NULL) < deadline) {
		struct pollfd p = { .fd = fd, .events = POLLIN, .revents = 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		char buf[65536];
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			total += n;
			continue;
		}
		end = n == 0 ? "eof" : (errno == ECONNRESET ? "reset" : "error");
		break;
	}
	printf("bytes %lld %s\n", total, end);
	return 0;
}
