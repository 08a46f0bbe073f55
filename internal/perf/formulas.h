/*
 * formulas.h — the figures of performance (DESIGN §7 "Performance"), pure:
 * no I/O. The store aggregates (sums and counts over credited deals); these
 * functions derive every other figure from the aggregates, exactly.
 *
 * Units, all integers:
 *   values    int64 cents for the revenue metric, hundredths of a deal for
 *             deal_count (quota, achieved, gap, expected, projections,
 *             pipeline_needed); amounts (won, lost, open, avg_deal_size) are
 *             cents; velocity is cents per day;
 *   counts    hundredths of a deal (a credit of 1/3 of a deal is 33);
 *   *_pct     hundredths of a percent (87.5 % = 8750), like the other bp
 *             figures of the project;
 *   coverage  a ratio in hundredths (2.5× = 250);
 *   *_days    hundredths of a day (cycle lengths in, whole days).
 *
 * Rounding: every figure is computed from the exact rational value of its
 * formula with 128-bit intermediates and rounded once, half away from zero,
 * to its unit. A figure that uses another one (pace uses expected_to_date)
 * uses it as published, rounded, so a reader can recompute it.
 *
 * Null: a figure whose formula divides by zero is a struct perf_value with
 * defined = false (JSON null), never infinity nor a made-up 0. A figure
 * that does not fit in int64 is null too (only absurd inputs get there:
 * a 1-cent quota against 1e16 achieved, a seasonal share of 1e-18).
 */
#ifndef ATTAIN_PERF_FORMULAS_H
#define ATTAIN_PERF_FORMULAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"

/* Bounds of the inputs (ST_INVALID beyond); they keep every intermediate
 * product within 128 bits. */
#define PERF_MAX_AMOUNT 10000000000000000LL       /* 1e16: 100 × the largest amount, for roll-ups */
#define PERF_MAX_COUNT 1000000000000LL            /* hundredths of a deal: ten billion deals */
#define PERF_MAX_PERIOD_DAYS 3660                 /* ten years: any period, or a long trend */
#define PERF_MAX_WEIGHT_SUM 1000000000000000000LL /* 1e18: seasonal weights, any scale up to this */
#define PERF_MAX_CYCLES 1000000000                /* cycle lengths given */
#define PERF_DEAL_WEIGHT 10000                    /* a whole deal's cycle weight: 100.00 % in hundredths */
#define PERF_MAX_CYCLE_WEIGHT (PERF_MAX_COUNT * 100) /* one entry: many deals of the same length */
#define PERF_MAX_CYCLE_DAYS 3000000               /* more than the calendar's range 1900..9999 */
#define PERF_PCT_WHOLE 10000                      /* 100 % in hundredths of a percent */

/* A figure that may be null. */
struct perf_value {
	bool defined;
	int64_t v; /* 0 when not defined */
};

/* The open pipeline in one stage, for the pipeline-conversion projection. */
struct perf_stage {
	int64_t open_amount; /* credited open value in this stage closing in the period */
	int64_t win_rate_bp; /* the stage's historical win rate, hundredths of a percent 0..10000 */
};

/*
 * One part of the period and the share of the period's value expected in
 * it (last year's value in it, or the quota's split). Parts are consecutive:
 * part i runs from the day after part i-1's end (the period's start for the
 * first) to its own `end`, inclusive; the last ends on the period's end.
 * One part per day, per month or per quarter are all fine.
 */
struct perf_weight {
	cal_date end;   /* last day of the part */
	int64_t weight; /* >= 0, any scale */
};

/*
 * What the store aggregates for one scope, period and metric, as of a day.
 * Everything "won"/"lost" counts deals closed in [start, min(end, as_of)].
 * The arrays are borrowed, not owned; each may be NULL when its count is 0.
 */
/*
 * Won deals closed after `days` days (creation to close), weighing the share
 * of them credited to the scope, in hundredths of a percent (a whole deal:
 * PERF_DEAL_WEIGHT; a third of a split deal: 3333): one deal, or the sum of
 * several of the same length. Equal days may repeat.
 */
