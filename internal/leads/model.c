#include "leads/model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/feature.h"
#include "leads/model_internal.h"

/* The names of feature.h's enums in the model JSON, NULL-terminated, in enum order. */
static const char *const kind_names[] = {"numeric", "categorical", "boolean", "cross", NULL};
static const char *const transform_names[] = {"none", "log1p", "days_from_arrival", NULL};
static const char *const term_names[] = {"value", "hinge", "level", "other", "true", "missing", "pair", NULL};

double
model_sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double e = exp(z);
	return e / (1 + e);
}

/*
 * Insert feature f's contribution into the top list (at most ntop, *nf so far,
 * largest magnitude first); a contribution of about 0 is left out.
 */
static void
top_insert(struct model_factor *top, int ntop, int *nf, const struct feature *f, const struct lead *l,
           double contribution)
{
	if (!top || ntop <= 0 || fabs(contribution) < 1e-9)
		return;
	int at = *nf < ntop ? *nf : ntop;
	while (at > 0 && fabs(top[at - 1].contribution) < fabs(contribution))
		at--;
	if (at >= ntop)
		return;
	for (int k = (*nf < ntop ? *nf : ntop - 1); k > at; k--)
		top[k] = top[k - 1];
	if (f->kind == FEATURE_K_CROSS)
		snprintf(top[at].feature, sizeof top[at].feature, "%s" FEATURE_CROSS_JOIN "%s", f->field.name,
		         f->field2.name);
	else
		snprintf(top[at].feature, sizeof top[at].feature, "%s", f->field.name);
	feature_value_text(f, l, top[at].value, sizeof top[at].value);
	top[at].contribution = contribution;
	if (*nf < ntop)
		(*nf)++;
}

/*
 * The trees' log-odds of l; a feature's contribution is what the splits on
 * its columns changed along the lead's paths (against the trees' value
 * before any split). Allocates nothing.
 */
static double
predict_trees(const struct model *m, const struct lead *l, struct model_factor *top, int ntop, int *nf)
{
	int idx[GBT_MAX_COLUMNS];
	double val[GBT_MAX_COLUMNS], x[GBT_MAX_COLUMNS], contrib[GBT_MAX_COLUMNS];
	int n = gbt_lead_row(m, l, idx, val);
	bool explain = top && ntop > 0;

	for (int c = 0; c < m->ncols; c++)
		x[c] = 0;
	if (explain)
		memset(contrib, 0, (size_t)m->ncols * sizeof *contrib);
	for (int k = 0; k < n; k++)
		x[idx[k]] = val[k];
	double eta = gbt_margin(m->trees, x, explain ? contrib : NULL);
	for (size_t i = 0; explain && i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		double s = 0;
		for (int c = 0; c < f->ncols; c++)
			s += contrib[f->first + c];
		top_insert(top, ntop, nf, f, l, s);
	}
	return eta;
}

double
model_predict(const struct model *m, const struct lead *l, struct model_factor *top, int ntop, int *nfactors)
{
	int idx[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4];
	double val[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4], eta = m->intercept;
	int nf = 0;

	if (m->trees) {
		eta = predict_trees(m, l, top, ntop, &nf);
		if (nfactors)
			*nfactors = nf;
		return model_sigmoid(eta);
	}
	for (size_t i = 0; i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		int n = feature_encode(f, l, idx, val);
		double s = 0;
		for (int k = 0; k < n; k++)
			s += f->cols[idx[k]].coef * val[k];
		eta += s;
		top_insert(top, ntop, &nf, f, l, s - f->base);
	}
	if (nfactors)
		*nfactors = nf;
	return model_sigmoid(eta);
}

const char *
model_learner(const struct model *m)
{
	return m->trees ? "gradient_boosted_trees" : "logistic_regression";
}

int
model_columns(const struct model *m)
{
	return m->ncols;
}

