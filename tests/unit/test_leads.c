/*
 * Unit tests of the pure lead modules: the field catalogue (lead.c), rules,
 * BANT and the score (score.c), and the learned model, its training and
 * its metrics (feature.c, model.c, discovery.c, fit.c, training.c,
 * metrics.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/gbt.h"
#include "leads/lead.h"
#include "leads/metrics.h"
#include "leads/model.h"
#include "leads/score.h"
#include "leads/training.h"

static cal_date
day(const char *s)
{
	cal_date d = 0;

	assert_int_equal(cal_date_parse(s, &d), ST_OK);
	return d;
}

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY, &e);

	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, e.text);
	return v;
}

/* ---- lead.c ------------------------------------------------------------------- */

static void
test_fields(void **state)
{
	struct lead_field_ref f;

	(void)state;
	const char *known[] = { "company", "contact_name", "email", "segment", "source", "budget",
				"authority", "need", "timeline", "employees", "industry", "engagement" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		assert_true(lead_field_resolve(known[i], &f));
	assert_true(lead_field_resolve("budget", &f) && f.type == LF_MONEY);
	assert_true(lead_field_resolve("authority", &f) && f.type == LF_ORDINAL && f.values == lead_authorities);
	assert_true(lead_field_resolve("timeline", &f) && f.type == LF_DATE);
	assert_true(lead_field_resolve("attributes.Lead Source", &f) && f.type == LF_ATTRIBUTE);
	assert_string_equal(lead_field_key(&f), "Lead Source");
	assert_false(lead_field_resolve("attributes.", &f));
	assert_false(lead_field_resolve("status", &f)); /* not a scoring field */
	assert_false(lead_field_resolve("score", &f));
	assert_false(lead_field_resolve("Budget", &f));
	assert_false(lead_field_resolve("", &f));
	assert_int_equal(lead_enum_index(lead_needs, "medium"), 2);
	assert_int_equal(lead_enum_index(lead_needs, "urgent"), -1);
	assert_int_equal(lead_enum_index(lead_needs, NULL), -1);
}

static void
test_lead_from_json(void **state)
{
	struct lead l;
	json_t *j = js("{\"segment\":\"b2c\",\"company\":\"Acme\",\"budget\":1234.5,\"authority\":\"influencer\","
		       "\"need\":null,\"timeline\":\"2026-03-01\",\"employees\":12,\"engagement\":70,"
		       "\"attributes\":{\"a\":1},\"status\":\"nurture\",\"owner_id\":\"7\"}");
	struct lead_value v;
	struct lead_field_ref f;

	(void)state;
	assert_int_equal(lead_from_json(j, &l), ST_OK);
	assert_string_equal(l.segment, "b2c");
	assert_true(l.has_budget && l.budget == 123450);
	assert_int_equal(l.authority, 1);
	assert_int_equal(l.need, -1);
	assert_true(l.has_timeline && l.timeline == day("2026-03-01"));
	assert_true(l.has_employees && l.employees == 12);
	assert_true(l.has_engagement && l.engagement == 70);
	assert_string_equal(l.status, "nurture");
	assert_true(lead_field_resolve("budget", &f));
	lead_value_get(&l, &f, &v);
	assert_int_equal(v.type, LV_NUMBER);
	assert_true(v.cents == 123450 && v.number == 1234.5);
	assert_true(lead_field_resolve("need", &f));
	lead_value_get(&l, &f, &v);
	assert_int_equal(v.type, LV_NULL);
	assert_true(lead_field_resolve("attributes.a", &f));
	lead_value_get(&l, &f, &v);
	assert_true(v.type == LV_NUMBER && v.number == 1);
	assert_true(lead_field_resolve("attributes.missing", &f));
	lead_value_get(&l, &f, &v);
	assert_int_equal(v.type, LV_NULL);
	json_decref(j);

	const char *bad[] = { "{\"segment\":\"b2x\"}",	  "{\"budget\":-1}",	  "{\"budget\":1.234}",
			      "{\"authority\":\"boss\"}", "{\"timeline\":\"2026-02-30\"}", "{\"engagement\":101}",
			      "{\"employees\":1.5}",	  "{\"attributes\":[]}",  "{\"company\":5}", "[]" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = js(bad[i]);
		assert_int_equal(lead_from_json(j, &l), ST_INVALID);
		json_decref(j);
	}
}

/* ---- rules ---------------------------------------------------------------------- */

static const char *const BANT_OK =
	"\"bant\":{\"required\":[\"budget\",\"authority\"],\"budget\":{\"yes\":10000,\"partial\":1000},"
	"\"authority\":{\"yes\":[\"decision_maker\",\"economic_buyer\"],\"partial\":[\"influencer\"]},"
	"\"need\":{\"yes\":[\"high\"],\"partial\":[\"medium\"]},"
	"\"timeline\":{\"yes_within_days\":30,\"partial_within_days\":90}}";

/* A model of one rule (field, op, value JSON text); NULL-free: fails the test when invalid. */
static void
one_rule(struct score_model *m, const char *field, const char *op, const char *value)
{
	char text[1024];
	struct issues e = { 0 };

	snprintf(text, sizeof text,
		 "{\"rules\":[{\"id\":\"r\",\"field\":\"%s\",\"op\":\"%s\",\"value\":%s,\"points\":10}],"
		 "\"thresholds\":{\"qualified\":60,\"nurture\":30},%s}",
		 field, op, value, BANT_OK);
	json_t *def = js(text);
	if (score_model_parse(def, m, &e) != ST_OK)
		fail_msg("%s %s %s: %s: %s", field, op, value, e.items[0].field, e.items[0].message);
	issues_clear(&e);
	json_decref(def);
}

static bool
matches(const char *field, const char *op, const char *value, const char *lead_json, const char *today)
{
	struct score_model m;
	struct lead l;
	json_t *lj = js(lead_json);

	one_rule(&m, field, op, value);
	assert_int_equal(lead_from_json(lj, &l), ST_OK);
	bool hit = score_rule_matches(&m.rules[0], &l, day(today ? today : "2026-01-01"));
	score_model_clear(&m);
	json_decref(lj);
	return hit;
}

static void
test_operators_text(void **state)
{
	(void)state;
	const char *l = "{\"company\":\"Acme Widgets\",\"email\":\"ann@gmail.com\"}";
	assert_true(matches("company", "eq", "\"acme widgets\"", l, NULL)); /* case-insensitive */
	assert_false(matches("company", "eq", "\"Acme\"", l, NULL));
	assert_true(matches("company", "ne", "\"Acme\"", l, NULL));
	assert_true(matches("company", "in", "[\"x\",\"ACME WIDGETS\"]", l, NULL));
	assert_false(matches("company", "in", "[\"x\"]", l, NULL));
	assert_true(matches("email", "contains", "\"@GMAIL.\"", l, NULL));
	assert_false(matches("email", "contains", "\"@yahoo\"", l, NULL));
	assert_true(matches("company", "exists", "true", l, NULL));
	assert_false(matches("industry", "exists", "true", l, NULL));
	assert_true(matches("industry", "exists", "false", l, NULL));
	/* a null field matches nothing but exists:false */
	assert_false(matches("industry", "ne", "\"x\"", l, NULL));
	assert_false(matches("industry", "eq", "\"x\"", l, NULL));
	assert_false(matches("industry", "contains", "\"x\"", l, NULL));
}

static void
test_operators_enums(void **state)
{
	(void)state;
	const char *l = "{\"segment\":\"b2b\",\"authority\":\"decision_maker\",\"need\":\"medium\"}";
	assert_true(matches("segment", "eq", "\"b2b\"", l, NULL));
	assert_true(matches("segment", "ne", "\"b2c\"", l, NULL));
	assert_true(matches("authority", "in", "[\"decision_maker\",\"economic_buyer\"]", l, NULL));
	/* authority and need are ordered */
	assert_true(matches("authority", "gte", "\"influencer\"", l, NULL));
	assert_true(matches("authority", "gt", "\"influencer\"", l, NULL));
	assert_false(matches("authority", "gt", "\"decision_maker\"", l, NULL));
	assert_true(matches("authority", "lte", "\"decision_maker\"", l, NULL));
	assert_true(matches("authority", "lt", "\"economic_buyer\"", l, NULL));
	assert_true(matches("need", "between", "[\"low\",\"medium\"]", l, NULL));
	assert_false(matches("need", "between", "[\"high\",\"high\"]", l, NULL));
	assert_false(matches("need", "exists", "false", l, NULL));
}

static void
test_operators_numbers(void **state)
{
	(void)state;
	const char *l = "{\"budget\":25000.5,\"employees\":50,\"engagement\":0}";
	assert_true(matches("budget", "eq", "25000.50", l, NULL));
	assert_false(matches("budget", "eq", "25000.51", l, NULL));
	assert_true(matches("budget", "ne", "25000", l, NULL));
	assert_true(matches("budget", "gt", "25000.49", l, NULL));
	assert_false(matches("budget", "gt", "25000.5", l, NULL));
	assert_true(matches("budget", "gte", "25000.5", l, NULL));
	assert_true(matches("budget", "lt", "25000.51", l, NULL));
	assert_true(matches("budget", "lte", "25000.5", l, NULL));
	assert_true(matches("budget", "between", "[25000, 30000]", l, NULL));
	assert_false(matches("budget", "between", "[0, 25000]", l, NULL));
	assert_true(matches("budget", "in", "[1, 25000.5]", l, NULL));
	assert_true(matches("employees", "gte", "50", l, NULL));
	assert_false(matches("employees", "gt", "50", l, NULL));
	assert_true(matches("employees", "between", "[50, 50]", l, NULL));
	assert_true(matches("engagement", "eq", "0", l, NULL)); /* zero is a value, not null */
	assert_true(matches("engagement", "exists", "true", l, NULL));
	assert_false(matches("employees", "lt", "10", "{}", NULL));
}

static void
test_operators_dates(void **state)
{
	(void)state;
	const char *l = "{\"timeline\":\"2026-03-01\"}";
	assert_true(matches("timeline", "eq", "\"2026-03-01\"", l, NULL));
	assert_true(matches("timeline", "gt", "\"2026-02-28\"", l, NULL));
	assert_true(matches("timeline", "lte", "\"2026-03-01\"", l, NULL));
	assert_true(matches("timeline", "between", "[\"2026-01-01\",\"2026-12-31\"]", l, NULL));
	/* 2026-01-01 to 2026-03-01 is 59 days */
	assert_true(matches("timeline", "within_days", "59", l, "2026-01-01"));
	assert_false(matches("timeline", "within_days", "58", l, "2026-01-01"));
	assert_true(matches("timeline", "within_days", "0", l, "2026-03-01"));
	assert_false(matches("timeline", "within_days", "365", l, "2026-03-02")); /* a past purchase is stale */
	assert_false(matches("timeline", "within_days", "30", "{}", "2026-03-01"));
}

static void
test_operators_attributes(void **state)
{
	(void)state;
	const char *l = "{\"attributes\":{\"Lead Source\":\"Google\",\"visits\":7,\"trial\":true,"
			"\"renewal\":\"2026-02-01\"}}";
	assert_true(matches("attributes.Lead Source", "eq", "\"google\"", l, NULL));
	assert_true(matches("attributes.Lead Source", "in", "[\"Direct\",\"Google\"]", l, NULL));
	assert_true(matches("attributes.Lead Source", "contains", "\"oog\"", l, NULL));
	assert_true(matches("attributes.visits", "gte", "7", l, NULL));
	assert_true(matches("attributes.visits", "between", "[5, 10]", l, NULL));
	assert_false(matches("attributes.visits", "eq", "\"7\"", l, NULL)); /* a number is not a string */
	assert_true(matches("attributes.visits", "ne", "\"7\"", l, NULL));
	assert_false(matches("attributes.Lead Source", "gt", "3", l, NULL)); /* a string is not ordered */
	assert_true(matches("attributes.trial", "eq", "true", l, NULL));
	assert_false(matches("attributes.trial", "eq", "false", l, NULL));
	assert_true(matches("attributes.renewal", "within_days", "31", l, "2026-01-01"));
	/* a date attribute counts on either side of today: "active within the last 30 days" */
	assert_true(matches("attributes.renewal", "within_days", "1", l, "2026-02-02"));
	assert_false(matches("attributes.renewal", "within_days", "0", l, "2026-02-02"));
	assert_true(matches("attributes.renewal", "within_days", "31", l, "2026-03-04"));
	assert_false(matches("attributes.renewal", "within_days", "30", l, "2026-03-04"));
	assert_false(matches("attributes.Lead Source", "within_days", "31", l, "2026-01-01"));
	assert_true(matches("attributes.nope", "exists", "false", l, NULL));
	assert_false(matches("attributes.nope", "eq", "1", l, NULL));
}

/* ---- checking a model -------------------------------------------------------------- */

/* Parse a model whose rules are `rules` (JSON array text) plus extra top-level text; the first issue's field. */
static const char *
first_issue(const char *rules, const char *extra, char *field, size_t len)
{
	char text[2048];
	struct issues e = { 0 };
	struct score_model m;

	snprintf(text, sizeof text, "{\"rules\":%s,\"thresholds\":{\"qualified\":60,\"nurture\":30},%s%s%s}", rules,
		 BANT_OK, *extra ? "," : "", extra);
	json_t *def = js(text);
	enum status st = score_model_parse(def, &m, &e);
	json_decref(def);
	if (st == ST_OK) {
		score_model_clear(&m);
		snprintf(field, len, "(none)");
	} else
		snprintf(field, len, "%s", e.items[0].field);
	issues_clear(&e);
	return field;
}

static void
expect_issue(const char *rules, const char *extra, const char *field)
{
	char got[128];

	first_issue(rules, extra, got, sizeof got);
	if (strcmp(got, field) != 0)
		fail_msg("rules %s %s: expected an issue at %s, got %s", rules, extra, field, got);
}

#define R(body) "[{\"id\":\"a\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":5}," body "]"

static void
test_model_checks(void **state)
{
	(void)state;
	expect_issue("[]", "", "(none)");
	expect_issue(R("{\"id\":\"b\",\"field\":\"attributes.x\",\"op\":\"eq\",\"value\":\"y\",\"points\":-5,\"group\":\"g\"}"),
		     "\"group_caps\":{\"g\":10},\"predicted_weight\":0.25", "(none)");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budgett\",\"op\":\"eq\",\"value\":1,\"points\":1}"), "", "rules[1].field");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"contains\",\"value\":\"1\",\"points\":1}"), "",
		     "rules[1].op");
	expect_issue(R("{\"id\":\"b\",\"field\":\"company\",\"op\":\"gt\",\"value\":\"a\",\"points\":1}"), "", "rules[1].op");
	expect_issue(R("{\"id\":\"b\",\"field\":\"segment\",\"op\":\"lt\",\"value\":\"b2b\",\"points\":1}"), "", "rules[1].op");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"within_days\",\"value\":3,\"points\":1}"), "",
		     "rules[1].op");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"like\",\"value\":3,\"points\":1}"), "", "rules[1].op");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":\"1000\",\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":-1,\"points\":1}"), "", "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1.001,\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"employees\",\"op\":\"gte\",\"value\":1.5,\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"authority\",\"op\":\"eq\",\"value\":\"ceo\",\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"timeline\",\"op\":\"gt\",\"value\":\"2026-13-01\",\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"timeline\",\"op\":\"within_days\",\"value\":-1,\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"between\",\"value\":[5,1],\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"between\",\"value\":[1],\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"need\",\"op\":\"in\",\"value\":[],\"points\":1}"), "", "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"need\",\"op\":\"in\",\"value\":[\"high\",\"huge\"],\"points\":1}"), "",
		     "rules[1].value[1]");
	expect_issue(R("{\"id\":\"b\",\"field\":\"need\",\"op\":\"exists\",\"value\":1,\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"attributes.x\",\"op\":\"gt\",\"value\":\"a\",\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"b\",\"field\":\"attributes.x\",\"op\":\"eq\",\"value\":{},\"points\":1}"), "",
		     "rules[1].value");
	expect_issue(R("{\"id\":\"a\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":1}"), "", "rules[1].id");
	expect_issue(R("{\"id\":\"b c\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":1}"), "", "rules[1].id");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":101}"), "",
		     "rules[1].points");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":1.5}"), "",
		     "rules[1].points");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1}"), "", "rules[1].points");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":1,\"weight\":2}"), "",
		     "rules[1].weight");
	expect_issue(R("7"), "", "rules[1]");
	expect_issue("{}", "", "rules");
	expect_issue("[]", "\"group_caps\":{\"nope\":10}", "group_caps.nope");
	expect_issue(R("{\"id\":\"b\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1,\"points\":1,\"group\":\"g\"}"),
		     "\"group_caps\":{\"g\":101}", "group_caps.g");
	expect_issue("[]", "\"predicted_weight\":1.5", "predicted_weight");
	expect_issue("[]", "\"colour\":1", "colour");
}

