/* A program's first hooked calls in the places where the library does its
 * first-use work (looking up the next definitions, getting ready at the
 * first socket):
 *   startup thread-in-constructor LIB  dlopen() a library whose constructor
 *                                      waits for a thread's first close()
 *   startup chdir-then-socket DIR      chdir(DIR), then the first socket
 *   startup clearenv-then-socket       clearenv(), then the first socket
 *   startup retitle-then-socket        writes over its environment strings
 *                                      (as a program setting its process
 *                                      title does), then the first socket
 *   startup fork-threaded              with threads allocating, fork()s whose
 *                                      child's first socket() must work
 *   startup vfork-first-calls          vfork() children whose first hooked
 *                                      call is execve() or dup2()
 *   startup race PORT                  32 threads making their first socket,
 *                                      bind, listen, connect, accept at once
 * Prints what it saw; every wait is bounded (alarm). */
#define _GNU_SOURCE
#include "progs.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define RACERS 32

static int first_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : 1;
}

static int thread_in_constructor(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW);
	if (h == NULL) {
		fprintf(stderr, "%s\n", dlerror());
		return 1;
	}
	printf("loaded\n");
	return 0;
}

/* What setproctitle() emulations do: copy the environment, point environ
 * at the copies, and use the original strings' memory for the title. */
static int retitle_then_socket(void)
{
	for (char **e = environ; *e != NULL; e++) {
		char *copy = strdup(*e);
		if (copy == NULL)
			return 1;
		memset(*e, 'x', strlen(*e));
		*e = copy;
	}
	return first_socket();
}

static void *allocate(void *unused)
{
	(void)unused;
	for (;;)
		free(malloc(64));
	return NULL;
}

static int fork_threaded(void)
{
	pthread_t t;
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t, NULL, allocate, NULL) != 0)
			return 1;
	for (int i = 0; i < 20; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(5);
			_exit(first_socket());
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			printf("child %d failed\n", i);
			return 1;
		}
	}
	printf("children ok\n");
	return 0;
}

static int vfork_child_status(int dup_first)
{
	static char name[] = "true";
	char *argv[] = { name, NULL };
	pid_t pid = vfork();
	if (pid == 0) {
		if (dup_first)
			dup2(2, 1);
		execve("/bin/true", argv, NULL);
		_exit(127);
	}
	int status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	return status;
}

static int vfork_first_calls(void)
{
	printf("execve %d\n", vfork_child_status(0));
	printf("dup2 %d\n", vfork_child_status(1));
	return 0;
}

static pthread_barrier_t start_line;
static int base_port;

static void *race_one(void *arg)
{
	struct sockaddr_in a = progs_loopback(base_port + (int)(long)arg);
	pthread_barrier_wait(&start_line);
	int lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(lfd, 1) != 0)
		return (void *)1;
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
		return (void *)1;
	int s = accept(lfd, NULL, NULL);
	if (s < 0)
		return (void *)1;
	close(s);
	close(c);
	close(lfd);
	return NULL;
}

static int race(int port)
{
	pthread_t t[RACERS];
	int failed = 0;
	base_port = port;
	pthread_barrier_init(&start_line, NULL, RACERS);
	for (long i = 0; i < RACERS; i++)
		if (pthread_create(&t[i], NULL, race_one, (void *)i) != 0)
			return 1;
	for (int i = 0; i < RACERS; i++) {
		void *r;
		pthread_join(t[i], &r);
		failed += r != NULL;
	}
	printf("failed %d\n", failed);
	return 0;
}

int main(int argc, char **argv)
{
	alarm(20);
	if (argc == 3 && strcmp(argv[1], "thread-in-constructor") == 0)
		return thread_in_constructor(argv[2]);
	if (argc == 3 && strcmp(argv[1], "chdir-then-socket") == 0)
		return chdir(argv[2]) != 0 || first_socket();
	if (argc == 2 && strcmp(argv[1], "clearenv-then-socket") == 0)
		return clearenv() != 0 || first_socket();
	if (argc == 2 && strcmp(argv[1], "retitle-then-socket") == 0)
		return retitle_then_socket();
	if (argc == 2 && strcmp(argv[1], "fork-threaded") == 0)
		return fork_threaded();
	if (argc == 2 && strcmp(argv[1], "vfork-first-calls") == 0)
		return vfork_first_calls();
	if (argc == 3 && strcmp(argv[1], "race") == 0)
		return race(atoi(argv[2]));
	fprintf(stderr, "usage: startup thread-in-constructor LIB | chdir-then-socket DIR | "
			"clearenv-then-socket | retitle-then-socket | fork-threaded | vfork-first-calls | race PORT\n");
	return 2;
}
