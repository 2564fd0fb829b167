/* Two notw enable/disable runs at once would each read ld.so.preload and
 * the later rename would drop the other's change: they take turns on a
 * lock. */
#ifndef NOTW_CLI_PRELOAD_LOCK_H
#define NOTW_CLI_PRELOAD_LOCK_H

#include <stdbool.h>

/* The lock file, in the etc directory next to ld.so.preload. */
#define PRELOAD_LOCK_NAME ".notw-ld.so.preload.lock"

/* Takes the lock of the etc directory open on etc_fd (-1: it does not
 * exist, nothing to lock), waiting 5 s at most; *lock_fd holds it (-1 when
 * there is none), close it to let go. The lock is a file only the user
 * running notw (root) can open: created mode 0600 with O_NOFOLLOW, owned by
 * that user; one others could have opened (any group or other permission,
 * another link to it) is replaced first. So no unprivileged user can hold
 * it and block notw disable, the way out of system-wide mode. False after
 * saying why on stderr (dir names etc). */
bool lock_preload(int etc_fd, const char *dir, int *lock_fd);

#endif
