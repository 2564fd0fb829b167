/* A systemd unit's control group, asked of systemd itself. */
#ifndef NOTW_CLI_SYSTEMD_UNIT_H
#define NOTW_CLI_SYSTEMD_UNIT_H

#include <stdbool.h>
#include <stddef.h>

/* The unit's ControlGroup= ("/system.slice/web.service") into out; false
 * after saying why not (systemd not running, no such unit, not started). */
bool systemd_unit_cgroup(const char *cmd, const char *unit, char *out, size_t cap);

#endif
