#include "quota/suggest.h"

typedef __int128 wide;

const char quota_suggest_rule[] =
	"recommended = max(baseline × (1 + growth_pct / 100), weighted open pipeline); "
	"baseline = seasonal_naive when last year's value > 0, else the trailing average of the 4 periods "
	"before; seasonal_naive = last year's value × (1 + trailing growth clamped to -50 %..+100 %), where "
	"trailing growth compares the 4 periods before with the same periods a year earlier (none when those "
	"are 0); rounded half up to the cent (whole deals for deal_count)";

const char *
quota_baseline_name(enum quota_baseline b)
{
	return b == QUOTA_BASELINE_TRAILING_AVERAGE ? "trailing_average" : "seasonal_naive";
}

/* num / den rounded half up, for num >= 0 and den > 0. */
static wide
div_round(wide num, wide den)
{
	return (num * 2 + den) / (den * 2);
}

/* v × (10000 + bp) / 10000, rounded half up (v >= 0, bp > -10000). */
static int64_t
grow(int64_t v, int64_t bp)
{
	return (int64_t)div_round((wide)v * (10000 + bp), 10000);
}

enum status
quota_suggest(const struct quota_suggest_in *in, struct quota_suggest_out *out)
{
	struct quota_suggest_out o = { 0 };

	if (in->last_year < 0 || in->pipeline_weighted < 0 || in->growth_bp <= -10000 ||
	    in->growth_bp > 1000000 || in->unit < 1)
		return ST_INVALID;
	for (int i = 0; i < QUOTA_TRAILING; i++) {
		if (in->trailing[i] < 0 || in->trailing_prior[i] < 0)
			return ST_INVALID;
		o.trailing_sum += in->trailing[i];
		o.trailing_prior_sum += in->trailing_prior[i];
	}
	o.trailing_avg = (int64_t)div_round(o.trailing_sum, QUOTA_TRAILING);
	o.has_trailing_growth = o.trailing_prior_sum > 0;
	if (o.has_trailing_growth) {
		wide g = div_round((wide)o.trailing_sum * 10000, o.trailing_prior_sum) - 10000;
		o.trailing_growth_bp = g > 100000000 ? 100000000 : (int64_t)g;
		o.applied_growth_bp = o.trailing_growth_bp < QUOTA_TREND_MIN_BP ? QUOTA_TREND_MIN_BP
				      : o.trailing_growth_bp > QUOTA_TREND_MAX_BP ? QUOTA_TREND_MAX_BP
										: o.trailing_growth_bp;
	}
	o.seasonal_naive = grow(in->last_year, o.applied_growth_bp);
	o.baseline_from = in->last_year > 0 ? QUOTA_BASELINE_SEASONAL_NAIVE : QUOTA_BASELINE_TRAILING_AVERAGE;
	o.baseline = in->last_year > 0 ? o.seasonal_naive : o.trailing_avg;
	o.target = grow(o.baseline, in->growth_bp);
	o.pipeline_decides = in->pipeline_weighted > o.target;
	o.recommended = o.pipeline_decides ? in->pipeline_weighted : o.target;
	o.recommended = (int64_t)div_round(o.recommended, in->unit) * in->unit;
	*out = o;
	return ST_OK;
}

void
quota_suggest_periods(const struct period *p, int fy_start, struct quota_suggest_periods *out)
{
	struct period q = *p;
	int y0, m0, y1, m1;

	period_year_ago(p, fy_start, &out->last_year);
	for (int i = 0; i < QUOTA_TRAILING; i++) {
		period_prev(&q, fy_start, &out->trailing[i]);
		period_year_ago(&out->trailing[i], fy_start, &out->prior[i]);
		q = out->trailing[i];
	}
	out->first = out->prior[QUOTA_TRAILING - 1].start;
	if (out->last_year.start < out->first)
		out->first = out->last_year.start;
	cal_date_to_ymd(out->first, &y0, &m0, NULL);
	cal_date_to_ymd(p->start - 1, &y1, &m1, NULL);
	out->nmonths = (y1 - y0) * 12 + (m1 - m0) + 1;
}

/* Sum of the months of p from the monthly series of sp. */
static int64_t
sum_months(const struct quota_suggest_periods *sp, const int64_t *months, const struct period *p)
{
	int y0, m0, y, m;
	int64_t s = 0;

	cal_date_to_ymd(sp->first, &y0, &m0, NULL);
	cal_date_to_ymd(p->start, &y, &m, NULL);
	int k0 = (y - y0) * 12 + (m - m0);
	cal_date_to_ymd(p->end, &y, &m, NULL);
	int k1 = (y - y0) * 12 + (m - m0);
	for (int k = k0 < 0 ? 0 : k0; k <= k1 && k < sp->nmonths; k++)
		s += months[k];
	return s;
}

void
quota_suggest_inputs(const struct quota_suggest_periods *sp, const int64_t *months, int64_t pipeline_weighted,
		     int64_t growth_bp, int64_t unit, struct quota_suggest_in *out)
{
	out->last_year = sum_months(sp, months, &sp->last_year);
	for (int i = 0; i < QUOTA_TRAILING; i++) {
		out->trailing[i] = sum_months(sp, months, &sp->trailing[i]);
		out->trailing_prior[i] = sum_months(sp, months, &sp->prior[i]);
	}
	out->pipeline_weighted = pipeline_weighted;
	out->growth_bp = growth_bp;
	out->unit = unit;
}
