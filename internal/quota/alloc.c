#include "quota/alloc.h"

#include <math.h>
#include <stdlib.h>

typedef __int128 wide;

enum status
quota_apportion(int64_t total, const int64_t *weights, int n, int64_t unit, int64_t *out)
{
	wide sum = 0;
	int64_t units, residue, assigned = 0;
	int *order;
	wide *rem;

	if (n < 1 || n > QUOTA_MAX_PARTS || unit < 1 || total < 0)
		return ST_INVALID;
	for (int i = 0; i < n; i++) {
		if (weights[i] < 0)
			return ST_INVALID;
		sum += weights[i];
	}
	if (sum == 0)
		return ST_INVALID;
	order = malloc((size_t)n * sizeof *order);
	rem = malloc((size_t)n * sizeof *rem);
	if (!order || !rem) {
		free(order);
		free(rem);
		return ST_NOMEM;
	}
	units = total / unit;
	residue = total % unit;
	for (int i = 0; i < n; i++) {
		wide p = (wide)units * weights[i];
		out[i] = (int64_t)(p / sum);
		rem[i] = p % sum;
		assigned += out[i];
		order[i] = i;
	}
	/* Insertion sort by remainder, descending; stable, so ties keep index order. */
	for (int i = 1; i < n; i++) {
		int k = order[i], j = i - 1;
		while (j >= 0 && rem[order[j]] < rem[k]) {
			order[j + 1] = order[j];
			j--;
		}
		order[j + 1] = k;
	}
	for (int64_t left = units - assigned, j = 0; left > 0; left--, j++)
		out[order[j]]++;
	for (int i = 0; i < n; i++)
		out[i] *= unit;
	out[order[0]] += residue;
	free(order);
	free(rem);
	return ST_OK;
}

enum status
quota_uplift(int64_t total, int64_t uplift_bp, int64_t *out)
{
	wide num = (wide)total * (10000 + uplift_bp);
	wide v = (num + 5000) / 10000;

	if (total < 0 || v < 0 || v > INT64_MAX)
		return ST_INVALID;
	*out = (int64_t)v;
	return ST_OK;
}

/* Months between the months of a and b (b's month minus a's). */
static int
month_diff(cal_date a, cal_date b)
{
	int ya, ma, da, yb, mb, db;

	cal_date_to_ymd(a, &ya, &ma, &da);
	cal_date_to_ymd(b, &yb, &mb, &db);
	return (yb - ya) * 12 + (mb - ma);
}

int64_t
quota_ramp_factor_bp(cal_date hired_on, int ramp_months, const int64_t *curve_bp, int ncurve, cal_date start,
		     cal_date end)
{
	int months = month_diff(start, end) + 1;
	wide sum = 0;

	if (hired_on < 0 || months < 1)
		return 10000;
	for (int i = 0; i < months; i++) {
		cal_date m = cal_date_add_months(start, i);
		int k = month_diff(hired_on, m) + 1; /* ramp month number */
		if (k < 1)
			continue; /* not hired yet */
		if (k > ramp_months || ncurve < 1)
			sum += 10000;
		else
			sum += curve_bp[(k < ncurve ? k : ncurve) - 1];
	}
	return (int64_t)((sum * 2 + months) / (2 * months));
}

int64_t
quota_apply_factor(int64_t amount, int64_t factor_bp)
{
	wide v = (wide)amount * factor_bp;

	return (int64_t)(v >= 0 ? (v + 5000) / 10000 : -((-v + 5000) / 10000));
}

void
quota_ramp_from_curve(const double *pct, int n, struct quota_ramp *out)
{
	struct quota_ramp r = { .ncurve = n < 24 ? n : 24 };

	for (int i = 0; i < r.ncurve; i++)
		r.curve_bp[i] = llround(pct[i] * 100);
	*out = r;
}
