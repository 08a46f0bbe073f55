/*
 * Unit tests of the quota arithmetic (apportioning with rounding, uplift,
 * ramp factors), of planning (team roll-up, parts, capacity, the
 * allocation methods, seasonal splits) and of the suggestion rule.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "quota/alloc.h"
#include "quota/plan.h"
#include "quota/suggest.h"

#define MONEY_MAX 99999999999999LL

static int64_t
sum(const int64_t *v, int n)
{
	int64_t s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

static void
test_equal_split_to_the_cent(void **state)
{
	int64_t w[3] = { 1, 1, 1 }, out[3];

	(void)state;
	assert_int_equal(quota_apportion(10000, w, 3, 1, out), ST_OK); /* 100.00 / 3 */
	assert_int_equal(out[0], 3334);                                  /* ties: lowest index first */
	assert_int_equal(out[1], 3333);
	assert_int_equal(out[2], 3333);
	assert_int_equal(sum(out, 3), 10000);
}

static void
test_rounding_to_thousands(void **state)
{
	int64_t w[4] = { 1, 1, 1, 1 }, out[4];

	(void)state;
	/* 1,000,000.00 over 3 people in steps of 1,000 */
	assert_int_equal(quota_apportion(100000000, w, 3, 100000, out), ST_OK);
	assert_int_equal(out[0], 33400000);
	assert_int_equal(out[1], 33300000);
	assert_int_equal(out[2], 33300000);
	/* a total that is not a multiple of the step: the odd amount goes to the first in order */
	assert_int_equal(quota_apportion(123456789, w, 4, 100000, out), ST_OK);
	assert_int_equal(sum(out, 4), 123456789);
	for (int i = 1; i < 4; i++)
		assert_int_equal(out[i] % 100000, 0);
	assert_int_equal(out[0] % 100000, 123456789 % 100000);
}

static void
test_largest_remainder_weighted(void **state)
{
	/* shares 0.5, 0.3, 0.2 of 7 units -> 3.5, 2.1, 1.4 -> 3, 2, 1 + 1 to the largest remainder (0.5) */
	int64_t w[3] = { 50, 30, 20 }, out[3];

	(void)state;
	assert_int_equal(quota_apportion(700, w, 3, 100, out), ST_OK);
	assert_int_equal(out[0], 400);
	assert_int_equal(out[1], 200);
	assert_int_equal(out[2], 100);
}

static void
test_zero_weight_gets_nothing_and_bad_input(void **state)
{
	int64_t w[3] = { 0, 5, 5 }, out[3];
	int64_t zero[2] = { 0, 0 }, neg[2] = { 1, -1 };

	(void)state;
	assert_int_equal(quota_apportion(1001, w, 3, 1, out), ST_OK);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1] + out[2], 1001);
	assert_int_equal(quota_apportion(100, zero, 2, 1, out), ST_INVALID);
	assert_int_equal(quota_apportion(100, neg, 2, 1, out), ST_INVALID);
	assert_int_equal(quota_apportion(-1, w, 3, 1, out), ST_INVALID);
	assert_int_equal(quota_apportion(100, w, 0, 1, out), ST_INVALID);
	assert_int_equal(quota_apportion(100, w, 3, 0, out), ST_INVALID);
}

static void
test_exact_sums_random(void **state)
{
	int64_t w[37], out[37];
	unsigned x = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		int n = 1 + round % 37;
		for (int i = 0; i < n; i++) {
			x = x * 1103515245u + 12345u;
			w[i] = (int64_t)(x % 1000000) * (round % 3 == 0 ? 1000000 : 1);
		}
		w[0] += 1;
		x = x * 1103515245u + 12345u;
		int64_t total = (int64_t)x * 977 % 99999999999999LL;
		int64_t unit = (int64_t[]){ 1, 100, 100000, 7 }[round % 4];
		assert_int_equal(quota_apportion(total, w, n, unit, out), ST_OK);
		assert_int_equal(sum(out, n), total);
	}
	/* the largest amounts and weights do not overflow */
	w[0] = INT64_MAX / 2;
	w[1] = INT64_MAX / 2;
	assert_int_equal(quota_apportion(99999999999999LL, w, 2, 1, out), ST_OK);
	assert_int_equal(out[0], 50000000000000LL);
	assert_int_equal(out[1], 49999999999999LL);
}

