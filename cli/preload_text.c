/* The text of /etc/ld.so.preload as the dynamic loader reads it (preload_text.h). */
#include "preload_text.h"

#include <string.h>

bool notw_ldso_is_separator(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == ':';
}

bool notw_ldso_name_splits(const char *name)
{
	for (; *name != '\0'; name++)
		if (notw_ldso_is_separator(*name))
			return true;
	return false;
}

size_t notw_preload_active_length(const char *text, size_t len)
{
	if (len == 0)
		return 0;
	const char *nul = memchr(text, '\0', len);
	return nul != NULL ? (size_t)(nul - text) : len;
}

/* The next name in line[*at, len): its bounds, or false when only
 * separators or a comment are left. */
static bool next_name(const char *line, size_t len, size_t *at, size_t *start, size_t *end)
{
	size_t i = *at;
	while (i < len && notw_ldso_is_separator(line[i]))
		i++;
	if (i >= len || line[i] == '#') {
		*at = len;
		return false;
	}
	*start = i;
	while (i < len && !notw_ldso_is_separator(line[i]) && line[i] != '#')
		i++;
	*end = *at = i;
	return true;
}

static size_t line_length(const char *text, size_t len)
{
	const char *nl = memchr(text, '\n', len);
	return nl != NULL ? (size_t)(nl - text) + 1 : len;
}

bool notw_preload_find_entry(const char *text, size_t len, notw_preload_is_ours is_ours, void *ctx,
			     size_t *start, size_t *end)
{
	for (size_t line = 0; line < len;) {
		size_t n = line_length(text + line, len - line), at = 0;
		while (next_name(text + line, n, &at, start, end)) {
			if (is_ours(text + line + *start, *end - *start, ctx)) {
				*start += line;
				*end += line;
				return true;
			}
		}
		line += n;
	}
	return false;
}

/* The line (with its newline, if any) without our entries, into out;
 * returns its length, 0 for a line that held only our entries and no
 * comment. A kept name keeps the separator before it (the first kept, the
 * line's indentation); what follows the last name, comment and newline
 * included, stays. A line of only our entries and a comment keeps its
 * indentation and the comment. */
static size_t rebuild_line(const char *line, size_t len, notw_preload_is_ours is_ours, void *ctx, char *out,
			   size_t *removed)
{
	size_t at = 0, start, end, lead = 0, prev_end = 0, o = 0, kept = 0, ours = 0;
	while (next_name(line, len, &at, &start, &end)) {
		if (kept + ours == 0)
			lead = start;
		if (is_ours(line + start, end - start, ctx)) {
			ours++;
		} else {
			size_t from = kept == 0 ? start : prev_end;
			if (kept == 0) {
				memcpy(out + o, line, lead);
				o += lead;
			}
			memcpy(out + o, line + from, end - from);
			o += end - from;
			kept++;
		}
		prev_end = end;
	}
	*removed += ours;
	if (ours == 0) {
		memcpy(out, line, len);
		return len;
	}
	if (kept == 0) {
		/* Only separators lie between the last name and a '#'. */
		const char *hash = memchr(line + prev_end, '#', len - prev_end);
		if (hash == NULL)
			return 0;
		size_t from = (size_t)(hash - line);
		memcpy(out, line, lead);
		memcpy(out + lead, line + from, len - from);
		return lead + len - from;
	}
	memcpy(out + o, line + prev_end, len - prev_end);
	return o + len - prev_end;
}

size_t notw_preload_remove_entries(const char *text, size_t len, notw_preload_is_ours is_ours, void *ctx,
				   char *out, size_t *removed)
{
	size_t o = 0;
	*removed = 0;
	for (size_t line = 0; line < len;) {
		size_t n = line_length(text + line, len - line);
		o += rebuild_line(text + line, n, is_ours, ctx, out + o, removed);
		line += n;
	}
	return o;
}

size_t notw_preload_append_entry(const char *text, size_t len, const char *entry, char *out)
{
	size_t o = len, n = strlen(entry);
	if (len > 0)
		memcpy(out, text, len);
	/* Without a newline the entry would join the last name, or its comment. */
	if (o > 0 && out[o - 1] != '\n')
		out[o++] = '\n';
	memcpy(out + o, entry, n);
	o += n;
	out[o++] = '\n';
	return o;
}
