/* Every TCP socket on one local port, for status and reap (port_listing.h). */
#include "port_listing.h"

#include "fmt.h"
#include "sockdiag.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct collector {
	struct notw_bind_target target; /* the port argument, read once */
	bool have_target;
	struct notw_port_range ephemeral;
	struct listing *l;
};


static void collect(const struct inet_diag_msg *m, bool v6only, void *ctx)
{
	struct collector *c = ctx;
	struct listing *l = c->l;
	if (l->n >= MAX_LISTED) {
		l->dropped++;
		return;
	}
	struct listed *it = &l->items[l->n++];
	memset(it, 0, sizeof *it);
	it->m = *m;
	it->v6only = v6only;
	it->owner.inode = m->idiag_inode;
	struct notw_port_socket_facts facts;
	notw_port_socket_facts_from_diag(m, &facts);
	notw_port_socket_classify(&facts, &c->ephemeral, &it->what);
	it->conflicts = c->have_target && notw_diag_conflicts(&c->target, m, v6only);
}

bool list_port(const struct port_arg *a, uint32_t states, struct listing *l)
{
	memset(l, 0, sizeof *l);
	l->items = calloc(MAX_LISTED, sizeof *l->items);
	if (l->items == NULL) {
		fprintf(stderr, "notw: out of memory\n");
		return false;
	}
	struct collector c = { .l = l };
	c.have_target = notw_inet_addr_read((const struct sockaddr *)&a->addr, a->len, &c.target.addr);
	notw_read_ephemeral_range(&c.ephemeral);
	int err = notw_list_port((uint16_t)a->port, states, collect, &c);
	if (err != 0) {
		fprintf(stderr, "notw: cannot list the sockets of port %u: %s\n", a->port, strerror(err));
		listing_free(l);
		return false;
	}
	return true;
}

void listing_free(struct listing *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void listing_find_owners(struct listing *l)
{
	/* struct listed holds its owner inside: look up one array of them. */
	struct socket_owner *owners = calloc((size_t)l->n + 1, sizeof *owners);
	if (owners == NULL)
		return;
	for (int i = 0; i < l->n; i++)
		owners[i] = l->items[i].owner;
	find_socket_owners(owners, l->n);
	for (int i = 0; i < l->n; i++)
		l->items[i].owner = owners[i];
	free(owners);
}

void endpoint_text(char *out, size_t cap, uint8_t family, const uint32_t addr[4], uint16_t port_be)
{
	struct notw_buf b;
	notw_buf_init(&b, out, cap);
	if (family == AF_INET) {
		notw_buf_put_in4(&b, addr);
	} else {
		notw_buf_putc(&b, '[');
		notw_buf_put_in6(&b, addr);
		notw_buf_putc(&b, ']');
	}
	notw_buf_putc(&b, ':');
	notw_buf_put_u64(&b, ntohs(port_be));
}

void local_end_text(const struct inet_diag_msg *m, char *out, size_t cap)
{
	endpoint_text(out, cap, m->idiag_family, m->id.idiag_src, m->id.idiag_sport);
}

void remote_end_text(const struct inet_diag_msg *m, char *out, size_t cap)
{
	endpoint_text(out, cap, m->idiag_family, m->id.idiag_dst, m->id.idiag_dport);
}

bool same_socket(const struct inet_diag_msg *a, const struct inet_diag_msg *b)
{
	return a->idiag_family == b->idiag_family && a->id.idiag_sport == b->id.idiag_sport &&
	       a->id.idiag_dport == b->id.idiag_dport &&
	       memcmp(a->id.idiag_src, b->id.idiag_src, sizeof a->id.idiag_src) == 0 &&
	       memcmp(a->id.idiag_dst, b->id.idiag_dst, sizeof a->id.idiag_dst) == 0;
}
