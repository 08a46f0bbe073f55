/*
 * calendar.h — dates and fiscal periods (DESIGN §6). Pure: no I/O.
 *
 * Dates are days since 1970-01-01 (proleptic Gregorian), so arithmetic is
 * plain integer arithmetic. Period ids: calendar months "2026-07", fiscal
 * quarters "FY2026-Q3", fiscal years "FY2026". A fiscal year is named by the
 * calendar year in which it ends: with start month 2, FY2026 runs 2025-02-01
 * to 2026-01-31. With start month 1, FY2026 = calendar 2026.
 */
#ifndef ATTAIN_CALENDAR_H
#define ATTAIN_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/status.h"

typedef int32_t cal_date; /* days since 1970-01-01 */

enum period_grain { GRAIN_MONTH = 0, GRAIN_QUARTER = 1, GRAIN_YEAR = 2 };

struct period {
	enum period_grain grain;
	int fiscal_year;   /* for quarter/year: the FY number; for month: calendar year */
	int number;        /* month 1-12, quarter 1-4, 0 for year */
	cal_date start;    /* first day */
	cal_date end;      /* last day, inclusive */
	char id[16];       /* canonical id: "2026-07", "FY2026-Q3", "FY2026" */
};

/* Build a date; ST_INVALID when y/m/d is not a real date or y outside 1900..9999. */
enum status cal_date_from_ymd(int y, int m, int d, cal_date *out);
void cal_date_to_ymd(cal_date d, int *y, int *m, int *day);
/* Parse strict "YYYY-MM-DD" (exactly 10 chars, real date). */
enum status cal_date_parse(const char *s, cal_date *out);
/* Write "YYYY-MM-DD" into buf (>= 11 bytes). */
void cal_date_format(cal_date d, char *buf, size_t len);
/* Days in a month; 0 for a bad month. */
int cal_days_in_month(int y, int m);
/* Add n calendar months, clamping the day to the target month's length. */
cal_date cal_date_add_months(cal_date d, int n);
/* Today (UTC) from a unix time. */
cal_date cal_date_from_unix(long long t);

/*
 * Parse a period id for an org whose fiscal year starts in fy_start_month
 * (1-12). ST_INVALID for anything malformed ("2026-7", "FY2026-Q5", ...),
 * a year outside 1900..9999, or fy_start_month outside 1..12.
 */
enum status period_parse(const char *id, int fy_start_month, struct period *out);
/* The period of `grain` containing date d. In this and the other void period
 * functions, fy_start_month outside 1..12 is taken as 1. */
void period_containing(cal_date d, enum period_grain grain, int fy_start_month, struct period *out);
/* The period right after / before p (same grain). */
void period_next(const struct period *p, int fy_start_month, struct period *out);
void period_prev(const struct period *p, int fy_start_month, struct period *out);
/* The same period one year earlier. */
void period_year_ago(const struct period *p, int fy_start_month, struct period *out);
/* "month" | "quarter" | "year" <-> grain; ST_INVALID for other names. */
enum status period_grain_parse(const char *s, enum period_grain *out);
const char *period_grain_name(enum period_grain g);
/*
 * The children of p at `grain` (finer than p's), in order from p->start:
 * FY -> 4 quarters or 12 months; quarter -> 3 months. Writes up to max into
 * out (may be NULL when max <= 0) and how many it wrote into *nout.
 * ST_INVALID (nothing written) when grain is not finer than p's.
 */
enum status period_children(const struct period *p, enum period_grain grain, int fy_start_month,
			    struct period *out, int max, int *nout);

#endif
