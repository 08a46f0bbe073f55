/*
 * Unit tests of the pure files of a lead write: the merge of a body into the
 * stored fields, the default segment, the stored columns of a scored lead
 * and its preview (record.c), and the items of a bulk call (batch.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/batch.h"
#include "leads/record.h"

static json_t *
js(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);

	if (!v)
		fail_msg("bad JSON in test: %s: %s", text, e.text);
	return v;
}

static cal_date
day(const char *s)
{
	cal_date d = 0;

	assert_int_equal(cal_date_parse(s, &d), ST_OK);
	return d;
}

/* A model of two rules: budget >= 1000 (40 points), need high (30); qualified 60, nurture 30. */
static void
model(struct score_model *m)
{
	struct issues e = {0};
	json_t *def = js(
	    "{\"rules\":[{\"id\":\"big\",\"field\":\"budget\",\"op\":\"gte\",\"value\":1000,\"points\":40},"
	    "{\"id\":\"need\",\"field\":\"need\",\"op\":\"eq\",\"value\":\"high\",\"points\":30}],"
	    "\"thresholds\":{\"qualified\":60,\"nurture\":30},"
	    "\"bant\":{\"required\":[],\"budget\":{\"yes\":1000,\"partial\":100},"
	    "\"authority\":{\"yes\":[\"decision_maker\"],\"partial\":[\"influencer\"]},"
	    "\"need\":{\"yes\":[\"high\"],\"partial\":[\"medium\"]},"
	    "\"timeline\":{\"yes_within_days\":30,\"partial_within_days\":90}}}");

	if (score_model_parse(def, m, &e) != ST_OK)
		fail_msg("%s: %s", e.items[0].field, e.items[0].message);
	json_decref(def);
}

static void
test_merge(void **state)
{
	json_t *base = js("{\"company\":\"A\",\"budget\":10,\"need\":\"low\",\"segment\":\"b2c\"}");
	json_t *body = js("{\"budget\":20,\"need\":null,\"source\":\"ads\"}");
	json_t *m = lead_record_merge(base, body);

	(void)state;
	assert_non_null(m);
	assert_string_equal(lead_record_text(m, "company"), "A"); /* kept */
	assert_int_equal(json_integer_value(json_object_get(m, "budget")), 20);
	assert_true(json_is_null(json_object_get(m, "need"))); /* cleared */
	assert_null(lead_record_text(m, "need"));
	assert_string_equal(lead_record_text(m, "source"), "ads");
	assert_int_equal(json_integer_value(json_object_get(base, "budget")), 10); /* base untouched */
	json_decref(m);
	m = lead_record_merge(NULL, body); /* a new lead */
	assert_true(json_equal(m, body));
	json_decref(m);
	json_decref(base);
	json_decref(body);
}

static void
test_default_segment(void **state)
{
	json_t *a = js("{}"), *b = js("{}"), *c = js("{\"segment\":\"b2b\"}");

	(void)state;
	assert_int_equal(lead_record_default_segment(a, ""), ST_OK);
	assert_string_equal(lead_record_text(a, "segment"), "b2b");
	assert_int_equal(lead_record_default_segment(b, "b2c"), ST_OK);
	assert_string_equal(lead_record_text(b, "segment"), "b2c");
	assert_int_equal(lead_record_default_segment(c, "b2c"), ST_OK); /* a lead's own segment wins */
	assert_string_equal(lead_record_text(c, "segment"), "b2b");
	json_decref(a);
	json_decref(b);
	json_decref(c);
}

