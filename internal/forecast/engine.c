/*
 * engine.c — the projection engine (engine.h): seasonal adjustment, the
 * methods on one history at a time ("bundle"), the back-test that scores
 * them, and fc_forecast, which puts it together with its fallbacks.
 *
 * Inside, a history is scaled so that its largest |value| is 1: no
 * intermediate can overflow whatever the input's magnitude; results are
 * scaled back and clamped to finite doubles.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/engine.h"
#include "forecast/smooth.h"

#define Z80 1.2815515655446004
#define Z95 1.9599639845400540
#define BACKTEST_ORIGINS 3
#define MIN_POINTS 4

static const char *const method_names[FC_METHOD_COUNT] = {
    [FC_AUTO] = "auto",   [FC_NAIVE] = "naive", [FC_SNAIVE] = "seasonal_naive",
    [FC_SES] = "ses",     [FC_HOLT] = "holt",   [FC_DAMPED] = "damped",
    [FC_THETA] = "theta", [FC_COMB] = "comb",   [FC_CROSTON] = "croston",
};

const char *
fc_method_name(enum fc_method method)
{
	if ((int)method < 0 || method >= FC_METHOD_COUNT)
		return "unknown";
	return method_names[method];
}

enum status
fc_method_parse(const char *name, enum fc_method *out)
{
	if (name == NULL)
		return ST_INVALID;
	for (int m = 0; m < FC_CROSTON; m++) {
		if (strcmp(name, method_names[m]) == 0) {
			*out = (enum fc_method)m;
			return ST_OK;
		}
	}
	return ST_INVALID;
}

double
fc_smape(const double *actual, const double *fcast, size_t h)
{
	double s = 0;

	if (h == 0)
		return 0;
	for (size_t i = 0; i < h; i++) {
		double den = fabs(actual[i]) + fabs(fcast[i]);
		double num = fabs(actual[i] - fcast[i]);

		/* |a-f| <= |a|+|f|: each term is within [0, 1] even when the
		 * sums overflow to inf (then counted as 1). */
		if (den > 0 && isfinite(den))
			s += num / den;
		else if (den > 0)
			s += 1;
	}
	return 200.0 * s / (double)h;
}

/* Mean |x[t] - x[t-lag]| over t in [lag, n), halved inputs so that huge
 * values cannot overflow, doubled back at the end (may be inf: callers check). */
static double
lag_mae(const double *x, size_t n, size_t lag)
{
	double s = 0;

	if (lag == 0 || n <= lag)
		return 0;
	for (size_t t = lag; t < n; t++)
		s += fabs(x[t] / 2 - x[t - lag] / 2) / (double)(n - lag);
	return 2 * s;
}

double
fc_mase(const double *history, size_t n, int frequency, const double *actual, const double *fcast, size_t h)
{
	double scale = 0, err = 0;
	size_t m = frequency > 1 ? (size_t)frequency : 1;

	if (h == 0)
		return 0;
	if (n > m)
		scale = lag_mae(history, n, m);
	if (!(scale > 0) || !isfinite(scale))
		scale = lag_mae(history, n, 1);
	if (!(scale > 0) || !isfinite(scale)) {
		scale = 0;
		for (size_t t = 0; t < n; t++)
			scale += fabs(history[t]) / (double)n;
		if (!(scale > 0) || !isfinite(scale))
			scale = scale > 0 ? DBL_MAX : 1;
	}
	for (size_t i = 0; i < h; i++)
		err += fabs(actual[i] / 2 - fcast[i] / 2) / (double)h;
	err /= scale;
	err *= 2;
	return isfinite(err) ? err : DBL_MAX;
}

/* ---- seasonal adjustment ------------------------------------------------ */

/* Autocorrelation of x at lag k (x of mean mu and sum of squares ss). */
static double
acf(const double *x, size_t n, double mu, double ss, size_t k)
{
	double s = 0;

	for (size_t t = k; t < n; t++)
		s += (x[t] - mu) * (x[t - k] - mu);
	return s / ss;
}

