/*
 * test_importer.c — the readers of attainctl import (internal/importer):
 * CSV as RFC 4180 has it (quotes, doubled quotes, commas and line breaks
 * inside quotes, a byte order mark, CRLF, ragged rows, an unclosed quote),
 * NDJSON, the column renames, and records shaped into the API's objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "importer/reader.h"
#include "importer/shape.h"

/* A reader over text (fmemopen); *f to close. */
static struct imp_reader *
open_text(const char *text, enum imp_format fmt, const struct imp_map *m, FILE **f)
{
	struct imp_reader *r = NULL;
	char err[128] = "";

	*f = fmemopen((void *)text, strlen(text), "r");
	assert_non_null(*f);
	assert_int_equal(imp_reader_open(*f, fmt, m, &r, err, sizeof err), ST_OK);
	return r;
}

/* The next record, which must be an object; its line into *line. */
static json_t *
next_obj(struct imp_reader *r, long *line)
{
	struct issues e = {0};
	json_t *o = NULL;

	assert_int_equal(imp_reader_next(r, &o, line, &e), ST_OK);
	assert_false(issues_any(&e));
	assert_non_null(o);
	return o;
}

static const char *
get(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void
test_csv_quotes_and_newlines(void **state)
{
	const char *text = "id,name,notes\n"
	                   "1,\"Smith, John\",\"said \"\"hi\"\"\"\n"
	                   "2,\"two\nlines\",\n"
	                   "3,plain,x\n";
	FILE *f;
	struct imp_reader *r = open_text(text, IMP_CSV, NULL, &f);
	long line;
	json_t *o;

	(void)state;
	o = next_obj(r, &line);
	assert_int_equal(line, 2);
	assert_string_equal(get(o, "name"), "Smith, John");
	assert_string_equal(get(o, "notes"), "said \"hi\"");
	json_decref(o);
	o = next_obj(r, &line);
	assert_int_equal(line, 3);
	assert_string_equal(get(o, "name"), "two\nlines");
	assert_null(json_object_get(o, "notes")); /* an empty cell is absent */
	json_decref(o);
	o = next_obj(r, &line);
	assert_int_equal(line, 5); /* the physical line: the record before took two */
	assert_string_equal(get(o, "name"), "plain");
	json_decref(o);
	assert_int_equal(imp_reader_next(r, &o, &line, &(struct issues){0}), ST_NOT_FOUND);
	imp_reader_free(r);
	fclose(f);
}

static void
test_csv_bom_crlf_blank_lines(void **state)
{
	const char *text = "\xEF\xBB\xBF"
	                   "external_id,name\r\n"
	                   "\r\n"
	                   "a,\"x\r\ny\"\r\n"
	                   "b,B";
	FILE *f;
	struct imp_reader *r = open_text(text, IMP_CSV, NULL, &f);
	size_t n;
	const char *const *cols = imp_reader_columns(r, &n);
	long line;
	json_t *o;

	(void)state;
	assert_int_equal(n, 2);
	assert_string_equal(cols[0], "external_id"); /* no BOM in the first name */
	o = next_obj(r, &line);
	assert_int_equal(line, 3);
	assert_string_equal(get(o, "name"), "x\r\ny"); /* kept inside quotes */
	json_decref(o);
	o = next_obj(r, &line);
	assert_int_equal(line, 5);
	assert_string_equal(get(o, "external_id"), "b");
	assert_string_equal(get(o, "name"), "B"); /* no newline at the end of the file */
	json_decref(o);
	imp_reader_free(r);
	fclose(f);
}

static void
test_csv_ragged_and_unclosed(void **state)
{
	const char *text = "a,b\n1,2,3\n4\n5,6\n7,\"open\n";
	FILE *f;
	struct imp_reader *r = open_text(text, IMP_CSV, NULL, &f);
	struct issues e = {0};
	long line;
	json_t *o = NULL;

	(void)state;
	assert_int_equal(imp_reader_next(r, &o, &line, &e), ST_OK);
	assert_null(o);
	assert_int_equal(line, 2);
	assert_string_equal(e.items[0].field, "row");
	assert_string_equal(e.items[0].message, "has 3 fields, the header has 2");
	issues_clear(&e);
	assert_int_equal(imp_reader_next(r, &o, &line, &e), ST_OK);
	assert_null(o);
	assert_int_equal(line, 3);
	issues_clear(&e);
	o = next_obj(r, &line); /* reading goes on after a bad row */
	assert_int_equal(line, 4);
	assert_string_equal(get(o, "b"), "6");
	json_decref(o);
	o = NULL;
	assert_int_equal(imp_reader_next(r, &o, &line, &e), ST_OK);
	assert_null(o);
	assert_int_equal(line, 5);
	assert_string_equal(e.items[0].message, "a quoted field is not closed before the end of the file");
	issues_clear(&e);
	imp_reader_free(r);
	fclose(f);
}

static void
test_csv_header_problems(void **state)
{
	struct imp_reader *r = NULL;
	struct imp_map m = {0};
	char err[128] = "";
	FILE *f = fmemopen((void *)"", 0, "r");

	(void)state;
	assert_int_equal(imp_reader_open(f, IMP_CSV, NULL, &r, err, sizeof err), ST_INVALID);
	assert_non_null(strstr(err, "empty"));
	fclose(f);
	assert_int_equal(imp_map_add_spec(&m, "Owner=owner,Email=owner", err, sizeof err), ST_OK);
	f = fmemopen((void *)"Owner,Email\nx,y\n", 16, "r");
	assert_int_equal(imp_reader_open(f, IMP_CSV, &m, &r, err, sizeof err), ST_INVALID);
	assert_string_equal(err, "columns 1 and 2 are both read as \"owner\"");
	fclose(f);
	imp_map_clear(&m);
}

static void
test_map(void **state)
{
	struct imp_map m = {0};
	char err[128] = "";
	const char *file =
	    "# Salesforce\n\nOpportunity Name=name\nAmount (converted), USD = amount\nIgnored=\n";
	FILE *f = fmemopen((void *)file, strlen(file), "r");

	(void)state;
	assert_int_equal(imp_map_add_file(&m, f, err, sizeof err), ST_OK);
	fclose(f);
	assert_int_equal(imp_map_add_spec(&m, " Close Date = close_date ,name=title", err, sizeof err),
	                 ST_OK);
	assert_string_equal(imp_map_name(&m, "opportunity name"), "name"); /* without regard to case */
	assert_string_equal(imp_map_name(&m, "Amount (converted), USD"), "amount");
	assert_string_equal(imp_map_name(&m, "Close Date"), "close_date");
	assert_string_equal(imp_map_name(&m, "Ignored"), "");
	assert_string_equal(imp_map_name(&m, "other"), "other");
	assert_int_equal(imp_map_add_spec(&m, "a=b,nothing", err, sizeof err), ST_INVALID);
	assert_string_equal(err, "--map: \"nothing\" is not src=dst");
	imp_map_clear(&m);
	f = fmemopen((void *)"a=b\nbad line\n", 13, "r");
	assert_int_equal(imp_map_add_file(&m, f, err, sizeof err), ST_INVALID);
	assert_string_equal(err, "line 2: not src=dst");
	fclose(f);
	imp_map_clear(&m);
	assert_int_equal(imp_format_of("x/deals.ndjson"), IMP_NDJSON);
	assert_int_equal(imp_format_of("deals.JSONL"), IMP_NDJSON);
	assert_int_equal(imp_format_of("deals.csv"), IMP_CSV);
}

static void
test_map_applies_to_csv_and_ndjson(void **state)
{
	struct imp_map m = {0};
	char err[64];
	FILE *f;
	struct imp_reader *r;
	long line;
	json_t *o;

	(void)state;
	assert_int_equal(imp_map_add_spec(&m, "Opportunity ID=external_id,Junk=", err, sizeof err), ST_OK);
	r = open_text("Opportunity ID,Junk\n006A,zz\n", IMP_CSV, &m, &f);
	o = next_obj(r, &line);
	assert_string_equal(get(o, "external_id"), "006A");
	assert_int_equal(json_object_size(o), 1); /* a column renamed to "" is dropped */
	json_decref(o);
	imp_reader_free(r);
	fclose(f);
	r = open_text("\xEF\xBB\xBF{\"Opportunity ID\":\"006B\",\"Junk\":1,\"n\":2}\n\n{}\n", IMP_NDJSON, &m,
	              &f);
	o = next_obj(r, &line);
	assert_int_equal(line, 1);
	assert_string_equal(get(o, "external_id"), "006B");
	assert_int_equal(json_integer_value(json_object_get(o, "n")), 2);
	assert_int_equal(json_object_size(o), 2);
	json_decref(o);
	o = next_obj(r, &line);
	assert_int_equal(line, 3);
	json_decref(o);
	imp_reader_free(r);
	fclose(f);
	imp_map_clear(&m);
}

static int64_t
person(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "ann@x.com") == 0 ? 7 : strcmp(key, "P9") == 0 ? 9 : 0;
}

