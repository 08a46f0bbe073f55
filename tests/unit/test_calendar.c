/*
 * test_calendar.c — dates and fiscal periods (internal/calendar).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar/calendar.h"

/* period_children's count, or -1 when it refuses (the form these tests were written in). */
static int
children_of(const struct period *p, enum period_grain grain, int fy_start_month, struct period *out, int max)
{
	int n = -1;

	if (period_children(p, grain, fy_start_month, out, max, &n) != ST_OK)
		return -1;
	return n;
}

/* The date of a "YYYY-MM-DD" literal the test knows is valid. */
static cal_date
D(const char *s)
{
	cal_date d = INT32_MIN;

	assert_int_equal(cal_date_parse(s, &d), ST_OK);
	return d;
}

static void
assert_date(cal_date d, const char *want)
{
	char buf[16];

	cal_date_format(d, buf, sizeof buf);
	assert_string_equal(buf, want);
}

/* p has the given id, start and end. */
static void
assert_period(const struct period *p, const char *id, const char *start, const char *end)
{
	assert_string_equal(p->id, id);
	assert_date(p->start, start);
	assert_date(p->end, end);
}

static void
assert_same_period(const struct period *a, const struct period *b)
{
	assert_int_equal(a->grain, b->grain);
	assert_int_equal(a->fiscal_year, b->fiscal_year);
	assert_int_equal(a->number, b->number);
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_string_equal(a->id, b->id);
}

static struct period
P(const char *id, int s)
{
	struct period p;

	memset(&p, 0xAB, sizeof p);
	assert_int_equal(period_parse(id, s, &p), ST_OK);
	return p;
}

static const int start_months[] = { 1, 2, 4, 7, 12 };

/* ---- dates ---- */

static void
test_known_day_numbers(void **state)
{
	cal_date d;

	assert_int_equal(cal_date_from_ymd(1970, 1, 1, &d), ST_OK);
	assert_int_equal(d, 0);
	assert_int_equal(cal_date_from_ymd(1969, 12, 31, &d), ST_OK);
	assert_int_equal(d, -1);
	assert_int_equal(cal_date_from_ymd(2000, 3, 1, &d), ST_OK);
	assert_int_equal(d, 11017);
	assert_int_equal(cal_date_from_ymd(1900, 1, 1, &d), ST_OK);
	assert_int_equal(d, -25567);
	assert_int_equal(cal_date_from_ymd(9999, 12, 31, &d), ST_OK);
	assert_int_equal(d, 2932896);
	assert_int_equal(cal_date_from_ymd(2026, 1, 1, &d), ST_OK);
	assert_int_equal(d, 20454);
}

/* Every day of 1900..9999 round-trips and follows the one before it. */
static void
test_every_day_round_trips(void **state)
{
	cal_date first, last, d;
	int py = 1899, pm = 12, pd = 31;

	assert_int_equal(cal_date_from_ymd(1900, 1, 1, &first), ST_OK);
	assert_int_equal(cal_date_from_ymd(9999, 12, 31, &last), ST_OK);
	for (cal_date x = first; x <= last; x++) {
		int y, m, day;

		cal_date_to_ymd(x, &y, &m, &day);
		if (day != pd + 1 || m != pm || y != py) {
			/* First of a month: the one before ended on its last day. */
			assert_int_equal(pd, cal_days_in_month(py, pm));
			assert_int_equal(day, 1);
			assert_true((m == pm + 1 && y == py) ||
				    (pm == 12 && m == 1 && y == py + 1));
		}
		assert_int_equal(cal_date_from_ymd(y, m, day, &d), ST_OK);
		assert_int_equal(d, x);
		py = y;
		pm = m;
		pd = day;
	}
	assert_int_equal(py, 9999);
}