/* The 90 % test: |r_m| > 1.645 sqrt((1 + 2 Σ_{k<m} r_k²) / n). */
static bool
seasonality_test(const double *x, size_t n, size_t m)
{
	double mu = 0, ss = 0, acc = 1, rm;

	for (size_t t = 0; t < n; t++)
		mu += x[t] / (double)n;
	for (size_t t = 0; t < n; t++)
		ss += (x[t] - mu) * (x[t] - mu);
	if (!(ss > 0))
		return false;
	for (size_t k = 1; k < m; k++) {
		double r = acf(x, n, mu, ss, k);
		acc += 2 * r * r;
	}
	rm = acf(x, n, mu, ss, m);
	return fabs(rm) > 1.645 * sqrt(acc / (double)n);
}

/* Classical multiplicative decomposition: the seasonal index si[t % m] of
 * each position, from ratios to the centred moving average, averaged by
 * season and normalised to a mean of 1. False when not seasonal (then si is
 * all 1). */
static bool
seasonal_indices(const double *x, size_t n, size_t m, double *si)
{
	double sum[12] = {0}, cnt[12] = {0}, mean = 0;
	size_t half = m / 2;

	for (size_t k = 0; k < m; k++)
		si[k] = 1;
	if (m <= 1 || n < 3 * m)
		return false;
	for (size_t t = 0; t < n; t++)
		if (!(x[t] > 0))
			return false;
	if (!seasonality_test(x, n, m))
		return false;
	for (size_t t = half; t + half < n; t++) {
		double c = 0;

		if (m % 2 == 0) {
			/* 2×m moving average: half weights at both ends. */
			if (t + half >= n)
				break;
			c = (x[t - half] + x[t + half]) / 2;
			for (size_t j = t - half + 1; j < t + half; j++)
				c += x[j];
		} else {
			for (size_t j = t - half; j <= t + half; j++)
				c += x[j];
		}
		c /= (double)m;
		if (!(c > 0))
			continue;
		sum[t % m] += x[t] / c;
		cnt[t % m] += 1;
	}
	for (size_t k = 0; k < m; k++) {
		if (cnt[k] == 0)
			return false;
		si[k] = sum[k] / cnt[k];
		mean += si[k] / (double)m;
	}
	if (!(mean > 0))
		return false;
	for (size_t k = 0; k < m; k++) {
		si[k] /= mean;
		if (!(si[k] > 0) || !isfinite(si[k])) {
			for (size_t j = 0; j < m; j++)
				si[j] = 1;
			return false;
		}
	}
	return true;
}

/* ---- one history, every method ----------------------------------------- */

struct path {
	double f[FC_MAX_HORIZON];
	double sd[FC_MAX_HORIZON];
	bool ok;
};

struct bundle {
	struct path p[FC_METHOD_COUNT];
	bool seasonal;
};

static void
naive_path(const double *x, size_t n, size_t h, struct path *p)
{
	double ss = 0, sigma;

	for (size_t t = 1; t < n; t++)
		ss += (x[t] - x[t - 1]) * (x[t] - x[t - 1]);
	sigma = n > 1 ? sqrt(ss / (double)(n - 1)) : 0;
	for (size_t k = 0; k < h; k++) {
		p->f[k] = x[n - 1];
		p->sd[k] = sigma * sqrt((double)(k + 1));
	}
	p->ok = true;
}

static void
snaive_path(const double *y, size_t n, size_t m, size_t h, struct path *p)
{
	double ss = 0, sigma;

	if (n < m + 1) {
		p->ok = false;
		return;
	}
	for (size_t t = m; t < n; t++)
		ss += (y[t] - y[t - m]) * (y[t] - y[t - m]);
	sigma = sqrt(ss / (double)(n - m));
	for (size_t k = 0; k < h; k++) {
		p->f[k] = y[n - m + k % m];
		p->sd[k] = sigma * sqrt((double)(k / m + 1));
	}
	p->ok = true;
}

