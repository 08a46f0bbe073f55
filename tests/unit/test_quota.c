/*
 * Unit tests of the quota arithmetic (apportioning with rounding, uplift,
 * ramp factors), of planning (team roll-up, parts, capacity, the
 * allocation methods, seasonal splits) and of the suggestion rule; of what
 * a quota is (quota.h), the shares a request names, the answers' JSON, and
 * the access rules of quotas (auth/scope.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "auth/principal.h"
#include "auth/scope.h"
#include "quota/alloc.h"
#include "quota/plan.h"
#include "quota/quota.h"
#include "quota/render.h"
#include "quota/shares.h"
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

/* ---- what a quota is ------------------------------------------------------------- */

static void
test_quota_basics(void **state)
{
	static const char *const bad[] = { "person:0", "person:01", "person:", "team:-1", "user:1", "person:1x",
					   "person:1234567890123456789", "Person:1", " person:1", "" };
	struct quota_ref a = { QUOTA_TEAM, 77 };
	struct issues e = { 0 };
	struct period p;

	(void)state;
	assert_int_equal(quota_ref_parse("person:12", &a), ST_OK);
	assert_true(a.type == QUOTA_PERSON && a.id == 12);
	assert_int_equal(quota_ref_parse("team:999999999999999999", &a), ST_OK);
	assert_true(a.type == QUOTA_TEAM && a.id == 999999999999999999LL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(quota_ref_parse(bad[i], &a), ST_INVALID);
	assert_true(a.type == QUOTA_TEAM && a.id == 999999999999999999LL); /* untouched */
	assert_string_equal(quota_assignee_name(QUOTA_TEAM), "team");
	assert_string_equal(quota_metric_name(QUOTA_DEAL_COUNT), "deal_count");
	assert_int_equal(quota_metric_from_name("deal_count"), QUOTA_DEAL_COUNT);
	assert_int_equal(quota_metric_from_name("revenue"), QUOTA_REVENUE);
	assert_int_equal(quota_metric_unit(QUOTA_DEAL_COUNT), 100);
	assert_int_equal(quota_metric_unit(QUOTA_REVENUE), 1);

	/* a period id is valid or not whatever the fiscal year; its dates follow the org's */
	assert_true(quota_period_id_valid("2026-07") && quota_period_id_valid("FY2026-Q3") &&
		    quota_period_id_valid("FY2026"));
	assert_false(quota_period_id_valid("2026-7") || quota_period_id_valid("fy2026") ||
		     quota_period_id_valid("FY2026-Q5") || quota_period_id_valid("1899-12"));
	assert_int_equal(quota_period_place("FY2026", 2, "period", &e, &p), ST_OK);
	assert_int_equal(p.start, d("2025-02-01"));
	assert_int_equal(p.end, d("2026-01-31"));
	assert_false(issues_any(&e));
	assert_int_equal(quota_period_place("FY26", 2, "period", &e, &p), ST_INVALID);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.items[0].field, "period");
	issues_clear(&e);

	/* a deal_count quota is whole deals */
	struct quota_write w = { .key = { .metric = QUOTA_DEAL_COUNT }, .amount = 250 };
	assert_int_equal(quota_write_check(&w, &e), ST_INVALID);
	assert_string_equal(e.items[0].field, "amount");
	issues_clear(&e);
	w.amount = 300;
	assert_int_equal(quota_write_check(&w, &e), ST_OK);
	w = (struct quota_write){ .key = { .metric = QUOTA_REVENUE }, .amount = 250 };
	assert_int_equal(quota_write_check(&w, &e), ST_OK);
	assert_false(issues_any(&e));
}

static void
test_ramp_from_curve(void **state)
{
	double pct[30] = { 25, 50, 75, 33.333, 12.345 };
	struct quota_ramp r;

	(void)state;
	quota_ramp_from_curve(pct, 5, &r);
	assert_int_equal(r.ncurve, 5);
	assert_int_equal(r.curve_bp[0], 2500);
	assert_int_equal(r.curve_bp[2], 7500);
	assert_int_equal(r.curve_bp[3], 3333);
	assert_int_equal(r.curve_bp[4], 1235); /* half away from zero */
	quota_ramp_from_curve(pct, 30, &r);   /* at most 24 months are kept */
	assert_int_equal(r.ncurve, 24);
	quota_ramp_from_curve(pct, 0, &r);
	assert_int_equal(r.ncurve, 0);
}

