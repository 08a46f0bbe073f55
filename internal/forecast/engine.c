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
    [FC_AUTO] = "auto",       [FC_NAIVE] = "naive", [FC_SNAIVE] = "seasonal_naive",
    [FC_SES] = "ses",         [FC_HOLT] = "holt",   [FC_DAMPED] = "damped",
    [FC_THETA] = "theta",     [FC_COMB] = "comb",   [FC_WCOMB] = "weighted_comb",
    [FC_CROSTON] = "croston",
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

/* When to adjust: after the 90 % test, never, or whenever possible (three
 * full seasons, positive values). */
enum seas_mode { SEAS_TEST, SEAS_OFF, SEAS_ON };

/* Autocorrelation of x at lag k (x of mean mu and sum of squares ss). */
static double
acf(const double *x, size_t n, double mu, double ss, size_t k)
{
	double s = 0;

	for (size_t t = k; t < n; t++)
		s += (x[t] - mu) * (x[t - k] - mu);
	return s / ss;
}

/* The 90 % test on r[0..c): |r_m| > 1.645 sqrt((1 + 2 Σ_{k<m} r_k²) / c). */
static bool
seasonality_test(const double *r, size_t c, size_t m)
{
	double mu = 0, ss = 0, sq = 0, acc = 1, rm;

	if (c <= m)
		return false;
	for (size_t t = 0; t < c; t++)
		mu += r[t] / (double)c;
	for (size_t t = 0; t < c; t++) {
		ss += (r[t] - mu) * (r[t] - mu);
		sq += r[t] * r[t];
	}
	/* Constant but for rounding: nothing to test. */
	if (!(ss > 1e-12 * sq))
		return false;
	for (size_t k = 1; k < m; k++) {
		double a = acf(r, c, mu, ss, k);

		acc += 2 * a * a;
	}
	rm = acf(r, c, mu, ss, m);
	return fabs(rm) > 1.645 * sqrt(acc / (double)c);
}

/* Classical multiplicative decomposition: the seasonal index si[t % m] of
 * each position, from the ratios of x to its centred moving average (the
 * trend-cycle), averaged by season and normalised to a mean of 1. Under
 * SEAS_TEST the 90 % test runs on those ratios, not on x: with the trend
 * taken out first, a trending series (whose autocorrelations are all near 1,
 * lag m's too) is not taken for a seasonal one. False when not seasonal
 * (then si is all 1). r is scratch of n doubles. */
