/* The file the kernel runs for a program name (program.h). */
#include "program.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* 0 when path is a regular file this user may execute, else ENOENT or
 * EACCES. */
static int executable_file(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? ENOENT : errno;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0)
		return EACCES;
	return 0;
}

int find_program(const char *name, char *out, size_t cap)
{
	if (name[0] == '\0')
		return EINVAL;
	if (strchr(name, '/') != NULL) {
		if ((size_t)snprintf(out, cap, "%s", name) >= cap)
			return ENAMETOOLONG;
		return executable_file(out);
	}
	const char *path = getenv("PATH");
	if (path == NULL)
		path = "/usr/local/bin:/usr/bin:/bin";
	int found = ENOENT;
	char first_denied[4096] = "";
	while (*path != '\0') {
		size_t n = strcspn(path, ":");
		if (n > 0 && (size_t)snprintf(out, cap, "%.*s/%s", (int)n, path, name) < cap) {
			int err = executable_file(out);
			if (err == 0)
				return 0;
			if (err == EACCES && found != EACCES) {
				found = EACCES;
				snprintf(first_denied, sizeof first_denied, "%s", out);
			}
		}
		path += n + (path[n] == ':');
	}
	/* Name the file that is there but cannot run, as a shell would. */
	if (found == EACCES)
		snprintf(out, cap, "%s", first_denied);
	return found;
}

const char *find_program_problem(int err)
{
	switch (err) {
	case ENOENT:
		return "no such program";
	case EACCES:
		return "not an executable file (Permission denied)";
	case EINVAL:
		return "an empty program name";
	default:
		return strerror(err);
	}
}

/* The first line of file, if it is a regular file that starts with "#!".
 * Opened without blocking and read only once fstat() says it is a regular
 * file: a "#!" naming a FIFO (anyone's script may) would otherwise hang the
 * command until someone writes to it; the kernel refuses to run one anyway. */
static bool shebang_line(const char *file, char *line, size_t cap)
{
	struct stat st;
	int fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return false;
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		do {
			n = read(fd, line, cap - 1);
		} while (n < 0 && errno == EINTR);
	}
	close(fd);
	if (n < 2)
		return false;
	line[n] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return strncmp(line, "#!", 2) == 0;
}

bool has_shebang(const char *file)
{
	char line[8];
	return shebang_line(file, line, sizeof line);
}

bool script_interpreter(const char *file, char *out, size_t cap)
{
	char line[512];
	if (!shebang_line(file, line, sizeof line))
		return false;
	char *save = NULL;
	char *interp = strtok_r(line + 2, " \t\r\n", &save);
	char *arg = strtok_r(NULL, " \t\r\n", &save);
	if (interp == NULL)
		return false;
	const char *slash = strrchr(interp, '/');
	if (strcmp(slash != NULL ? slash + 1 : interp, "env") == 0 && arg != NULL && arg[0] != '-')
		return find_program(arg, out, cap) == 0;
	snprintf(out, cap, "%s", interp);
	return true;
}