/* ---- planning pieces --------------------------------------------------------------- */

static void
test_root_parts_and_their_figures(void **state)
{
	int64_t curve[3] = { 2500, 5000, 7500 }, amount, qid;
	struct quota_tree t;
	struct quota_part *parts = NULL;
	int n = -1;

	(void)state;
	sample_tree(&t);
	quota_tree_roll(&t, curve, 3, d("2026-04-01"), d("2026-06-30"));
	assert_int_equal(quota_tree_root_parts(&t, false, &parts, &n), ST_OK);
	assert_int_equal(n, 5); /* 2, 4, 5, then teams 11, 12 */
	struct quota_ref a = quota_tree_part_ref(&t, &parts[0]);
	assert_true(a.type == QUOTA_PERSON && a.id == 2);
	a = quota_tree_part_ref(&t, &parts[3]);
	assert_true(a.type == QUOTA_TEAM && a.id == 11);
	assert_int_equal(quota_tree_part_value(&t, &parts[0], &amount, &qid), QUOTA_SOURCE_EXPLICIT);
	assert_true(amount == 20000 && qid == 93);
	assert_int_equal(quota_tree_part_value(&t, &parts[2], &amount, &qid), QUOTA_SOURCE_NONE);
	assert_true(amount == 0 && qid == 0);
	assert_int_equal(quota_tree_part_value(&t, &parts[3], &amount, &qid), QUOTA_SOURCE_ROLLED_UP);
	assert_true(amount == 15000 && qid == 0);
	assert_int_equal(quota_tree_part_value(&t, &parts[4], &amount, &qid), QUOTA_SOURCE_EXPLICIT);
	assert_true(amount == 30000 && qid == 92);
	free(parts);
	/* a tree whose root is not in it has no parts to give */
	t.root = 99;
	assert_int_equal(quota_tree_root_parts(&t, true, &parts, &n), ST_NOT_FOUND);
	quota_tree_clear(&t);
}

static void
test_alloc_total(void **state)
{
	struct quota_tree_team none = { .id = 1 }, with = { .id = 1, .has_quota = true, .amount = 90000 };
	struct issues e = { 0 };
	int64_t base = -1, total = -1;

	(void)state;
	assert_int_equal(quota_alloc_total(true, 100000, &none, 1000, QUOTA_REVENUE, &base, &total, &e), ST_OK);
	assert_true(base == 100000 && total == 110000);
	assert_int_equal(quota_alloc_total(false, 0, &with, 0, QUOTA_REVENUE, &base, &total, &e), ST_OK);
	assert_true(base == 90000 && total == 90000);
	/* 10 deals + 14 % = 11.4 deals: 11 */
	assert_int_equal(quota_alloc_total(true, 1000, &none, 1400, QUOTA_DEAL_COUNT, &base, &total, &e), ST_OK);
	assert_true(base == 1000 && total == 1100);
	assert_false(issues_any(&e));
	assert_int_equal(quota_alloc_total(false, 0, &none, 0, QUOTA_REVENUE, &base, &total, &e), ST_INVALID);
	assert_string_equal(e.items[0].field, "total");
	issues_clear(&e);
	assert_int_equal(quota_alloc_total(true, MONEY_MAX, &none, 1000, QUOTA_REVENUE, &base, &total, &e),
			 ST_INVALID);
	assert_string_equal(e.items[0].field, "uplift_pct");
	assert_true(base == 1000 && total == 1100); /* untouched */
	issues_clear(&e);
}