static bool
seasonal_indices(const double *x, size_t n, size_t m, enum seas_mode mode, double *si, double *r)
{
	double sum[12] = {0}, cnt[12] = {0}, mean = 0;
	size_t half = m / 2, c = 0;

	for (size_t k = 0; k < m; k++)
		si[k] = 1;
	if (m <= 1 || n < 3 * m || mode == SEAS_OFF)
		return false;
	for (size_t t = 0; t < n; t++)
		if (!(x[t] > 0))
			return false;
	/* r[c] is the ratio at t = half + c, t in [half, n − half). */
	for (size_t t = half; t + half < n; t++) {
		double ma = 0;

		if (m % 2 == 0) {
			/* 2×m moving average: half weights at both ends. */
			ma = (x[t - half] + x[t + half]) / 2;
			for (size_t j = t - half + 1; j < t + half; j++)
				ma += x[j];
		} else {
			for (size_t j = t - half; j <= t + half; j++)
				ma += x[j];
		}
		ma /= (double)m;
		if (!(ma > 0) || !isfinite(x[t] / ma))
			return false;
		r[c++] = x[t] / ma;
	}
	if (mode == SEAS_TEST && !seasonality_test(r, c, m))
		return false;
	for (size_t i = 0; i < c; i++) {
		sum[(half + i) % m] += r[i];
		cnt[(half + i) % m] += 1;
	}
	for (size_t k = 0; k < m; k++) {
		if (cnt[k] == 0)
			return false;
		si[k] = sum[k] / cnt[k];
		mean += si[k] / (double)m;
	}
	if (!(mean > 0))
		return false;
	double dev = 0;

	for (size_t k = 0; k < m; k++) {
		si[k] /= mean;
		dev = fmax(dev, fabs(si[k] - 1));
	}
	/* Failed, or no seasonality at all (a constant series): not adjusted. */
	for (size_t k = 0; k < m; k++) {
		if (!(si[k] > 0) || !isfinite(si[k]) || !(dev > 1e-9)) {
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

/* Paths beyond the public methods: the same methods on the logarithm of a
 * positive history (a multiplicative trend), and the dynamic optimised theta
 * model, members of weighted_comb. */
enum { P_LSES = FC_METHOD_COUNT, P_LDAMPED, P_LTHETA, P_DOTM, NPATHS };

#define BIT(p) (1u << (p))
/* The members of weighted_comb, and what each path needs computed first. */
#define WCOMB_MEMBERS (BIT(FC_THETA) | BIT(FC_DAMPED) | BIT(P_DOTM) | BIT(P_LDAMPED) | BIT(P_LTHETA))

struct bundle {
	struct path p[NPATHS];
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
	double xm, b, a = ses->alpha;
	double start = (1 - pow(1 - a, (double)n)) / a;

	smooth_line(x, n, &xm, &b);
	for (size_t k = 0; k < h; k++)
		p->f[k] = ses->level + b / 2 * ((double)k + start);
	ets_sd(ses, h, p->sd);
	p->ok = true;
}

/* Mean of the paths in `members` (forecasts and sds), with weights w (NULL:
 * equal). With `trim` and three members or more, the forecast of each step
 * is instead the plain mean of the members' forecasts but the highest and
 * the lowest (a trimmed mean: one member gone astray moves it little); the
 * sds stay weighted. */
static void
mix(struct bundle *b, unsigned members, const double *w, bool trim, size_t h, struct path *out)
{
	double wsum = 0;
	int count = 0;

	memset(out, 0, sizeof(*out));
	for (int q = 0; q < NPATHS; q++) {
		if (members & BIT(q)) {
			wsum += w ? w[q] : 1;
			count++;
		}
	}
	for (int q = 0; q < NPATHS; q++) {
		double wq;

		if (!(members & BIT(q)))
			continue;
		wq = (w ? w[q] : 1) / wsum;
		for (size_t k = 0; k < h; k++) {
			out->f[k] += wq * b->p[q].f[k];
			out->sd[k] += wq * b->p[q].sd[k];
		}
	}
	if (trim && count >= 3) {
		for (size_t k = 0; k < h; k++) {
			double sum = 0, lo = INFINITY, hi = -INFINITY;

			for (int q = 0; q < NPATHS; q++) {
				if (members & BIT(q)) {
					double f = b->p[q].f[k];

					sum += f;
					lo = fmin(lo, f);
					hi = fmax(hi, f);
				}
			}
			out->f[k] = (sum - lo - hi) / (double)(count - 2);
		}
	}
	out->ok = true;
}

/* The paths in `need` (a BIT set; dependencies added here) on y[0..n)
 * (already scaled), h steps; x is scratch of 2n doubles. */
static void
bundle_run(const double *y, size_t n, size_t m, size_t h, enum seas_mode mode, unsigned need, double *x,
           struct bundle *b)
{
	double si[12], *lx = x + n;
	struct smooth_fit fit;
	bool pos = true;

	if (need & BIT(FC_COMB))
		need |= BIT(FC_SES) | BIT(FC_DAMPED) | BIT(FC_THETA);
	if (need & BIT(FC_WCOMB))
		need |= WCOMB_MEMBERS;
	memset(b, 0, sizeof(*b));
	b->seasonal = seasonal_indices(y, n, m, mode, si, x); /* x: scratch until filled below */
	for (size_t t = 0; t < n; t++) {
		x[t] = b->seasonal ? y[t] / si[t % m] : y[t];
		pos = pos && x[t] > 0;
	}

	if (need & BIT(FC_SNAIVE))
		snaive_path(y, n, m, h, &b->p[FC_SNAIVE]);
	if (need & BIT(FC_CROSTON))
		croston_path(y, n, h, &b->p[FC_CROSTON]);
	if (need & BIT(FC_NAIVE))
		naive_path(x, n, h, &b->p[FC_NAIVE]);
	if (need & (BIT(FC_SES) | BIT(FC_THETA))) {
		smooth_fit(x, n, SMOOTH_NONE, &fit);
		ets_path(&fit, h, &b->p[FC_SES]);
		theta_path(x, n, &fit, h, &b->p[FC_THETA]);
	}
	if (need & BIT(P_DOTM)) {
		smooth_dotm(x, n, h, b->p[P_DOTM].f, &fit);
		ets_sd(&fit, h, b->p[P_DOTM].sd);
		b->p[P_DOTM].ok = true;
	}
	if (need & BIT(FC_HOLT)) {
		smooth_fit(x, n, SMOOTH_LINEAR, &fit);
		ets_path(&fit, h, &b->p[FC_HOLT]);
	}
	if (need & BIT(FC_DAMPED)) {
		smooth_fit(x, n, SMOOTH_DAMPED, &fit);
		ets_path(&fit, h, &b->p[FC_DAMPED]);
	}
	if (need & (BIT(P_LSES) | BIT(P_LDAMPED) | BIT(P_LTHETA))) {
		if (pos) {
			/* On logs: back with exp(f), the sd by the delta method. */
			for (size_t t = 0; t < n; t++)
				lx[t] = log(x[t]);
			smooth_fit(lx, n, SMOOTH_NONE, &fit);
			ets_path(&fit, h, &b->p[P_LSES]);
			theta_path(lx, n, &fit, h, &b->p[P_LTHETA]);
			smooth_fit(lx, n, SMOOTH_DAMPED, &fit);
			ets_path(&fit, h, &b->p[P_LDAMPED]);
			for (int q = P_LSES; q <= P_LTHETA; q++) {
				for (size_t k = 0; k < h; k++) {
					double f = exp(fmin(b->p[q].f[k], 700));

					b->p[q].f[k] = f;
					b->p[q].sd[k] = f * fmin(b->p[q].sd[k], 10);
				}
			}
		} else {
			/* Not positive: the additive versions stand in. */
			smooth_fit(x, n, SMOOTH_NONE, &fit);
			ets_path(&fit, h, &b->p[P_LSES]);
			theta_path(x, n, &fit, h, &b->p[P_LTHETA]);
			smooth_fit(x, n, SMOOTH_DAMPED, &fit);
			ets_path(&fit, h, &b->p[P_LDAMPED]);
		}
	}
	if (b->seasonal) {
		for (int q = 0; q < NPATHS; q++) {
			if (q == FC_SNAIVE || q == FC_CROSTON || !b->p[q].ok)
				continue;
			for (size_t k = 0; k < h; k++) {
				double s = si[(n + k) % m];

				b->p[q].f[k] *= s;
				b->p[q].sd[k] *= s;
			}
		}
	}
	if (need & BIT(FC_COMB))
		mix(b, BIT(FC_SES) | BIT(FC_DAMPED) | BIT(FC_THETA), NULL, false, h, &b->p[FC_COMB]);
	if (need & BIT(FC_WCOMB))
		mix(b, WCOMB_MEMBERS, NULL, true, h, &b->p[FC_WCOMB]);
}

/* ---- back-test ----------------------------------------------------------- */

/* The forecasts of every origin of a rolling-origin back-test over the last
 * H points: up to BACKTEST_ORIGINS origins, each forecasting to the end of
 * the history (at most h points). H = h, or fewer so that every origin keeps
 * at least half the history and MIN_POINTS points. */
struct backtest {
	struct bundle at[BACKTEST_ORIGINS];
	size_t origin[BACKTEST_ORIGINS], steps[BACKTEST_ORIGINS], count;
};

static void
backtest_run(const double *y, size_t n, size_t m, size_t h, enum seas_mode mode, unsigned need, double *x,
             struct backtest *bt)
{
	size_t keep = n / 2 > MIN_POINTS ? n / 2 : MIN_POINTS;
	size_t H = n > keep ? n - keep : 0, step;

	bt->count = 0;
	if (H > h)
		H = h;
	if (H == 0)
		return;
	step = H / BACKTEST_ORIGINS > 0 ? H / BACKTEST_ORIGINS : 1;
	for (size_t o = n - H; o < n && bt->count < BACKTEST_ORIGINS; o += step) {
		size_t hh = n - o < h ? n - o : h;

		bundle_run(y, o, m, hh, mode, need, x, &bt->at[bt->count]);
		bt->origin[bt->count] = o;
		bt->steps[bt->count] = hh;
		bt->count++;
	}
}

struct score {
	double smape, mase, z2; /* z2: mean squared standardised error */
	bool ok;
};

/* The back-test score of path q. */
static struct score
backtest_score(struct backtest *bt, const double *y, size_t m, int q)
{
	struct score sc = {0};
	size_t points = 0, used = 0;

	for (size_t i = 0; i < bt->count; i++) {
		size_t o = bt->origin[i], hh = bt->steps[i];
		const struct path *p = &bt->at[i].p[q];

		if (!p->ok)
			continue;
		sc.smape += fc_smape(y + o, p->f, hh);
		sc.mase += fc_mase(y, o, (int)m, y + o, p->f, hh);
		for (size_t k = 0; k < hh; k++) {
			double e = y[o + k] - p->f[k], z = p->sd[k] > 0 ? e / p->sd[k] : (e != 0 ? 10 : 0);

			sc.z2 += z * z;
		}
		points += hh;
		used++;
	}
	if (used > 0) {
		sc.ok = true;
		sc.smape /= (double)used;
		sc.mase /= (double)used;
		sc.z2 /= (double)points;
	}
	return sc;
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

struct work {
	struct backtest bt, bt2;
	struct bundle final, final2;
};

/* weighted_comb's weights, 1 / (sMAPE + 0.5)² of each member's own
 * back-test, into w; returns their sum. */
static double
weigh(struct backtest *bt, const double *ys, size_t m, double *w)
{
	double sum = 0;

	for (int q = 0; q < NPATHS; q++) {
		if (WCOMB_MEMBERS & BIT(q)) {
			struct score s = backtest_score(bt, ys, m, q);
			double d = s.ok ? s.smape + 0.5 : 200;

			w[q] = 1 / (d * d);
			sum += w[q];
		}
	}
	return sum;
}

/* weighted_comb with weights w, at every origin of the back-test and in the
 * final bundle. */
static void
mix_all(struct backtest *bt, struct bundle *final, const double *w, size_t h)
{
	for (size_t i = 0; i < bt->count; i++)
		mix(&bt->at[i], WCOMB_MEMBERS, w, true, bt->steps[i], &bt->at[i].p[FC_WCOMB]);
	mix(final, WCOMB_MEMBERS, w, true, h, &final->p[FC_WCOMB]);
}

/* a = (wa a + wb b) / (wa + wb), forecasts and sds. */
static void
blend(struct path *a, const struct path *b, double wa, double wb, size_t h)
{
	for (size_t k = 0; k < h; k++) {
		a->f[k] = (wa * a->f[k] + wb * b->f[k]) / (wa + wb);
		a->sd[k] = (wa * a->sd[k] + wb * b->sd[k]) / (wa + wb);
	}
}

enum status
fc_forecast(const double *y, size_t n, int frequency, size_t horizon, enum fc_method method,
            struct fc_result *out)
{
	struct fc_result r;
	struct work *wk;
	struct score sc = {0};
	double *buf, *ys, *x, scale = 0, widen = 1, w[NPATHS] = {0};
	size_t m, zeros = 0;
	bool nonneg = true;
	enum fc_method use = method;
	bool blended = false;
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

	buf = malloc(sizeof(double) * 3 * n);
	wk = malloc(sizeof(*wk));
	if (buf == NULL || wk == NULL) {
		free(buf);
		free(wk);
		return ST_NOMEM;
	}
	ys = buf;
	x = buf + n;
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
	} else if (method == FC_AUTO) {
		use = FC_WCOMB;
	}

	backtest_run(ys, n, m, horizon, SEAS_TEST, BIT(use), x, &wk->bt);
	bundle_run(ys, n, m, horizon, SEAS_TEST, BIT(use), x, &wk->final);
	if (use == FC_WCOMB && wk->bt.count > 0) {
		double wsum = weigh(&wk->bt, ys, m, w);

		mix_all(&wk->bt, &wk->final, w, horizon);
		if (!wk->final.seasonal && m > 1) {
			/* Not seasonal by the test: the members on data adjusted
			 * anyway join, weighed by their own back-test too. */
			backtest_run(ys, n, m, horizon, SEAS_ON, BIT(use), x, &wk->bt2);
			bundle_run(ys, n, m, horizon, SEAS_ON, BIT(use), x, &wk->final2);
			if (wk->final2.seasonal && wk->bt2.count == wk->bt.count) {
				double w2[NPATHS] = {0}, wsum2 = weigh(&wk->bt2, ys, m, w2);

				mix_all(&wk->bt2, &wk->final2, w2, horizon);
				for (size_t i = 0; i < wk->bt.count; i++)
					blend(&wk->bt.at[i].p[FC_WCOMB], &wk->bt2.at[i].p[FC_WCOMB], wsum,
					      wsum2, wk->bt.steps[i]);
				blend(&wk->final.p[FC_WCOMB], &wk->final2.p[FC_WCOMB], wsum, wsum2, horizon);
				blended = true;
			}
		}
	}
	sc = backtest_score(&wk->bt, ys, m, use);
	if (sc.ok) {
		r.backtested = true;
		r.smape = sc.smape;
		r.mase = sc.mase;
		widen = sqrt(sc.z2);
		if (!(widen >= 1))
			widen = 1;
		if (widen > 3)
			widen = 3;
	}
	r.method = use;
	r.method_name = fc_method_name(use);
	r.note = note;
	r.seasonal = (wk->final.seasonal || blended) && use != FC_SNAIVE && use != FC_CROSTON;
	emit(&wk->final.p[use], horizon, scale, widen, nonneg, ys[n - 1], &r);
	free(buf);
	free(wk);
	*out = r;
	return ST_OK;
}
