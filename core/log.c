/* The decision log: one line per decision, never stdio, never a socket of the program's (log.h). */
#define _GNU_SOURCE /* RWF_NOWAIT */
#include "rawsys.h"
#include "log.h"

#include "fdtable.h"
#include "fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

/* All I/O here goes through notw_syscall(): it is async-signal-safe, never a
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
	return notw_syscall(SYS_close, fd);
}

static bool fd_identity(int fd, dev_t *dev, ino_t *ino, mode_t *mode)
{
	struct stat st;
	if (notw_syscall(SYS_fstat, fd, &st) != 0)
		return false;
	*dev = st.st_dev;
	*ino = st.st_ino;
	if (mode != NULL)
		*mode = st.st_mode;
	return true;
}

/* Descriptor 2 as the program was started with it. The library gets ready
 * at the program's first socket, by which time the program may have closed
 * descriptor 2 and opened a file of its own there: the log writes to
 * descriptor 2 only while it is still the object it was at start. */
static struct {
	enum { STDERR_NOT_TAKEN, STDERR_TAKEN, STDERR_ABSENT } state;
	dev_t dev;
	ino_t ino;
} stderr_at_start;

void notw_log_note_stderr_at_start(void)
{
	bool open = fd_identity(2, &stderr_at_start.dev, &stderr_at_start.ino, NULL);
	stderr_at_start.state = open ? STDERR_TAKEN : STDERR_ABSENT;
}

/* Descriptor 2's identity for the stderr sink: the one noted at start, or
 * (where nothing noted it: the notw command, the unit tests) the current. */
static bool stderr_identity(dev_t *dev, ino_t *ino)
{
	switch (stderr_at_start.state) {
	case STDERR_TAKEN:
		*dev = stderr_at_start.dev;
		*ino = stderr_at_start.ino;
		return true;
	case STDERR_ABSENT:
		return false;
	case STDERR_NOT_TAKEN:
	default:
		return fd_identity(2, dev, ino, NULL);
	}
}

static bool is_stderr_at_start(dev_t dev, ino_t ino)
{
	dev_t d;
	ino_t i;
	return stderr_identity(&d, &i) && d == dev && i == ino;
}

/* Is fd still the object the log took? Also reports its file type. */
static bool fd_still_ours(int fd, mode_t *mode)
{
	dev_t dev;
	ino_t ino;
	if (fd < 0 || !fd_identity(fd, &dev, &ino, mode))
		return false;
	return dev == __atomic_load_n(&sink.dev, __ATOMIC_ACQUIRE) &&
	       ino == __atomic_load_n(&sink.ino, __ATOMIC_ACQUIRE);
}

/* The kernel's sigset for one signal (rt_sigprocmask takes 8 bytes). */
#define KERNEL_SIGSET_SIZE 8

/* Whether SIGPIPE was already pending before the library's write: only
 * possible when the program blocks it itself (an unblocked signal is
 * delivered, not left pending). */
static bool sigpipe_pending_before(const sigset_t *old_mask)
{
	sigset_t pending;
	if (sigismember(old_mask, SIGPIPE) != 1)
		return false;
	sigemptyset(&pending);
	notw_syscall(SYS_rt_sigpending, &pending, KERNEL_SIGSET_SIZE);
	return sigismember(&pending, SIGPIPE) == 1;
}

/* A write to a pipe or terminal that the program may share never blocks
 * (RWF_NOWAIT; where the file does not support it, a zero-timeout poll
 * first). A full pipe drops the line. */
static long write_now(int fd, const char *data, size_t len)
{
	struct iovec iov = { .iov_base = (void *)(uintptr_t)data, .iov_len = len };
	/* Offset -1: the file position, as write() uses it. */
	long rc = notw_syscall(SYS_pwritev2, fd, &iov, 1, -1L, 0L, RWF_NOWAIT);
	if (rc < 0 && errno == EOPNOTSUPP) {
		struct pollfd pfd = { .fd = fd, .events = POLLOUT, .revents = 0 };
		struct timespec zero = { 0, 0 };
		if (notw_syscall(SYS_ppoll, &pfd, 1, &zero, NULL, 0) == 1 && (pfd.revents & POLLOUT) != 0 &&
		    (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0)
			rc = notw_syscall(SYS_write, fd, data, len);
	}
	return rc;
}

/* A write to a pipe: never raises SIGPIPE in the program (blocked around
 * the write, and consumed if the write raised it). */
static void write_to_pipe(int fd, const char *data, size_t len)
{
	sigset_t pipe_only, old_mask;
	sigemptyset(&pipe_only);
	sigaddset(&pipe_only, SIGPIPE);
	if (notw_syscall(SYS_rt_sigprocmask, SIG_BLOCK, &pipe_only, &old_mask, KERNEL_SIGSET_SIZE) != 0)
		return;
	bool was_pending = sigpipe_pending_before(&old_mask);
	long rc = write_now(fd, data, len);
	if (rc < 0 && errno == EPIPE && !was_pending) {
		struct timespec zero = { 0, 0 };
		notw_syscall(SYS_rt_sigtimedwait, &pipe_only, NULL, &zero, KERNEL_SIGSET_SIZE);
	}
	notw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old_mask, NULL, KERNEL_SIGSET_SIZE);
}