static void
test_split_periods_and_lookback(void **state)
{
	struct period year, month, quarter, children[12];
	struct issues e = { 0 };
	cal_date from, to;
	int n = 0;

	(void)state;
	assert_int_equal(period_parse("FY2026", 1, &year), ST_OK);
	assert_int_equal(period_parse("2026-05", 1, &month), ST_OK);
	assert_int_equal(period_parse("FY2026-Q2", 1, &quarter), ST_OK);
	assert_int_equal(quota_split_periods(&year, GRAIN_QUARTER, 1, children, 12, &n, &e), ST_OK);
	assert_int_equal(n, 4);
	assert_string_equal(children[3].id, "FY2026-Q4");
	assert_int_equal(quota_split_periods(&year, GRAIN_MONTH, 1, children, 12, &n, &e), ST_OK);
	assert_int_equal(n, 12);
	assert_int_equal(quota_split_periods(&quarter, GRAIN_MONTH, 1, children, 12, &n, &e), ST_OK);
	assert_int_equal(n, 3);
	assert_string_equal(children[0].id, "2026-04");
	assert_false(issues_any(&e));
	assert_int_equal(quota_split_periods(&month, GRAIN_MONTH, 1, children, 12, &n, &e), ST_INVALID);
	assert_int_equal(quota_split_periods(&quarter, GRAIN_QUARTER, 1, children, 12, &n, &e), ST_INVALID);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.items[0].field, "grain");
	assert_string_equal(e.items[1].field, "grain");
	issues_clear(&e);
	/* the year was set with the calendar year; the org's fiscal year now starts in February */
	assert_int_equal(quota_split_periods(&year, GRAIN_QUARTER, 2, children, 12, &n, &e), ST_CONFLICT);
	assert_int_equal(e.n, 1);
	assert_null(e.items[0].field);
	assert_int_equal(n, 3); /* untouched */
	issues_clear(&e);

	quota_lookback_window(&year, 1, 4, &from, &to);
	assert_true(from == d("2022-01-01") && to == d("2025-12-31"));
	quota_lookback_window(&quarter, 1, 1, &from, &to);
	assert_true(from == d("2026-01-01") && to == d("2026-03-31"));
}

static void
test_suggest_periods_and_inputs(void **state)
{
	struct quota_suggest_periods sp;
	struct quota_suggest_in in;
	struct period p;
	int64_t months[24];

	(void)state;
	assert_int_equal(period_parse("FY2026-Q3", 1, &p), ST_OK);
	quota_suggest_periods(&p, 1, &sp);
	assert_string_equal(sp.last_year.id, "FY2025-Q3");
	assert_string_equal(sp.trailing[0].id, "FY2026-Q2");
	assert_string_equal(sp.trailing[3].id, "FY2025-Q3");
	assert_string_equal(sp.prior[0].id, "FY2025-Q2");
	assert_string_equal(sp.prior[3].id, "FY2024-Q3");
	assert_int_equal(sp.first, d("2024-07-01"));
	assert_int_equal(sp.nmonths, 24); /* 2024-07 .. 2026-06 */
	for (int k = 0; k < 24; k++)
		months[k] = k + 1;
	quota_suggest_inputs(&sp, months, 500, 1000, 100, &in);
	assert_int_equal(in.last_year, 13 + 14 + 15);     /* 2025-07 .. 09 */
	assert_int_equal(in.trailing[0], 22 + 23 + 24);   /* 2026-04 .. 06 */
	assert_int_equal(in.trailing_prior[3], 1 + 2 + 3); /* 2024-07 .. 09 */
	assert_true(in.pipeline_weighted == 500 && in.growth_bp == 1000 && in.unit == 100);
}

/* ---- shares a request names --------------------------------------------------------- */

static void
test_shares_weights(void **state)
{
	struct quota_tree t;
	struct quota_part *parts = NULL;
	struct quota_alloc alloc[5];
	struct issues e = { 0 };
	int n;

	(void)state;
	sample_tree(&t);
	assert_int_equal(quota_tree_root_parts(&t, false, &parts, &n), ST_OK); /* person 2, 4, 5, team 11, 12 */
	json_t *w = json_pack("{s:i,s:i,s:f,s:i,s:i}", "person:2", 1, "person:4", 0, "person:5", 0.5, "team:11", 3,
			      "team:12", 0);
	memset(alloc, 0, sizeof alloc);
	assert_int_equal(quota_shares_weights(w, &t, parts, n, alloc, &e), ST_OK);
	assert_true(alloc[0].basis == 1000000 && alloc[2].basis == 500000 && alloc[3].basis == 3000000);
	assert_false(issues_any(&e));
	/* every problem at once: a stranger, a bad number, the parts left without a weight */
	json_object_set_new(w, "person:99", json_integer(1));
	json_object_set_new(w, "team:11", json_string("3"));
	json_object_del(w, "team:12");
	assert_int_equal(quota_shares_weights(w, &t, parts, n, alloc, &e), ST_INVALID);
	assert_int_equal(e.n, 4); /* in the order of the object, then the parts' */
	assert_string_equal(e.items[0].message, "team:11: must be a number from 0 to 1000000000");
	assert_string_equal(e.items[1].message, "person:99 is not a part of the team (its active members and child teams)");
	assert_string_equal(e.items[2].message, "team:11 has no weight");
	assert_string_equal(e.items[3].message, "team:12 has no weight");
	issues_clear(&e);
	json_decref(w);
	w = json_pack("{s:i,s:i,s:i,s:i,s:i}", "person:2", 0, "person:4", 0, "person:5", 0, "team:11", 0, "team:12", 0);
	assert_int_equal(quota_shares_weights(w, &t, parts, n, alloc, &e), ST_INVALID);
	assert_string_equal(e.items[0].message, "must not all be zero");
	issues_clear(&e);
	json_decref(w);
	free(parts);
	quota_tree_clear(&t);
}

