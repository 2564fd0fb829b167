/* Reading a policy file as the library would, its problems on stderr:
 * for check-config, and for run --config. */
#ifndef NOTW_CLI_POLICY_FILE_H
#define NOTW_CLI_POLICY_FILE_H

struct notw_policy;
struct notw_program;
struct notw_config_report;

/* Read the policy file at path and apply it to p for prog, printing each
 * problem on stderr as FILE:LINE: error: ...; returns the number of
 * problems, or -1 when the file cannot be read. */
int load_config_for(const char *path, const struct notw_program *prog, struct notw_policy *p,
		    struct notw_config_report *r);

#endif
