/* Unit tests for core/port_socket.c: the one classifier of what holds a port. */
#include "port_socket.h"

#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

enum { TIME_WAIT = 6, FIN_WAIT1 = 4, FIN_WAIT2 = 5, CLOSING = 11, LAST_ACK = 9, LISTEN = 10, ESTAB = 1,
       CLOSE_WAIT = 8, SYN_RECV = 3, NEW_SYN_RECV = 12, BOUND_INACTIVE = 13, CLOSE = 7 };
enum { TIMER_NONE = 0, TIMER_ON = 1, TIMER_KEEPALIVE = 2, TIMER_TW = 3, TIMER_PROBE = 4 };

static const struct notw_port_range linux_default = { 32768, 60999 };

static struct notw_leftover classify(uint8_t state, uint8_t timer, uint32_t inode, uint32_t wqueue,
				     uint16_t lport, uint16_t rport)
{
	struct notw_port_socket_facts f = { state, timer, inode, wqueue, lport, rport };
	struct notw_leftover out;
	notw_port_socket_classify(&f, &linux_default, &out);
	ck_assert_ptr_nonnull(out.reason);
	return out;
}

START_TEST(test_timewait_is_safe)
{
	struct notw_leftover l = classify(TIME_WAIT, TIMER_TW, 0, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_TIMEWAIT);
	ck_assert(l.leftover);
	ck_assert(l.safe_to_destroy);
	ck_assert_uint_eq(l.unacked, 0);
	ck_assert_str_eq(notw_port_socket_kind_name(l.kind), "timewait");
}
END_TEST

START_TEST(test_fin_wait2_both_forms_are_safe)
{
	/* the timewait mini-socket in its FIN-WAIT-2 sub-state */
	struct notw_leftover l = classify(FIN_WAIT2, TIMER_TW, 0, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_FIN_WAIT2);
	ck_assert(l.safe_to_destroy);
	/* an orphaned full socket in FIN-WAIT-2 (keepalive timer) */
	l = classify(FIN_WAIT2, TIMER_KEEPALIVE, 0, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_FIN_WAIT2);
	ck_assert(l.leftover);
	ck_assert(l.safe_to_destroy);
	ck_assert_str_eq(notw_port_socket_kind_name(l.kind), "fin-wait-2");
}
END_TEST

/* The case: a graceful close of a server without the library,
 * 4 MB still queued for a slow client. */
START_TEST(test_fin_wait1_with_data_is_not_safe)
{
	struct notw_leftover l = classify(FIN_WAIT1, TIMER_PROBE, 0, 4u << 20, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_DRAINING);
	ck_assert(l.leftover);
	ck_assert(!l.safe_to_destroy);
	ck_assert_uint_eq(l.unacked, (4u << 20) - 1u);
	ck_assert_ptr_nonnull(strstr(l.reason, "not acknowledged"));
	ck_assert_str_eq(notw_port_socket_kind_name(l.kind), "draining");
}
END_TEST

START_TEST(test_closing_states_with_data_are_not_safe)
{
	static const uint8_t states[] = { FIN_WAIT1, CLOSING, LAST_ACK };
	for (size_t i = 0; i < sizeof states; i++) {
		struct notw_leftover l = classify(states[i], TIMER_ON, 0, 2, 9200, 40000);
		ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_DRAINING);
		ck_assert(!l.safe_to_destroy);
		ck_assert_uint_eq(l.unacked, 1);
	}
}
END_TEST

/* The kernel counts a sent FIN as one byte of the send queue until it is
 * acknowledged: one byte left is the FIN alone, the data all arrived. */
START_TEST(test_only_fin_in_flight_is_safe)
{
	static const uint8_t states[] = { FIN_WAIT1, CLOSING, LAST_ACK };
	for (size_t i = 0; i < sizeof states; i++) {
		struct notw_leftover l = classify(states[i], TIMER_ON, 0, 1, 9200, 40000);
		ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CLOSING);
		ck_assert(l.leftover);
		ck_assert(l.safe_to_destroy);
		ck_assert_uint_eq(l.unacked, 0);
		l = classify(states[i], TIMER_ON, 0, 0, 9200, 40000);
		ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CLOSING);
	}
}
END_TEST

START_TEST(test_live_sockets_are_never_safe)
{
	struct notw_leftover l = classify(LISTEN, TIMER_NONE, 1234, 0, 9200, 0);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_LISTENER);
	ck_assert(!l.leftover);
	ck_assert(!l.safe_to_destroy);
	l = classify(BOUND_INACTIVE, TIMER_NONE, 1234, 0, 9200, 0);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_BOUND);
	ck_assert(!l.safe_to_destroy);
	l = classify(ESTAB, TIMER_NONE, 1234, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CONNECTION);
	ck_assert(!l.safe_to_destroy);
	/* a live process that shut down its side: still its socket */
	l = classify(FIN_WAIT2, TIMER_NONE, 1234, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CONNECTION);
	ck_assert(!l.safe_to_destroy);
	l = classify(FIN_WAIT1, TIMER_ON, 1234, 0, 9200, 40000);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CONNECTION);
}
END_TEST

START_TEST(test_accept_queue_is_pending)
{
	static const uint8_t states[] = { ESTAB, SYN_RECV, CLOSE_WAIT, NEW_SYN_RECV };
	for (size_t i = 0; i < sizeof states; i++) {
		struct notw_leftover l = classify(states[i], TIMER_NONE, 0, 0, 9200, 40000);
		ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_PENDING);
		ck_assert(!l.leftover);
		ck_assert(!l.safe_to_destroy);
	}
}
END_TEST