static void
expect_model_issue(const char *text, const char *field)
{
	struct issues e = { 0 };
	struct score_model m;
	json_t *def = js(text);
	enum status st = score_model_parse(def, &m, &e);

	json_decref(def);
	if (st == ST_OK) {
		score_model_clear(&m);
		fail_msg("expected an issue at %s", field);
	}
	bool found = false;
	for (size_t i = 0; i < e.n && i < 8; i++)
		found = found || strcmp(e.items[i].field, field) == 0;
	if (!found)
		fail_msg("expected an issue at %s, first is %s: %s", field, e.items[0].field, e.items[0].message);
	issues_clear(&e);
}

static void
test_model_checks_thresholds_and_bant(void **state)
{
	char text[2048];
	const char *base_bant = "{\"required\":[],\"budget\":{\"yes\":10,\"partial\":5},"
				"\"authority\":{\"yes\":[],\"partial\":[]},\"need\":{\"yes\":[],\"partial\":[]},"
				"\"timeline\":{\"yes_within_days\":1,\"partial_within_days\":2}}";

	(void)state;
	snprintf(text, sizeof text, "{\"rules\":[],\"thresholds\":{\"qualified\":50,\"nurture\":50},\"bant\":%s}",
		 base_bant);
	expect_model_issue(text, "thresholds.nurture");
	snprintf(text, sizeof text, "{\"rules\":[],\"thresholds\":{\"qualified\":101,\"nurture\":50},\"bant\":%s}",
		 base_bant);
	expect_model_issue(text, "thresholds.qualified");
	snprintf(text, sizeof text, "{\"rules\":[],\"thresholds\":{\"qualified\":50},\"bant\":%s}", base_bant);
	expect_model_issue(text, "thresholds.nurture");
	expect_model_issue("{\"rules\":[],\"thresholds\":{\"qualified\":50,\"nurture\":10}}", "bant");
	expect_model_issue("[]", "body");
	const struct {
		const char *bant;
		const char *field;
	} bad[] = {
		{ "{\"required\":[\"money\"],\"budget\":{\"yes\":10,\"partial\":5},\"authority\":{\"yes\":[],\"partial\":[]},"
		  "\"need\":{\"yes\":[],\"partial\":[]},\"timeline\":{\"yes_within_days\":1,\"partial_within_days\":2}}",
		  "bant.required[0]" },
		{ "{\"required\":[],\"budget\":{\"yes\":5,\"partial\":10},\"authority\":{\"yes\":[],\"partial\":[]},"
		  "\"need\":{\"yes\":[],\"partial\":[]},\"timeline\":{\"yes_within_days\":1,\"partial_within_days\":2}}",
		  "bant.budget.partial" },
		{ "{\"required\":[],\"budget\":{\"yes\":10,\"partial\":5},\"authority\":{\"yes\":[\"influencer\"],"
		  "\"partial\":[\"influencer\"]},\"need\":{\"yes\":[],\"partial\":[]},"
		  "\"timeline\":{\"yes_within_days\":1,\"partial_within_days\":2}}",
		  "bant.authority.partial" },
		{ "{\"required\":[],\"budget\":{\"yes\":10,\"partial\":5},\"authority\":{\"yes\":[],\"partial\":[]},"
		  "\"need\":{\"yes\":[\"urgent\"],\"partial\":[]},\"timeline\":{\"yes_within_days\":1,\"partial_within_days\":2}}",
		  "bant.need.yes[0]" },
		{ "{\"required\":[],\"budget\":{\"yes\":10,\"partial\":5},\"authority\":{\"yes\":[],\"partial\":[]},"
		  "\"need\":{\"yes\":[],\"partial\":[]},\"timeline\":{\"yes_within_days\":30,\"partial_within_days\":2}}",
		  "bant.timeline.partial_within_days" },
		{ "{\"required\":[],\"budget\":{\"yes\":10,\"partial\":5},\"authority\":{\"yes\":[],\"partial\":[]},"
		  "\"need\":{\"yes\":[],\"partial\":[]},\"timeline\":{\"yes_within_days\":1}}",
		  "bant.timeline.partial_within_days" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "{\"rules\":[],\"thresholds\":{\"qualified\":50,\"nurture\":10},\"bant\":%s}",
			 bad[i].bant);
		expect_model_issue(text, bad[i].field);
	}
}

/* The canonical JSON reads back as the same model. */
static void
test_model_round_trip(void **state)
{
	char text[2048];
	struct issues e = { 0 };
	struct score_model m, m2;

	(void)state;
	snprintf(text, sizeof text,
		 "{\"rules\":[{\"id\":\"a\",\"field\":\"budget\",\"op\":\"between\",\"value\":[10,20.5],\"points\":5,"
		 "\"group\":\"g\"},{\"id\":\"b\",\"field\":\"need\",\"op\":\"in\",\"value\":[\"high\"],\"points\":-3}],"
		 "\"group_caps\":{\"g\":4},\"thresholds\":{\"qualified\":60,\"nurture\":30},%s,\"predicted_weight\":0.3}",
		 BANT_OK);
	json_t *def = js(text);
	assert_int_equal(score_model_parse(def, &m, &e), 0);
	json_decref(def);
	json_t *canon = score_model_to_json(&m);
	assert_non_null(canon);
	assert_int_equal(score_model_parse(canon, &m2, &e), 0);
	json_t *again = score_model_to_json(&m2);
	assert_true(json_equal(canon, again));
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(canon, "rules"), 1), "group")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(canon, "group_caps"), "g")), 4);
	json_decref(canon);
	json_decref(again);
	score_model_clear(&m);
	score_model_clear(&m2);
}

