/*
 * calendar.c — dates as day numbers and fiscal periods (DESIGN §6).
 *
 * Day numbers use Howard Hinnant's days_from_civil / civil_from_days
 * (proleptic Gregorian, exact for any year). Periods are built from one
 * place, make_period(), so every constructor agrees on start, end and id.
 */
#include "calendar/calendar.h"

#include <stdio.h>
#include <string.h>

#define YEAR_MIN 1900
#define YEAR_MAX 9999

static bool
is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t
days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
month_length(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m < 1 || m > 12)
		return 0;
	return m == 2 && is_leap(y) ? 29 : len[m - 1];
}

/* First day of month number `mi` counted as y * 12 + (m - 1). */
static cal_date
month_index_start(int64_t mi)
{
	int64_t y = floor_div(mi, 12);

	return (cal_date)days_from_civil(y, (int)(mi - y * 12) + 1, 1);
}

static int64_t
month_index_of(cal_date d)
{
	int64_t y;
	int m, day;

	civil_from_days(d, &y, &m, &day);
	return y * 12 + (m - 1);
}

/* Exactly n ASCII digits at s; their value in *v. */
static bool
digits(const char *s, int n, int *v)
{
	int acc = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		acc = acc * 10 + (s[i] - '0');
	}
	*v = acc;
	return true;
}

static int
valid_start_month(int fy_start_month)
{
	return fy_start_month >= 1 && fy_start_month <= 12 ? fy_start_month : 1;
}

/* Month index of the first month of fiscal year fy. */
static int64_t
fy_first_month(int fy, int s)
{
	return (int64_t)(s == 1 ? fy : fy - 1) * 12 + (s - 1);
}

/*
 * Fill *out for (grain, fiscal_year, number); number is the calendar month
 * for GRAIN_MONTH, the quarter for GRAIN_QUARTER and ignored for GRAIN_YEAR.
 */
static void
make_period(enum period_grain grain, int fy, int number, int s, struct period *out)
{
	int64_t first;
	int months;

	memset(out, 0, sizeof *out);
	out->grain = grain;
	out->fiscal_year = fy;
	switch (grain) {
	case GRAIN_MONTH:
		first = (int64_t)fy * 12 + (number - 1);
		months = 1;
		out->number = number;
		snprintf(out->id, sizeof out->id, "%04d-%02d", fy, number);
		break;
	case GRAIN_QUARTER:
		first = fy_first_month(fy, s) + 3 * (number - 1);
		months = 3;
		out->number = number;
		snprintf(out->id, sizeof out->id, "FY%04d-Q%d", fy, number);
		break;
	case GRAIN_YEAR:
	default:
		out->grain = GRAIN_YEAR;
		first = fy_first_month(fy, s);
		months = 12;
		out->number = 0;
		snprintf(out->id, sizeof out->id, "FY%04d", fy);
		break;
	}
	out->start = month_index_start(first);
	out->end = month_index_start(first + months) - 1;
}

/*
 * Build the date y-m-d into *out. ST_INVALID when it is not a real date or
 * y is outside 1900..9999.
 */
enum status
cal_date_from_ymd(int y, int m, int d, cal_date *out)
{
	if (y < YEAR_MIN || y > YEAR_MAX || d < 1 || d > month_length(y, m))
		return ST_INVALID;
	*out = (cal_date)days_from_civil(y, m, d);
	return ST_OK;
}

/* Split d into year, month (1-12) and day (1-31); any pointer may be NULL. */
void
cal_date_to_ymd(cal_date d, int *y, int *m, int *day)
{
	int64_t yy;
	int mm, dd;

	civil_from_days(d, &yy, &mm, &dd);
	if (y)
		*y = (int)yy;
	if (m)
		*m = mm;
	if (day)
		*day = dd;
}

/*
 * Parse exactly "YYYY-MM-DD" (10 characters, nothing around it) naming a
 * real date in 1900..9999. ST_INVALID otherwise, including a NULL s.
 */
enum status
cal_date_parse(const char *s, cal_date *out)
{
	int y, m, d;

	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return ST_INVALID;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &m) || !digits(s + 8, 2, &d))
		return ST_INVALID;
	return cal_date_from_ymd(y, m, d, out);
}

/* Write "YYYY-MM-DD" into buf (len >= 11), truncating when shorter. */
void
cal_date_format(cal_date d, char *buf, size_t len)
{
	int y, m, day;

	cal_date_to_ymd(d, &y, &m, &day);
	snprintf(buf, len, "%04d-%02d-%02d", y, m, day);
}

/* The number of days in month m of year y; 0 when m is not 1..12. */
int
cal_days_in_month(int y, int m)
{
	return month_length(y, m);
}

/*
 * d moved by n calendar months (n may be negative), the day clamped to the
 * target month's length: Jan 31 + 1 month = Feb 28 (29 in a leap year).
 */
cal_date
cal_date_add_months(cal_date d, int n)
{
	int64_t y, ty;
	int m, day, tm, len;
	int64_t mi;

	civil_from_days(d, &y, &m, &day);
	mi = y * 12 + (m - 1) + n;
	ty = floor_div(mi, 12);
	tm = (int)(mi - ty * 12) + 1;
	len = month_length(ty, tm);
	return (cal_date)days_from_civil(ty, tm, day < len ? day : len);
}

