/*
 * suggest.h — a proposed quota from history and pipeline (pure: no I/O).
 *
 * The inputs (DESIGN §7 "quota-suggestions"): the value achieved in the
 * same period last year, the values of the QUOTA_TRAILING periods of the
 * same grain right before the period (and of those same periods one year
 * earlier, for the trailing growth), the open pipeline dated in the period
 * weighted by probability, and the growth asked for. The rule:
 *
 *   trailing growth  = sum(trailing) / sum(trailing a year earlier) - 1,
 *                      applied clamped to -50 %..+100 % (none when the
 *                      earlier sum is 0);
 *   seasonal naive   = last year × (1 + applied trailing growth), or last
 *                      year when there is no trailing growth;
 *   baseline         = seasonal naive when last year > 0, else the trailing
 *                      average;
 *   target           = baseline × (1 + growth);
 *   recommended      = max(target, weighted open pipeline), rounded half up
 *                      to `unit`.
 *
 * Values are int64 cents (deal counts in hundredths of a deal); growths in
 * hundredths of a percent (10 % = 1000).
 */
#ifndef ATTAIN_QUOTA_SUGGEST_H
#define ATTAIN_QUOTA_SUGGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"

#define QUOTA_TRAILING 4
#define QUOTA_TREND_MIN_BP (-5000) /* the trailing growth applied is clamped to -50 % ... */
#define QUOTA_TREND_MAX_BP 10000   /* ... +100 % */

struct quota_suggest_in {
	int64_t last_year;                      /* same period one year earlier (>= 0) */
	int64_t trailing[QUOTA_TRAILING];       /* the periods right before, most recent first */
	int64_t trailing_prior[QUOTA_TRAILING]; /* the same periods one year earlier */
	int64_t pipeline_weighted;              /* open pipeline dated in the period × probability */
	int64_t growth_bp;                      /* growth asked for, > -10000 */
	int64_t unit;                           /* rounding of the recommendation: 1 or 100 (whole deals) */
};

enum quota_baseline { QUOTA_BASELINE_SEASONAL_NAIVE = 0, QUOTA_BASELINE_TRAILING_AVERAGE };

struct quota_suggest_out {
	int64_t trailing_sum;
	int64_t trailing_prior_sum;
	int64_t trailing_avg;
	bool has_trailing_growth;
	int64_t trailing_growth_bp; /* measured, unclamped */
	int64_t applied_growth_bp;  /* clamped; 0 without trailing growth */
	int64_t seasonal_naive;
	enum quota_baseline baseline_from;
	int64_t baseline;
	int64_t target;
	bool pipeline_decides;      /* the weighted pipeline exceeded the target */
	int64_t recommended;
};

/* Open pipeline dated in a period (a suggestion's input, and shown with it). */
struct quota_pipeline {
	int64_t amount;   /* open credit dated in the range (deal_count: deal credits) */
	int64_t weighted; /* the same × each deal's probability */
	int64_t deals;    /* distinct open deals */
};

/*
 * The periods a suggestion for a period reads: the same period last year,
 * the QUOTA_TRAILING periods of its grain right before it (most recent
 * first) and each of those a year earlier; and the month range that covers
 * them all, from the first day of month `first` for `nmonths` months, up to
 * the month before the period.
 */
struct quota_suggest_periods {
	struct period last_year;
	struct period trailing[QUOTA_TRAILING];
	struct period prior[QUOTA_TRAILING];
	cal_date first;
	int nmonths;
};
/* The input periods of a suggestion for p, in the calendar of fiscal year start fy_start. */
void quota_suggest_periods(const struct period *p, int fy_start, struct quota_suggest_periods *out);
/*
 * The inputs of the rule from a monthly series of won figures over
 * sp's month range (months[k] is month k from sp->first), the open
 * pipeline and the growth asked for. `unit` as in struct quota_suggest_in.
 */
void quota_suggest_inputs(const struct quota_suggest_periods *sp, const int64_t *months, int64_t pipeline_weighted,
			  int64_t growth_bp, int64_t unit, struct quota_suggest_in *out);

/* The rule's text (static), for answers that show how the figure was made. */
extern const char quota_suggest_rule[];
/* "seasonal_naive" or "trailing_average" (static). */
const char *quota_baseline_name(enum quota_baseline b);

/*
 * Apply the rule. ST_INVALID when a value is negative, growth_bp <= -10000
 * or > 1000000, or unit < 1. *out is written only on ST_OK.
 */
enum status quota_suggest(const struct quota_suggest_in *in, struct quota_suggest_out *out);

#endif