static void
test_fill(void **state)
{
	struct score_model m;
	struct lead_record r;
	json_t *lead = js("{\"external_id\":\"x-1\",\"segment\":\"b2b\",\"budget\":1234.5,\"need\":\"high\","
	                  "\"employees\":12,\"owner_id\":\"7\",\"timeline\":\"2026-03-01\"}");
	cal_date arrived = day("2026-01-10");

	(void)state;
	model(&m);
	assert_int_equal(lead_record_fill(&r, lead, 5, &arrived, &m, day("2026-02-01"), NULL), ST_OK);
	assert_string_equal(r.v[LEAD_RECORD_EXTERNAL_ID], "x-1");
	assert_string_equal(r.v[LEAD_RECORD_SEGMENT], "b2b");
	assert_string_equal(r.v[LEAD_RECORD_BUDGET], "1234.50");
	assert_string_equal(r.v[LEAD_RECORD_NEED], "high");
	assert_null(r.v[LEAD_RECORD_AUTHORITY]);
	assert_string_equal(r.v[LEAD_RECORD_TIMELINE], "2026-03-01");
	assert_string_equal(r.v[LEAD_RECORD_EMPLOYEES], "12");
	assert_null(r.v[LEAD_RECORD_ENGAGEMENT]);
	assert_string_equal(r.v[LEAD_RECORD_ATTRIBUTES], "{}");
	assert_string_equal(r.v[LEAD_RECORD_OWNER_ID], "7");
	assert_string_equal(r.v[LEAD_RECORD_STATUS], "new"); /* no status: new */
	assert_null(r.v[LEAD_RECORD_CONVERTED_DEAL_ID]);
	assert_string_equal(r.v[LEAD_RECORD_SCORE], "70");
	assert_string_equal(r.v[LEAD_RECORD_GRADE], "B");
	assert_null(r.v[LEAD_RECORD_PROBABILITY]); /* never trained */
	assert_string_equal(r.v[LEAD_RECORD_SUGGESTED_STATUS], "qualified");
	json_t *bant = js(r.v[LEAD_RECORD_BANT]), *breakdown = js(r.v[LEAD_RECORD_SCORE_BREAKDOWN]);
	assert_string_equal(json_string_value(json_object_get(bant, "budget")), "yes");
	assert_int_equal(json_array_size(json_object_get(breakdown, "rules")), 2);

	json_t *p = lead_record_preview(&r, 3, 0);
	assert_non_null(p);
	assert_int_equal(json_object_size(p), 9);
	assert_string_equal(json_string_value(json_object_get(p, "segment")), "b2b");
	assert_int_equal(json_integer_value(json_object_get(p, "score")), 70);
	assert_true(json_is_null(json_object_get(p, "probability")));
	assert_int_equal(json_integer_value(json_object_get(p, "rules_version")), 3);
	assert_true(json_is_null(json_object_get(p, "trained_version")));
	assert_true(json_equal(json_object_get(p, "score_breakdown"), breakdown));
	json_decref(p);
	json_decref(bant);
	json_decref(breakdown);
	lead_record_clear(&r);
	assert_null(r.bant);

	/* a scratch result gives the same record */
	struct score_result *scratch = malloc(sizeof *scratch);
	struct lead_record again;
	assert_int_equal(lead_record_fill(&again, lead, 5, NULL, &m, day("2026-02-01"), scratch), ST_OK);
	assert_string_equal(again.v[LEAD_RECORD_SCORE], "70");
	lead_record_clear(&again);
	free(scratch);
	json_decref(lead);

	/* what does not read as a lead */
	lead = js("{\"segment\":\"b2x\"}");
	assert_int_equal(lead_record_fill(&r, lead, 0, NULL, &m, day("2026-02-01"), NULL), ST_INVALID);
	assert_null(r.v[LEAD_RECORD_SCORE]);
	json_decref(lead);
	score_model_clear(&m);
}

static void
test_batch(void **state)
{
	struct lead_batch b = {0};
	json_t *one = js("{\"external_id\":\"e\\t1\",\"owner_id\":\"42\",\"company\":\"A\"}");
	json_t *two = js("{\"external_id\":\"e2\",\"converted_deal_id\":\"9\",\"owner_id\":null}");
	json_t *none = js("{\"company\":\"no external id\"}");

	(void)state;
	for (int i = 0; i < 3000; i++) /* past the first growth */
		assert_int_equal(lead_batch_add(&b, i, i % 2 ? two : one), ST_OK);
	assert_int_equal(lead_batch_add(&b, 3000, none), ST_INVALID);
	assert_int_equal(b.n, 3000);
	assert_int_equal(b.items[0].index, 0);
	assert_string_equal(b.items[0].external_id, "e\t1");
	assert_int_equal(b.items[0].owner_id, 42);
	assert_int_equal(b.items[0].converted_deal_id, 0);
	json_t *back = js(b.items[0].json);
	assert_true(json_equal(back, one));
	json_decref(back);
	assert_int_equal(b.items[2999].index, 2999);
	assert_string_equal(b.items[2999].external_id, "e2");
	assert_int_equal(b.items[2999].owner_id, 0);
	assert_int_equal(b.items[2999].converted_deal_id, 9);
	lead_batch_clear(&b);
	assert_int_equal(b.n, 0);
	assert_null(b.items);
	lead_batch_clear(&b);
	json_decref(one);
	json_decref(two);
	json_decref(none);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_default_segment),
	    cmocka_unit_test(test_fill),
	    cmocka_unit_test(test_batch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