/* Croston's method with α = 0.1 on a non-negative history with zeros. */
static void
croston_path(const double *y, size_t n, size_t h, struct path *p)
{
	const double a = 0.1;
	double z = 0, q = 1, ss = 0, f;
	size_t gap = 1, seen = 0, cnt = 0;

	for (size_t t = 0; t < n; t++) {
		if (seen) {
			double e = y[t] - z / q;
			ss += e * e;
			cnt++;
		}
		if (y[t] != 0) {
			if (!seen) {
				z = y[t];
				q = (double)gap;
			} else {
				z += a * (y[t] - z);
				q += a * ((double)gap - q);
			}
			seen = 1;
			gap = 1;
		} else {
			gap++;
		}
	}
	f = seen ? z / q : 0;
	for (size_t k = 0; k < h; k++) {
		p->f[k] = f;
		p->sd[k] = cnt ? sqrt(ss / (double)cnt) : fabs(f);
	}
	p->ok = true;
}

/* sd of the k-step forecast error (k = 1..h) from the one-step sigma and the
 * AAdN psi weights c_j = α + β (φ + … + φ^j). */
static void
ets_sd(const struct smooth_fit *s, size_t h, double *sd)
{
	double v = 1, phis = 0, pw = 1;

	for (size_t k = 0; k < h; k++) {
		sd[k] = s->sigma * sqrt(v);
		pw *= s->phi;
		phis += pw;
		double c = s->alpha + s->beta * phis;
		v += c * c;
	}
}

static void
ets_path(const struct smooth_fit *s, size_t h, struct path *p)
{
	double phis = 0, pw = 1;

	for (size_t k = 0; k < h; k++) {
		pw *= s->phi;
		phis += pw;
		p->f[k] = s->level + phis * s->trend;
	}
	ets_sd(s, h, p->sd);
	p->ok = true;
}

/* Theta: SES plus half the slope of the linear trend, as a drift. */
static void
theta_path(const double *x, size_t n, const struct smooth_fit *ses, size_t h, struct path *p)
{
	double tm = (double)(n - 1) / 2, xm = 0, sxy = 0, sxx = 0, b, a = ses->alpha;
	double start = (1 - pow(1 - a, (double)n)) / a;

	for (size_t t = 0; t < n; t++)
		xm += x[t] / (double)n;
	for (size_t t = 0; t < n; t++) {
		sxy += ((double)t - tm) * (x[t] - xm);
		sxx += ((double)t - tm) * ((double)t - tm);
	}
	b = sxx > 0 ? sxy / sxx : 0;
	for (size_t k = 0; k < h; k++)
		p->f[k] = ses->level + b / 2 * ((double)k + start);
	ets_sd(ses, h, p->sd);
	p->ok = true;
}

/* Every method on y[0..n) (already scaled), h steps; x and si are scratch
 * (n and 12 doubles). */
static void
bundle_run(const double *y, size_t n, size_t m, size_t h, double *x, struct bundle *b)
{
	double si[12];
	struct smooth_fit ses, holt, damped;

	memset(b, 0, sizeof(*b));
	b->seasonal = seasonal_indices(y, n, m, si);
	for (size_t t = 0; t < n; t++)
		x[t] = b->seasonal ? y[t] / si[t % m] : y[t];

	snaive_path(y, n, m, h, &b->p[FC_SNAIVE]);
	croston_path(y, n, h, &b->p[FC_CROSTON]);
	naive_path(x, n, h, &b->p[FC_NAIVE]);
	smooth_fit(x, n, SMOOTH_NONE, &ses);
	smooth_fit(x, n, SMOOTH_LINEAR, &holt);
	smooth_fit(x, n, SMOOTH_DAMPED, &damped);
	ets_path(&ses, h, &b->p[FC_SES]);
	ets_path(&holt, h, &b->p[FC_HOLT]);
	ets_path(&damped, h, &b->p[FC_DAMPED]);
	theta_path(x, n, &ses, h, &b->p[FC_THETA]);
	for (size_t k = 0; k < h; k++) {
		b->p[FC_COMB].f[k] = (b->p[FC_SES].f[k] + b->p[FC_DAMPED].f[k] + b->p[FC_THETA].f[k]) / 3;
		b->p[FC_COMB].sd[k] = (b->p[FC_SES].sd[k] + b->p[FC_DAMPED].sd[k] + b->p[FC_THETA].sd[k]) / 3;
	}
	b->p[FC_COMB].ok = true;
	if (b->seasonal) {
		for (int mm = FC_NAIVE; mm < FC_METHOD_COUNT; mm++) {
			if (mm == FC_SNAIVE || mm == FC_CROSTON)
				continue;
			for (size_t k = 0; k < h; k++) {
				double s = si[(n + k) % m];
				b->p[mm].f[k] *= s;
				b->p[mm].sd[k] *= s;
			}
		}
	}
}