static void
test_leap_years(void **state)
{
	cal_date d;

	assert_int_equal(cal_date_from_ymd(2024, 2, 29, &d), ST_OK);
	assert_date(d, "2024-02-29");
	assert_int_equal(cal_date_from_ymd(2023, 2, 29, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(1900, 2, 29, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2000, 2, 29, &d), ST_OK);
	assert_int_equal(cal_date_from_ymd(2100, 2, 29, &d), ST_INVALID);
	assert_int_equal(cal_days_in_month(2024, 2), 29);
	assert_int_equal(cal_days_in_month(2023, 2), 28);
	assert_int_equal(cal_days_in_month(1900, 2), 28);
	assert_int_equal(cal_days_in_month(2000, 2), 29);
	assert_int_equal(cal_days_in_month(2026, 1), 31);
	assert_int_equal(cal_days_in_month(2026, 4), 30);
	assert_int_equal(cal_days_in_month(2026, 12), 31);
	assert_int_equal(cal_days_in_month(2026, 0), 0);
	assert_int_equal(cal_days_in_month(2026, 13), 0);
	assert_int_equal(cal_days_in_month(2026, -1), 0);
}

static void
test_from_ymd_rejects(void **state)
{
	cal_date d = 42;

	assert_int_equal(cal_date_from_ymd(1899, 12, 31, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(10000, 1, 1, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 0, 1, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 13, 1, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 1, 0, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 1, 32, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 4, 31, &d), ST_INVALID);
	assert_int_equal(cal_date_from_ymd(2026, 1, -1, &d), ST_INVALID);
	assert_int_equal(d, 42);
}

static void
test_date_parse(void **state)
{
	static const char *bad[] = {
		"", "2026-7-01", "2026-07-1", " 2026-07-01", "2026-07-01 ",
		"2026/07/01", "20260701", "2026-02-30", "2023-02-29", "1899-12-31",
		"+026-07-01", "2026-07-0a", "2026-00-10", "2026-13-01", "2026-07-00",
		"2026-07-32", "2026-07-01T", "02026-07-01", "2026-07-01\n", "２026-07-01",
	};
	cal_date d = 42;

	assert_date(D("2026-07-01"), "2026-07-01");
	assert_date(D("1900-01-01"), "1900-01-01");
	assert_date(D("9999-12-31"), "9999-12-31");
	assert_date(D("2000-02-29"), "2000-02-29");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cal_date_parse(bad[i], &d) != ST_INVALID)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(cal_date_parse(NULL, &d), ST_INVALID);
	assert_int_equal(d, 42);
}

static void
test_date_format(void **state)
{
	char buf[11];
	char small[5];
	int y, m, day;

	cal_date_format(0, buf, sizeof buf);
	assert_string_equal(buf, "1970-01-01");
	cal_date_format(-1, buf, sizeof buf);
	assert_string_equal(buf, "1969-12-31");
	cal_date_format(D("2026-07-09"), small, sizeof small);
	assert_string_equal(small, "2026");
	cal_date_to_ymd(D("2026-07-09"), &y, &m, &day);
	assert_int_equal(y, 2026);
	assert_int_equal(m, 7);
	assert_int_equal(day, 9);
	cal_date_to_ymd(D("2026-07-09"), NULL, &m, NULL);
	assert_int_equal(m, 7);
}

static void
test_add_months(void **state)
{
	assert_date(cal_date_add_months(D("2023-01-31"), 1), "2023-02-28");
	assert_date(cal_date_add_months(D("2024-01-31"), 1), "2024-02-29");
	assert_date(cal_date_add_months(D("2024-03-31"), -1), "2024-02-29");
	assert_date(cal_date_add_months(D("2024-02-29"), 12), "2025-02-28");
	assert_date(cal_date_add_months(D("2024-02-29"), 48), "2028-02-29");
	assert_date(cal_date_add_months(D("2026-12-15"), 1), "2027-01-15");
	assert_date(cal_date_add_months(D("2026-01-15"), -1), "2025-12-15");
	assert_date(cal_date_add_months(D("2026-01-15"), -13), "2024-12-15");
	assert_date(cal_date_add_months(D("2026-01-15"), 25), "2028-02-15");
	assert_date(cal_date_add_months(D("2026-05-31"), 1), "2026-06-30");
	assert_date(cal_date_add_months(D("2026-05-31"), 0), "2026-05-31");
	assert_date(cal_date_add_months(D("2026-08-31"), -6), "2026-02-28");
	assert_date(cal_date_add_months(D("1900-03-31"), -1), "1900-02-28");
	assert_date(cal_date_add_months(D("9999-12-31"), -8099 * 12), "1900-12-31");
	assert_date(cal_date_add_months(D("1900-01-31"), 8099 * 12 + 1), "9999-02-28");
}

static void
test_from_unix(void **state)
{
	assert_int_equal(cal_date_from_unix(0), 0);
	assert_int_equal(cal_date_from_unix(86399), 0);
	assert_int_equal(cal_date_from_unix(86400), 1);
	assert_int_equal(cal_date_from_unix(-1), -1);
	assert_int_equal(cal_date_from_unix(-86400), -1);
	assert_int_equal(cal_date_from_unix(-86401), -2);
	assert_int_equal(cal_date_from_unix(1767225600LL), D("2026-01-01"));
	assert_int_equal(cal_date_from_unix(1767225599LL), D("2025-12-31"));
	assert_int_equal(cal_date_from_unix(253402300799LL), D("9999-12-31"));
}

/* ---- period ids ---- */

static void
test_parse_month(void **state)
{
	struct period p = P("2026-07", 2);

	assert_int_equal(p.grain, GRAIN_MONTH);
	assert_int_equal(p.fiscal_year, 2026);
	assert_int_equal(p.number, 7);
	assert_period(&p, "2026-07", "2026-07-01", "2026-07-31");
	p = P("2024-02", 1);
	assert_period(&p, "2024-02", "2024-02-01", "2024-02-29");
	p = P("2023-02", 1);
	assert_period(&p, "2023-02", "2023-02-01", "2023-02-28");
	p = P("1900-01", 1);
	assert_period(&p, "1900-01", "1900-01-01", "1900-01-31");
	p = P("9999-12", 7);
	assert_period(&p, "9999-12", "9999-12-01", "9999-12-31");
	/* A month's fiscal_year stays its calendar year whatever the start month. */
	for (size_t i = 0; i < sizeof start_months / sizeof start_months[0]; i++) {
		p = P("2025-12", start_months[i]);
		assert_int_equal(p.fiscal_year, 2025);
		assert_int_equal(p.number, 12);
	}
}

static void
test_parse_rejects(void **state)
{
	static const char *bad[] = {
		"", "2026-7", "2026-13", "2026-00", "2026-007",
		" 2026-07", "2026-07 ", "2026/07", "26-07", "1899-12",
		"2026-07-01", "fy2026", "Fy2026", "fY2026", "FY26",
		"FY202", "FY20260", "FY2026-Q0", "FY2026-Q5", "FY2026-Q9",
		"FY2026-q3", "FY2026Q3", "FY2026-Q", "FY2026-Q33", "FY2026-",
		"FY2026 ", " FY2026", "FY2026-Q3 ", "FY1899", "FY1899-Q1",
		"FY", "F", "FY-2026", "FY+026", "FY 2026",
		"2026", "FY2026-H1", "FY2026-Q1\n", "FY2026\tQ1", "2026-07\n",
		"Q3-FY2026", "FYFY2026",
	};
	struct period p;

	memset(&p, 0x5A, sizeof p);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (period_parse(bad[i], 1, &p) != ST_INVALID)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(period_parse(NULL, 1, &p), ST_INVALID);
	/* A bad fiscal start month is refused even for a good id. */
	assert_int_equal(period_parse("FY2026", 0, &p), ST_INVALID);
	assert_int_equal(period_parse("FY2026-Q1", 13, &p), ST_INVALID);
	assert_int_equal(period_parse("2026-07", -1, &p), ST_INVALID);
	/* *out untouched on error. */
	for (size_t i = 0; i < sizeof p; i++)
		assert_int_equal(((unsigned char *)&p)[i], 0x5A);
}

/* DESIGN §6: with start month 2, FY2026 runs 2025-02-01..2026-01-31. */
static void
test_design_example(void **state)
{
	struct period p = P("FY2026", 2);

	assert_int_equal(p.grain, GRAIN_YEAR);
	assert_int_equal(p.fiscal_year, 2026);
	assert_int_equal(p.number, 0);
	assert_period(&p, "FY2026", "2025-02-01", "2026-01-31");
	p = P("FY2026-Q1", 2);
	assert_period(&p, "FY2026-Q1", "2025-02-01", "2025-04-30");
	p = P("FY2026-Q2", 2);
	assert_period(&p, "FY2026-Q2", "2025-05-01", "2025-07-31");
	p = P("FY2026-Q3", 2);
	assert_period(&p, "FY2026-Q3", "2025-08-01", "2025-10-31");
	p = P("FY2026-Q4", 2);
	assert_int_equal(p.grain, GRAIN_QUARTER);
	assert_int_equal(p.fiscal_year, 2026);
	assert_int_equal(p.number, 4);
	assert_period(&p, "FY2026-Q4", "2025-11-01", "2026-01-31");
}

static void
test_fiscal_years_by_start_month(void **state)
{
	static const struct {
		int s;
		const char *id, *start, *end;
	} cases[] = {
		{ 1, "FY2026", "2026-01-01", "2026-12-31" },
		{ 1, "FY2026-Q1", "2026-01-01", "2026-03-31" },
		{ 1, "FY2026-Q3", "2026-07-01", "2026-09-30" },
		{ 1, "FY2024-Q1", "2024-01-01", "2024-03-31" },
		{ 2, "FY2024", "2023-02-01", "2024-01-31" },
		{ 2, "FY2025-Q1", "2024-02-01", "2024-04-30" },
		{ 4, "FY2026", "2025-04-01", "2026-03-31" },
		{ 4, "FY2026-Q3", "2025-10-01", "2025-12-31" },
		{ 4, "FY2026-Q4", "2026-01-01", "2026-03-31" },
		{ 7, "FY2026", "2025-07-01", "2026-06-30" },
		{ 7, "FY2026-Q1", "2025-07-01", "2025-09-30" },
		{ 7, "FY2026-Q3", "2026-01-01", "2026-03-31" },
		{ 7, "FY2026-Q4", "2026-04-01", "2026-06-30" },
		{ 12, "FY2026", "2025-12-01", "2026-11-30" },
		{ 12, "FY2026-Q1", "2025-12-01", "2026-02-28" },
		{ 12, "FY2025-Q1", "2024-12-01", "2025-02-28" },
		{ 12, "FY2024-Q1", "2023-12-01", "2024-02-29" },
		{ 12, "FY2026-Q4", "2026-09-01", "2026-11-30" },
		{ 3, "FY2024-Q4", "2023-12-01", "2024-02-29" },
		{ 1, "FY1900", "1900-01-01", "1900-12-31" },
		{ 1, "FY9999-Q4", "9999-10-01", "9999-12-31" },
		{ 2, "FY9999", "9998-02-01", "9999-01-31" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct period p = P(cases[i].id, cases[i].s);

		assert_period(&p, cases[i].id, cases[i].start, cases[i].end);
		assert_int_equal(p.fiscal_year, atoi(cases[i].id + 2));
	}
}

static void
test_grain_parse_and_name(void **state)
{
	static const char *bad[] = {
		"", "Month", "months", "day", "week",
		"YEAR", " year", "year ",
	};
	enum period_grain g = GRAIN_YEAR;

	assert_int_equal(period_grain_parse("month", &g), ST_OK);
	assert_int_equal(g, GRAIN_MONTH);
	assert_int_equal(period_grain_parse("quarter", &g), ST_OK);
	assert_int_equal(g, GRAIN_QUARTER);
	assert_int_equal(period_grain_parse("year", &g), ST_OK);
	assert_int_equal(g, GRAIN_YEAR);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(period_grain_parse(bad[i], &g), ST_INVALID);
	assert_int_equal(period_grain_parse(NULL, &g), ST_INVALID);
	assert_int_equal(g, GRAIN_YEAR);
	assert_string_equal(period_grain_name(GRAIN_MONTH), "month");
	assert_string_equal(period_grain_name(GRAIN_QUARTER), "quarter");
	assert_string_equal(period_grain_name(GRAIN_YEAR), "year");
}

/* ---- containing, next, prev, year ago ---- */

static void
assert_containing(const char *date, enum period_grain g, int s, const char *id)
{
	struct period p;

	period_containing(D(date), g, s, &p);
	assert_string_equal(p.id, id);
	assert_int_equal(p.grain, g);
	assert_true(p.start <= D(date) && D(date) <= p.end);
}

static void
test_containing(void **state)
{
	/* DESIGN: start month 2. */
	assert_containing("2025-02-01", GRAIN_YEAR, 2, "FY2026");
	assert_containing("2025-02-01", GRAIN_QUARTER, 2, "FY2026-Q1");
	assert_containing("2026-01-31", GRAIN_YEAR, 2, "FY2026");
	assert_containing("2026-01-31", GRAIN_QUARTER, 2, "FY2026-Q4");
	assert_containing("2026-02-01", GRAIN_YEAR, 2, "FY2027");
	assert_containing("2026-02-01", GRAIN_QUARTER, 2, "FY2027-Q1");
	assert_containing("2025-01-31", GRAIN_YEAR, 2, "FY2025");
	assert_containing("2025-07-31", GRAIN_QUARTER, 2, "FY2026-Q2");
	assert_containing("2025-08-01", GRAIN_QUARTER, 2, "FY2026-Q3");
	assert_containing("2026-01-31", GRAIN_MONTH, 2, "2026-01");
	/* Start month 1. */
	assert_containing("2026-01-01", GRAIN_YEAR, 1, "FY2026");
	assert_containing("2026-12-31", GRAIN_YEAR, 1, "FY2026");
	assert_containing("2026-12-31", GRAIN_QUARTER, 1, "FY2026-Q4");
	assert_containing("2027-01-01", GRAIN_QUARTER, 1, "FY2027-Q1");
	assert_containing("2026-04-01", GRAIN_QUARTER, 1, "FY2026-Q2");
	assert_containing("2026-03-31", GRAIN_QUARTER, 1, "FY2026-Q1");
	/* Start month 4. */
	assert_containing("2026-03-31", GRAIN_YEAR, 4, "FY2026");
	assert_containing("2026-04-01", GRAIN_YEAR, 4, "FY2027");
	assert_containing("2025-12-31", GRAIN_QUARTER, 4, "FY2026-Q3");
	assert_containing("2026-01-01", GRAIN_QUARTER, 4, "FY2026-Q4");
	/* Start month 7. */
	assert_containing("2026-06-30", GRAIN_YEAR, 7, "FY2026");
	assert_containing("2026-06-30", GRAIN_QUARTER, 7, "FY2026-Q4");
	assert_containing("2026-07-01", GRAIN_QUARTER, 7, "FY2027-Q1");
	assert_containing("2025-12-31", GRAIN_QUARTER, 7, "FY2026-Q2");
	assert_containing("2026-01-01", GRAIN_QUARTER, 7, "FY2026-Q3");
	/* Start month 12. */
	assert_containing("2025-12-01", GRAIN_YEAR, 12, "FY2026");
	assert_containing("2025-12-01", GRAIN_QUARTER, 12, "FY2026-Q1");
	assert_containing("2025-11-30", GRAIN_QUARTER, 12, "FY2025-Q4");
	assert_containing("2026-02-28", GRAIN_QUARTER, 12, "FY2026-Q1");
	assert_containing("2026-03-01", GRAIN_QUARTER, 12, "FY2026-Q2");
	assert_containing("2026-11-30", GRAIN_YEAR, 12, "FY2026");
	/* Months ignore the fiscal calendar. */
	assert_containing("2024-02-29", GRAIN_MONTH, 7, "2024-02");
	assert_containing("2026-12-31", GRAIN_MONTH, 12, "2026-12");
	/* Out-of-range start months behave as 1. */
	assert_containing("2026-12-31", GRAIN_YEAR, 0, "FY2026");
	assert_containing("2026-12-31", GRAIN_QUARTER, 13, "FY2026-Q4");
}

static void
test_next_prev(void **state)
{
	struct period p = P("2026-12", 1), q;

	period_next(&p, 1, &q);
	assert_period(&q, "2027-01", "2027-01-01", "2027-01-31");
	p = P("2026-01", 1);
	period_prev(&p, 1, &q);
	assert_period(&q, "2025-12", "2025-12-01", "2025-12-31");
	p = P("2024-01", 7);
	period_next(&p, 7, &q);
	assert_period(&q, "2024-02", "2024-02-01", "2024-02-29");

	p = P("FY2026-Q4", 1);
	period_next(&p, 1, &q);
	assert_period(&q, "FY2027-Q1", "2027-01-01", "2027-03-31");
	p = P("FY2026-Q1", 1);
	period_prev(&p, 1, &q);
	assert_period(&q, "FY2025-Q4", "2025-10-01", "2025-12-31");
	p = P("FY2026-Q4", 2);
	period_next(&p, 2, &q);
	assert_period(&q, "FY2027-Q1", "2026-02-01", "2026-04-30");
	p = P("FY2026-Q1", 2);
	period_prev(&p, 2, &q);
	assert_period(&q, "FY2025-Q4", "2024-11-01", "2025-01-31");
	p = P("FY2026-Q2", 7);
	period_next(&p, 7, &q);
	assert_period(&q, "FY2026-Q3", "2026-01-01", "2026-03-31");
	p = P("FY2026-Q1", 12);
	period_prev(&p, 12, &q);
	assert_period(&q, "FY2025-Q4", "2025-09-01", "2025-11-30");

	p = P("FY2026", 2);
	period_next(&p, 2, &q);
	assert_period(&q, "FY2027", "2026-02-01", "2027-01-31");
	period_prev(&p, 2, &q);
	assert_period(&q, "FY2025", "2024-02-01", "2025-01-31");
	p = P("FY2026", 1);
	period_next(&p, 1, &q);
	assert_period(&q, "FY2027", "2027-01-01", "2027-12-31");

	/* out may alias p. */
	p = P("FY2026-Q4", 4);
	period_next(&p, 4, &p);
	assert_period(&p, "FY2027-Q1", "2026-04-01", "2026-06-30");
	period_prev(&p, 4, &p);
	assert_period(&p, "FY2026-Q4", "2026-01-01", "2026-03-31");
}

static void
test_year_ago(void **state)
{
	struct period p = P("2026-03", 1), q;

	period_year_ago(&p, 1, &q);
	assert_period(&q, "2025-03", "2025-03-01", "2025-03-31");
	p = P("2024-02", 1);
	period_year_ago(&p, 1, &q);
	assert_period(&q, "2023-02", "2023-02-01", "2023-02-28");
	p = P("2025-02", 1);
	period_year_ago(&p, 1, &q);
	assert_period(&q, "2024-02", "2024-02-01", "2024-02-29");
	p = P("FY2026-Q3", 2);
	period_year_ago(&p, 2, &q);
	assert_period(&q, "FY2025-Q3", "2024-08-01", "2024-10-31");
	p = P("FY2026-Q1", 12);
	period_year_ago(&p, 12, &q);
	assert_period(&q, "FY2025-Q1", "2024-12-01", "2025-02-28");
	p = P("FY2026", 7);
	period_year_ago(&p, 7, &q);
	assert_period(&q, "FY2025", "2024-07-01", "2025-06-30");
	period_year_ago(&q, 7, &q);
	assert_period(&q, "FY2024", "2023-07-01", "2024-06-30");
}

/*
 * For every start month and every day of 2019..2031: the containing period
 * holds the day, parses back from its id, and next/prev tile the calendar.
 */
static void
test_periods_tile_the_calendar(void **state)
{
	static const enum period_grain grains[] = { GRAIN_MONTH, GRAIN_QUARTER, GRAIN_YEAR };

	for (int s = 1; s <= 12; s++) {
		for (size_t g = 0; g < 3; g++) {
			struct period prev_p = { 0 };
			bool have_prev = false;

			for (cal_date d = D("2019-01-01"); d <= D("2031-12-31"); d++) {
				struct period p, back, q;
				int months = 0;

				period_containing(d, grains[g], s, &p);
				assert_true(p.start <= d && d <= p.end);
				back = P(p.id, s);
				assert_same_period(&p, &back);
				if (have_prev && prev_p.end + 1 == d) {
					period_next(&prev_p, s, &q);
					assert_same_period(&q, &p);
					period_prev(&p, s, &q);
					assert_same_period(&q, &prev_p);
				} else if (have_prev) {
					assert_same_period(&p, &prev_p);
				}
				for (cal_date x = p.start; x <= p.end;
				     x = cal_date_add_months(x, 1))
					months++;
				assert_int_equal(months, grains[g] == GRAIN_MONTH ? 1
						 : grains[g] == GRAIN_QUARTER ? 3 : 12);
				period_year_ago(&p, s, &q);
				assert_int_equal(q.start, cal_date_add_months(p.start, -12));
				assert_int_equal(q.end + 1, cal_date_add_months(p.end + 1, -12));
				prev_p = p;
				have_prev = true;
			}
		}
	}
}

/* ---- children ---- */

static void
test_children_of_year(void **state)
{
	struct period fy = P("FY2026", 2), kids[12];
	static const char *months[] = { "2025-02", "2025-03", "2025-04", "2025-05",
					"2025-06", "2025-07", "2025-08", "2025-09",
					"2025-10", "2025-11", "2025-12", "2026-01" };

	assert_int_equal(children_of(&fy, GRAIN_QUARTER, 2, kids, 12), 4);
	assert_period(&kids[0], "FY2026-Q1", "2025-02-01", "2025-04-30");
	assert_period(&kids[1], "FY2026-Q2", "2025-05-01", "2025-07-31");
	assert_period(&kids[2], "FY2026-Q3", "2025-08-01", "2025-10-31");
	assert_period(&kids[3], "FY2026-Q4", "2025-11-01", "2026-01-31");
	assert_int_equal(children_of(&fy, GRAIN_MONTH, 2, kids, 12), 12);
	for (int i = 0; i < 12; i++) {
		assert_string_equal(kids[i].id, months[i]);
		assert_int_equal(kids[i].grain, GRAIN_MONTH);
	}
	assert_int_equal(kids[0].start, fy.start);
	assert_int_equal(kids[11].end, fy.end);

	fy = P("FY2024", 1);
	assert_int_equal(children_of(&fy, GRAIN_MONTH, 1, kids, 12), 12);
	assert_period(&kids[1], "2024-02", "2024-02-01", "2024-02-29");
	assert_period(&kids[11], "2024-12", "2024-12-01", "2024-12-31");
}

static void
test_children_of_quarter(void **state)
{
	struct period q = P("FY2026-Q4", 2), kids[4];

	assert_int_equal(children_of(&q, GRAIN_MONTH, 2, kids, 4), 3);
	assert_period(&kids[0], "2025-11", "2025-11-01", "2025-11-30");
	assert_period(&kids[1], "2025-12", "2025-12-01", "2025-12-31");
	assert_period(&kids[2], "2026-01", "2026-01-01", "2026-01-31");
	q = P("FY2026-Q1", 12);
	assert_int_equal(children_of(&q, GRAIN_MONTH, 12, kids, 4), 3);
	assert_string_equal(kids[0].id, "2025-12");
	assert_string_equal(kids[2].id, "2026-02");
}

static void
test_children_limits(void **state)
{
	struct period fy = P("FY2026", 7), q = P("FY2026-Q1", 7), m = P("2026-07", 7);
	struct period kids[3];

	assert_int_equal(children_of(&fy, GRAIN_MONTH, 7, kids, 3), 3);
	assert_string_equal(kids[0].id, "2025-07");
	assert_string_equal(kids[2].id, "2025-09");
	assert_int_equal(children_of(&fy, GRAIN_QUARTER, 7, kids, 1), 1);
	assert_string_equal(kids[0].id, "FY2026-Q1");
	assert_int_equal(children_of(&fy, GRAIN_QUARTER, 7, NULL, 0), 0);
	assert_int_equal(children_of(&fy, GRAIN_MONTH, 7, NULL, -1), 0);
	assert_int_equal(children_of(&fy, GRAIN_YEAR, 7, kids, 3), -1);
	assert_int_equal(children_of(&q, GRAIN_QUARTER, 7, kids, 3), -1);
	assert_int_equal(children_of(&q, GRAIN_YEAR, 7, kids, 3), -1);
	assert_int_equal(children_of(&m, GRAIN_MONTH, 7, kids, 3), -1);
	assert_int_equal(children_of(&m, GRAIN_QUARTER, 7, kids, 3), -1);
	assert_int_equal(children_of(&m, GRAIN_YEAR, 7, kids, 3), -1);
}

/* Children of every fiscal year tile it exactly, for every start month. */
static void
test_children_tile_parent(void **state)
{
	for (int s = 1; s <= 12; s++) {
		struct period fy = P("FY2028", s), kids[12], grand[3];

		assert_int_equal(children_of(&fy, GRAIN_QUARTER, s, kids, 12), 4);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(kids[i].number, i + 1);
			assert_int_equal(kids[i].fiscal_year, 2028);
			assert_int_equal(kids[i].start, i == 0 ? fy.start : kids[i - 1].end + 1);
			assert_int_equal(children_of(&kids[i], GRAIN_MONTH, s, grand, 3), 3);
			assert_int_equal(grand[0].start, kids[i].start);
			assert_int_equal(grand[2].end, kids[i].end);
		}
		assert_int_equal(kids[3].end, fy.end);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_day_numbers),
		cmocka_unit_test(test_every_day_round_trips),
		cmocka_unit_test(test_leap_years),
		cmocka_unit_test(test_from_ymd_rejects),
		cmocka_unit_test(test_date_parse),
		cmocka_unit_test(test_date_format),
		cmocka_unit_test(test_add_months),
		cmocka_unit_test(test_from_unix),
		cmocka_unit_test(test_parse_month),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_design_example),
		cmocka_unit_test(test_fiscal_years_by_start_month),
		cmocka_unit_test(test_grain_parse_and_name),
		cmocka_unit_test(test_containing),
		cmocka_unit_test(test_next_prev),
		cmocka_unit_test(test_year_ago),
		cmocka_unit_test(test_periods_tile_the_calendar),
		cmocka_unit_test(test_children_of_year),
		cmocka_unit_test(test_children_of_quarter),
		cmocka_unit_test(test_children_limits),
		cmocka_unit_test(test_children_tile_parent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
