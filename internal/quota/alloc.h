/*
 * alloc.h — the arithmetic of quotas (pure: no I/O): apportioning a total
 * across parts, uplift, and ramp factors. Amounts are int64 cents; every
 * split sums exactly to its total.
 */
#ifndef ATTAIN_QUOTA_ALLOC_H
#define ATTAIN_QUOTA_ALLOC_H

#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"

#define QUOTA_MAX_PARTS 10000

/*
 * Split `total` (cents, >= 0) into n parts proportional to `weights` (>= 0,
 * not all zero; any scale) by the largest remainder method, in steps of
 * `unit` cents (1 = to the cent, 100000 = to 1,000). Ties in the remainders
 * go to the lower index, so the result is deterministic. When total is not a
 * multiple of unit, the odd amount goes to the part first in remainder order,
 * so the parts always sum exactly to total. ST_INVALID for n outside
 * 1..QUOTA_MAX_PARTS, a negative weight, all-zero weights, unit < 1 or a
 * negative total.
 */
enum status quota_apportion(int64_t total, const int64_t *weights, int n, int64_t unit, int64_t *out);

/*
 * total × (100 + uplift_pct) / 100, with uplift_pct in hundredths of a
 * percent (10.5 % = 1050), rounded half up to the cent.
 * ST_INVALID when the result would overflow or be negative.
 */
enum status quota_uplift(int64_t total, int64_t uplift_bp, int64_t *out);

/*
 * A person's ramp factor over [start, end] in basis points (10000 = fully
 * ramped): the mean of their monthly factors over the months the period
 * touches. The month of hire is ramp month 1 and gets curve[0]; ramp month k
 * (k <= ramp_months) gets curve[min(k, ncurve) - 1]; later months get 10000.
 * Months before the hire month get 0. hired_on < 0 means unknown: 10000.
 * curve_bp holds percentages in basis points (25 % = 2500).
 */
int64_t quota_ramp_factor_bp(cal_date hired_on, int ramp_months, const int64_t *curve_bp, int ncurve,
			     cal_date start, cal_date end);

/* An org's ramp curve (DESIGN §6 `ramp_curve`) as quota_ramp_factor_bp takes it. */
struct quota_ramp {
	int64_t curve_bp[24]; /* basis points (25 % = 2500) */
	int ncurve;
};
/*
 * The curve of `n` percentages per ramp month (the org setting, e.g.
 * 25, 50, 75) in basis points, rounded half away from zero; at most 24
 * months are kept.
 */
void quota_ramp_from_curve(const double *pct, int n, struct quota_ramp *out);

/* amount × factor_bp / 10000, rounded half up to the cent. */
int64_t quota_apply_factor(int64_t amount, int64_t factor_bp);

#endif
