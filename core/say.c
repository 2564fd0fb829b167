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

void say(FILE *out, const char *fmt, ...)
{
	char text[8192];
	struct notw_buf b;
	va_list ap;

	notw_buf_init(&b, text, sizeof text);
	va_start(ap, fmt);
	notw_buf_vformat(&b, fmt, ap);
	va_end(ap);
	fprintf(out, "%s%s\n", text, b.truncated ? "..." : "");
	if (out == stderr && syslog_priority >= 0)
		syslog(syslog_priority, "%s%s", text, b.truncated ? "..." : "");
}