/* ---- BANT ------------------------------------------------------------------------- */

static void
test_bant(void **state)
{
	struct score_model m;
	struct lead l;
	cal_date today = day("2026-01-01");

	(void)state;
	one_rule(&m, "budget", "gte", "1");
	const struct bant_config *b = &m.bant;
	const struct {
		const char *lead;
		enum bant_level budget, authority, need, timeline;
	} cases[] = {
		{ "{}", BANT_UNKNOWN, BANT_UNKNOWN, BANT_UNKNOWN, BANT_UNKNOWN },
		{ "{\"budget\":10000,\"authority\":\"economic_buyer\",\"need\":\"high\",\"timeline\":\"2026-01-31\"}",
		  BANT_YES, BANT_YES, BANT_YES, BANT_YES },
		{ "{\"budget\":9999.99,\"authority\":\"influencer\",\"need\":\"medium\",\"timeline\":\"2026-02-01\"}",
		  BANT_PARTIAL, BANT_PARTIAL, BANT_PARTIAL, BANT_PARTIAL },
		{ "{\"budget\":1000,\"authority\":\"decision_maker\",\"need\":\"low\",\"timeline\":\"2026-04-01\"}",
		  BANT_PARTIAL, BANT_YES, BANT_NO, BANT_PARTIAL },
		{ "{\"budget\":999.99,\"authority\":\"none\",\"need\":\"none\",\"timeline\":\"2026-04-02\"}", BANT_NO,
		  BANT_NO, BANT_NO, BANT_NO },
		{ "{\"budget\":0,\"timeline\":\"2025-12-31\"}", BANT_NO, BANT_UNKNOWN, BANT_UNKNOWN, BANT_NO },
		{ "{\"timeline\":\"2026-01-01\"}", BANT_UNKNOWN, BANT_UNKNOWN, BANT_UNKNOWN, BANT_YES },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = js(cases[i].lead);
		assert_int_equal(lead_from_json(j, &l), ST_OK);
		assert_int_equal(score_bant_judge(b, BANT_BUDGET, &l, today), cases[i].budget);
		assert_int_equal(score_bant_judge(b, BANT_AUTHORITY, &l, today), cases[i].authority);
		assert_int_equal(score_bant_judge(b, BANT_NEED, &l, today), cases[i].need);
		assert_int_equal(score_bant_judge(b, BANT_TIMELINE, &l, today), cases[i].timeline);
		json_decref(j);
	}
	score_model_clear(&m);
}

/* ---- the score ------------------------------------------------------------------- */

static const char *const SCORING_MODEL =
	"\"rules\":["
	"{\"id\":\"b1\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1000,\"points\":20,\"group\":\"budget\"},"
	"{\"id\":\"b2\",\"field\":\"budget\",\"op\":\"gte\",\"value\":5000,\"points\":20,\"group\":\"budget\"},"
	"{\"id\":\"a\",\"field\":\"authority\",\"op\":\"gte\",\"value\":\"decision_maker\",\"points\":35},"
	"{\"id\":\"n\",\"field\":\"need\",\"op\":\"eq\",\"value\":\"high\",\"points\":30},"
	"{\"id\":\"x\",\"field\":\"attributes.competitor\",\"op\":\"eq\",\"value\":true,\"points\":-50},"
	"{\"id\":\"t\",\"field\":\"timeline\",\"op\":\"within_days\",\"value\":30,\"points\":33}],"
	"\"group_caps\":{\"budget\":30},\"thresholds\":{\"qualified\":70,\"nurture\":40}";

/* A model of `body` (rules, caps, thresholds) with the BANT_OK criteria. */
static void
load_model(struct score_model *m, const char *body)
{
	char text[4096];
	struct issues e = { 0 };

	snprintf(text, sizeof text, "{%s,%s}", body, BANT_OK);
	json_t *def = js(text);
	if (score_model_parse(def, m, &e) != ST_OK)
		fail_msg("%s: %s", e.items[0].field, e.items[0].message);
	issues_clear(&e);
	json_decref(def);
}

static void
score_of(const struct score_model *m, const char *lead_json, struct score_result *r)
{
	struct lead l;
	json_t *j = js(lead_json);

	assert_int_equal(lead_from_json(j, &l), ST_OK);
	score_lead(m, &l, day("2026-01-01"), r);
	json_decref(j);
}

static long
parts_sum(const struct score_result *r)
{
	long s = r->predicted_c;

	for (size_t k = 0; k < r->nparts; k++)
		s += r->parts[k].points_c;
	return s;
}

static void
test_score(void **state)
{
	struct score_model m;
	struct score_result *r = malloc(sizeof *r);

	(void)state;
	load_model(&m, SCORING_MODEL);
	/* budget 20 + 20 capped at 30 (each scaled by 0.75), authority 35: fit 65 */
	score_of(&m, "{\"budget\":6000,\"authority\":\"economic_buyer\"}", r);
	assert_int_equal(r->score, 65);
	assert_int_equal(r->grade, 'B');
	assert_int_equal(r->nparts, 3);
	assert_int_equal(r->parts[0].points_c, 1500);
	assert_int_equal(r->parts[1].points_c, 1500);
	assert_int_equal(r->parts[2].points_c, 3500);
	assert_false(r->has_probability);
	assert_int_equal(r->predicted_c, 0);
	assert_true(r->bant_passes); /* budget yes-ish partial, authority yes */
	assert_string_equal(r->suggested_status, "nurture"); /* 65 < 70 */
	/* over 100: every rule scaled by 100 / 128 */
	score_of(&m, "{\"budget\":6000,\"authority\":\"economic_buyer\",\"need\":\"high\",\"timeline\":\"2026-01-10\"}",
		 r);
	assert_int_equal(r->score, 100);
	assert_int_equal(r->grade, 'A');
	assert_int_equal(parts_sum(r), 10000);
	assert_string_equal(r->suggested_status, "qualified");
	assert_true(fabs(r->fit - 100) < 1e-9);
	/* at or below zero: fit 0, every contribution 0 */
	score_of(&m, "{\"authority\":\"economic_buyer\",\"attributes\":{\"competitor\":true}}", r);
	assert_int_equal(r->score, 0);
	assert_int_equal(r->grade, 'D');
	assert_int_equal(parts_sum(r), 0);
	assert_string_equal(r->suggested_status, "disqualified");
	/* a high score that fails the BANT gate (no budget) is only nurture */
	score_of(&m, "{\"authority\":\"economic_buyer\",\"need\":\"high\",\"timeline\":\"2026-01-10\"}", r);
	assert_int_equal(r->score, 98);
	assert_false(r->bant_passes);
	assert_string_equal(r->suggested_status, "nurture");
	json_t *bant = score_bant_json(r), *bd = score_breakdown_json(&m, r);
	assert_string_equal(json_string_value(json_object_get(bant, "budget")), "unknown");
	assert_true(json_is_false(json_object_get(bant, "passes")));
	assert_int_equal(json_array_size(json_object_get(bd, "rules")), 3);
	assert_true(json_is_null(json_object_get(bd, "predicted")));
	json_decref(bant);
	json_decref(bd);
	assert_int_equal(score_grade(80), 'A');
	assert_int_equal(score_grade(79), 'B');
	assert_int_equal(score_grade(60), 'B');
	assert_int_equal(score_grade(59), 'C');
	assert_int_equal(score_grade(40), 'C');
	assert_int_equal(score_grade(39), 'D');
	score_model_clear(&m);
	free(r);
}

/* A hand-written learned model: log-odds = -1 + 2 * [flag] (centred on a mean of 0.5). */
static const char *const LEARNED =
	"{\"type\":\"logistic_regression\",\"intercept\":-1,\"alpha\":0.001,\"n\":100,\"features\":["
	"{\"field\":\"attributes.flag\",\"kind\":\"boolean\",\"columns\":[{\"term\":\"true\",\"coef\":2,\"mean\":0.5}]},"
	"{\"field\":\"attributes.visits\",\"kind\":\"numeric\",\"transform\":\"log1p\",\"center\":1,\"scale\":0.5,"
	"\"columns\":[{\"term\":\"value\",\"coef\":0.5,\"mean\":0},{\"term\":\"hinge\",\"knot\":1,\"coef\":1,\"mean\":0.1},"
	"{\"term\":\"missing\",\"coef\":-0.25,\"mean\":0.2}]},"
	"{\"field\":\"source\",\"kind\":\"categorical\",\"columns\":[{\"term\":\"level\",\"level\":\"Google\",\"coef\":1,"
	"\"mean\":0.4},{\"term\":\"other\",\"coef\":-1,\"mean\":0.3},{\"term\":\"missing\",\"coef\":0,\"mean\":0.3}]}]}";

static double
logistic(double z)
{
	return 1 / (1 + exp(-z));
}

