/* A library of the test program close_paths whose destructor serves a
 * connection: the program's own libraries' destructors run after a
 * preloaded library's (ld.so finalises in reverse order of initialisation),
 * so the connection is accepted after libnotw's destructor ran. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

void late_lib_serve_at_exit(int listener);
void late_lib_set_linger_at_exit(int fd, int onoff, int secs);
void late_lib_call_at_exit(void (*fn)(void));

static int late_listener = -1;
static void (*late_call)(void);
static int late_linger_fd = -1;
static struct linger late_linger;

void late_lib_serve_at_exit(int listener)
{
	late_listener = listener;
}

/* The program's own SO_LINGER, set on fd after libnotw's destructor. */
void late_lib_set_linger_at_exit(int fd, int onoff, int secs)
{
	late_linger_fd = fd;
	late_linger.l_onoff = onoff;
	late_linger.l_linger = secs;
}

/* fn runs in a destructor after libnotw's (a program's thread pool
 * joined by a static destructor, say). */
void late_lib_call_at_exit(void (*fn)(void))
{
	late_call = fn;
}

__attribute__((destructor)) static void call_late(void)
{
	if (late_call != NULL)
		late_call();
}

__attribute__((destructor)) static void set_linger_late(void)
{
	if (late_linger_fd >= 0)
		setsockopt(late_linger_fd, SOL_SOCKET, SO_LINGER, &late_linger, sizeof late_linger);
}

__attribute__((destructor)) static void serve_late(void)
{
	if (late_listener < 0)
		return;
	int c = accept(late_listener, NULL, NULL);
	static char big[4 << 20];
	for (size_t done = 0; c >= 0 && done < sizeof big;) {
		ssize_t n = write(c, big + done, sizeof big - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	/* not closed: the exit closes it, as at any normal exit */
}
