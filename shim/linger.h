/* Zero linger (NOTW_LINGER): connections of a dying process are reset
 * instead of leaving timewait sockets, while the program's own closes stay
 * graceful.
 *
 * SIGKILL runs no code, so the decision is made before death: SO_LINGER
 * {1,0} is set on listeners (accepted sockets inherit it from the listener
 * in the kernel) and on outgoing connections, and taken off again right
 * before the program's own close() of the last descriptor this process
 * holds for the socket. The kernel applies an armed linger whenever it
 * closes the socket, including when it tears down a killed process. */
#ifndef NOTW_LINGER_H
#define NOTW_LINGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* After a successful listen() on a TCP descriptor. */
void notw_linger_after_listen(int fd, uint32_t flags);

/* After connect() on a TCP descriptor succeeded or is in progress: arms it
 * when the remote port matches. Returns the flags to add to the descriptor. */
uint32_t notw_linger_after_connect(int fd, uint32_t flags, const struct sockaddr *addr,
				    socklen_t len);

/* The linger flags an accepted connection inherits from its listener. */
uint32_t notw_linger_inherited(uint32_t listener_flags);

/* The program is closing fd (already forgotten by the table, flags are what
 * it had). Takes the linger off when this is the last descriptor of the
 * socket in this process and the policy keeps own closes graceful. Returns
 * true when it disarmed. */
bool notw_linger_before_close(int fd, uint32_t flags);

/* Put zero linger back on fd, after a dup2() that was going to close it
 * failed. */
void notw_linger_rearm(int fd);

/* Normal exit: with NOTW_LINGER=crash, take the linger off every armed
 * connection so that exit() and _exit() close gracefully. Async-signal-safe. */
void notw_linger_at_normal_exit(void);

/* Before exec: the new program cannot see the library's table, so a
 * socket it inherits armed would be reset at its graceful close. Disarm
 * every armed socket that survives exec (no FD_CLOEXEC), listeners
 * included (their accepted sockets would inherit the linger). Returns the
 * number disarmed; notw_linger_exec_failed() re-arms them. */
int notw_linger_before_exec(void);
void notw_linger_exec_failed(void);

/* In a fork()ed child: mark what was inherited from the parent; in the
 * parent: mark what it now shares with a child. */
void notw_linger_atfork_child(void);
void notw_linger_atfork_parent(void);

/* For a connection accepted from a listener the table does not know: the
 * flags to record when the kernel gave it the library's linger. */
uint32_t notw_linger_adopt_accepted(int conn);

#endif