static void write_nonblocking(int fd, mode_t mode, const char *data, size_t len)
{
	if (S_ISSOCK(mode))
		notw_syscall(SYS_sendto, fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	else if (S_ISREG(mode)) /* a file: no reader to wait for, no SIGPIPE */
		notw_syscall(SYS_write, fd, data, len);
	else if (S_ISFIFO(mode)) /* only a pipe raises SIGPIPE */
		write_to_pipe(fd, data, len);
	else
		write_now(fd, data, len);
}

/* The log's own descriptors live high, so that they never become the
 * program's fd 0, 1 or 2 (a program started with stdout closed would
 * otherwise write its output into the log) and rarely collide with the
 * numbers it expects. */
static int move_high(int fd)
{
	struct rlimit rl;
	long floor = 3;
	if (notw_syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl) == 0 && rl.rlim_cur > 1024)
		floor = 512;
	int high = (int)notw_syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, floor);
	if (high < 0)
		return fd; /* keep the low one rather than nothing */
	sys_close(fd);
	return high;
}

static int open_file_sink(void)
{
	return (int)notw_syscall(SYS_openat, AT_FDCWD, sink.path,
			    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0644);
}

static int open_syslog_sink(void)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "/dev/log", sizeof "/dev/log");
	int fd = (int)notw_syscall(SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (notw_syscall(SYS_connect, fd, &sun, sizeof sun) != 0) {
		sys_close(fd);
		return -1;
	}
	return fd;
}

/* The descriptor of the file or syslog sink, opened on first use and again
 * after the program closed it (close(), close_range(), dup2 over it). */
static int sink_fd_for_write(mode_t *mode)
{
	int fd = __atomic_load_n(&sink.fd, __ATOMIC_ACQUIRE);
	if (fd_still_ours(fd, mode))
		return fd;
	if (__atomic_exchange_n(&sink.reopening, 1, __ATOMIC_ACQUIRE) != 0) {
		errno = EINPROGRESS; /* another thread is reopening: drop this line */
		return -1;
	}
	/* The old number, if any, belongs to the program now: forget, never close. */
	int nfd = sink.sink == NOTW_SINK_FILE ? open_file_sink() : open_syslog_sink();
	dev_t dev;
	ino_t ino;
	if (nfd >= 0)
		nfd = move_high(nfd);
	if (nfd >= 0 && fd_identity(nfd, &dev, &ino, mode)) {
		__atomic_store_n(&sink.dev, dev, __ATOMIC_RELEASE);
		__atomic_store_n(&sink.ino, ino, __ATOMIC_RELEASE);
		notw_fd_set(nfd, NOTW_FD_INTERNAL);
	} else if (nfd >= 0) {
		sys_close(nfd);
		nfd = -1;
	}
	__atomic_store_n(&sink.fd, nfd, __ATOMIC_RELEASE);
	__atomic_store_n(&sink.reopening, 0, __ATOMIC_RELEASE);
	return nfd;
}

/* The syslog daemon restarted: connect the same socket again (closing it
 * could close a number the program has taken since the identity check). */
static int reconnect_syslog(int fd)
{
	struct sockaddr_un sun;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, "/dev/log", sizeof "/dev/log");
	return notw_syscall(SYS_connect, fd, &sun, sizeof sun) == 0 ? 0 : errno;
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

/* A relative log path is taken from the directory the program started in,
 * not from wherever it has moved (chdir) by its first socket or when the
 * log reopens. */
static char start_directory[NOTW_LOG_PATH_MAX];

void notw_log_note_start_directory(void)
{
	if (notw_syscall(SYS_getcwd, start_directory, sizeof start_directory) <= 0)
		start_directory[0] = '\0';
}

