/* Per-descriptor state, indexed by fd number.
 *
 * Descriptors below NOTW_FD_DIRECT live in one static array, so the common
 * close() of a descriptor the library does not manage costs a bounds check
 * and a single load. Higher descriptors live in chunks mapped on first use,
 * so nothing large is copied at fork and untouched ranges cost nothing.
 * Reads take no lock; writers use atomic stores (a chunk is installed with
 * a compare-and-swap and never freed).
 *
 * Each descriptor has two words: the state (flags, and the program's own
 * SO_LINGER when it set one) read by every hook, and an auxiliary word read
 * only on the slow paths (the birth of its socket, armgate.h,
 * and the holder record of a duplicated socket). */
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
	NOTW_FD_TCP = 1u << 0,           /* AF_INET/AF_INET6 TCP socket */
	NOTW_FD_V6 = 1u << 1,            /* ... of family AF_INET6 */
	NOTW_FD_LISTENER = 1u << 2,      /* listen() succeeded on it */
	NOTW_FD_MANAGED = 1u << 3,       /* its port matches the policy */
	NOTW_FD_REUSEADDR = 1u << 4,     /* the library set SO_REUSEADDR on it */
	NOTW_FD_INTERNAL = 1u << 5,      /* the library's own descriptor (log sink) */
	NOTW_FD_ARMED = 1u << 6,         /* SO_LINGER{1,0} set by the library (connections only) */
	NOTW_FD_OWN_LINGER = 1u << 7,    /* the program's SO_LINGER{1,0} (or one too long to keep): hands off */
	NOTW_FD_PROG_LINGER = 1u << 8,   /* the program set another SO_LINGER (value below) */
	NOTW_FD_EXEC_DISARMED = 1u << 9, /* disarmed for an exec() under way */
	NOTW_FD_SEEN = 1u << 10,         /* looked at once, nothing to do (not TCP, ...) */
	NOTW_FD_ARMS_CONNS = 1u << 11,   /* a listener whose accepted connections get armed */
	NOTW_FD_NO_ARM = 1u << 12,       /* a duplicate the library cannot list: never armed */
	NOTW_FD_CLOSING = 1u << 13,      /* the program's close of it is under way (linger-protocol.md, C) */
};

/* The program's own SO_LINGER, kept in the high half of the state while
 * the library has zero linger on the socket: l_onoff in bit 31, l_linger
 * (0..32767 seconds) in bits 16-30. */
#define NOTW_FD_LINGER_SHIFT 16u
#define NOTW_FD_LINGER_MASK 0xffff0000u
#define NOTW_FD_LINGER_SECS_MAX 32767
#define NOTW_FD_FLAGS_MASK 0x0000ffffu

static inline uint32_t notw_fd_linger_bits(int onoff, int secs)
{
	return ((onoff != 0 ? 0x8000u : 0u) | ((uint32_t)secs & 0x7fffu)) << NOTW_FD_LINGER_SHIFT;
}

static inline int notw_fd_linger_onoff(uint32_t state)
{
	return (state & 0x80000000u) != 0;
}

static inline int notw_fd_linger_secs(uint32_t state)
{
	return (int)((state >> NOTW_FD_LINGER_SHIFT) & 0x7fffu);
}

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

/* The slots of descriptors at or above NOTW_FD_DIRECT (fdtable.c): NULL
 * when out of range, or when its chunk is not mapped and create is false
 * (or cannot be mapped). */
uint32_t *notw_fd_chunk_slot(int fd, bool create);
uint64_t *notw_fd_chunk_aux_slot(int fd, bool create);

extern uint64_t notw_fd_aux_direct[NOTW_FD_DIRECT];

static inline uint32_t *notw_fd_slot(int fd, bool create)
{
	unsigned u = (unsigned)fd;
	return u < NOTW_FD_DIRECT ? &notw_fd_direct[u] : notw_fd_chunk_slot(fd, create);
}

static inline uint64_t *notw_fd_aux_slot(int fd, bool create)
{
	unsigned u = (unsigned)fd;
	return u < NOTW_FD_DIRECT ? &notw_fd_aux_direct[u] : notw_fd_chunk_aux_slot(fd, create);
}