static void
test_uplift(void **state)
{
	int64_t v;

	(void)state;
	assert_int_equal(quota_uplift(100000000, 1000, &v), ST_OK); /* +10 % */
	assert_int_equal(v, 110000000);
	assert_int_equal(quota_uplift(333, 1050, &v), ST_OK);        /* 3.33 * 1.105 = 3.67965 -> 3.68 */
	assert_int_equal(v, 368);
	assert_int_equal(quota_uplift(100, 0, &v), ST_OK);
	assert_int_equal(v, 100);
	assert_int_equal(quota_uplift(-1, 0, &v), ST_INVALID);
}

static cal_date
d(const char *s)
{
	cal_date v = 0;

	assert_int_equal(cal_date_parse(s, &v), ST_OK);
	return v;
}

static void
test_ramp(void **state)
{
	int64_t curve[3] = { 2500, 5000, 7500 };

	(void)state;
	/* hired 2026-03-10 with a 3-month ramp: March 25 %, April 50 %, May 75 %, June 100 % */
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-03-01"), d("2026-03-31")), 2500);
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-05-01"), d("2026-05-31")), 7500);
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-06-01"), d("2026-06-30")), 10000);
	/* Q2 = April, May, June: (50 + 75 + 100) / 3 = 75 % */
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-04-01"), d("2026-06-30")), 7500);
	/* before the hire month: 0; Q1 = Jan 0, Feb 0, Mar 25 -> 8.33 % */
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-02-01"), d("2026-02-28")), 0);
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 3, curve, 3, d("2026-01-01"), d("2026-03-31")), 833);
	/* no ramp: fully ramped from the hire month */
	assert_int_equal(quota_ramp_factor_bp(d("2026-03-10"), 0, curve, 3, d("2026-03-01"), d("2026-03-31")), 10000);
	/* a ramp longer than the curve holds the curve's last step */
	assert_int_equal(quota_ramp_factor_bp(d("2026-01-01"), 5, curve, 3, d("2026-05-01"), d("2026-05-31")), 7500);
	/* unknown hire date: fully ramped */
	assert_int_equal(quota_ramp_factor_bp(-1, 3, curve, 3, d("2026-03-01"), d("2026-03-31")), 10000);
	assert_int_equal(quota_apply_factor(100000, 7500), 75000);
	assert_int_equal(quota_apply_factor(1, 5000), 1); /* half a cent rounds up */
	assert_int_equal(quota_apply_factor(12345, 833), 1028);
}

/* ---- planning -------------------------------------------------------------------- */

/*
 * R (manager 1) ─┬─ people 1 (manager), 2, 3 (inactive, quota 50), 4 (hired 2026-03-10, ramp 3)
 *                ├─ A (manager 5, a member of R) ── people 6, 7
 *                └─ B (explicit quota 300) ── B1 ── person 8
 */
static void
sample_tree(struct quota_tree *t)
{
	static const struct quota_tree_team teams[] = {
		{ .id = 10, .parent_id = 0, .manager_id = 1, .depth = 0 },
		{ .id = 11, .parent_id = 10, .manager_id = 5, .depth = 1 },
		{ .id = 12, .parent_id = 10, .manager_id = 0, .depth = 1, .has_quota = true, .quota_id = 92, .amount = 30000 },
		{ .id = 13, .parent_id = 12, .manager_id = 0, .depth = 2 },
	};
	static const struct quota_tree_person people[] = {
		{ .id = 4, .team_id = 10, .active = true, .ramp_months = 3, .has_quota = true, .quota_id = 94, .amount = 10000 },
		{ .id = 1, .team_id = 10, .active = true, .hired_on = -1, .has_quota = true, .quota_id = 91, .amount = 99900 },
		{ .id = 2, .team_id = 10, .active = true, .hired_on = -1, .has_quota = true, .quota_id = 93, .amount = 20000 },
		{ .id = 3, .team_id = 10, .active = false, .hired_on = -1, .has_quota = true, .quota_id = 95, .amount = 5000 },
		{ .id = 5, .team_id = 10, .active = true, .hired_on = -1 },
		{ .id = 6, .team_id = 11, .active = true, .hired_on = -1, .has_quota = true, .quota_id = 96, .amount = 7000 },
		{ .id = 7, .team_id = 11, .active = true, .hired_on = -1, .has_quota = true, .quota_id = 97, .amount = 8000 },
		{ .id = 8, .team_id = 13, .active = true, .hired_on = -1, .has_quota = true, .quota_id = 98, .amount = 1 },
	};

	memset(t, 0, sizeof *t);
	t->root = 10;
	t->teams = calloc(4, sizeof *t->teams);
	t->people = calloc(8, sizeof *t->people);
	memcpy(t->teams, teams, sizeof teams);
	memcpy(t->people, people, sizeof people);
	t->nteams = 4;
	t->npeople = 8;
	t->people[0].hired_on = d("2026-03-10");
	for (size_t i = 0; i < t->nteams; i++)
		t->teams[i].name = strdup("team");
	for (size_t i = 0; i < t->npeople; i++)
		t->people[i].name = strdup("person");
	quota_tree_sort(t);
}

