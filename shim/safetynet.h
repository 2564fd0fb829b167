/* The safety net of zero linger. A descriptor number came back from the
 * kernel (socket, accept, open, dup, ...) while the table still held it
 * with stale state, or a close of a tracked descriptor found it already
 * closed: a close went past the library. If that state was an armed
 * socket, zero linger is switched off for the whole process (every armed
 * socket disarmed, arming stopped for good, one warning naming fd, call
 * and why). */
#ifndef NOTW_SAFETYNET_H
#define NOTW_SAFETYNET_H

#include <stdint.h>

void notw_safetynet_stale_descriptor(int fd, uint32_t stale_flags, const char *call);
void notw_safetynet_close_found_closed(int fd, uint32_t flags);

#endif
