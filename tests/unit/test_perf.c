/*
 * test_perf.c — the figures of performance (internal/perf/formulas): every
 * formula with its edges (zero quota, no deals, a period not yet started or
 * over, leap days, seasonal shapes, amounts near the maximum, halves), the
 * split credit feeding them, and the attainment distribution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar/calendar.h"
#include "core/money.h"
#include "deals/credit.h"
#include "perf/formulas.h"

#define assert_defined(val, want)                                                                            \
	do {                                                                                                 \
		struct perf_value v_ = (val);                                                                \
		if (!v_.defined)                                                                             \
			fail_msg("%s is null, want %lld", #val, (long long)(want));                          \
		if (v_.v != (want))                                                                          \
			fail_msg("%s is %lld, want %lld", #val, (long long)v_.v, (long long)(want));         \
	} while (0)

#define assert_undefined(val)                                                                                \
	do {                                                                                                 \
		struct perf_value v_ = (val);                                                                \
		if (v_.defined)                                                                              \
			fail_msg("%s is %lld, want null", #val, (long long)v_.v);                            \
	} while (0)

#define W PERF_DEAL_WEIGHT /* a whole deal */

static cal_date
d(const char *s)
{
	cal_date v = 0;

	assert_int_equal(cal_date_parse(s, &v), ST_OK);
	return v;
}

/* A period by id (fiscal year = calendar year). */
static struct period
period(const char *id)
{
	struct period p;

	assert_int_equal(period_parse(id, 1, &p), ST_OK);
	return p;
}

/* Inputs over `id` as of `as_of` with effective quota eq and achieved a, nothing else. */
static struct perf_inputs
inputs(const char *id, const char *as_of, int64_t eq, int64_t a)
{
	struct period p = period(id);

	return (struct perf_inputs){
	    .start = p.start, .end = p.end, .as_of = d(as_of), .effective_quota = eq, .achieved = a};
}

static struct perf_figures
compute(const struct perf_inputs *in)
{
	struct perf_figures f;

	assert_int_equal(perf_compute(in, &f), ST_OK);
	return f;
}

/* July 2026, as of the 10th: a quota of 100,000.00 and a quarter of it won. */
static const struct perf_stage july_stages[] = {{4000000, 2000}, {5000000, 5000}, {3000000, 8000}};
static const struct perf_cycle july_cycles[] = {{30, W}, {10, W}, {20, W}, {45, W}, {15, W}};

static struct perf_inputs
july(void)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 10000000, 2500000);

	in.won_count = 500; /* 5 deals */
	in.won_amount = 2500000;
	in.lost_count = 300;
	in.lost_amount = 1500000;
	in.open_pipeline = 12000000;
	in.open_count = 1200;
	in.renewal_won_count = 100;
	in.renewal_lost_count = 100;
	in.expansion_won_amount = 500000;
	in.stages = july_stages;
	in.nstages = 3;
	in.cycles = july_cycles;
	in.ncycles = 5;
	return in;
}

static void
test_typical_month(void **state)
{
	struct perf_inputs in = july();
	struct perf_figures f = compute(&in);

	(void)state;
	assert_int_equal(f.period_days, 31);
	assert_int_equal(f.elapsed_days, 10);
	assert_defined(f.attainment_pct, 2500);
	assert_int_equal(f.gap, 7500000);
	assert_defined(f.expected_linear, 3225806); /* 100,000.00 × 10 / 31 = 32,258.0645 */
	assert_defined(f.pace_linear_pct, 7750);    /* 25,000 / 32,258.06 = 77.500014 % */
	assert_undefined(f.expected_seasonal);      /* no weights */
	assert_undefined(f.pace_seasonal_pct);
	assert_undefined(f.projection_seasonal);
	assert_defined(f.projection_linear, 7750000); /* 25,000 × 31 / 10 */
	assert_defined(f.projection_pipeline, 2500000 + 800000 + 2500000 + 2400000);
	assert_defined(f.pipeline_needed, 12000000); /* 75,000 at a value win rate of 62.5 % */
	assert_defined(f.coverage, 160);             /* 120,000 / 75,000 */
	assert_defined(f.win_rate_count_pct, 6250);
	assert_defined(f.win_rate_value_pct, 6250);
	assert_defined(f.avg_deal_size, 500000);
	assert_defined(f.avg_cycle_days, 2400);
	assert_defined(f.median_cycle_days, 2000); /* 10 15 [20] 30 45 */
	assert_defined(f.velocity, 156250);        /* 12 deals × 62.5 % × 5,000.00 / 24 days */
	assert_defined(f.renewal_rate_pct, 5000);
	assert_defined(f.expansion_share_pct, 2000);
}

static void
test_zero_quota(void **state)
{
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.effective_quota = 0;
	f = compute(&in);
	assert_undefined(f.attainment_pct);
	assert_int_equal(f.gap, -2500000); /* over a zero quota by all that was won */
	assert_defined(f.expected_linear, 0);
	assert_undefined(f.pace_linear_pct);
	assert_undefined(f.coverage); /* nothing remains */
	assert_defined(f.pipeline_needed, 0);
	assert_defined(f.projection_linear, 7750000); /* the projections do not need a quota */

	in = inputs("2026-07", "2026-07-10", 0, 0);
	f = compute(&in);
	assert_undefined(f.attainment_pct);
	assert_int_equal(f.gap, 0);
	assert_defined(f.pipeline_needed, 0);
	assert_undefined(f.coverage);
}