static void
test_predicted_blend(void **state)
{
	struct score_model m;
	struct score_result *r = malloc(sizeof *r);
	json_t *lj = js(LEARNED);

	(void)state;
	load_model(&m, SCORING_MODEL);
	assert_int_equal(model_from_json(lj, &m.predictive), ST_OK);
	assert_int_equal(model_columns(m.predictive), 7);
	m.predicted_weight = 0.5;
	/* flag true, visits missing, source Google: -1 + 2 - 0.25 + 1 */
	score_of(&m, "{\"budget\":6000,\"source\":\"Google\",\"attributes\":{\"flag\":true}}", r);
	double p = logistic(1.75);
	assert_true(r->has_probability);
	assert_true(fabs(r->probability - p) < 1e-12);
	/* fit 30 (budget capped); only the budget rules (40 of 188 points) can be judged, so the
	 * model weighs W = 1 - 0.5 * 40/188: score = 0.5 * 30 + W * 100 * p */
	double w = 1 - 0.5 * 40.0 / 188.0;
	long want = lround(0.5 * 30 + w * 100 * p);
	assert_true(fabs(r->fit_coverage - 40.0 / 188.0) < 1e-12);
	assert_int_equal(r->score, want);
	assert_int_equal(parts_sum(r), want * 100);
	assert_true(labs(r->predicted_c - lround(w * 10000 * p)) <= 50); /* the rounding of the total is spread */
	/* top factors: flag (+2 - 1 = +1), source (1 - (0.4 - 0.3 + 0) = +0.9), visits missing (-0.25 - 0.15 - 0.05) */
	assert_int_equal(r->nfactors, 3);
	assert_string_equal(r->factors[0].feature, "attributes.flag");
	assert_string_equal(r->factors[0].value, "true");
	assert_true(fabs(r->factors[0].contribution - 1.0) < 1e-12);
	assert_string_equal(r->factors[1].feature, "source");
	assert_string_equal(r->factors[1].value, "Google");
	assert_true(fabs(r->factors[1].contribution - 0.9) < 1e-12);
	assert_string_equal(r->factors[2].feature, "attributes.visits");
	assert_string_equal(r->factors[2].value, "");
	assert_true(fabs(r->factors[2].contribution - (-0.25 - 0.1 - (-0.05))) < 1e-12);
	/* numeric: log1p(e^2 - 1) = 2 -> z = 2, hinge 1: -1 + 0.5*2 + 1*1 ; unseen source -> other */
	char text[256];
	snprintf(text, sizeof text, "{\"source\":\"Bing\",\"attributes\":{\"visits\":%.17g}}", exp(2.0) - 1);
	score_of(&m, text, r);
	assert_true(fabs(r->probability - logistic(-1 + 1 + 1 - 1)) < 1e-9);
	m.trained_version = 3;
	json_t *bd = score_breakdown_json(&m, r);
	json_t *pred = json_object_get(bd, "predicted");
	assert_true(json_is_object(pred));
	assert_true(fabs(json_real_value(json_object_get(pred, "probability")) - 50.0) < 1e-9);
	/* no rule's field is known: the model carries the whole score */
	assert_true(fabs(json_real_value(json_object_get(pred, "weight")) - 1.0) < 1e-12);
	assert_true(fabs(json_real_value(json_object_get(bd, "fit_coverage"))) < 1e-12);
	/* the training behind the probability is named */
	assert_int_equal(json_integer_value(json_object_get(pred, "trained_version")), 3);
	json_decref(bd);
	/* the JSON of the model reads back to the same predictions */
	json_t *again = model_to_json(m.predictive);
	struct model *copy = NULL;
	assert_int_equal(model_from_json(again, &copy), ST_OK);
	struct lead l;
	json_t *x = js("{\"source\":\"Google\",\"attributes\":{\"flag\":false,\"visits\":3}}");
	assert_int_equal(lead_from_json(x, &l), ST_OK);
	assert_true(fabs(model_predict(copy, &l, NULL, 0, NULL) -
	                 model_predict(m.predictive, &l, NULL, 0, NULL)) < 1e-12);
	json_t *bad = js("{\"intercept\":0}");
	struct model *none = NULL;
	assert_int_equal(model_from_json(bad, &none), ST_INVALID);
	assert_null(none);
	json_decref(bad);
	json_decref(x);
	model_free(copy);
	json_decref(again);
	json_decref(lj);
	score_model_clear(&m);
	free(r);
}

/* LEARNED with a base rate and cut-offs of its own. */
static struct model *
learned_with(const char *extra)
{
	char text[2048];
	struct model *m = NULL;

	snprintf(text, sizeof text, "{%s,%s", extra, LEARNED + 1);
	json_t *j = js(text);
	assert_int_equal(model_from_json(j, &m), ST_OK);
	json_decref(j);
	return m;
}

/* How much the rules could judge sets the model's weight; cut-offs and the base rate travel with it. */
static void
test_coverage_blend(void **state)
{
	struct score_model m;
	struct score_result *r = malloc(sizeof *r);

	(void)state;
	load_model(&m, SCORING_MODEL);
	m.predicted_weight = 0.5;
	m.predictive = learned_with("\"base_rate\":0.2,\"grade_cutoffs\":{\"A\":50,\"B\":30,\"C\":10}");
	/* every field known: the plain blend 0.5 * fit + 0.5 * 100 * p, fit 100 (128 clamped) */
	score_of(&m, "{\"budget\":6000,\"authority\":\"economic_buyer\",\"need\":\"high\",\"timeline\":"
		     "\"2026-01-10\",\"attributes\":{\"competitor\":false,\"flag\":true}}", r);
	assert_true(fabs(r->fit_coverage - 1) < 1e-12 && fabs(r->weight - 0.5) < 1e-12);
	assert_int_equal(r->score, lround(50 + 50 * logistic(0.75)));
	assert_int_equal(r->grade, 'A');
	/* nothing known: the score is 100 * p, graded by the model's cut-offs */
	score_of(&m, "{\"attributes\":{\"flag\":false}}", r);
	assert_true(r->fit_coverage == 0 && fabs(r->weight - 1) < 1e-12);
	assert_int_equal(r->score, lround(100 * logistic(-1.25)));
	assert_int_equal(r->score, 22);
	assert_int_equal(r->grade, 'C');
	assert_int_equal(parts_sum(r), 2200);
	/* a known competitor (fit 0, 50 of 188 points judged): score 19 < nurture 40, p 22 % >= 2 x 20 %? no */
	score_of(&m, "{\"attributes\":{\"flag\":false,\"competitor\":true}}", r);
	assert_int_equal(r->score, lround((1 - 0.5 * 50.0 / 188.0) * 100 * logistic(-1.25)));
	assert_int_equal(r->grade, 'C');
	assert_string_equal(r->suggested_status, "disqualified");
	/* with a base rate of 10 % the same lead is twice as likely as the segment: never disqualified */
	model_free(m.predictive);
	m.predictive = learned_with("\"base_rate\":0.1");
	score_of(&m, "{\"attributes\":{\"flag\":false,\"competitor\":true}}", r);
	assert_string_equal(r->suggested_status, "nurture");
	assert_int_equal(r->grade, 'D'); /* no cut-offs of its own: the fixed 80, 60, 40 */
	/* the stored form keeps both; damaged cut-offs or base rate are refused */
	model_free(m.predictive);
	m.predictive = learned_with("\"base_rate\":0.25,\"grade_cutoffs\":{\"A\":70,\"B\":45,\"C\":20}");
	json_t *j = model_to_json(m.predictive);
	struct model *back = NULL;
	int cut[3] = { 0 };
	assert_int_equal(model_from_json(j, &back), ST_OK);
	assert_true(model_grade_cutoffs(back, cut));
	assert_true(cut[0] == 70 && cut[1] == 45 && cut[2] == 20);
	assert_true(model_base_rate(back) == 0.25);
	model_free(back);
	json_decref(j);
	static const char *const damaged[] = {
		"\"grade_cutoffs\":{\"A\":40,\"B\":45,\"C\":20}",
		"\"grade_cutoffs\":{\"A\":70,\"B\":45}",
		"\"grade_cutoffs\":{\"A\":170,\"B\":45,\"C\":20}",
		"\"grade_cutoffs\":{\"A\":70,\"B\":45,\"C\":0}",
		"\"base_rate\":1.5",
		"\"base_rate\":\"x\"",
	};
	for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
		char text[2048];
		snprintf(text, sizeof text, "{%s,%s", damaged[i], LEARNED + 1);
		json_t *bad = js(text);
		back = NULL;
		assert_int_equal(model_from_json(bad, &back), ST_INVALID);
		assert_null(back);
		json_decref(bad);
	}
	score_model_clear(&m);
	free(r);
}

/* Contributions always add up to the score exactly, whatever the model and the lead. */
static void
test_parts_add_up(void **state)
{
	struct score_model m;
	struct score_result *r = malloc(sizeof *r);
	json_t *lj = js(LEARNED);
	unsigned seed = 12345;
	char text[512];

	(void)state;
	load_model(&m, SCORING_MODEL);
	assert_int_equal(model_from_json(lj, &m.predictive), ST_OK);
	for (int i = 0; i < 2000; i++) {
		seed = seed * 1103515245u + 12345u;
		m.predicted_weight = (seed >> 8) % 101 / 100.0;
		snprintf(text, sizeof text,
			 "{\"budget\":%u,\"authority\":\"%s\",\"need\":\"%s\",\"timeline\":\"2026-01-%02u\","
			 "\"source\":\"%s\",\"attributes\":{\"flag\":%s,\"visits\":%u,\"competitor\":%s}}",
			 (seed >> 4) % 9000, lead_authorities[(seed >> 3) % 4], lead_needs[(seed >> 5) % 4],
			 1 + (seed >> 7) % 28, (seed >> 9) % 2 ? "Google" : "Other", (seed >> 11) % 2 ? "true" : "false",
			 (seed >> 13) % 50, (seed >> 17) % 5 == 0 ? "true" : "false");
		score_of(&m, text, r);
		assert_int_equal(parts_sum(r), (long)r->score * 100);
		assert_true(r->score >= 0 && r->score <= 100);
		assert_true(r->predicted_c >= 0);
	}
	json_decref(lj);
	score_model_clear(&m);
	free(r);
}

/* ---- metrics ------------------------------------------------------------------------- */

static void
test_metrics(void **state)
{
	(void)state;
	double p[] = { 0.1, 0.4, 0.35, 0.8 };
	unsigned char y[] = { 0, 0, 1, 1 };
	assert_true(fabs(metrics_auc(p, y, 4) - 0.75) < 1e-12);
	double perfect[] = { 0.1, 0.2, 0.8, 0.9 };
	unsigned char yp[] = { 0, 0, 1, 1 };
	assert_true(metrics_auc(perfect, yp, 4) == 1.0);
	unsigned char yr[] = { 1, 1, 0, 0 };
	assert_true(metrics_auc(perfect, yr, 4) == 0.0);
	double tied[] = { 0.5, 0.5, 0.5, 0.5 };
	assert_true(metrics_auc(tied, yp, 4) == 0.5);
	unsigned char ones[] = { 1, 1, 1, 1 };
	assert_true(isnan(metrics_auc(perfect, ones, 4)));
	double b[] = { 0.2, 0.8 };
	unsigned char yb[] = { 0, 1 };
	assert_true(fabs(metrics_brier(b, yb, 2) - 0.04) < 1e-12);
	assert_true(fabs(metrics_log_loss(b, yb, 2) + log(0.8)) < 1e-12);
	assert_true(isnan(metrics_brier(b, yb, 0)));

	/* 23 predictions into 10 bins: 3, 3, 3, 2, ... ; sorted, equal counts */
	double q[23];
	unsigned char yq[23];
	for (int i = 0; i < 23; i++) {
		q[i] = (22 - i) / 22.0;
		yq[i] = i % 2;
	}
	struct metrics_calibration_bin bins[10];
	int nb = -1;
	assert_int_equal(metrics_calibration(q, yq, 23, 10, bins, &nb), ST_OK);
	assert_int_equal(nb, 10);
	size_t total = 0;
	for (int k = 0; k < 10; k++) {
		total += bins[k].count;
		if (k)
			assert_true(bins[k].predicted > bins[k - 1].predicted);
	}
	assert_int_equal(total, 23);
	assert_int_equal(bins[0].count, 3);
	assert_int_equal(bins[9].count, 2);
	/* bin 1 holds the three lowest: 0, 1/22, 2/22 (i = 22, 21, 20: y 0, 1, 0) */
	assert_true(fabs(bins[0].predicted - 1.0 / 22) < 1e-12);
	assert_true(fabs(bins[0].observed - 1.0 / 3) < 1e-12);
	assert_int_equal(metrics_calibration(q, yq, 4, 10, bins, &nb), ST_OK);
	assert_int_equal(nb, 4);
	assert_int_equal(metrics_calibration(q, yq, 0, 10, bins, &nb), ST_OK);
	assert_int_equal(nb, 0);
}

