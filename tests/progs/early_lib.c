/* A library whose constructor binds a TCP socket: with LD_PRELOAD, it runs
 * before libnotw's own constructor, so the bind() hook must make the
 * library ready by itself. The port comes from EARLY_PORT. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((constructor)) static void bind_in_constructor(void)
{
	const char *port = getenv("EARLY_PORT");
	if (port == NULL)
		return;
	struct sockaddr_in a;
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)atoi(port));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int v = -1;
	socklen_t len = sizeof v;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &v, &len) != 0) {
		perror("early_lib");
		return;
	}
	printf("constructor: SO_REUSEADDR=%d\n", v); /* the kernel's value */
	fflush(stdout);
	close(fd);
}

/* Referenced by early_main so that the linker keeps the dependency. */
int early_lib_present(void);
int early_lib_present(void)
{
	return 1;
}
