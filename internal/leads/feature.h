/*
 * feature.h — how a lead becomes the columns of the learned model (DESIGN §7
 * "Leads"). Pure: no I/O.
 *
 * A feature is one field of a lead (two for a cross) and the columns it
 * gives:
 *   - numeric fields (budget, employees, engagement, numeric attributes;
 *     timeline as days from the lead's arrival to the expected purchase):
 *     log1p when never negative and skewed, then standardised; plus hinge
 *     terms max(0, z - k) at knots of z, so the effect may bend; a missing
 *     indicator.
 *   - categorical fields (source, industry, authority, need, text
 *     attributes): one-hot of some levels, the rest bucketed as "other", and
 *     a missing indicator.
 *   - boolean attributes: true, and a missing indicator.
 *   - crosses of two categorical fields: an indicator per pair of levels.
 * Which features and columns a model has is decided by discovery.h; the
 * coefficients by fit.h.
 */
#ifndef ATTAIN_LEADS_FEATURE_H
#define ATTAIN_LEADS_FEATURE_H

#include <stdbool.h>
#include <stddef.h>

#include "leads/lead.h"

#define FEATURE_MAX_LEVELS 50           /* one-hot levels (or pairs of levels) per feature */
#define FEATURE_MAX_KNOTS 3             /* hinge terms per numeric feature */
#define FEATURE_CROSS_JOIN " \xc3\x97 " /* " × " (UTF-8): joins the two parts of a cross in explanations */

/* The names of these enums in the stored model JSON are model.c's. */
enum feature_kind { FEATURE_K_NUMERIC, FEATURE_K_CATEGORICAL, FEATURE_K_BOOLEAN, FEATURE_K_CROSS };
enum feature_transform { FEATURE_TR_NONE, FEATURE_TR_LOG1P, FEATURE_TR_DAYS };
enum feature_term {
	FEATURE_T_VALUE,
	FEATURE_T_HINGE,
	FEATURE_T_LEVEL,
	FEATURE_T_OTHER,
	FEATURE_T_TRUE,
	FEATURE_T_MISSING,
	FEATURE_T_PAIR
};

struct feature_column {
	enum feature_term term;
	double knot;  /* FEATURE_T_HINGE */
	char *level;  /* owned; FEATURE_T_LEVEL, and the first field's level of FEATURE_T_PAIR */
	char *level2; /* owned; FEATURE_T_PAIR: the second field's level */
	double coef;
	double mean; /* over the training leads, to centre contributions */
};

struct feature {
	struct lead_field_ref field;
	struct lead_field_ref field2; /* FEATURE_K_CROSS: the second field */
	enum feature_kind kind;
	enum feature_transform transform;
	double center; /* numeric: mean and sd of the transformed value */
	double scale;
	struct feature_column *cols; /* owned */
	int ncols;
	int first;   /* index of cols[0] among the model's columns */
	double base; /* sum of coef * mean over the columns */
};

/*
 * The non-zero columns of feature f for lead l: their indexes (local to f)
 * into idx and values into val, which must hold f->ncols entries; returns
 * how many (0..f->ncols). Never fails.
 */
int feature_encode(const struct feature *f, const struct lead *l, int *idx, double *val);

/*
 * The lead's value of feature f as text for an explanation, into buf (len
 * bytes, at least sizeof FEATURE_CROSS_JOIN): "" when missing; cut to fit
 * on a UTF-8 character boundary, each half of a cross getting at most half
 * the room. Never fails.
 */
void feature_value_text(const struct feature *f, const struct lead *l, char *buf, size_t len);

/*
 * Field f of l as a number, before any transform: a number, a numeric text
 * (feature_numeric_text), or for FEATURE_TR_DAYS a date as days from
 * l->created_on. True with it in *x; false when the field is missing or
 * not a finite number (*x may have been written).
 */
bool feature_raw_number(const struct lead_field_ref *f, enum feature_transform tr, const struct lead *l,
                        double *x);

/*
 * Field f of l as a category: NULL when missing or blank; else a string that
 * is borrowed from the lead, static ("true", "false"), or, for numbers and
 * dates, formatted into buf (len bytes) and returned.
 */
const char *feature_raw_text(const struct lead_field_ref *f, const struct lead *l, char *buf, size_t len);

/*
 * Whether s is a decimal number written as text ("12", "-3.5", "1e3"; not
 * hex, inf, nan, nor a code with a leading zero such as "01234"), as CRMs
 * often export them: true with its value in *x; false otherwise (*x may
 * have been written).
 */
bool feature_numeric_text(const char *s, double *x);

/* Whether s is empty or only spaces: a form field left blank, which the model takes as missing. */
bool feature_blank(const char *s);

/* x after transform tr: log1p(max(x, 0)) for FEATURE_TR_LOG1P, else x itself. */
double feature_transformed(enum feature_transform tr, double x);

#endif
