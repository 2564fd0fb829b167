/* A systemd unit's control group, asked of systemd (systemd_unit.h). */
#include "systemd_unit.h"

#include "say.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define UNIT_NAME_MAX 255 /* systemd's limit */

/* systemd's own test for "booted with systemd" (sd_booted()). */
static bool systemd_running(void)
{
	return access("/run/systemd/system", F_OK) == 0;
}

/* Reads what fd gives, up to cap - 1 bytes, NUL-terminated; the rest is
 * drained so the writer never blocks. Returns the length kept. */
static size_t read_all(int fd, char *out, size_t cap)
{
	size_t len = 0;
	char sink[512];
	for (int i = 0; i < 4096; i++) {
		ssize_t n = len + 1 < cap ? read(fd, out + len, cap - 1 - len) : read(fd, sink, sizeof sink);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	out[len] = '\0';
	return len;
}

/* systemctl show -p ControlGroup --value UNIT; its status. */
static int ask_systemctl(const char *unit, char *out, size_t cap)
{
	int pipefd[2];
	pid_t pid;
	int status = -1;
	posix_spawn_file_actions_t fa;
	static char a_systemctl[] = "systemctl", a_show[] = "show", a_p[] = "-p", a_prop[] = "ControlGroup",
		    a_value[] = "--value", a_end[] = "--";
	char unit_arg[UNIT_NAME_MAX + 1];
	char *argv[] = { a_systemctl, a_show, a_p, a_prop, a_value, a_end, unit_arg, NULL };
	snprintf(unit_arg, sizeof unit_arg, "%s", unit);
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], STDOUT_FILENO);
	int rc = posix_spawnp(&pid, "systemctl", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc == 0) {
		read_all(pipefd[0], out, cap);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close(pipefd[0]);
	return rc == 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool systemd_unit_cgroup(const char *cmd, const char *unit, char *out, size_t cap)
{
	if (!systemd_running()) {
		say(stderr, "notw %s: systemd is not running here (no /run/systemd/system): give the cgroup with "
			    "--cgroup PATH or --pid PID instead of --unit", cmd);
		return false;
	}
	if (strlen(unit) > UNIT_NAME_MAX) {
		say(stderr, "notw %s: the unit name is too long", cmd);
		return false;
	}
	int status = ask_systemctl(unit, out, cap);
	out[strcspn(out, "\n")] = '\0';
	if (status != 0) {
		say(stderr, "notw %s: systemctl show %q failed (status %d)", cmd, unit, status);
		return false;
	}
	if (out[0] != '/') {
		say(stderr, "notw %s: the unit %q has no control group (not loaded, or not running)", cmd, unit);
		return false;
	}
	return true;
}
