/* Reading a policy file as the library would, its problems on stderr (policy_file.h). */
#include "policy_file.h"

#include "config.h"
#include "policy.h"
#include "say.h"

#include <stdio.h>
#include <string.h>

int load_config_for(const char *path, const struct notw_program *prog, struct notw_policy *p,
		    struct notw_config_report *r)
{
	struct notw_config_text text;
	int err = notw_config_read(path, &text);
	if (err != 0) {
		const char *problem = notw_config_read_problem(err);
		say(stderr, "%s: error: cannot be read: %s", path,
			problem != NULL ? problem : strerror(err));
		return -1;
	}
	if (strcmp(path, NOTW_DEFAULT_CONFIG) == 0 && !notw_config_trusted_for_setid(&text))
		say(stderr, "%s: warning: set-id programs ignore this file: it must be owned by root and "
				"writable by nobody else", path);
	int problems = notw_config_apply(p, text.mem, text.len, prog, r);
	for (int i = 0; i < r->count; i++)
		say(stderr, "%s:%u: error: %s", path, r->diags[i].line, r->diags[i].text);
	if (r->dropped > 0)
		say(stderr, "%s: error: %d more problems not shown (at most %d are kept)", path,
			r->dropped, NOTW_CONFIG_DIAG_MAX);
	if (text.truncated) {
		say(stderr, "%s: error: larger than %u bytes: everything after line %u is ignored",
			path, NOTW_CONFIG_FILE_MAX, r->lines);
		problems++;
	}
	notw_config_release(&text);
	return problems;
}
