/*
 * test_forecast.c — the projection engine (internal/forecast/engine): each
 * method on series whose forecasts are known by hand (constant, linear
 * trend, pure seasonality), the error metrics on hand-computed values, the
 * fallbacks (too short, all zero, intermittent) and that no input of length
 * 1..1000, however large its values, yields a NaN or an infinity. And
 * accuracy (internal/forecast/accuracy): reading `at`, the day a call is
 * read at, which call stood then (adjustment over submission, by the end
 * of a day), and error, APE, WAPE, MAPE and bias on hand-computed rows,
 * missing rows counted apart.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "forecast/accuracy.h"
#include "forecast/engine.h"
#include "forecast/smooth.h"

static const enum fc_method every_method[] = {FC_AUTO,   FC_NAIVE, FC_SNAIVE, FC_SES,  FC_HOLT,
                                              FC_DAMPED, FC_THETA, FC_COMB,   FC_WCOMB};
#define N_METHODS (sizeof(every_method) / sizeof(every_method[0]))

static struct fc_result
run(const double *y, size_t n, int freq, size_t h, enum fc_method m)
{
	struct fc_result r;

	assert_int_equal(fc_forecast(y, n, freq, h, m, &r), ST_OK);
	assert_int_equal(r.horizon, h);
	return r;
}

/* Every figure finite, the bounds ordered around the point forecast. */
static void
assert_sane(const struct fc_result *r)
{
	for (size_t k = 0; k < r->horizon; k++) {
		if (!isfinite(r->mean[k]) || !isfinite(r->lo80[k]) || !isfinite(r->hi80[k]) ||
		    !isfinite(r->lo95[k]) || !isfinite(r->hi95[k]))
			fail_msg("%s: step %zu not finite", r->method_name, k);
		if (!(r->lo95[k] <= r->lo80[k] && r->lo80[k] <= r->mean[k] && r->mean[k] <= r->hi80[k] &&
		      r->hi80[k] <= r->hi95[k]))
			fail_msg("%s: step %zu bounds out of order", r->method_name, k);
	}
	assert_true(isfinite(r->smape) && r->smape >= 0 && r->smape <= 200);
	assert_true(isfinite(r->mase) && r->mase >= 0);
	assert_non_null(r->method_name);
}

static void
assert_all_near(const struct fc_result *r, const double *want, double tol)
{
	for (size_t k = 0; k < r->horizon; k++)
		if (fabs(r->mean[k] - want[k]) > tol)
			fail_msg("%s: step %zu is %.9g, want %.9g", r->method_name, k, r->mean[k], want[k]);
}

static void
test_constant(void **state)
{
	double y[24], want[12];

	(void)state;
	for (size_t t = 0; t < 24; t++)
		y[t] = 10;
	for (size_t k = 0; k < 12; k++)
		want[k] = 10;
	for (size_t i = 0; i < N_METHODS; i++) {
		for (int f = 1; f <= 12; f += (f == 1 ? 3 : 8)) {
			struct fc_result r = run(y, 24, f, 12, every_method[i]);

			assert_sane(&r);
			assert_all_near(&r, want, 1e-6);
			assert_null(r.note);
			assert_false(r.seasonal);
			assert_true(r.backtested);
			assert_true(r.smape < 1e-6);
			assert_true(r.mase < 1e-6);
			/* No uncertainty in a constant history. */
			assert_true(r.hi95[11] - r.lo95[11] < 1e-6);
		}
	}
}