static void
test_shares_percentages(void **state)
{
	struct period year, children[4];
	struct issues e = { 0 };
	int64_t bp[4];
	int n;

	(void)state;
	assert_int_equal(period_parse("FY2026", 1, &year), ST_OK);
	assert_int_equal(quota_split_periods(&year, GRAIN_QUARTER, 1, children, 4, &n, &e), ST_OK);
	json_t *v = json_pack("[f,i,f,f]", 10.0, 20, 30.5, 39.5);
	assert_int_equal(quota_shares_percentages(v, children, n, bp, &e), ST_OK);
	assert_true(bp[0] == 1000 && bp[1] == 2000 && bp[2] == 3050 && bp[3] == 3950);
	json_decref(v);
	v = json_pack("{s:i,s:i,s:i,s:i}", "FY2026-Q4", 25, "FY2026-Q3", 25, "FY2026-Q2", 25, "FY2026-Q1", 25);
	assert_int_equal(quota_shares_percentages(v, children, n, bp, &e), ST_OK);
	assert_true(bp[0] == 2500 && bp[3] == 2500);
	json_decref(v);
	assert_false(issues_any(&e));
	static const char *const bad[] = { "[25, 25, 50]", "[25, 25, 25, 24]", "[110, -10, 0, 0]", "[101, 0, 0, 0]",
					   "{\"FY2026-Q1\": 100}", "\"25,25,25,25\"", "[25.001, 24.999, 25, 25]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_non_null(v);
		assert_int_equal(quota_shares_percentages(v, children, n, bp, &e), ST_INVALID);
		assert_true(issues_any(&e));
		assert_string_equal(e.items[0].field, "percentages");
		issues_clear(&e);
		json_decref(v);
	}
}

/* ---- answers ------------------------------------------------------------------------- */

static void
test_render(void **state)
{
	int64_t curve[3] = { 2500, 5000, 7500 };
	struct quota_tree t;
	struct quota_part *parts = NULL;
	struct quota_key key = { .metric = QUOTA_REVENUE, .filter_type = "renewal" };
	struct quota_ref a = { QUOTA_TEAM, 12 };
	int n;

	(void)state;
	json_t *v = quota_render_pct(833);
	assert_true(json_is_real(v) && json_real_value(v) == 8.33);
	json_decref(v);
	v = quota_render_pct(2500);
	assert_true(json_is_integer(v) && json_integer_value(v) == 25);
	json_decref(v);
	v = quota_render_ref(&a);
	assert_string_equal(json_string_value(json_object_get(v, "id")), "12");
	assert_string_equal(json_string_value(json_object_get(v, "type")), "team");
	json_decref(v);

	sample_tree(&t);
	quota_tree_roll(&t, curve, 3, d("2026-04-01"), d("2026-06-30"));
	assert_int_equal(period_parse("FY2026-Q2", 1, &key.period), ST_OK);
	assert_int_equal(quota_tree_root_parts(&t, true, &parts, &n), ST_OK);
	v = quota_render_team(&t, &key, parts, n);
	assert_string_equal(json_string_value(json_object_get(v, "team_id")), "10");
	assert_string_equal(json_string_value(json_object_get(v, "source")), "rolled_up");
	assert_string_equal(json_string_value(json_object_get(v, "period_start")), "2026-04-01");
	assert_string_equal(json_string_value(json_object_get(json_object_get(v, "filter"), "type")), "renewal");
	assert_true(json_is_null(json_object_get(json_object_get(v, "filter"), "segment")));
	assert_int_equal(json_array_size(json_object_get(v, "parts")), 6);
	json_decref(v);
	v = quota_render_coverage(&t, &key, parts, n);
	/* sellers with a quota: 2, 3, 4 (ramped to 75 %), 6, 7, 8; not the manager 1 */
	assert_true(json_number_value(json_object_get(v, "street_quota_full")) == 500.01); /* 200+50+100+70+80+0.01 */
	assert_true(json_is_null(json_object_get(v, "over_assignment_pct")));
	json_t *none = json_object_get(v, "people_without_quota");
	assert_int_equal(json_array_size(none), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(none, 0), "id")), "5");
	json_decref(v);
	free(parts);
	quota_tree_clear(&t);
}

