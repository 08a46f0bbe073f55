/*
 * test_money.c — amounts as int64 cents (internal/core/money).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"

#define DUMP_FLAGS (JSON_ENCODE_ANY | JSON_REAL_PRECISION(15))
#define SENTINEL 0x5A5A5A5A5A5ALL

/* money_from_json of the JSON text `text`; *why gets the message. */
static enum status
from_text(const char *text, bool allow_negative, int64_t *cents, const char **why)
{
	json_error_t err;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &err);
	enum status st;

	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, err.text);
	st = money_from_json(v, allow_negative, cents, why);
	json_decref(v);
	return st;
}

static void
accepts(const char *text, bool allow_negative, int64_t want)
{
	int64_t c = SENTINEL;
	const char *why = NULL;

	if (from_text(text, allow_negative, &c, &why) != ST_OK)
		fail_msg("rejected %s: %s", text, why ? why : "?");
	if (c != want)
		fail_msg("%s: got %lld cents, want %lld", text, (long long)c, (long long)want);
}

static void
rejects(const char *text, bool allow_negative, const char *want_why)
{
	int64_t c = SENTINEL;
	const char *why = NULL;

	if (from_text(text, allow_negative, &c, &why) != ST_INVALID)
		fail_msg("accepted %s as %lld", text, (long long)c);
	assert_int_equal(c, SENTINEL);
	assert_non_null(why);
	if (strcmp(why, want_why) != 0)
		fail_msg("%s: why \"%s\", want \"%s\"", text, why, want_why);
}

/* The dump of money_to_json(cents) as the API prints it. */
static void
dumps_as(int64_t cents, const char *want)
{
	json_t *v = money_to_json(cents);
	char *s;

	assert_non_null(v);
	s = json_dumps(v, DUMP_FLAGS);
	assert_non_null(s);
	if (strcmp(s, want) != 0)
		fail_msg("%lld cents dumped as %s, want %s", (long long)cents, s, want);
	free(s);
	json_decref(v);
}

/* ---- money_from_json ---- */

static void
test_from_json_integers(void **state)
{
	accepts("0", false, 0);
	accepts("5", false, 500);
	accepts("123", false, 12300);
	accepts("999999999999", false, 99999999999900LL);
	accepts("-5", true, -500);
	accepts("-999999999999", true, -99999999999900LL);
	rejects("-5", false, "must not be negative");
	rejects("-1", false, "must not be negative");
	rejects("1000000000000", false, "out of range");
	rejects("-1000000000000", true, "out of range");
	rejects("9223372036854775807", false, "out of range");
	rejects("-9223372036854775808", true, "out of range");
	rejects("-9223372036854775808", false, "must not be negative");
}

static void
test_from_json_reals(void **state)
{
	accepts("0.3", false, 30);
	accepts("0.1", false, 10);
	accepts("0.2", false, 20);
	accepts("0.01", false, 1);
	accepts("0.07", false, 7);
	accepts("1e-2", false, 1);
	accepts("1E-2", false, 1);
	accepts("1.5e1", false, 1500);
	accepts("12.0", false, 1200);
	accepts("12.50", false, 1250);
	accepts("123.45", false, 12345);
	accepts("1e3", false, 100000);
	accepts("1e+2", false, 10000);
	accepts("0.0", false, 0);
	accepts("-0.0", false, 0);
	accepts("1e11", false, 10000000000000LL);
	accepts("123456789012.34", false, 12345678901234LL);
	accepts("999999999999.99", false, MONEY_MAX_CENTS);
	accepts("999999999999.9", false, 99999999999990LL);
	accepts("0.999999999999990e12", false, MONEY_MAX_CENTS);
	accepts("-0.07", true, -7);
	accepts("-999999999999.99", true, -MONEY_MAX_CENTS);
	accepts("-123.4", true, -12340);
}

static void
test_from_json_real_rejects(void **state)
{
	rejects("1.005", false, "at most 2 decimals");
	rejects("0.125", false, "at most 2 decimals");
	rejects("0.001", false, "at most 2 decimals");
	rejects("1.5e-05", false, "at most 2 decimals");
	rejects("1e-3", false, "at most 2 decimals");
	rejects("123456789.123", false, "at most 2 decimals");
	rejects("0.30000000000000004", false, "too many digits");
	rejects("0.1234567890123456", false, "too many digits");
	rejects("1000000000000.0", false, "out of range");
	rejects("999999999999.991", false, "out of range");
	rejects("1e12", false, "out of range");
	rejects("1e15", false, "out of range");
	rejects("1e300", false, "out of range");
	rejects("-1e300", true, "out of range");
	rejects("-1000000000000.5", true, "out of range");
	rejects("-0.07", false, "must not be negative");
	rejects("-0.5", false, "must not be negative");
	rejects("-1.005", true, "at most 2 decimals");
}

