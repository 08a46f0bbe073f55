#include "perf/formulas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef __int128 wide;
#define WIDE_MAX ((wide)(((unsigned __int128)1 << 127) - 1))

/* The elapsed share of the seasonal weights: num / den (den 0: no shape). */
struct share {
	wide num, den;
};

static const struct perf_value null_value = {false, 0};

/* num / den rounded half away from zero, for den > 0. */
static wide
div_round(wide num, wide den)
{
	wide q = num / den, r = num % den;

	if (2 * (r < 0 ? -r : r) >= den)
		q += num < 0 ? -1 : 1;
	return q;
}

/* num × scale ÷ den rounded; null when den is 0 or the result does not fit in int64. */
static struct perf_value
ratio(wide num, wide den, int64_t scale)
{
	wide v;

	if (den == 0)
		return null_value;
	v = div_round(num * scale, den);
	if (v < INT64_MIN || v > INT64_MAX)
		return null_value;
	return (struct perf_value){true, (int64_t)v};
}

/* A percentage (hundredths) of num ÷ den. */
static struct perf_value
pct(wide num, wide den)
{
	return ratio(num, den, PERF_PCT_WHOLE);
}

/* A value (cents or hundredths of a deal) num ÷ den. */
static struct perf_value
value(wide num, wide den)
{
	return ratio(num, den, 1);
}

static bool
in_range(int64_t v, int64_t max)
{
	return v >= 0 && v <= max;
}

