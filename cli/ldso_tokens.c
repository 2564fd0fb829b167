/* The tokens ld.so replaces in a name it loads: $ORIGIN, $LIB, $PLATFORM (ldso_tokens.h). */
#include "ldso_tokens.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#define MAX_VALUES 8
#define MAX_EXPANSIONS 512 /* bound on the paths one name gives */

enum token { T_ORIGIN, T_LIB, T_PLATFORM, T_COUNT };

/* isalnum() in the C locale, or '_': what continues a name. */
static bool identifier_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

static const char *const token_names[T_COUNT] = { "ORIGIN", "LIB", "PLATFORM" };

/* At name[i] (just after a '$'): the token and the length of its text
 * after the '$', or T_COUNT. Unbraced, ld.so takes it only when no letter,
 * digit or '_' follows ($LIBX is no token; is_dst()); anything else stays
 * as written. */
static enum token token_at(const char *name, size_t n, size_t i, size_t *len)
{
	bool braced = i < n && name[i] == '{';
	size_t from = i + braced;
	for (int t = 0; t < T_COUNT; t++) {
		size_t tl = strlen(token_names[t]);
		if (from + tl > n || memcmp(name + from, token_names[t], tl) != 0)
			continue;
		if (braced && from + tl < n && name[from + tl] == '}') {
			*len = tl + 2;
			return (enum token)t;
		}
		if (!braced && (from + tl == n || !identifier_char(name[from + tl]))) {
			*len = tl;
			return (enum token)t;
		}
	}
	return T_COUNT;
}

bool ldso_has_token(const char *name, size_t n)
{
	size_t len;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '$' && token_at(name, n, i + 1, &len) != T_COUNT)
			return true;
	return false;
}

/* $LIB as the running libc's directory shows it: "/lib/x86_64-linux-gnu"
 * (Debian's multiarch), "/lib64" (Fedora), "/usr/lib" (Arch: "lib"). */
static bool lib_of_running_libc(char *out, size_t cap)
{
	Dl_info info;
	if (dladdr((void *)&snprintf, &info) == 0 || info.dli_fname == NULL || info.dli_fname[0] != '/')
		return false;
	const char *dir = info.dli_fname + 1;
	if (strncmp(dir, "usr/", 4) == 0)
		dir += 4;
	const char *slash = strrchr(dir, '/');
	if (slash == NULL || (size_t)(slash - dir) >= cap)
		return false;
	memcpy(out, dir, (size_t)(slash - dir));
	out[slash - dir] = '\0';
	return true;
}

struct values {
	char text[MAX_VALUES][64];
	int n;
};

static void add_value(struct values *v, const char *text)
{
	if (text == NULL || text[0] == '\0' || strlen(text) >= sizeof v->text[0] || v->n >= MAX_VALUES)
		return;
	for (int i = 0; i < v->n; i++)
		if (strcmp(v->text[i], text) == 0)
			return;
	snprintf(v->text[v->n++], sizeof v->text[0], "%s", text);
}

static void token_values(enum token t, struct values *v)
{
	static const char *const origins[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin",
					       "/usr/local/sbin", "/usr/libexec" };
	char lib[64];
	v->n = 0;
	switch (t) {
	case T_ORIGIN:
		for (size_t i = 0; i < sizeof origins / sizeof origins[0]; i++)
			add_value(v, origins[i]);
		break;
	case T_LIB:
		if (lib_of_running_libc(lib, sizeof lib))
			add_value(v, lib);
		add_value(v, "lib");
		add_value(v, "lib64");
		break;
	case T_PLATFORM:
		add_value(v, (const char *)getauxval(AT_PLATFORM));
#if defined(__x86_64__)
		/* glibc before 2.37 names some Intel processors so. */
		add_value(v, "haswell");
		add_value(v, "xeon_phi");
#endif
		break;
	default:
		break;
	}
}

struct expansion {
	ldso_expansion_fn fn;
	void *ctx;
	int left;
	char path[PATH_MAX];
};

/* Expands name[i, n) after path[0, o). */
static bool expand_from(struct expansion *e, const char *name, size_t n, size_t i, size_t o)
{
	for (; i < n; i++) {
		size_t len;
		enum token t = name[i] == '$' ? token_at(name, n, i + 1, &len) : T_COUNT;
		if (t == T_COUNT) {
			if (o + 1 >= sizeof e->path)
				return false;
			e->path[o++] = name[i];
			continue;
		}
		struct values v;
		token_values(t, &v);
		for (int k = 0; k < v.n; k++) {
			size_t vl = strlen(v.text[k]);
			if (o + vl >= sizeof e->path)
				continue;
			memcpy(e->path + o, v.text[k], vl);
			if (expand_from(e, name, n, i + 1 + len, o + vl))
				return true;
		}
		return false;
	}
	e->path[o] = '\0';
	return e->left-- > 0 && e->fn(e->path, e->ctx);
}

bool ldso_for_each_expansion(const char *name, size_t n, ldso_expansion_fn fn, void *ctx)
{
	struct expansion e = { .fn = fn, .ctx = ctx, .left = MAX_EXPANSIONS };
	return expand_from(&e, name, n, 0, 0);
}