static void
test_linear_trend(void **state)
{
	double y[30], want[6];
	struct fc_result r;

	(void)state;
	for (size_t t = 0; t < 30; t++)
		y[t] = 5 + 2 * (double)t;
	for (size_t k = 0; k < 6; k++)
		want[k] = 5 + 2 * (double)(30 + k);

	/* Holt follows the line exactly. */
	r = run(y, 30, 1, 6, FC_HOLT);
	assert_sane(&r);
	assert_all_near(&r, want, 1e-6);

	/* Naive repeats the last value: 63. */
	r = run(y, 30, 1, 6, FC_NAIVE);
	for (size_t k = 0; k < 6; k++)
		want[k] = 63;
	assert_all_near(&r, want, 1e-9);

	/* SES (α at its bound) stays at the last value too. */
	r = run(y, 30, 1, 6, FC_SES);
	assert_all_near(&r, want, 1e-2);

	/* Theta: SES at α → 1 plus half the slope as drift: 63 + (k + 1) · 2 / 2. */
	r = run(y, 30, 1, 6, FC_THETA);
	for (size_t k = 0; k < 6; k++)
		want[k] = 63 + (double)(k + 1);
	assert_all_near(&r, want, 1e-2);

	/* Damped: between the last value and the line, rising, slower each step. */
	r = run(y, 30, 1, 6, FC_DAMPED);
	for (size_t k = 0; k < 6; k++) {
		assert_true(r.mean[k] > 63 && r.mean[k] <= 5 + 2 * (double)(30 + k) + 1e-6);
		if (k > 0)
			assert_true(r.mean[k] > r.mean[k - 1] && r.mean[k] - r.mean[k - 1] <= 2 + 1e-6);
	}

	/* auto rises too, between naive and the line. */
	r = run(y, 30, 1, 6, FC_AUTO);
	assert_sane(&r);
	assert_int_equal(r.method, FC_WCOMB);
	for (size_t k = 0; k < 6; k++)
		assert_true(r.mean[k] > 63 && r.mean[k] <= 5 + 2 * (double)(30 + k) + 1e-6);
}

static void
test_pure_seasonality(void **state)
{
	static const double pattern[4] = {10, 20, 30, 40};
	double y[24], want[8];

	(void)state;
	for (size_t t = 0; t < 24; t++)
		y[t] = pattern[t % 4];
	for (size_t k = 0; k < 8; k++)
		want[k] = pattern[k % 4];
	/* Seasonal naive repeats the last season; every adjusted method sees a
	 * constant 25 once the indices 0.4, 0.8, 1.2, 1.6 are taken out. */
	for (size_t i = 0; i < N_METHODS; i++) {
		struct fc_result r = run(y, 24, 4, 8, every_method[i]);

		assert_sane(&r);
		assert_all_near(&r, want, 1e-6);
		if (every_method[i] != FC_SNAIVE)
			assert_true(r.seasonal);
	}
	/* Monthly: the same with a 12-point pattern, history starting mid-season. */
	{
		double ym[60], wm[18];

		for (size_t t = 0; t < 60; t++)
			ym[t] = 100 + 50 * sin(2 * M_PI * (double)(t + 5) / 12);
		for (size_t k = 0; k < 18; k++)
			wm[k] = 100 + 50 * sin(2 * M_PI * (double)(60 + k + 5) / 12);
		struct fc_result r = run(ym, 60, 12, 18, FC_SNAIVE);
		assert_all_near(&r, wm, 1e-9);
		r = run(ym, 60, 12, 18, FC_AUTO);
		assert_true(r.seasonal);
		assert_all_near(&r, wm, 1e-6);
	}
}

static void
test_metrics(void **state)
{
	static const double a[2] = {100, 200}, f[2] = {110, 180};
	static const double zero[2] = {0, 0};
	static const double hist[4] = {1, 2, 4, 7}, act[2] = {8, 10}, fc[2] = {7, 7};
	static const double qhist[8] = {1, 2, 3, 4, 2, 3, 4, 5}, qa[1] = {3}, qf[1] = {5};
	static const double flat[3] = {4, 4, 4}, zflat[3] = {0, 0, 0};

	(void)state;
	/* 200/2 · (10/210 + 20/380) */
	assert_float_equal(fc_smape(a, f, 2), 10.025062656641604, 1e-9);
	assert_float_equal(fc_smape(a, a, 2), 0, 0);
	assert_float_equal(fc_smape(zero, zero, 2), 0, 0);
	assert_float_equal(fc_smape(a, zero, 2), 200, 1e-12);
	/* lag-1 MAE of 1,2,4,7 is 2; errors 1 and 3: MASE 1. */
	assert_float_equal(fc_mase(hist, 4, 1, act, fc, 2), 1.0, 1e-12);
	/* Quarterly: lag-4 MAE 1, error 2. */
	assert_float_equal(fc_mase(qhist, 8, 4, qa, qf, 1), 2.0, 1e-12);
	/* History shorter than a season: lag 1 (MAE 1, 4/4 = 1 here for 1,2,3,4). */
	assert_float_equal(fc_mase(qhist, 4, 12, qa, qf, 1), 2.0, 1e-12);
	/* Constant history: scaled by its mean |value| (4); all zero: by 1. */
	assert_float_equal(fc_mase(flat, 3, 1, qa, qf, 1), 0.5, 1e-12);
	assert_float_equal(fc_mase(zflat, 3, 1, qa, qf, 1), 2.0, 1e-12);
}

