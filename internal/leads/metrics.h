/*
 * metrics.h — how good predicted probabilities are against outcomes: AUC,
 * Brier score, log-loss and calibration (DESIGN §7 "Leads"). Pure: no I/O.
 *
 * Every function takes n probabilities p (0..1) and n outcomes y (0, or
 * anything else for 1), reads them only and keeps no pointer to them.
 */
#ifndef ATTAIN_LEADS_METRICS_H
#define ATTAIN_LEADS_METRICS_H

#include <stddef.h>

#include "core/status.h"

/* Area under the ROC curve (ties count half); NAN when a class is empty or out of memory. */
double metrics_auc(const double *p, const unsigned char *y, size_t n);

/* Mean squared error of the probabilities; NAN when n is 0. */
double metrics_brier(const double *p, const unsigned char *y, size_t n);

/* Mean negative log-likelihood (p clipped to [1e-15, 1 - 1e-15]); NAN when n is 0. */
double metrics_log_loss(const double *p, const unsigned char *y, size_t n);

/* One group of a calibration. */
struct metrics_calibration_bin {
	size_t count;
	double predicted; /* mean probability */
	double observed;  /* share of y = 1 */
};

/*
 * Sort by probability and cut into nbins (>= 0) groups of equal size, the
 * first n % nbins groups one larger. ST_OK with min(nbins, n) bins written
 * to out (which holds nbins, owned by the caller) and their number in
 * *nout; ST_NOMEM with *nout 0 and out untouched.
 */
enum status metrics_calibration(const double *p, const unsigned char *y, size_t n, int nbins,
                                struct metrics_calibration_bin *out, int *nout);

#endif