struct perf_cycle {
	int64_t days;
	int64_t weight;
};

struct perf_inputs {
	cal_date start, end;             /* the period, inclusive */
	cal_date as_of;                  /* the day asked about; any day, before, in or after the period */
	int64_t effective_quota;         /* the (ramped) quota the figures are measured against */
	int64_t achieved;                /* credited won value in the period up to as_of */
	int64_t won_count, lost_count;   /* hundredths of a deal, credited */
	int64_t won_amount, lost_amount; /* cents, credited */
	int64_t open_pipeline;           /* credited open value closing in the period */
	int64_t open_count;              /* hundredths of a deal, credited open deals closing in the period */
	int64_t renewal_won_count;       /* the part of won_count that is renewals */
	int64_t renewal_lost_count;      /* the part of lost_count that is renewals */
	int64_t expansion_won_amount;    /* the part of won_amount that is upsell or cross_sell */
	const struct perf_stage *stages; /* open pipeline by stage (the pipeline projection) */
	size_t nstages;
	const struct perf_weight *weights; /* seasonal shape; none: no seasonal figures */
	size_t nweights;
	const struct perf_cycle *cycles; /* the won deals' cycles, any order */
	size_t ncycles;
};

/*
 * The derived figures. With E = effective_quota, A = achieved:
 *   period_days        end - start + 1;
 *   elapsed_days       clamp(as_of - start + 1, 0, period_days): 0 before the
 *                      period starts, period_days once it is over;
 *   attainment_pct     A ÷ E; null when E = 0;
 *   gap                E - A, signed: negative when over quota (by that much);
 *                      "remaining" below is max(0, gap);
 *   expected_linear    E × elapsed_days ÷ period_days;
 *   expected_seasonal  E × elapsed share of the weights, where a part of
 *                      the period counts in full once over and pro rata of
 *                      its days while as_of is in it; null without weights
 *                      or when they are all 0;
 *   pace_*_pct         A ÷ expected_* (as published); null when that is 0 or null;
 *   projection_linear  A × period_days ÷ elapsed_days; null before the start;
 *   projection_seasonal A ÷ elapsed share; null when the share is 0 or null;
 *   projection_pipeline A + Σ stage open_amount × win_rate (exact, rounded once);
 *   pipeline_needed    remaining ÷ win_rate_value = remaining × (won + lost
 *                      amount) ÷ won amount: the open pipeline that would
 *                      close the gap at the historical value win rate; 0 when
 *                      nothing remains (whatever the win rate); null when
 *                      something remains and the won amount is 0;
 *   coverage           open_pipeline ÷ remaining; null when nothing remains;
 *   win_rate_count_pct won_count ÷ (won_count + lost_count); null when 0 ÷ 0;
 *   win_rate_value_pct won_amount ÷ (won_amount + lost_amount); null when 0 ÷ 0;
 *   avg_deal_size      won_amount ÷ won deals (won_count / 100); null when none;
 *   avg_cycle_days     Σ weight × days ÷ Σ weight over the cycles; null when
 *                      none (or their weights are all 0);
 *   median_cycle_days  the weighted median: with the cycles sorted by days and
 *                      W = Σ weight, the mean of the first cycle whose running
 *                      weight reaches W/2 and the first that passes W/2 (with
 *                      equal weights: the middle one, or the mean of the two
 *                      middle ones);
 *   velocity           open deals × win_rate_count × avg_deal_size ÷
 *                      avg_cycle_days, from the exact factors, which reduces
 *                      to open_count × won_amount × Σ weight ÷ ((won_count +
 *                      lost_count) × Σ weight × days); null when a factor is
 *                      null or the weighted cycle sum is 0;
 *   renewal_rate_pct   renewal_won_count ÷ (renewal won + lost); null when 0 ÷ 0;
 *   expansion_share_pct expansion_won_amount ÷ won_amount; null when 0 ÷ 0.
 */