static void
test_tree_rollup_and_parts(void **state)
{
	int64_t curve[3] = { 2500, 5000, 7500 }, v;
	struct quota_tree t;
	struct quota_part parts[8];
	int n;

	(void)state;
	sample_tree(&t);
	quota_tree_roll(&t, curve, 3, d("2026-04-01"), d("2026-06-30"));
	/* A: no quota of its own, the sum of its sellers 6 and 7 */
	assert_int_equal(quota_tree_team_value(quota_tree_team_find(&t, 11), &v), QUOTA_SOURCE_ROLLED_UP);
	assert_int_equal(v, 15000);
	/* B: explicit, whatever is below */
	assert_int_equal(quota_tree_team_value(quota_tree_team_find(&t, 12), &v), QUOTA_SOURCE_EXPLICIT);
	assert_int_equal(v, 30000);
	/* R: sellers 2, 3 (inactive but holding a quota), 4 and member 5 without one; A and B.
	 * The manager's own quota (person 1) is not part of the team number. */
	assert_int_equal(quota_tree_team_value(quota_tree_team_find(&t, 10), &v), QUOTA_SOURCE_ROLLED_UP);
	assert_int_equal(v, 20000 + 5000 + 10000 + 15000 + 30000);
	/* B1 has a person with a quota; a team with nothing below has no figure */
	assert_int_equal(quota_tree_team_value(quota_tree_team_find(&t, 13), &v), QUOTA_SOURCE_ROLLED_UP);
	assert_int_equal(v, 1);

	/* parts for a roll-up: 2, 3, 4, 5, then teams 11, 12 (never the manager 1) */
	assert_int_equal(quota_tree_parts(&t, 10, true, parts, 8, &n), ST_OK);
	assert_int_equal(n, 6);
	assert_false(parts[0].is_team);
	assert_int_equal(t.people[parts[0].index].id, 2);
	assert_int_equal(t.people[parts[1].index].id, 3);
	assert_int_equal(t.people[parts[2].index].id, 4);
	assert_int_equal(t.people[parts[3].index].id, 5);
	assert_true(parts[4].is_team);
	assert_int_equal(t.teams[parts[4].index].id, 11);
	assert_int_equal(t.teams[parts[5].index].id, 12);
	/* for an allocation only active people: 3 drops out; counting without writing */
	assert_int_equal(quota_tree_parts(&t, 10, false, NULL, 0, &n), ST_OK);
	assert_int_equal(n, 5);
	assert_int_equal(quota_tree_parts(&t, 99, false, NULL, 0, &n), ST_NOT_FOUND);
	assert_int_equal(n, 5);
	/* 5 manages A but sits in R: a seller of R */
	assert_true(quota_tree_is_seller(&t, quota_tree_person_find(&t, 5)));
	assert_false(quota_tree_is_seller(&t, quota_tree_person_find(&t, 1)));

	/* capacity: person 4 is at 75 % over Q2 (50, 75, 100); R = 2 + 4 + 5 + A (6, 7) + B1 (8) */
	assert_int_equal(quota_tree_person_find(&t, 4)->ramp_bp, 7500);
	assert_int_equal(quota_tree_team_find(&t, 11)->heads_bp, 20000);
	assert_int_equal(quota_tree_team_find(&t, 12)->heads_bp, 10000);
	assert_int_equal(quota_tree_team_find(&t, 10)->heads_bp, 10000 + 7500 + 10000 + 20000 + 10000);

	/* history sums the whole subtree, managers included */
	quota_tree_person_find(&t, 1)->history = 100;
	quota_tree_person_find(&t, 6)->history = 20;
	quota_tree_person_find(&t, 8)->history = 3;
	quota_tree_roll(&t, curve, 3, d("2026-04-01"), d("2026-06-30"));
	assert_int_equal(quota_tree_team_find(&t, 11)->history, 20);
	assert_int_equal(quota_tree_team_find(&t, 12)->history, 3);
	assert_int_equal(quota_tree_team_find(&t, 10)->history, 123);
	quota_tree_clear(&t);
	quota_tree_clear(&t); /* clearing twice is harmless */
}

