/* The dynamic string tokens ld.so replaces in a name it loads, those of
 * /etc/ld.so.preload included (glibc, elf/dl-load.c): $ORIGIN, $LIB and
 * $PLATFORM, also written ${ORIGIN}, ${LIB}, ${PLATFORM}. */
#ifndef NOTW_CLI_LDSO_TOKENS_H
#define NOTW_CLI_LDSO_TOKENS_H

#include <stdbool.h>
#include <stddef.h>

/* Does name[0, n) hold one of the tokens? */
bool ldso_has_token(const char *name, size_t n);

/* Calls fn with name[0, n) for each value the tokens in it may take here,
 * until fn returns true (then returns true). $LIB and $PLATFORM are fixed
 * when glibc is built, and ld.so does not publish them: every value they
 * take on the usual systems is tried, the one the running libc's directory
 * names first; $ORIGIN is the directory of each program: the usual
 * directories of programs are tried. A name without a token is passed as
 * it is. At most a bounded number of expansions. */
typedef bool (*ldso_expansion_fn)(const char *path, void *ctx);
bool ldso_for_each_expansion(const char *name, size_t n, ldso_expansion_fn fn, void *ctx);

#endif
