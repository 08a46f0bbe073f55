/* Unit tests of strict body parsing, cursors, CSV rendering and JSON compaction (api/parse.c, api/respond.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "api/parse.h"
#include "api/respond.h"

static json_t *
obj(const char *text)
{
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(v);
	return v;
}

static const char *
first_field(struct issues *e)
{
	return e->n ? e->items[0].field : NULL;
}

static void
test_unknown_fields(void **state)
{
	static const char *const allowed[] = { "name", NULL };
	struct issues e = { 0 };
	json_t *o = obj("{\"name\":\"x\",\"nmae\":1}");

	parse_only(o, allowed, &e);
	assert_true(issues_any(&e));
	assert_string_equal(first_field(&e), "nmae");
	issues_clear(&e);
	json_decref(o);
}

static void
test_string_rules(void **state)
{
	struct issues e = { 0 };
	const char *s = NULL;
	json_t *o = obj("{\"a\":\"abc\",\"b\":5,\"c\":null,\"d\":\"\"}");

	assert_int_equal(parse_string(o, "a", 1, 10, &e, &s), FIELD_SET);
	assert_string_equal(s, "abc");
	assert_false(issues_any(&e));
	assert_int_equal(parse_string(o, "b", 1, 10, &e, &s), FIELD_BAD);
	assert_string_equal(first_field(&e), "b");
	assert_int_equal(parse_string(o, "c", 1, 10, &e, &s), FIELD_NULL);
	assert_int_equal(parse_string(o, "zz", 1, 10, &e, &s), FIELD_ABSENT);
	assert_int_equal(parse_string(o, "d", 1, 10, &e, &s), FIELD_BAD);
	assert_int_equal(e.n, 2);
	issues_clear(&e);
	json_decref(o);
}

static void
test_int_and_bool(void **state)
{
	struct issues e = { 0 };
	long long n = 0;
	bool b = false;
	json_t *o = obj("{\"m\":12,\"big\":13,\"real\":1.5,\"s\":\"1\",\"t\":true,\"f\":0}");

	assert_int_equal(parse_int(o, "m", 1, 12, &e, &n), FIELD_SET);
	assert_int_equal(n, 12);
	assert_int_equal(parse_int(o, "big", 1, 12, &e, &n), FIELD_BAD);
	assert_int_equal(parse_int(o, "real", 1, 12, &e, &n), FIELD_BAD);
	assert_int_equal(parse_int(o, "s", 1, 12, &e, &n), FIELD_BAD);
	assert_int_equal(parse_bool(o, "t", &e, &b), FIELD_SET);
	assert_true(b);
	assert_int_equal(parse_bool(o, "f", &e, &b), FIELD_BAD);
	assert_int_equal(e.n, 4);
	issues_clear(&e);
	json_decref(o);
}

static void
test_ids(void **state)
{
	struct issues e = { 0 };
	int64_t id = 0;
	json_t *o = obj("{\"a\":\"42\",\"b\":42,\"c\":\"042\",\"d\":\"0\",\"e\":\"4x\",\"f\":\"9999999999999999999\"}");

	assert_int_equal(parse_id(o, "a", &e, &id), FIELD_SET);
	assert_int_equal(id, 42);
	assert_int_equal(parse_id(o, "b", &e, &id), FIELD_BAD);
	assert_int_equal(parse_id(o, "c", &e, &id), FIELD_BAD);
	assert_int_equal(parse_id(o, "d", &e, &id), FIELD_BAD);
	assert_int_equal(parse_id(o, "e", &e, &id), FIELD_BAD);
	assert_int_equal(parse_id(o, "f", &e, &id), FIELD_BAD);
	issues_clear(&e);
	json_decref(o);
}

static void
test_enum_date_money(void **state)
{
	static const char *const seg[] = { "b2b", "b2c", NULL };
	struct issues e = { 0 };
	const char *s = NULL;
	cal_date d;
	int64_t cents;
	json_t *o = obj("{\"s\":\"b2c\",\"bad\":\"B2C\",\"d\":\"2024-02-29\",\"dd\":\"2023-02-29\","
			"\"m\":999999999999.99,\"mm\":1.005,\"neg\":-1}");

	assert_int_equal(parse_enum(o, "s", seg, &e, &s), FIELD_SET);
	assert_string_equal(s, "b2c");
	assert_int_equal(parse_enum(o, "bad", seg, &e, &s), FIELD_BAD);
	assert_int_equal(parse_date(o, "d", &e, &d), FIELD_SET);
	assert_int_equal(parse_date(o, "dd", &e, &d), FIELD_BAD);
	assert_int_equal(parse_money(o, "m", false, &e, &cents), FIELD_SET);
	assert_int_equal(cents, 99999999999999LL);
	assert_int_equal(parse_money(o, "mm", false, &e, &cents), FIELD_BAD);
	assert_int_equal(parse_money(o, "neg", false, &e, &cents), FIELD_BAD);
	assert_int_equal(e.n, 4);
	issues_clear(&e);
	json_decref(o);
}

static void
test_email(void **state)
{
	assert_true(parse_email_valid("a.b@example.com"));
	assert_false(parse_email_valid("a.b@example"));
	assert_false(parse_email_valid("@example.com"));
	assert_false(parse_email_valid("a@@example.com"));
	assert_false(parse_email_valid("a b@example.com"));
	assert_false(parse_email_valid("ab@example."));
}

static void
test_cursor_roundtrip(void **state)
{
	char buf[64];
	int64_t id = 0;

	for (int64_t v = 0; v < 100000; v += 997) {
		cursor_encode(v, buf, sizeof buf);
		assert_true(cursor_decode(buf, &id));
		assert_int_equal(id, v);
	}
	cursor_encode(123456789012345LL, buf, sizeof buf);
	assert_true(cursor_decode(buf, &id));
	assert_int_equal(id, 123456789012345LL);
	assert_false(cursor_decode("", &id));
	assert_false(cursor_decode("abc!", &id));
	assert_false(cursor_decode("aWQ6", &id));     /* "id:" with no number */
	assert_false(cursor_decode("aWQ6LTE", &id));  /* "id:-1" */
	assert_false(cursor_decode("eHg6MTI", &id));  /* "xx:12" */
}