static void
test_allocate_methods(void **state)
{
	struct quota_alloc a[3];
	bool fallback = true;

	(void)state;
	/* equal, in steps of 1,000.00 */
	memset(a, 0, sizeof a);
	assert_int_equal(quota_allocate(QUOTA_METHOD_EQUAL, 100000000, 100000, 1000, a, 3, &fallback), ST_OK);
	assert_false(fallback);
	assert_int_equal(a[0].amount, 33400000);
	assert_int_equal(a[1].amount + a[2].amount, 66600000);

	/* historical: 600 and 400 of history, the third part none: floor 10 % of the average (1000 / 3) */
	memset(a, 0, sizeof a);
	a[0].basis = 60000;
	a[1].basis = 40000;
	assert_int_equal(quota_allocate(QUOTA_METHOD_HISTORICAL, 3100, 1, 1000, a, 3, &fallback), ST_OK);
	assert_false(fallback);
	/* weights 600 : 400 : 33.33.. = 18 : 12 : 1 -> of 31.00: 18, 12, 1 */
	assert_int_equal(a[0].amount, 1800);
	assert_int_equal(a[1].amount, 1200);
	assert_int_equal(a[2].amount, 100);
	assert_true(a[2].floored);
	assert_false(a[0].floored);
	/* no history anywhere: equal, and it says so */
	memset(a, 0, sizeof a);
	assert_int_equal(quota_allocate(QUOTA_METHOD_HISTORICAL, 300, 1, 1000, a, 3, &fallback), ST_OK);
	assert_true(fallback);
	assert_int_equal(a[0].amount, 100);
	assert_false(a[0].floored);
	/* floor 0: a part without history gets nothing */
	memset(a, 0, sizeof a);
	a[0].basis = 5;
	assert_int_equal(quota_allocate(QUOTA_METHOD_HISTORICAL, 300, 1, 0, a, 2, &fallback), ST_OK);
	assert_int_equal(a[0].amount, 300);
	assert_int_equal(a[1].amount, 0);

	/* weighted: 1 : 2 : 3 (millionths); all zero and negative are refused */
	memset(a, 0, sizeof a);
	a[0].basis = 1000000;
	a[1].basis = 2000000;
	a[2].basis = 3000000;
	assert_int_equal(quota_allocate(QUOTA_METHOD_WEIGHTED, 600, 1, 0, a, 3, &fallback), ST_OK);
	assert_int_equal(a[0].amount, 100);
	assert_int_equal(a[1].amount, 200);
	assert_int_equal(a[2].amount, 300);
	memset(a, 0, sizeof a);
	assert_int_equal(quota_allocate(QUOTA_METHOD_WEIGHTED, 600, 1, 0, a, 3, &fallback), ST_INVALID);
	a[1].basis = -1;
	a[0].basis = 5;
	assert_int_equal(quota_allocate(QUOTA_METHOD_WEIGHTED, 600, 1, 0, a, 3, &fallback), ST_INVALID);

	/* capacity: a head at 50 % ramp carries half a full head's share */
	memset(a, 0, sizeof a);
	a[0].basis = 10000;
	a[1].basis = 5000;
	a[2].basis = 15000; /* a team of 1.5 heads */
	assert_int_equal(quota_allocate(QUOTA_METHOD_CAPACITY, 300000, 1, 0, a, 3, &fallback), ST_OK);
	assert_int_equal(a[0].amount, 100000);
	assert_int_equal(a[1].amount, 50000);
	assert_int_equal(a[2].amount, 150000);
	memset(a, 0, sizeof a);
	assert_int_equal(quota_allocate(QUOTA_METHOD_CAPACITY, 300, 1, 0, a, 3, &fallback), ST_INVALID);

	/* bad input */
	assert_int_equal(quota_allocate(QUOTA_METHOD_EQUAL, 300, 1, 0, a, 0, &fallback), ST_INVALID);
	assert_int_equal(quota_allocate(QUOTA_METHOD_EQUAL, 300, 0, 0, a, 3, &fallback), ST_INVALID);
	assert_int_equal(quota_allocate(QUOTA_METHOD_HISTORICAL, 300, 1, 10001, a, 3, &fallback), ST_INVALID);
	assert_int_equal(quota_allocate(QUOTA_METHOD_EQUAL, -1, 1, 0, a, 3, &fallback), ST_INVALID);
}

