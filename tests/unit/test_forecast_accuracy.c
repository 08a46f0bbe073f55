/*
 * test_forecast_accuracy.c — internal/forecast/accuracy: reading `at`, the
 * day a call is read at, which call stood then (adjustment over
 * submission, by the end of a day), and error, APE, WAPE, MAPE and bias on
 * hand-computed rows, missing rows counted apart.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "forecast/accuracy.h"

static void
test_at_parse(void **state)
{
	struct acc_at at;

	(void)state;
	assert_true(acc_at_parse("week:4", &at));
	assert_int_equal(at.unit, ACC_WEEK);
	assert_int_equal(at.n, 4);
	assert_true(acc_at_parse("day:366", &at));
	assert_int_equal(at.unit, ACC_DAY);
	assert_int_equal(at.n, 366);
	assert_true(acc_at_parse("week:53", &at));
	const char *bad[] = {"week:0",  "week:54", "day:367", "day:", "week:04",  "week:4x",
	                     "month:1", "week:-1", "",        "week", "day:1000", NULL};
	for (int i = 0; bad[i]; i++)
		assert_false(acc_at_parse(bad[i], &at));
	assert_false(acc_at_parse(NULL, &at));
	char buf[16];
	acc_at_format((struct acc_at){.unit = ACC_DAY, .n = 30}, buf, sizeof buf);
	assert_string_equal(buf, "day:30");
}

static void
test_at_day(void **state)
{
	struct period q;
	cal_date d;

	(void)state;
	assert_int_equal(period_parse("FY2025-Q1", 1, &q), ST_OK); /* 2025-01-01 .. 2025-03-31 */
	assert_int_equal(cal_date_parse("2025-01-28", &d), ST_OK);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_WEEK, 4}), d);
	assert_int_equal(cal_date_parse("2025-01-01", &d), ST_OK);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_DAY, 1}), d);
	/* past the end: the last day */
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_WEEK, 20}), q.end);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_DAY, 90}), q.end);
	assert_int_equal(acc_weeks(&q), 13); /* 90 days */
	assert_int_equal(period_parse("2025-02", 1, &q), ST_OK);
	assert_int_equal(acc_weeks(&q), 4);
	assert_int_equal(period_parse("2025-03", 1, &q), ST_OK);
	assert_int_equal(acc_weeks(&q), 5);
}

static void
test_standing(void **state)
{
	/* person 7, period 0: submission 100 on day 10, adjustment 80 on day 12, submission 120 on day 15 */
	const struct acc_call calls[] = {
	    {.scope_id = 7, .period = 0, .commit = 100, .day = 10, .id = 1},
	    {.team = true, .scope_id = 7, .period = 0, .commit = 999, .day = 1, .id = 2},
	    {.adjustment = true, .scope_id = 7, .period = 0, .commit = 80, .day = 12, .id = 3},
	    {.scope_id = 7, .period = 1, .commit = 555, .day = 5, .id = 4},
	    {.scope_id = 7, .period = 0, .commit = 120, .day = 15, .id = 5},
	};
	size_t n = sizeof calls / sizeof calls[0];

	(void)state;
	assert_null(acc_standing(calls, n, false, 7, 0, 9, true));
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 10, true)->commit,
	                 100); /* made that day counts */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 12, true)->commit, 80);
	/* a later submission does not replace the manager's layer */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 20, true)->commit, 80);
	/* who does not see adjustments: the owner's latest */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 12, false)->commit, 100);
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 20, false)->id, 5);
	assert_int_equal(acc_standing(calls, n, true, 7, 0, 20, true)->commit, 999);
	assert_int_equal(acc_standing(calls, n, false, 7, 1, 20, true)->commit, 555);
	assert_null(acc_standing(calls, n, false, 8, 0, 20, true));
}