static void
test_no_deals(void **state)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 10000000, 0);
	struct perf_figures f = compute(&in);

	(void)state;
	assert_defined(f.attainment_pct, 0);
	assert_int_equal(f.gap, 10000000);
	assert_defined(f.pace_linear_pct, 0);
	assert_defined(f.projection_linear, 0);
	assert_defined(f.projection_pipeline, 0);
	assert_undefined(f.pipeline_needed); /* no win rate to convert at */
	assert_defined(f.coverage, 0);
	assert_undefined(f.win_rate_count_pct);
	assert_undefined(f.win_rate_value_pct);
	assert_undefined(f.avg_deal_size);
	assert_undefined(f.avg_cycle_days);
	assert_undefined(f.median_cycle_days);
	assert_undefined(f.velocity);
	assert_undefined(f.renewal_rate_pct);
	assert_undefined(f.expansion_share_pct);
}

static void
test_as_of_before_first_deal(void **state)
{
	/* deals will close later in the month: as of the 3rd nothing is won yet */
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.as_of = d("2026-07-03");
	in.achieved = in.won_count = in.won_amount = in.lost_count = in.lost_amount = 0;
	in.renewal_won_count = in.renewal_lost_count = in.expansion_won_amount = 0;
	in.ncycles = 0;
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 3);
	assert_defined(f.attainment_pct, 0);
	assert_defined(f.expected_linear, 967742); /* 100,000.00 × 3 / 31 = 9,677.419 */
	assert_defined(f.pace_linear_pct, 0);
	assert_defined(f.projection_linear, 0);
	assert_defined(f.projection_pipeline, 800000 + 2500000 + 2400000);
	assert_defined(f.coverage, 120);
	assert_undefined(f.velocity); /* open deals but no win rate yet */
}

static void
test_period_not_started(void **state)
{
	struct perf_weight w[] = {{d("2026-07-31"), 1}};
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.as_of = d("2026-06-30");
	in.achieved = 0;
	in.weights = w;
	in.nweights = 1;
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 0);
	assert_defined(f.expected_linear, 0);
	assert_undefined(f.pace_linear_pct);
	assert_undefined(f.projection_linear);
	assert_defined(f.expected_seasonal, 0);
	assert_undefined(f.pace_seasonal_pct);
	assert_undefined(f.projection_seasonal);
	assert_defined(f.attainment_pct, 0);
	assert_defined(f.coverage, 120);

	in.as_of = d("1990-01-01"); /* long before */
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 0);
}

static void
test_period_over(void **state)
{
	struct perf_weight w[] = {{d("2026-07-15"), 9}, {d("2026-07-31"), 1}};
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.weights = w;
	in.nweights = 2;
	for (int i = 0; i < 2; i++) {
		in.as_of = i == 0 ? d("2026-08-01") : d("2031-12-31");
		f = compute(&in);
		assert_int_equal(f.elapsed_days, 31);
		assert_defined(f.expected_linear, 10000000);
		assert_defined(f.expected_seasonal, 10000000);
		assert_defined(f.pace_linear_pct, 2500);
		assert_defined(f.pace_seasonal_pct, 2500);
		assert_defined(f.projection_linear, 2500000); /* over: the projection is what was won */
		assert_defined(f.projection_seasonal, 2500000);
	}
}

static void
test_as_of_on_start_and_end(void **state)
{
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.as_of = in.start;
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 1);
	assert_defined(f.expected_linear, 322581); /* 100,000.00 / 31 = 3,225.806 */
	assert_defined(f.projection_linear, 77500000);

	in.as_of = in.end;
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 31);
	assert_defined(f.expected_linear, 10000000);
	assert_defined(f.projection_linear, 2500000);

	/* a one-day period */
	in.start = in.end;
	f = compute(&in);
	assert_int_equal(f.period_days, 1);
	assert_int_equal(f.elapsed_days, 1);
}

static void
test_leap_day(void **state)
{
	struct perf_inputs in = inputs("2028-02", "2028-02-28", 2900, 0);
	struct perf_figures f = compute(&in);

	(void)state;
	assert_int_equal(f.period_days, 29);
	assert_int_equal(f.elapsed_days, 28);
	assert_defined(f.expected_linear, 2800);
	in.as_of = d("2028-02-29");
	f = compute(&in);
	assert_int_equal(f.elapsed_days, 29);
	assert_defined(f.expected_linear, 2900);
	in = inputs("2027-02", "2027-02-28", 2900, 0);
	f = compute(&in);
	assert_int_equal(f.period_days, 28);
	assert_defined(f.expected_linear, 2900);

	/* Q1 2028 has 31 + 29 + 31 = 91 days; on Feb 29, 60 of them are over */
	in = inputs("FY2028-Q1", "2028-02-29", 1000000, 400000);
	f = compute(&in);
	assert_int_equal(f.period_days, 91);
	assert_int_equal(f.elapsed_days, 60);
	assert_defined(f.expected_linear, 659341);   /* 659,340.66 */
	assert_defined(f.projection_linear, 606667); /* 400,000 × 91 / 60 = 606,666.67 */
}

/* Monthly weights 2 / 3 / 5 over Q1 2028 (a leap February). */
static void
quarter_weights(struct perf_weight *w, const int64_t *weight)
{
	struct period q = period("FY2028-Q1"), m[3];

	int n = 0;
	assert_int_equal(period_children(&q, GRAIN_MONTH, 1, m, 3, &n), ST_OK);
	assert_int_equal(n, 3);
	for (int i = 0; i < 3; i++)
		w[i] = (struct perf_weight){m[i].end, weight[i]};
}

