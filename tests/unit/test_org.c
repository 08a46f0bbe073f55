/* Unit tests of the pure org pieces: ISO 4217 codes and the manager scope decisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "auth/scope.h"
#include "org/currency.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_currency),
		cmocka_unit_test(test_manager_scope),
		cmocka_unit_test(test_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
