/* The --ports LIST of notw attach as the bind programs' bit set (port_set.h). */
#include "port_set.h"

#include "policy.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void add_range(struct notw_bind_ports *set, unsigned lo, unsigned hi)
{
	for (unsigned p = lo; p <= hi; p++)
		set->bits[p / 64u] |= (uint64_t)1 << (p % 64u);
}

bool port_set_parse(const char *list, struct notw_bind_ports *set, const char **reason)
{
	struct notw_port_set ports;
	if (!notw_parse_ports(list != NULL ? list : "", &ports, reason))
		return false;
	memset(set->bits, 0, sizeof set->bits);
	if (ports.all)
		memset(set->bits, 0xff, sizeof set->bits);
	for (unsigned i = 0; !ports.all && i < ports.count; i++)
		add_range(set, ports.range[i].lo, ports.range[i].hi);
	return true;
}

static bool has_port(const struct notw_bind_ports *set, unsigned p)
{
	return (set->bits[p / 64u] >> (p % 64u) & 1u) != 0;
}

/* Port 0 is never managed (the programs leave it alone): "all" is 1-65535. */
static bool all_ports(const struct notw_bind_ports *set)
{
	for (unsigned p = 1; p <= 65535u; p++)
		if (!has_port(set, p))
			return false;
	return true;
}

void port_set_text(const struct notw_bind_ports *set, char *out, size_t cap)
{
	size_t len = 0;
	if (cap == 0)
		return;
	out[0] = '\0';
	if (all_ports(set)) {
		snprintf(out, cap, "all");
		return;
	}
	for (unsigned p = 1; p <= 65535u; p++) {
		if (!has_port(set, p))
			continue;
		unsigned last = p;
		while (last < 65535u && has_port(set, last + 1))
			last++;
		char item[16];
		int n = last == p ? snprintf(item, sizeof item, "%s%u", len ? "," : "", p)
				  : snprintf(item, sizeof item, "%s%u-%u", len ? "," : "", p, last);
		if (len + (size_t)n + 4 > cap) {
			snprintf(out + len, cap - len, "...");
			return;
		}
		memcpy(out + len, item, (size_t)n + 1);
		len += (size_t)n;
		p = last;
	}
	if (len == 0)
		snprintf(out, cap, "none");
}