static void
test_seasonal_monthly(void **state)
{
	struct perf_weight w[3];
	struct perf_inputs in = inputs("FY2028-Q1", "2028-02-29", 1000000, 400000);
	struct perf_figures f;

	(void)state;
	quarter_weights(w, (int64_t[]){2, 3, 5});
	in.weights = w;
	in.nweights = 3;
	f = compute(&in); /* January and February over: half of the weight */
	assert_defined(f.expected_seasonal, 500000);
	assert_defined(f.pace_seasonal_pct, 8000);
	assert_defined(f.projection_seasonal, 800000);

	in.as_of = d("2028-02-28"); /* 28 of February's 29 days: (2 × 29 + 3 × 28) / (10 × 29) */
	f = compute(&in);
	assert_defined(f.expected_seasonal, 489655);   /* 489,655.17 */
	assert_defined(f.pace_seasonal_pct, 8169);     /* 400,000 / 489,655 = 81.689 % */
	assert_defined(f.projection_seasonal, 816901); /* 400,000 × 290 / 142 = 816,901.41 */

	in.as_of = d("2028-03-01"); /* (5 × 31 + 5 × 1) / (10 × 31) */
	f = compute(&in);
	assert_defined(f.expected_seasonal, 516129);

	in.as_of = d("2028-01-01"); /* the first day: 1/31 of January's 2/10 */
	f = compute(&in);
	assert_defined(f.expected_seasonal, 6452); /* 1,000,000 × 2 / 310 = 6,451.6 */
}

static void
test_seasonal_zero_weights(void **state)
{
	struct perf_weight w[3];
	struct perf_inputs in = inputs("FY2028-Q1", "2028-02-15", 1000000, 400000);
	struct perf_figures f;

	(void)state;
	quarter_weights(w, (int64_t[]){0, 0, 0});
	in.weights = w;
	in.nweights = 3;
	f = compute(&in); /* no shape at all: no seasonal figures, the linear ones stand */
	assert_undefined(f.expected_seasonal);
	assert_undefined(f.pace_seasonal_pct);
	assert_undefined(f.projection_seasonal);
	assert_defined(f.expected_linear, 505495); /* 46 of 91 days */

	quarter_weights(w, (int64_t[]){0, 0, 7});
	f = compute(&in); /* everything expected in March: nothing yet */
	assert_defined(f.expected_seasonal, 0);
	assert_undefined(f.pace_seasonal_pct);
	assert_undefined(f.projection_seasonal);
	in.as_of = d("2028-03-31");
	f = compute(&in);
	assert_defined(f.expected_seasonal, 1000000);
	assert_defined(f.projection_seasonal, 400000);
}

static void
test_seasonal_daily_weights(void **state)
{
	/* one week, one part a day, the weekend heavier: as of Wednesday 3 of 15 */
	struct perf_weight w[7];
	struct perf_inputs in = {.start = d("2026-07-06"), .end = d("2026-07-12"), .as_of = d("2026-07-08")};
	struct perf_figures f;

	(void)state;
	for (int i = 0; i < 7; i++)
		w[i] = (struct perf_weight){in.start + i, i < 5 ? 1 : 5};
	in.weights = w;
	in.nweights = 7;
	in.effective_quota = 1000;
	in.achieved = 100;
	f = compute(&in);
	assert_defined(f.expected_seasonal, 200);
	assert_defined(f.pace_seasonal_pct, 5000);
	assert_defined(f.projection_seasonal, 500);
	assert_defined(f.expected_linear, 429); /* 3/7 = 428.57 */
}

static void
test_seasonal_weights_must_tile_the_period(void **state)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 1000, 0);
	struct perf_figures f;
	struct perf_weight ok[] = {{d("2026-07-15"), 1}, {d("2026-07-31"), 1}};
	struct perf_weight bad[][2] = {
	    {{d("2026-07-31"), 1}, {d("2026-07-31"), 1}},                   /* not increasing */
	    {{d("2026-07-20"), 1}, {d("2026-07-15"), 1}},                   /* backwards */
	    {{d("2026-07-15"), 1}, {d("2026-07-30"), 1}},                   /* stops short of the end */
	    {{d("2026-07-15"), 1}, {d("2026-08-01"), 1}},                   /* beyond the end */
	    {{d("2026-06-30"), 1}, {d("2026-07-31"), 1}},                   /* a part before the start */
	    {{d("2026-07-15"), -1}, {d("2026-07-31"), 2}},                  /* negative */
	    {{d("2026-07-15"), PERF_MAX_WEIGHT_SUM}, {d("2026-07-31"), 1}}, /* sum too large */
	    {{d("2026-07-15"), INT64_MAX}, {d("2026-07-31"), INT64_MAX}},   /* would overflow */
	};

	(void)state;
	in.weights = ok;
	in.nweights = 2;
	assert_int_equal(perf_compute(&in, &f), ST_OK);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		in.weights = bad[i];
		if (perf_compute(&in, &f) != ST_INVALID)
			fail_msg("weights %zu accepted", i);
	}
	in.weights = NULL;
	assert_int_equal(perf_compute(&in, &f), ST_INVALID);
	in.nweights = 0;
	assert_int_equal(perf_compute(&in, &f), ST_OK);
	ok[0].weight = PERF_MAX_WEIGHT_SUM - 1; /* the sum may reach the bound exactly */
	in.weights = ok;
	in.nweights = 2;
	assert_int_equal(perf_compute(&in, &f), ST_OK);
	assert_defined(f.expected_seasonal, 667); /* 10/15 of the first part = 666.67 */
}

