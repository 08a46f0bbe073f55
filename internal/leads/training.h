/*
 * training.h — training the learned part of a lead score on a segment's
 * closed leads, and its evaluation (DESIGN §7 "Leads"). Pure: no I/O beyond
 * the lead source.
 *
 * Evaluation: a deterministic split by a hash of the lead id puts
 * holdout_pct % of the leads in a holdout; the model fitted on the others
 * (fit.h, with features from discovery.h) is measured on it (AUC, Brier
 * score, log-loss, calibration by decile, conversion rate per grade). The
 * stored model is then refitted on every lead with the same features and
 * the same alpha.
 *
 * Grades: the models carry the base rate (the share of the leads that
 * converted) and grade cut-offs. The cut-offs stay the fixed 80, 60, 40
 * when those give each grade at least 5 % of the train leads' blended
 * scores; otherwise (an attribute-only segment whose scores are 100 * p and
 * bunch below 40, say) they are the train scores' quantiles: A the top
 * 10 %, B the next 20 %, C the next 30 %, D the rest (strictly decreasing
 * within 1..100). The holdout is graded with them, and so is every lead
 * scored with the model until the next training.
 */
#ifndef ATTAIN_LEADS_TRAINING_H
#define ATTAIN_LEADS_TRAINING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "core/status.h"
#include "leads/lead.h"
#include "leads/model.h"
#include "leads/score.h"

struct training_options {
	int min_per_class; /* fewer converted or unconverted leads: ST_UNPROCESSABLE */
	int holdout_pct;   /* share of leads held out for the evaluation, 5..50 (clamped) */
	double alpha;      /* the L2 penalty per lead; 0 = chosen by cross-validation */
	bool trees;        /* also fit gradient-boosted trees (gbt.h); the lower holdout log-loss serves */
};

/*
 * Fit the model on the leads of src (see fit.h), evaluate it, and refit on
 * all. `rules` (the segment's scoring model, predictive part ignored; only
 * read) and `today` give the grades of the holdout leads.
 * With o->trees, gradient-boosted trees (gbt.h) are fitted on the same
 * split and columns beside the logistic model, and the one with the lower
 * holdout log-loss is the model.
 * On ST_OK, *model (free with model_free) and *evaluation (decref) are new:
 * evaluation = {auc, brier, log_loss, base_rate_pct, n_train, n_holdout,
 * n_converted, n_unconverted, alpha, columns, calibration: [{decile, count,
 * predicted_pct, observed_pct}], by_grade: [{grade, count, converted,
 * conversion_rate_pct}], grade_cutoffs: {A, B, C, derived}, learner}, the
 * figures those of the learner that serves; with o->trees also learners:
 * [{learner, serving, auc, brier, log_loss, fit_seconds, alpha | rounds}]
 * and serving_reason.
 * ST_UNPROCESSABLE with a sentence in why (whylen
 * bytes) when there are too few leads of a class, nothing varies enough to
 * learn from, or the holdout has leads of one outcome only; ST_NOMEM; or
 * the status of src->get. On error *model and *evaluation are untouched.
 */
enum status training_run(const struct score_model *rules, const struct lead_source *src,
                         const struct training_options *o, cal_date today, struct model **model,
                         json_t **evaluation, char *why, size_t whylen);

/* The split: whether lead `id` is in the holdout of holdout_pct %. Deterministic; never fails. */
bool training_in_holdout(int64_t id, int holdout_pct);

#endif