static int
by_value(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* A sorted copy of v[0..n) in *out (caller frees; NULL when n is 0). */
static enum status
sorted_copy(const int64_t *v, size_t n, int64_t **out)
{
	int64_t *c = NULL;

	if (n > 0) {
		if (!(c = malloc(n * sizeof *c)))
			return ST_NOMEM;
		for (size_t i = 0; i < n; i++)
			c[i] = v[i];
		qsort(c, n, sizeof *c, by_value);
	}
	*out = c;
	return ST_OK;
}

/*
 * The quarter-th quartile (1..3) of sorted x[0..n), n > 0, linear between
 * order statistics, times scale, rounded: h = (n - 1) × quarter / 4.
 */
static int64_t
quartile(const int64_t *x, size_t n, unsigned quarter, int64_t scale)
{
	size_t h4 = (n - 1) * quarter, lo = h4 / 4, frac = h4 % 4;
	wide hi = frac ? x[lo + 1] : x[lo];

	return (int64_t)div_round(((wide)x[lo] * (wide)(4 - frac) + hi * (wide)frac) * scale, 4);
}

static bool
scalars_valid(const struct perf_inputs *in)
{
	const int64_t amounts[] = {in->effective_quota, in->achieved,      in->won_amount,
	                           in->lost_amount,     in->open_pipeline, in->expansion_won_amount};
	const int64_t counts[] = {in->won_count, in->lost_count, in->open_count, in->renewal_won_count,
	                          in->renewal_lost_count};

	if (in->end < in->start || (int64_t)in->end - in->start + 1 > PERF_MAX_PERIOD_DAYS)
		return false;
	for (size_t i = 0; i < sizeof amounts / sizeof *amounts; i++)
		if (!in_range(amounts[i], PERF_MAX_AMOUNT))
			return false;
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
		if (!in_range(counts[i], PERF_MAX_COUNT))
			return false;
	return in->renewal_won_count <= in->won_count && in->renewal_lost_count <= in->lost_count &&
	       in->expansion_won_amount <= in->won_amount;
}

/* Σ open_amount × win_rate_bp of the stages into *out (hundredths of a percent of a value). */
static enum status
stages_converted(const struct perf_inputs *in, wide *out)
{
	wide open = 0, converted = 0;

	if (in->nstages > 0 && !in->stages)
		return ST_INVALID;
	for (size_t i = 0; i < in->nstages; i++) {
		const struct perf_stage *s = &in->stages[i];

		if (!in_range(s->open_amount, PERF_MAX_AMOUNT) || !in_range(s->win_rate_bp, PERF_PCT_WHOLE))
			return ST_INVALID;
		open += s->open_amount;
		if (open > PERF_MAX_AMOUNT)
			return ST_INVALID;
		converted += (wide)s->open_amount * s->win_rate_bp;
	}
	*out = converted;
	return ST_OK;
}

/*
 * The elapsed share of the weights at as_of into *out: the parts over in
 * full, the part as_of is in pro rata of its elapsed days. With F the
 * weight of the parts over, w, d and e the weight, days and elapsed days
 * of the current part and W the total: (F × d + w × e) / (W × d).
 */
static enum status
seasonal_share(const struct perf_inputs *in, struct share *out)
{
	int64_t total = 0, over = 0, w = 0, d = 1, e = 0, first = in->start;

	if (in->nweights > 0 && !in->weights)
		return ST_INVALID;
	for (size_t i = 0; i < in->nweights; i++) {
		const struct perf_weight *p = &in->weights[i];
		int64_t days = p->end - first + 1, elapsed = in->as_of - first + 1;

		if (days < 1 || p->end > in->end || !in_range(p->weight, PERF_MAX_WEIGHT_SUM - total))
			return ST_INVALID;
		total += p->weight;
		if (elapsed >= days) {
			over += p->weight;
		} else if (elapsed > 0) {
			w = p->weight;
			d = days;
			e = elapsed;
		}
		first = (int64_t)p->end + 1;
	}
	if (in->nweights > 0 && in->weights[in->nweights - 1].end != in->end)
		return ST_INVALID;
	*out = (struct share){(wide)over * d + (wide)w * e, (wide)total * d};
	return ST_OK;
}

static bool
cycles_valid(const struct perf_inputs *in)
{
	if (in->ncycles > PERF_MAX_CYCLES || (in->ncycles > 0 && !in->cycles))
		return false;
	for (size_t i = 0; i < in->ncycles; i++)
		if (!in_range(in->cycles[i].days, PERF_MAX_CYCLE_DAYS) || !in_range(in->cycles[i].weight, PERF_MAX_CYCLE_WEIGHT))
			return false;
	return true;
}

static int
by_days(const void *a, const void *b)
{
	const struct perf_cycle *x = a, *y = b;

	return (x->days > y->days) - (x->days < y->days);
}

/* The weighted median of sorted c[0..n) with total weight w > 0, in hundredths of a day. */
static int64_t
weighted_median(const struct perf_cycle *c, size_t n, wide w)
{
	wide run = 0;
	int64_t lo = -1, hi = -1;

	for (size_t i = 0; i < n && hi < 0; i++) {
		run += c[i].weight;
		if (lo < 0 && run * 2 >= w)
			lo = c[i].days;
		if (run * 2 > w)
			hi = c[i].days;
	}
	return (lo + hi) * 50;
}

/* Mean, median and velocity, the figures of the won deals' cycles. */
static enum status
cycle_figures(const struct perf_inputs *in, struct perf_figures *f)
{
	struct perf_cycle *sorted = NULL;
	wide weight = 0, weighted = 0;

	if (in->ncycles > 0) {
		if (!(sorted = malloc(in->ncycles * sizeof *sorted)))
			return ST_NOMEM;
		memcpy(sorted, in->cycles, in->ncycles * sizeof *sorted);
		qsort(sorted, in->ncycles, sizeof *sorted, by_days);
	}
	for (size_t i = 0; i < in->ncycles; i++) {
		weight += sorted[i].weight;
		weighted += (wide)sorted[i].weight * sorted[i].days;
	}
	f->avg_cycle_days = ratio(weighted, weight, 100);
	f->median_cycle_days = null_value;
	if (weight > 0)
		f->median_cycle_days = (struct perf_value){true, weighted_median(sorted, in->ncycles, weight)};
	free(sorted);
	f->velocity = null_value;
	if (f->win_rate_count_pct.defined && f->avg_deal_size.defined && weighted > 0) {
		wide a = (wide)in->open_count * in->won_amount, den = ((wide)in->won_count + in->lost_count) * weighted;
		/* exact while the product fits (every realistic org); else to a long double's precision */
		if (weight == 0 || a <= WIDE_MAX / weight)
			f->velocity = value(a * weight, den);
		else
			f->velocity = (struct perf_value){true, (int64_t)llroundl((long double)a * (long double)weight / (long double)den)};
	}
	return ST_OK;
}

/* Expected to date, pace and projection from the elapsed share of the weights. */
static void
seasonal_figures(const struct perf_inputs *in, const struct share *sh, struct perf_figures *f)
{
	f->expected_seasonal = null_value;
	f->pace_seasonal_pct = null_value;
	f->projection_seasonal = null_value;
	if (sh->den == 0)
		return;
	f->expected_seasonal = value((wide)in->effective_quota * sh->num, sh->den);
	f->pace_seasonal_pct = pct(in->achieved, f->expected_seasonal.v);
	f->projection_seasonal = value((wide)in->achieved * sh->den, sh->num);
}

enum status
perf_compute(const struct perf_inputs *in, struct perf_figures *out)
{
	struct perf_figures f;
	struct share sh;
	wide converted, remaining;
	enum status st;

	if (!scalars_valid(in) || !cycles_valid(in))
		return ST_INVALID;
	if ((st = stages_converted(in, &converted)) != ST_OK || (st = seasonal_share(in, &sh)) != ST_OK)
		return st;
	f.period_days = (int64_t)in->end - in->start + 1;
	f.elapsed_days = (int64_t)in->as_of - in->start + 1;
	if (f.elapsed_days < 0)
		f.elapsed_days = 0;
	if (f.elapsed_days > f.period_days)
		f.elapsed_days = f.period_days;
	f.attainment_pct = pct(in->achieved, in->effective_quota);
	f.gap = in->effective_quota - in->achieved;
	remaining = f.gap > 0 ? f.gap : 0;
	f.expected_linear = value((wide)in->effective_quota * f.elapsed_days, f.period_days);
	f.pace_linear_pct = pct(in->achieved, f.expected_linear.v);
	seasonal_figures(in, &sh, &f);
	f.projection_linear = value((wide)in->achieved * f.period_days, f.elapsed_days);
	f.projection_pipeline = value((wide)in->achieved * PERF_PCT_WHOLE + converted, PERF_PCT_WHOLE);
	f.pipeline_needed = remaining == 0
	                        ? (struct perf_value){true, 0}
	                        : value(remaining * ((wide)in->won_amount + in->lost_amount), in->won_amount);
	f.coverage = ratio(in->open_pipeline, remaining, 100);
	f.win_rate_count_pct = pct(in->won_count, (wide)in->won_count + in->lost_count);
	f.win_rate_value_pct = pct(in->won_amount, (wide)in->won_amount + in->lost_amount);
	f.avg_deal_size = ratio(in->won_amount, in->won_count, 100);
	f.renewal_rate_pct = pct(in->renewal_won_count, (wide)in->renewal_won_count + in->renewal_lost_count);
	f.expansion_share_pct = pct(in->expansion_won_amount, in->won_amount);
	if ((st = cycle_figures(in, &f)) != ST_OK)
		return st;
	*out = f;
	return ST_OK;
}

/* ---- distribution -------------------------------------------------------------- */

const char *
perf_bucket_name(enum perf_bucket b)
{
	switch (b) {
	case PERF_BUCKET_BELOW_50: return "below_50";
	case PERF_BUCKET_50_TO_80: return "50_to_80";
	case PERF_BUCKET_80_TO_100: return "80_to_100";
	case PERF_BUCKET_100_TO_120: return "100_to_120";
	case PERF_BUCKET_120_AND_ABOVE: return "120_and_above";
	}
	return "unknown";
}

enum perf_bucket
perf_bucket_of(int64_t attainment_pct)
{
	if (attainment_pct < 5000)
		return PERF_BUCKET_BELOW_50;
	if (attainment_pct < 8000)
		return PERF_BUCKET_50_TO_80;
	if (attainment_pct < PERF_PCT_WHOLE)
		return PERF_BUCKET_80_TO_100;
	if (attainment_pct < 12000)
		return PERF_BUCKET_100_TO_120;
	return PERF_BUCKET_120_AND_ABOVE;
}

enum status
perf_compute_distribution(const int64_t *attainment, size_t n, struct perf_distribution *out)
{
	struct perf_distribution d = {.count = n};
	int64_t *sorted;
	enum status st;

	if (n > 0 && !attainment)
		return ST_INVALID;
	for (size_t i = 0; i < n; i++) {
		if (attainment[i] < 0)
			return ST_INVALID;
		d.buckets[perf_bucket_of(attainment[i])]++;
		d.at_or_above_quota += attainment[i] >= PERF_PCT_WHOLE;
	}
	d.at_or_above_quota_pct = pct(d.at_or_above_quota, n);
	if (n > 0) {
		if ((st = sorted_copy(attainment, n, &sorted)) != ST_OK)
			return st;
		d.p25 = (struct perf_value){true, quartile(sorted, n, 1, 1)};
		d.median = (struct perf_value){true, quartile(sorted, n, 2, 1)};
		d.p75 = (struct perf_value){true, quartile(sorted, n, 3, 1)};
		free(sorted);
	}
	*out = d;
	return ST_OK;
}