static void
test_from_json_arithmetic_results(void **state)
{
	int64_t c = SENTINEL;
	const char *why = NULL;
	json_t *v = json_real(0.1 + 0.2);

	/* 0.1 + 0.2 is not the double nearest 0.3: more than 15 digits. */
	assert_int_equal(money_from_json(v, false, &c, &why), ST_INVALID);
	assert_string_equal(why, "too many digits");
	assert_int_equal(c, SENTINEL);
	json_decref(v);
	v = json_real(0.3);
	assert_int_equal(money_from_json(v, false, &c, &why), ST_OK);
	assert_int_equal(c, 30);
	json_decref(v);
	v = json_real(1.1 * 1.1);
	assert_int_equal(money_from_json(v, false, &c, NULL), ST_INVALID);
	json_decref(v);
	/* jansson refuses to build a non-finite real at all. */
	assert_null(json_real(INFINITY));
}

static void
test_from_json_not_a_number(void **state)
{
	static const char *bad[] = {
		"\"1\"", "\"1.00\"", "true", "false", "null", "{}", "[]", "[1]",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		rejects(bad[i], true, "must be a number");

	int64_t c = SENTINEL;
	const char *why = NULL;

	assert_int_equal(money_from_json(NULL, true, &c, &why), ST_INVALID);
	assert_string_equal(why, "must be a number");
	assert_int_equal(money_from_json(NULL, true, &c, NULL), ST_INVALID);
	assert_int_equal(c, SENTINEL);
}

/* why is written only on error and may be NULL. */
static void
test_from_json_why(void **state)
{
	json_t *v = json_integer(7);
	const char *why = "untouched";
	int64_t c = 0;

	assert_int_equal(money_from_json(v, false, &c, &why), ST_OK);
	assert_int_equal(c, 700);
	assert_string_equal(why, "untouched");
	assert_int_equal(money_from_json(v, false, &c, NULL), ST_OK);
	json_decref(v);
}

/* Every cent value round-trips through money_to_json, dump and load. */
static void
round_trip(int64_t cents)
{
	json_t *v = money_to_json(cents), *back;
	char *s;
	int64_t c = SENTINEL;
	const char *why = NULL;

	assert_non_null(v);
	s = json_dumps(v, DUMP_FLAGS);
	assert_non_null(s);
	back = json_loads(s, JSON_DECODE_ANY, NULL);
	assert_non_null(back);
	if (money_from_json(back, true, &c, &why) != ST_OK || c != cents)
		fail_msg("%lld dumped as %s came back as %lld (%s)", (long long)cents, s,
			 (long long)c, why ? why : "ok");
	/* The direct value round-trips too, without the text in between. */
	c = SENTINEL;
	assert_int_equal(money_from_json(v, true, &c, &why), ST_OK);
	assert_int_equal(c, cents);
	json_decref(back);
	json_decref(v);
	free(s);
}

static void
test_json_round_trip(void **state)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;

	for (int64_t c = -20000; c <= 20000; c++)
		round_trip(c);
	for (int64_t c = MONEY_MAX_CENTS - 20000; c <= MONEY_MAX_CENTS; c++) {
		round_trip(c);
		round_trip(-c);
	}
	for (int i = 0; i < 200000; i++) {
		/* xorshift64: spread values over the whole range and every magnitude. */
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t c = (int64_t)(x % (uint64_t)(MONEY_MAX_CENTS + 1));

		round_trip(c >> (i % 47));
		round_trip(-(c >> (i % 47)));
	}
}

static void
test_max_round_trips_from_text(void **state)
{
	json_t *v = json_loads("999999999999.99", JSON_DECODE_ANY, NULL);
	int64_t c = 0;

	assert_non_null(v);
	assert_true(json_is_real(v));
	assert_int_equal(money_from_json(v, false, &c, NULL), ST_OK);
	assert_int_equal(c, 99999999999999LL);
	json_decref(v);
}

/* ---- money_to_json ---- */

static void
test_to_json(void **state)
{
	json_t *v;

	dumps_as(99999999999999LL, "999999999999.99");
	dumps_as(1, "0.01");
	dumps_as(10, "0.1");
	dumps_as(12345, "123.45");
	dumps_as(-1, "-0.01");
	dumps_as(-12345, "-123.45");
	dumps_as(-99999999999999LL, "-999999999999.99");
	dumps_as(30, "0.3");
	dumps_as(7, "0.07");
	dumps_as(0, "0");
	dumps_as(100, "1");
	dumps_as(-100, "-1");
	dumps_as(99999999999900LL, "999999999999");
	dumps_as(12345678901234LL, "123456789012.34");
	/* Sums may exceed the input range; integral ones stay exact. */
	dumps_as(INT64_MAX / 100 * 100, "92233720368547758");
	v = money_to_json(200);
	assert_true(json_is_integer(v));
	json_decref(v);
	v = money_to_json(251);
	assert_true(json_is_real(v));
	json_decref(v);
}

