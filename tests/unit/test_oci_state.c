/* Unit tests for cli/oci_state.c: the state an OCI runtime writes to a
 * hook's standard input, read with bounds and parsed. */
#include "oci_state.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static struct oci_state st;
static const char *reason;
static char reason_buf[512];

static bool parse(const char *text)
{
	reason = "";
	return oci_state_parse(text, strlen(text), &st, &reason, reason_buf, sizeof reason_buf);
}

START_TEST(test_podman_state)
{
	ck_assert(parse("{\"ociVersion\":\"1.0.2-dev\",\"id\":\"ba1a87c904dd\",\"status\":\"creating\",\"pid\":7625,"
			"\"bundle\":\"/var/lib/containers/x/userdata\",\"annotations\":{\"io.container.manager\":\"libpod\","
			"\"io.notw.ports\":\"8080,9000-9100\"}}"));
	ck_assert_str_eq(st.id, "ba1a87c904dd");
	ck_assert_str_eq(st.status, "creating");
	ck_assert_int_eq(st.pid, 7625);
	ck_assert(st.has_ports);
	ck_assert_str_eq(st.ports, "8080,9000-9100");
}
END_TEST

START_TEST(test_poststop_state)
{
	/* podman's poststop state: no pid */
	ck_assert(parse("{\"id\":\"x\",\"status\":\"stopped\",\"annotations\":{\"io.notw.ports\":\"80\"}}"));
	ck_assert_int_eq(st.pid, 0);
	ck_assert(st.has_ports);
}
END_TEST

START_TEST(test_no_annotation)
{
	ck_assert(parse("{\"id\":\"x\",\"pid\":1}"));
	ck_assert(!st.has_ports);
	ck_assert(parse("{\"id\":\"x\",\"pid\":1,\"annotations\":null}"));
	ck_assert(!st.has_ports);
	ck_assert(parse("{\"id\":\"x\",\"pid\":1,\"annotations\":{\"io.notw.portsx\":\"80\"}}"));
	ck_assert(!st.has_ports);
}
END_TEST

START_TEST(test_refused)
{
	ck_assert(!parse(""));
	ck_assert_ptr_nonnull(strstr(reason, "not JSON"));
	ck_assert(!parse("[]"));
	ck_assert_str_eq(reason, "not a JSON object");
	ck_assert(!parse("{\"pid\":-1}"));
	ck_assert(!parse("{\"pid\":4194305}"));
	ck_assert(!parse("{\"pid\":1.5}"));
	ck_assert(!parse("{\"pid\":\"1\"}"));
	ck_assert(!parse("{\"id\":5}"));
	ck_assert(!parse("{\"annotations\":[]}"));
	ck_assert(!parse("{\"annotations\":{\"io.notw.ports\":80}}"));
	ck_assert_ptr_nonnull(strstr(reason, "not a string"));
	ck_assert(!parse("{\"pid\":1,\"pid\":2}"));
	/* a NUL inside a string would cut it short where the hook reads it */
	ck_assert(!parse("{\"annotations\":{\"io.notw.ports\":\"80\\u0000,81\"}}"));
	ck_assert(!parse("{\"id\":\"x\"} trailing"));
}
END_TEST

START_TEST(test_long_values)
{
	static char text[4096];
	char value[1100];
	memset(value, '1', sizeof value - 1);
	value[sizeof value - 1] = '\0';
	snprintf(text, sizeof text, "{\"annotations\":{\"io.notw.ports\":\"%s\"}}", value);
	ck_assert(!parse(text));
	ck_assert_ptr_nonnull(strstr(reason, "longer than 1023 bytes"));
	snprintf(text, sizeof text, "{\"id\":\"%.300s\"}", value);
	ck_assert(!parse(text));
}
END_TEST

START_TEST(test_hostile_reason_text)
{
	/* jansson quotes the input near the error: control bytes escaped */
	ck_assert(!parse("\x1b[2J\nnotw: forged"));
	ck_assert_ptr_null(strchr(reason, '\x1b'));
	ck_assert_ptr_null(strchr(reason, '\n'));
}
END_TEST

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

START_TEST(test_read_pipe_bounds)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	/* a writer that never closes: given up after the deadline */
	double t0 = now_ms();
	ck_assert(!oci_state_read(p[0], &st, &reason, reason_buf, sizeof reason_buf));
	double took = now_ms() - t0;
	ck_assert_ptr_nonnull(strstr(reason, "in time"));
	ck_assert(took >= OCI_STATE_TIMEOUT_MS - 50 && took < OCI_STATE_TIMEOUT_MS + 1000);
	/* a whole state, then end of file */
	const char *text = "{\"id\":\"y\",\"pid\":3}";
	ck_assert_int_eq(write(p[1], text, strlen(text)), (ssize_t)strlen(text));
	close(p[1]);
	ck_assert(oci_state_read(p[0], &st, &reason, reason_buf, sizeof reason_buf));
	ck_assert_int_eq(st.pid, 3);
	close(p[0]);
}
END_TEST

START_TEST(test_read_too_large)
{
	char path[] = "/tmp/notw-oci-state-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	static char chunk[65536];
	memset(chunk, ' ', sizeof chunk);
	for (int i = 0; i < (OCI_STATE_MAX_BYTES / (int)sizeof chunk) + 1; i++)
		ck_assert_int_eq(write(fd, chunk, sizeof chunk), (ssize_t)sizeof chunk);
	lseek(fd, 0, SEEK_SET);
	ck_assert(!oci_state_read(fd, &st, &reason, reason_buf, sizeof reason_buf));
	ck_assert_ptr_nonnull(strstr(reason, "larger than 1 MiB"));
	close(fd);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("oci_state");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_podman_state);
	tcase_add_test(tc, test_poststop_state);
	tcase_add_test(tc, test_no_annotation);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_long_values);
	tcase_add_test(tc, test_hostile_reason_text);
	tcase_add_test(tc, test_read_pipe_bounds);
	tcase_add_test(tc, test_read_too_large);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
