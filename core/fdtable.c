/* The per-descriptor state table: its mapped chunks and walks (fdtable.h). */
#include "fdtable.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>

__attribute__((visibility("hidden"))) uint32_t notw_fd_direct[NOTW_FD_DIRECT];
__attribute__((visibility("hidden"))) uint32_t *notw_fd_chunks[NOTW_FD_CHUNKS];

__attribute__((visibility("hidden"))) uint64_t notw_fd_aux_direct[NOTW_FD_DIRECT];
static uint64_t *aux_chunks[NOTW_FD_CHUNKS];

/* A zeroed chunk of `bytes`, installed in *top unless another thread was
 * first (then that one is returned). mmap rather than malloc: this can run
 * before the program's allocator is ready, or inside it. errno is the
 * program's. */
static void *install_chunk(void **top, size_t bytes)
{
	int saved_errno = errno;
	void *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		errno = saved_errno;
		return NULL;
	}
	void *expected = NULL;
	if (!__atomic_compare_exchange_n(top, &expected, mem, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap(mem, bytes);
		mem = expected;
	}
	errno = saved_errno;
	return mem;
}

/* The slot of fd in a two-level table (direct: the first NOTW_FD_DIRECT
 * slots; chunks: the rest, elem bytes each), mapping its chunk when create
 * is set. */
static void *slot_in(void *direct, void **chunks, size_t elem, int fd, bool create)
{
	unsigned u = (unsigned)fd;
	if (u < NOTW_FD_DIRECT)
		return (char *)direct + (size_t)u * elem;
	if (u >= NOTW_FD_LIMIT)
		return NULL;
	u -= NOTW_FD_DIRECT;
	void **top = &chunks[u >> NOTW_FD_CHUNK_SHIFT];
	char *chunk = __atomic_load_n(top, __ATOMIC_ACQUIRE);
	if (chunk == NULL) {
		if (!create)
			return NULL;
		chunk = install_chunk(top, NOTW_FD_CHUNK_SIZE * elem);
		if (chunk == NULL)
			return NULL;
	}
	return chunk + (size_t)(u & (NOTW_FD_CHUNK_SIZE - 1)) * elem;
}

uint32_t *notw_fd_chunk_slot(int fd, bool create)
{
	return slot_in(notw_fd_direct, (void **)notw_fd_chunks, sizeof(uint32_t), fd, create);
}

uint64_t *notw_fd_chunk_aux_slot(int fd, bool create)
{
	return slot_in(notw_fd_aux_direct, (void **)aux_chunks, sizeof(uint64_t), fd, create);
}

uint32_t notw_fd_update(int fd, uint32_t set, uint32_t clear)
{
	uint32_t *slot = notw_fd_slot(fd, set != 0);
	if (slot == NULL)
		return 0;
	uint32_t old = __atomic_load_n(slot, __ATOMIC_RELAXED), next;
	do {
		next = (old & ~clear) | set;
	} while (!__atomic_compare_exchange_n(slot, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return next;
}

void notw_fd_for_each(uint32_t mask, bool (*fn)(int fd, uint32_t flags, void *ctx), void *ctx)
{
	for (unsigned i = 0; i < NOTW_FD_DIRECT; i++) {
		uint32_t flags = __atomic_load_n(&notw_fd_direct[i], __ATOMIC_SEQ_CST);
		if ((flags & mask) != 0 && !fn((int)i, flags, ctx))
			return;
	}
	for (unsigned c = 0; c < NOTW_FD_CHUNKS; c++) {
		uint32_t *chunk = __atomic_load_n(&notw_fd_chunks[c], __ATOMIC_ACQUIRE);
		if (chunk == NULL)
			continue;
		for (unsigned i = 0; i < NOTW_FD_CHUNK_SIZE; i++) {
			uint32_t flags = __atomic_load_n(&chunk[i], __ATOMIC_SEQ_CST);
			int fd = (int)(NOTW_FD_DIRECT + c * NOTW_FD_CHUNK_SIZE + i);
			if ((flags & mask) != 0 && !fn(fd, flags, ctx))
				return;
		}
	}
}