static void
test_rounding_halves(void **state)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 20000, 1);
	struct perf_figures f;
	static const struct perf_cycle cycles[] = {{1, W}, {0, W}, {0, W}, {0, W}, {0, W}, {0, W}, {0, W}, {0, W}};
	static const struct perf_cycle pair[] = {{2, W}, {1, W}};

	(void)state;
	f = compute(&in);
	assert_defined(f.attainment_pct, 1); /* 0.005 % -> 0.01 % */
	in.achieved = 3;
	assert_defined(compute(&in).attainment_pct, 2); /* 0.015 % -> 0.02 % */
	in.effective_quota = 40000;
	in.achieved = 1;
	assert_defined(compute(&in).attainment_pct, 0); /* 0.0025 % -> 0.00 % */
	in.effective_quota = 80000;
	in.achieved = 1;
	assert_defined(compute(&in).attainment_pct, 0); /* 0.00125 % */

	/* half a cent of expected to date: a 1-cent quota over 2 days, as of the first */
	in = (struct perf_inputs){.start = d("2026-07-01"), .end = d("2026-07-02"), .as_of = d("2026-07-01")};
	in.effective_quota = 1;
	assert_defined(compute(&in).expected_linear, 1);
	in.effective_quota = 3;
	assert_defined(compute(&in).expected_linear, 2); /* 1.5 */

	/* avg deal size: 1 cent over 2 deals, 3 cents over 2 deals */
	in.won_count = 200;
	in.won_amount = 1;
	assert_defined(compute(&in).avg_deal_size, 1);
	in.won_amount = 3;
	assert_defined(compute(&in).avg_deal_size, 2);
	in.won_amount = 5; /* 2.5 cents */
	assert_defined(compute(&in).avg_deal_size, 3);

	/* win rate 1 of 8 = 12.5 %, 1 of 16 = 6.25 %, 1 of 32 = 3.125 % -> 3.13 % */
	in.won_count = 100;
	in.lost_count = 3100;
	assert_defined(compute(&in).win_rate_count_pct, 313);
	in.lost_count = 700;
	assert_defined(compute(&in).win_rate_count_pct, 1250);

	/* cycles: a mean of 1/8 day = 0.125 -> 0.13, a median of 1.5 days */
	in.cycles = cycles;
	in.ncycles = 8;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 13);
	assert_defined(f.median_cycle_days, 0);
	in.cycles = pair;
	in.ncycles = 2;
	assert_defined(compute(&in).median_cycle_days, 150);

	/* coverage 1/200 = 0.005 -> 0.01; 1/400 -> 0.00 */
	in.effective_quota = 200;
	in.achieved = 0;
	in.open_pipeline = 1;
	assert_defined(compute(&in).coverage, 1);
	in.effective_quota = 400;
	assert_defined(compute(&in).coverage, 0);
}

static void
test_pipeline_conversion_rounds_once(void **state)
{
	/* each stage alone would give 0.5 cent; rounded once, the sum is 1 cent, not 2 */
	static const struct perf_stage halves[] = {{1, 5000}, {1, 5000}};
	static const struct perf_stage thirds[] = {{1, 3333}, {1, 3333}, {1, 3334}};
	static const struct perf_stage edges[] = {{1000, 0}, {1000, 10000}};
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 100, 10);

	(void)state;
	in.stages = halves;
	in.nstages = 2;
	assert_defined(compute(&in).projection_pipeline, 11);
	in.stages = thirds;
	in.nstages = 3;
	assert_defined(compute(&in).projection_pipeline, 11);
	in.stages = edges;
	in.nstages = 2;
	assert_defined(compute(&in).projection_pipeline, 1010);
	in.nstages = 0;
	assert_defined(compute(&in).projection_pipeline, 10);
}

static void
test_pipeline_needed_and_coverage(void **state)
{
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.won_amount = 1000000;
	in.lost_amount = 3000000; /* a value win rate of 25 % */
	in.expansion_won_amount = 0;
	f = compute(&in);
	assert_defined(f.win_rate_value_pct, 2500);
	assert_defined(f.pipeline_needed, 30000000); /* 4 × the 75,000.00 gap */

	in.lost_amount = 2000000; /* 1/3: 75,000 × 3 */
	assert_defined(compute(&in).pipeline_needed, 22500000);

	in.achieved = in.effective_quota; /* exactly at quota */
	f = compute(&in);
	assert_int_equal(f.gap, 0);
	assert_defined(f.pipeline_needed, 0);
	assert_undefined(f.coverage);
	assert_defined(f.attainment_pct, 10000);

	in.achieved = in.effective_quota + 1234567; /* over quota: a negative gap, nothing needed */
	f = compute(&in);
	assert_int_equal(f.gap, -1234567);
	assert_defined(f.pipeline_needed, 0);
	assert_undefined(f.coverage);
	assert_defined(f.attainment_pct, 11235); /* 112.34567 % */

	in.achieved = 0; /* lost everything: nothing can be converted */
	in.won_amount = in.won_count = in.renewal_won_count = 0;
	f = compute(&in);
	assert_defined(f.win_rate_value_pct, 0);
	assert_undefined(f.pipeline_needed);
	assert_defined(f.coverage, 120);
}

