/* Per-descriptor state, indexed by fd number.
 *
 * Descriptors below NOTW_FD_DIRECT live in one static array, so the common
 * close() of a descriptor the library does not manage costs a bounds check
 * and a single load. Higher descriptors live in chunks mapped on first use,
 * so nothing large is copied at fork and untouched ranges cost nothing.
 * Reads take no lock; writers use atomic stores (a chunk is installed with
 * a compare-and-swap and never freed). */
#ifndef NOTW_FDTABLE_H
#define NOTW_FDTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NOTW_FD_DIRECT 1024u
#define NOTW_FD_CHUNK_SHIFT 12u
#define NOTW_FD_CHUNK_SIZE (1u << NOTW_FD_CHUNK_SHIFT)
#define NOTW_FD_CHUNKS 1024u
/* Descriptors at or above this are never managed (4 Mi + 1 Ki). */
#define NOTW_FD_LIMIT (NOTW_FD_DIRECT + NOTW_FD_CHUNKS * NOTW_FD_CHUNK_SIZE)

enum notw_fd_flag {
	NOTW_FD_TCP = 1u << 0,        /* AF_INET/AF_INET6 TCP socket */
	NOTW_FD_V6 = 1u << 1,         /* ... of family AF_INET6 */
	NOTW_FD_LISTENER = 1u << 2,   /* listen() succeeded on it */
	NOTW_FD_ACCEPTED = 1u << 3,   /* returned by accept() from a managed listener */
	NOTW_FD_MANAGED = 1u << 4,    /* its port matches the policy */
	NOTW_FD_REUSEADDR = 1u << 5,  /* the library set SO_REUSEADDR on it */
	NOTW_FD_INTERNAL = 1u << 6,   /* the library's own descriptor (log sink) */
	NOTW_FD_ARMED = 1u << 7,      /* SO_LINGER{1,0} set by the library */
	NOTW_FD_OWN_LINGER = 1u << 8, /* the program set SO_LINGER: hands off */
	NOTW_FD_DUPED = 1u << 9,      /* another descriptor may share the socket */
	NOTW_FD_FORKED = 1u << 10,    /* inherited from the parent at fork() */
	NOTW_FD_OUTGOING = 1u << 11,  /* connect()ed by the program */
	NOTW_FD_EXEC_DISARMED = 1u << 12, /* disarmed for an exec() under way */
	NOTW_FD_SHARED_BY_FORK = 1u << 13, /* a child forked while it was open */
};

extern uint32_t notw_fd_direct[NOTW_FD_DIRECT];
extern uint32_t *notw_fd_chunks[NOTW_FD_CHUNKS];

static inline uint32_t notw_fd_get(int fd)
{
	unsigned u = (unsigned)fd;
	if (u < NOTW_FD_DIRECT)
		return __atomic_load_n(&notw_fd_direct[u], __ATOMIC_RELAXED);
	if (u >= NOTW_FD_LIMIT)
		return 0;
	u -= NOTW_FD_DIRECT;
	uint32_t *chunk = __atomic_load_n(&notw_fd_chunks[u >> NOTW_FD_CHUNK_SHIFT], __ATOMIC_ACQUIRE);
	return chunk != NULL ? __atomic_load_n(&chunk[u & (NOTW_FD_CHUNK_SIZE - 1)], __ATOMIC_RELAXED) : 0;
}

/* Replace the state of fd (0 forgets it). Returns false when nonzero flags
 * could not be stored (fd out of range, or its chunk could not be mapped);
 * the descriptor is then simply not managed. Never allocates with malloc. */
bool notw_fd_set(int fd, uint32_t flags);

/* Add flags to the state of fd (atomic read-modify-write). */
void notw_fd_add(int fd, uint32_t flags);

/* Set and clear flags of fd in one atomic step; returns the new state. */
uint32_t notw_fd_update(int fd, uint32_t set, uint32_t clear);

/* Forget fd with a sequentially consistent store: paired with
 * notw_fd_for_each(), two threads closing two duplicates at once cannot
 * both still see the other (see linger.c). */
void notw_fd_forget_sc(int fd);

/* Set and clear flags on every descriptor of this process that refers to
 * the same socket as fd (fd included; duplicates are found among those
 * marked NOTW_FD_DUPED). */
void notw_fd_update_same_socket(int fd, uint32_t set, uint32_t clear);

/* Call fn(fd, flags, ctx) for every descriptor whose state has any of the
 * bits in mask; stops early when fn returns false. No allocation, no lock:
 * safe in a signal handler and at _exit(). */
void notw_fd_for_each(uint32_t mask, bool (*fn)(int fd, uint32_t flags, void *ctx), void *ctx);

#endif