static void
test_figures(void **state)
{
	struct acc_sum s = {0};
	int64_t c1 = 300000, c2 = 30000, v;
	double d;

	(void)state;
	/* actual 4,033.33 called 3,000 (raw 3,500); actual 283.83 called 300 (raw 250); one missing row */
	acc_add(&s, 403333, &c1, 350000);
	acc_add(&s, 28383, &c2, 25000);
	acc_add(&s, 40000, NULL, 1);
	assert_int_equal(s.rows, 3);
	assert_int_equal(s.called, 2);
	assert_int_equal(s.actual, 431716);
	assert_int_equal(s.call, 330000);
	assert_true(acc_wape_pct(&s, &d));
	assert_float_equal(d, (103333.0 + 1617.0) / 431716.0 * 100.0, 1e-9);
	assert_true(acc_mape_pct(&s, &d));
	assert_float_equal(d, (103333.0 / 403333.0 + 1617.0 / 28383.0) * 50.0, 1e-9);
	assert_true(acc_bias(&s, &v));
	assert_int_equal(v, 50858); /* (431716 - 330000) / 2 */
	assert_true(acc_bias_pct(&s, &d));
	assert_true(d > 0); /* more closed than called: sandbagging */
	assert_float_equal(d, 101716.0 / 330000.0 * 100.0, 1e-9);
	assert_true(acc_raw_wape_pct(&s, &d));
	assert_float_equal(d, (53333.0 + 3383.0) / 431716.0 * 100.0, 1e-9);
	assert_true(acc_raw_bias_pct(&s, &d));
	assert_float_equal(d, (431716.0 - 375000.0) / 375000.0 * 100.0, 1e-9);
	assert_true(acc_ape_pct(28383, 30000, &d));
	assert_float_equal(d, 1617.0 / 28383.0 * 100.0, 1e-9);
	assert_false(acc_ape_pct(0, 5, &d));

	/* over-calling: negative bias; the mean miss rounds half away from zero */
	struct acc_sum o = {0};
	int64_t c3 = 101, c4 = 100;
	acc_add(&o, 100, &c3, 0);
	acc_add(&o, 100, &c4, 0);
	assert_true(acc_bias(&o, &v));
	assert_int_equal(v, -1); /* -0.5 */
	assert_true(acc_bias_pct(&o, &d) && d < 0);

	/* nothing called: nothing computed */
	struct acc_sum none = {0};
	acc_add(&none, 100, NULL, 50);
	assert_false(acc_wape_pct(&none, &d));
	assert_false(acc_mape_pct(&none, &d));
	assert_false(acc_bias(&none, &v));
	assert_false(acc_bias_pct(&none, &d));
	assert_false(acc_raw_wape_pct(&none, &d));
	/* called, but nothing closed: WAPE over zero */
	struct acc_sum zero = {0};
	acc_add(&zero, 0, &c4, 0);
	assert_false(acc_wape_pct(&zero, &d));
	assert_false(acc_mape_pct(&zero, &d));
	assert_true(acc_bias_pct(&zero, &d));
	assert_float_equal(d, -100.0, 1e-9);
}

static void
test_bias_adjust(void **state)
{
	struct acc_sum s = {0};
	int64_t c1 = 300000, c2 = 100000, v;

	(void)state;
	acc_add(&s, 403333, &c1, 0);
	assert_false(acc_bias_adjust(&s, 2, 200000, &v)); /* one period: too few */
	assert_true(acc_bias_adjust(&s, 1, 200000, &v));
	acc_add(&s, 0, &c2, 0);
	/* 2,000 x 4,033.33 / 4,000 = 2,016.665 -> 2,016.67 */
	assert_true(acc_bias_adjust(&s, 2, 200000, &v));
	assert_int_equal(v, 201667);
	struct acc_sum z = {0};
	int64_t zc = 0;
	acc_add(&z, 100, &zc, 0);
	acc_add(&z, 100, &zc, 0);
	assert_false(acc_bias_adjust(&z, 2, 5, &v)); /* the calls sum to 0 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_at_parse),    cmocka_unit_test(test_at_day),
	    cmocka_unit_test(test_standing),    cmocka_unit_test(test_figures),
	    cmocka_unit_test(test_bias_adjust),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