static void
test_holdout_split(void **state)
{
	int in = 0;

	(void)state;
	for (int64_t id = 1; id <= 20000; id++)
		in += training_in_holdout(id, 20);
	assert_true(in > 3700 && in < 4300);
	assert_true(training_in_holdout(42, 20) == training_in_holdout(42, 20));
}

/* ---- learning --------------------------------------------------------------------------- */

/* Synthetic leads: id i, a boolean `flag` (every other lead), converted with probability 0.8 / 0.2. */
struct synth {
	size_t n;
	json_t **docs;
	char **status;
};

static enum status
synth_get(void *ctx, size_t i, struct lead *out)
{
	struct synth *s = ctx;
	enum status st = lead_from_json(s->docs[i], out);

	out->id = (int64_t)i + 1;
	out->created_on = day("2026-01-01");
	out->status = s->status[i];
	return st;
}

static void
synth_release(void *ctx, size_t i)
{
	(void)ctx;
	(void)i;
}

static void
synth_make(struct synth *s, size_t n)
{
	s->n = n;
	s->docs = calloc(n, sizeof *s->docs);
	s->status = calloc(n, sizeof *s->status);
	for (size_t i = 0; i < n; i++) {
		bool flag = i % 2 == 0;
		/* exactly 80 % (flag) / 20 % (no flag) converted, spread evenly */
		bool converted = flag ? (i / 2) % 5 != 0 : (i / 2) % 5 == 0;
		char text[160];
		snprintf(text, sizeof text, "{\"attributes\":{\"flag\":%s,\"noise\":\"%c\"}}", flag ? "true" : "false",
			 (int)('a' + (i * 7) % 3));
		s->docs[i] = js(text);
		s->status[i] = converted ? "converted" : "disqualified";
	}
}

static void
synth_clear(struct synth *s)
{
	for (size_t i = 0; i < s->n; i++)
		json_decref(s->docs[i]);
	free(s->docs);
	free(s->status);
}

static void
test_train_known_answer(void **state)
{
	struct synth s;
	struct score_model rules;
	struct model *m = NULL;
	json_t *ev = NULL;
	char why[256];
	struct lead l;

	(void)state;
	synth_make(&s, 2000);
	load_model(&rules, SCORING_MODEL);
	struct lead_source src = { .n = s.n, .ctx = &s, .get = synth_get, .release = synth_release };
	struct training_options o = { .min_per_class = 50, .holdout_pct = 20 };
	assert_int_equal(training_run(&rules, &src, &o, day("2026-01-01"), &m, &ev, why, sizeof why), ST_OK);
	/* the fitted probabilities are the observed rates (up to the small penalty) */
	json_t *yes = js("{\"attributes\":{\"flag\":true,\"noise\":\"a\"}}"),
	       *no = js("{\"attributes\":{\"flag\":false,\"noise\":\"a\"}}");
	assert_int_equal(lead_from_json(yes, &l), ST_OK);
	double p1 = model_predict(m, &l, NULL, 0, NULL);
	assert_int_equal(lead_from_json(no, &l), ST_OK);
	double p0 = model_predict(m, &l, NULL, 0, NULL);
	assert_true(fabs(p1 - 0.8) < 0.03);
	assert_true(fabs(p0 - 0.2) < 0.03);
	/* the evaluation: AUC of a binary feature with these rates is 0.8 */
	assert_true(fabs(json_real_value(json_object_get(ev, "auc")) - 0.8) < 0.05);
	assert_int_equal(json_integer_value(json_object_get(ev, "n_converted")), 1000);
	assert_int_equal(json_integer_value(json_object_get(ev, "n_unconverted")), 1000);
	size_t nh = (size_t)json_integer_value(json_object_get(ev, "n_holdout"));
	assert_int_equal(nh + (size_t)json_integer_value(json_object_get(ev, "n_train")), 2000);
	assert_true(nh > 300 && nh < 500);
	json_t *cal = json_object_get(ev, "calibration");
	assert_int_equal(json_array_size(cal), 10);
	json_t *grades = json_object_get(ev, "by_grade");
	assert_int_equal(json_array_size(grades), 4);
	json_int_t graded = 0;
	for (size_t g = 0; g < 4; g++)
		graded += json_integer_value(json_object_get(json_array_get(grades, g), "count"));
	assert_int_equal(graded, (json_int_t)nh);
	json_decref(yes);
	json_decref(no);
	model_free(m);
	json_decref(ev);

	/* too few of a class: 422 with the counts */
	struct training_options strict = { .min_per_class = 1001, .holdout_pct = 20 };
	m = NULL;
	ev = NULL;
	assert_int_equal(training_run(&rules, &src, &strict, day("2026-01-01"), &m, &ev, why, sizeof why),
			 ST_UNPROCESSABLE);
	assert_null(m);
	assert_null(ev);
	assert_non_null(strstr(why, "1000 and 1000"));
	score_model_clear(&rules);
	synth_clear(&s);
}

/* A numeric feature with a known monotone effect is learned with the right sign. */
struct numeric_synth {
	size_t n;
	json_t **docs;
};

static enum status
numeric_get(void *ctx, size_t i, struct lead *out)
{
	struct numeric_synth *s = ctx;
	enum status st = lead_from_json(s->docs[i], out);

	out->id = (int64_t)i + 1;
	out->created_on = day("2026-01-01");
	return st;
}

static void
test_train_numeric(void **state)
{
	struct numeric_synth s = { .n = 3000 };
	struct score_model rules;
	struct model *m = NULL;
	json_t *ev = NULL;
	char why[256], text[160];
	struct lead l;
	unsigned seed = 7;

	(void)state;
	s.docs = calloc(s.n, sizeof *s.docs);
	for (size_t i = 0; i < s.n; i++) {
		double x = (double)(i % 100) / 10.0; /* 0 .. 9.9 */
		seed = seed * 1103515245u + 12345u;
		double u = (double)((seed >> 8) & 0xffff) / 65536.0;
		bool y = u < logistic(1.5 * (x - 5));
		snprintf(text, sizeof text, "{\"engagement\":%d,\"status\":\"%s\"}", (int)(x * 10),
			 y ? "converted" : "disqualified");
		s.docs[i] = js(text);
	}
	load_model(&rules, SCORING_MODEL);
	struct lead_source src = { .n = s.n, .ctx = &s, .get = numeric_get, .release = synth_release };
	struct training_options o = { .min_per_class = 50, .holdout_pct = 20 };
	assert_int_equal(training_run(&rules, &src, &o, day("2026-01-01"), &m, &ev, why, sizeof why), ST_OK);
	double last = -1;
	for (int e = 0; e <= 100; e += 10) {
		snprintf(text, sizeof text, "{\"engagement\":%d}", e);
		json_t *j = js(text);
		assert_int_equal(lead_from_json(j, &l), ST_OK);
		double p = model_predict(m, &l, NULL, 0, NULL);
		assert_true(p >= last - 0.02); /* increasing */
		if (e == 50)
			assert_true(fabs(p - 0.5) < 0.1);
		last = p;
		json_decref(j);
	}
	assert_true(json_real_value(json_object_get(ev, "auc")) > 0.85);
	for (size_t i = 0; i < s.n; i++)
		json_decref(s.docs[i]);
	free(s.docs);
	model_free(m);
	json_decref(ev);
	score_model_clear(&rules);
}

/* ---- crosses ------------------------------------------------------------------------------ */

/* A deterministic pseudo-random number of lead i and a salt (splitmix64). */
static uint64_t
mix(uint64_t i, uint64_t salt)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ULL + salt;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * Synthetic leads whose outcome is an interaction: attributes.a in {x, y}
 * and attributes.b in {u, v}, independent, x and u on 60 % of the leads
 * each; converted iff (a == x) XOR (b == u), with 5 % of the labels
 * flipped; attributes.c in {p, q, r} is noise. The best main-effects model
 * ranks (y, v) first (a holdout AUC of about 0.67) though it hardly ever
 * converts. The levels are not half and half because crosses are drawn
 * from the fields informative on their own: under a balanced XOR, a and b
 * tell nothing alone and are crossed only by the luck of the sample.
 */
static void
xor_make(struct synth *s, size_t n, const char *xname)
{
	s->n = n;
	s->docs = calloc(n, sizeof *s->docs);
	s->status = calloc(n, sizeof *s->status);
	for (size_t i = 0; i < n; i++) {
		bool x = i % 5 < 3, u = (i / 5) % 5 < 3;
		bool converted = x != u;
		if (mix(i, 1) % 100 < 5)
			converted = !converted;
		char text[512];
		snprintf(text, sizeof text, "{\"attributes\":{\"a\":\"%s\",\"b\":\"%s\",\"c\":\"%c\"}}", x ? xname : "y",
			 u ? "u" : "v", (int)('p' + mix(i, 2) % 3));
		s->docs[i] = js(text);
		s->status[i] = converted ? "converted" : "disqualified";
	}
}

/* Train on the leads of s with the test scoring model (20 % held out, 50 of each class needed). */
static enum status
synth_train(struct synth *s, struct model **m, json_t **ev, char *why, size_t whylen)
{
	struct score_model rules;

	load_model(&rules, SCORING_MODEL);
	struct lead_source src = { .n = s->n, .ctx = s, .get = synth_get, .release = synth_release };
	struct training_options o = { .min_per_class = 50, .holdout_pct = 20 };
	*m = NULL;
	*ev = NULL;
	enum status st = training_run(&rules, &src, &o, day("2026-01-01"), m, ev, why, whylen);
	score_model_clear(&rules);
	return st;
}

/* Train on 2000 XOR leads: the model and its evaluation (both new). */
static void
xor_train(struct model **m, json_t **ev)
{
	struct synth s;
	char why[256];

	xor_make(&s, 2000, "x");
	assert_int_equal(synth_train(&s, m, ev, why, sizeof why), ST_OK);
	assert_non_null(*m);
	assert_non_null(*ev);
	synth_clear(&s);
}

/* The index in the model JSON's features of the first cross, -1 when none. */
static int
first_cross(const json_t *mj)
{
	const json_t *features = json_object_get(mj, "features");

	for (size_t i = 0; i < json_array_size(features); i++)
		if (strcmp(json_string_value(json_object_get(json_array_get(features, i), "kind")), "cross") == 0)
			return (int)i;
	return -1;
}

static double
predict_json(const struct model *m, const char *lead_json, struct model_factor *top, int ntop, int *nfactors)
{
	struct lead l;
	json_t *j = js(lead_json);

	assert_int_equal(lead_from_json(j, &l), ST_OK);
	double p = model_predict(m, &l, top, ntop, nfactors);
	json_decref(j);
	return p;
}