struct model *
model_ref(struct model *m)
{
	atomic_fetch_add(&m->extra_refs, 1);
	return m;
}

void
model_free(struct model *m)
{
	if (!m || atomic_fetch_sub(&m->extra_refs, 1) > 0)
		return;
	for (size_t i = 0; i < m->nfeatures; i++) {
		for (int c = 0; c < m->features[i].ncols; c++) {
			free(m->features[i].cols[c].level);
			free(m->features[i].cols[c].level2);
		}
		free(m->features[i].cols);
	}
	free(m->features);
	gbt_free(m->trees);
	free(m);
}

void
model_index(struct model *m)
{
	m->ncols = 0;
	for (size_t i = 0; i < m->nfeatures; i++) {
		struct feature *f = &m->features[i];
		f->first = m->ncols;
		f->base = 0;
		for (int c = 0; c < f->ncols; c++)
			f->base += f->cols[c].coef * f->cols[c].mean;
		m->ncols += f->ncols;
	}
}

struct model *
model_clone(const struct model *m)
{
	struct model *c = calloc(1, sizeof *c);

	if (!c || !(c->features = calloc(m->nfeatures + 1, sizeof *c->features))) {
		free(c);
		return NULL;
	}
	*c = (struct model){.features = c->features,
	                    .ncols = m->ncols,
	                    .intercept = m->intercept,
	                    .alpha = m->alpha,
	                    .n = m->n,
	                    .base_rate = m->base_rate,
	                    .grade_cut = {m->grade_cut[0], m->grade_cut[1], m->grade_cut[2]}};
	for (size_t i = 0; i < m->nfeatures; i++) {
		struct feature *f = &c->features[i];
		*f = m->features[i];
		f->ncols = 0;
		if (!(f->cols = calloc((size_t)m->features[i].ncols + 1, sizeof *f->cols))) {
			c->nfeatures = i + 1;
			model_free(c);
			return NULL;
		}
		c->nfeatures = i + 1;
		for (int k = 0; k < m->features[i].ncols; k++) {
			f->cols[k] = m->features[i].cols[k];
			f->cols[k].level = f->cols[k].level2 = NULL;
			if ((m->features[i].cols[k].level &&
			     !(f->cols[k].level = strdup(m->features[i].cols[k].level))) ||
			    (m->features[i].cols[k].level2 &&
			     !(f->cols[k].level2 = strdup(m->features[i].cols[k].level2)))) {
				f->ncols++;
				model_free(c);
				return NULL;
			}
			f->ncols++;
		}
	}
	if (m->trees && !(c->trees = gbt_clone(m->trees))) {
		model_free(c);
		return NULL;
	}
	return c;
}

/* ---- JSON: the stored form ------------------------------------------------------- */

/* Append o to array when everything so far went right (ok), else drop o; whether it all did. */
static bool
append_checked(json_t *array, json_t *o, bool ok)
{
	if (!ok) {
		json_decref(o);
		return false;
	}
	return json_array_append_new(array, o) == 0;
}