/* ---- who may (auth/scope.h) ----------------------------------------------------------- */

static void
test_scope_quota_rules(void **state)
{
	int64_t roots[] = { 11 }, teams[] = { 11, 14 };
	struct scope mgr = { .roles = ROLE_MANAGER, .person_id = 5, .roots = roots, .nroots = 1, .teams = teams,
			     .nteams = 2 };
	struct scope admin = { .roles = ROLE_ADMIN }, exec = { .roles = ROLE_EXEC | ROLE_SERVICE };
	struct scope rep = { .roles = ROLE_REP, .person_id = 6 };

	(void)state;
	/* a manager: their own quota read only, their people's written, others' unseen */
	assert_int_equal(scope_quota_person(&mgr, 5, 11), SCOPE_READ);
	assert_int_equal(scope_quota_person(&mgr, 6, 11), SCOPE_WRITE);
	assert_int_equal(scope_quota_person(&mgr, 7, 14), SCOPE_WRITE);
	assert_int_equal(scope_quota_person(&mgr, 8, 99), SCOPE_NONE);
	assert_int_equal(scope_quota_person(&mgr, 9, 0), SCOPE_NONE);
	/* the team they manage is read only, the ones below written */
	assert_int_equal(scope_quota_team(&mgr, 11), SCOPE_READ);
	assert_int_equal(scope_quota_team(&mgr, 14), SCOPE_WRITE);
	assert_int_equal(scope_quota_team(&mgr, 10), SCOPE_NONE);
	assert_true(scope_quota_plans(&mgr, 11) && scope_quota_plans(&mgr, 14) && !scope_quota_plans(&mgr, 10));
	assert_true(scope_manages_team(&mgr, 11) && !scope_manages_team(&mgr, 14));
	assert_true(scope_is_self(&mgr, 5) && !scope_is_self(&mgr, 6) && !scope_is_self(&admin, 0));
	/* admins write everything; execs and services read everything; a rep reads their own */
	assert_int_equal(scope_quota_person(&admin, 5, 11), SCOPE_WRITE);
	assert_int_equal(scope_quota_team(&admin, 11), SCOPE_WRITE);
	assert_true(scope_quota_plans(&admin, 10));
	assert_int_equal(scope_quota_person(&exec, 5, 11), SCOPE_READ);
	assert_int_equal(scope_quota_team(&exec, 11), SCOPE_READ);
	assert_false(scope_quota_plans(&exec, 11));
	assert_int_equal(scope_quota_person(&rep, 6, 11), SCOPE_READ);
	assert_int_equal(scope_quota_person(&rep, 7, 11), SCOPE_NONE);
	assert_int_equal(scope_quota_team(&rep, 11), SCOPE_NONE);
	assert_false(scope_manages_team(&rep, 11));
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
		cmocka_unit_test(test_quota_basics),
		cmocka_unit_test(test_ramp_from_curve),
		cmocka_unit_test(test_root_parts_and_their_figures),
		cmocka_unit_test(test_alloc_total),
		cmocka_unit_test(test_split_periods_and_lookback),
		cmocka_unit_test(test_suggest_periods_and_inputs),
		cmocka_unit_test(test_shares_weights),
		cmocka_unit_test(test_shares_percentages),
		cmocka_unit_test(test_render),
		cmocka_unit_test(test_scope_quota_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
