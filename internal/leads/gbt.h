/*
 * gbt.h — the second learner of a lead score: gradient-boosted trees on
 * the columns the logistic model is made of (feature.h), beside it
 * (DESIGN §7 "Leads"). Pure: no I/O beyond the lead source.
 *
 * The learner (gbt_fit) works on a sparse matrix whose absent entries are
 * 0 and whose NAN entries are missing values. Each usable column is cut
 * into at most GBT_MAX_BINS - 1 histogram bins (every distinct value when
 * there are few, else quantiles of the fit rows) plus a bin for missing
 * values. Trees grow depth-first to o->max_depth on the log-loss gradient
 * and hessian: a split maximises the L2-regularised gain (lambda) with at
 * least min_child_weight of hessian on each side, and learns which side
 * missing values go; a leaf is -G / (H + lambda) times the learning rate.
 * Rounds stop early when the log-loss of the validation rows has not
 * improved for o->patience rounds; the trees are cut back to its best.
 * Deterministic: no sampling, no clock.
 *
 * A lead becomes a row through the model's features: every column of the
 * logistic model but the hinge terms (a tree bends on its own), a missing
 * numeric value NAN (its missing indicator column stays too).
 */
#ifndef ATTAIN_LEADS_GBT_H
#define ATTAIN_LEADS_GBT_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/status.h"
#include "leads/lead.h"

#define GBT_MAX_BINS 256    /* per column, the missing values' bin included */
#define GBT_MAX_COLUMNS 512 /* columns a tree model may read */
#define GBT_MAX_DEPTH 8     /* of a tree read from JSON */
#define GBT_MAX_TREES 5000  /* of a model read from JSON */
#define GBT_MAX_ROWS 100000 /* leads a tree model is fitted on (a sample by lead id beyond) */

struct gbt;
struct model;

struct gbt_options {
	int max_depth;           /* 1..GBT_MAX_DEPTH */
	int max_rounds;          /* trees at most */
	int patience;            /* rounds without a better validation loss before stopping */
	double learning_rate;    /* shrinkage of each leaf */
	double lambda;           /* L2 penalty of the leaf values */
	double min_child_weight; /* least hessian on each side of a split */
};

/* The options the service trains with: depth 4, 0.1, lambda 1, min child weight 1, 500 rounds, patience 30.
 */
struct gbt_options gbt_default_options(void);

/* Rows of a sparse matrix: row i's entries are col[start[i]..start[i+1]) and val[...]. */
struct gbt_matrix {
	size_t n;
	int p;                           /* columns, 1..GBT_MAX_COLUMNS */
	const size_t *start;             /* n + 1 */
	const int *col;                  /* 0..p-1, each at most once per row */
	const double *val;               /* finite, or NAN for missing; an absent entry is 0 */
	const unsigned char *splittable; /* p flags, NULL = every column */
};

enum gbt_role { GBT_SKIP, GBT_FIT, GBT_VALIDATE };

/*
 * Boost trees on the rows of x whose role is GBT_FIT (outcomes y, 0 or 1),
 * measuring each round on the GBT_VALIDATE rows (none: exactly
 * o->max_rounds rounds). ST_OK with *out new (free with gbt_free) and the
 * rounds kept in *rounds; ST_INVALID when there is no fit row or the
 * options are out of range; ST_NOMEM. On error *out is untouched.
 */
enum status gbt_fit(const struct gbt_matrix *x, const unsigned char *y, const unsigned char *role,
                    const struct gbt_options *o, struct gbt **out, int *rounds);

/*
 * The log-odds of a dense row x (p values, NAN for missing). When contrib is
 * non-NULL (p entries, zeroed by the caller), each split's change of the
 * tree's value is added to the entry of the column it reads: their sum is the
 * log-odds less gbt_expected(g). Never fails; allocates nothing.
 */
double gbt_margin(const struct gbt *g, const double *x, double *contrib);

/* The log-odds of a lead before any split (the base score and every root's value). */
double gbt_expected(const struct gbt *g);

/* Number of trees. */
int gbt_trees(const struct gbt *g);

/* Number of columns it reads (p of its matrix). */
int gbt_columns(const struct gbt *g);

void gbt_free(struct gbt *g);

/* A deep copy (free with gbt_free); NULL when out of memory. */
struct gbt *gbt_clone(const struct gbt *g);

/*
 * {"base_score", "learning_rate", "max_depth", "lambda", "rounds", "trees":
 * [[node, ...], ...]}, a node {"value"} (a leaf) or {"column", "threshold",
 * "missing": "left" | "right", "left", "right", "value"} (left/right index
 * the tree's nodes; a value <= threshold goes left; value is the tree's
 * log-odds there, with shrinkage). A new reference; NULL when out of memory.
 */
json_t *gbt_to_json(const struct gbt *g);

/*
 * Read what gbt_to_json wrote for a model of p columns. ST_OK with *out new;
 * ST_INVALID with a sentence in why (whylen bytes) when j is damaged: a
 * column outside 0..p-1, a child index that does not point forward within
 * its tree or is shared (a cycle, a lost node), a number not finite, a tree
 * deeper than GBT_MAX_DEPTH or too many trees; ST_NOMEM. On error *out is
 * untouched.
 */
enum status gbt_from_json(const json_t *j, int p, struct gbt **out, char *why, size_t whylen);

/* ---- trees over a lead model's columns ------------------------------------------ */

/*
 * The row of lead l (m's features, as the header says) into idx/val (each
 * with room for model_columns(m) entries, global column numbers); returns
 * how many. Never fails.
 */
int gbt_lead_row(const struct model *m, const struct lead *l, int *idx, double *val);

/*
 * Fit trees on the leads of src with the columns of `shape` (a fitted
 * logistic model): rounds chosen on a validation slice (a fifth, by lead id)
 * of the train leads (train[i] set; the others are never seen), the
 * evaluation trees fitted on the rest of the train leads into *eval; then
 * as many rounds on every lead (at most GBT_MAX_ROWS, a sample by lead id)
 * into *final. ST_OK with both new and the rounds in *rounds; ST_INVALID when
 * shape has more than GBT_MAX_COLUMNS columns; ST_NOMEM; or src->get's
 * status. On error nothing is written.
 */
enum status gbt_train(const struct model *shape, const struct lead_source *src, const unsigned char *train,
                      const unsigned char *y, const struct gbt_options *o, struct gbt **eval,
                      struct gbt **final, int *rounds);

#endif
