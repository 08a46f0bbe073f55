/*
 * model_internal.h — the inside of a trained model, shared by the files that
 * build and read one (model.c, discovery.c, fit.c, training.c); nothing
 * outside internal/leads includes it.
 */
#ifndef ATTAIN_LEADS_MODEL_INTERNAL_H
#define ATTAIN_LEADS_MODEL_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "leads/feature.h"
#include "leads/gbt.h"
#include "leads/model.h"

struct model {
	struct feature *features; /* owned */
	size_t nfeatures;
	int ncols;
	double intercept;
	double alpha;
	size_t n;              /* leads it was fitted on */
	double base_rate;      /* share of those that converted, 0..1; 0 = not recorded (older models) */
	int grade_cut[3];      /* the lowest score of A, B and C; all 0 = the fixed 80, 60, 40 */
	struct gbt *trees;     /* owned; set: the trees (gbt.h) give the probability, over these columns */
	atomic_int extra_refs; /* holders besides the first (model_ref) */
};

/* Number m's columns (each feature's first) and compute each feature's base. Never fails. */
void model_index(struct model *m);

/* A deep copy of m with one holder (free with model_free); NULL when out of memory. */
struct model *model_clone(const struct model *m);

/* Member k of JSON object o when a finite number: true with it in *out; else false (*out untouched). */
bool model_json_number(const json_t *o, const char *k, double *out);

/* The logistic function 1 / (1 + e^-z), without overflow. */
double model_sigmoid(double z);

/*
 * splitmix64's mix of x: the hash of a lead id behind the holdout split
 * (training.c), the folds and the cross-validation sample (fit.c).
 */
static inline uint64_t
model_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

#endif
