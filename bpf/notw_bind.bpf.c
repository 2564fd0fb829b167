/* The kernel side of notw attach: cgroup/bind4 and cgroup/bind6 programs
 * that set SO_REUSEADDR on a TCP socket about to bind a port of the
 * attachment's set. The kernel runs them inside bind(), before it checks
 * whether the port is free, for every process of the cgroup and of its
 * descendants, whatever the program is (static, set-id, with file
 * capabilities, raw system calls). UDP, port 0 and ports outside the set
 * are left as they are. The programs always allow the bind. */
#include <linux/bpf.h>
#include <linux/in.h>
#include <asm/socket.h> /* SOL_SOCKET, SO_REUSEADDR: the target's values */
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#ifndef NOTW_BIND_PLAIN
/* The kernel's own layout, found at load time in its BTF (CO-RE), so the
 * build needs no vmlinux.h: only the field read here. Reading the flag
 * where the socket keeps it costs less than bpf_getsockopt (a helper that
 * goes through the whole SOL_SOCKET option switch): bind() with the
 * programs went from +15 % to +8.5 % over none. */
struct sock_common {
	unsigned char skc_reuse : 4;
} __attribute__((preserve_access_index));
struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));
struct tcp_sock;
#endif

#include "notw_bind.h"

/* Filled by the notw command; all zero (nothing managed) until then. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct notw_bind_ports);
} ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NOTW_COUNTERS);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

static __always_inline void count(__u32 which)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &which);

	/* Per CPU, and the program runs with migration disabled: a plain
	 * increment. */
	if (c)
		*c += 1;
}

static __always_inline int port_managed(__u16 port)
{
	__u32 zero = 0;
	const struct notw_bind_ports *set = bpf_map_lookup_elem(&ports, &zero);

	if (!set)
		return 0;
	return (set->bits[port / 64] >> (port % 64)) & 1;
}

#ifdef NOTW_BIND_PLAIN
/* The build notw oci-hook loads at every container start (notw_bind_plain):
 * without CO-RE, libbpf needs not read and parse the kernel's BTF (5 MB,
 * about 10 ms of each start). The flag is asked with bpf_getsockopt
 * instead, on a managed port's bind only. */
static __always_inline int reuse_already(struct bpf_sock_addr *ctx)
{
	int on = 0;
	return bpf_getsockopt(ctx, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0 && on;
}
#else
static __always_inline int reuse_already(struct bpf_sock_addr *ctx)
{
	/* A TCP socket here always is one (the protocol was checked): the
	 * cast gives the kernel's struct, readable directly. */
	struct bpf_sock *bsk = ctx->sk;
	struct sock *sk = bsk ? (struct sock *)bpf_skc_to_tcp_sock(bsk) : 0;
	return sk && BPF_CORE_READ_BITFIELD(&sk->__sk_common, skc_reuse);
}
#endif

static __always_inline int reuse_if_managed(struct bpf_sock_addr *ctx)
{
	/* user_port: the port bind() was given, network order, low 16 bits */
	__u16 port = bpf_ntohs((__u16)ctx->user_port);
	int on = 1;

	count(NOTW_COUNT_BINDS);
	if (ctx->protocol != IPPROTO_TCP || port == 0 || !port_managed(port))
		return 1;
	if (reuse_already(ctx)) {
		count(NOTW_COUNT_ALREADY);
		return 1;
	}
	if (bpf_setsockopt(ctx, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) == 0)
		count(NOTW_COUNT_SET);
	return 1;
}

SEC("cgroup/bind4")
int notw_bind4(struct bpf_sock_addr *ctx)
{
	return reuse_if_managed(ctx);
}

SEC("cgroup/bind6")
int notw_bind6(struct bpf_sock_addr *ctx)
{
	return reuse_if_managed(ctx);
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
