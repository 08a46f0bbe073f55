/*
 * smooth.h — exponential smoothing with an additive (optionally damped)
 * trend, fitted by minimising the in-sample one-step SSE (internal to the
 * forecast engine). State form (ETS A,Ad,N):
 *   ŷ_t = ℓ + φ b;  e = y_t − ŷ_t;  ℓ ← ŷ_t + α e;  b ← φ b + β e.
 * NONE: β = 0 (simple exponential smoothing); LINEAR: φ = 1 (Holt);
 * DAMPED: 0.8 <= φ <= 0.98. Bounds: 1e-4 <= α <= 0.9999, 0 <= β <= α.
 */
#ifndef ATTAIN_FORECAST_SMOOTH_H
#define ATTAIN_FORECAST_SMOOTH_H

#include <stddef.h>

enum smooth_kind { SMOOTH_NONE, SMOOTH_LINEAR, SMOOTH_DAMPED };

struct smooth_fit {
	double alpha, beta, phi;
	double level, trend; /* the states after the last point */
	double sigma;        /* one-step residual sd, SSE / (n − parameters) */
};

/* The least-squares line through x[0..n), n >= 1: the mean of x and the
 * slope per step (0 for a single point). */
void smooth_line(const double *x, size_t n, double *mean, double *slope);

/* Fits x[0..n), n >= 1, values of order 1 (the engine scales them). */
void smooth_fit(const double *x, size_t n, enum smooth_kind kind, struct smooth_fit *out);

/* The dynamic optimised theta model (Fiorucci et al. 2016, "DOTM"): SES
 * plus (1 − 1/θ) of the least-squares line through the points seen so far,
 * the line updated at each point; α (0.1..0.99), ℓ0 and θ (>= 1) minimise
 * the in-sample one-step SSE. Fits x[0..n), n >= 1, and writes the h
 * forecasts into f; out gets α, the level, the one-step residual sd (β 0,
 * φ 1: the SES variance factors are used for its intervals). */
void smooth_dotm(const double *x, size_t n, size_t h, double *f, struct smooth_fit *out);

#endif
