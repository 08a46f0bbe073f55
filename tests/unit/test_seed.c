/*
 * test_seed.c — the pure plan of the pipeline generator (internal/seed/plan):
 * the seasonal shape of a month, the counts of each kind of deal, the months
 * the closed deals fall in, the quarters that get quotas and the horizon of
 * the open pipeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar/calendar.h"
#include "seed/plan.h"

/* A date from its text; -1 (failing every check) when it is none. */
static cal_date
d(const char *s)
{
	cal_date v = -1;
	return cal_date_parse(s, &v) == ST_OK ? v : -1;
}

/* The plan of 1,000 deals at `today` for a fiscal year starting in fy_start. */
static void
plan_at(const char *today, int fy_start, struct seed_plan *pl)
{
	struct seed_params p = {.deals = 1000, .seed = 1, .today = d(today), .fy_start_month = fy_start};

	assert_int_equal(seed_plan_make(&p, pl), ST_OK);
}

/* The last month of a fiscal quarter weighs most, fiscal Q4 more than Q1, and later years more. */
static void
test_month_weight(void **state)
{
	(void)state;
	/* calendar fiscal year: Mar > Feb > Jan, Dec (Q4) > Mar (Q1) */
	assert_true(seed_month_weight(3, 1, 0) > seed_month_weight(2, 1, 0));
	assert_true(seed_month_weight(2, 1, 0) > seed_month_weight(1, 1, 0));
	assert_true(seed_month_weight(12, 1, 0) > seed_month_weight(3, 1, 0));
	assert_true(seed_month_weight(10, 1, 0) > seed_month_weight(1, 1, 0));
	/* a fiscal year from February: January is its last month (Q4's last) */
	assert_true(seed_month_weight(1, 2, 0) > seed_month_weight(12, 2, 0));
	assert_true(seed_month_weight(1, 2, 0) > seed_month_weight(4, 2, 0));
	assert_true(seed_month_weight(4, 2, 0) > seed_month_weight(2, 2, 0));
	/* growth: about 10 % a year, never below the first year */
	assert_true(seed_month_weight(5, 1, 2) > seed_month_weight(5, 1, 1));
	assert_true(seed_month_weight(5, 1, -1) == seed_month_weight(5, 1, 0));
	double w0 = seed_month_weight(5, 1, 0), w1 = seed_month_weight(5, 1, 1);
	assert_true(w1 / w0 > 1.09 && w1 / w0 < 1.11);
}

static void
test_counts(void **state)
{
	struct seed_plan pl;
	(void)state;

	for (long n = 1; n <= 100001; n += 7919) {
		struct seed_params p = {.deals = n, .seed = 1, .today = d("2026-12-06"), .fy_start_month = 1};
		assert_int_equal(seed_plan_make(&p, &pl), ST_OK);
		assert_int_equal(pl.closed + pl.open + pl.renewal, n);
		assert_true(pl.closed > 0);
	}
	struct seed_params p = {.deals = 10000000, .seed = 1, .today = d("2026-12-06"), .fy_start_month = 1};
	assert_int_equal(seed_plan_make(&p, &pl), ST_OK);
	assert_int_equal(pl.renewal, 1200000);
	assert_int_equal(pl.open, 1000000);
	assert_int_equal(pl.closed, 7800000);
}

/* No deals, or a fiscal year start that is no month: refused. */
static void
test_refused(void **state)
{
	struct seed_plan pl;
	struct seed_params p = {.deals = 0, .seed = 1, .today = d("2026-12-06"), .fy_start_month = 1};
	(void)state;

	assert_int_equal(seed_plan_make(&p, &pl), ST_INVALID);
	p.deals = 10;
	p.fy_start_month = 13;
	assert_int_equal(seed_plan_make(&p, &pl), ST_INVALID);
	p.fy_start_month = 0;
	assert_int_equal(seed_plan_make(&p, &pl), ST_INVALID);
}

/* The group's plan: 1,000 deals at 2026-12-06, calendar fiscal years. */
static int
plan_setup(void **state)
{
	static struct seed_plan pl;
	struct seed_params p = {.deals = 1000, .seed = 1, .today = d("2026-12-06"), .fy_start_month = 1};

	*state = &pl;
	return seed_plan_make(&p, &pl) == ST_OK ? 0 : -1;
}

