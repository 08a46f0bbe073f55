/*
 * smooth.c — exponential smoothing fits (smooth.h): a bounded Nelder-Mead
 * over (α, ℓ0[, β, b0[, φ]]), or (α, ℓ0, θ) for the dynamic optimised theta
 * model, from a fixed start, so deterministic.
 */
#include <math.h>
#include <string.h>

#include "forecast/smooth.h"

#define MAX_DIM 5
#define MAX_EVALS 400
#define PENALTY 1e300

struct problem {
	const double *x;
	size_t n;
	enum smooth_kind kind;
	int dotm; /* the dynamic optimised theta model instead (kind unused) */
};

static double dotm_run(const struct problem *pr, const double *p, size_t h, double *f, double *level);

/* Parameters: p[0] α, p[1] ℓ0, p[2] β, p[3] b0, p[4] φ. */
static void
unpack(const struct problem *pr, const double *p, double *a, double *l0, double *b, double *b0, double *phi)
{
	*a = p[0];
	*l0 = p[1];
	*b = pr->kind == SMOOTH_NONE ? 0 : p[2];
	*b0 = pr->kind == SMOOTH_NONE ? 0 : p[3];
	*phi = pr->kind == SMOOTH_DAMPED ? p[4] : 1;
}

static double
run(const struct problem *pr, const double *p, double *level, double *trend)
{
	double a, l, b, tr, phi, sse = 0;

	unpack(pr, p, &a, &l, &b, &tr, &phi);
	for (size_t t = 0; t < pr->n; t++) {
		double f = l + phi * tr, e = pr->x[t] - f;

		sse += e * e;
		l = f + a * e;
		tr = phi * tr + b * e;
	}
	if (level)
		*level = l;
	if (trend)
		*trend = tr;
	return sse;
}

static double
objective(const struct problem *pr, const double *p)
{
	double a, l0, b, b0, phi, sse;

	if (pr->dotm) {
		if (!(p[0] >= 0.1 && p[0] <= 0.99) || !isfinite(p[1]) || !(p[2] >= 1 && p[2] <= 1e6))
			return PENALTY;
		sse = dotm_run(pr, p, 0, NULL, NULL);
		return isfinite(sse) ? sse : PENALTY;
	}
	unpack(pr, p, &a, &l0, &b, &b0, &phi);
	if (!(a >= 1e-4 && a <= 0.9999) || !(b >= 0 && b <= a) ||
	    !(phi >= 0.8 && phi <= 0.98 + 0.02 * (pr->kind != SMOOTH_DAMPED)))
		return PENALTY;
	if (!isfinite(l0) || !isfinite(b0))
		return PENALTY;
	sse = run(pr, p, NULL, NULL);
	return isfinite(sse) ? sse : PENALTY;
}

/* Nelder-Mead (reflect 1, expand 2, contract 1/2, shrink 1/2) minimising
 * objective over d dimensions from p with initial steps st; p gets the best. */
static void
nelder_mead(const struct problem *pr, double *p, const double *st, int d)
{
	double s[MAX_DIM + 1][MAX_DIM], fv[MAX_DIM + 1];
	int evals = 0;

	for (int i = 0; i <= d; i++) {
		memcpy(s[i], p, sizeof(double) * (size_t)d);
		if (i > 0)
			s[i][i - 1] += st[i - 1];
		fv[i] = objective(pr, s[i]);
		evals++;
	}
	while (evals < MAX_EVALS) {
		int hi = 0, lo = 0, nh = 0;
		double c[MAX_DIM], xr[MAX_DIM], xe[MAX_DIM], xc[MAX_DIM], fr, fe, fc;

		for (int i = 1; i <= d; i++) {
			if (fv[i] > fv[hi])
				hi = i;
			if (fv[i] < fv[lo])
				lo = i;
		}
		nh = lo;
		for (int i = 0; i <= d; i++)
			if (i != hi && fv[i] > fv[nh])
				nh = i;
		if (fv[hi] - fv[lo] <= 1e-10 * (fabs(fv[lo]) + 1e-12))
			break;
		for (int j = 0; j < d; j++) {
			c[j] = 0;
			for (int i = 0; i <= d; i++)
				if (i != hi)
					c[j] += s[i][j] / d;
		}
		for (int j = 0; j < d; j++)
			xr[j] = c[j] + (c[j] - s[hi][j]);
		fr = objective(pr, xr);
		evals++;
		if (fr < fv[lo]) {
			for (int j = 0; j < d; j++)
				xe[j] = c[j] + 2 * (c[j] - s[hi][j]);
			fe = objective(pr, xe);
			evals++;
			if (fe < fr) {
				memcpy(s[hi], xe, sizeof(double) * (size_t)d);
				fv[hi] = fe;
			} else {
				memcpy(s[hi], xr, sizeof(double) * (size_t)d);
				fv[hi] = fr;
			}
			continue;
		}
		if (fr < fv[nh]) {
			memcpy(s[hi], xr, sizeof(double) * (size_t)d);
			fv[hi] = fr;
			continue;
		}
		for (int j = 0; j < d; j++)
			xc[j] = fr < fv[hi] ? c[j] + 0.5 * (xr[j] - c[j]) : c[j] + 0.5 * (s[hi][j] - c[j]);
		fc = objective(pr, xc);
		evals++;
		if (fc < fmin(fr, fv[hi])) {
			memcpy(s[hi], xc, sizeof(double) * (size_t)d);
			fv[hi] = fc;
			continue;
		}
		for (int i = 0; i <= d; i++) {
			if (i == lo)
				continue;
			for (int j = 0; j < d; j++)
				s[i][j] = s[lo][j] + 0.5 * (s[i][j] - s[lo][j]);
			fv[i] = objective(pr, s[i]);
			evals++;
		}
	}
	{
		int lo = 0;
		for (int i = 1; i <= d; i++)
			if (fv[i] < fv[lo])
				lo = i;
		memcpy(p, s[lo], sizeof(double) * (size_t)d);
	}
}

