/* The text of /etc/ld.so.preload as the dynamic loader reads it: pure
 * functions over bytes in memory, no file handling (preload.c does that),
 * so that they can be tested on their own. */
#ifndef NOTW_CLI_PRELOAD_TEXT_H
#define NOTW_CLI_PRELOAD_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* ld.so's rule (glibc, elf/rtld.c): names in ld.so.preload are separated
 * by spaces, tabs, newlines or ':'; LD_PRELOAD by spaces and ':'. */
bool notw_ldso_is_separator(char c);

/* ld.so would read name as more than one name (it holds a separator). */
bool notw_ldso_name_splits(const char *name);

/* The part of the file the loader reads: up to the first NUL byte, where
 * it stops. */
size_t notw_preload_active_length(const char *text, size_t len);

/* Is the name text[0, n) one of ours? */
typedef bool (*notw_preload_is_ours)(const char *name, size_t n, void *ctx);

/* The first entry of text[0, len) that is ours ('#' starts a comment that
 * runs to the end of the line): true and its bounds in *start, *end. */
bool notw_preload_find_entry(const char *text, size_t len, notw_preload_is_ours is_ours, void *ctx,
			     size_t *start, size_t *end);

/* The text without our entries, into out (at least len bytes); returns its
 * length and counts the entries removed. A line left without entries goes,
 * unless it has a comment, which stays with the line's indentation; other
 * lines stay byte for byte. */
size_t notw_preload_remove_entries(const char *text, size_t len, notw_preload_is_ours is_ours, void *ctx,
				   char *out, size_t *removed);

/* The text with entry on a line of its own at the end; out holds at least
 * len + strlen(entry) + 2 bytes. Returns the new length. */
size_t notw_preload_append_entry(const char *text, size_t len, const char *entry, char *out);

#endif