/* The window is three years up to today; its months tile it; the shares climb from 0 below 1. */
static void
test_months(void **state)
{
	const struct seed_plan pl = *(const struct seed_plan *)*state;

	assert_int_equal(pl.first, d("2023-12-07"));
	assert_int_equal(pl.nmonths, 37);
	assert_int_equal(pl.months[0].first, d("2023-12-07"));
	assert_int_equal(pl.months[0].days, 25);
	assert_int_equal(pl.months[36].first, d("2026-12-01"));
	assert_int_equal(pl.months[36].days, 6);
	long days = 0;
	for (int i = 0; i < pl.nmonths; i++) {
		days += pl.months[i].days;
		if (i > 0) {
			assert_int_equal(pl.months[i].first, pl.months[i - 1].first + pl.months[i - 1].days);
			assert_true(pl.months[i].cum_before > pl.months[i - 1].cum_before);
		}
		assert_true(pl.months[i].cum_before >= 0 && pl.months[i].cum_before < 1);
	}
	assert_int_equal(days, d("2026-12-06") - d("2023-12-07") + 1);
	assert_true(pl.months[0].cum_before == 0);
	/* a leap day inside: 2024-02 has 29 days */
	assert_int_equal(pl.months[2].first, d("2024-02-01"));
	assert_int_equal(pl.months[2].days, 29);
	/* March (a quarter's last month) draws more deals than February of the same year */
	double feb = pl.months[3].cum_before - pl.months[2].cum_before;
	double mar = pl.months[4].cum_before - pl.months[3].cum_before;
	assert_true(mar > feb * 1.3);
}

/* Quotas: every quarter of every fiscal year from the window's first to the horizon's. */
static void
test_quarters(void **state)
{
	struct seed_plan pl = *(const struct seed_plan *)*state;

	assert_int_equal(pl.horizon, d("2027-06-30"));
	assert_int_equal(pl.nquarters, 20);
	assert_string_equal(pl.quarters[0].q.id, "FY2023-Q1");
	assert_string_equal(pl.quarters[0].year_id, "FY2023");
	assert_string_equal(pl.quarters[19].q.id, "FY2027-Q4");
	for (int i = 1; i < pl.nquarters; i++)
		assert_int_equal(pl.quarters[i].q.start, pl.quarters[i - 1].q.end + 1);
	/* Q4 is the biggest quarter of a year; later years are bigger */
	assert_true(pl.quarters[15].weight > pl.quarters[14].weight * 1.2);
	assert_true(pl.quarters[12].weight > pl.quarters[8].weight);
	/* the window's part: none of FY2023 but its last 25 days; all of FY2024; FY2026-Q4 up to today */
	assert_true(pl.quarters[0].covered == 0 && pl.quarters[2].covered == 0);
	assert_true(pl.quarters[3].covered > 0 && pl.quarters[3].covered < pl.quarters[3].weight * 0.4);
	for (int i = 4; i < 15; i++)
		assert_true(pl.quarters[i].covered == pl.quarters[i].weight);
	assert_true(pl.quarters[15].covered > pl.quarters[15].weight * 0.6);
	assert_true(pl.quarters[15].covered < pl.quarters[15].weight * 0.75);
	assert_true(pl.quarters[16].covered == 0);
	/* the covered weights are the months' */
	double cov = 0, months = 0;
	for (int i = 0; i < pl.nquarters; i++)
		cov += pl.quarters[i].covered;
	for (int i = 0; i < pl.nmonths; i++)
		months += pl.months[i].weight;
	assert_true(cov > months * 0.999999 && cov < months * 1.000001);

	/* a fiscal year from February, today in its Q4: the horizon runs into the next year's Q2 */
	plan_at("2026-12-06", 2, &pl);
	assert_int_equal(pl.horizon, d("2027-07-31"));
	assert_string_equal(pl.quarters[0].q.id, "FY2024-Q1");
	assert_int_equal(pl.quarters[0].q.start, d("2023-02-01"));
	assert_string_equal(pl.quarters[pl.nquarters - 1].q.id, "FY2028-Q4");
	assert_int_equal(pl.nquarters, 20);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_month_weight), cmocka_unit_test(test_counts),
	    cmocka_unit_test(test_refused),      cmocka_unit_test(test_months),
	    cmocka_unit_test(test_quarters),
	};
	return cmocka_run_group_tests(tests, plan_setup, NULL);
}
