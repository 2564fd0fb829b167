/* Unit tests for core/fmt.c (bounded formatting) and the line formatting
 * of core/log.c. */
#define _GNU_SOURCE

#include "fmt.h"
#include "inetaddr.h"
#include "log.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define CANARY 0xA5
#define CANARY_LEN 32

/* ------------------------------------------------------------------ */
/* helpers                                                              */

/* A buffer of cap bytes followed by CANARY_LEN canary bytes. */
struct cbuf {
	char mem[1024 + CANARY_LEN];
	size_t cap;
	struct notw_buf b;
};

static void cbuf_init(struct cbuf *c, size_t cap)
{
	ck_assert_uint_le(cap, 1024);
	memset(c->mem, CANARY, sizeof c->mem);
	c->cap = cap;
	notw_buf_init(&c->b, c->mem, cap);
}

/* The buffer invariants: NUL-terminated within cap, nothing written past
 * cap. */
static void cbuf_check(const struct cbuf *c)
{
	for (size_t i = c->cap; i < c->cap + CANARY_LEN; i++)
		ck_assert_msg((unsigned char)c->mem[i] == CANARY, "byte %zu past cap %zu written", i,
			      c->cap);
	if (c->cap == 0) {
		ck_assert_uint_eq(c->b.len, 0);
		return;
	}
	ck_assert_uint_lt(c->b.len, c->cap);
	ck_assert_int_eq(c->mem[c->b.len], '\0');
	ck_assert_uint_eq(strlen(c->mem), c->b.len);
}

/* Format into a big buffer and return the text (static storage). */
static const char *fmt(const char *f, ...)
{
	static char out[1024];
	struct notw_buf b;
	va_list ap;
	notw_buf_init(&b, out, sizeof out);
	va_start(ap, f);
	notw_buf_vformat(&b, f, ap);
	va_end(ap);
	ck_assert(!b.truncated);
	ck_assert_uint_eq(strlen(out), b.len);
	return out;
}

static const char *in6_text(const unsigned char a[16])
{
	static char out[128];
	struct notw_buf b;
	notw_buf_init(&b, out, sizeof out);
	notw_buf_put_in6(&b, a);
	ck_assert(!b.truncated);
	return out;
}

static struct sockaddr_in make_sin(const char *addr, unsigned short port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return sin;
}

static struct sockaddr_in6 make_sin6(const char *addr, unsigned short port)
{
	struct sockaddr_in6 sin6;
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return sin6;
}

static const char *sockaddr_text(const void *sa, socklen_t len)
{
	static char out[128];
	struct notw_buf b;
	notw_buf_init(&b, out, sizeof out);
	notw_buf_put_sockaddr(&b, sa, len);
	return out;
}

/* ------------------------------------------------------------------ */
/* notw_buf basics and truncation                                       */

START_TEST(test_buf_init)
{
	struct cbuf c;
	cbuf_init(&c, 0);
	ck_assert_uint_eq(c.b.len, 0);
	ck_assert(!c.b.truncated);
	ck_assert_int_eq((unsigned char)c.mem[0], CANARY); /* cap 0: nothing written */
	cbuf_check(&c);

	cbuf_init(&c, 1);
	ck_assert_int_eq(c.mem[0], '\0');
	cbuf_check(&c);

	cbuf_init(&c, 16);
	notw_buf_puts(&c.b, "abc");
	notw_buf_putc(&c.b, 'd');
	ck_assert_str_eq(c.mem, "abcd");
	ck_assert_uint_eq(c.b.len, 4);
	ck_assert(!c.b.truncated);
	notw_buf_puts(&c.b, NULL);
	ck_assert_str_eq(c.mem, "abcd(null)");
	notw_buf_puts(&c.b, "");
	ck_assert_str_eq(c.mem, "abcd(null)");
	cbuf_check(&c);
}
END_TEST

START_TEST(test_buf_putc_truncation)
{
	for (size_t cap = 0; cap <= 8; cap++) {
		struct cbuf c;
		cbuf_init(&c, cap);
		for (int i = 0; i < 20; i++) {
			notw_buf_putc(&c.b, (char)('a' + i));
			cbuf_check(&c);
			bool fits = (size_t)i + 1 < cap;
			ck_assert_msg(c.b.truncated == !fits, "cap %zu after %d chars", cap, i + 1);
		}
		ck_assert_uint_eq(c.b.len, cap > 0 ? cap - 1 : 0);
		if (cap > 0)
			ck_assert(strncmp(c.mem, "abcdefgh", cap - 1) == 0);
	}
}
END_TEST

/* Every cap from 0 to past the full length: the output is a prefix of the
 * full text, truncated is set exactly when something did not fit, and
 * nothing is written past cap. */