static void
test_win_rates_and_averages(void **state)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 1000, 0);
	struct perf_figures f;

	(void)state;
	in.won_count = 233; /* 2.33 deals credited (splits) against 1 lost */
	in.lost_count = 100;
	in.won_amount = 1000000;
	in.lost_amount = 0;
	f = compute(&in);
	assert_defined(f.win_rate_count_pct, 6997); /* 69.969 % */
	assert_defined(f.win_rate_value_pct, 10000);
	assert_defined(f.avg_deal_size, 429185); /* 10,000.00 / 2.33 = 4,291.845 */

	in.won_count = 0; /* lost only */
	in.won_amount = 0;
	in.lost_amount = 500;
	f = compute(&in);
	assert_defined(f.win_rate_count_pct, 0);
	assert_defined(f.win_rate_value_pct, 0);
	assert_undefined(f.avg_deal_size);

	in.won_count = 100; /* deals closed at zero amounts: a count rate but no value rate */
	in.lost_count = 100;
	in.lost_amount = 0;
	f = compute(&in);
	assert_defined(f.win_rate_count_pct, 5000);
	assert_undefined(f.win_rate_value_pct);
	assert_defined(f.avg_deal_size, 0);
}

static void
test_cycles(void **state)
{
	static const struct perf_cycle odd[] = {{90, W}, {7, W}, {7, W}, {30, W}, {1000, W}};
	static const struct perf_cycle even[] = {{40, W}, {10, W}, {30, W}, {20, W}};
	static const struct perf_cycle one[] = {{17, W}};
	static const struct perf_cycle zero[] = {{0, W}, {0, W}};
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.cycles = odd;
	in.ncycles = 5;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 22680);   /* 1134 / 5 */
	assert_defined(f.median_cycle_days, 3000); /* 7 7 [30] 90 1000: not pulled by the outlier */
	assert_int_equal(odd[0].days, 90);             /* the input is not reordered */
	in.cycles = even;
	in.ncycles = 4;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 2500);
	assert_defined(f.median_cycle_days, 2500);
	in.cycles = one;
	in.ncycles = 1;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 1700);
	assert_defined(f.median_cycle_days, 1700);
	in.cycles = zero; /* won the day they were created: no velocity */
	in.ncycles = 2;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 0);
	assert_defined(f.median_cycle_days, 0);
	assert_undefined(f.velocity);
}

static void
test_weighted_cycles(void **state)
{
	/* a third of a 39-day deal beside a whole 18-day one: (18 + 39/3) / (4/3) = 23.25 */
	static const struct perf_cycle third[] = {{39, 3333}, {18, W}};
	/* weights 1/4, 1/4, 1/2: the running weight reaches half exactly at 20, passes it at 30 */
	static const struct perf_cycle halves[] = {{30, 5000}, {10, 2500}, {20, 2500}};
	static const struct perf_cycle none[] = {{12, 0}};
	static const struct perf_cycle heavy[] = {{1, PERF_MAX_CYCLE_WEIGHT + 1}};
	static const struct perf_cycle many[] = {{10, 3 * W}, {40, W}}; /* three 10-day deals and one of 40 */
	struct perf_inputs in = july();
	struct perf_figures f;

	(void)state;
	in.cycles = third;
	in.ncycles = 2;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 2325); /* (18 × 10000 + 39 × 3333) / 13333 = 23.2494 */
	assert_defined(f.median_cycle_days, 1800);
	in.cycles = halves;
	in.ncycles = 3;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 2250);
	assert_defined(f.median_cycle_days, 2500);
	in.cycles = none; /* weighing nothing: no cycle figures */
	in.ncycles = 1;
	f = compute(&in);
	assert_undefined(f.avg_cycle_days);
	assert_undefined(f.median_cycle_days);
	assert_undefined(f.velocity);
	in.cycles = many;
	in.ncycles = 2;
	f = compute(&in);
	assert_defined(f.avg_cycle_days, 1750);
	assert_defined(f.median_cycle_days, 1000);
	in.cycles = heavy; /* beyond any count */
	in.ncycles = 1;
	struct perf_figures g;
	assert_int_equal(perf_compute(&in, &g), ST_INVALID);
}

static void
test_velocity(void **state)
{
	static const struct perf_cycle cycles[] = {{10, W}, {20, W}, {30, W}};
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 1000, 0);
	struct perf_figures f;

	(void)state;
	in.open_count = 1000; /* 10 open deals */
	in.won_count = 300;
	in.lost_count = 100;     /* 75 % */
	in.won_amount = 3000000; /* 10,000.00 a deal */
	in.cycles = cycles;
	in.ncycles = 3;
	f = compute(&in);
	assert_defined(f.velocity, 375000); /* 10 × 0.75 × 10,000.00 / 20 days = 3,750.00 a day */

	in.open_count = 0;
	assert_defined(compute(&in).velocity, 0);
	in.open_count = 1000;

	in.cycles = (const struct perf_cycle[]){{1, W}, {2, W}, {2, W}}; /* a mean of 5/3 day, exact: 10 × 0.75 × 10,000 × 3/5 */
	assert_defined(compute(&in).velocity, 4500000);

	in.ncycles = 0;
	assert_undefined(compute(&in).velocity);
	in.ncycles = 3;
	in.won_count = in.won_amount = 0;
	assert_undefined(compute(&in).velocity); /* no avg deal size */
	in.lost_count = 0;
	assert_undefined(compute(&in).velocity); /* no win rate */
}

