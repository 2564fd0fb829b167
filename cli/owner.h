/* Which process holds a socket, from /proc (only what this user may see). */
#ifndef NOTW_CLI_OWNER_H
#define NOTW_CLI_OWNER_H

#include <stdint.h>

struct socket_owner {
	uint32_t inode;   /* the socket's, as inet_diag gives it; 0: none */
	int pid;          /* 0 until found */
	char program[17]; /* /proc/PID/comm: raw bytes, escape before printing */
	int libnotw;      /* filled by owner_find_libnotw(): LIBNOTW_* */
};

enum { LIBNOTW_UNKNOWN = 0, LIBNOTW_LOADED, LIBNOTW_ABSENT };

/* Fills pid and program of every owner whose inode some process holds a
 * descriptor for, in one walk over /proc. */
void find_socket_owners(struct socket_owner *owners, int n);

/* Has the owner's process libnotw loaded (a file named libnotw.so mapped,
 * in /proc/PID/maps)? LIBNOTW_UNKNOWN when its maps cannot be read (another
 * user's process, for anyone but root). */
int owner_find_libnotw(const struct socket_owner *o);

#endif