static void
test_method_names(void **state)
{
	enum fc_method m;

	(void)state;
	for (size_t i = 0; i < N_METHODS; i++) {
		assert_int_equal(fc_method_parse(fc_method_name(every_method[i]), &m), ST_OK);
		assert_int_equal(m, every_method[i]);
	}
	assert_int_equal(fc_method_parse("croston", &m), ST_INVALID);
	assert_int_equal(fc_method_parse("arima", &m), ST_INVALID);
	assert_int_equal(fc_method_parse(NULL, &m), ST_INVALID);
}

static void
test_fallbacks(void **state)
{
	double y[40] = {0};
	struct fc_result r;

	(void)state;
	/* All zero: zeros, said so. */
	for (size_t i = 0; i < N_METHODS; i++) {
		r = run(y, 40, 12, 18, every_method[i]);
		assert_sane(&r);
		assert_non_null(r.note);
		assert_non_null(strstr(r.note, "all-zero"));
		assert_false(r.backtested);
		for (size_t k = 0; k < 18; k++)
			assert_true(r.mean[k] == 0 && r.lo95[k] == 0 && r.hi95[k] == 0);
	}

	/* Too short: naive on 1, 2 or 3 points. */
	y[0] = 5;
	y[1] = 7;
	y[2] = 6;
	for (size_t n = 1; n <= 3; n++) {
		for (size_t i = 0; i < N_METHODS; i++) {
			r = run(y, n, 1, 4, every_method[i]);
			assert_sane(&r);
			assert_int_equal(r.method, FC_NAIVE);
			assert_non_null(r.note);
			assert_non_null(strstr(r.note, "too short"));
			assert_float_equal(r.mean[3], y[n - 1], 1e-9);
		}
	}

	/* Seasonal naive on less than a season: naive, said so. */
	for (size_t t = 0; t < 8; t++)
		y[t] = 10 + (double)t;
	r = run(y, 8, 12, 6, FC_SNAIVE);
	assert_int_equal(r.method, FC_NAIVE);
	assert_non_null(r.note);
	assert_float_equal(r.mean[0], 17, 1e-9);

	/* Intermittent: a third or more zeros, Croston. */
	memset(y, 0, sizeof(y));
	for (size_t t = 0; t < 40; t += 3)
		y[t] = 4 + (double)(t % 5);
	for (size_t i = 0; i < N_METHODS; i++) {
		r = run(y, 40, 12, 18, every_method[i]);
		assert_sane(&r);
		assert_int_equal(r.method, FC_CROSTON);
		assert_non_null(strstr(r.note, "intermittent"));
		/* Mean demand per period: sizes ~6 every 3 periods, about 2. */
		assert_true(r.mean[0] > 1 && r.mean[0] < 3);
		assert_true(r.lo95[0] >= 0);
	}
}

