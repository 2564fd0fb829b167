/* Bounded text formatting without allocation or stdio (fmt.h). */
#include "fmt.h"

#include "inetaddr.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

void notw_buf_init(struct notw_buf *b, char *mem, size_t cap)
{
	b->mem = mem;
	b->cap = cap;
	b->len = 0;
	b->truncated = false;
	if (cap > 0)
		mem[0] = '\0';
}

void notw_buf_putc(struct notw_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->mem[b->len++] = c;
		b->mem[b->len] = '\0';
	} else {
		b->truncated = true;
	}
}

void notw_buf_puts(struct notw_buf *b, const char *s)
{
	if (s == NULL)
		s = "(null)";
	while (*s != '\0')
		notw_buf_putc(b, *s++);
}

void notw_buf_put_u64(struct notw_buf *b, uint64_t v)
{
	char digits[20];
	size_t n = 0;
	do {
		digits[n++] = (char)('0' + (int)(v % 10));
		v /= 10;
	} while (v != 0);
	while (n > 0)
		notw_buf_putc(b, digits[--n]);
}

void notw_buf_put_i64(struct notw_buf *b, int64_t v)
{
	if (v < 0) {
		notw_buf_putc(b, '-');
		/* -(v + 1) + 1 avoids overflowing on INT64_MIN. */
		notw_buf_put_u64(b, (uint64_t)(-(v + 1)) + 1u);
	} else {
		notw_buf_put_u64(b, (uint64_t)v);
	}
}

static void put_hex_byte(struct notw_buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	notw_buf_putc(b, hex[c >> 4]);
	notw_buf_putc(b, hex[c & 0xf]);
}

/* Foreign text in a line: a control byte (a newline would forge a line of
 * its own, an escape sequence would reach the reader's terminal) becomes
 * \xNN; everything else, UTF-8 included, is kept. */
static void put_text(struct notw_buf *b, const char *s)
{
	if (s == NULL)
		s = "(null)";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			notw_buf_puts(b, "\\x");
			put_hex_byte(b, c);
		} else {
			notw_buf_putc(b, (char)c);
		}
	}
}

void notw_buf_put_quoted(struct notw_buf *b, const char *s, size_t max_chars)
{
	size_t i;
	if (s == NULL) {
		notw_buf_puts(b, "(null)");
		return;
	}
	notw_buf_putc(b, '"');
	for (i = 0; s[i] != '\0' && i < max_chars; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			notw_buf_putc(b, (char)c);
		} else {
			notw_buf_puts(b, "\\x");
			put_hex_byte(b, c);
		}
	}
	if (s[i] != '\0')
		notw_buf_puts(b, "...");
	notw_buf_putc(b, '"');
}

void notw_buf_put_in4(struct notw_buf *b, const void *addr4)
{
	const unsigned char *a = addr4;
	for (int i = 0; i < 4; i++) {
		if (i > 0)
			notw_buf_putc(b, '.');
		notw_buf_put_u64(b, a[i]);
	}
}

static void put_hex_group(struct notw_buf *b, unsigned v)
{
	static const char hex[] = "0123456789abcdef";
	bool started = false;
	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xfu;
		if (d != 0 || started || shift == 0) {
			notw_buf_putc(b, hex[d]);
			started = true;
		}
	}
}

static bool in6_is_v4mapped(const unsigned char *a)
{
	static const unsigned char prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	return memcmp(a, prefix, sizeof prefix) == 0;
}

/* RFC 5952: the longest run of two or more zero groups becomes "::"
 * (the first such run on a tie); hex digits are lower case. */
void notw_buf_put_in6(struct notw_buf *b, const void *addr16)
{
	const unsigned char *a = addr16;
	unsigned groups[8];
	int best_at = -1, best_len = 0;

	if (in6_is_v4mapped(a)) {
		notw_buf_puts(b, "::ffff:");
		notw_buf_put_in4(b, a + 12);
		return;
	}
	for (int i = 0; i < 8; i++)
		groups[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	for (int i = 0; i < 8;) {
		int run = 0;
		while (i + run < 8 && groups[i + run] == 0)
			run++;
		if (run > best_len) {
			best_len = run;
			best_at = i;
		}
		i += run > 0 ? run : 1;
	}
	if (best_len < 2)
		best_at = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best_at) {
			notw_buf_puts(b, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best_at + best_len)
			notw_buf_putc(b, ':');
		put_hex_group(b, groups[i]);
	}
}

void notw_buf_put_sockaddr(struct notw_buf *b, const struct sockaddr *sa, socklen_t len)
{
	struct notw_inet_addr a;
	if (!notw_inet_addr_read(sa, len, &a)) {
		notw_buf_putc(b, '?');
		return;
	}
	if (a.family == AF_INET) {
		notw_buf_put_in4(b, &a.v4addr);
		notw_buf_putc(b, ':');
	} else {
		notw_buf_putc(b, '[');
		notw_buf_put_in6(b, a.v6addr);
		notw_buf_puts(b, "]:");
	}
	notw_buf_put_u64(b, a.port);
}

/* Every errno value Linux defines, by name, indexed by value: strerror() is
 * not async-signal-safe and its text depends on the locale. Aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) share a value with the name given. */