static void
test_csv(void **state)
{
	static const char *const cols[] = { "id", "name", "tags", "n", "missing", NULL };
	json_t *items = obj("[{\"id\":\"1\",\"name\":\"a,\\\"b\\\"\",\"tags\":[1,2],\"n\":null},"
			    "{\"id\":\"2\",\"name\":\"line\\nbreak\",\"tags\":true,\"n\":1.5}]");
	char *csv = csv_render(items, cols);

	assert_string_equal(csv, "id,name,tags,n,missing\r\n"
				 "1,\"a,\"\"b\"\"\",\"[1,2]\",,\r\n"
				 "2,\"line\nbreak\",true,1.5,\r\n");
	free(csv);
	json_decref(items);
}

static void
test_json_text_compact(void **state)
{
	/* PostgreSQL's json_build_object and jsonb text; spaces, quotes and backslashes inside strings stay */
	char a[] = "{\"id\" : \"1\", \"name\" : \"a : b, c\", \"q\" : \"say \\\"x , y\\\" \\\\\", \"n\" : [1, 2.50, null]}";
	char b[] = "{\"items\":[{\"a\": {\"b\": true}}, {\"s\": \"\\\\\"}],\r\n\t\"next_cursor\": null}";
	char c[] = "";
	size_t n = json_text_compact(a);

	assert_int_equal(n, strlen(a));
	assert_string_equal(a, "{\"id\":\"1\",\"name\":\"a : b, c\",\"q\":\"say \\\"x , y\\\" \\\\\",\"n\":[1,2.50,null]}");
	json_text_compact(b);
	assert_string_equal(b, "{\"items\":[{\"a\":{\"b\":true}},{\"s\":\"\\\\\"}],\"next_cursor\":null}");
	assert_int_equal(json_text_compact(c), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_fields), cmocka_unit_test(test_string_rules),
		cmocka_unit_test(test_int_and_bool),   cmocka_unit_test(test_ids),
		cmocka_unit_test(test_enum_date_money), cmocka_unit_test(test_email),
		cmocka_unit_test(test_cursor_roundtrip), cmocka_unit_test(test_csv),
		cmocka_unit_test(test_json_text_compact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
