/*
 * engine.h — the projection engine of issue 11 (item 6), pure: no I/O, no
 * globals, deterministic. A series is `const double *y, size_t n` with a
 * frequency of 1 (yearly), 4 (quarterly) or 12 (monthly).
 *
 * Methods: naive (on seasonally adjusted data when seasonal: M3's Naive2),
 * seasonal_naive, ses (simple exponential smoothing), holt (additive trend),
 * damped (damped additive trend), theta (SES with drift = half the slope of
 * the linear trend: the standard Theta method), comb (the mean of ses, damped
 * and theta), and weighted_comb: five members, theta, damped, the dynamic
 * optimised theta model (smooth.h), and damped and theta on the logarithm of
 * the series (multiplicative trends; the additive versions stand in for a
 * series with a value <= 0); its forecast at each step is the mean of the
 * five but the highest and the lowest (a trimmed mean), its interval sds the
 * members' weighted by 1 / (sMAPE + 0.5)² of each one's own rolling-origin
 * back-test on the last `horizon` points of the history (fewer for a short
 * one), never by in-sample fit; equal weights when the history is too short
 * to back-test. When the seasonality test (below) says no, weighted_comb
 * also runs its members on seasonally adjusted data anyway and blends both
 * by the sums of their back-test weights (the test is a hard call; the
 * back-test softens it). auto is weighted_comb, or
 * a fallback below. Every method but seasonal_naive and croston runs on
 * seasonally adjusted data when the series is seasonal: classical
 * multiplicative decomposition, applied when the autocorrelation at lag =
 * frequency of the ratios to the centred moving average (the trend taken
 * out first) passes the 90 % test (the M4/Theta practice), the series has at
 * least three full seasons and no value <= 0. Smoothing parameters and
 * initial states minimise the in-sample one-step SSE (Nelder-Mead from a
 * fixed start, bounded; deterministic).
 *
 * Intervals: the in-sample one-step residual standard deviation scaled by
 * the method's h-step variance factor (the ETS psi weights; a combination
 * takes the weighted mean of its members'), widened by the back-test when
 * its errors were larger than that predicts (by at most 3×); normal 80 % and
 * 95 % quantiles. A series with no negative value gets no negative bound.
 *
 * Fallbacks (said in `note`, `method` names what ran): an all-zero history
 * projects zeros; an intermittent one (a third or more zeros) runs Croston's
 * method; a history shorter than 4 points, or too short for the asked
 * method, runs naive.
 *
 * Every figure of a result is finite for any finite input, however large.
 */
#ifndef ATTAIN_FORECAST_ENGINE_H
#define ATTAIN_FORECAST_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

#define FC_MAX_HORIZON 120
#define FC_MAX_N 10000

enum fc_method {
	FC_AUTO = 0,
	FC_NAIVE,
	FC_SNAIVE,
	FC_SES,
	FC_HOLT,
	FC_DAMPED,
	FC_THETA,
	FC_COMB,
	FC_WCOMB,
	FC_CROSTON, /* only as a fallback: not asked for */
	FC_METHOD_COUNT,
};

struct fc_result {
	size_t horizon;
	double mean[FC_MAX_HORIZON];
	double lo80[FC_MAX_HORIZON], hi80[FC_MAX_HORIZON];
	double lo95[FC_MAX_HORIZON], hi95[FC_MAX_HORIZON];
	enum fc_method method;   /* what ran (auto never appears here) */
	const char *method_name; /* static: fc_method_name(method) */
	const char *note;        /* static; NULL unless it fell back */
	bool seasonal;           /* seasonally adjusted before fitting (in part, when blended) */
	bool backtested;         /* false: history too short, smape and mase are 0 */
	double smape;            /* back-tested, M3's definition, 0..200 */
	double mase;             /* back-tested, scaled by the in-sample seasonal naive MAE */
};

/* Projects y[0..n) `horizon` steps ahead with `method`. ST_INVALID when n is
 * 0 or above FC_MAX_N, a value is not finite, frequency is not 1, 4 or 12,
 * or horizon is not 1..FC_MAX_HORIZON; ST_NOMEM. *out written on ST_OK only. */
enum status fc_forecast(const double *y, size_t n, int frequency, size_t horizon, enum fc_method method,
                        struct fc_result *out);

/* "auto", "naive", "seasonal_naive", "ses", "holt", "damped", "theta",
 * "comb", "weighted_comb", "croston". */
const char *fc_method_name(enum fc_method method);
/* ST_INVALID for an unknown name or "croston" (a fallback only). */
enum status fc_method_parse(const char *name, enum fc_method *out);

/* M3's sMAPE: 200/h Σ |y-f| / (|y|+|f|); a point where both are 0 counts 0. */
double fc_smape(const double *actual, const double *fcast, size_t h);

/* MASE: mean |y-f| over the in-sample MAE of the seasonal naive method (lag
 * = frequency; lag 1 when the history is shorter than frequency + 1 or that
 * MAE is 0). When every in-sample MAE is 0 (a constant history) the scale is
 * the mean |value| of the history, or 1 when that is 0 too: always finite. */
double fc_mase(const double *history, size_t n, int frequency, const double *actual, const double *fcast,
               size_t h);

#endif
