/* Unit tests for cli/preload_text.c (ld.so.preload as the loader reads it)
 * and cli/json.c (JSON strings from any bytes). */
#include "json.h"
#include "preload_text.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* is_ours: the name equals the string in ctx. */
static bool named(const char *name, size_t n, void *ctx)
{
	const char *want = ctx;
	return strlen(want) == n && memcmp(name, want, n) == 0;
}

static const char *removed_text(const char *text, size_t len, const char *ours, size_t *removed)
{
	static char out[4096];
	size_t n = notw_preload_remove_entries(text, len, named, (void *)(uintptr_t)ours, out, removed);
	out[n] = '\0';
	return out;
}

START_TEST(test_separators)
{
	ck_assert(notw_ldso_name_splits("/a b/libnotw.so"));
	ck_assert(notw_ldso_name_splits("/a:b/libnotw.so"));
	ck_assert(notw_ldso_name_splits("/a\tb"));
	ck_assert(notw_ldso_name_splits("/a\nb"));
	ck_assert(!notw_ldso_name_splits("/usr/lib/libnotw.so"));
	ck_assert(!notw_ldso_name_splits(""));
}
END_TEST

START_TEST(test_active_length_stops_at_nul)
{
	ck_assert_uint_eq(notw_preload_active_length("abc", 3), 3);
	ck_assert_uint_eq(notw_preload_active_length("a\nb\0c\n", 6), 3);
	ck_assert_uint_eq(notw_preload_active_length("\0", 1), 0);
	ck_assert_uint_eq(notw_preload_active_length(NULL, 0), 0);
}
END_TEST

START_TEST(test_find_entry)
{
	const char *text = "# /x.so in a comment\n/a.so:/x.so /b.so\n";
	size_t start = 0, end = 0;
	ck_assert(notw_preload_find_entry(text, strlen(text), named, (void *)(uintptr_t)"/x.so", &start, &end));
	ck_assert_uint_eq(start, 27);
	ck_assert_uint_eq(end, 32);
	ck_assert(!notw_preload_find_entry(text, strlen(text), named, (void *)(uintptr_t)"/c.so", &start, &end));
	/* Only in a comment: not an entry. */
	const char *comment = "/a.so # /x.so\n";
	ck_assert(!notw_preload_find_entry(comment, strlen(comment), named, (void *)(uintptr_t)"/x.so", &start,
					   &end));
}
END_TEST

START_TEST(test_remove_keeps_the_rest)
{
	size_t removed;
	const char *text = "/a.so /x.so # c\n/x.so\n\t/b.so:/x.so:/c.so\n/x.so # only ours\n/d.so";
	ck_assert_str_eq(removed_text(text, strlen(text), "/x.so", &removed),
			 "/a.so # c\n\t/b.so:/c.so\n# only ours\n/d.so");
	ck_assert_uint_eq(removed, 4);
	ck_assert_str_eq(removed_text(text, strlen(text), "/zzz.so", &removed), text);
	ck_assert_uint_eq(removed, 0);
}
END_TEST

START_TEST(test_append)
{
	char out[64];
	size_t n = notw_preload_append_entry("/a.so # c", 9, "/x.so", out);
	out[n] = '\0';
	ck_assert_str_eq(out, "/a.so # c\n/x.so\n");
	n = notw_preload_append_entry(NULL, 0, "/x.so", out);
	out[n] = '\0';
	ck_assert_str_eq(out, "/x.so\n");
}
END_TEST

static const char *json_of(const char *s)
{
	static char buf[256];
	FILE *f = fmemopen(buf, sizeof buf, "w");
	ck_assert_ptr_nonnull(f);
	json_string(f, s);
	fclose(f);
	return buf;
}

START_TEST(test_json_escapes)
{
	ck_assert_str_eq(json_of("plain"), "\"plain\"");
	ck_assert_str_eq(json_of("q\"b\\"), "\"q\\\"b\\\\\"");
	ck_assert_str_eq(json_of("\x1b[2J\x07\x7f"), "\"\\u001b[2J\\u0007\\u007f\"");
	/* Valid UTF-8 stays as it is. */
	ck_assert_str_eq(json_of("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	/* Each byte outside valid UTF-8 is U+FFFD: stray, overlong, surrogate, truncated. */
	ck_assert_str_eq(json_of("\xff\xfe"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_of("\xc0\xaf"), "\"\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_of("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_of("a\xe2\x82"), "\"a\\ufffd\\ufffd\"");
	ck_assert_str_eq(json_of("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");
}
END_TEST

static Suite *preload_text_suite(void)
{
	Suite *s = suite_create("cli-text");
	TCase *tc = tcase_create("preload");
	tcase_add_test(tc, test_separators);
	tcase_add_test(tc, test_active_length_stops_at_nul);
	tcase_add_test(tc, test_find_entry);
	tcase_add_test(tc, test_remove_keeps_the_rest);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_json_escapes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(preload_text_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
