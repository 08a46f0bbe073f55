/*
 * model.h — the learned part of a lead score: a regularised logistic
 * regression over a lead's fields and attributes, its training and its
 * evaluation (DESIGN §7 "Leads"). Pure: no I/O.
 *
 * Features, decided from the training leads alone:
 *   - numeric fields (budget, employees, engagement, numeric attributes;
 *     timeline as days from the lead's arrival to the expected purchase):
 *     log1p when never negative and skewed (sample skewness > 1), then
 *     standardised; plus hinge terms max(0, z - k) at the quartiles of z, so
 *     the effect may bend; a missing indicator.
 *   - categorical fields (source, industry, authority, need, text
 *     attributes): one-hot of the levels seen at least min_count times (the
 *     50 most frequent at most), the rest bucketed as "other", and a missing
 *     indicator.
 *   - boolean attributes: true, and a missing indicator.
 *   Columns are kept only when they vary and are seen min_count times
 *   (min_count = max(10, 0.2 % of the rows)).
 * Fit: L2-penalised log-likelihood (intercept not penalised), by Newton's
 * method with a line search on sparse rows. The penalty per lead, alpha, is
 * chosen from a fixed grid by 5-fold cross-validated log-loss.
 * Evaluation: a deterministic split by a hash of the lead id puts 20 % of
 * the leads in a holdout; the model fitted on the other 80 % is measured on
 * it (AUC, Brier score, log-loss, calibration by decile, conversion rate per
 * grade). The stored model is then refitted on every lead with the same
 * features (found on the 80 %) and the chosen alpha.
 */
#ifndef ATTAIN_LEADS_MODEL_H
#define ATTAIN_LEADS_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/status.h"
#include "leads/lead.h"
#include "leads/score.h"

struct lr_model;

/*
 * The probability (0..1) that lead l converts. When top is non-NULL, the
 * ntop fields that move the log-odds most (against the average training
 * lead), largest magnitude first, go to top and their number to *nfactors.
 */
double lr_predict(const struct lr_model *m, const struct lead *l, struct score_factor *top, int ntop,
		  int *nfactors);
/* The model as JSON (new reference; NULL on OOM). */
json_t *lr_model_to_json(const struct lr_model *m);
/* Read a model written by lr_model_to_json; ST_INVALID when malformed. Free with lr_model_free. */
enum status lr_model_from_json(const json_t *j, struct lr_model **out);
/*
 * Let go of a model: the last holder frees it. A model is never changed
 * once trained or read, so holders may share it across threads.
 */
void lr_model_free(struct lr_model *m);
/* One more holder of m (each calls lr_model_free once); returns m. */
struct lr_model *lr_model_ref(struct lr_model *m);
/* Number of model columns (coefficients besides the intercept). */
int lr_model_columns(const struct lr_model *m);

/* ---- metrics (y[i] is 0 or 1) ---------------------------------------------- */

/* Area under the ROC curve (ties count half); NAN when a class is empty. */
double metric_auc(const double *p, const unsigned char *y, size_t n);
/* Mean squared error of the probabilities; NAN when n is 0. */
double metric_brier(const double *p, const unsigned char *y, size_t n);
/* Mean negative log-likelihood (p clipped to [1e-15, 1 - 1e-15]); NAN when n is 0. */
double metric_log_loss(const double *p, const unsigned char *y, size_t n);

struct calibration_bin {
	size_t count;
	double predicted; /* mean probability */
	double observed;  /* share of y = 1 */
};
/*
 * Sort by probability and cut into nbins groups of equal size (the first
 * n % nbins groups one larger); writes min(nbins, n) bins and returns how
 * many. ST-free: -1 when out of memory.
 */
int metric_calibration(const double *p, const unsigned char *y, size_t n, int nbins, struct calibration_bin *out);

/* ---- training ---------------------------------------------------------------- */

/*
 * Where the training leads come from: get fills *out with lead i (0..n-1),
 * whose status is "converted" (1) or anything else (0); what it points to
 * stays valid until release(ctx, i). Leads are read about twice (the train
 * part three times), so that a source may parse them on demand. When ids
 * and converted are given (each lead's id and outcome), the first pass is
 * made from them.
 */
struct lead_source {
	size_t n;
	void *ctx;
	enum status (*get)(void *ctx, size_t i, struct lead *out);
	void (*release)(void *ctx, size_t i);
	const int64_t *ids;             /* optional */
	const unsigned char *converted; /* optional */
};

struct train_options {
	int min_per_class; /* fewer converted or unconverted leads: ST_UNPROCESSABLE */
	int holdout_pct;   /* share of leads held out for the evaluation, 5..50 */
	double alpha;      /* the L2 penalty per lead; 0 = chosen by cross-validation */
};

/*
 * Fit the model on the leads of src (see the top of this file), evaluate
 * it, and refit on all. `rules` (the segment's scoring model, predictive
 * part ignored) and `today` give the grades of the holdout leads.
 * On ST_OK, *model (free with lr_model_free) and *evaluation (decref) are
 * new: evaluation = {auc, brier, log_loss, base_rate_pct, n_train,
 * n_holdout, n_converted, n_unconverted, alpha, columns, calibration:
 * [{decile, count, predicted_pct, observed_pct}], by_grade: [{grade, count,
 * converted, conversion_rate_pct}]}. ST_UNPROCESSABLE with a sentence in
 * why when there are too few leads of a class; ST_NOMEM; or the status of
 * src->get.
 */
enum status lead_train(const struct score_model *rules, const struct lead_source *src, const struct train_options *o,
		       cal_date today, struct lr_model **model, json_t **evaluation, char *why, size_t whylen);

/* The split of a lead: true when lead `id` is in the holdout of holdout_pct %. */
bool lead_in_holdout(int64_t id, int holdout_pct);

#endif
