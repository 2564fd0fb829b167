/* Paths as the system under --root DIR sees them: DIR is its "/". */
#ifndef NOTW_CLI_ROOT_PATH_H
#define NOTW_CLI_ROOT_PATH_H

/* openat2 with RESOLVE_IN_ROOT: path (absolute or not) is resolved as if
 * dirfd were "/", so absolute symbolic links and ".." never leave it;
 * magic links (/proc/PID/fd/N) are refused. -1 with errno ENOSYS where the
 * kernel has no openat2 (before Linux 5.6). */
int openat_in_root(int dirfd, const char *path, int flags);

/* Opens path as the target system resolves it: root_fd -1 is this system;
 * else absolute symbolic links and ".." stay inside root_fd. Before Linux
 * 5.6, relative to the root without that confinement: use it to read and
 * compare files, never to write. */
int open_in_root(int root_fd, const char *path, int flags);

#endif
