#include "bind_probe.h"

#include "fmt.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

void bind_probe(const struct port_arg *a, bool reuse, char *out, size_t cap)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	int fd = (int)syscall(SYS_socket, a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		notw_buf_puts(&b, "unknown");
		return;
	}
	int one = 1;
	if (reuse)
		syscall(SYS_setsockopt, fd, SOL_SOCKET, SO_REUSEADDR, &one, (socklen_t)sizeof one);
	long rc = syscall(SYS_bind, fd, (const struct sockaddr *)&a->addr, a->len);
	int err = errno;
	/* Never listened on or connected: nothing for the library to do at
	 * close, whether its hook sees it or not. */
	syscall(SYS_close, fd);
	if (rc == 0)
		notw_buf_puts(&b, "ok");
	else
		notw_buf_put_errno(&b, err);
}