START_TEST(test_buf_format_every_cap)
{
	static const char text_fmt[] = "s=%s d=%d u=%u ld=%ld lu=%lu zu=%zu c=%c q=%q E=%E A=%A %%";
	struct sockaddr_in6 sin6 = make_sin6("2001:db8::1", 443);
	char full[512];
	struct notw_buf fb;
	notw_buf_init(&fb, full, sizeof full);
	notw_buf_format(&fb, text_fmt, "str", INT_MIN, UINT_MAX, LONG_MIN, ULONG_MAX, SIZE_MAX, 'x',
			"q\"\\\x01", EADDRINUSE, (const struct sockaddr *)&sin6,
			(socklen_t)sizeof sin6);
	ck_assert(!fb.truncated);
	size_t full_len = fb.len;

	for (size_t cap = 0; cap <= full_len + 3; cap++) {
		struct cbuf c;
		cbuf_init(&c, cap);
		notw_buf_format(&c.b, text_fmt, "str", INT_MIN, UINT_MAX, LONG_MIN, ULONG_MAX,
				SIZE_MAX, 'x', "q\"\\\x01", EADDRINUSE, (const struct sockaddr *)&sin6,
				(socklen_t)sizeof sin6);
		cbuf_check(&c);
		size_t want = cap == 0 ? 0 : (full_len < cap - 1 ? full_len : cap - 1);
		ck_assert_uint_eq(c.b.len, want);
		ck_assert_msg(c.b.truncated == (full_len > want), "cap %zu", cap);
		if (cap > 0)
			ck_assert(memcmp(c.mem, full, want) == 0);
	}
}
END_TEST

