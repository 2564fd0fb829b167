/* Bounded text formatting that never allocates and never touches stdio, so
 * it can run in a signal handler, before the library is ready, or while the
 * host program holds its own locks. */
#ifndef NOTW_FMT_H
#define NOTW_FMT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct notw_buf {
	char *mem;
	size_t cap;      /* bytes in mem, including room for the final NUL */
	size_t len;      /* bytes written so far, excluding the NUL */
	bool truncated;  /* something did not fit */
};

void notw_buf_init(struct notw_buf *b, char *mem, size_t cap);
void notw_buf_putc(struct notw_buf *b, char c);
void notw_buf_puts(struct notw_buf *b, const char *s);
void notw_buf_put_u64(struct notw_buf *b, uint64_t v);
void notw_buf_put_i64(struct notw_buf *b, int64_t v);
/* Printable ASCII as is, anything else as \xNN, at most max_chars input bytes. */
void notw_buf_put_quoted(struct notw_buf *b, const char *s, size_t max_chars);
/* "1.2.3.4:80", "[::1]:80", "[::ffff:1.2.3.4]:80"; "?" for what it cannot read. */
void notw_buf_put_sockaddr(struct notw_buf *b, const struct sockaddr *sa, socklen_t len);

/* printf-like, with only these directives:
 *   %s  string (NULL prints "(null)"); control bytes (newline, escape...)
 *       as \xNN, so no argument can start a line or steer a terminal
 *                                         %q  quoted string, see put_quoted
 *   %d %u %ld %lu %zu  integers           %c  character
 *   %E  errno value as its name ("EADDRINUSE")
 *   %A  two arguments: const struct sockaddr *, socklen_t
 *   %%  a percent sign
 * Anything else is copied as text. */
void notw_buf_vformat(struct notw_buf *b, const char *fmt, va_list ap);
void notw_buf_format(struct notw_buf *b, const char *fmt, ...);

/* Symbolic name of an errno value ("ECONNREFUSED"), for every value Linux
 * defines; "errno 123" style text for any other. */
void notw_buf_put_errno(struct notw_buf *b, int err);

/* IPv4/IPv6 address only (no port), RFC 5952 text for IPv6. */
void notw_buf_put_in4(struct notw_buf *b, const void *addr4);
void notw_buf_put_in6(struct notw_buf *b, const void *addr16);

#endif
