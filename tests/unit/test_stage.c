/*
 * test_stage.c — stage lists and the rules tying a deal to its stage
 * (internal/deals/stage, internal/deals/deal).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "deals/deal.h"
#include "deals/stage.h"

static void
add(struct stage_list *l, const char *key, int probability, const char *category, bool won, bool lost)
{
	struct stage *s = &l->items[l->n++];

	memset(s, 0, sizeof *s);
	snprintf(s->key, sizeof s->key, "%s", key);
	s->name = key;
	s->probability = probability;
	snprintf(s->forecast_category, sizeof s->forecast_category, "%s", category);
	s->is_won = won;
	s->is_lost = lost;
}

static void
defaults(struct stage_list *l)
{
	memset(l, 0, sizeof *l);
	add(l, "prospecting", 10, "pipeline", false, false);
	add(l, "proposal", 60, "best_case", false, false);
	add(l, "negotiation", 80, "commit", false, false);
	add(l, "closed_won", 100, "closed", true, false);
	add(l, "closed_lost", 0, "omitted", false, true);
}

/* The list has exactly one issue, about entry `index` (-1: the list) and `field`. */
static void
one_issue(const struct stage_list *l, int index, const char *field, const char *message)
{
	struct issues e = { 0 };
	char want[48];

	if (index < 0)
		snprintf(want, sizeof want, "%s", field);
	else
		snprintf(want, sizeof want, "items[%d].%s", index, field);
	assert_int_equal(stage_list_check(l, &e), ST_INVALID);
	if (e.n != 1)
		fail_msg("%zu issues, want 1 (first: %s %s)", e.n, e.n ? e.items[0].field : "-",
			 e.n ? e.items[0].message : "-");
	assert_string_equal(e.items[0].field, want);
	assert_string_equal(e.items[0].message, message);
	issues_clear(&e);
}

/* deal_resolve finds n issues (n == 0: ST_OK); the first is about `field` when given. */
static void
resolves(const struct deal_input *in, const struct deal_current *cur, const struct stage_list *l,
	 struct deal_resolved *rs, size_t n, const char *field, const char *message)
{
	struct issues e = { 0 };

	assert_int_equal(deal_resolve(in, cur, l, rs, &e), n ? ST_INVALID : ST_OK);
	assert_int_equal(e.n, n);
	if (field)
		assert_string_equal(e.items[0].field, field);
	if (message)
		assert_string_equal(e.items[0].message, message);
	issues_clear(&e);
}

static void
test_default_list_is_valid(void **state)
{
	struct stage_list l;
	struct issues e = { 0 };

	defaults(&l);
	assert_int_equal(stage_list_check(&l, &e), ST_OK);
	assert_int_equal(e.n, 0);
	assert_non_null(stage_find(&l, "proposal"));
	assert_null(stage_find(&l, "nope"));
	assert_string_equal(stage_status(stage_find(&l, "closed_won")), "won");
	assert_string_equal(stage_status(stage_find(&l, "closed_lost")), "lost");
	assert_string_equal(stage_status(stage_find(&l, "proposal")), "open");
}

static void
test_keys(void **state)
{
	assert_true(stage_key_valid("a"));
	assert_true(stage_key_valid("needs_analysis_2"));
	assert_true(stage_key_valid("a234567890123456789012345678901234567890"));
	assert_false(stage_key_valid(""));
	assert_false(stage_key_valid("a2345678901234567890123456789012345678901"));
	assert_false(stage_key_valid("1abc"));
	assert_false(stage_key_valid("_abc"));
	assert_false(stage_key_valid("Abc"));
	assert_false(stage_key_valid("a-b"));
	assert_false(stage_key_valid("a b"));
}

static void
test_list_rules(void **state)
{
	struct stage_list l;
	struct issues e = { 0 };

	defaults(&l);
	snprintf(l.items[1].key, sizeof l.items[1].key, "prospecting");
	one_issue(&l, 1, "key", "another stage has this key");

	defaults(&l);
	l.items[3].probability = 90;
	one_issue(&l, 3, "probability", "must be 100 for a won stage");

	defaults(&l);
	l.items[4].probability = 5;
	one_issue(&l, 4, "probability", "must be 0 for a lost stage");

	defaults(&l);
	l.items[3].is_lost = true;
	assert_int_equal(stage_list_check(&l, &e), ST_INVALID);
	assert_true(e.n >= 1);
	assert_string_equal(e.items[0].message, "a stage cannot be both won and lost");
	issues_clear(&e);

	defaults(&l);
	l.items[3].is_won = false;
	one_issue(&l, -1, "items", "at least one stage must be won (is_won)");

	defaults(&l);
	l.items[4].is_lost = false;
	one_issue(&l, -1, "items", "at least one stage must be lost (is_lost)");

	defaults(&l);
	snprintf(l.items[0].forecast_category, sizeof l.items[0].forecast_category, "maybe");
	one_issue(&l, 0, "forecast_category", "must be one of: pipeline, best_case, commit, closed, omitted");

	defaults(&l);
	l.items[0].probability = 101;
	one_issue(&l, 0, "probability", "must be between 0 and 100");

	memset(&l, 0, sizeof l);
	one_issue(&l, -1, "items", "must hold 1 to 50 stages");
}

static struct deal_input
input(const char *stage)
{
	struct deal_input in;

	memset(&in, 0, sizeof in);
	in.stage = stage;
	return in;
}

