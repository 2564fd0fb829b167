/* An OCI runtime's container state, read from a hook's standard input (oci_state.h). */
#include "oci_state.h"

#include "fmt.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads fd until end of file: at most OCI_STATE_MAX_BYTES, waiting at most
 * OCI_STATE_TIMEOUT_MS in all (poll() before each read, so a writer that
 * keeps the pipe open without writing cannot hold the hook). Returns the
 * length, or -1 with *reason set. */
static long read_bounded(int fd, char *buf, size_t cap, const char **reason)
{
	size_t len = 0;
	long deadline = now_ms() + OCI_STATE_TIMEOUT_MS;
	for (;;) {
		long left = deadline - now_ms();
		struct pollfd p = { fd, POLLIN, 0 };
		int r = left > 0 ? poll(&p, 1, (int)left) : 0;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			*reason = "cannot read standard input";
			return -1;
		}
		if (r == 0) {
			*reason = "the state did not arrive on standard input in time (2 s)";
			return -1;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0) {
			*reason = "cannot read standard input";
			return -1;
		}
		if (n == 0)
			return (long)len;
		len += (size_t)n;
		if (len == cap) {
			*reason = "the state is larger than 1 MiB";
			return -1;
		}
	}
}

bool oci_state_read(int fd, struct oci_state *st, const char **reason, char *reason_buf, size_t cap)
{
	/* One byte more than the bound: a state of exactly the bound is read
	 * whole, a larger one is caught. */
	char *buf = malloc(OCI_STATE_MAX_BYTES + 1);
	if (buf == NULL) {
		*reason = "out of memory";
		return false;
	}
	long len = read_bounded(fd, buf, OCI_STATE_MAX_BYTES + 1, reason);
	bool ok = len >= 0 && oci_state_parse(buf, (size_t)len, st, reason, reason_buf, cap);
	free(buf);
	return ok;
}

static bool copy_string(const json_t *v, char *out, size_t cap)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	if (s == NULL || n >= cap || memchr(s, '\0', n) != NULL)
		return false;
	memcpy(out, s, n + 1);
	return true;
}

/* An optional string member: absent is fine, another type or too long is not. */
static bool optional_string(json_t *root, const char *key, char *out, size_t cap, const char **reason,
			    const char *bad)
{
	json_t *v = json_object_get(root, key);
	out[0] = '\0';
	if (v == NULL || copy_string(v, out, cap))
		return true;
	*reason = bad;
	return false;
}

static bool read_pid(json_t *root, struct oci_state *st, const char **reason)
{
	json_t *v = json_object_get(root, "pid");
	st->pid = 0;
	if (v == NULL)
		return true;
	json_int_t pid = json_is_integer(v) ? json_integer_value(v) : -1;
	/* Linux pids stay below 2^22 (PID_MAX_LIMIT). */
	if (pid < 0 || pid > 4194304) {
		*reason = "\"pid\" is not a process id";
		return false;
	}
	st->pid = (long)pid;
	return true;
}

static bool read_annotation(json_t *root, struct oci_state *st, const char **reason)
{
	json_t *annotations = json_object_get(root, "annotations");
	st->has_ports = false;
	st->ports[0] = '\0';
	if (annotations == NULL || json_is_null(annotations))
		return true;
	if (!json_is_object(annotations)) {
		*reason = "\"annotations\" is not an object";
		return false;
	}
	json_t *v = json_object_get(annotations, OCI_PORTS_ANNOTATION);
	if (v == NULL)
		return true;
	st->has_ports = true;
	if (copy_string(v, st->ports, sizeof st->ports))
		return true;
	*reason = json_is_string(v) ? "the annotation " OCI_PORTS_ANNOTATION " is longer than 1023 bytes"
				    : "the annotation " OCI_PORTS_ANNOTATION " is not a string";
	return false;
}

bool oci_state_parse(const char *text, size_t len, struct oci_state *st, const char **reason, char *reason_buf,
		     size_t cap)
{
	json_error_t err;
	memset(st, 0, sizeof *st);
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		struct notw_buf b;
		notw_buf_init(&b, reason_buf, cap);
		notw_buf_format(&b, "not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
		*reason = reason_buf;
		return false;
	}
	bool ok = false;
	if (!json_is_object(root))
		*reason = "not a JSON object";
	else
		ok = optional_string(root, "id", st->id, sizeof st->id, reason, "\"id\" is not a string of at most 255 bytes") &&
		     optional_string(root, "status", st->status, sizeof st->status, reason,
				     "\"status\" is not a string of at most 31 bytes") &&
		     read_pid(root, st, reason) && read_annotation(root, st, reason);
	json_decref(root);
	return ok;
}
