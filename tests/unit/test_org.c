/* Unit tests of the pure org pieces: ISO 4217 codes, the ramp curve rule and the manager scope decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "auth/scope.h"
#include "org/currency.h"
#include "org/org.h"

static void
test_currency(void **state)
{
	(void)state;
	assert_true(currency_known("USD"));
	assert_true(currency_known("EUR"));
	assert_true(currency_known("AED")); /* first */
	assert_true(currency_known("ZWL")); /* last */
	assert_false(currency_known("ZWX"));
	assert_false(currency_known("QQQ"));
	assert_false(currency_known("usd"));
	assert_false(currency_known("US"));
	assert_false(currency_known("USDX"));
	assert_false(currency_known(""));
	assert_false(currency_known("SD "));
}

/* A manager of team 10 (children 11, 12; 12 has child 13) and of team 20. */
static struct scope
manager_scope(void)
{
	static int64_t roots[] = { 10, 20 };
	static int64_t teams[] = { 10, 11, 12, 13, 20 };
	struct scope s = { .roles = ROLE_MANAGER, .person_id = 7 };

	s.roots = malloc(sizeof roots);
	s.teams = malloc(sizeof teams);
	memcpy(s.roots, roots, sizeof roots);
	memcpy(s.teams, teams, sizeof teams);
	s.nroots = 2;
	s.nteams = 5;
	return s;
}

static void
test_manager_scope(void **state)
{
	struct scope s = manager_scope();

	(void)state;
	assert_false(scope_reads_all(&s));
	assert_false(scope_writes_all(&s));
	for (int64_t id = 10; id <= 13; id++)
		assert_true(scope_has_team(&s, id));
	assert_true(scope_has_team(&s, 20));
	assert_false(scope_has_team(&s, 14));
	assert_false(scope_has_team(&s, 1));
	/* the teams they manage are their own manager's call */
	assert_false(scope_below_root(&s, 10, 1));
	assert_false(scope_below_root(&s, 20, 0));
	assert_true(scope_below_root(&s, 11, 10));
	assert_true(scope_below_root(&s, 13, 12));
	assert_false(scope_below_root(&s, 14, 2));
	char *lit = scope_teams_literal(&s);
	assert_string_equal(lit, "{10,11,12,13,20}");
	free(lit);
	scope_clear(&s);
	assert_null(s.teams);
}

static void
test_roles(void **state)
{
	struct scope admin = { .roles = ROLE_ADMIN };
	struct scope exec = { .roles = ROLE_EXEC };
	struct scope svc = { .roles = ROLE_SERVICE };
	struct scope rep = { .roles = ROLE_REP, .person_id = 3 };

	(void)state;
	assert_true(scope_reads_all(&admin) && scope_writes_all(&admin));
	assert_true(scope_reads_all(&exec) && !scope_writes_all(&exec));
	assert_true(scope_reads_all(&svc) && !scope_writes_all(&svc));
	assert_false(scope_reads_all(&rep) || scope_writes_all(&rep));
	assert_false(scope_has_team(&rep, 1)); /* not a manager: no subtree */
	char *lit = scope_teams_literal(&rep);
	assert_string_equal(lit, "{}");
	free(lit);
}

/* Check a whole curve as PATCH /v1/org reads it; the issues' fields and messages into e. */
static int
check_curve(const int64_t *pct, size_t n, struct issues *e)
{
	int64_t prev = 0;
	int bad = 0;

	for (size_t i = 0; i < n; i++)
		bad += org_ramp_month_check(i, pct[i], &prev, e) != ST_OK;
	return bad;
}

static void
test_ramp_curve(void **state)
{
	struct issues e = { 0 };

	(void)state;
	assert_int_equal(check_curve((int64_t[]){ 2500, 5000, 5000, 10000 }, 4, &e), 0);
	assert_false(issues_any(&e));
	/* out of range: 0, above 100 */
	assert_int_equal(check_curve((int64_t[]){ 0, 10001 }, 2, &e), 2);
	assert_int_equal(e.n, 2);
	assert_string_equal(e.items[0].field, "ramp_curve[0]");
	assert_string_equal(e.items[0].message, "must be greater than 0 and at most 100");
	assert_string_equal(e.items[1].field, "ramp_curve[1]");
	issues_clear(&e);
	/* a fall names the month that falls; the month after compares with the fallen one */
	assert_int_equal(check_curve((int64_t[]){ 5000, 2500, 3000 }, 3, &e), 1);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.items[0].field, "ramp_curve[1]");
	assert_string_equal(e.items[0].message, "must not be below the month before");
	issues_clear(&e);
	/* a month out of range does not move the bar for the next */
	assert_int_equal(check_curve((int64_t[]){ 5000, 20000, 6000 }, 3, &e), 1);
	assert_string_equal(e.items[0].field, "ramp_curve[1]");
	issues_clear(&e);
}