/* ---- money_parse_text ---- */

static void
parses(const char *s, int64_t want)
{
	int64_t c = SENTINEL;

	if (money_parse_text(s, &c) != ST_OK)
		fail_msg("rejected \"%s\"", s);
	if (c != want)
		fail_msg("\"%s\": got %lld, want %lld", s, (long long)c, (long long)want);
}

static void
test_parse_text(void **state)
{
	parses("123", 12300);
	parses("123.4", 12340);
	parses("123.45", 12345);
	parses("-0.07", -7);
	parses("0", 0);
	parses("-0", 0);
	parses("0.5", 50);
	parses("12.3400", 1234);
	parses("123.4500", 12345);
	parses("5.000000", 500);
	parses("007", 700);
	parses("999999999999.99", MONEY_MAX_CENTS);
	/* Sums beyond MONEY_MAX_CENTS are fine while they fit int64. */
	parses("1000000000000000.00", 100000000000000000LL);
	parses("92233720368547758.07", INT64_MAX);
	parses("-92233720368547758.08", INT64_MIN);
	parses("92233720368547758", 9223372036854775800LL);
}

static void
test_parse_text_rejects(void **state)
{
	static const char *bad[] = {
		"",
		"abc",
		"1e5",
		" 1",
		"1 ",
		"1.234",
		"12.3401",
		"0.001",
		"+1",
		"1.",
		".5",
		"-",
		"--1",
		"-.5",
		"1,5",
		"1.2.3",
		"NaN",
		"Infinity",
		"-Infinity",
		"0x10",
		"1e-2",
		"12.34\n",
		"\t12",
		"1_000",
		"١٢",
		"1.00000000000000000001",
		"92233720368547758.08",	 /* INT64_MAX + 1 cents */
		"-92233720368547758.09", /* INT64_MIN - 1 cents */
		"9223372036854775807",
		"-9223372036854775808",
		"99999999999999999999999",
	};
	int64_t c = SENTINEL;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (money_parse_text(bad[i], &c) != ST_INVALID)
			fail_msg("accepted \"%s\" as %lld", bad[i], (long long)c);
	}
	assert_int_equal(money_parse_text(NULL, &c), ST_INVALID);
	assert_int_equal(c, SENTINEL);
}

/* ---- money_format ---- */

static void
formats(int64_t cents, const char *want)
{
	char buf[24];
	int64_t back = SENTINEL;

	memset(buf, 'x', sizeof buf);
	money_format(cents, buf, sizeof buf);
	assert_string_equal(buf, want);
	assert_int_equal(money_parse_text(buf, &back), ST_OK);
	assert_int_equal(back, cents);
}

static void
test_format(void **state)
{
	char small[5];

	formats(0, "0.00");
	formats(-5, "-0.05");
	formats(5, "0.05");
	formats(50, "0.50");
	formats(-50, "-0.50");
	formats(100, "1.00");
	formats(-100, "-1.00");
	formats(12345, "123.45");
	formats(-12345, "-123.45");
	formats(99999999999999LL, "999999999999.99");
	formats(-99999999999999LL, "-999999999999.99");
	formats(INT64_MAX, "92233720368547758.07");
	formats(INT64_MIN, "-92233720368547758.08");
	money_format(12345, small, sizeof small);
	assert_string_equal(small, "123.");
	money_format(12345, small, 0);
}

static void
test_format_parse_round_trip(void **state)
{
	char buf[24];

	for (int64_t c = -1000000; c <= 1000000; c += 7) {
		int64_t back = SENTINEL;

		money_format(c, buf, sizeof buf);
		assert_int_equal(money_parse_text(buf, &back), ST_OK);
		assert_int_equal(back, c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_from_json_integers),
		cmocka_unit_test(test_from_json_reals),
		cmocka_unit_test(test_from_json_real_rejects),
		cmocka_unit_test(test_from_json_arithmetic_results),
		cmocka_unit_test(test_from_json_not_a_number),
		cmocka_unit_test(test_from_json_why),
		cmocka_unit_test(test_json_round_trip),
		cmocka_unit_test(test_max_round_trips_from_text),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_parse_text),
		cmocka_unit_test(test_parse_text_rejects),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_parse_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