/* ---- back-test ----------------------------------------------------------- */

struct score {
	double smape, mase, z2; /* z2: mean squared standardised error */
	size_t origins, points;
};

/* Rolling origin over the last H points: up to BACKTEST_ORIGINS origins,
 * each forecasting to the end of the history (at most h points). H = h, or
 * fewer so that every origin keeps at least half the history and
 * MIN_POINTS points. */
static void
backtest(const double *y, size_t n, size_t m, size_t h, double *x, struct bundle *b, struct score *sc)
{
	size_t keep = n / 2 > MIN_POINTS ? n / 2 : MIN_POINTS;
	size_t H = n > keep ? n - keep : 0, step;

	memset(sc, 0, sizeof(struct score) * FC_METHOD_COUNT);
	if (H > h)
		H = h;
	if (H == 0)
		return;
	step = H / BACKTEST_ORIGINS > 0 ? H / BACKTEST_ORIGINS : 1;
	for (size_t o = n - H; o < n; o += step) {
		size_t hh = n - o;

		if (hh > h)
			hh = h;
		bundle_run(y, o, m, hh, x, b);
		for (int mm = FC_NAIVE; mm < FC_METHOD_COUNT; mm++) {
			if (!b->p[mm].ok)
				continue;
			sc[mm].smape += fc_smape(y + o, b->p[mm].f, hh);
			sc[mm].mase += fc_mase(y, o, (int)m, y + o, b->p[mm].f, hh);
			for (size_t k = 0; k < hh; k++) {
				double sd = b->p[mm].sd[k], e = y[o + k] - b->p[mm].f[k];
				double z = sd > 0 ? e / sd : (e != 0 ? 10 : 0);
				sc[mm].z2 += z * z;
			}
			sc[mm].origins++;
			sc[mm].points += hh;
		}
		if (sc[FC_NAIVE].origins >= BACKTEST_ORIGINS)
			break;
	}
	for (int mm = 0; mm < FC_METHOD_COUNT; mm++) {
		if (sc[mm].origins == 0)
			continue;
		sc[mm].smape /= (double)sc[mm].origins;
		sc[mm].mase /= (double)sc[mm].origins;
		sc[mm].z2 /= (double)sc[mm].points;
	}
}

/* ---- putting it together ------------------------------------------------ */

static double
finite_or(double v, double fallback)
{
	if (isnan(v))
		return fallback;
	if (v > DBL_MAX)
		return DBL_MAX;
	if (v < -DBL_MAX)
		return -DBL_MAX;
	return v;
}

/* Writes out from a path on the scaled history: back to the caller's scale,
 * intervals widened by `widen`, no negative figure for a non-negative
 * history, every figure finite. */
static void
emit(const struct path *p, size_t h, double scale, double widen, bool nonneg, double last,
     struct fc_result *out)
{
	for (size_t k = 0; k < h; k++) {
		double f = finite_or(p->f[k], last), sd = finite_or(p->sd[k] * widen, 0);

		if (sd < 0)
			sd = 0;
		out->mean[k] = finite_or(f * scale, last * scale);
		out->lo80[k] = finite_or((f - Z80 * sd) * scale, out->mean[k]);
		out->hi80[k] = finite_or((f + Z80 * sd) * scale, out->mean[k]);
		out->lo95[k] = finite_or((f - Z95 * sd) * scale, out->mean[k]);
		out->hi95[k] = finite_or((f + Z95 * sd) * scale, out->mean[k]);
		if (nonneg) {
			out->mean[k] = fmax(out->mean[k], 0);
			out->lo80[k] = fmax(out->lo80[k], 0);
			out->lo95[k] = fmax(out->lo95[k], 0);
		}
		out->lo80[k] = fmin(out->lo80[k], out->mean[k]);
		out->lo95[k] = fmin(out->lo95[k], out->lo80[k]);
		out->hi80[k] = fmax(out->hi80[k], out->mean[k]);
		out->hi95[k] = fmax(out->hi95[k], out->hi80[k]);
	}
}

