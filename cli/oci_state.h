/* The state of a container an OCI runtime writes to a hook's standard
 * input (opencontainers/runtime-spec, runtime.md "State"): read with a
 * bound on its size and on the time it takes, parsed with jansson. */
#ifndef NOTW_CLI_OCI_STATE_H
#define NOTW_CLI_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds: a state larger than this is refused (Kubernetes caps a pod's
 * annotations at 256 KiB together); a runtime that has not closed the
 * pipe after the time is not waited for. */
#define OCI_STATE_MAX_BYTES (1024 * 1024)
#define OCI_STATE_TIMEOUT_MS 2000

/* The annotation that asks for notw: its value is a port list. */
#define OCI_PORTS_ANNOTATION "io.notw.ports"

struct oci_state {
	char id[256];        /* the container's id, "" when not given */
	char status[32];     /* "creating", "created", "running", "stopped" */
	long pid;            /* 0 when not given (poststop) */
	bool has_ports;      /* the annotation is there */
	char ports[1024];    /* its value */
};

/* Reads fd to its end (or the bounds) and parses it. False with *reason
 * set (a static text, or one written into reason_buf) when the input is
 * not a state: not JSON, not an object, too large, too slow, a field of
 * the wrong type, an annotation value too long. */
bool oci_state_read(int fd, struct oci_state *st, const char **reason, char *reason_buf, size_t cap);

/* The same for a state already in memory. */
bool oci_state_parse(const char *text, size_t len, struct oci_state *st, const char **reason, char *reason_buf,
		     size_t cap);

#endif
