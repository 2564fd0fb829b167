/* Handing sockets to another program, which may not carry the library:
 * exec (every form; a vfork() child's too), posix_spawn(), system(),
 * popen(), SCM_RIGHTS and spawn file actions. What the new program gets is
 * disarmed first (rules E, F and G of linger-protocol.md). The hooks are
 * in hooks_exec.c, hooks_spawn.c, hooks_msg.c and hooks_dup.c; this is
 * their one home for the decisions. */
#ifndef NOTW_HANDOVER_H
#define NOTW_HANDOVER_H

#include <stdbool.h>

/* fd is being handed to another program (SCM_RIGHTS, a spawn file
 * action): disarmed, as at exec. */
void notw_handover_passed(int fd);

/* Before exec: every armed socket is disarmed, close-on-exec or not (the
 * kernel's close at exec may be the last; a survivor goes to a program
 * that may not carry the library), and nothing is armed while the exec is
 * under way. A vfork() child decides from its own descriptors (the
 * table's armed sockets as the kernel shows them to it, and what it
 * duplicated) and leaves its close-on-exec ones to its suspended parent.
 * Returns the number disarmed. notw_handover_exec_failed(): the exec
 * returned; this process's own sockets are armed again through the gate,
 * a vfork child's stay disarmed. */
int notw_handover_before_exec(bool vfork_child);
void notw_handover_exec_failed(bool vfork_child);

/* A vfork() child duplicated a descriptor onto newfd: exec looks at it. */
void notw_handover_vfork_dup(int newfd);

/* Around posix_spawn(), system() or popen(): before, a fork is counted
 * under way and every armed socket the new program inherits (no
 * close-on-exec) is disarmed for good (returns how many); after, the
 * fork is counted done. */
int notw_handover_before_spawn(void);
void notw_handover_after_spawn(void);

#endif
