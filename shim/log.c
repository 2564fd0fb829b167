#include "log.h"

#include "fdtable.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* All I/O here goes through syscall(): it is async-signal-safe, never a
 * cancellation point, and does not re-enter the library's own hooks. */

__attribute__((visibility("hidden"))) int notw_log_threshold = NOTW_LEVEL_INFO;

static struct {
	int sink;                       /* enum notw_sink */
	char path[NOTW_LOG_PATH_MAX];   /* NOTW_SINK_FILE */
	int fd;                         /* descriptor written to, -1 = none yet */
	dev_t dev;                      /* identity of fd when it was taken */
	ino_t ino;
	int reopening;                  /* one thread at a time (re)opens the sink */
} sink = { .sink = NOTW_SINK_STDERR, .fd = 2, .dev = 0, .ino = 0, .reopening = 0 };

static long sys_close(int fd)
{
	return syscall(SYS_close, fd);
}

static bool fd_identity(int fd, dev_t *dev, ino_t *ino, mode_t *mode)
{
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) != 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	if (mode != NULL)
		*mode = st.st_mode;
	return true;
}

/* Is fd still the object the log took? Also reports whether it is a socket. */
static bool fd_still_ours(int fd, bool *is_socket)
{
	dev_t dev;
	ino_t ino;
	mode_t mode;
	if (fd < 0 || !fd_identity(fd, &dev, &ino, &mode))
		return false;
	*is_socket = S_ISSOCK(mode);
	return dev == __atomic_load_n(&sink.dev, __ATOMIC_ACQUIRE) &&
	       ino == __atomic_load_n(&sink.ino, __ATOMIC_ACQUIRE);
}

/* Write without ever blocking and without SIGPIPE: a pipe or terminal that
 * is full or has no reader drops the line. */
