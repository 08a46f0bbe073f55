/*
 * model.h — the learned part of a lead score, a trained regularised logistic
 * regression over a lead's fields and attributes, or gradient-boosted trees
 * over the same columns (gbt.h) when those did better (DESIGN §7 "Leads"):
 * the probability it gives a lead and the fields behind it, and the model as
 * stored JSON ("type" logistic_regression or gradient_boosted_trees, the
 * trees under "trees"). Pure: no I/O.
 *
 * How its columns are made of a lead is feature.h's; how a model is
 * trained and evaluated, training.h's.
 */
#ifndef ATTAIN_LEADS_MODEL_H
#define ATTAIN_LEADS_MODEL_H

#include <stdbool.h>

#include <jansson.h>

#include "core/status.h"
#include "leads/lead.h"

struct model;

/* One factor of the learned part: a field and the log-odds it adds. */
struct model_factor {
	char feature[2 * LEAD_FIELD_NAME_MAX + 8]; /* a field, or two joined by " × " */
	char value[128];                           /* the lead's value ("" when missing) */
	double contribution;                       /* log-odds, against the average training lead */
};

/*
 * The probability (0..1) that lead l converts; never fails. When top is
 * non-NULL, the at most ntop fields that move the log-odds most (against
 * the average training lead; with trees, what the splits on the field's
 * columns changed along the lead's paths, against the trees before any
 * split), largest magnitude first, go to top (owned by the caller) and their
 * number to *nfactors (when nfactors is non-NULL). Allocates nothing.
 */
double model_predict(const struct model *m, const struct lead *l, struct model_factor *top, int ntop,
                     int *nfactors);

/*
 * The model as JSON, the form it is stored in: a new reference (the caller
 * decrefs it); NULL when out of memory, never a model that lost a part.
 */
json_t *model_to_json(const struct model *m);

/*
 * Read a model written by model_to_json. ST_OK with *out new (free with
 * model_free); ST_INVALID when j is malformed (and, as it stands, when
 * memory runs out while reading a feature); ST_NOMEM when the model itself
 * cannot be allocated. On error *out is untouched.
 */
enum status model_from_json(const json_t *j, struct model **out);

/*
 * model_from_json with a sentence saying what is wrong in why (whylen bytes)
 * when it is ST_INVALID (a damaged tree: gbt.h's gbt_from_json).
 */
enum status model_read(const json_t *j, struct model **out, char *why, size_t whylen);

/* Which learner gives the probability: "logistic_regression" or "gradient_boosted_trees". */
const char *model_learner(const struct model *m);

/*
 * Let go of a model (NULL is fine): the last holder frees it. A model is
 * never changed once trained or read, so holders may share it across
 * threads.
 */
void model_free(struct model *m);

/* One more holder of m, who calls model_free once too; returns m. Never fails. */
struct model *model_ref(struct model *m);

/* The share of the leads it was fitted on that converted (0..1; 0 when not recorded). */
double model_base_rate(const struct model *m);

/*
 * The grade cut-offs derived at its training (training.h): the lowest score
 * of A, B and C into cut[0..2] (strictly decreasing, 1..100) and true; false
 * (cut untouched) when the model keeps the fixed 80, 60 and 40.
 */
bool model_grade_cutoffs(const struct model *m, int cut[3]);

/* Number of model columns (coefficients besides the intercept). */
int model_columns(const struct model *m);

#endif