static void set_absolute_path(const char *path)
{
	struct notw_buf b;
	notw_buf_init(&b, sink.path, sizeof sink.path);
	if (path[0] != '/') {
		char cwd[NOTW_LOG_PATH_MAX];
		if (start_directory[0] != '\0') {
			notw_buf_puts(&b, start_directory);
			notw_buf_putc(&b, '/');
		} else if (notw_syscall(SYS_getcwd, cwd, sizeof cwd) > 0) {
			notw_buf_puts(&b, cwd);
			notw_buf_putc(&b, '/');
		}
	}
	notw_buf_puts(&b, path);
	if (b.truncated)
		notw_buf_init(&b, sink.path, sizeof sink.path); /* too long: no file sink */
}

/* "DEV:INO" as systemd puts it in JOURNAL_STREAM. */
static bool parse_dev_ino(const char *s, unsigned long long *dev, unsigned long long *ino)
{
	unsigned long long v[2] = { 0, 0 };
	for (int i = 0; i < 2; i++) {
		if (*s < '0' || *s > '9')
			return false;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (v[i] > (~0ull - 9u) / 10u)
				return false;
			v[i] = v[i] * 10u + (unsigned)(*s - '0');
		}
		if (*s++ != (i == 0 ? ':' : '\0'))
			return false;
	}
	*dev = v[0];
	*ino = v[1];
	return true;
}

/* Is the socket (dev, ino) the journal's stream, which systemd names in
 * JOURNAL_STREAM for services whose stderr goes to the journal? */
static bool is_journal_stream(dev_t dev, ino_t ino)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long jdev, jino;
	return js != NULL && parse_dev_ino(js, &jdev, &jino) && jdev == (unsigned long long)dev &&
	       jino == (unsigned long long)ino;
}

/* A socket on descriptor 2 is a peer's connection in an inetd-style service
 * (inetd, xinetd, systemd Accept=yes hand the client connection over as 0,
 * 1 and 2): a log line there would reach the client. Only the journal's
 * stream is a log. */
static bool stderr_is_foreign_socket(void)
{
	dev_t dev;
	ino_t ino;
	mode_t mode;
	return fd_identity(2, &dev, &ino, &mode) && S_ISSOCK(mode) && !is_journal_stream(dev, ino);
}

