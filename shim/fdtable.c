#include "fdtable.h"

#include <errno.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

__attribute__((visibility("hidden"))) uint32_t notw_fd_direct[NOTW_FD_DIRECT];
__attribute__((visibility("hidden"))) uint32_t *notw_fd_chunks[NOTW_FD_CHUNKS];

/* The slot for fd, mapping its chunk when create is set. */
static uint32_t *fd_slot(int fd, bool create)
{
	unsigned u = (unsigned)fd;
	if (u < NOTW_FD_DIRECT)
		return &notw_fd_direct[u];
	if (u >= NOTW_FD_LIMIT)
		return NULL;
	u -= NOTW_FD_DIRECT;
	uint32_t **top = &notw_fd_chunks[u >> NOTW_FD_CHUNK_SHIFT];
	uint32_t *chunk = __atomic_load_n(top, __ATOMIC_ACQUIRE);
	if (chunk == NULL) {
		if (!create)
			return NULL;
		/* mmap rather than malloc: this can run before the program's
		 * allocator is ready, or inside it. errno is the program's. */
		int saved_errno = errno;
		void *mem = mmap(NULL, NOTW_FD_CHUNK_SIZE * sizeof(uint32_t), PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mem == MAP_FAILED) {
			errno = saved_errno;
			return NULL;
		}
		uint32_t *expected = NULL;
		if (__atomic_compare_exchange_n(top, &expected, (uint32_t *)mem, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			chunk = mem;
		} else {
			munmap(mem, NOTW_FD_CHUNK_SIZE * sizeof(uint32_t));
			chunk = expected;
		}
		errno = saved_errno;
	}
	return &chunk[u & (NOTW_FD_CHUNK_SIZE - 1)];
}

bool notw_fd_set(int fd, uint32_t flags)
{
	uint32_t *slot = fd_slot(fd, flags != 0);
	if (slot == NULL)
		return flags == 0;
	__atomic_store_n(slot, flags, __ATOMIC_RELAXED);
	return true;
}

void notw_fd_add(int fd, uint32_t flags)
{
	uint32_t *slot = fd_slot(fd, flags != 0);
	if (slot != NULL)
		__atomic_fetch_or(slot, flags, __ATOMIC_RELAXED);
}

uint32_t notw_fd_update(int fd, uint32_t set, uint32_t clear)
{
	uint32_t *slot = fd_slot(fd, set != 0);
	if (slot == NULL)
		return 0;
	uint32_t old = __atomic_load_n(slot, __ATOMIC_RELAXED), next;
	do {
		next = (old | set) & ~clear;
	} while (!__atomic_compare_exchange_n(slot, &old, next, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return next;
}

void notw_fd_forget_sc(int fd)
{
	uint32_t *slot = fd_slot(fd, false);
	if (slot != NULL)
		__atomic_store_n(slot, 0, __ATOMIC_SEQ_CST);
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

struct same_socket_update {
	dev_t dev;
	ino_t ino;
	uint32_t set, clear;
};

static bool update_if_same_socket(int fd, uint32_t flags, void *ctx)
{
	const struct same_socket_update *u = ctx;
	struct stat st;
	(void)flags;
	if (syscall(SYS_fstat, fd, &st) == 0 && st.st_ino == u->ino && st.st_dev == u->dev)
		notw_fd_update(fd, u->set, u->clear);
	return true;
}

void notw_fd_update_same_socket(int fd, uint32_t set, uint32_t clear)
{
	uint32_t flags = notw_fd_update(fd, set, clear);
	if ((flags & NOTW_FD_DUPED) == 0)
		return;
	struct stat st;
	int saved_errno = errno;
	if (syscall(SYS_fstat, fd, &st) == 0) {
		struct same_socket_update u = { st.st_dev, st.st_ino, set, clear };
		notw_fd_for_each(NOTW_FD_DUPED, update_if_same_socket, &u);
	}
	errno = saved_errno;
}