/* The UTC calendar day of unix time t (seconds, may be negative). */
cal_date
cal_date_from_unix(long long t)
{
	return (cal_date)floor_div(t, 86400);
}

/* "FY2026" or "FY2026-Q3" after the leading "FY". */
static enum status
parse_fiscal(const char *s, int fy_start_month, struct period *out)
{
	int fy, q;

	if (!digits(s, 4, &fy) || fy < YEAR_MIN)
		return ST_INVALID;
	s += 4;
	if (*s == '\0') {
		make_period(GRAIN_YEAR, fy, 0, fy_start_month, out);
		return ST_OK;
	}
	if (s[0] != '-' || s[1] != 'Q' || !digits(s + 2, 1, &q) || s[3] != '\0' || q < 1 || q > 4)
		return ST_INVALID;
	make_period(GRAIN_QUARTER, fy, q, fy_start_month, out);
	return ST_OK;
}

/*
 * Parse a canonical period id: "YYYY-MM" (calendar month), "FYYYYY-Qn"
 * (fiscal quarter) or "FYYYYY" (fiscal year), years 1900..9999, for an org
 * whose fiscal year starts in fy_start_month. ST_INVALID for anything else
 * (lower case, missing zero padding, Q0/Q5, surrounding text, NULL) and
 * when fy_start_month is not 1..12. *out is written only on ST_OK.
 */
enum status
period_parse(const char *id, int fy_start_month, struct period *out)
{
	int y, m;

	if (!id || fy_start_month < 1 || fy_start_month > 12)
		return ST_INVALID;
	if (id[0] == 'F' && id[1] == 'Y')
		return parse_fiscal(id + 2, fy_start_month, out);
	if (strlen(id) != 7 || id[4] != '-' || !digits(id, 4, &y) || !digits(id + 5, 2, &m))
		return ST_INVALID;
	if (y < YEAR_MIN || m < 1 || m > 12)
		return ST_INVALID;
	make_period(GRAIN_MONTH, y, m, fy_start_month, out);
	return ST_OK;
}

/*
 * The period of `grain` containing d. fy_start_month outside 1..12 is
 * taken as 1 here and in the other void period functions.
 */
void
period_containing(cal_date d, enum period_grain grain, int fy_start_month, struct period *out)
{
	int s = valid_start_month(fy_start_month);
	int y, m, fy, offset;

	cal_date_to_ymd(d, &y, &m, NULL);
	if (grain == GRAIN_MONTH) {
		make_period(GRAIN_MONTH, y, m, s, out);
		return;
	}
	fy = (s != 1 && m >= s) ? y + 1 : y;
	offset = (m - s + 12) % 12;
	make_period(grain, fy, offset / 3 + 1, s, out);
}

/* The period right after p, at p's grain. */
void
period_next(const struct period *p, int fy_start_month, struct period *out)
{
	struct period tmp;

	period_containing(p->end + 1, p->grain, fy_start_month, &tmp);
	*out = tmp;
}

/* The period right before p, at p's grain. */
void
period_prev(const struct period *p, int fy_start_month, struct period *out)
{
	struct period tmp;

	period_containing(p->start - 1, p->grain, fy_start_month, &tmp);
	*out = tmp;
}

/* The same month, quarter or fiscal year one year before p. */
void
period_year_ago(const struct period *p, int fy_start_month, struct period *out)
{
	struct period tmp;

	make_period(p->grain, p->fiscal_year - 1, p->number, valid_start_month(fy_start_month),
		    &tmp);
	*out = tmp;
}

/* ST_OK with *out for "month", "quarter" or "year"; ST_INVALID otherwise. */
enum status
period_grain_parse(const char *s, enum period_grain *out)
{
	static const enum period_grain all[] = { GRAIN_MONTH, GRAIN_QUARTER, GRAIN_YEAR };

	if (!s)
		return ST_INVALID;
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
		if (strcmp(s, period_grain_name(all[i])) == 0) {
			*out = all[i];
			return ST_OK;
		}
	}
	return ST_INVALID;
}

/* "month", "quarter" or "year" (a static string); "year" for unknown values. */
const char *
period_grain_name(enum period_grain g)
{
	switch (g) {
	case GRAIN_MONTH: return "month";
	case GRAIN_QUARTER: return "quarter";
	case GRAIN_YEAR: return "year";
	}
	return "year";
}

enum status
period_children(const struct period *p, enum period_grain grain, int fy_start_month, struct period *out, int max,
		int *nout)
{
	int s = valid_start_month(fy_start_month);
	int step = grain == GRAIN_QUARTER ? 3 : 1;
	int64_t first = month_index_of(p->start);
	int total, n;

	if (grain >= p->grain || grain < GRAIN_MONTH)
		return ST_INVALID;
	total = (p->grain == GRAIN_YEAR ? 12 : 3) / step;
	for (n = 0; n < total && n < max; n++)
		period_containing(month_index_start(first + (int64_t)n * step), grain, s, &out[n]);
	*nout = n;
	return ST_OK;
}