void notw_log_configure(enum notw_sink which, const char *path, enum notw_level level)
{
	bool diverted = which == NOTW_SINK_STDERR && stderr_is_foreign_socket();
	if (diverted)
		which = NOTW_SINK_SYSLOG;
	int old = __atomic_exchange_n(&sink.fd, -1, __ATOMIC_ACQ_REL);
	if (old >= 0 && sink.sink != NOTW_SINK_STDERR && (notw_fd_get(old) & NOTW_FD_INTERNAL)) {
		notw_fd_set(old, 0);
		sys_close(old);
	}
	sink.sink = (int)which;
	sink.path[0] = '\0';
	if (which == NOTW_SINK_FILE && path != NULL)
		set_absolute_path(path);
	if (which == NOTW_SINK_STDERR) {
		dev_t dev;
		ino_t ino;
		if (stderr_identity(&dev, &ino)) {
			__atomic_store_n(&sink.dev, dev, __ATOMIC_RELEASE);
			__atomic_store_n(&sink.ino, ino, __ATOMIC_RELEASE);
			__atomic_store_n(&sink.fd, 2, __ATOMIC_RELEASE);
		}
	}
	/* Release: a thread that sees the new threshold (acquire, in
	 * vlog()) sees the sink set up above. */
	__atomic_store_n(&notw_log_threshold, which == NOTW_SINK_NONE ? -1 : (int)level,
			 __ATOMIC_RELEASE);
	if (diverted)
		notw_log(NOTW_LEVEL_DEBUG, "descriptor 2 is a socket (a client's connection in an inetd-style "
					   "service?): the log goes to syslog instead");
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

/* The syslog datagram for a line: "<PRI>notw[PID]: ...", no newline. */
static size_t syslog_message(char *msg, size_t cap, enum notw_level level, const char *line, size_t len)
{
	struct notw_buf b;
	notw_buf_init(&b, msg, cap);
	notw_buf_format(&b, "<%d>", syslog_priority(level));
	for (size_t i = 0; i + 1 < len; i++) /* without the newline */
		notw_buf_putc(&b, line[i]);
	return b.len;
}

/* For a line that cannot go where it should: syslog, if it is there. */
static void send_to_syslog_once(enum notw_level level, const char *line, size_t len)
{
	char msg[NOTW_LOG_LINE_MAX + 8];
	size_t n = syslog_message(msg, sizeof msg, level, line, len);
	int fd = open_syslog_sink();
	if (fd < 0)
		return;
	notw_syscall(SYS_sendto, fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0);
	sys_close(fd);
}

/* Whether the loss of the syslog sink has been said (once per process:
 * a daemon gone for good must not cost a line on stderr per line lost). */
static int syslog_loss_said;

void notw_log_syslog_unreachable(const char *origin, int err)
{
	if (__atomic_exchange_n(&syslog_loss_said, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	notw_log_error_to_stderr("%ssyslog: cannot reach /dev/log: %E; the library's lines are dropped until it "
				 "can (said once)", origin, err);
}

/* Sends msg to the syslog sink, connecting again once after a daemon's
 * restart; the errno of the failure, or 0. */
static int send_to_syslog(const char *msg, size_t n)
{
	mode_t mode = 0;
	int fd = sink_fd_for_write(&mode);
	if (fd < 0 && errno == EINPROGRESS)
		return 0; /* a line lost to a race between threads, not to the sink */
	if (fd < 0)
		return errno != 0 ? errno : EIO;
	if (notw_syscall(SYS_sendto, fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0) >= 0)
		return 0;
	if (errno != ECONNREFUSED && errno != ENOTCONN)
		return errno == EAGAIN ? 0 : errno; /* a full queue: the daemon is there, only slow */
	int err = reconnect_syslog(fd);
	if (err != 0)
		return err;
	if (notw_syscall(SYS_sendto, fd, msg, n, MSG_DONTWAIT | MSG_NOSIGNAL, NULL, 0) >= 0)
		return 0;
	return errno == EAGAIN ? 0 : errno;
}

static void emit(enum notw_level level, const char *line, size_t len)
{
	mode_t mode = 0;
	switch ((enum notw_sink)sink.sink) {
	case NOTW_SINK_NONE:
		return;
	case NOTW_SINK_STDERR: {
		int fd = __atomic_load_n(&sink.fd, __ATOMIC_ACQUIRE);
		if (fd_still_ours(fd, &mode))
			write_nonblocking(fd, mode, line, len);
		return;
	}
	case NOTW_SINK_FILE: {
		int fd = sink_fd_for_write(&mode);
		if (fd >= 0)
			write_nonblocking(fd, mode, line, len);
		return;
	}
	case NOTW_SINK_SYSLOG: {
		char msg[NOTW_LOG_LINE_MAX + 8];
		size_t n = syslog_message(msg, sizeof msg, level, line, len);
		int err = send_to_syslog(msg, n);
		if (err != 0)
			notw_log_syslog_unreachable("", err);
		return;
	}
	}
}

/* The process id a line carries, asked each time: a cached one would be
 * the parent's in a child the library did not see being made (clone()
 * without fork handlers, a raw clone system call). */
static long line_pid(void)
{
	return notw_syscall(SYS_getpid);
}

static void vlog(enum notw_level level, const char *fmt, va_list ap)
{
	if ((int)level > __atomic_load_n(&notw_log_threshold, __ATOMIC_ACQUIRE))
		return;
	int saved_errno = errno;
	char line[NOTW_LOG_LINE_MAX];
	size_t len = notw_log_format_line(line, sizeof line, line_pid(), level, fmt, ap);
	emit(level, line, len);
	errno = saved_errno;
}

int notw_log_probe_sink(void)
{
	int saved_errno = errno;
	mode_t mode;
	int err = 0;
	if ((sink.sink == NOTW_SINK_FILE || sink.sink == NOTW_SINK_SYSLOG) &&
	    sink_fd_for_write(&mode) < 0)
		err = errno != 0 ? errno : EIO;
	errno = saved_errno;
	return err;
}

void notw_log_error_to_stderr(const char *fmt, ...)
{
	int saved_errno = errno;
	char line[NOTW_LOG_LINE_MAX];
	dev_t dev;
	ino_t ino;
	mode_t mode;
	va_list ap;
	va_start(ap, fmt);
	size_t len = notw_log_format_line(line, sizeof line, line_pid(), NOTW_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	if (stderr_is_foreign_socket())
		send_to_syslog_once(NOTW_LEVEL_ERROR, line, len);
	else if (fd_identity(2, &dev, &ino, &mode) && is_stderr_at_start(dev, ino))
		write_nonblocking(2, mode, line, len);
	errno = saved_errno;
}

void notw_log_line(enum notw_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
