/* Reading a directory where malloc and stdio are not allowed (a hook, a
 * vfork child, the exec path): raw getdents64 into a buffer on the stack. */
#ifndef NOTW_DIRWALK_H
#define NOTW_DIRWALK_H

#include <stdbool.h>

/* Calls fn(name, ctx) for each entry of the open directory dirfd but "."
 * and ".." (and other dot names); stops when fn returns false. */
void notw_for_each_dir_entry(int dirfd, bool (*fn)(const char *name, void *ctx), void *ctx);

/* name as a descriptor number (decimal, no sign), or -1. */
int notw_dir_entry_number(const char *name);

#endif