static void
test_invalid(void **state)
{
	double y[5] = {1, 2, 3, 4, 5};
	struct fc_result r;

	(void)state;
	r.horizon = 99;
	assert_int_equal(fc_forecast(y, 0, 1, 3, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(fc_forecast(NULL, 5, 1, 3, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(fc_forecast(y, 5, 7, 3, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(fc_forecast(y, 5, 1, 0, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(fc_forecast(y, 5, 1, FC_MAX_HORIZON + 1, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(fc_forecast(y, 5, 1, 3, FC_CROSTON, &r), ST_INVALID);
	assert_int_equal(fc_forecast(y, FC_MAX_N + 1, 1, 3, FC_AUTO, &r), ST_INVALID);
	y[2] = NAN;
	assert_int_equal(fc_forecast(y, 5, 1, 3, FC_AUTO, &r), ST_INVALID);
	y[2] = INFINITY;
	assert_int_equal(fc_forecast(y, 5, 1, 3, FC_AUTO, &r), ST_INVALID);
	assert_int_equal(r.horizon, 99); /* untouched */
}

/* A deterministic pseudo-random generator (no global state). */
static double
next(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (double)(*s >> 11) / 9007199254740992.0;
}

/* Series of every kind and length 1..1000: noise, trends, seasons, huge
 * values, sign changes, spikes, tiny values; never a NaN or an infinity. */
static void
test_never_nan(void **state)
{
	static double y[1000];
	uint64_t seed = 42;
	static const int freqs[3] = {1, 4, 12};

	(void)state;
	for (size_t n = 1; n <= 1000; n++) {
		int kind = (int)(n % 7);
		int freq = freqs[n % 3];

		for (size_t t = 0; t < n; t++) {
			double u = next(&seed);

			switch (kind) {
			case 0: y[t] = 100 + 10 * u; break;
			case 1: y[t] = DBL_MAX * (0.5 + 0.5 * u); break;
			case 2: y[t] = (t % 2 ? 1 : -1) * DBL_MAX * u; break;
			case 3: y[t] = 1e300 * (double)t + 1e305 * sin((double)t); break;
			case 4: y[t] = u < 0.9 ? 1e-300 * u : 1e300; break;
			case 5:
				y[t] =
				    exp(0.05 * (double)t) * (1 + 0.3 * sin((double)t * 0.52)) * (1 + 0.1 * u);
				break;
			default: y[t] = u < 0.5 ? 0 : 1e308 * u; break;
			}
		}
		struct fc_result r = run(y, n, freq, 18, every_method[n % N_METHODS]);
		assert_sane(&r);
		if (n % 125 == 0) {
			for (size_t i = 0; i < N_METHODS; i++) {
				r = run(y, n, freq, FC_MAX_HORIZON, every_method[i]);
				assert_sane(&r);
			}
		}
	}
}

static void
test_deterministic(void **state)
{
	double y[48];
	struct fc_result a, b;

	(void)state;
	for (size_t t = 0; t < 48; t++)
		y[t] = 50 + (double)t + 10 * sin((double)t) + 5 * cos(3.0 * (double)t);
	a = run(y, 48, 12, 18, FC_AUTO);
	b = run(y, 48, 12, 18, FC_AUTO);
	assert_memory_equal(a.mean, b.mean, sizeof(a.mean));
	assert_memory_equal(a.hi95, b.hi95, sizeof(a.hi95));
	assert_true(a.backtested);
	assert_true(a.smape > 0);
}

/* The seasonality test runs on the ratios to the centred moving average:
 * a trend with noise has an autocorrelation near 1 at every lag of its
 * levels, lag 4's too, and is still not seasonal. Not adjusted, theta on it
 * is theta on the same series read as yearly (nothing else depends on the
 * frequency). Seasons on the same trend are found and followed. */
static void
test_trend_not_seasonal(void **state)
{
	static const double pattern[4] = {0.8, 1.1, 1.3, 0.8};
	double y[40], ys[40];
	uint64_t seed = 7;
	struct fc_result q, a;

	(void)state;
	for (size_t t = 0; t < 40; t++) {
		double u = next(&seed) - 0.5;

		y[t] = 100 + 3 * (double)t + 4 * u;
		ys[t] = (100 + 3 * (double)t) * pattern[t % 4] * (1 + 0.02 * u);
	}
	q = run(y, 40, 4, 8, FC_THETA);
	a = run(y, 40, 1, 8, FC_THETA);
	assert_false(q.seasonal);
	assert_memory_equal(q.mean, a.mean, sizeof(q.mean));

	q = run(ys, 40, 4, 8, FC_THETA);
	assert_true(q.seasonal);
	/* Highs and lows of the pattern repeat: steps 2 and 6 (t = 42, 46,
	 * season 2) above steps 3 and 7 (season 3), both years. */
	assert_true(q.mean[2] > 1.3 * q.mean[3] && q.mean[6] > 1.3 * q.mean[7]);
}

/* The dynamic optimised theta model: a constant stays constant; on a line,
 * where the standard Theta (θ = 2) takes half the slope, θ is free and goes
 * high enough for nearly the whole slope (α at most 0.99 leaves the level a
 * little behind the line). */
static void
test_dotm(void **state)
{
	static const double slope[2] = {0, 2}; /* a constant, then a line */
	struct smooth_fit fit;

	(void)state;
	for (int c = 0; c < 2; c++) {
		double y[30], f[6];

		for (size_t t = 0; t < 30; t++)
			y[t] = 7 + slope[c] * (double)t;
		smooth_dotm(y, 30, 6, f, &fit);
		for (size_t k = 0; k < 6; k++) {
			double line = 7 + slope[c] * (double)(30 + k);

			if (c == 0 && !(fabs(f[k] - line) < 1e-9))
				fail_msg("constant: step %zu is %.12g", k, f[k]);
			if (c == 1 && !(fabs(f[k] - line) < 0.5))
				fail_msg("line: step %zu is %.6g, want about %.6g", k, f[k], line);
			if (c == 1 && k > 0)
				assert_true(f[k] - f[k - 1] > 1.9 && f[k] - f[k - 1] <= 2 + 1e-9);
		}
		if (c == 0)
			assert_true(fit.sigma < 1e-9);
	}
}

/* weighted_comb is the trimmed mean of its five members at each step. On a
 * history with negative values the additive versions stand in for the two
 * on logs, so the members are theta, damped, the dynamic theta model, theta
 * and damped again: the mean of the five but the lowest and the highest. */
static void
test_trimmed_mean(void **state)
{
	double y[24], x[24], dotm[6], scale = 0;
	uint64_t seed = 11;
	struct smooth_fit fit;
	struct fc_result th, dp, wc;

	(void)state;
	for (size_t t = 0; t < 24; t++) {
		y[t] = -20 + 3 * (double)t + 8 * (next(&seed) - 0.5);
		scale = fmax(scale, fabs(y[t]));
	}
	/* The engine fits the history scaled to a largest |value| of 1. */
	for (size_t t = 0; t < 24; t++)
		x[t] = y[t] / scale;
	smooth_dotm(x, 24, 6, dotm, &fit);
	th = run(y, 24, 1, 6, FC_THETA);
	dp = run(y, 24, 1, 6, FC_DAMPED);
	wc = run(y, 24, 1, 6, FC_WCOMB);
	assert_sane(&wc);
	for (size_t k = 0; k < 6; k++) {
		double v[5] = {th.mean[k], th.mean[k], dp.mean[k], dp.mean[k], dotm[k] * scale};
		double sum = 0, lo = v[0], hi = v[0];

		for (int i = 0; i < 5; i++) {
			sum += v[i];
			lo = fmin(lo, v[i]);
			hi = fmax(hi, v[i]);
		}
		if (!(fabs(wc.mean[k] - (sum - lo - hi) / 3) < 1e-9 * scale))
			fail_msg("step %zu is %.12g, want %.12g", k, wc.mean[k], (sum - lo - hi) / 3);
	}
}

/* ---- accuracy ---------------------------------------------------------------------------- */

static void
test_acc_at_parse(void **state)
{
	struct acc_at at;

	(void)state;
	assert_true(acc_at_parse("week:4", &at));
	assert_int_equal(at.unit, ACC_WEEK);
	assert_int_equal(at.n, 4);
	assert_true(acc_at_parse("day:366", &at));
	assert_int_equal(at.unit, ACC_DAY);
	assert_int_equal(at.n, 366);
	assert_true(acc_at_parse("week:53", &at));
	const char *bad[] = {"week:0",  "week:54", "day:367", "day:", "week:04",  "week:4x",
	                     "month:1", "week:-1", "",        "week", "day:1000", NULL};
	for (int i = 0; bad[i]; i++)
		assert_false(acc_at_parse(bad[i], &at));
	assert_false(acc_at_parse(NULL, &at));
	char buf[16];
	acc_at_format((struct acc_at){.unit = ACC_DAY, .n = 30}, buf, sizeof buf);
	assert_string_equal(buf, "day:30");
}

static void
test_acc_at_day(void **state)
{
	struct period q;
	cal_date d;

	(void)state;
	assert_int_equal(period_parse("FY2025-Q1", 1, &q), ST_OK); /* 2025-01-01 .. 2025-03-31 */
	assert_int_equal(cal_date_parse("2025-01-28", &d), ST_OK);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_WEEK, 4}), d);
	assert_int_equal(cal_date_parse("2025-01-01", &d), ST_OK);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_DAY, 1}), d);
	/* past the end: the last day */
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_WEEK, 20}), q.end);
	assert_int_equal(acc_at_day(&q, (struct acc_at){ACC_DAY, 90}), q.end);
	assert_int_equal(acc_weeks(&q), 13); /* 90 days */
	assert_int_equal(period_parse("2025-02", 1, &q), ST_OK);
	assert_int_equal(acc_weeks(&q), 4);
	assert_int_equal(period_parse("2025-03", 1, &q), ST_OK);
	assert_int_equal(acc_weeks(&q), 5);
}

static void
test_acc_standing(void **state)
{
	/* person 7, period 0: submission 100 on day 10, adjustment 80 on day 12, submission 120 on day 15 */
	const struct acc_call calls[] = {
	    {.scope_id = 7, .period = 0, .commit = 100, .day = 10, .id = 1},
	    {.team = true, .scope_id = 7, .period = 0, .commit = 999, .day = 1, .id = 2},
	    {.adjustment = true, .scope_id = 7, .period = 0, .commit = 80, .day = 12, .id = 3},
	    {.scope_id = 7, .period = 1, .commit = 555, .day = 5, .id = 4},
	    {.scope_id = 7, .period = 0, .commit = 120, .day = 15, .id = 5},
	};
	size_t n = sizeof calls / sizeof calls[0];

	(void)state;
	assert_null(acc_standing(calls, n, false, 7, 0, 9, true));
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 10, true)->commit,
	                 100); /* made that day counts */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 12, true)->commit, 80);
	/* a later submission does not replace the manager's layer */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 20, true)->commit, 80);
	/* who does not see adjustments: the owner's latest */
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 12, false)->commit, 100);
	assert_int_equal(acc_standing(calls, n, false, 7, 0, 20, false)->id, 5);
	assert_int_equal(acc_standing(calls, n, true, 7, 0, 20, true)->commit, 999);
	assert_int_equal(acc_standing(calls, n, false, 7, 1, 20, true)->commit, 555);
	assert_null(acc_standing(calls, n, false, 8, 0, 20, true));
}

