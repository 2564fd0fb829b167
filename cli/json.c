/* JSON output with every string escaped (json.h). */
#include "json.h"

#include <stdbool.h>
#include <stddef.h>

/* The length of the valid UTF-8 sequence at s (2 to 4 bytes, shortest
 * form, no surrogates, at most U+10FFFF), or 0. s[0] is 0x80 or above. */
static size_t utf8_sequence(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned min;
	unsigned cp;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2, min = 0x80, cp = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3, min = 0x800, cp = c & 0x0fu;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4, min = 0x10000, cp = c & 0x07u;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* the final NUL stops here too */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void json_string(FILE *out, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	fputc('"', out);
	while (*s != '\0') {
		unsigned char c = *s;
		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
		} else if (c < 0x80) {
			fputc(c, out);
		} else {
			size_t n = utf8_sequence(s);
			if (n == 0) {
				fputs("\\ufffd", out);
			} else {
				fwrite(s, 1, n, out);
				s += n;
				continue;
			}
		}
		s++;
	}
	fputc('"', out);
}
