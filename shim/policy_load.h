/* Loading the policy in force (notw_active_policy, policy.h). */
#ifndef NOTW_POLICY_LOAD_H
#define NOTW_POLICY_LOAD_H

/* Fill notw_active_policy: the built-in defaults, the policy file's
 * [defaults] and the [program:] sections that match this program, then
 * the NOTW_* environment (neither of the last two in a set-id program
 * but a root-owned file); configure the log from it and log every
 * problem found. Once, before any hook acts; errno may change. */
void notw_policy_load(void);

/* As the library loads: what notw_policy_load() will need of the program's
 * start (its NOTW_* environment, the directory a relative NOTW_LOG file
 * is taken from), since it runs later, at the program's first socket. */
void notw_policy_note_start(void);

#endif