static void
test_acc_figures(void **state)
{
	struct acc_sum s = {0};
	int64_t c1 = 300000, c2 = 30000, v;
	double d;

	(void)state;
	/* actual 4,033.33 called 3,000 (raw 3,500); actual 283.83 called 300 (raw 250); one missing row */
	acc_add(&s, 403333, &c1, 350000);
	acc_add(&s, 28383, &c2, 25000);
	acc_add(&s, 40000, NULL, 1);
	assert_int_equal(s.rows, 3);
	assert_int_equal(s.called, 2);
	assert_int_equal(s.actual, 431716);
	assert_int_equal(s.call.sum, 330000);
	assert_true(acc_wape_pct(&s, &s.call, &d));
	assert_float_equal(d, (103333.0 + 1617.0) / 431716.0 * 100.0, 1e-9);
	assert_true(acc_mape_pct(&s.call, &d));
	assert_float_equal(d, (103333.0 / 403333.0 + 1617.0 / 28383.0) * 50.0, 1e-9);
	assert_true(acc_bias(&s, &v));
	assert_int_equal(v, 50858); /* (431716 - 330000) / 2 */
	assert_true(acc_bias_pct(&s, &s.call, &d));
	assert_true(d > 0); /* more closed than called: sandbagging */
	assert_float_equal(d, 101716.0 / 330000.0 * 100.0, 1e-9);
	assert_true(acc_wape_pct(&s, &s.raw, &d));
	assert_float_equal(d, (53333.0 + 3383.0) / 431716.0 * 100.0, 1e-9);
	assert_true(acc_bias_pct(&s, &s.raw, &d));
	assert_float_equal(d, (431716.0 - 375000.0) / 375000.0 * 100.0, 1e-9);
	assert_true(acc_mape_pct(&s.raw, &d));
	assert_float_equal(d, (53333.0 / 403333.0 + 3383.0 / 28383.0) * 50.0, 1e-9);
	assert_true(acc_ape_pct(28383, 30000, &d));
	assert_float_equal(d, 1617.0 / 28383.0 * 100.0, 1e-9);
	assert_false(acc_ape_pct(0, 5, &d));

	/* over-calling: negative bias; the mean miss rounds half away from zero */
	struct acc_sum o = {0};
	int64_t c3 = 101, c4 = 100;
	acc_add(&o, 100, &c3, 0);
	acc_add(&o, 100, &c4, 0);
	assert_true(acc_bias(&o, &v));
	assert_int_equal(v, -1); /* -0.5 */
	assert_true(acc_bias_pct(&o, &o.call, &d) && d < 0);

	/* nothing called: nothing computed */
	struct acc_sum none = {0};
	acc_add(&none, 100, NULL, 50);
	assert_false(acc_wape_pct(&none, &none.call, &d));
	assert_false(acc_mape_pct(&none.call, &d));
	assert_false(acc_bias(&none, &v));
	assert_false(acc_bias_pct(&none, &none.call, &d));
	assert_false(acc_wape_pct(&none, &none.raw, &d));
	/* called, but nothing closed: WAPE over zero */
	struct acc_sum zero = {0};
	acc_add(&zero, 0, &c4, 0);
	assert_false(acc_wape_pct(&zero, &zero.call, &d));
	assert_false(acc_mape_pct(&zero.call, &d));
	assert_true(acc_bias_pct(&zero, &zero.call, &d));
	assert_float_equal(d, -100.0, 1e-9);
}

