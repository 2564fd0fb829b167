/* Holder records: which descriptors of this process refer to one socket (holders.h). */
#include "rawsys.h"
#include "holders.h"

#include "fdtable.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 16 bits in the table's auxiliary word name a record; 0 is "none". */
#define RECORDS 65535u

struct holder_record {
	uint64_t dev, ino;            /* the socket, as fstat() names it */
	int fds[NOTW_HOLDERS_MAX];    /* -1: empty slot */
	unsigned next_free;
	unsigned live;                /* 1 while in use */
};

static struct holder_record *pool;  /* RECORDS + 1 entries, mapped on first use */
static unsigned pool_lock;
static unsigned next_unused = 1;
static unsigned free_head;

/* The pool's lock guards only allocation and release. It is tried a
 * bounded number of times: a signal handler that duplicates a socket while
 * its own thread holds the lock gets no record (safe: see the header). */
static bool lock_pool(void)
{
	for (int i = 0; i < 1000; i++) {
		if (__atomic_exchange_n(&pool_lock, 1u, __ATOMIC_ACQUIRE) == 0)
			return true;
		sched_yield();
	}
	return false;
}

static void unlock_pool(void)
{
	__atomic_store_n(&pool_lock, 0u, __ATOMIC_RELEASE);
}

static struct holder_record *map_pool(void)
{
	struct holder_record *p = __atomic_load_n(&pool, __ATOMIC_ACQUIRE);
	if (p != NULL)
		return p;
	int saved_errno = errno;
	void *mem = mmap(NULL, (RECORDS + 1) * sizeof *p, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	errno = saved_errno;
	if (mem == MAP_FAILED)
		return NULL;
	void *expected = NULL;
	if (!__atomic_compare_exchange_n((void **)&pool, &expected, mem, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		munmap(mem, (RECORDS + 1) * sizeof *p);
		return expected;
	}
	return mem;
}

static unsigned alloc_record(void)
{
	if (map_pool() == NULL || !lock_pool())
		return 0;
	unsigned rec = free_head;
	if (rec != 0)
		free_head = pool[rec].next_free;
	else if (next_unused <= RECORDS)
		rec = next_unused++;
	unlock_pool();
	return rec;
}

static void release_record(unsigned rec)
{
	if (!lock_pool())
		return; /* leaked: harmless, the pool is large */
	pool[rec].next_free = free_head;
	free_head = rec;
	unlock_pool();
}

static bool socket_identity(int fd, uint64_t *dev, uint64_t *ino)
{
	struct stat st;
	int saved_errno = errno;
	bool ok = notw_syscall(SYS_fstat, fd, &st) == 0;
	errno = saved_errno;
	if (ok) {
		*dev = (uint64_t)st.st_dev;
		*ino = (uint64_t)st.st_ino;
	}
	return ok;
}

static bool add_to_record(struct holder_record *r, int fd)
{
	for (int i = 0; i < NOTW_HOLDERS_MAX; i++) {
		int expected = -1;
		if (__atomic_compare_exchange_n(&r->fds[i], &expected, fd, false, __ATOMIC_SEQ_CST,
						__ATOMIC_SEQ_CST))
			return true;
	}
	return false;
}

static unsigned new_record(int oldfd, int newfd)
{
	uint64_t dev, ino;
	if (!socket_identity(oldfd, &dev, &ino))
		return 0;
	unsigned rec = alloc_record();
	if (rec == 0)
		return 0;
	struct holder_record *r = &pool[rec];
	r->dev = dev;
	r->ino = ino;
	for (int i = 2; i < NOTW_HOLDERS_MAX; i++)
		__atomic_store_n(&r->fds[i], -1, __ATOMIC_RELAXED);
	__atomic_store_n(&r->fds[0], oldfd, __ATOMIC_RELAXED);
	__atomic_store_n(&r->fds[1], newfd, __ATOMIC_RELAXED);
	__atomic_store_n(&r->live, 1u, __ATOMIC_SEQ_CST);
	notw_fd_set_aux(oldfd, notw_aux_make(notw_aux_birth(notw_fd_aux(oldfd)), rec));
	return rec;
}

unsigned notw_holders_join(int oldfd, int newfd)
{
	unsigned rec = notw_aux_record(notw_fd_aux(oldfd));
	if (rec == 0)
		return new_record(oldfd, newfd);
	struct holder_record *r = map_pool();
	if (r == NULL || !add_to_record(&r[rec], newfd))
		return 0;
	return rec;
}

/* fd is listed in rec and the kernel says it is the same socket. */
static bool still_holds(const struct holder_record *r, unsigned rec, int fd)
{
	uint64_t dev, ino;
	return notw_aux_record(notw_fd_aux(fd)) == rec && socket_identity(fd, &dev, &ino) &&
	       dev == r->dev && ino == r->ino;
}

bool notw_holders_other_open(int fd, unsigned rec)
{
	struct holder_record *r = map_pool();
	if (r == NULL || rec == 0 || rec > RECORDS)
		return false;
	r = &r[rec];
	/* Pairs with the other closer's mark (the caller's, before this). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int i = 0; i < NOTW_HOLDERS_MAX; i++) {
		int other = __atomic_load_n(&r->fds[i], __ATOMIC_SEQ_CST);
		if (other < 0 || other == fd)
			continue;
		uint32_t state = notw_fd_get(other);
		if (state != 0 && (state & NOTW_FD_CLOSING) == 0 && still_holds(r, rec, other))
			return true;
	}
	return false;
}

bool notw_holders_leave(int fd, unsigned rec)
{
	struct holder_record *r = map_pool();
	if (r == NULL || rec == 0 || rec > RECORDS)
		return false;
	r = &r[rec];
	for (int i = 0; i < NOTW_HOLDERS_MAX; i++) {
		int expected = fd;
		__atomic_compare_exchange_n(&r->fds[i], &expected, -1, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	}
	for (int i = 0; i < NOTW_HOLDERS_MAX; i++) {
		int other = __atomic_load_n(&r->fds[i], __ATOMIC_SEQ_CST);
		if (other < 0)
			continue;
		if (still_holds(r, rec, other))
			return true;
		/* closed behind the library's back, or its number reused */
		__atomic_compare_exchange_n(&r->fds[i], &other, -1, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
	}
	/* No holder left: whoever turns `live` off gives the record back. */
	unsigned one = 1u;
	if (__atomic_compare_exchange_n(&r->live, &one, 0u, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		release_record(rec);
	return false;
}

void notw_holders_update_socket(int fd, unsigned set, unsigned clear)
{
	notw_fd_update(fd, set, clear);
	unsigned rec = notw_aux_record(notw_fd_aux(fd));
	struct holder_record *r = rec != 0 ? map_pool() : NULL;
	if (r == NULL || rec > RECORDS)
		return;
	r = &r[rec];
	for (int i = 0; i < NOTW_HOLDERS_MAX; i++) {
		int other = __atomic_load_n(&r->fds[i], __ATOMIC_SEQ_CST);
		if (other >= 0 && other != fd && notw_aux_record(notw_fd_aux(other)) == rec)
			notw_fd_update(other, set, clear);
	}
}