/* Replace the state of fd (0 forgets it). Returns false when nonzero flags
 * could not be stored (fd out of range, or its chunk could not be mapped);
 * the descriptor is then simply not managed. Never allocates with malloc. */
static inline bool notw_fd_set(int fd, uint32_t flags)
{
	uint32_t *slot = notw_fd_slot(fd, flags != 0);
	if (slot == NULL)
		return flags == 0;
	__atomic_store_n(slot, flags, __ATOMIC_RELAXED);
	return true;
}

/* Add flags to the state of fd (atomic read-modify-write). */
static inline void notw_fd_add(int fd, uint32_t flags)
{
	uint32_t *slot = notw_fd_slot(fd, flags != 0);
	if (slot != NULL)
		__atomic_fetch_or(slot, flags, __ATOMIC_RELAXED);
}

/* Clear, then set, flags of fd in one atomic step; returns the new state. */
uint32_t notw_fd_update(int fd, uint32_t set, uint32_t clear);

/* Add bits to the state of fd with a sequentially consistent
 * read-modify-write; returns the state with them. Of two threads that each
 * mark one descriptor and then read the other's, one sees the other's
 * mark. */
static inline uint32_t notw_fd_mark_sc(int fd, uint32_t bits)
{
	uint32_t *slot = notw_fd_slot(fd, false);
	if (slot == NULL)
		return 0u;
	/* a locked or (no compare-and-swap loop), then the state as it is */
	__atomic_or_fetch(slot, bits, __ATOMIC_SEQ_CST);
	return __atomic_load_n(slot, __ATOMIC_SEQ_CST);
}

/* Forget fd (state and auxiliary word) with sequentially consistent
 * stores: paired with the holder records' reads, two threads closing two
 * duplicates at once cannot both still see the other (see holders.c).
 * aux: the auxiliary word as the caller read it (an auxiliary word of 0
 * needs no store). */
static inline void notw_fd_forget_sc(int fd, uint64_t aux)
{
	uint32_t *slot = notw_fd_slot(fd, false);
	if (slot != NULL)
		__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
	uint64_t *aux_slot = aux != 0 ? notw_fd_aux_slot(fd, false) : NULL;
	if (aux_slot != NULL)
		__atomic_store_n(aux_slot, 0, __ATOMIC_SEQ_CST);
}

/* The auxiliary word: the birth of the socket fd refers to (armgate.h:
 * the fork count read before the system call that made it; low 32 bits)
 * and its holder record (bits 32-47; 0 = none). */
#define NOTW_AUX_RECORD_SHIFT 32u
static inline uint64_t notw_fd_aux(int fd)
{
	uint64_t *slot = notw_fd_aux_slot(fd, false);
	return slot != NULL ? __atomic_load_n(slot, __ATOMIC_SEQ_CST) : 0;
}

static inline bool notw_fd_set_aux(int fd, uint64_t aux)
{
	uint64_t *slot = notw_fd_aux_slot(fd, aux != 0);
	if (slot == NULL)
		return aux == 0;
	__atomic_store_n(slot, aux, __ATOMIC_SEQ_CST);
	return true;
}

static inline uint32_t notw_aux_birth(uint64_t aux)
{
	return (uint32_t)aux;
}

static inline unsigned notw_aux_record(uint64_t aux)
{
	return (unsigned)((aux >> NOTW_AUX_RECORD_SHIFT) & 0xffffu);
}

static inline uint64_t notw_aux_make(uint32_t birth, unsigned record)
{
	return (uint64_t)birth | ((uint64_t)(record & 0xffffu) << NOTW_AUX_RECORD_SHIFT);
}

/* Call fn(fd, flags, ctx) for every descriptor whose state has any of the
 * bits in mask; stops early when fn returns false. No allocation, no lock:
 * safe in a signal handler and at _exit(). Costs a read of every mapped
 * slot: only for rare events (exec, exit, spawn, close_range, the safety
 * net tripping). */
void notw_fd_for_each(uint32_t mask, bool (*fn)(int fd, uint32_t flags, void *ctx), void *ctx);

#endif
