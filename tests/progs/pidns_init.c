/* Process 1 of a server's own PID namespace, for the real-program tests:
 *
 *   unshare --pid --fork --kill-child pidns_init PROGRAM ARGS...
 *
 * starts PROGRAM and reaps every process of the namespace that ends (the
 * program's children, and the orphans the kernel hands to process 1, such
 * as the new master of an nginx binary upgrade once the old one is gone).
 * It never exits on its own: SIGKILL to it ends the namespace, and the
 * kernel then kills every process left in it at once, whatever process
 * group or session they moved to. That is how a test kills "the whole
 * server". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pidns_init PROGRAM [ARGS...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("pidns_init: fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror("pidns_init: exec");
		_exit(127);
	}
	/* Once no child is left, none can appear (only descendants are
	 * handed to process 1): wait to be killed. */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	for (;;)
		pause();
}