static void
test_allocate_huge_history_sums_exactly(void **state)
{
	struct quota_alloc a[4] = { { .basis = INT64_MAX / 2 }, { .basis = INT64_MAX / 3 }, { .basis = 0 },
				    { .basis = 1 } };
	bool fallback;

	(void)state;
	assert_int_equal(quota_allocate(QUOTA_METHOD_HISTORICAL, MONEY_MAX, 100, 1000, a, 4, &fallback), ST_OK);
	assert_int_equal(a[0].amount + a[1].amount + a[2].amount + a[3].amount, MONEY_MAX);
	assert_true(a[2].amount > 0); /* the floor */
	assert_true(a[0].amount > a[1].amount);
}

static void
test_share(void **state)
{
	(void)state;
	const int64_t cases[][3] = { { 1, 3, 3333 }, { 2, 3, 6667 }, { 5, 5, 10000 }, { 11, 10, 11000 } };
	int64_t bp = -1;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(quota_share_bp(cases[i][0], cases[i][1], &bp), ST_OK);
		assert_int_equal(bp, cases[i][2]);
	}
	/* no share of nothing; *out untouched */
	assert_int_equal(quota_share_bp(0, 0, &bp), ST_INVALID);
	assert_int_equal(bp, 11000);
}

static void
test_split(void **state)
{
	int64_t out[12], hist[4] = { 100, 200, 300, 400 }, pct[4] = { 1000, 2000, 3000, 4000 };
	int64_t bad[4] = { 1000, 2000, 3000, 3999 }, none[12] = { 0 };
	bool fallback = true;

	(void)state;
	/* a year of 1,000,000.01 into 12 months, exactly */
	assert_int_equal(quota_split(100000001, QUOTA_SPLIT_EVEN, NULL, 12, 1, out, &fallback), ST_OK);
	assert_false(fallback);
	assert_int_equal(sum(out, 12), 100000001);
	assert_int_equal(out[0], 8333334);
	assert_int_equal(out[11], 8333333);
	/* last year's shape */
	assert_int_equal(quota_split(100000, QUOTA_SPLIT_HISTORICAL, hist, 4, 1, out, &fallback), ST_OK);
	assert_false(fallback);
	assert_int_equal(out[0], 10000);
	assert_int_equal(out[3], 40000);
	/* no history: even, flagged */
	assert_int_equal(quota_split(1200, QUOTA_SPLIT_HISTORICAL, none, 12, 1, out, &fallback), ST_OK);
	assert_true(fallback);
	assert_int_equal(out[5], 100);
	/* percentages summing to exactly 100 */
	assert_int_equal(quota_split(99999, QUOTA_SPLIT_PERCENTAGES, pct, 4, 1, out, &fallback), ST_OK);
	assert_int_equal(sum(out, 4), 99999);
	assert_int_equal(out[0], 10000); /* 9999.9 rounds up first ... */
	assert_int_equal(out[3], 39999); /* ... 39999.6 has the smallest remainder */
	assert_int_equal(quota_split(99999, QUOTA_SPLIT_PERCENTAGES, bad, 4, 1, out, &fallback), ST_INVALID);
	/* whole deals: 10 deals over 3 months in steps of one deal */
	assert_int_equal(quota_split(1000, QUOTA_SPLIT_EVEN, NULL, 3, 100, out, &fallback), ST_OK);
	assert_int_equal(out[0], 400);
	assert_int_equal(out[1], 300);
	assert_int_equal(out[2], 300);
	assert_int_equal(quota_split(1000, QUOTA_SPLIT_PERCENTAGES, NULL, 3, 100, out, &fallback), ST_INVALID);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(quota_source_name(QUOTA_SOURCE_ROLLED_UP), "rolled_up");
	assert_string_equal(quota_method_name(QUOTA_METHOD_CAPACITY), "capacity");
	assert_string_equal(quota_split_method_name(QUOTA_SPLIT_PERCENTAGES), "percentages");
	assert_string_equal(quota_baseline_name(QUOTA_BASELINE_TRAILING_AVERAGE), "trailing_average");
}

/* ---- suggestions ------------------------------------------------------------------ */