static void write_nonblocking(int fd, bool is_socket, const char *data, size_t len)
{
	if (is_socket) {
		syscall(SYS_sendto, fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
		return;
	}
	struct pollfd pfd = { .fd = fd, .events = POLLOUT, .revents = 0 };
	struct timespec zero = { 0, 0 };
	if (syscall(SYS_ppoll, &pfd, 1, &zero, NULL, 0) != 1)
		return;
	if ((pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0 || (pfd.revents & POLLOUT) == 0)
		return;
	syscall(SYS_write, fd, data, len);
}

static int open_file_sink(void)
{
	return (int)syscall(SYS_openat, AT_FDCWD, sink.path,
			    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
}

static int open_syslog_sink(void)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "/dev/log", sizeof "/dev/log");
	int fd = (int)syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (syscall(SYS_connect, fd, &sun, sizeof sun) != 0) {
		sys_close(fd);
		return -1;
	}
	return fd;
}

/* The descriptor of the file or syslog sink, opened on first use and again
 * after the program closed it (close(), close_range(), dup2 over it). */
static int sink_fd_for_write(bool *is_socket)
{
	int fd = __atomic_load_n(&sink.fd, __ATOMIC_ACQUIRE);
	if (fd_still_ours(fd, is_socket))
		return fd;
	if (__atomic_exchange_n(&sink.reopening, 1, __ATOMIC_ACQUIRE) != 0)
		return -1; /* another thread is reopening: drop this line */
	/* The old number, if any, belongs to the program now: forget, never close. */
	int nfd = sink.sink == NOTW_SINK_FILE ? open_file_sink() : open_syslog_sink();
	dev_t dev;
	ino_t ino;
	mode_t mode;
	if (nfd >= 0 && fd_identity(nfd, &dev, &ino, &mode)) {
		__atomic_store_n(&sink.dev, dev, __ATOMIC_RELEASE);
		__atomic_store_n(&sink.ino, ino, __ATOMIC_RELEASE);
		notw_fd_set(nfd, NOTW_FD_INTERNAL);
		*is_socket = S_ISSOCK(mode);
	} else if (nfd >= 0) {
		sys_close(nfd);
		nfd = -1;
	}
	__atomic_store_n(&sink.fd, nfd, __ATOMIC_RELEASE);
	__atomic_store_n(&sink.reopening, 0, __ATOMIC_RELEASE);
	return nfd;
}

/* Close a sink descriptor the log itself decided to give up. */
static void drop_sink_fd(int fd)
{
	int expected = fd;
	if (__atomic_compare_exchange_n(&sink.fd, &expected, -1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_RELAXED)) {
		notw_fd_set(fd, 0);
		sys_close(fd);
	}
}

void notw_log_forget_fd(int fd)
{
	int expected = fd;
	if (sink.sink != NOTW_SINK_STDERR)
		__atomic_compare_exchange_n(&sink.fd, &expected, -1, false, __ATOMIC_ACQ_REL,
					    __ATOMIC_RELAXED);
}

void notw_log_atfork_child(void)
{
	__atomic_store_n(&sink.reopening, 0, __ATOMIC_RELEASE);
}

void notw_log_configure(enum notw_sink which, const char *path, enum notw_level level)
{
	int old = __atomic_exchange_n(&sink.fd, -1, __ATOMIC_ACQ_REL);
	if (old >= 0 && sink.sink != NOTW_SINK_STDERR && (notw_fd_get(old) & NOTW_FD_INTERNAL)) {
		notw_fd_set(old, 0);
		sys_close(old);
	}
	sink.sink = (int)which;
	sink.path[0] = '\0';
	if (which == NOTW_SINK_FILE && path != NULL) {
		size_t n = strnlen(path, sizeof sink.path - 1);
		memcpy(sink.path, path, n);
		sink.path[n] = '\0';
	}
	if (which == NOTW_SINK_STDERR) {
		dev_t dev;
		ino_t ino;
		if (fd_identity(2, &dev, &ino, NULL)) {
			__atomic_store_n(&sink.dev, dev, __ATOMIC_RELEASE);
			__atomic_store_n(&sink.ino, ino, __ATOMIC_RELEASE);
			__atomic_store_n(&sink.fd, 2, __ATOMIC_RELEASE);
		}
	}
	__atomic_store_n(&notw_log_threshold, which == NOTW_SINK_NONE ? -1 : (int)level,
			 __ATOMIC_RELAXED);
}

static const char *level_prefix(enum notw_level level)
{
	switch (level) {
	case NOTW_LEVEL_ERROR:
		return "error: ";
	case NOTW_LEVEL_WARN:
		return "warning: ";
	case NOTW_LEVEL_INFO:
	case NOTW_LEVEL_DEBUG:
		break;
	}
	return "";
}

size_t notw_log_format_line(char *out, size_t cap, long pid, enum notw_level level,
			    const char *fmt, va_list ap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_buf_format(&b, "notw[%ld]: %s", pid, level_prefix(level));
	notw_buf_vformat(&b, fmt, ap);
	/* A line that filled the buffer has no room for its newline: it was
	 * cut too. Mark the cut, and keep room for the newline. */
	if (b.truncated || b.len + 1 >= cap) {
		if (cap >= 5) {
			b.len = cap - 5;
			notw_buf_puts(&b, "...");
		} else if (cap >= 2) {
			b.len = cap - 2;
		}
		b.truncated = false;
	}
	notw_buf_putc(&b, '\n');
	return b.len;
}

/* syslog priority: facility LOG_USER (1 << 3) and the severity. */
static int syslog_priority(enum notw_level level)
{
	static const int severity[] = { 3, 4, 6, 7 };
	return 8 + severity[level];
}

static void emit(enum notw_level level, const char *line, size_t len)
{
	bool is_socket = false;
	switch ((enum notw_sink)sink.sink) {
	case NOTW_SINK_NONE:
		return;
	case NOTW_SINK_STDERR: {
		int fd = __atomic_load_n(&sink.fd, __ATOMIC_ACQUIRE);
		if (fd_still_ours(fd, &is_socket))
			write_nonblocking(fd, is_socket, line, len);
		return;
	}
	case NOTW_SINK_FILE: {
		int fd = sink_fd_for_write(&is_socket);
		if (fd >= 0)
			write_nonblocking(fd, is_socket, line, len);
		return;
	}
	case NOTW_SINK_SYSLOG: {
		char msg[NOTW_LOG_LINE_MAX + 8];
		struct notw_buf b;
		notw_buf_init(&b, msg, sizeof msg);
		notw_buf_format(&b, "<%d>", syslog_priority(level));
		for (size_t i = 0; i + 1 < len; i++) /* without the newline */
			notw_buf_putc(&b, line[i]);
		int fd = sink_fd_for_write(&is_socket);
		if (fd >= 0 && syscall(SYS_sendto, fd, msg, b.len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0) < 0 &&
		    (errno == ECONNREFUSED || errno == ENOTCONN))
			drop_sink_fd(fd); /* the syslog daemon restarted: reconnect next time */
		return;
	}
	}
}

void notw_vlog(enum notw_level level, const char *fmt, va_list ap)
{
	if (!notw_log_enabled(level))
		return;
	int saved_errno = errno;
	char line[NOTW_LOG_LINE_MAX];
	size_t len = notw_log_format_line(line, sizeof line, (long)syscall(SYS_getpid), level, fmt, ap);
	emit(level, line, len);
	errno = saved_errno;
}

int notw_log_probe_sink(void)
{
	int saved_errno = errno;
	bool is_socket;
	int err = 0;
	if ((sink.sink == NOTW_SINK_FILE || sink.sink == NOTW_SINK_SYSLOG) &&
	    sink_fd_for_write(&is_socket) < 0)
		err = errno != 0 ? errno : EIO;
	errno = saved_errno;
	return err;
}

void notw_log_error_to_stderr(const char *fmt, ...)
{
	int saved_errno = errno;
	char line[NOTW_LOG_LINE_MAX];
	bool is_socket = false;
	dev_t dev;
	ino_t ino;
	mode_t mode;
	va_list ap;
	va_start(ap, fmt);
	size_t len = notw_log_format_line(line, sizeof line, (long)syscall(SYS_getpid),
					  NOTW_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	if (fd_identity(2, &dev, &ino, &mode)) {
		is_socket = S_ISSOCK(mode);
		write_nonblocking(2, is_socket, line, len);
	}
	errno = saved_errno;
}

void notw_log(enum notw_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	notw_vlog(level, fmt, ap);
	va_end(ap);
}