json_t *
model_to_json(const struct model *m)
{
	json_t *features = json_array();
	bool ok = features != NULL;

	/* every set and append is checked: a model that lost a part would be stored unreadable */
	for (size_t i = 0; ok && i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		json_t *cols = json_array();
		ok = cols != NULL;
		for (int c = 0; ok && c < f->ncols; c++) {
			const struct feature_column *col = &f->cols[c];
			json_t *o = json_pack("{s:s,s:f,s:f}", "term", term_names[col->term], "coef",
			                      col->coef, "mean", col->mean);
			ok = o != NULL;
			if (ok && col->term == FEATURE_T_HINGE)
				ok = json_object_set_new(o, "knot", json_real(col->knot)) == 0;
			if (ok && (col->term == FEATURE_T_LEVEL || col->term == FEATURE_T_PAIR))
				ok = json_object_set_new(o, "level", json_string(col->level)) == 0;
			if (ok && col->term == FEATURE_T_PAIR)
				ok = json_object_set_new(o, "level2", json_string(col->level2)) == 0;
			ok = append_checked(cols, o, ok);
		}
		if (!ok) {
			json_decref(cols);
			break;
		}
		json_t *o = json_pack("{s:s,s:s,s:o}", "field", f->field.name, "kind", kind_names[f->kind],
		                      "columns", cols);
		ok = o != NULL;
		if (ok && f->kind == FEATURE_K_CROSS)
			ok = json_object_set_new(o, "field2", json_string(f->field2.name)) == 0;
		if (ok && f->kind == FEATURE_K_NUMERIC)
			ok = json_object_set_new(o, "transform",
			                         json_string(transform_names[f->transform])) == 0 &&
			     json_object_set_new(o, "center", json_real(f->center)) == 0 &&
			     json_object_set_new(o, "scale", json_real(f->scale)) == 0;
		ok = append_checked(features, o, ok);
	}
	if (!ok) {
		json_decref(features);
		return NULL;
	}
	json_t *out = json_pack("{s:s,s:f,s:f,s:I,s:f,s:o}", "type", model_learner(m), "intercept",
	                        m->intercept, "alpha", m->alpha, "n", (json_int_t)m->n, "base_rate",
	                        m->base_rate, "features", features);
	if (out && m->grade_cut[0] &&
	    json_object_set_new(out, "grade_cutoffs",
	                        json_pack("{s:i,s:i,s:i}", "A", m->grade_cut[0], "B", m->grade_cut[1], "C",
	                                  m->grade_cut[2])) != 0) {
		json_decref(out);
		return NULL;
	}
	if (out && m->trees && json_object_set_new(out, "trees", gbt_to_json(m->trees)) != 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

bool
model_json_number(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return false;
	*out = json_number_value(v);
	return true;
}

static bool
read_column(const json_t *j, struct feature_column *col)
{
	const json_t *t = json_object_get(j, "term");
	int term = json_is_string(t) ? lead_enum_index(term_names, json_string_value(t)) : -1;

	if (term < 0 || !model_json_number(j, "coef", &col->coef) || !model_json_number(j, "mean", &col->mean))
		return false;
	col->term = (enum feature_term)term;
	if (col->term == FEATURE_T_HINGE && !model_json_number(j, "knot", &col->knot))
		return false;
	if (col->term == FEATURE_T_LEVEL || col->term == FEATURE_T_PAIR) {
		const json_t *lv = json_object_get(j, "level");
		if (!json_is_string(lv) || !(col->level = strdup(json_string_value(lv))))
			return false;
	}
	if (col->term == FEATURE_T_PAIR) {
		const json_t *lv = json_object_get(j, "level2");
		if (!json_is_string(lv) || !(col->level2 = strdup(json_string_value(lv))))
			return false;
	}
	return true;
}

static bool
read_feature(const json_t *j, struct feature *f)
{
	const json_t *field = json_object_get(j, "field"), *kind = json_object_get(j, "kind"),
	             *cols = json_object_get(j, "columns");
	int k = json_is_string(kind) ? lead_enum_index(kind_names, json_string_value(kind)) : -1;

	if (!json_is_string(field) || !lead_field_resolve(json_string_value(field), &f->field) || k < 0 ||
	    !json_is_array(cols) || json_array_size(cols) > FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 2)
		return false;
	f->kind = (enum feature_kind)k;
	if (f->kind == FEATURE_K_CROSS) {
		const json_t *f2 = json_object_get(j, "field2");
		if (!json_is_string(f2) || !lead_field_resolve(json_string_value(f2), &f->field2))
			return false;
	}
	if (f->kind == FEATURE_K_NUMERIC) {
		const json_t *tr = json_object_get(j, "transform");
		int t = json_is_string(tr) ? lead_enum_index(transform_names, json_string_value(tr)) : -1;
		if (t < 0 || !model_json_number(j, "center", &f->center) || !model_json_number(j, "scale", &f->scale) ||
		    f->scale <= 0)
			return false;
		f->transform = (enum feature_transform)t;
	}
	f->cols = calloc(json_array_size(cols) + 1, sizeof *f->cols);
	if (!f->cols)
		return false;
	for (size_t c = 0; c < json_array_size(cols); c++) {
		if (!read_column(json_array_get(cols, c), &f->cols[c])) {
			free(f->cols[c].level);
			free(f->cols[c].level2);
			return false;
		}
		f->ncols++;
		/* a cross has pairs of levels and nothing else; only a cross has them */
		if ((f->cols[c].term == FEATURE_T_PAIR) != (f->kind == FEATURE_K_CROSS))
			return false;
	}
	return true;
}

enum status
model_from_json(const json_t *j, struct model **out)
{
	char why[256];

	return model_read(j, out, why, sizeof why);
}

enum status
model_read(const json_t *j, struct model **out, char *why, size_t whylen)
{
	struct model *m = calloc(1, sizeof *m);
	const json_t *features = json_object_get(j, "features"), *n = json_object_get(j, "n"),
	             *type = json_object_get(j, "type");
	enum status st = ST_INVALID;

	snprintf(why, whylen, "%s", "the model is malformed");
	if (!m)
		return ST_NOMEM;
	/* models stored before the trees have no type: logistic */
	bool trees = json_is_string(type) && strcmp(json_string_value(type), "gradient_boosted_trees") == 0;
	if (type && !trees && !(json_is_string(type) && strcmp(json_string_value(type), "logistic_regression") == 0)) {
		snprintf(why, whylen, "%s", "type must be logistic_regression or gradient_boosted_trees");
		goto out;
	}
	if (!json_is_array(features) || !model_json_number(j, "intercept", &m->intercept) ||
	    !model_json_number(j, "alpha", &m->alpha) || !json_is_integer(n))
		goto out;
	m->n = (size_t)json_integer_value(n);
	/* both are absent from models trained before issue 12's grades: no base rate, fixed cut-offs */
	if (json_object_get(j, "base_rate") &&
	    (!model_json_number(j, "base_rate", &m->base_rate) || m->base_rate < 0 || m->base_rate > 1))
		goto out;
	const json_t *cuts = json_object_get(j, "grade_cutoffs");
	if (cuts) {
		static const char *const letters[] = {"A", "B", "C"};
		for (int g = 0; g < 3; g++) {
			const json_t *v = json_object_get(cuts, letters[g]);
			if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 100)
				goto out;
			m->grade_cut[g] = (int)json_integer_value(v);
		}
		if (!(m->grade_cut[0] > m->grade_cut[1] && m->grade_cut[1] > m->grade_cut[2]))
			goto out;
	}
	m->features = calloc(json_array_size(features) + 1, sizeof *m->features);
	if (!m->features) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(features); i++) {
		bool ok = read_feature(json_array_get(features, i), &m->features[i]);
		m->nfeatures++;
		if (!ok)
			goto out;
	}
	model_index(m);
	if (trees && (st = gbt_from_json(json_object_get(j, "trees"), m->ncols, &m->trees, why, whylen)) != ST_OK)
		goto out;
	if (!trees && json_object_get(j, "trees")) {
		snprintf(why, whylen, "%s", "a logistic_regression model has no trees");
		st = ST_INVALID;
		goto out;
	}
	*out = m;
	m = NULL;
	st = ST_OK;
out:
	model_free(m);
	return st;
}

double
model_base_rate(const struct model *m)
{
	return m->base_rate;
}

bool
model_grade_cutoffs(const struct model *m, int cut[3])
{
	if (!m->grade_cut[0])
		return false;
	memcpy(cut, m->grade_cut, sizeof m->grade_cut);
	return true;
}
