/* Reading a directory without malloc or stdio (dirwalk.h). */
#include "dirwalk.h"

#include "rawsys.h"

#include <stdint.h>
#include <sys/syscall.h>

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

void notw_for_each_dir_entry(int dirfd, bool (*fn)(const char *name, void *ctx), void *ctx)
{
	char buf[4096] __attribute__((aligned(8)));
	for (;;) {
		long n = notw_syscall(SYS_getdents64, dirfd, buf, sizeof buf);
		if (n <= 0)
			return;
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			if (d->d_name[0] != '.' && !fn(d->d_name, ctx))
				return;
			off += d->d_reclen;
		}
	}
}

int notw_dir_entry_number(const char *name)
{
	int n = 0;
	if (*name == '\0')
		return -1;
	for (; *name != '\0'; name++) {
		if (*name < '0' || *name > '9' || n > 100000000)
			return -1;
		n = n * 10 + (*name - '0');
	}
	return n;
}