START_TEST(test_origin_from_ephemeral_range)
{
	/* a client's timewait socket: ephemeral local port, a server's remote */
	struct notw_leftover l = classify(TIME_WAIT, TIMER_TW, 0, 0, 40000, 9300);
	ck_assert_int_eq(l.origin, NOTW_ORIGIN_OUTGOING);
	ck_assert(l.safe_to_destroy);
	ck_assert_ptr_nonnull(strstr(l.reason, "client"));
	ck_assert_str_eq(notw_port_socket_origin_name(l.origin), "outgoing");
	/* a server's: its port outside the range, the client's inside */
	l = classify(TIME_WAIT, TIMER_TW, 0, 0, 9300, 40000);
	ck_assert_int_eq(l.origin, NOTW_ORIGIN_ACCEPTED);
	ck_assert_ptr_null(strstr(l.reason, "client"));
	/* both inside: cannot tell */
	l = classify(TIME_WAIT, TIMER_TW, 0, 0, 49200, 40000);
	ck_assert_int_eq(l.origin, NOTW_ORIGIN_UNKNOWN);
	/* no range known */
	struct notw_port_socket_facts f = { TIME_WAIT, TIMER_TW, 0, 0, 40000, 9300 };
	notw_port_socket_classify(&f, NULL, &l);
	ck_assert_int_eq(l.origin, NOTW_ORIGIN_UNKNOWN);
	/* a live client connection on the port */
	l = classify(ESTAB, TIMER_NONE, 77, 0, 40000, 9300);
	ck_assert_int_eq(l.kind, NOTW_PORT_SOCKET_CONNECTION);
	ck_assert_int_eq(l.origin, NOTW_ORIGIN_OUTGOING);
	ck_assert_ptr_nonnull(strstr(l.reason, "outgoing"));
}
END_TEST

START_TEST(test_facts_from_diag)
{
	struct inet_diag_msg m;
	memset(&m, 0, sizeof m);
	m.idiag_state = FIN_WAIT1;
	m.idiag_timer = TIMER_PROBE;
	m.idiag_inode = 0;
	m.idiag_wqueue = 12345;
	m.id.idiag_sport = htons(9200);
	m.id.idiag_dport = htons(40001);
	struct notw_port_socket_facts f;
	notw_port_socket_facts_from_diag(&m, &f);
	ck_assert_uint_eq(f.state, FIN_WAIT1);
	ck_assert_uint_eq(f.timer, TIMER_PROBE);
	ck_assert_uint_eq(f.wqueue, 12345);
	ck_assert_uint_eq(f.local_port, 9200);
	ck_assert_uint_eq(f.remote_port, 40001);
}
END_TEST

START_TEST(test_every_kind_has_names)
{
	for (int k = 0; k < NOTW_PORT_SOCKET_KINDS; k++) {
		ck_assert_str_ne(notw_port_socket_kind_name((enum notw_port_socket_kind)k), "?");
		ck_assert_str_ne(notw_port_socket_kind_words((enum notw_port_socket_kind)k), "?");
	}
	ck_assert_str_eq(notw_port_socket_kind_name(NOTW_PORT_SOCKET_KINDS), "?");
	ck_assert_str_eq(notw_tcp_state_name(6), "TIME-WAIT");
	ck_assert_str_eq(notw_tcp_state_name(4), "FIN-WAIT-1");
	ck_assert_str_eq(notw_tcp_state_name(1), "ESTAB");
	ck_assert_str_eq(notw_tcp_state_name(200), "?");
}
END_TEST

START_TEST(test_port_range)
{
	struct notw_port_range r;
	ck_assert(notw_parse_port_range("32768\t60999\n", &r));
	ck_assert_uint_eq(r.lo, 32768);
	ck_assert_uint_eq(r.hi, 60999);
	ck_assert(notw_parse_port_range("1024 65535", &r));
	ck_assert_uint_eq(r.hi, 65535);
	ck_assert(!notw_parse_port_range("60999\t32768\n", &r));
	ck_assert_uint_eq(r.lo, 0);
	ck_assert(!notw_parse_port_range("", &r));
	ck_assert(!notw_parse_port_range("1 70000", &r));
	ck_assert(!notw_parse_port_range("1 2 3", &r));
	ck_assert(!notw_parse_port_range(NULL, &r));
}
END_TEST

static Suite *leftover_suite(void)
{
	Suite *s = suite_create("leftover");
	TCase *tc = tcase_create("classify");
	tcase_add_test(tc, test_timewait_is_safe);
	tcase_add_test(tc, test_fin_wait2_both_forms_are_safe);
	tcase_add_test(tc, test_fin_wait1_with_data_is_not_safe);
	tcase_add_test(tc, test_closing_states_with_data_are_not_safe);
	tcase_add_test(tc, test_only_fin_in_flight_is_safe);
	tcase_add_test(tc, test_live_sockets_are_never_safe);
	tcase_add_test(tc, test_accept_queue_is_pending);
	tcase_add_test(tc, test_origin_from_ephemeral_range);
	tcase_add_test(tc, test_facts_from_diag);
	tcase_add_test(tc, test_every_kind_has_names);
	tcase_add_test(tc, test_port_range);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(leftover_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