static void
test_renewal_and_expansion(void **state)
{
	struct perf_inputs in = inputs("2026-07", "2026-07-10", 1000, 0);
	struct perf_figures f;

	(void)state;
	in.won_count = 1000;
	in.lost_count = 500;
	in.won_amount = 900000;
	in.renewal_won_count = 200;
	in.renewal_lost_count = 100;
	in.expansion_won_amount = 300000;
	f = compute(&in);
	assert_defined(f.renewal_rate_pct, 6667); /* 2 of 3 */
	assert_defined(f.expansion_share_pct, 3333);
	in.renewal_won_count = 0;
	assert_defined(compute(&in).renewal_rate_pct, 0);
	in.renewal_lost_count = 0;
	assert_undefined(compute(&in).renewal_rate_pct);
	in.expansion_won_amount = in.won_amount;
	assert_defined(compute(&in).expansion_share_pct, 10000);
	in.expansion_won_amount = in.won_amount = 0;
	assert_undefined(compute(&in).expansion_share_pct);
}

static void
test_near_maximum(void **state)
{
	/* a leap fiscal year of 1e16 (a hundred times the largest amount), as of Dec 30 */
	struct perf_weight w[12];
	struct period y = period("FY2028"), m[12];
	static const struct perf_stage stages[] = {{500000000000000LL, 9999}, {499999999999999LL, 1}};
	static const struct perf_cycle cycles[] = {{PERF_MAX_CYCLE_DAYS, W}, {PERF_MAX_CYCLE_DAYS, W}, {1, W}};
	struct perf_inputs in = inputs("FY2028", "2028-12-30", PERF_MAX_AMOUNT, 9000000000000001LL);
	struct perf_figures f;

	(void)state;
	int n = 0;
	assert_int_equal(period_children(&y, GRAIN_MONTH, 1, m, 12, &n), ST_OK);
	assert_int_equal(n, 12);
	for (int i = 0; i < 12; i++)
		w[i] = (struct perf_weight){m[i].end, 83333333333333333LL}; /* sum just below 1e18 */
	in.weights = w;
	in.nweights = 12;
	in.stages = stages;
	in.nstages = 2;
	in.open_pipeline = in.won_amount = in.lost_amount = PERF_MAX_AMOUNT;
	in.open_count = in.won_count = in.lost_count = PERF_MAX_COUNT;
	in.cycles = cycles;
	in.ncycles = 3;
	f = compute(&in);
	assert_int_equal(f.period_days, 366);
	assert_int_equal(f.elapsed_days, 365);
	assert_defined(f.attainment_pct, 9000);
	assert_int_equal(f.gap, 999999999999999LL);
	assert_defined(f.expected_linear, 9972677595628415LL);
	assert_defined(f.pace_linear_pct, 9025);
	assert_defined(f.projection_linear, 9024657534246576LL);
	assert_defined(f.expected_seasonal, 9973118279569892LL); /* 371/372 of the weight */
	assert_defined(f.pace_seasonal_pct, 9024);
	assert_defined(f.projection_seasonal, 9024258760107818LL);
	assert_defined(f.projection_pipeline, 9500000000000001LL);
	assert_defined(f.pipeline_needed, 1999999999999998LL);
	assert_defined(f.coverage, 1000);
	assert_defined(f.avg_deal_size, 1000000);
	assert_defined(f.avg_cycle_days, 200000033);
	assert_defined(f.median_cycle_days, 300000000);
	assert_defined(f.velocity, 2499999583LL);

	/* the largest single amount as a quota, a hair's breadth from it achieved */
	in = inputs("2026-07", "2026-07-31", MONEY_MAX_CENTS, MONEY_MAX_CENTS - 1);
	f = compute(&in);
	assert_defined(f.attainment_pct, 10000); /* 99.99999999999999 % */
	assert_int_equal(f.gap, 1);

	/* figures beyond int64 are null, not wrapped */
	in = inputs("2026-07", "2026-07-31", 1, PERF_MAX_AMOUNT);
	f = compute(&in);
	assert_undefined(f.attainment_pct); /* 1e20 hundredths of a percent */
	assert_defined(f.projection_linear, PERF_MAX_AMOUNT);
	in.effective_quota = PERF_MAX_AMOUNT;
	in.achieved = 0;
	in.won_amount = 1;
	in.lost_amount = PERF_MAX_AMOUNT;
	assert_undefined(compute(&in).pipeline_needed); /* 1e16 × (1e16 + 1) */
}

