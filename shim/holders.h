/* Holder records: which descriptors of this process refer to one socket.
 *
 * SO_LINGER belongs to the socket, not to the descriptor, so the library
 * may take zero linger off only at the close of the last descriptor this
 * process holds for it. A socket the program never duplicated needs no
 * record (one descriptor, one holder). A duplicated one gets a record that
 * lists its descriptors (at most NOTW_HOLDERS_MAX), so that a close asks
 * only those, never the whole table: constant work however many
 * descriptors the process has.
 *
 * Every listed holder is checked against the kernel (fstat) before it
 * counts, so a descriptor closed behind the library's back (a raw system
 * call) never keeps a socket armed: a record can only err towards "no
 * other holder", which means disarming early (graceful), never towards a
 * reset. */
#ifndef NOTW_HOLDERS_H
#define NOTW_HOLDERS_H

#include <stdbool.h>

#define NOTW_HOLDERS_MAX 8

/* newfd now refers to the socket of oldfd: list both in one record (made
 * on the first duplicate). Returns the record (nonzero), or 0 when none
 * could be had (the pool is full, or the socket has more than
 * NOTW_HOLDERS_MAX descriptors): newfd is then on its own, which only ever
 * makes a close disarm earlier. Sets oldfd's record in the table itself;
 * the caller sets newfd's. */
unsigned notw_holders_join(int oldfd, int newfd);

/* fd (of record rec) is being closed and already marked CLOSING (with a
 * sequentially consistent read-modify-write): whether another descriptor
 * of this process still refers to the socket, is open in the kernel and is
 * not itself being closed. Of two threads closing two duplicates at once,
 * at least one sees the other's mark. */
bool notw_holders_other_open(int fd, unsigned rec);

/* fd (of record rec) is closed or forgotten: take it off the record.
 * Returns true when another descriptor of this process still refers to
 * the socket (the record is given back when none does). */
bool notw_holders_leave(int fd, unsigned rec);

/* Apply set/clear to the state of fd and of every other descriptor of its
 * record (its duplicates): options belong to the socket. */
void notw_holders_update_socket(int fd, unsigned set, unsigned clear);

#endif