static struct deal_current
current(const char *stage, int probability, const char *category)
{
	struct deal_current cur = { .id = 1, .version = 3, .owner_id = 5, .probability = probability };

	snprintf(cur.stage, sizeof cur.stage, "%s", stage);
	snprintf(cur.forecast_category, sizeof cur.forecast_category, "%s", category);
	cal_date_parse("2026-01-10", &cur.created_on);
	cal_date_parse("2026-03-31", &cur.close_date);
	return cur;
}

static void
test_create_takes_the_stage_defaults(void **state)
{
	struct stage_list l;
	struct deal_resolved rs;
	struct deal_input in = input("proposal");

	defaults(&l);
	resolves(&in, NULL, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 60);
	assert_string_equal(rs.forecast_category, "best_case");
	assert_string_equal(rs.status, "open");
	assert_true(rs.stage_changed);

	in.probability_mode = DEAL_SET;
	in.probability = 35;
	in.forecast_mode = DEAL_SET;
	in.forecast_category = "commit";
	resolves(&in, NULL, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 35);
	assert_string_equal(rs.forecast_category, "commit");
}

static void
test_stored_probability_stays_until_the_stage_changes(void **state)
{
	struct stage_list l;
	struct deal_resolved rs;
	struct deal_input in = input(NULL);
	struct deal_current cur = current("proposal", 45, "commit");

	defaults(&l);
	/* the stage's default moved to 70: the deal keeps 45 */
	l.items[1].probability = 70;
	resolves(&in, &cur, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 45);
	assert_string_equal(rs.forecast_category, "commit");
	assert_false(rs.stage_changed);

	/* the same stage given again is no change */
	in.stage = "proposal";
	resolves(&in, &cur, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 45);

	/* null: back to the stage's default */
	in.probability_mode = DEAL_DEFAULT;
	in.forecast_mode = DEAL_DEFAULT;
	resolves(&in, &cur, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 70);
	assert_string_equal(rs.forecast_category, "best_case");

	/* a new stage brings its defaults */
	in = input("negotiation");
	resolves(&in, &cur, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 80);
	assert_string_equal(rs.forecast_category, "commit");
	assert_true(rs.stage_changed);

	/* closing as won: 100, closed */
	in = input("closed_won");
	resolves(&in, &cur, &l, &rs, 0, NULL, NULL);
	assert_int_equal(rs.probability, 100);
	assert_string_equal(rs.status, "won");
}

static void
test_resolve_rejects(void **state)
{
	struct stage_list l;
	struct deal_resolved rs;
	struct deal_input in = input("nope");
	struct deal_current cur = current("proposal", 45, "commit");

	defaults(&l);
	resolves(&in, NULL, &l, &rs, 1, "stage", NULL);

	in = input("closed_won");
	in.probability_mode = DEAL_SET;
	in.probability = 90;
	resolves(&in, NULL, &l, &rs, 1, "probability", "must be 100 in a won stage");

	in = input("closed_lost");
	in.probability_mode = DEAL_SET;
	in.probability = 10;
	resolves(&in, NULL, &l, &rs, 1, NULL, "must be 0 in a lost stage");

	/* close before created: both given */
	in = input("proposal");
	in.set_close_date = in.set_created_on = true;
	cal_date_parse("2026-01-01", &in.close_date);
	cal_date_parse("2026-01-02", &in.created_on);
	resolves(&in, NULL, &l, &rs, 1, "close_date", NULL);

	/* a create without created_on defaults it to at most close_date: fine */
	in.set_created_on = false;
	resolves(&in, NULL, &l, &rs, 0, NULL, NULL);

	/* a patch moving close_date before the stored created_on */
	in = input(NULL);
	in.set_close_date = true;
	cal_date_parse("2026-01-09", &in.close_date);
	resolves(&in, &cur, &l, &rs, 1, "close_date", NULL);

	/* a patch moving created_on after the stored close_date */
	in = input(NULL);
	in.set_created_on = true;
	cal_date_parse("2026-04-01", &in.created_on);
	resolves(&in, &cur, &l, &rs, 1, "created_on", NULL);
}

static void
test_new_deal_defaults(void **state)
{
	struct deal_input in = input("proposal");
	struct issues e = { 0 };

	/* no type: new_business; no segment: the owner's */
	assert_int_equal(deal_defaults(&in, "b2c", &e), ST_OK);
	assert_string_equal(in.type, "new_business");
	assert_string_equal(in.segment, "b2c");

	/* given ones stay */
	in = input("proposal");
	in.type = "renewal";
	in.segment = "b2b";
	assert_int_equal(deal_defaults(&in, "b2c", &e), ST_OK);
	assert_string_equal(in.type, "renewal");
	assert_string_equal(in.segment, "b2b");
	assert_int_equal(deal_defaults(&in, NULL, &e), ST_OK);
	assert_int_equal(e.n, 0);

	/* neither the write nor the owner has a segment */
	in = input("proposal");
	assert_int_equal(deal_defaults(&in, "", &e), ST_INVALID);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.items[0].field, "segment");
	assert_string_equal(e.items[0].message, "is required: the owner has no segment");
	issues_clear(&e);
	in = input("proposal");
	assert_int_equal(deal_defaults(&in, NULL, &e), ST_INVALID);
	issues_clear(&e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_list_is_valid),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_list_rules),
		cmocka_unit_test(test_create_takes_the_stage_defaults),
		cmocka_unit_test(test_stored_probability_stays_until_the_stage_changes),
		cmocka_unit_test(test_resolve_rejects),
		cmocka_unit_test(test_new_deal_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