static int64_t
team(void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "T1") == 0 ? 3 : 0;
}

static void
test_shape(void **state)
{
	struct imp_refs refs = {person, team, NULL};
	struct issues e = {0};
	json_t *in =
	    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "external_id", "D1", "owner", "ann@x.com", "amount",
	              "1,250.50", "stage", "Closed Won", "close_date", "7/15/2026", "type", "New Business");
	json_t *out = NULL;
	char *text;

	(void)state;
	assert_int_equal(imp_shape(IMP_DEALS, in, &refs, &out, &e), ST_OK);
	text = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT | JSON_REAL_PRECISION(15));
	assert_string_equal(text, "{\"amount\":1250.5,\"close_date\":\"2026-07-15\",\"external_id\":\"D1\","
	                          "\"owner_id\":\"7\",\"stage\":\"closed_won\",\"type\":\"new_business\"}");
	free(text);
	json_decref(out);
	json_decref(in);

	in = json_pack("{s:s, s:s, s:s, s:s}", "owner", "nobody", "amount", "1.234", "probability", "101",
	               "color", "red");
	assert_int_equal(imp_shape(IMP_DEALS, in, &refs, &out, &e), ST_INVALID);
	assert_int_equal(e.n, 5);
	issues_clear(&e);
	json_decref(in);

	in = json_pack("{s:s, s:s, s:s}", "team", "T1", "period", "FY2026-Q3", "amount", "100");
	assert_int_equal(imp_shape(IMP_QUOTAS, in, &refs, &out, &e), ST_OK);
	assert_string_equal(get(out, "assignee"), "team:3");
	assert_string_equal(get(out, "metric"), "revenue");
	json_decref(out);
	json_decref(in);

	in = json_pack("{s:s, s:s, s:s, s:s, s:s}", "external_id", "P1", "name", "Ann", "email", "ann@x.com",
	               "active", "no", "hired_on", "2026-01-05 00:00:00");
	assert_int_equal(imp_shape(IMP_PEOPLE, in, &refs, &out, &e), ST_OK);
	assert_true(json_is_false(json_object_get(out, "active")));
	assert_string_equal(get(out, "hired_on"), "2026-01-05");
	json_decref(out);
	json_decref(in);
	/* owner and owner_id at once */
	in = json_pack("{s:s, s:s, s:s}", "external_id", "L1", "owner", "P9", "owner_id", "9");
	assert_int_equal(imp_shape(IMP_LEADS, in, &refs, &out, &e), ST_INVALID);
	issues_clear(&e);
	json_decref(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_quotes_and_newlines),
	    cmocka_unit_test(test_csv_bom_crlf_blank_lines),
	    cmocka_unit_test(test_csv_ragged_and_unclosed),
	    cmocka_unit_test(test_csv_header_problems),
	    cmocka_unit_test(test_map),
	    cmocka_unit_test(test_map_applies_to_csv_and_ndjson),
	    cmocka_unit_test(test_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
