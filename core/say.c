/* The command's messages, hostile parts escaped (say.h). */
#include "say.h"

#include "fmt.h"

#include <stdarg.h>
#include <syslog.h>

static int syslog_priority = -1;

void say_syslog(int priority)
{
	syslog_priority = priority;
}

/* One line to out (NULL: none) and, when priority >= 0, to syslog. */
static void say_line(FILE *out, int priority, const char *fmt, va_list ap)
{
	char text[8192];
	struct notw_buf b;
	notw_buf_init(&b, text, sizeof text);
	notw_buf_vformat(&b, fmt, ap);
	if (out != NULL)
		fprintf(out, "%s%s\n", text, b.truncated ? "..." : "");
	if (priority >= 0)
		syslog(priority, "%s%s", text, b.truncated ? "..." : "");
}

void say(FILE *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say_line(out, out == stderr ? syslog_priority : -1, fmt, ap);
	va_end(ap);
}

void say_to_syslog(int priority, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	say_line(NULL, priority, fmt, ap);
	va_end(ap);
}