/* Once truncated, later writes neither clear the flag nor write. */
START_TEST(test_buf_truncated_sticks)
{
	struct cbuf c;
	cbuf_init(&c, 4);
	notw_buf_puts(&c.b, "abcdef");
	ck_assert(c.b.truncated);
	ck_assert_str_eq(c.mem, "abc");
	notw_buf_putc(&c.b, 'x');
	notw_buf_put_u64(&c.b, 12345);
	notw_buf_put_quoted(&c.b, "zz", 10);
	ck_assert(c.b.truncated);
	ck_assert_str_eq(c.mem, "abc");
	cbuf_check(&c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* integers                                                             */

static const char *u64_text(uint64_t v)
{
	static char out[64];
	struct notw_buf b;
	notw_buf_init(&b, out, sizeof out);
	notw_buf_put_u64(&b, v);
	return out;
}

static const char *i64_text(int64_t v)
{
	static char out[64];
	struct notw_buf b;
	notw_buf_init(&b, out, sizeof out);
	notw_buf_put_i64(&b, v);
	return out;
}

START_TEST(test_integers)
{
	ck_assert_str_eq(u64_text(0), "0");
	ck_assert_str_eq(u64_text(1), "1");
	ck_assert_str_eq(u64_text(9), "9");
	ck_assert_str_eq(u64_text(10), "10");
	ck_assert_str_eq(u64_text(65535), "65535");
	ck_assert_str_eq(u64_text(UINT64_MAX), "18446744073709551615");
	ck_assert_str_eq(i64_text(0), "0");
	ck_assert_str_eq(i64_text(-1), "-1");
	ck_assert_str_eq(i64_text(-10), "-10");
	ck_assert_str_eq(i64_text(INT64_MAX), "9223372036854775807");
	ck_assert_str_eq(i64_text(INT64_MIN), "-9223372036854775808");
	ck_assert_str_eq(i64_text(INT64_MIN + 1), "-9223372036854775807");

	/* Against snprintf for a spread of values. */
	uint64_t x = 0x9e3779b97f4a7c15u;
	for (int i = 0; i < 2000; i++) {
		char want[32];
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		uint64_t v = x >> (i % 64);
		snprintf(want, sizeof want, "%llu", (unsigned long long)v);
		ck_assert_str_eq(u64_text(v), want);
		int64_t s = (int64_t)v * ((i & 1) != 0 ? -1 : 1);
		snprintf(want, sizeof want, "%lld", (long long)s);
		ck_assert_str_eq(i64_text(s), want);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* quoted strings                                                       */

static const char *quoted(const char *s, size_t max_chars)
{
	static char out[1024];
	struct notw_buf b;
	notw_buf_init(&b, out, sizeof out);
	notw_buf_put_quoted(&b, s, max_chars);
	return out;
}

START_TEST(test_quoted)
{
	ck_assert_str_eq(quoted("", 64), "\"\"");
	ck_assert_str_eq(quoted("plain text ~!", 64), "\"plain text ~!\"");
	ck_assert_str_eq(quoted(NULL, 64), "(null)");
	/* quote and backslash are escaped like the non-printables */
	ck_assert_str_eq(quoted("a\"b", 64), "\"a\\x22b\"");
	ck_assert_str_eq(quoted("a\\b", 64), "\"a\\x5cb\"");
	ck_assert_str_eq(quoted("\n\t\r\x01\x1f", 64), "\"\\x0a\\x09\\x0d\\x01\\x1f\"");
	ck_assert_str_eq(quoted(" \x7e\x7f\x80\xff", 64), "\" ~\\x7f\\x80\\xff\"");
	ck_assert_str_eq(quoted("caf\xc3\xa9", 64), "\"caf\\xc3\\xa9\"");

	/* max_chars counts input bytes */
	ck_assert_str_eq(quoted("abcdef", 3), "\"abc...\"");
	ck_assert_str_eq(quoted("abc", 3), "\"abc\"");
	ck_assert_str_eq(quoted("abcd", 4), "\"abcd\"");
	ck_assert_str_eq(quoted("abcde", 4), "\"abcd...\"");
	ck_assert_str_eq(quoted("a", 0), "\"...\"");
	ck_assert_str_eq(quoted("", 0), "\"\"");
	ck_assert_str_eq(quoted("\x01\x02\x03", 2), "\"\\x01\\x02...\"");

	/* Every printable byte except " and \ is kept as is. */
	for (int ch = 1; ch < 256; ch++) {
		char in[2] = { (char)ch, '\0' };
		char want[16];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			snprintf(want, sizeof want, "\"%c\"", ch);
		else
			snprintf(want, sizeof want, "\"\\x%02x\"", ch);
		ck_assert_str_eq(quoted(in, 8), want);
	}

	/* %q: at most 64 input bytes */
	char longs[101];
	memset(longs, 'z', 100);
	longs[100] = '\0';
	const char *t = fmt("[%q]", longs);
	ck_assert_uint_eq(strlen(t), 2 + 1 + 64 + 3 + 1);
	ck_assert(strncmp(t, "[\"zzzz", 6) == 0);
	ck_assert(strcmp(t + strlen(t) - 5, "...\"]") == 0);
	longs[64] = '\0';
	t = fmt("%q", longs);
	ck_assert_uint_eq(strlen(t), 66);
	ck_assert_str_eq(fmt("%q", (const char *)NULL), "(null)");
}
END_TEST

START_TEST(test_quoted_truncation)
{
	for (size_t cap = 0; cap < 40; cap++) {
		struct cbuf c;
		cbuf_init(&c, cap);
		notw_buf_put_quoted(&c.b, "\x01\x02\"\\ abcdefghijklmnop", 12);
		cbuf_check(&c);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* IPv4 / IPv6                                                          */

START_TEST(test_in4)
{
	static const char *const addrs[] = {
		"0.0.0.0", "255.255.255.255", "127.0.0.1", "192.168.1.10", "10.0.0.1", "1.2.3.4",
		"100.64.0.100", "9.99.199.255",
	};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		struct in_addr a;
		char out[32];
		struct notw_buf b;
		ck_assert_int_eq(inet_pton(AF_INET, addrs[i], &a), 1);
		notw_buf_init(&b, out, sizeof out);
		notw_buf_put_in4(&b, &a);
		ck_assert_str_eq(out, addrs[i]);
	}
}
END_TEST

/* glibc's inet_ntop() prints the deprecated IPv4-compatible addresses
 * (::a.b.c.d: 96 zero bits, then not 0 or 1) in mixed notation; RFC 5952
 * recommends mixed notation only for prefixes that mark an embedded IPv4
 * address, and the library prints these in hex ("::102:304"). Both are
 * accepted for those addresses; everything else must equal inet_ntop(). */
static void check_in6_against_ntop(const unsigned char a[16])
{
	char want[INET6_ADDRSTRLEN];
	ck_assert_ptr_nonnull(inet_ntop(AF_INET6, a, want, sizeof want));
	const char *got = in6_text(a);
	if (strcmp(got, want) == 0)
		return;
	static const unsigned char zero12[12] = { 0 };
	if (memcmp(a, zero12, 12) == 0 && (a[12] != 0 || a[13] != 0)) {
		char hex[32];
		snprintf(hex, sizeof hex, "::%x:%x", (unsigned)(a[12] << 8 | a[13]),
			 (unsigned)(a[14] << 8 | a[15]));
		ck_assert_msg(strcmp(got, hex) == 0, "got \"%s\", want \"%s\" or \"%s\"", got, want,
			      hex);
		return;
	}
	ck_abort_msg("got \"%s\", inet_ntop says \"%s\"", got, want);
}

START_TEST(test_in6_known)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "::", "::" },
		{ "::1", "::1" },
		{ "1::", "1::" },
		{ "fe80::1", "fe80::1" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },
		{ "2001:0:0:1:0:0:0:1", "2001:0:0:1::1" },
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" }, /* run of one: not :: */
		{ "2001:db8:1:1:1:1:1:0", "2001:db8:1:1:1:1:1:0" },
		{ "0:1:1:1:1:1:1:1", "0:1:1:1:1:1:1:1" },
		{ "0:1:0:1:0:1:0:1", "0:1:0:1:0:1:0:1" },
		{ "1:0:0:2:0:0:3:4", "1::2:0:0:3:4" },              /* tie: the first run */
		{ "1:0:0:2:0:0:0:3", "1:0:0:2::3" },                /* the longest run */
		{ "1:0:0:0:0:0:0:0", "1::" },
		{ "0:0:0:0:0:0:0:1", "::1" },
		{ "0:0:1:0:0:0:0:0", "0:0:1::" },
		{ "0:0:0:1:0:0:0:0", "0:0:0:1::" },                /* the longer run */
		{ "0:0:0:1:0:0:0:1", "::1:0:0:0:1" },
		{ "0:0:1:1:0:0:1:1", "::1:1:0:0:1:1" },
		{ "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8" },
		{ "2001:DB8::ABCD", "2001:db8::abcd" },             /* lower case */
		{ "2001:0db8:000a:0b00:00c0:0d00:e000:000f", "2001:db8:a:b00:c0:d00:e000:f" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "::ffff:1.2.3.4", "::ffff:1.2.3.4" },             /* v4-mapped */
		{ "::ffff:0.0.0.0", "::ffff:0.0.0.0" },
		{ "::ffff:255.255.255.255", "::ffff:255.255.255.255" },
		{ "::fffe:1.2.3.4", "::fffe:102:304" },
		{ "1::ffff:1.2.3.4", "1::ffff:102:304" },
		{ "ff02::1:ff00:1", "ff02::1:ff00:1" },
		{ "2001:db8::", "2001:db8::" },
		{ "2001:db8:0:0:0:0:2:1", "2001:db8::2:1" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned char a[16];
		ck_assert_int_eq(inet_pton(AF_INET6, cases[i].in, a), 1);
		ck_assert_msg(strcmp(in6_text(a), cases[i].want) == 0, "%s: got \"%s\", want \"%s\"",
			      cases[i].in, in6_text(a), cases[i].want);
		check_in6_against_ntop(a);
	}
}
END_TEST

/* IPv4-compatible: see check_in6_against_ntop(). */
START_TEST(test_in6_v4_compatible)
{
	unsigned char a[16];
	ck_assert_int_eq(inet_pton(AF_INET6, "::1.2.3.4", a), 1);
	check_in6_against_ntop(a);
	ck_assert_int_eq(inet_pton(AF_INET6, "::0.1.0.0", a), 1);
	check_in6_against_ntop(a);
}
END_TEST

static uint64_t rng_state = 0x243f6a8885a308d3u;

static uint64_t rng_next(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

static void set_group(unsigned char a[16], int g, unsigned v)
{
	a[2 * g] = (unsigned char)(v >> 8);
	a[2 * g + 1] = (unsigned char)(v & 0xff);
}

/* Every zero/non-zero pattern of the eight groups, with a few values. */
START_TEST(test_in6_all_zero_patterns)
{
	static const unsigned values[] = { 1, 0xf, 0x10, 0xabc, 0x1000, 0xffff };
	for (unsigned mask = 0; mask < 256; mask++) {
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			unsigned char a[16];
			memset(a, 0, sizeof a);
			for (int g = 0; g < 8; g++)
				if ((mask >> g & 1u) != 0)
					set_group(a, g, values[(v + (size_t)g) % 6]);
			check_in6_against_ntop(a);
		}
	}
}
END_TEST

/* Pseudo-random addresses, most groups zero. */
START_TEST(test_in6_random)
{
	for (int n = 0; n < 5000; n++) {
		unsigned char a[16];
		memset(a, 0, sizeof a);
		uint64_t r = rng_next();
		unsigned zero_odds = (unsigned)(r & 3u) + 2u; /* 2..5 in 6 groups zero */
		for (int g = 0; g < 8; g++) {
			uint64_t x = rng_next();
			if (x % 6u < zero_odds)
				continue;
			unsigned v = (unsigned)(x >> 16) & 0xffffu;
			if ((x & 0x100u) != 0)
				v &= 0xfu; /* small values too: leading zeros */
			set_group(a, g, v);
		}
		if (n % 50 == 0) {
			memset(a, 0, 10); /* v4-mapped now and then */
			a[10] = a[11] = 0xff;
		}
		check_in6_against_ntop(a);
	}
}
END_TEST

START_TEST(test_in6_truncation)
{
	unsigned char a[16];
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", a), 1);
	for (size_t cap = 0; cap < 48; cap++) {
		struct cbuf c;
		cbuf_init(&c, cap);
		notw_buf_put_in6(&c.b, a);
		cbuf_check(&c);
		ck_assert(c.b.truncated == (cap <= strlen(in6_text(a))));
		if (cap > 0)
			ck_assert(strncmp(c.mem, in6_text(a), cap - 1) == 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* sockaddr                                                             */

START_TEST(test_sockaddr)
{
	struct sockaddr_in sin = make_sin("127.0.0.1", 8080);
	ck_assert_str_eq(sockaddr_text(&sin, sizeof sin), "127.0.0.1:8080");
	sin = make_sin("0.0.0.0", 0);
	ck_assert_str_eq(sockaddr_text(&sin, sizeof sin), "0.0.0.0:0");
	sin = make_sin("255.255.255.255", 65535);
	ck_assert_str_eq(sockaddr_text(&sin, sizeof sin), "255.255.255.255:65535");

	struct sockaddr_in6 sin6 = make_sin6("::1", 443);
	ck_assert_str_eq(sockaddr_text(&sin6, sizeof sin6), "[::1]:443");
	sin6 = make_sin6("::", 49200);
	ck_assert_str_eq(sockaddr_text(&sin6, sizeof sin6), "[::]:49200");
	sin6 = make_sin6("::ffff:1.2.3.4", 80);
	ck_assert_str_eq(sockaddr_text(&sin6, sizeof sin6), "[::ffff:1.2.3.4]:80");
	sin6 = make_sin6("fe80::1", 22);
	sin6.sin6_scope_id = 2;
	sin6.sin6_flowinfo = htonl(0x12345);
	ck_assert_str_eq(sockaddr_text(&sin6, sizeof sin6), "[fe80::1]:22");

	/* A larger length (sockaddr_storage) is fine. */
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	memcpy(&ss, &sin, sizeof sin);
	ck_assert_str_eq(sockaddr_text(&ss, sizeof ss), "255.255.255.255:65535");

	/* Through %A */
	ck_assert_str_eq(fmt("bind %A fd=%d", (const struct sockaddr *)&sin6,
			     (socklen_t)sizeof sin6, 7),
			 "bind [fe80::1]:22 fd=7");
}
END_TEST

START_TEST(test_sockaddr_short_or_unknown)
{
	struct sockaddr_in sin = make_sin("10.1.2.3", 80);
	struct sockaddr_in6 sin6 = make_sin6("2001:db8::1", 80);

	for (socklen_t len = 0; len < sizeof sin; len++) {
		ck_assert_str_eq(sockaddr_text(&sin, len), "?");
		ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin, len), -1);
	}
	ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin, sizeof sin), 80);

	/* Below the RFC 2133 length (24) the kernel refuses an IPv6 address too;
	 * 24..27: see test_sockaddr_in6_rfc2133_len. */
	for (socklen_t len = 0; len < 24; len++) {
		ck_assert_str_eq(sockaddr_text(&sin6, len), "?");
		ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin6, len), -1);
	}
	ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin6, sizeof sin6), 80);

	ck_assert_str_eq(sockaddr_text(NULL, 0), "?");
	ck_assert_str_eq(sockaddr_text(NULL, sizeof sin6), "?");
	ck_assert_int_eq(notw_sockaddr_port(NULL, sizeof sin6), -1);

	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	ss.ss_family = AF_UNIX;
	ck_assert_str_eq(sockaddr_text(&ss, sizeof ss), "?");
	ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&ss, sizeof ss), -1);
	ss.ss_family = AF_UNSPEC;
	ck_assert_str_eq(sockaddr_text(&ss, sizeof ss), "?");
	ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&ss, sizeof ss), -1);

	ck_assert_str_eq(fmt("%A|%A", (const struct sockaddr *)NULL, (socklen_t)0,
			     (const struct sockaddr *)&sin, (socklen_t)(sizeof sin - 1)),
			 "?|?");
}
END_TEST

