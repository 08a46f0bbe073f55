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

#endif