static void
test_three_way_split(void **state)
{
	/*
	 * A deal of 100.00 split three ways: the credits of THE rule
	 * (deals/credit.h) feed each seller's figures. A third of a deal is
	 * credited as 0.33 deal (hundredths), so its average deal size reads
	 * 101.00 and 101.03, not 100.00.
	 */
	struct deal_split splits[] = {{11, 3333}, {12, 3333}, {13, 3334}};
	struct deal_credit c[3];
	size_t n = 0;
	int64_t team = 0;
	static const int64_t want_cents[] = {3333, 3333, 3334};
	static const int64_t want_avg[] = {10100, 10100, 10103};

	(void)state;
	assert_int_equal(deal_credit_split(10000, 11, splits, 3, c, &n), ST_OK);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		struct perf_inputs in = inputs("2026-07", "2026-07-31", 10000, c[i].cents);
		struct perf_figures f;

		in.won_amount = c[i].cents;
		in.won_count = c[i].percent / 100; /* hundredths of a percent -> hundredths of a deal */
		f = compute(&in);
		assert_int_equal(c[i].cents, want_cents[i]);
		assert_defined(f.attainment_pct, want_cents[i]); /* against a 100.00 quota each */
		assert_defined(f.avg_deal_size, want_avg[i]);
		team += c[i].cents;
	}
	assert_int_equal(team, 10000);

	/* cents that do not divide: 1.00 three ways is 33 + 33 + 34 cents, the odd one to 13 */
	assert_int_equal(deal_credit_split(100, 11, splits, 3, c, &n), ST_OK);
	assert_int_equal(c[0].cents + c[1].cents + c[2].cents, 100);
	assert_int_equal(c[2].cents, 34);
	{
		struct perf_inputs in = inputs("2026-07", "2026-07-31", 100, c[2].cents);
		struct perf_figures f;

		in.won_amount = c[2].cents;
		in.won_count = 33;
		f = compute(&in);
		assert_defined(f.attainment_pct, 3400);
		assert_defined(f.avg_deal_size, 103); /* 34 / 0.33 = 103.03 */
	}
}

static void
test_invalid_inputs(void **state)
{
	struct perf_figures f, sentinel;
	struct perf_inputs in;
	struct perf_stage bad_rate[] = {{1, 10001}}, neg_stage[] = {{-1, 100}};
	struct perf_stage too_much[] = {{PERF_MAX_AMOUNT, 100}, {1, 100}};
	struct perf_cycle neg_cycle[] = {{10, W}, {-1, W}}, long_cycle[] = {{PERF_MAX_CYCLE_DAYS + 1, W}};

	(void)state;
	memset(&sentinel, 0x5a, sizeof sentinel);
	for (int k = 0;; k++) {
		in = july();
		switch (k) {
		case 0: in.end = in.start - 1; break;
		case 1: in.end = in.start + PERF_MAX_PERIOD_DAYS; break;
		case 2: in.effective_quota = -1; break;
		case 3: in.achieved = -1; break;
		case 4: in.won_count = -1; break;
		case 5: in.lost_amount = -1; break;
		case 6: in.open_pipeline = PERF_MAX_AMOUNT + 1; break;
		case 7: in.open_count = PERF_MAX_COUNT + 1; break;
		case 8: in.renewal_won_count = in.won_count + 1; break;
		case 9: in.renewal_lost_count = in.lost_count + 1; break;
		case 10: in.expansion_won_amount = in.won_amount + 1; break;
		case 11:
			in.stages = bad_rate;
			in.nstages = 1;
			break;
		case 12:
			in.stages = neg_stage;
			in.nstages = 1;
			break;
		case 13:
			in.stages = too_much;
			in.nstages = 2;
			break;
		case 14: in.stages = NULL; break;
		case 15:
			in.cycles = neg_cycle;
			in.ncycles = 2;
			break;
		case 16:
			in.cycles = long_cycle;
			in.ncycles = 1;
			break;
		case 17: in.cycles = NULL; break;
		case 18: in.ncycles = (size_t)PERF_MAX_CYCLES + 1; break;
		default: goto done;
		}
		f = sentinel;
		if (perf_compute(&in, &f) != ST_INVALID)
			fail_msg("case %d accepted", k);
		assert_memory_equal(&f, &sentinel, sizeof f); /* out untouched */
	}
done:
	in = july();
	in.end = in.start + PERF_MAX_PERIOD_DAYS - 1; /* the longest period */
	assert_int_equal(perf_compute(&in, &f), ST_OK);
	assert_int_equal(f.period_days, PERF_MAX_PERIOD_DAYS);
}

/* ---- distribution ------------------------------------------------------------- */

static struct perf_distribution
distribution(const int64_t *v, size_t n)
{
	struct perf_distribution d;

	assert_int_equal(perf_compute_distribution(v, n, &d), ST_OK);
	assert_int_equal(d.count, n);
	return d;
}

static void
assert_buckets(const struct perf_distribution *d, size_t b0, size_t b1, size_t b2, size_t b3, size_t b4)
{
	const size_t want[PERF_BUCKETS] = {b0, b1, b2, b3, b4};

	for (int i = 0; i < PERF_BUCKETS; i++)
		if (d->buckets[i] != want[i])
			fail_msg("bucket %s has %zu, want %zu", perf_bucket_name(i), d->buckets[i], want[i]);
}

static void
test_distribution_empty_and_one(void **state)
{
	struct perf_distribution d = distribution(NULL, 0);
	int64_t one[] = {8750};

	(void)state;
	assert_buckets(&d, 0, 0, 0, 0, 0);
	assert_int_equal(d.at_or_above_quota, 0);
	assert_undefined(d.at_or_above_quota_pct);
	assert_undefined(d.p25);
	assert_undefined(d.median);
	assert_undefined(d.p75);

	d = distribution(one, 1);
	assert_buckets(&d, 0, 0, 1, 0, 0);
	assert_defined(d.at_or_above_quota_pct, 0);
	assert_defined(d.p25, 8750);
	assert_defined(d.median, 8750);
	assert_defined(d.p75, 8750);
}