START_TEST(test_sockaddr_port)
{
	for (unsigned port = 0; port <= 65535; port += 257) {
		struct sockaddr_in sin = make_sin("1.2.3.4", (unsigned short)port);
		struct sockaddr_in6 sin6 = make_sin6("::1", (unsigned short)port);
		ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin, sizeof sin),
				 (int)port);
		ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin6, sizeof sin6),
				 (int)port);
	}
	struct sockaddr_in sin = make_sin("1.2.3.4", 65535);
	ck_assert_int_eq(notw_sockaddr_port((const struct sockaddr *)&sin, sizeof sin), 65535);
}
END_TEST

START_TEST(test_sockaddr_truncation)
{
	struct sockaddr_in6 sin6 = make_sin6("2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff", 65535);
	for (size_t cap = 0; cap < 56; cap++) {
		struct cbuf c;
		cbuf_init(&c, cap);
		notw_buf_put_sockaddr(&c.b, (const struct sockaddr *)&sin6, sizeof sin6);
		cbuf_check(&c);
		const char *full = sockaddr_text(&sin6, sizeof sin6);
		ck_assert_str_eq(full, "[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:65535");
		ck_assert(c.b.truncated == (cap <= strlen(full)));
		if (cap > 0)
			ck_assert(strncmp(c.mem, full, cap - 1) == 0);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* errno names                                                          */

START_TEST(test_errno_names)
{
	ck_assert_str_eq(fmt("%E", EADDRINUSE), "EADDRINUSE");
	ck_assert_str_eq(fmt("%E", ECONNREFUSED), "ECONNREFUSED");
	ck_assert_str_eq(fmt("%E", EINVAL), "EINVAL");
	ck_assert_str_eq(fmt("%E", EAGAIN), "EAGAIN");
	ck_assert_str_eq(fmt("%E", 0), "errno 0");
	ck_assert_str_eq(fmt("%E", 9999), "errno 9999");
	ck_assert_str_eq(fmt("%E", -5), "errno -5");
	ck_assert_str_eq(fmt("%E", INT_MIN), "errno -2147483648");

	/* Every name the library knows is the right one. */
	int named = 0;
	for (int e = 1; e < 200; e++) {
		const char *got = fmt("%E", e);
		if (strncmp(got, "errno ", 6) == 0) {
			char want[32];
			snprintf(want, sizeof want, "errno %d", e);
			ck_assert_str_eq(got, want);
			continue;
		}
		named++;
		const char *sys = strerrorname_np(e);
		ck_assert_msg(sys != NULL && strcmp(got, sys) == 0, "%d: \"%s\" vs \"%s\"", e, got,
			      sys != NULL ? sys : "(none)");
	}
	ck_assert_int_ge(named, 30);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the directive set                                                    */

START_TEST(test_format_directives)
{
	ck_assert_str_eq(fmt("plain"), "plain");
	ck_assert_str_eq(fmt(""), "");
	ck_assert_str_eq(fmt("%s|%s", "abc", ""), "abc|");
	ck_assert_str_eq(fmt("%s", (const char *)NULL), "(null)");
	ck_assert_str_eq(fmt("%d %d %d", 0, -42, 42), "0 -42 42");
	ck_assert_str_eq(fmt("%d %d", INT_MIN, INT_MAX), "-2147483648 2147483647");
	ck_assert_str_eq(fmt("%u %u", 0u, UINT_MAX), "0 4294967295");
	ck_assert_str_eq(fmt("%ld %ld", LONG_MIN, LONG_MAX),
			 "-9223372036854775808 9223372036854775807");
	ck_assert_str_eq(fmt("%lu", ULONG_MAX), "18446744073709551615");
	ck_assert_str_eq(fmt("%zu %zu", (size_t)0, SIZE_MAX), "0 18446744073709551615");
	ck_assert_str_eq(fmt("%c%c%c", 'a', 'b', 'c'), "abc");
	ck_assert_str_eq(fmt("100%%"), "100%");
	ck_assert_str_eq(fmt("%%%%"), "%%");
	ck_assert_str_eq(fmt("%%d"), "%d");

	/* Unknown directives are copied as text and take no argument. */
	ck_assert_str_eq(fmt("%x %p %f %i", 1), "%x %p %f %i");
	ck_assert_str_eq(fmt("%lx %d", 5), "%lx 5");
	ck_assert_str_eq(fmt("%zd %d", 6), "%zd 6");
	ck_assert_str_eq(fmt("%l"), "%l");
	ck_assert_str_eq(fmt("%z"), "%z");
	ck_assert_str_eq(fmt("%5d %d", 7), "%5d 7");

	/* A trailing '%' is kept and ends the format. */
	ck_assert_str_eq(fmt("50%"), "50%");
	ck_assert_str_eq(fmt("%"), "%");
	ck_assert_str_eq(fmt("%d%", 3), "3%");

	/* Mixed, arguments consumed in order. */
	struct sockaddr_in sin = make_sin("192.0.2.7", 49200);
	ck_assert_str_eq(fmt("%s %A %E %zu %c %q %lu",
			     "bind", (const struct sockaddr *)&sin, (socklen_t)sizeof sin,
			     EADDRINUSE, (size_t)3, '!', "x y", 12ul),
			 "bind 192.0.2.7:49200 EADDRINUSE 3 ! \"x y\" 12");
}
END_TEST

/* ------------------------------------------------------------------ */
/* notw_log_format_line                                                 */

static size_t line(char *out, size_t cap, long pid, enum notw_level level, const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	size_t n = notw_log_format_line(out, cap, pid, level, f, ap);
	va_end(ap);
	return n;
}

START_TEST(test_log_line_prefixes)
{
	char out[NOTW_LOG_LINE_MAX];
	size_t n = line(out, sizeof out, 1234, NOTW_LEVEL_INFO, "bind %A fd=%d: set SO_REUSEADDR",
			(const struct sockaddr *)NULL, (socklen_t)0, 5);
	ck_assert_str_eq(out, "notw[1234]: bind ? fd=5: set SO_REUSEADDR\n");
	ck_assert_uint_eq(n, strlen(out));

	n = line(out, sizeof out, 1, NOTW_LEVEL_ERROR, "cannot open %s: %E", "/x", EACCES);
	ck_assert_str_eq(out, "notw[1]: error: cannot open /x: EACCES\n");
	ck_assert_uint_eq(n, strlen(out));

	n = line(out, sizeof out, 77, NOTW_LEVEL_WARN, "careful");
	ck_assert_str_eq(out, "notw[77]: warning: careful\n");
	ck_assert_uint_eq(n, strlen(out));

	n = line(out, sizeof out, 4194304, NOTW_LEVEL_DEBUG, "dbg %u", 3u);
	ck_assert_str_eq(out, "notw[4194304]: dbg 3\n");
	ck_assert_uint_eq(n, strlen(out));

	n = line(out, sizeof out, 0, NOTW_LEVEL_INFO, "");
	ck_assert_str_eq(out, "notw[0]: \n");
	ck_assert_uint_eq(n, strlen(out));
}
END_TEST

START_TEST(test_log_line_long_message)
{
	static char msg[4000];
	memset(msg, 'm', sizeof msg - 1);
	msg[sizeof msg - 1] = '\0';

	struct cbuf c;
	cbuf_init(&c, NOTW_LOG_LINE_MAX);
	size_t n = line(c.mem, c.cap, 31337, NOTW_LEVEL_WARN, "%s", msg);
	ck_assert_uint_eq(n, strlen(c.mem));
	ck_assert_uint_eq(n, NOTW_LOG_LINE_MAX - 1);
	ck_assert(strncmp(c.mem, "notw[31337]: warning: mmm", 25) == 0);
	ck_assert_str_eq(c.mem + n - 4, "...\n");
	ck_assert_int_eq(c.mem[n - 5], 'm');
	for (size_t i = c.cap; i < c.cap + CANARY_LEN; i++)
		ck_assert_int_eq((unsigned char)c.mem[i], CANARY);

	/* Small and tiny buffers: still ends in a newline when there is room
	 * for one, the length is strlen, nothing past cap. */
	for (size_t cap = 0; cap <= 64; cap++) {
		cbuf_init(&c, cap);
		n = line(c.mem, cap, 31337, NOTW_LEVEL_ERROR, "%s", msg);
		for (size_t i = cap; i < cap + CANARY_LEN; i++)
			ck_assert_msg((unsigned char)c.mem[i] == CANARY, "cap %zu: byte %zu", cap, i);
		if (cap == 0) {
			ck_assert_uint_eq(n, 0);
			continue;
		}
		ck_assert_uint_eq(n, strlen(c.mem));
		ck_assert_uint_lt(n, cap);
		if (cap >= 2) {
			ck_assert_uint_eq(n, cap - 1);
			ck_assert_int_eq(c.mem[n - 1], '\n');
		}
		if (cap >= 5)
			ck_assert_str_eq(c.mem + n - 4, "...\n");
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* regressions: bugs found in core/ and fixed; each test failed before.  */

/* Issue 11, item 16: errno values outside the old table printed as
 * "errno 6". Every value glibc names has its name now. */
START_TEST(test_every_errno_named)
{
	int named = 0;
	for (int e = 1; e < 4096; e++) {
		const char *sys = strerrorname_np(e);
		if (sys == NULL)
			continue;
		ck_assert_msg(strcmp(fmt("%E", e), sys) == 0, "%d: \"%s\", not \"%s\"", e, fmt("%E", e), sys);
		named++;
	}
	ck_assert_int_ge(named, 130);
	ck_assert_str_eq(fmt("%E", 6), "ENXIO");
	ck_assert_str_eq(fmt("%E", ENOTSUP), "EOPNOTSUPP");
	ck_assert_str_eq(fmt("%E", EWOULDBLOCK), "EAGAIN");
}
END_TEST

/* Issue 11, item 9: a foreign string with a newline (a NOTW_CONFIG path)
 * forged a "notw[1]: " line of its own. %s escapes control bytes. */
START_TEST(test_foreign_text_cannot_forge_lines)
{
	ck_assert_str_eq(fmt("%s", "a\nnotw[1]: forged"), "a\\x0anotw[1]: forged");
	ck_assert_str_eq(fmt("%s", "\x1b[2J\r\t\x7f"), "\\x1b[2J\\x0d\\x09\\x7f");
	ck_assert_str_eq(fmt("%s", "/home/j\xc3\xb3zef/notw.ini"), "/home/j\xc3\xb3zef/notw.ini");
	ck_assert_str_eq(fmt("%c", '\n'), "\\x0a");
	char out[NOTW_LOG_LINE_MAX];
	size_t n = line(out, sizeof out, 7, NOTW_LEVEL_WARN, "NOTW_CONFIG=%s: no such file",
			"/tmp/x\nnotw[1]: error: forged\n");
	ck_assert_str_eq(out, "notw[7]: warning: NOTW_CONFIG=/tmp/x\\x0anotw[1]: error: forged\\x0a: no such file\n");
	ck_assert_ptr_eq(memchr(out, '\n', n), out + n - 1);
}
END_TEST

/* notw_log_format_line: a message whose line is exactly cap-1 bytes long
 * (before the newline) used to lose its last character to the newline,
 * cut without the "..." mark. */
START_TEST(test_log_line_cut_is_always_marked)
{
	enum { CAP = 64 };
	char msg[CAP + 16];
	for (size_t mlen = 0; mlen < sizeof msg; mlen++) {
		for (size_t i = 0; i < mlen; i++)
			msg[i] = (char)('a' + i % 26);
		msg[mlen] = '\0';
		char full[256];
		snprintf(full, sizeof full, "notw[123]: %s\n", msg);
		size_t full_len = strlen(full);

		struct cbuf c;
		cbuf_init(&c, CAP);
		size_t n = line(c.mem, CAP, 123, NOTW_LEVEL_INFO, "%s", msg);
		for (size_t i = CAP; i < CAP + CANARY_LEN; i++)
			ck_assert_int_eq((unsigned char)c.mem[i], CANARY);
		ck_assert_uint_eq(n, strlen(c.mem));
		if (full_len <= CAP - 1) {
			ck_assert_msg(strcmp(c.mem, full) == 0, "message of %zu: \"%s\"", mlen, c.mem);
		} else {
			ck_assert_uint_eq(n, CAP - 1);
			ck_assert_msg(strcmp(c.mem + n - 4, "...\n") == 0,
				      "message of %zu bytes (line %zu bytes, buffer %d) cut without "
				      "\"...\": \"%s\"",
				      mlen, full_len, CAP, c.mem);
			ck_assert(memcmp(c.mem, full, n - 4) == 0);
		}
	}
}
END_TEST

static sigjmp_buf segv_jump;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jump, 1);
}

/* notw_sockaddr_port and notw_buf_put_sockaddr must not read sa_family
 * before len says it is there: bind(fd, p, 0) with an unreadable p gets
 * EINVAL from the kernel, and must not crash the program in the hook.
 * Here the address sits in front of a PROT_NONE page. */
START_TEST(test_sockaddr_short_len_reads_nothing)
{
	long page = sysconf(_SC_PAGESIZE);
	ck_assert_int_gt(page, 0);
	size_t pg = (size_t)page;
	char *mem = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(mprotect(mem + pg, pg, PROT_NONE), 0);
	mem[pg - 1] = (char)AF_INET;

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGSEGV, &sa, &old), 0);

	static const struct {
		ptrdiff_t off;
		socklen_t len;
	} cases[] = { { 0, 0 }, { -1, 1 } };
	volatile int faulted_at = -1;
	volatile int port = 0;
	for (int i = 0; i < 2 && faulted_at < 0; i++) {
		const struct sockaddr *p = (const struct sockaddr *)(mem + (ptrdiff_t)pg + cases[i].off);
		if (sigsetjmp(segv_jump, 1) == 0) {
			port = notw_sockaddr_port(p, cases[i].len);
			ck_assert_int_eq(port, -1);
			ck_assert_str_eq(sockaddr_text(p, cases[i].len), "?");
		} else {
			faulted_at = i;
		}
	}
	sigaction(SIGSEGV, &old, NULL);
	munmap(mem, 2 * pg);
	ck_assert_msg(faulted_at < 0,
		      "reading a sockaddr of length %u touched memory past it (SIGSEGV)",
		      (unsigned)cases[faulted_at < 0 ? 0 : faulted_at].len);
}
END_TEST

/* Linux's bind() and connect() accept a 24-byte AF_INET6 address
 * (SIN6_LEN_RFC2133, without sin6_scope_id): the port must be read from
 * it, or such a socket would be left unmanaged. */
START_TEST(test_sockaddr_in6_rfc2133_len)
{
	struct sockaddr_in6 sin6 = make_sin6("2001:db8::1", 8080);
	for (socklen_t len = 24; len <= sizeof sin6; len++) {
		ck_assert_msg(notw_sockaddr_port((const struct sockaddr *)&sin6, len) == 8080,
			      "AF_INET6 of length %u: port %d", (unsigned)len,
			      notw_sockaddr_port((const struct sockaddr *)&sin6, len));
		ck_assert_str_eq(sockaddr_text(&sin6, len), "[2001:db8::1]:8080");
	}
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *fmt_log_suite(void)
{
	Suite *s = suite_create("fmt_log");
	TCase *tc;

	tc = tcase_create("buf");
	tcase_add_test(tc, test_buf_init);
	tcase_add_test(tc, test_buf_putc_truncation);
	tcase_add_test(tc, test_buf_format_every_cap);
	tcase_add_test(tc, test_buf_truncated_sticks);
	tcase_add_test(tc, test_integers);
	tcase_add_test(tc, test_quoted);
	tcase_add_test(tc, test_quoted_truncation);
	suite_add_tcase(s, tc);

	tc = tcase_create("addresses");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_in4);
	tcase_add_test(tc, test_in6_known);
	tcase_add_test(tc, test_in6_v4_compatible);
	tcase_add_test(tc, test_in6_all_zero_patterns);
	tcase_add_test(tc, test_in6_random);
	tcase_add_test(tc, test_in6_truncation);
	tcase_add_test(tc, test_sockaddr);
	tcase_add_test(tc, test_sockaddr_short_or_unknown);
	tcase_add_test(tc, test_sockaddr_port);
	tcase_add_test(tc, test_sockaddr_truncation);
	suite_add_tcase(s, tc);

	tc = tcase_create("format");
	tcase_add_test(tc, test_errno_names);
	tcase_add_test(tc, test_format_directives);
	tcase_add_test(tc, test_log_line_prefixes);
	tcase_add_test(tc, test_log_line_long_message);
	suite_add_tcase(s, tc);

	/* Regressions (see the comments above each test). */
	tc = tcase_create("regressions");
	tcase_add_test(tc, test_log_line_cut_is_always_marked);
	tcase_add_test(tc, test_sockaddr_short_len_reads_nothing);
	tcase_add_test(tc, test_sockaddr_in6_rfc2133_len);
	tcase_add_test(tc, test_every_errno_named);
	tcase_add_test(tc, test_foreign_text_cannot_forge_lines);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fmt_log_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