void
smooth_line(const double *x, size_t n, double *mean, double *slope)
{
	double tm = (double)(n - 1) / 2, xm = 0, sxy = 0, sxx = 0;

	for (size_t t = 0; t < n; t++)
		xm += x[t] / (double)n;
	for (size_t t = 0; t < n; t++) {
		sxy += ((double)t - tm) * (x[t] - xm);
		sxx += ((double)t - tm) * ((double)t - tm);
	}
	*mean = xm;
	*slope = sxx > 0 ? sxy / sxx : 0;
}

void
smooth_fit(const double *x, size_t n, enum smooth_kind kind, struct smooth_fit *out)
{
	struct problem pr = {x, n, kind, 0};
	double p[MAX_DIM] = {0}, st[MAX_DIM] = {0}, mag = 0, sse, level, trend;
	size_t k = n < 10 ? n : 10, npar;
	int d = kind == SMOOTH_NONE ? 2 : kind == SMOOTH_LINEAR ? 4 : 5;
	double tm = (double)(k - 1) / 2, xm, slope;

	/* Start: the line through the first (up to) ten points. */
	smooth_line(x, k, &xm, &slope);
	for (size_t t = 0; t < n; t++)
		mag += fabs(x[t]) / (double)n;
	if (!(mag > 0))
		mag = 1;

	p[0] = kind == SMOOTH_NONE ? 0.3 : 0.3;
	p[1] = kind == SMOOTH_NONE ? x[0] : xm - slope * (tm + 1);
	p[2] = 0.05;
	p[3] = slope;
	p[4] = 0.95;
	st[0] = 0.2;
	st[1] = 0.1 * mag;
	st[2] = 0.05;
	st[3] = 0.02 * mag;
	st[4] = 0.02;
	if (n >= 2)
		nelder_mead(&pr, p, st, d);

	sse = run(&pr, p, &level, &trend);
	npar = (size_t)d;
	memset(out, 0, sizeof(*out));
	unpack(&pr, p, &out->alpha, &level, &out->beta, &trend, &out->phi);
	run(&pr, p, &out->level, &out->trend);
	out->sigma = sqrt(sse / (double)(n > npar ? n - npar : 1));
}

/* The dynamic optimised theta model over t = 1..n, then h steps on its own
 * forecasts: with c = 1 − 1/θ and A, B the least-squares line (intercept at
 * t = 0, slope) through the points before t (A = x_1, B = 0 at the start),
 *   μ_t = ℓ + c ((1 − α)^(t−1) A + (1 − (1 − α)^t) / α · B),
 *   ℓ ← α x_t + (1 − α) ℓ.
 * Returns the SSE of the one-step errors from t = 2 on (the first has no
 * line); f[0..h) the forecasts, *level the level after the last point. */
static double
dotm_run(const struct problem *pr, const double *p, size_t h, double *f, double *level)
{
	double a = p[0], l = p[1], c = 1 - 1 / p[2], sse = 0;
	double A = pr->x[0], B = 0, sy = 0, sty = 0, q = 1; /* q = (1 − α)^(t−1) */

	for (size_t i = 0; i < pr->n + h; i++) {
		double t = (double)(i + 1), mu = l + c * (q * A + (1 - q * (1 - a)) / a * B);
		double x = i < pr->n ? pr->x[i] : mu;

		if (i >= pr->n)
			f[i - pr->n] = mu;
		else if (i > 0)
			sse += (x - mu) * (x - mu);
		l = a * x + (1 - a) * l;
		if (i + 1 == pr->n && level)
			*level = l;
		q *= 1 - a;
		sy += x;
		sty += t * x;
		B = t > 1 ? 12 * (sty - (t + 1) / 2 * sy) / (t * (t * t - 1)) : 0;
		A = sy / t - (t + 1) / 2 * B;
	}
	return sse;
}

void
smooth_dotm(const double *x, size_t n, size_t h, double *f, struct smooth_fit *out)
{
	struct problem pr = {x, n, SMOOTH_NONE, 1};
	double p[MAX_DIM] = {0}, st[MAX_DIM] = {0}, mag = 0, sse;

	for (size_t t = 0; t < n; t++)
		mag += fabs(x[t]) / (double)n;
	if (!(mag > 0))
		mag = 1;
	/* Start: α 0.5, ℓ0 half the first value, θ 2 (the standard Theta). */
	p[0] = 0.5;
	p[1] = x[0] / 2;
	p[2] = 2;
	st[0] = 0.2;
	st[1] = 0.1 * mag;
	st[2] = 0.5;
	if (n >= 3)
		nelder_mead(&pr, p, st, 3);
	memset(out, 0, sizeof(*out));
	sse = dotm_run(&pr, p, h, f, &out->level);
	out->alpha = p[0];
	out->phi = 1;
	out->sigma = sqrt(sse / (double)(n > 4 ? n - 4 : 1));
}
