/* A library whose constructor starts a thread and waits for it, as a
 * plugin that brings up a worker might: while the constructor runs, the
 * thread that called dlopen() holds the dynamic loader's lock. The worker
 * makes the process's first close(). */
#include <pthread.h>
#include <unistd.h>

static void *worker(void *unused)
{
	(void)unused;
	close(-1);
	return NULL;
}

__attribute__((constructor)) static void start_worker(void)
{
	pthread_t t;
	if (pthread_create(&t, NULL, worker, NULL) == 0)
		pthread_join(t, NULL);
}
