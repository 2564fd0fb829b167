/* A library of the test program close_paths whose destructor serves a
 * connection: the program's own libraries' destructors run after a
 * preloaded library's (ld.so finalises in reverse order of initialisation),
 * so the connection is accepted after libnotw's destructor ran. */
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

void late_lib_serve_at_exit(int listener);

static int late_listener = -1;

void late_lib_serve_at_exit(int listener)
{
	late_listener = listener;
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