/* A pure interaction: only a cross of a and b can learn it. */
static void
test_train_cross(void **state)
{
	struct model *m;
	json_t *ev;

	(void)state;
	xor_train(&m, &ev);
	json_t *mj = model_to_json(m);
	assert_non_null(mj);
	/* a cross of a and b (either order), of "pair" columns with both levels */
	const json_t *features = json_object_get(mj, "features");
	bool found = false;
	for (size_t i = 0; i < json_array_size(features); i++) {
		const json_t *f = json_array_get(features, i);
		if (strcmp(json_string_value(json_object_get(f, "kind")), "cross") != 0)
			continue;
		const char *f1 = json_string_value(json_object_get(f, "field")),
			   *f2 = json_string_value(json_object_get(f, "field2"));
		assert_non_null(f1);
		assert_non_null(f2);
		if (!((strcmp(f1, "attributes.a") == 0 && strcmp(f2, "attributes.b") == 0) ||
		      (strcmp(f1, "attributes.b") == 0 && strcmp(f2, "attributes.a") == 0)))
			continue;
		found = true;
		const json_t *cols = json_object_get(f, "columns");
		assert_true(json_array_size(cols) > 0 && json_array_size(cols) <= 4);
		for (size_t c = 0; c < json_array_size(cols); c++) {
			const json_t *col = json_array_get(cols, c);
			assert_string_equal(json_string_value(json_object_get(col, "term")), "pair");
			assert_true(json_is_string(json_object_get(col, "level")));
			assert_true(json_is_string(json_object_get(col, "level2")));
		}
	}
	if (!found) {
		char *dump = json_dumps(mj, JSON_COMPACT);
		print_error("model: %s\n", dump);
		free(dump);
		fail_msg("no cross of attributes.a and attributes.b");
	}
	/* a main-effects model would be at about 0.67 */
	double auc = json_real_value(json_object_get(ev, "auc"));
	if (!(auc > 0.9))
		fail_msg("holdout AUC %g", auc);
	/* (x, v) converts, (x, u) does not */
	double p_xv = predict_json(m, "{\"attributes\":{\"a\":\"x\",\"b\":\"v\",\"c\":\"p\"}}", NULL, 0, NULL),
	       p_xu = predict_json(m, "{\"attributes\":{\"a\":\"x\",\"b\":\"u\",\"c\":\"p\"}}", NULL, 0, NULL),
	       p_yu = predict_json(m, "{\"attributes\":{\"a\":\"y\",\"b\":\"u\",\"c\":\"q\"}}", NULL, 0, NULL),
	       p_yv = predict_json(m, "{\"attributes\":{\"a\":\"y\",\"b\":\"v\",\"c\":\"r\"}}", NULL, 0, NULL);
	if (!(p_xv > 0.8 && p_yu > 0.8 && p_xu < 0.2 && p_yv < 0.2))
		fail_msg("p(x,v) %g p(y,u) %g p(x,u) %g p(y,v) %g", p_xv, p_yu, p_xu, p_yv);
	json_decref(mj);
	json_decref(ev);
	model_free(m);
}

/* The JSON of a model with crosses reads back to the same predictions and explanations. */
static void
test_cross_round_trip(void **state)
{
	static const char *const leads[] = {
		"{\"attributes\":{\"a\":\"x\",\"b\":\"v\",\"c\":\"p\"}}",
		"{\"attributes\":{\"a\":\"x\",\"b\":\"u\",\"c\":\"q\"}}",
		"{\"attributes\":{\"a\":\"y\",\"b\":\"u\",\"c\":\"r\"}}",
		"{\"attributes\":{\"a\":\"y\",\"b\":\"v\",\"c\":\"p\"}}",
		"{\"attributes\":{\"a\":\"x\",\"c\":\"p\"}}",		/* b missing */
		"{\"attributes\":{\"a\":\"z\",\"b\":\"v\",\"c\":\"s\"}}", /* unseen levels */
		"{}",
	};
	struct model *m, *copy = NULL;
	json_t *ev;
	bool explained = false;

	(void)state;
	xor_train(&m, &ev);
	json_t *mj = model_to_json(m);
	assert_non_null(mj);
	assert_true(first_cross(mj) >= 0);
	assert_int_equal(model_from_json(mj, &copy), ST_OK);
	assert_non_null(copy);
	assert_int_equal(model_columns(copy), model_columns(m));
	json_t *again = model_to_json(copy);
	assert_true(json_equal(mj, again));
	for (size_t i = 0; i < sizeof leads / sizeof leads[0]; i++) {
		struct model_factor t1[SCORE_TOP_FACTORS], t2[SCORE_TOP_FACTORS];
		int n1 = -1, n2 = -2;
		double p1 = predict_json(m, leads[i], t1, SCORE_TOP_FACTORS, &n1),
		       p2 = predict_json(copy, leads[i], t2, SCORE_TOP_FACTORS, &n2);
		assert_true(p1 > 0 && p1 < 1);
		if (!(fabs(p1 - p2) <= 1e-12))
			fail_msg("%s: %.17g read back as %.17g", leads[i], p1, p2);
		assert_int_equal(n1, n2);
		for (int k = 0; k < n1; k++) {
			assert_string_equal(t1[k].feature, t2[k].feature);
			assert_string_equal(t1[k].value, t2[k].value);
			assert_true(fabs(t1[k].contribution - t2[k].contribution) <= 1e-12);
			if (i < 4 && strstr(t1[k].feature, " \xc3\x97 ")) {
				/* "<field> × <field2>" valued "<level> × <level2>", in the same order */
				const char *a = strstr(t1[k].feature, "attributes.a"), *b = strstr(t1[k].feature, "attributes.b");
				if (!a || !b)
					continue;
				char want[64];
				const char *la = strstr(leads[i], "\"a\":\"") + 5, *lb = strstr(leads[i], "\"b\":\"") + 5;
				if (a < b)
					snprintf(want, sizeof want, "%c \xc3\x97 %c", *la, *lb);
				else
					snprintf(want, sizeof want, "%c \xc3\x97 %c", *lb, *la);
				assert_string_equal(t1[k].value, want);
				explained = true;
			}
		}
	}
	assert_true(explained);
	json_decref(again);
	json_decref(mj);
	json_decref(ev);
	model_free(copy);
	model_free(m);
}

/* model_from_json of a copy of mj damaged by damage(cross feature): ST_INVALID, and nothing out. */
static void
expect_invalid(const json_t *mj, void (*damage)(json_t *cross))
{
	json_t *bad = json_deep_copy(mj);
	struct model *none = NULL;

	assert_non_null(bad);
	int at = first_cross(bad);
	assert_true(at >= 0);
	damage(json_array_get(json_object_get(bad, "features"), (size_t)at));
	assert_int_equal(model_from_json(bad, &none), ST_INVALID);
	assert_null(none);
	json_decref(bad);
}

static void
no_field2(json_t *cross)
{
	assert_int_equal(json_object_del(cross, "field2"), 0);
}

static void
field2_unknown(json_t *cross)
{
	assert_int_equal(json_object_set_new(cross, "field2", json_string("attributes.")), 0);
}

static void
field2_not_scoring(json_t *cross)
{
	assert_int_equal(json_object_set_new(cross, "field2", json_string("status")), 0);
}

static void
field2_not_text(json_t *cross)
{
	assert_int_equal(json_object_set_new(cross, "field2", json_integer(2)), 0);
}

static void
no_level2(json_t *cross)
{
	json_t *cols = json_object_get(cross, "columns");

	assert_true(json_array_size(cols) > 0);
	assert_int_equal(json_object_del(json_array_get(cols, json_array_size(cols) - 1), "level2"), 0);
}

static void
level2_not_text(json_t *cross)
{
	assert_int_equal(json_object_set_new(json_array_get(json_object_get(cross, "columns"), 0), "level2",
					     json_null()),
			 0);
}

static void
no_level(json_t *cross)
{
	assert_int_equal(json_object_del(json_array_get(json_object_get(cross, "columns"), 0), "level"), 0);
}

/* A cross holds pairs and nothing else: another term in it once read, then crashed a prediction. */
static void
term_level(json_t *cross)
{
	json_t *col = json_array_get(json_object_get(cross, "columns"), 0);
	assert_int_equal(json_object_set_new(col, "term", json_string("level")), 0);
}

static void
term_missing(json_t *cross)
{
	json_t *col = json_array_get(json_object_get(cross, "columns"), 0);
	assert_int_equal(json_object_set_new(col, "term", json_string("missing")), 0);
}

/* ... and pairs belong to crosses only */
static void
kind_categorical(json_t *cross)
{
	assert_int_equal(json_object_set_new(cross, "kind", json_string("categorical")), 0);
}

static void
test_cross_from_json_invalid(void **state)
{
	struct model *m, *ok = NULL;
	json_t *ev;

	(void)state;
	xor_train(&m, &ev);
	json_t *mj = model_to_json(m);
	assert_non_null(mj);
	/* undamaged, the copy reads */
	json_t *same = json_deep_copy(mj);
	assert_int_equal(model_from_json(same, &ok), ST_OK);
	model_free(ok);
	json_decref(same);
	expect_invalid(mj, no_field2);
	expect_invalid(mj, field2_unknown);
	expect_invalid(mj, field2_not_scoring);
	expect_invalid(mj, field2_not_text);
	expect_invalid(mj, no_level2);
	expect_invalid(mj, level2_not_text);
	expect_invalid(mj, no_level);
	expect_invalid(mj, term_level);
	expect_invalid(mj, term_missing);
	expect_invalid(mj, kind_categorical);
	json_decref(mj);
	json_decref(ev);
	model_free(m);
}

/* Categorical attributes that tell nothing: training still works, and predicts within (0, 1). */
static void
test_train_no_informative_field(void **state)
{
	struct synth s = { .n = 600 };
	struct model *m = NULL;
	json_t *ev = NULL;
	char why[256], text[160];

	(void)state;
	s.docs = calloc(s.n, sizeof *s.docs);
	s.status = calloc(s.n, sizeof *s.status);
	for (size_t i = 0; i < s.n; i++) {
		snprintf(text, sizeof text, "{\"attributes\":{\"d\":\"%c\",\"e\":\"%c\",\"f\":\"%c\"}}",
			 (int)('a' + mix(i, 3) % 2), (int)('a' + mix(i, 4) % 3), (int)('a' + mix(i, 5) % 4));
		s.docs[i] = js(text);
		s.status[i] = mix(i, 6) % 2 ? "converted" : "disqualified";
	}
	assert_int_equal(synth_train(&s, &m, &ev, why, sizeof why), ST_OK);
	assert_non_null(m);
	assert_non_null(ev);
	for (size_t i = 0; i < 24; i++) {
		struct lead l;
		assert_int_equal(synth_get(&s, i, &l), ST_OK);
		double p = model_predict(m, &l, NULL, 0, NULL);
		assert_true(p > 0 && p < 1);
		synth_release(&s, i);
	}
	double p = predict_json(m, "{\"attributes\":{\"d\":\"z\"}}", NULL, 0, NULL);
	assert_true(p > 0 && p < 1);
	model_free(m);
	json_decref(ev);
	/* leads with nothing that varies: no model, and a sentence saying why */
	for (size_t i = 0; i < s.n; i++) {
		json_decref(s.docs[i]);
		s.docs[i] = js("{\"attributes\":{\"same\":\"x\"}}");
	}
	assert_int_equal(synth_train(&s, &m, &ev, why, sizeof why), ST_UNPROCESSABLE);
	assert_null(m);
	assert_null(ev);
	assert_non_null(strstr(why, "nothing to learn from"));
	synth_clear(&s);
}

