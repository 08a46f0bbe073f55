/*
 * test_credit.c — split credit, THE rule (internal/deals/credit): exact in
 * cents, largest remainder, ties to the lower person id, sums exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/money.h"
#include "deals/credit.h"

#define SENTINEL 0x5A5A5A5ALL

/* Credit `amount` and check each holder's cents (in person id order) and the sum. */
static void
credits(int64_t amount, int64_t owner, const struct deal_split *s, size_t n, const int64_t *want_people,
	const int64_t *want_cents, size_t want_n)
{
	struct deal_credit out[DEAL_MAX_SPLITS];
	size_t nout = 0;
	int64_t sum = 0;

	assert_int_equal(deal_credit_split(amount, owner, s, n, out, &nout), ST_OK);
	assert_int_equal(nout, want_n);
	for (size_t i = 0; i < nout; i++) {
		if (out[i].person_id != want_people[i] || out[i].cents != want_cents[i])
			fail_msg("amount %lld: holder %zu is %lld with %lld cents, want %lld with %lld",
				 (long long)amount, i, (long long)out[i].person_id, (long long)out[i].cents,
				 (long long)want_people[i], (long long)want_cents[i]);
		sum += out[i].cents;
	}
	assert_int_equal(sum, amount);
}

static void
test_no_splits_credits_the_owner(void **state)
{
	struct deal_credit out[1];
	size_t n = 0;

	credits(123456, 7, NULL, 0, (int64_t[]){ 7 }, (int64_t[]){ 123456 }, 1);
	assert_int_equal(deal_credit_split(0, 7, NULL, 0, out, &n), ST_OK);
	assert_int_equal(out[0].percent, 10000);
	assert_int_equal(out[0].cents, 0);
}

static void
test_exact_split(void **state)
{
	struct deal_split s[] = { { 3, 2500 }, { 1, 7500 } };

	/* 1,000.00 at 25 % / 75 % */
	credits(100000, 9, s, 2, (int64_t[]){ 1, 3 }, (int64_t[]){ 75000, 25000 }, 2);
}

static void
test_thirds_leftover_cent_goes_to_largest_remainder(void **state)
{
	struct deal_split s[] = { { 10, 3333 }, { 20, 3334 }, { 30, 3333 } };

	/* 0.10: exact 3.333, 3.334, 3.333 cents; floors 9, one cent left: person 20 */
	credits(10, 1, s, 3, (int64_t[]){ 10, 20, 30 }, (int64_t[]){ 3, 4, 3 }, 3);
	/* 100.00: exact, nothing left over */
	credits(10000, 1, s, 3, (int64_t[]){ 10, 20, 30 }, (int64_t[]){ 3333, 3334, 3333 }, 3);
	/* 1.00: exact 33.33, 33.34, 33.33 */
	credits(100, 1, s, 3, (int64_t[]){ 10, 20, 30 }, (int64_t[]){ 33, 34, 33 }, 3);
}

static void
test_ties_go_to_the_lower_person_id(void **state)
{
	struct deal_split s[] = { { 42, 5000 }, { 17, 5000 } };

	/* 0.01 at 50/50: both remainders equal, the cent goes to person 17 */
	credits(1, 1, s, 2, (int64_t[]){ 17, 42 }, (int64_t[]){ 1, 0 }, 2);
	/* 0.03 in three nearly equal parts */
	struct deal_split t[] = { { 9, 3334 }, { 5, 3333 }, { 7, 3333 } };
	/* exact 1.0002, 0.9999, 0.9999: floors 1, 0, 0; two cents left: 5 then 7 (tie) */
	credits(3, 1, t, 3, (int64_t[]){ 5, 7, 9 }, (int64_t[]){ 1, 1, 1 }, 3);
}

static void
test_tiny_percent_and_largest_amount(void **state)
{
	struct deal_split s[] = { { 1, 9999 }, { 2, 1 } };

	/* 999,999,999,999.99 at 99.99 % / 0.01 %: no overflow, sum exact */
	credits(MONEY_MAX_CENTS, 1, s, 2, (int64_t[]){ 1, 2 },
		(int64_t[]){ 99989999999999LL, 9999999999LL + 1 }, 2);
}