static void
test_write_predicates(void **state)
{
	struct scope s = manager_scope();
	struct scope admin = { .roles = ROLE_ADMIN, .person_id = 7 };
	struct scope rep = { .roles = ROLE_REP, .person_id = 3 };

	(void)state;
	assert_true(scope_has_subtree(ROLE_MANAGER));
	assert_true(scope_has_subtree(ROLE_MANAGER | ROLE_REP));
	assert_false(scope_has_subtree(ROLE_ADMIN | ROLE_EXEC | ROLE_SERVICE | ROLE_REP));
	/* placing under a team: a manager within the subtree, never at the top */
	assert_true(scope_may_write_in(&s, 10));
	assert_true(scope_may_write_in(&s, 13));
	assert_false(scope_may_write_in(&s, 14));
	assert_false(scope_may_write_in(&s, 0));
	assert_true(scope_may_write_in(&admin, 0));
	assert_true(scope_may_write_in(&admin, 999));
	assert_false(scope_may_write_in(&rep, 10));
	/* writing a team: below the teams they manage, not those themselves */
	assert_true(scope_may_write_team(&s, 11, 10));
	assert_false(scope_may_write_team(&s, 10, 1));
	assert_false(scope_may_write_team(&s, 20, 0));
	assert_true(scope_may_write_team(&admin, 10, 1));
	assert_false(scope_may_write_team(&rep, 11, 10));
	/* the own record is the manager's manager's call; an admin's is theirs */
	assert_true(scope_is_own_record(&s, 7));
	assert_false(scope_is_own_record(&s, 8));
	assert_false(scope_is_own_record(&admin, 7));
	scope_clear(&s);
}

static void
test_periods_list(void **state)
{
	struct issues e = { 0 };
	struct period_list l = { 0 };
	cal_date today, from, to;

	(void)state;
	assert_int_equal(cal_date_parse("2026-03-15", &today), ST_OK);
	/* neither end: the fiscal year of today (FY starting in February) */
	struct period_query q = { .grain = GRAIN_QUARTER };
	assert_int_equal(org_periods_list(&q, 2, today, &l, &e), ST_OK);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.fy_start, 2);
	char d[16];
	cal_date_format(l.items[0].start, d, sizeof d);
	assert_string_equal(d, "2026-02-01");
	period_list_clear(&l);
	assert_null(l.items);
	/* only `to`: the 12 months up to it */
	assert_int_equal(cal_date_parse("2026-12-31", &to), ST_OK);
	q = (struct period_query){ .grain = GRAIN_MONTH, .set_to = true, .to = to };
	assert_int_equal(org_periods_list(&q, 1, today, &l, &e), ST_OK);
	assert_int_equal(l.n, 12);
	assert_string_equal(l.items[0].id, "2026-01");
	period_list_clear(&l);
	/* to before from */
	assert_int_equal(cal_date_parse("2027-01-01", &from), ST_OK);
	q = (struct period_query){ .grain = GRAIN_MONTH, .set_from = true, .from = from, .set_to = true, .to = to };
	assert_int_equal(org_periods_list(&q, 1, today, &l, &e), ST_INVALID);
	assert_string_equal(e.items[0].field, "to");
	assert_string_equal(e.items[0].message, "must not be before from");
	issues_clear(&e);
	/* more than ORG_PERIODS_MAX */
	assert_int_equal(cal_date_parse("1900-01-01", &from), ST_OK);
	q.from = from;
	assert_int_equal(org_periods_list(&q, 1, today, &l, &e), ST_INVALID);
	assert_string_equal(e.items[0].message, "the range holds more than 1000 periods");
	assert_null(l.items);
	issues_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_currency),
		cmocka_unit_test(test_manager_scope),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_ramp_curve),
		cmocka_unit_test(test_write_predicates),
		cmocka_unit_test(test_periods_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