static void
test_acc_bias_adjust(void **state)
{
	struct acc_sum s = {0};
	int64_t c1 = 300000, c2 = 100000, v;

	(void)state;
	acc_add(&s, 403333, &c1, 0);
	assert_false(acc_bias_adjust(&s, 2, 200000, &v)); /* one period: too few */
	assert_true(acc_bias_adjust(&s, 1, 200000, &v));
	acc_add(&s, 0, &c2, 0);
	/* 2,000 x 4,033.33 / 4,000 = 2,016.665 -> 2,016.67 */
	assert_true(acc_bias_adjust(&s, 2, 200000, &v));
	assert_int_equal(v, 201667);
	struct acc_sum z = {0};
	int64_t zc = 0;
	acc_add(&z, 100, &zc, 0);
	acc_add(&z, 100, &zc, 0);
	assert_false(acc_bias_adjust(&z, 2, 5, &v)); /* the calls sum to 0 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constant),         cmocka_unit_test(test_linear_trend),
	    cmocka_unit_test(test_pure_seasonality), cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_method_names),     cmocka_unit_test(test_fallbacks),
	    cmocka_unit_test(test_invalid),          cmocka_unit_test(test_never_nan),
	    cmocka_unit_test(test_deterministic),    cmocka_unit_test(test_acc_at_parse),
	    cmocka_unit_test(test_acc_at_day),       cmocka_unit_test(test_acc_standing),
	    cmocka_unit_test(test_acc_figures),      cmocka_unit_test(test_acc_bias_adjust),
	    cmocka_unit_test(test_trend_not_seasonal), cmocka_unit_test(test_dotm),
	    cmocka_unit_test(test_trimmed_mean),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
