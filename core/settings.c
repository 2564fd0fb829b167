/* The table of settings (see settings.h) and what it drives: lookups, the
 * environment, printing. */
#include "settings.h"

#include "fmt.h"

#include <stddef.h>
#include <string.h>

struct setting {
	const char *key;
	const char *env;
	const char *option;
	const struct notw_value_kind *kind;
	size_t offset;  /* of the value in struct notw_policy */
	const char *help;
};

#define FIELD_TYPE(field) __typeof__(((struct notw_policy *)0)->field)

#define SETTING_ENTRY(id, key, env, option, kind, field, help) \
	[NOTW_SET_##id] = { key, env, option, &notw_kind_##kind, offsetof(struct notw_policy, field), help },
static const struct setting settings[NOTW_SET_COUNT] = { NOTW_SETTINGS(SETTING_ENTRY) };
#undef SETTING_ENTRY

/* A kind writes its own C type: the field must have it. */
#define CHECK_FIELD_TYPE(id, key, env, option, kind, field, help)                                \
	_Static_assert(__builtin_types_compatible_p(FIELD_TYPE(field), NOTW_KIND_TYPE_##kind), \
		       "NOTW_SET_" #id ": the field " #field " is not of the kind " #kind);
NOTW_SETTINGS(CHECK_FIELD_TYPE)
#undef CHECK_FIELD_TYPE

_Static_assert(NOTW_SET_COUNT <= 32, "config.c keeps the settings of a section in a uint32_t");
_Static_assert(NOTW_PORT_RANGES_MAX * sizeof "65535-65535," <= NOTW_SETTING_TEXT_MAX,
	       "a full port list fits NOTW_SETTING_TEXT_MAX");

static const struct setting *setting(enum notw_setting s)
{
	return (unsigned)s < NOTW_SET_COUNT ? &settings[s] : NULL;
}

const char *notw_setting_key(enum notw_setting s)
{
	const struct setting *e = setting(s);
	return e != NULL ? e->key : "?";
}

const char *notw_setting_env(enum notw_setting s)
{
	const struct setting *e = setting(s);
	return e != NULL ? e->env : "?";
}

const char *notw_setting_option(enum notw_setting s)
{
	const struct setting *e = setting(s);
	return e != NULL ? e->option : NULL;
}

const char *notw_setting_metavar(enum notw_setting s)
{
	const struct setting *e = setting(s);
	return e != NULL ? e->kind->metavar : "?";
}

const char *notw_setting_help(enum notw_setting s)
{
	const struct setting *e = setting(s);
	return e != NULL ? e->help : "?";
}

int notw_setting_by_key(const char *name)
{
	for (int i = 0; i < NOTW_SET_COUNT; i++)
		if (strcmp(name, settings[i].key) == 0)
			return i;
	return -1;
}

const char *notw_policy_set(struct notw_policy *p, enum notw_setting s, const char *text)
{
	const struct setting *e = setting(s);
	if (e == NULL)
		return "unknown setting";
	return e->kind->parse(p != NULL ? (char *)p + e->offset : NULL, text);
}

void notw_setting_print(const struct notw_policy *p, enum notw_setting s, struct notw_buf *b)
{
	const struct setting *e = setting(s);
	if (e != NULL)
		e->kind->print((const char *)p + e->offset, b);
}

void notw_setting_show(const struct notw_policy *p, enum notw_setting s, struct notw_buf *b)
{
	const struct setting *e = setting(s);
	size_t before = b->len;
	notw_setting_print(p, s, b);
	if (b->len == before && e != NULL && e->kind->when_empty != NULL)
		notw_buf_puts(b, e->kind->when_empty);
}

void notw_settings_describe(const struct notw_policy *p, struct notw_buf *b)
{
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		if (i > 0)
			notw_buf_putc(b, ' ');
		notw_buf_puts(b, settings[i].key);
		notw_buf_putc(b, '=');
		notw_setting_show(p, (enum notw_setting)i, b);
	}
}

static void print_into(const struct notw_policy *p, enum notw_setting s, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	notw_setting_print(p, s, &b);
}

bool notw_policy_same(const struct notw_policy *a, const struct notw_policy *b)
{
	char text_a[NOTW_SETTING_TEXT_MAX], text_b[NOTW_SETTING_TEXT_MAX];
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		print_into(a, (enum notw_setting)i, text_a, sizeof text_a);
		print_into(b, (enum notw_setting)i, text_b, sizeof text_b);
		if (strcmp(text_a, text_b) != 0)
			return false;
	}
	return true;
}

static void add_diag(struct notw_diag *diags, int max, int *n, const char *name,
		     const char *value, const char *reason)
{
	if (*n >= max)
		return;
	struct notw_diag *d = &diags[*n];
	size_t len = strnlen(value, sizeof d->value - 1);
	d->name = name;
	memcpy(d->value, value, len);
	d->value[len] = '\0';
	d->reason = reason;
	(*n)++;
}

int notw_policy_apply_env(struct notw_policy *p, notw_getenv_fn get, struct notw_diag *diags,
			  int max)
{
	int n = 0;
	for (int i = 0; i < NOTW_SET_COUNT; i++) {
		enum notw_setting s = (enum notw_setting)i;
		const char *v = get(settings[s].env);
		const char *reason;
		if (v != NULL && (reason = notw_policy_set(p, s, v)) != NULL)
			add_diag(diags, max, &n, settings[s].env, v, reason);
	}
	return n;
}