#define N(e) [e] = #e
static const char *const errno_names[] = {
	N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG), N(ENOEXEC), N(EBADF),
	N(ECHILD), N(EAGAIN), N(ENOMEM), N(EACCES), N(EFAULT), N(ENOTBLK), N(EBUSY), N(EEXIST), N(EXDEV),
	N(ENODEV), N(ENOTDIR), N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY), N(ETXTBSY),
	N(EFBIG), N(ENOSPC), N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE), N(EDOM), N(ERANGE), N(EDEADLK),
	N(ENAMETOOLONG), N(ENOLCK), N(ENOSYS), N(ENOTEMPTY), N(ELOOP), N(ENOMSG), N(EIDRM), N(ECHRNG),
	N(EL2NSYNC), N(EL3HLT), N(EL3RST), N(ELNRNG), N(EUNATCH), N(ENOCSI), N(EL2HLT), N(EBADE),
	N(EBADR), N(EXFULL), N(ENOANO), N(EBADRQC), N(EBADSLT), N(EBFONT), N(ENOSTR), N(ENODATA),
	N(ETIME), N(ENOSR), N(ENONET), N(ENOPKG), N(EREMOTE), N(ENOLINK), N(EADV), N(ESRMNT), N(ECOMM),
	N(EPROTO), N(EMULTIHOP), N(EDOTDOT), N(EBADMSG), N(EOVERFLOW), N(ENOTUNIQ), N(EBADFD), N(EREMCHG),
	N(ELIBACC), N(ELIBBAD), N(ELIBSCN), N(ELIBMAX), N(ELIBEXEC), N(EILSEQ), N(ERESTART), N(ESTRPIPE),
	N(EUSERS), N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE), N(ENOPROTOOPT),
	N(EPROTONOSUPPORT), N(ESOCKTNOSUPPORT), N(EOPNOTSUPP), N(EPFNOSUPPORT), N(EAFNOSUPPORT),
	N(EADDRINUSE), N(EADDRNOTAVAIL), N(ENETDOWN), N(ENETUNREACH), N(ENETRESET), N(ECONNABORTED),
	N(ECONNRESET), N(ENOBUFS), N(EISCONN), N(ENOTCONN), N(ESHUTDOWN), N(ETOOMANYREFS), N(ETIMEDOUT),
	N(ECONNREFUSED), N(EHOSTDOWN), N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS), N(ESTALE),
	N(EUCLEAN), N(ENOTNAM), N(ENAVAIL), N(EISNAM), N(EREMOTEIO), N(EDQUOT), N(ENOMEDIUM),
	N(EMEDIUMTYPE), N(ECANCELED), N(ENOKEY), N(EKEYEXPIRED), N(EKEYREVOKED), N(EKEYREJECTED),
	N(EOWNERDEAD), N(ENOTRECOVERABLE), N(ERFKILL), N(EHWPOISON),
};
#undef N

void notw_buf_put_errno(struct notw_buf *b, int err)
{
	if (err > 0 && (size_t)err < sizeof errno_names / sizeof errno_names[0] && errno_names[err] != NULL) {
		notw_buf_puts(b, errno_names[err]);
		return;
	}
	notw_buf_puts(b, "errno ");
	notw_buf_put_i64(b, err);
}

void notw_buf_vformat(struct notw_buf *b, const char *fmt, va_list ap)
{
	for (const char *p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			notw_buf_putc(b, *p);
			continue;
		}
		p++;
		switch (*p) {
		case 's':
			put_text(b, va_arg(ap, const char *));
			break;
		case 'q':
			notw_buf_put_quoted(b, va_arg(ap, const char *), 64);
			break;
		case 'd':
			notw_buf_put_i64(b, va_arg(ap, int));
			break;
		case 'u':
			notw_buf_put_u64(b, va_arg(ap, unsigned));
			break;
		case 'c': {
			char text[2] = { (char)va_arg(ap, int), '\0' };
			put_text(b, text);
			break;
		}
		case 'E':
			notw_buf_put_errno(b, va_arg(ap, int));
			break;
		case 'A': {
			const struct sockaddr *sa = va_arg(ap, const struct sockaddr *);
			socklen_t len = va_arg(ap, socklen_t);
			notw_buf_put_sockaddr(b, sa, len);
			break;
		}
		case 'z':
			if (p[1] == 'u') {
				p++;
				notw_buf_put_u64(b, va_arg(ap, size_t));
			} else {
				notw_buf_puts(b, "%z");
			}
			break;
		case 'l':
			if (p[1] == 'd') {
				p++;
				notw_buf_put_i64(b, va_arg(ap, long));
			} else if (p[1] == 'u') {
				p++;
				notw_buf_put_u64(b, va_arg(ap, unsigned long));
			} else {
				notw_buf_puts(b, "%l");
			}
			break;
		case '%':
			notw_buf_putc(b, '%');
			break;
		case '\0':
			notw_buf_putc(b, '%');
			return;
		default:
			notw_buf_putc(b, '%');
			notw_buf_putc(b, *p);
			break;
		}
	}
}

void notw_buf_format(struct notw_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	notw_buf_vformat(b, fmt, ap);
	va_end(ap);
}