/* The kind of the model JSON's feature on `field` (NULL when none). */
static const char *
feature_kind(const json_t *mj, const char *field)
{
	const json_t *features = json_object_get(mj, "features");

	for (size_t i = 0; i < json_array_size(features); i++) {
		const json_t *f = json_array_get(features, i);
		if (strcmp(json_string_value(json_object_get(f, "field")), field) == 0 &&
		    !json_object_get(f, "field2"))
			return json_string_value(json_object_get(f, "kind"));
	}
	return NULL;
}

/* Numbers sent as text ("17") are learned as numbers; a few distinct numeric codes stay categories. */
static void
test_train_numeric_text(void **state)
{
	struct synth s = { .n = 1200 };
	struct model *m = NULL;
	json_t *ev = NULL;
	char why[256], text[160];

	(void)state;
	s.docs = calloc(s.n, sizeof *s.docs);
	s.status = calloc(s.n, sizeof *s.status);
	for (size_t i = 0; i < s.n; i++) {
		unsigned visits = (unsigned)(mix(i, 11) % 60);
		if (i % 10 == 0) /* a blank cell is missing, and does not make the field text */
			snprintf(text, sizeof text, "{\"attributes\":{\"visits\":\" \",\"plan\":\"%u\"}}",
				 (unsigned)(mix(i, 12) % 3) + 1);
		else
			snprintf(text, sizeof text,
				 "{\"attributes\":{\"visits\":\"%u\",\"plan\":\"%u\",\"zip\":\"0%04u\"}}", visits,
				 (unsigned)(mix(i, 12) % 3) + 1, (unsigned)(mix(i, 14) % 30));
		s.docs[i] = js(text);
		/* more visits, more conversions; 10 % noise */
		bool converted = (visits >= 30) != (mix(i, 13) % 10 == 0);
		s.status[i] = converted ? "converted" : "disqualified";
	}
	assert_int_equal(synth_train(&s, &m, &ev, why, sizeof why), ST_OK);
	json_t *mj = model_to_json(m);
	assert_string_equal(feature_kind(mj, "attributes.visits"), "numeric");
	assert_string_equal(feature_kind(mj, "attributes.plan"), "categorical");
	assert_string_equal(feature_kind(mj, "attributes.zip"), "categorical"); /* leading zeros: a code */
	assert_true(json_real_value(json_object_get(ev, "auc")) > 0.85);
	double hi = predict_json(m, "{\"attributes\":{\"visits\":\"55\"}}", NULL, 0, NULL);
	double lo = predict_json(m, "{\"attributes\":{\"visits\":\"3\"}}", NULL, 0, NULL);
	double json_number = predict_json(m, "{\"attributes\":{\"visits\":55}}", NULL, 0, NULL);
	double junk = predict_json(m, "{\"attributes\":{\"visits\":\"many\"}}", NULL, 0, NULL);
	double none = predict_json(m, "{}", NULL, 0, NULL);
	assert_true(hi > 0.7 && lo < 0.3);
	assert_true(fabs(json_number - hi) < 1e-12); /* a number is a number, however sent */
	assert_true(fabs(junk - none) < 1e-12);      /* text that is no number counts as missing */
	assert_true(fabs(predict_json(m, "{\"attributes\":{\"visits\":\"\"}}", NULL, 0, NULL) - none) < 1e-12);
	json_decref(mj);
	model_free(m);
	json_decref(ev);
	synth_clear(&s);
}

/* Valid UTF-8 (jansson would refuse the string otherwise). */
static bool
utf8_valid(const char *s)
{
	json_t *j = json_string(s);
	bool ok = j != NULL;

	json_decref(j);
	return ok;
}

/* A long value of multibyte characters is cut between characters, so the factor is still shown. */
static void
test_factor_values_cut_between_characters(void **state)
{
	char longx[256] = "", lead_text[512];
	struct synth s;
	struct model *m = NULL;
	json_t *ev = NULL;
	char why[256];
	struct model_factor top[5];
	int nf = 0;

	(void)state;
	for (int i = 0; i < 70; i++)
		strcat(longx, "\xc3\xa9"); /* é, 140 bytes in all */
	xor_make(&s, 2000, longx);
	assert_int_equal(synth_train(&s, &m, &ev, why, sizeof why), ST_OK);
	snprintf(lead_text, sizeof lead_text, "{\"attributes\":{\"a\":\"%s\",\"b\":\"v\"}}", longx);
	predict_json(m, lead_text, top, 5, &nf);
	bool cross = false, main_effect = false;
	for (int k = 0; k < nf; k++) {
		assert_true(utf8_valid(top[k].value));
		assert_true(strlen(top[k].value) < sizeof top[k].value);
		cross |= strstr(top[k].feature, " \xc3\x97 ") != NULL && strstr(top[k].value, " \xc3\x97 ") != NULL;
		main_effect |= strcmp(top[k].feature, "attributes.a") == 0;
	}
	assert_true(cross && main_effect);
	model_free(m);
	json_decref(ev);
	synth_clear(&s);
}


/* ---- gradient-boosted trees (gbt.h) ------------------------------------------------------ */

/* Uniform 0..1 from a 64-bit LCG (deterministic). */
static double
unit_draw(uint64_t *x)
{
	*x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*x >> 11) / 9007199254740992.0;
}

/* Rows of two columns a, b (and a noise column c) converted when exactly one of a > 0.6, b > 0.3 holds. */
struct xor_rows {
	size_t n;
	size_t start[4001];
	int col[12000];
	double val[12000];
	unsigned char y[4000];
};

static void
xor_rows_make(struct xor_rows *r, size_t n, uint64_t seed)
{
	size_t at = 0;

	r->n = n;
	r->start[0] = 0;
	for (size_t i = 0; i < n; i++) {
		double a = unit_draw(&seed), b = unit_draw(&seed), c = unit_draw(&seed);
		r->y[i] = (a > 0.6) != (b > 0.3);
		r->col[at] = 0, r->val[at++] = a;
		r->col[at] = 1, r->val[at++] = b;
		r->col[at] = 2, r->val[at++] = c;
		r->start[i + 1] = at;
	}
}

/* Share of rows whose sign of the log-odds matches the outcome. */
static double
accuracy(const struct gbt *g, const struct xor_rows *r)
{
	size_t right = 0;

	for (size_t i = 0; i < r->n; i++) {
		double x[3] = { 0, 0, 0 };
		for (size_t e = r->start[i]; e < r->start[i + 1]; e++)
			x[r->col[e]] = r->val[e];
		right += (gbt_margin(g, x, NULL) > 0) == (r->y[i] != 0);
	}
	return (double)right / (double)r->n;
}

static struct gbt *
xor_fit(const struct xor_rows *r, int depth, int *rounds)
{
	static unsigned char role[4000];
	struct gbt_matrix x = { .n = r->n, .p = 3, .start = r->start, .col = r->col, .val = r->val };
	struct gbt_options o = gbt_default_options();
	struct gbt *g = NULL;

	o.max_depth = depth;
	for (size_t i = 0; i < r->n; i++)
		role[i] = i % 5 == 0 ? GBT_VALIDATE : GBT_FIT;
	assert_int_equal(gbt_fit(&x, r->y, role, &o, &g, rounds), ST_OK);
	return g;
}

static void
test_gbt_threshold_interaction(void **state)
{
	static struct xor_rows train, fresh;
	int rounds = 0, stump_rounds = 0;

	(void)state;
	xor_rows_make(&train, 3000, 7);
	xor_rows_make(&fresh, 2000, 8);
	/* depth-1 trees add one-column effects: no sum of those separates an exclusive-or */
	struct gbt *stumps = xor_fit(&train, 1, &stump_rounds);
	assert_true(accuracy(stumps, &fresh) < 0.75);
	/* trees that split twice do, on leads they never saw */
	struct gbt *g = xor_fit(&train, 4, &rounds);
	assert_true(rounds >= 1 && rounds < gbt_default_options().max_rounds);
	assert_int_equal(gbt_trees(g), rounds);
	assert_true(accuracy(g, &fresh) > 0.97);
	/* the splits are on a and b: their contributions carry the answer, the noise column's little */
	double x[3] = { 0.9, 0.1, 0.5 }, contrib[3] = { 0, 0, 0 };
	double m = gbt_margin(g, x, contrib);
	assert_true(m > 2);
	assert_true(fabs(m - gbt_expected(g) - contrib[0] - contrib[1] - contrib[2]) < 1e-9);
	assert_true(fabs(contrib[2]) < fabs(contrib[0]) && fabs(contrib[2]) < fabs(contrib[1]));
	/* deterministic: the same data, the same trees */
	int again_rounds;
	struct gbt *again = xor_fit(&train, 4, &again_rounds);
	json_t *j1 = gbt_to_json(g), *j2 = gbt_to_json(again);
	char *t1 = json_dumps(j1, JSON_COMPACT), *t2 = json_dumps(j2, JSON_COMPACT);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	json_decref(j1);
	json_decref(j2);
	gbt_free(again);
	gbt_free(stumps);
	gbt_free(g);
}

static void
test_gbt_missing_values_learn_their_side(void **state)
{
	/* a missing x converts, a present one converts when above 0.5 */
	static size_t start[2001];
	static int col[2000];
	static double val[2000];
	static unsigned char y[2000], role[2000];
	uint64_t seed = 11;
	int rounds;
	struct gbt *g = NULL;

	(void)state;
	for (size_t i = 0; i < 2000; i++) {
		double v = unit_draw(&seed);
		bool missing = i % 4 == 0;
		col[i] = 0;
		val[i] = missing ? NAN : v;
		y[i] = missing || v > 0.5;
		role[i] = GBT_FIT;
		start[i + 1] = i + 1;
	}
	struct gbt_matrix x = { .n = 2000, .p = 1, .start = start, .col = col, .val = val };
	struct gbt_options o = gbt_default_options();
	o.max_rounds = 50;
	assert_int_equal(gbt_fit(&x, y, role, &o, &g, &rounds), ST_OK);
	assert_int_equal(rounds, 50); /* no validation rows: every round */
	double nan_row[1] = { NAN }, low[1] = { 0.2 }, high[1] = { 0.8 };
	assert_true(gbt_margin(g, nan_row, NULL) > 2);
	assert_true(gbt_margin(g, low, NULL) < -2);
	assert_true(gbt_margin(g, high, NULL) > 2);
	/* no fit row, or options out of range: refused */
	struct gbt *none = NULL;
	memset(role, GBT_SKIP, sizeof role);
	assert_int_equal(gbt_fit(&x, y, role, &o, &none, &rounds), ST_INVALID);
	o.max_depth = GBT_MAX_DEPTH + 1;
	assert_int_equal(gbt_fit(&x, y, role, &o, &none, &rounds), ST_INVALID);
	assert_null(none);
	gbt_free(g);
}

