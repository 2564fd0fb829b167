/* The decision log: one line per decision, never to stdout, never blocking,
 * no malloc and no stdio, safe to call from any context. */
#ifndef NOTW_LOG_H
#define NOTW_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum notw_level {
	NOTW_LEVEL_ERROR = 0,
	NOTW_LEVEL_WARN,
	NOTW_LEVEL_INFO,
	NOTW_LEVEL_DEBUG,
};

enum notw_sink {
	NOTW_SINK_STDERR = 0,
	NOTW_SINK_SYSLOG,
	NOTW_SINK_NONE,
	NOTW_SINK_FILE,
};

#define NOTW_LOG_LINE_MAX 512
#define NOTW_LOG_PATH_MAX 1024

/* Highest level written, -1 when nothing is; read on every hook call. */
extern int notw_log_threshold;

static inline bool notw_log_enabled(enum notw_level level)
{
	return (int)level <= __atomic_load_n(&notw_log_threshold, __ATOMIC_RELAXED);
}

/* Takes descriptor 2's identity as the program starts (the library's
 * constructor): the stderr sink is that object, not whatever the program
 * later opens under the number. */
void notw_log_note_stderr_at_start(void);

/* Takes the current directory as the one a relative log file path is
 * taken from (as the library loads, before the program can chdir()). */
void notw_log_note_start_directory(void);

/* Where lines go from now on. For NOTW_SINK_STDERR the identity of fd 2
 * (as noted at start, else the current one) is remembered: if the program
 * closes or reuses fd 2, lines are dropped instead of landing in whatever
 * fd 2 has become. A socket on fd 2 (an inetd-style service's client
 * connection) is never written to, except the journal's stream named by
 * JOURNAL_STREAM: lines go to syslog instead (dropped when /dev/log is not
 * there). */
void notw_log_configure(enum notw_sink sink, const char *path, enum notw_level level);

/* Format and write one line (see fmt.h for the directives). errno is kept.
 * The level is checked before the arguments are evaluated: a debug line
 * costs nothing when debug is off. The directives are checked against the
 * arguments at every call site by tests/check-log-formats.py. */
#define notw_log(level, ...)                                                   \
	do {                                                                   \
		if (notw_log_enabled(level))                                   \
			notw_log_line((level), __VA_ARGS__);                   \
	} while (0)
void notw_log_line(enum notw_level level, const char *fmt, ...);

/* The full line as written to stderr or a file, "notw[PID]: ...\n";
 * returns its length. Exposed for the tests. */
size_t notw_log_format_line(char *out, size_t cap, long pid, enum notw_level level,
			    const char *fmt, va_list ap);

/* Open the file or syslog sink now; 0 on success (or nothing to open),
 * else the errno of the failure. */
int notw_log_probe_sink(void);

/* The syslog sink cannot be reached (err): says once per process, on
 * stderr (origin: "NOTW_LOG=" or "log = ", where the setting came from),
 * that the library's lines are dropped until it can; later calls do
 * nothing. */
void notw_log_syslog_unreachable(const char *origin, int err);

/* One error line on the process's stderr whatever the sink: for a sink
 * that cannot be opened. To syslog instead when fd 2 is a socket (see
 * notw_log_configure()). */
void notw_log_error_to_stderr(const char *fmt, ...);

/* The program is closing fd, which the log opened: forget it (the next line
 * reopens the sink). */
void notw_log_forget_fd(int fd);

/* In a forked child: no other thread exists, so nobody can be reopening. */
void notw_log_atfork_child(void);

#endif