/* A deterministic generator, so the property test is reproducible. */
static uint64_t
next(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void
test_credits_always_sum_to_the_amount(void **state)
{
	uint64_t seed = 88172645463325252ULL;

	for (int round = 0; round < 20000; round++) {
		struct deal_split s[DEAL_MAX_SPLITS];
		struct deal_credit out[DEAL_MAX_SPLITS];
		size_t n = 1 + next(&seed) % 7, nout = 0;
		int32_t left = DEAL_PERCENT_WHOLE;
		int64_t amount = (int64_t)(next(&seed) % 100000000), sum = 0;

		for (size_t i = 0; i < n; i++) {
			/* leave at least 1 (hundredth of a percent) for each holder still to come */
			int32_t room = left - (int32_t)(n - i - 1);
			int32_t p = i + 1 == n ? left : 1 + (int32_t)(next(&seed) % (uint64_t)room);
			s[i] = (struct deal_split){ .person_id = (int64_t)(100 + i * 3 + next(&seed) % 3), .percent = p };
			left -= p;
		}
		assert_int_equal(deal_credit_split(amount, 1, s, n, out, &nout), ST_OK);
		for (size_t i = 0; i < nout; i++) {
			/* each credit is its exact share rounded down or up by less than a cent */
			int64_t exact = amount * out[i].percent;
			assert_true(out[i].cents * DEAL_PERCENT_WHOLE >= exact - (DEAL_PERCENT_WHOLE - 1));
			assert_true(out[i].cents * DEAL_PERCENT_WHOLE <= exact + (DEAL_PERCENT_WHOLE - 1));
			if (i)
				assert_true(out[i].person_id > out[i - 1].person_id);
			sum += out[i].cents;
		}
		assert_int_equal(sum, amount);
	}
}

static void
rejected(const struct deal_split *s, size_t n, const char *want_why, int want_bad)
{
	const char *why = NULL;
	int bad = 99;
	struct deal_credit out[DEAL_MAX_SPLITS + 1];
	size_t nout = SENTINEL;

	assert_int_equal(deal_splits_check(s, n, &why, &bad), ST_INVALID);
	assert_non_null(why);
	if (strcmp(why, want_why) != 0)
		fail_msg("why \"%s\", want \"%s\"", why, want_why);
	assert_int_equal(bad, want_bad);
	assert_int_equal(deal_credit_split(100, 1, s, n, out, &nout), ST_INVALID);
	assert_int_equal(nout, SENTINEL);
}

static void
test_invalid_splits(void **state)
{
	struct deal_split many[DEAL_MAX_SPLITS + 1];

	rejected((struct deal_split[]){ { 1, 5000 }, { 2, 4999 } }, 2, "the percents must sum to exactly 100", -1);
	rejected((struct deal_split[]){ { 1, 5000 }, { 2, 5001 } }, 2, "the percents must sum to exactly 100", -1);
	rejected((struct deal_split[]){ { 1, 5000 }, { 1, 5000 } }, 2, "a person may hold only one split", 1);
	rejected((struct deal_split[]){ { 1, 10000 }, { 2, 0 } }, 2, "must be greater than 0 and at most 100", 1);
	rejected((struct deal_split[]){ { 1, 10001 } }, 1, "must be greater than 0 and at most 100", 0);
	rejected((struct deal_split[]){ { 1, -5 }, { 2, 10005 } }, 2, "must be greater than 0 and at most 100", 0);
	rejected((struct deal_split[]){ { 0, 10000 } }, 1, "must be a person id", 0);
	for (int i = 0; i <= DEAL_MAX_SPLITS; i++)
		many[i] = (struct deal_split){ .person_id = i + 1, .percent = 1 };
	rejected(many, DEAL_MAX_SPLITS + 1, "at most 50 splits", -1);
}

static void
test_valid_edges(void **state)
{
	struct deal_split many[DEAL_MAX_SPLITS];
	const char *why = NULL;

	for (int i = 0; i < DEAL_MAX_SPLITS; i++)
		many[i] = (struct deal_split){ .person_id = DEAL_MAX_SPLITS - i, .percent = 200 };
	assert_int_equal(deal_splits_check(many, DEAL_MAX_SPLITS, &why, NULL), ST_OK);
	assert_int_equal(deal_splits_check(NULL, 0, &why, NULL), ST_OK);
	assert_int_equal(deal_splits_check((struct deal_split[]){ { 5, 10000 } }, 1, &why, NULL), ST_OK);
}

static void
test_negative_amount_is_invalid(void **state)
{
	struct deal_credit out[1];
	size_t n = SENTINEL;

	assert_int_equal(deal_credit_split(-1, 7, NULL, 0, out, &n), ST_INVALID);
	assert_int_equal(deal_credit_split(MONEY_MAX_CENTS + 1, 7, NULL, 0, out, &n), ST_INVALID);
	assert_int_equal(n, SENTINEL);
}

static void
test_sort(void **state)
{
	struct deal_split s[] = { { 30, 1 }, { 10, 2 }, { 20, 3 } };

	deal_splits_sort(s, 3);
	assert_int_equal(s[0].person_id, 10);
	assert_int_equal(s[0].percent, 2);
	assert_int_equal(s[1].person_id, 20);
	assert_int_equal(s[2].person_id, 30);
	deal_splits_sort(s, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_splits_credits_the_owner),
		cmocka_unit_test(test_exact_split),
		cmocka_unit_test(test_thirds_leftover_cent_goes_to_largest_remainder),
		cmocka_unit_test(test_ties_go_to_the_lower_person_id),
		cmocka_unit_test(test_tiny_percent_and_largest_amount),
		cmocka_unit_test(test_credits_always_sum_to_the_amount),
		cmocka_unit_test(test_invalid_splits),
		cmocka_unit_test(test_valid_edges),
		cmocka_unit_test(test_negative_amount_is_invalid),
		cmocka_unit_test(test_sort),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