static void
test_distribution_two(void **state)
{
	/* h = 0.25, 0.5, 0.75 between 90 % and 110 % */
	int64_t two[] = {11000, 9000}, close[] = {9000, 9002}, halves[] = {0, 2};
	struct perf_distribution d = distribution(two, 2);

	(void)state;
	assert_buckets(&d, 0, 0, 1, 1, 0);
	assert_int_equal(d.at_or_above_quota, 1);
	assert_defined(d.at_or_above_quota_pct, 5000);
	assert_defined(d.p25, 9500);
	assert_defined(d.median, 10000);
	assert_defined(d.p75, 10500);
	d = distribution(close, 2);
	assert_defined(d.p25, 9001); /* 9000.5 rounds away from zero */
	assert_defined(d.median, 9001);
	assert_defined(d.p75, 9002); /* 9001.5 */
	d = distribution(halves, 2);
	assert_defined(d.p25, 1); /* 0.5 */
	assert_defined(d.p75, 2); /* 1.5 */
}

static void
test_distribution_five_with_edges(void **state)
{
	/* exactly on every edge: each edge opens its bucket */
	int64_t edges[] = {12000, 5000, 10000, 0, 8000};
	/* a hundredth below every edge */
	int64_t below[] = {4999, 7999, 9999, 11999, 12001};
	/* ties */
	int64_t ties[] = {10000, 10000, 10000, 3000, 25000};
	struct perf_distribution d = distribution(edges, 5);

	(void)state;
	assert_buckets(&d, 1, 1, 1, 1, 1);
	assert_int_equal(d.at_or_above_quota, 2);
	assert_defined(d.at_or_above_quota_pct, 4000);
	assert_defined(d.p25, 5000); /* h = 1, 2, 3: order statistics exactly */
	assert_defined(d.median, 8000);
	assert_defined(d.p75, 10000);
	assert_int_equal(edges[0], 12000); /* not reordered */

	d = distribution(below, 5);
	assert_buckets(&d, 1, 1, 1, 1, 1);
	assert_int_equal(d.at_or_above_quota, 2);

	d = distribution(ties, 5);
	assert_buckets(&d, 1, 0, 0, 3, 1);
	assert_defined(d.at_or_above_quota_pct, 8000);
	assert_defined(d.p25, 10000);
	assert_defined(d.median, 10000);
	assert_defined(d.p75, 10000);

	/* six values: h = 1.25, 2.5, 3.75 */
	d = distribution((const int64_t[]){0, 100, 200, 300, 400, 500}, 6);
	assert_defined(d.p25, 125);
	assert_defined(d.median, 250);
	assert_defined(d.p75, 375);
}

static void
test_distribution_invalid_and_names(void **state)
{
	struct perf_distribution d, sentinel;
	int64_t neg[] = {100, -1};

	(void)state;
	memset(&sentinel, 0x5a, sizeof sentinel);
	d = sentinel;
	assert_int_equal(perf_compute_distribution(neg, 2, &d), ST_INVALID);
	assert_int_equal(perf_compute_distribution(NULL, 1, &d), ST_INVALID);
	assert_memory_equal(&d, &sentinel, sizeof d);
	assert_string_equal(perf_bucket_name(PERF_BUCKET_BELOW_50), "below_50");
	assert_string_equal(perf_bucket_name(PERF_BUCKET_50_TO_80), "50_to_80");
	assert_string_equal(perf_bucket_name(PERF_BUCKET_80_TO_100), "80_to_100");
	assert_string_equal(perf_bucket_name(PERF_BUCKET_100_TO_120), "100_to_120");
	assert_string_equal(perf_bucket_name(PERF_BUCKET_120_AND_ABOVE), "120_and_above");
	assert_int_equal(perf_bucket_of(0), PERF_BUCKET_BELOW_50);
	assert_int_equal(perf_bucket_of(INT64_MAX), PERF_BUCKET_120_AND_ABOVE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_typical_month),
	    cmocka_unit_test(test_zero_quota),
	    cmocka_unit_test(test_no_deals),
	    cmocka_unit_test(test_as_of_before_first_deal),
	    cmocka_unit_test(test_period_not_started),
	    cmocka_unit_test(test_period_over),
	    cmocka_unit_test(test_as_of_on_start_and_end),
	    cmocka_unit_test(test_leap_day),
	    cmocka_unit_test(test_seasonal_monthly),
	    cmocka_unit_test(test_seasonal_zero_weights),
	    cmocka_unit_test(test_seasonal_daily_weights),
	    cmocka_unit_test(test_seasonal_weights_must_tile_the_period),
	    cmocka_unit_test(test_rounding_halves),
	    cmocka_unit_test(test_pipeline_conversion_rounds_once),
	    cmocka_unit_test(test_pipeline_needed_and_coverage),
	    cmocka_unit_test(test_win_rates_and_averages),
	    cmocka_unit_test(test_cycles),
	    cmocka_unit_test(test_weighted_cycles),
	    cmocka_unit_test(test_velocity),
	    cmocka_unit_test(test_renewal_and_expansion),
	    cmocka_unit_test(test_near_maximum),
	    cmocka_unit_test(test_three_way_split),
	    cmocka_unit_test(test_invalid_inputs),
	    cmocka_unit_test(test_distribution_empty_and_one),
	    cmocka_unit_test(test_distribution_two),
	    cmocka_unit_test(test_distribution_five_with_edges),
	    cmocka_unit_test(test_distribution_invalid_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