struct perf_figures {
	int64_t period_days;
	int64_t elapsed_days;
	struct perf_value attainment_pct;
	int64_t gap;
	struct perf_value expected_linear, expected_seasonal;
	struct perf_value pace_linear_pct, pace_seasonal_pct;
	struct perf_value projection_linear, projection_seasonal, projection_pipeline;
	struct perf_value pipeline_needed;
	struct perf_value coverage;
	struct perf_value win_rate_count_pct, win_rate_value_pct;
	struct perf_value avg_deal_size;
	struct perf_value avg_cycle_days, median_cycle_days;
	struct perf_value velocity;
	struct perf_value renewal_rate_pct, expansion_share_pct;
};

/*
 * Compute every figure of `in` into *out (see struct perf_figures).
 * ST_INVALID for inconsistent inputs: end < start or a period longer than
 * PERF_MAX_PERIOD_DAYS; a negative value, amount or count, or one beyond
 * PERF_MAX_AMOUNT / PERF_MAX_COUNT; a renewal count above its won/lost
 * count, an expansion amount above won_amount; a stage win rate outside
 * 0..10000 or stage amounts summing beyond PERF_MAX_AMOUNT; weights that do
 * not tile the period (ends not strictly increasing, outside it, or the
 * last not on its end), a negative weight or a sum beyond
 * PERF_MAX_WEIGHT_SUM; more than PERF_MAX_CYCLES cycles, one outside
 * 0..PERF_MAX_CYCLE_DAYS or weighing outside 0..PERF_MAX_CYCLE_WEIGHT; a count > 0
 * with a NULL array. ST_NOMEM when the
 * median cannot get its working copy. *out is written only on ST_OK.
 */
enum status perf_compute(const struct perf_inputs *in, struct perf_figures *out);

/* ---- distribution of attainment over people --------------------------------- */

/* Attainment buckets, half-open on the right: [0,50) [50,80) [80,100) [100,120) [120,∞) %. */
enum perf_bucket {
	PERF_BUCKET_BELOW_50 = 0,
	PERF_BUCKET_50_TO_80,
	PERF_BUCKET_80_TO_100,
	PERF_BUCKET_100_TO_120,
	PERF_BUCKET_120_AND_ABOVE,
};
#define PERF_BUCKETS 5

/* "below_50", "50_to_80", "80_to_100", "100_to_120", "120_and_above" (static). */
const char *perf_bucket_name(enum perf_bucket b);
/* The bucket of an attainment in hundredths of a percent (exactly 80.00 % is in 80_to_100). */
enum perf_bucket perf_bucket_of(int64_t attainment_pct);

struct perf_distribution {
	size_t count;
	size_t buckets[PERF_BUCKETS];            /* people per bucket */
	size_t at_or_above_quota;                /* attainment >= 100.00 % */
	struct perf_value at_or_above_quota_pct; /* their share of count; null when count is 0 */
	struct perf_value p25, median, p75;      /* hundredths of a percent; null when count is 0 */
};

/*
 * The distribution of n attainments (hundredths of a percent, as published
 * by perf_compute: the buckets see the rounded value, so 99.996 % counts as
 * 100.00 %). Quartiles interpolate linearly between order statistics like
 * numpy's default ("linear", R type 7): with the values sorted x[0..n-1],
 * the q-quantile is at h = (n - 1) × q, i.e. x[⌊h⌋] + (h - ⌊h⌋) ×
 * (x[⌊h⌋ + 1] - x[⌊h⌋]), rounded half away from zero to the hundredth of a
 * percent; one value is every quantile. `attainment` may be NULL when n is
 * 0. ST_INVALID for a negative value or a NULL array with n > 0, ST_NOMEM
 * when the sorted copy cannot be allocated. *out is written only on ST_OK.
 */
enum status perf_compute_distribution(const int64_t *attainment, size_t n, struct perf_distribution *out);

#endif