static const enum fc_method auto_candidates[] = {FC_NAIVE,  FC_SNAIVE, FC_SES, FC_HOLT,
                                                 FC_DAMPED, FC_THETA,  FC_COMB};

enum status
fc_forecast(const double *y, size_t n, int frequency, size_t horizon, enum fc_method method,
            struct fc_result *out)
{
	struct fc_result r;
	struct bundle *b;
	struct score sc[FC_METHOD_COUNT];
	double *work, *ys, *x, scale = 0, widen = 1;
	size_t m, zeros = 0;
	bool nonneg = true;
	enum fc_method use = method;
	const char *note = NULL;

	if (y == NULL || n == 0 || n > FC_MAX_N || horizon == 0 || horizon > FC_MAX_HORIZON ||
	    (frequency != 1 && frequency != 4 && frequency != 12) || (int)method < 0 || method >= FC_CROSTON)
		return ST_INVALID;
	for (size_t t = 0; t < n; t++) {
		if (!isfinite(y[t]))
			return ST_INVALID;
		scale = fmax(scale, fabs(y[t]));
		zeros += y[t] == 0;
		nonneg = nonneg && y[t] >= 0;
	}
	m = (size_t)frequency;

	memset(&r, 0, sizeof(r));
	r.horizon = horizon;
	if (scale == 0) {
		r.method = FC_NAIVE;
		r.method_name = fc_method_name(FC_NAIVE);
		r.note = "all-zero history: zeros projected";
		*out = r;
		return ST_OK;
	}

	work = malloc(sizeof(double) * 2 * n);
	b = malloc(sizeof(*b));
	if (work == NULL || b == NULL) {
		free(work);
		free(b);
		return ST_NOMEM;
	}
	ys = work;
	x = work + n;
	for (size_t t = 0; t < n; t++)
		ys[t] = y[t] / scale;

	if (n < MIN_POINTS) {
		use = FC_NAIVE;
		note = "history too short (fewer than 4 points): naive";
	} else if (nonneg && zeros * 3 >= n) {
		use = FC_CROSTON;
		note = "intermittent history (a third or more zeros): croston";
	} else if (method == FC_SNAIVE && n < m + 1) {
		use = FC_NAIVE;
		note = "history shorter than a season and a point: naive instead of seasonal_naive";
	}

	backtest(ys, n, m, horizon, x, b, sc);
	if (use == FC_AUTO) {
		double best = INFINITY;

		use = FC_COMB;
		for (size_t i = 0; i < sizeof(auto_candidates) / sizeof(auto_candidates[0]); i++) {
			enum fc_method c = auto_candidates[i];

			if (sc[c].origins > 0 && sc[c].smape < best) {
				best = sc[c].smape;
				use = c;
			}
		}
	}
	bundle_run(ys, n, m, horizon, x, b);
	if (!b->p[use].ok) {
		use = FC_NAIVE;
		note = "history shorter than a season and a point: naive instead of seasonal_naive";
	}
	if (sc[use].origins > 0) {
		r.backtested = true;
		r.smape = sc[use].smape;
		r.mase = sc[use].mase;
		widen = sqrt(sc[use].z2);
		if (!(widen >= 1))
			widen = 1;
		if (widen > 3)
			widen = 3;
	}
	r.method = use;
	r.method_name = fc_method_name(use);
	r.note = note;
	r.seasonal = b->seasonal && use != FC_SNAIVE && use != FC_CROSTON;
	emit(&b->p[use], horizon, scale, widen, nonneg, ys[n - 1], &r);
	free(work);
	free(b);
	*out = r;
	return ST_OK;
}