static void
test_gbt_json_round_trip(void **state)
{
	static struct xor_rows train;
	int rounds;
	char why[200];
	struct gbt *back = NULL;

	(void)state;
	xor_rows_make(&train, 2000, 21);
	struct gbt *g = xor_fit(&train, 3, &rounds);
	json_t *j = gbt_to_json(g);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "rounds")), rounds);
	assert_int_equal(json_array_size(json_object_get(j, "trees")), (size_t)rounds);
	char *text = json_dumps(j, JSON_COMPACT);
	json_t *reread = json_loads(text, 0, NULL);
	assert_int_equal(gbt_from_json(reread, 3, &back, why, sizeof why), ST_OK);
	uint64_t seed = 99;
	for (int i = 0; i < 500; i++) {
		double x[3] = { unit_draw(&seed), unit_draw(&seed), i % 7 == 0 ? NAN : unit_draw(&seed) };
		assert_true(gbt_margin(g, x, NULL) == gbt_margin(back, x, NULL));
	}
	json_t *jb = gbt_to_json(back);
	char *again = json_dumps(jb, JSON_COMPACT);
	assert_string_equal(text, again);
	free(text);
	free(again);
	json_decref(jb);
	json_decref(j);
	json_decref(reread);
	gbt_free(back);
	gbt_free(g);
}

static void
test_gbt_damaged_rejected(void **state)
{
	/* one tree: node 0 splits column 1 at 0.5 into leaves 1 and 2 */
	static const char good[] =
	    "{\"base_score\":0.1,\"learning_rate\":0.1,\"max_depth\":2,\"lambda\":1,\"rounds\":1,\"trees\":[["
	    "{\"column\":1,\"threshold\":0.5,\"missing\":\"left\",\"left\":1,\"right\":2,\"value\":0},"
	    "{\"value\":-0.2},{\"value\":0.3}]]}";
	static const struct {
		const char *from, *to;
	} damage[] = {
		{ "\"column\":1", "\"column\":3" },                    /* a column the model lacks */
		{ "\"column\":1", "\"column\":-1" },
		{ "\"left\":1", "\"left\":0" },                        /* a cycle: back to itself */
		{ "\"right\":2", "\"right\":1" },                      /* both children one node */
		{ "\"right\":2", "\"right\":3" },                      /* past the tree's end */
		{ "\"value\":-0.2", "\"value\":\"NaN\"" },             /* not a number */
		{ "\"threshold\":0.5", "\"threshold\":null" },
		{ "\"missing\":\"left\"", "\"missing\":\"up\"" },
		{ "\"rounds\":1", "\"rounds\":2" },                    /* sizes that disagree */
		{ "\"max_depth\":2", "\"max_depth\":0" },
		{ ",{\"value\":0.3}", ",{\"value\":0.3},{\"value\":1}" }, /* a node no node leads to */
		{ "\"trees\":[[", "\"trees\":[[]],\"x\":[[" },         /* an empty tree */
		{ "\"base_score\":0.1", "\"base_score\":\"0.1\"" },
	};
	char why[200], text[1024];
	struct gbt *g = NULL;
	json_t *j = js(good);

	(void)state;
	assert_int_equal(gbt_from_json(j, 3, &g, why, sizeof why), ST_OK);
	double x[3] = { 0, 0.7, 0 };
	assert_true(fabs(gbt_margin(g, x, NULL) - 0.4) < 1e-12);
	x[1] = NAN; /* missing goes left */
	assert_true(fabs(gbt_margin(g, x, NULL) + 0.1) < 1e-12);
	gbt_free(g);
	/* a tree deeper than max_depth */
	json_object_set_new(j, "max_depth", json_integer(1));
	json_t *deeper = json_array_get(json_array_get(json_object_get(j, "trees"), 0), 1);
	json_t *split = json_pack("{s:i,s:f,s:s,s:i,s:i}", "column", 0, "threshold", 0.5, "missing", "right", "left",
	                          3, "right", 4);
	json_object_update(deeper, split);
	json_decref(split);
	json_array_append_new(json_array_get(json_object_get(j, "trees"), 0), json_pack("{s:f}", "value", 1.0));
	json_array_append_new(json_array_get(json_object_get(j, "trees"), 0), json_pack("{s:f}", "value", 2.0));
	g = NULL;
	why[0] = '\0';
	assert_int_equal(gbt_from_json(j, 3, &g, why, sizeof why), ST_INVALID);
	assert_null(g);
	assert_non_null(strstr(why, "deeper"));
	json_decref(j);
	for (size_t k = 0; k < sizeof damage / sizeof damage[0]; k++) {
		const char *at = strstr(good, damage[k].from);
		assert_non_null(at);
		snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, damage[k].to,
		         at + strlen(damage[k].from));
		json_t *bad = js(text);
		why[0] = '\0';
		assert_int_equal(gbt_from_json(bad, 3, &g, why, sizeof why), ST_INVALID);
		assert_null(g);
		assert_true(strlen(why) > 10);
		json_decref(bad);
	}
	/* a model of fewer columns than the trees read */
	j = js(good);
	assert_int_equal(gbt_from_json(j, 1, &g, why, sizeof why), ST_INVALID);
	assert_null(g);
	json_decref(j);
}

/* Leads whose numeric attributes a and b convert when exactly one of a > 0.6, b > 0.3 holds. */
static void
xor_numeric_make(struct synth *s, size_t n)
{
	uint64_t seed = 5;

	s->n = n;
	s->docs = calloc(n, sizeof *s->docs);
	s->status = calloc(n, sizeof *s->status);
	for (size_t i = 0; i < n; i++) {
		double a = round(unit_draw(&seed) * 1000) / 1000, b = round(unit_draw(&seed) * 1000) / 1000;
		char text[160];
		/* every 10th lead lacks b: missing values reach the trees too */
		if (i % 10 == 9)
			snprintf(text, sizeof text, "{\"attributes\":{\"a\":%g}}", a);
		else
			snprintf(text, sizeof text, "{\"attributes\":{\"a\":%g,\"b\":%g}}", a, b);
		s->docs[i] = js(text);
		s->status[i] = (a > 0.6) != (i % 10 == 9 || b > 0.3) ? "converted" : "disqualified";
	}
}

static void
test_gbt_serves_in_a_trained_model(void **state)
{
	struct synth s;
	struct score_model rules;
	struct model *m = NULL, *back = NULL;
	json_t *ev = NULL;
	char why[256];
	struct lead l;
	struct model_factor top[3];
	int nf = 0;

	(void)state;
	xor_numeric_make(&s, 3000);
	load_model(&rules, SCORING_MODEL);
	struct lead_source src = { .n = s.n, .ctx = &s, .get = synth_get, .release = synth_release };
	struct training_options o = { .min_per_class = 50, .holdout_pct = 20, .trees = true };
	assert_int_equal(training_run(&rules, &src, &o, day("2026-01-01"), &m, &ev, why, sizeof why), ST_OK);
	assert_string_equal(json_string_value(json_object_get(ev, "learner")), "gradient_boosted_trees");
	assert_string_equal(model_learner(m), "gradient_boosted_trees");
	json_t *learners = json_object_get(ev, "learners");
	assert_int_equal(json_array_size(learners), 2);
	double ll_logistic = json_real_value(json_object_get(json_array_get(learners, 0), "log_loss")),
	       ll_trees = json_real_value(json_object_get(json_array_get(learners, 1), "log_loss"));
	assert_true(ll_trees < ll_logistic / 2);
	assert_true(json_is_true(json_object_get(json_array_get(learners, 1), "serving")));
	/* the stored form round trips, and a damaged tree makes the whole model unreadable */
	json_t *mj = model_to_json(m);
	assert_string_equal(json_string_value(json_object_get(mj, "type")), "gradient_boosted_trees");
	assert_int_equal(model_read(mj, &back, why, sizeof why), ST_OK);
	json_t *yes = js("{\"attributes\":{\"a\":0.9,\"b\":0.1}}"), *no = js("{\"attributes\":{\"a\":0.9,\"b\":0.9}}");
	assert_int_equal(lead_from_json(yes, &l), ST_OK);
	double p = model_predict(m, &l, top, 3, &nf);
	assert_true(p > 0.9);
	assert_true(model_predict(back, &l, NULL, 0, NULL) == p);
	assert_true(nf >= 2);
	assert_true(strcmp(top[0].feature, "attributes.a") == 0 || strcmp(top[0].feature, "attributes.b") == 0);
	assert_int_equal(lead_from_json(no, &l), ST_OK);
	assert_true(model_predict(m, &l, NULL, 0, NULL) < 0.1);
	model_free(back);
	back = NULL;
	json_t *node = json_array_get(json_array_get(json_object_get(json_object_get(mj, "trees"), "trees"), 0), 0);
	json_object_set_new(node, "left", json_integer(0));
	assert_int_equal(model_read(mj, &back, why, sizeof why), ST_INVALID);
	assert_null(back);
	assert_non_null(strstr(why, "tree 0 node 0"));
	/* an unknown learner, or trees on a logistic model */
	json_object_set_new(mj, "type", json_string("forest"));
	assert_int_equal(model_from_json(mj, &back), ST_INVALID);
	json_object_set_new(mj, "type", json_string("logistic_regression"));
	assert_int_equal(model_from_json(mj, &back), ST_INVALID);
	json_object_del(mj, "trees");
	assert_int_equal(model_from_json(mj, &back), ST_OK);
	assert_string_equal(model_learner(back), "logistic_regression");
	model_free(back);
	json_decref(yes);
	json_decref(no);
	json_decref(mj);
	json_decref(ev);
	model_free(m);
	score_model_clear(&rules);
	synth_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_lead_from_json),
		cmocka_unit_test(test_operators_text),
		cmocka_unit_test(test_operators_enums),
		cmocka_unit_test(test_operators_numbers),
		cmocka_unit_test(test_operators_dates),
		cmocka_unit_test(test_operators_attributes),
		cmocka_unit_test(test_model_checks),
		cmocka_unit_test(test_model_checks_thresholds_and_bant),
		cmocka_unit_test(test_model_round_trip),
		cmocka_unit_test(test_bant),
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_predicted_blend),
		cmocka_unit_test(test_parts_add_up),
		cmocka_unit_test(test_coverage_blend),
		cmocka_unit_test(test_metrics),
		cmocka_unit_test(test_holdout_split),
		cmocka_unit_test(test_train_known_answer),
		cmocka_unit_test(test_train_numeric),
		cmocka_unit_test(test_train_cross),
		cmocka_unit_test(test_cross_round_trip),
		cmocka_unit_test(test_cross_from_json_invalid),
		cmocka_unit_test(test_train_no_informative_field),
		cmocka_unit_test(test_train_numeric_text),
		cmocka_unit_test(test_factor_values_cut_between_characters),
		cmocka_unit_test(test_gbt_threshold_interaction),
		cmocka_unit_test(test_gbt_missing_values_learn_their_side),
		cmocka_unit_test(test_gbt_json_round_trip),
		cmocka_unit_test(test_gbt_damaged_rejected),
		cmocka_unit_test(test_gbt_serves_in_a_trained_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