static void
test_suggest_seasonal_naive(void **state)
{
	struct quota_suggest_in in = {
		.last_year = 100000,
		.trailing = { 30000, 30000, 30000, 30000 },
		.trailing_prior = { 20000, 20000, 20000, 20000 },
		.pipeline_weighted = 50000,
		.growth_bp = 1000,
		.unit = 1,
	};
	struct quota_suggest_out o;

	(void)state;
	assert_int_equal(quota_suggest(&in, &o), ST_OK);
	assert_int_equal(o.trailing_avg, 30000);
	assert_true(o.has_trailing_growth);
	assert_int_equal(o.trailing_growth_bp, 5000);  /* +50 % */
	assert_int_equal(o.seasonal_naive, 150000);     /* last year × 1.5 */
	assert_int_equal(o.baseline_from, QUOTA_BASELINE_SEASONAL_NAIVE);
	assert_int_equal(o.target, 165000);             /* × 1.1 */
	assert_false(o.pipeline_decides);
	assert_int_equal(o.recommended, 165000);
}

static void
test_suggest_clamp_pipeline_and_fallbacks(void **state)
{
	struct quota_suggest_in in = {
		.last_year = 100000,
		.trailing = { 100000, 0, 0, 0 },
		.trailing_prior = { 100, 0, 0, 0 },
		.unit = 1,
	};
	struct quota_suggest_out o;

	(void)state;
	/* a 1000-fold jump is measured but applied as +100 % */
	assert_int_equal(quota_suggest(&in, &o), ST_OK);
	assert_int_equal(o.trailing_growth_bp, 9990000);
	assert_int_equal(o.applied_growth_bp, QUOTA_TREND_MAX_BP);
	assert_int_equal(o.seasonal_naive, 200000);
	/* a collapse is applied as -50 % */
	in.trailing[0] = 0;
	in.trailing_prior[0] = 100;
	assert_int_equal(quota_suggest(&in, &o), ST_OK);
	assert_int_equal(o.applied_growth_bp, QUOTA_TREND_MIN_BP);
	assert_int_equal(o.seasonal_naive, 50000);
	/* no prior trailing: no growth, seasonal naive = last year; pipeline above the target decides */
	memset(in.trailing_prior, 0, sizeof in.trailing_prior);
	in.pipeline_weighted = 120050;
	assert_int_equal(quota_suggest(&in, &o), ST_OK);
	assert_false(o.has_trailing_growth);
	assert_int_equal(o.seasonal_naive, 100000);
	assert_true(o.pipeline_decides);
	assert_int_equal(o.recommended, 120050);
	/* no last year: the trailing average; whole deals round half up */
	struct quota_suggest_in deals = { .trailing = { 300, 200, 0, 0 }, .growth_bp = 0, .unit = 100 };
	assert_int_equal(quota_suggest(&deals, &o), ST_OK);
	assert_int_equal(o.baseline_from, QUOTA_BASELINE_TRAILING_AVERAGE);
	assert_int_equal(o.trailing_avg, 125);
	assert_int_equal(o.recommended, 100);
	deals.growth_bp = 2000; /* 1.25 × 1.2 = 1.5 deals -> 2 */
	assert_int_equal(quota_suggest(&deals, &o), ST_OK);
	assert_int_equal(o.recommended, 200);
	/* bad input */
	deals.growth_bp = -10000;
	assert_int_equal(quota_suggest(&deals, &o), ST_INVALID);
	deals.growth_bp = 0;
	deals.trailing[1] = -1;
	assert_int_equal(quota_suggest(&deals, &o), ST_INVALID);
	assert_true(strlen(quota_suggest_rule) > 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal_split_to_the_cent),
		cmocka_unit_test(test_rounding_to_thousands),
		cmocka_unit_test(test_largest_remainder_weighted),
		cmocka_unit_test(test_zero_weight_gets_nothing_and_bad_input),
		cmocka_unit_test(test_exact_sums_random),
		cmocka_unit_test(test_uplift),
		cmocka_unit_test(test_ramp),
		cmocka_unit_test(test_tree_rollup_and_parts),
		cmocka_unit_test(test_allocate_methods),
		cmocka_unit_test(test_allocate_huge_history_sums_exactly),
		cmocka_unit_test(test_share),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_suggest_seasonal_naive),
		cmocka_unit_test(test_suggest_clamp_pipeline_and_fallbacks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
