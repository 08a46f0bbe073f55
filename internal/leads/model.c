#include "leads/model.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS 50       /* one-hot levels per field */
#define MAX_CANDIDATES 300  /* fields considered */
#define MAX_COLUMNS 400     /* columns of the model (the Hessian is dense) */
#define MAX_KNOTS 3
#define NFOLDS 5
#define CV_MAX_ROWS 10000   /* alpha is chosen on at most this many leads */
#define NEWTON_MAX_ITER 60
#define NUMERIC_TEXT_MIN_DISTINCT 20 /* numeric texts with fewer distinct values are categories */
#define CROSS_FIELDS 6      /* categorical fields whose pairs of levels become columns */
#define CROSS_PENALTY 4.0   /* a cross column's L2 penalty, in multiples of a main effect's */
#define CROSS_JOIN " \xc3\x97 " /* " × " (UTF-8): joins the two parts of a cross in explanations */

/* Penalty per lead, strongest first (warm starts follow the path). */
static const double alpha_grid[] = { 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001 };

enum kind { K_NUMERIC, K_CATEGORICAL, K_BOOLEAN, K_CROSS };
enum transform { TR_NONE, TR_LOG1P, TR_DAYS };
enum term { T_VALUE, T_HINGE, T_LEVEL, T_OTHER, T_TRUE, T_MISSING, T_PAIR };

static const char *const kind_names[] = { "numeric", "categorical", "boolean", "cross", NULL };
static const char *const transform_names[] = { "none", "log1p", "days_from_arrival", NULL };
static const char *const term_names[] = { "value", "hinge", "level", "other", "true", "missing", "pair", NULL };

struct column {
	enum term term;
	double knot;  /* T_HINGE */
	char *level;  /* owned; T_LEVEL, and the first field's level of T_PAIR */
	char *level2; /* owned; T_PAIR: the second field's level */
	double coef;
	double mean;  /* over the training leads, to centre contributions */
};

struct feature {
	struct lead_field_ref field;
	struct lead_field_ref field2; /* K_CROSS: the second field */
	enum kind kind;
	enum transform transform;
	double center; /* numeric: mean and sd of the transformed value */
	double scale;
	struct column *cols; /* owned */
	int ncols;
	int first;           /* index of cols[0] among the model's columns */
	double base;         /* sum of coef * mean over the columns */
};

struct lr_model {
	struct feature *features; /* owned */
	size_t nfeatures;
	int ncols;
	double intercept;
	double alpha;
	size_t n; /* leads it was fitted on */
	atomic_int extra_refs; /* holders besides the first (lr_model_ref) */
};

/* ---- encoding a lead ---------------------------------------------------------- */

static double
sigmoid(double z)
{
	if (z >= 0)
		return 1 / (1 + exp(-z));
	double e = exp(z);
	return e / (1 + e);
}

/* log(1 + e^z) without overflow. */
static double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/*
 * A decimal number written as text ("12", "-3.5", "1e3"; no hex, inf or
 * nan), as CRMs often export them: true with its value in *x.
 */
static bool
numeric_text(const char *s, double *x)
{
	char *end;

	if (!*s || strspn(s, "0123456789+-.eE") != strlen(s))
		return false;
	/* "01234" is a code (a postal code, an account number), not a number */
	const char *d = s + (*s == '+' || *s == '-');
	if (d[0] == '0' && d[1] >= '0' && d[1] <= '9')
		return false;
	*x = strtod(s, &end);
	return *end == '\0' && end != s && isfinite(*x);
}

static bool
raw_number(const struct lead_field_ref *f, enum transform tr, const struct lead *l, double *x)
{
	struct lead_value v;

	lead_value_get(l, f, &v);
	if (tr == TR_DAYS && v.type == LV_DATE) {
		*x = (double)v.date - (double)l->created_on;
		return true;
	}
	if (v.type == LV_TEXT)
		return numeric_text(v.text, x);
	if (v.type != LV_NUMBER || !isfinite(v.number))
		return false;
	*x = v.number;
	return true;
}

static double
transformed(enum transform tr, double x)
{
	return tr == TR_LOG1P ? log1p(x > 0 ? x : 0) : x;
}

/* Empty or only spaces: a form field left blank, which the model takes as missing. */
static bool
blank(const char *s)
{
	return s[strspn(s, " \t\r\n")] == '\0';
}

/* The value of a field as a category (NULL when missing); numbers are formatted into buf. */
static const char *
raw_text(const struct lead_field_ref *f, const struct lead *l, char *buf, size_t len)
{
	struct lead_value v;

	lead_value_get(l, f, &v);
	switch (v.type) {
	case LV_TEXT: return blank(v.text) ? NULL : v.text;
	case LV_ORDINAL: return v.text;
	case LV_NUMBER: snprintf(buf, len, "%.15g", v.number); return buf;
	case LV_BOOL: return v.flag ? "true" : "false";
	case LV_DATE: cal_date_format(v.date, buf, len); return buf;
	case LV_NULL: break;
	}
	return NULL;
}

static int
find_term(const struct feature *f, enum term t)
{
	for (int c = 0; c < f->ncols; c++)
		if (f->cols[c].term == t)
			return c;
	return -1;
}

/*
 * The non-zero columns of feature f for lead l (indexes local to f) into
 * idx/val; returns how many (at most f->ncols).
 */
static int
encode(const struct feature *f, const struct lead *l, int *idx, double *val)
{
	char buf[40];
	const char *s;
	int n = 0, c;
	double x;
	struct lead_value v;

	switch (f->kind) {
	case K_NUMERIC:
		if (!raw_number(&f->field, f->transform, l, &x))
			break;
		x = (transformed(f->transform, x) - f->center) / f->scale;
		for (c = 0; c < f->ncols; c++)
			if (f->cols[c].term == T_VALUE) {
				idx[n] = c;
				val[n++] = x;
			} else if (f->cols[c].term == T_HINGE && x > f->cols[c].knot) {
				idx[n] = c;
				val[n++] = x - f->cols[c].knot;
			}
		return n;
	case K_CATEGORICAL:
		if (!(s = raw_text(&f->field, l, buf, sizeof buf)))
			break;
		for (c = 0; c < f->ncols; c++)
			if (f->cols[c].term == T_LEVEL && strcmp(f->cols[c].level, s) == 0)
				break;
		if (c == f->ncols)
			c = find_term(f, T_OTHER);
		if (c >= 0) {
			idx[n] = c;
			val[n++] = 1;
		}
		return n;
	case K_BOOLEAN:
		lead_value_get(l, &f->field, &v);
		if (v.type != LV_BOOL)
			break;
		if (v.flag && (c = find_term(f, T_TRUE)) >= 0) {
			idx[n] = c;
			val[n++] = 1;
		}
		return n;
	case K_CROSS: {
		char buf2[40];
		const char *s2;
		if (!(s = raw_text(&f->field, l, buf, sizeof buf)) || !(s2 = raw_text(&f->field2, l, buf2, sizeof buf2)))
			return 0;
		for (c = 0; c < f->ncols; c++)
			if (strcmp(f->cols[c].level, s) == 0 && strcmp(f->cols[c].level2, s2) == 0) {
				idx[n] = c;
				val[n++] = 1;
				break;
			}
		return n;
	}
	}
	if ((c = find_term(f, T_MISSING)) >= 0) {
		idx[n] = c;
		val[n++] = 1;
	}
	return n;
}

/* src into dst (cap bytes), cut if need be before a whole UTF-8 character, never inside one. */
static void
utf8_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * The lead's value of feature f as text for an explanation ("" when
 * missing), cut to fit len on a character boundary; each half of a cross
 * gets at most half the room.
 */
static void
value_text(const struct feature *f, const struct lead *l, char *buf, size_t len)
{
	char num[40];
	const char *s;
	double x;

	buf[0] = '\0';
	if (f->kind == K_NUMERIC) {
		if (raw_number(&f->field, f->transform, l, &x))
			snprintf(buf, len, "%.15g", x);
	} else if (f->kind == K_CROSS) {
		char num2[40];
		const char *s2 = raw_text(&f->field2, l, num2, sizeof num2);
		size_t half = (len - (sizeof CROSS_JOIN - 1)) / 2; /* with its terminator */
		if ((s = raw_text(&f->field, l, num, sizeof num)) != NULL && s2 && half > 1) {
			utf8_copy(buf, half, s);
			size_t at = strlen(buf);
			memcpy(buf + at, CROSS_JOIN, sizeof CROSS_JOIN - 1);
			utf8_copy(buf + at + sizeof CROSS_JOIN - 1, half, s2);
		}
	} else if ((s = raw_text(&f->field, l, num, sizeof num)) != NULL)
		utf8_copy(buf, len, s);
}

double
lr_predict(const struct lr_model *m, const struct lead *l, struct score_factor *top, int ntop, int *nfactors)
{
	int idx[MAX_LEVELS + MAX_KNOTS + 4];
	double val[MAX_LEVELS + MAX_KNOTS + 4], eta = m->intercept;
	int nf = 0;

	for (size_t i = 0; i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		int n = encode(f, l, idx, val);
		double s = 0;
		for (int k = 0; k < n; k++)
			s += f->cols[idx[k]].coef * val[k];
		eta += s;
		double contribution = s - f->base;
		if (!top || ntop <= 0 || fabs(contribution) < 1e-9)
			continue;
		/* insertion into the top list, largest magnitude first */
		int at = nf < ntop ? nf : ntop;
		while (at > 0 && fabs(top[at - 1].contribution) < fabs(contribution))
			at--;
		if (at >= ntop)
			continue;
		for (int k = (nf < ntop ? nf : ntop - 1); k > at; k--)
			top[k] = top[k - 1];
		if (f->kind == K_CROSS)
			snprintf(top[at].feature, sizeof top[at].feature, "%s" CROSS_JOIN "%s", f->field.name,
				 f->field2.name);
		else
			snprintf(top[at].feature, sizeof top[at].feature, "%s", f->field.name);
		value_text(f, l, top[at].value, sizeof top[at].value);
		top[at].contribution = contribution;
		if (nf < ntop)
			nf++;
	}
	if (nfactors)
		*nfactors = nf;
	return sigmoid(eta);
}

int
lr_model_columns(const struct lr_model *m)
{
	return m->ncols;
}

struct lr_model *
lr_model_ref(struct lr_model *m)
{
	atomic_fetch_add(&m->extra_refs, 1);
	return m;
}

void
lr_model_free(struct lr_model *m)
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
	free(m);
}

/* Number the columns and compute each feature's base. */
static void
model_index(struct lr_model *m)
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

/* ---- JSON ---------------------------------------------------------------------- */

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
lr_model_to_json(const struct lr_model *m)
{
	json_t *features = json_array();
	bool ok = features != NULL;

	/* every set and append is checked: a model that lost a part would be stored unreadable */
	for (size_t i = 0; ok && i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		json_t *cols = json_array();
		ok = cols != NULL;
		for (int c = 0; ok && c < f->ncols; c++) {
			const struct column *col = &f->cols[c];
			json_t *o = json_pack("{s:s,s:f,s:f}", "term", term_names[col->term], "coef", col->coef, "mean",
					      col->mean);
			ok = o != NULL;
			if (ok && col->term == T_HINGE)
				ok = json_object_set_new(o, "knot", json_real(col->knot)) == 0;
			if (ok && (col->term == T_LEVEL || col->term == T_PAIR))
				ok = json_object_set_new(o, "level", json_string(col->level)) == 0;
			if (ok && col->term == T_PAIR)
				ok = json_object_set_new(o, "level2", json_string(col->level2)) == 0;
			ok = append_checked(cols, o, ok);
		}
		if (!ok) {
			json_decref(cols);
			break;
		}
		json_t *o = json_pack("{s:s,s:s,s:o}", "field", f->field.name, "kind", kind_names[f->kind], "columns",
				      cols);
		ok = o != NULL;
		if (ok && f->kind == K_CROSS)
			ok = json_object_set_new(o, "field2", json_string(f->field2.name)) == 0;
		if (ok && f->kind == K_NUMERIC)
			ok = json_object_set_new(o, "transform", json_string(transform_names[f->transform])) == 0 &&
			     json_object_set_new(o, "center", json_real(f->center)) == 0 &&
			     json_object_set_new(o, "scale", json_real(f->scale)) == 0;
		ok = append_checked(features, o, ok);
	}
	if (!ok) {
		json_decref(features);
		return NULL;
	}
	return json_pack("{s:s,s:f,s:f,s:I,s:o}", "type", "logistic_regression", "intercept", m->intercept, "alpha",
			 m->alpha, "n", (json_int_t)m->n, "features", features);
}

static bool
number_of(const json_t *o, const char *k, double *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_number(v) || !isfinite(json_number_value(v)))
		return false;
	*out = json_number_value(v);
	return true;
}

static bool
column_from_json(const json_t *j, struct column *col)
{
	const json_t *t = json_object_get(j, "term");
	int term = json_is_string(t) ? lead_enum_index(term_names, json_string_value(t)) : -1;

	if (term < 0 || !number_of(j, "coef", &col->coef) || !number_of(j, "mean", &col->mean))
		return false;
	col->term = (enum term)term;
	if (col->term == T_HINGE && !number_of(j, "knot", &col->knot))
		return false;
	if (col->term == T_LEVEL || col->term == T_PAIR) {
		const json_t *lv = json_object_get(j, "level");
		if (!json_is_string(lv) || !(col->level = strdup(json_string_value(lv))))
			return false;
	}
	if (col->term == T_PAIR) {
		const json_t *lv = json_object_get(j, "level2");
		if (!json_is_string(lv) || !(col->level2 = strdup(json_string_value(lv))))
			return false;
	}
	return true;
}

static bool
feature_from_json(const json_t *j, struct feature *f)
{
	const json_t *field = json_object_get(j, "field"), *kind = json_object_get(j, "kind"),
		     *cols = json_object_get(j, "columns");
	int k = json_is_string(kind) ? lead_enum_index(kind_names, json_string_value(kind)) : -1;

	if (!json_is_string(field) || !lead_field_resolve(json_string_value(field), &f->field) || k < 0 ||
	    !json_is_array(cols) || json_array_size(cols) > MAX_LEVELS + MAX_KNOTS + 2)
		return false;
	f->kind = (enum kind)k;
	if (f->kind == K_CROSS) {
		const json_t *f2 = json_object_get(j, "field2");
		if (!json_is_string(f2) || !lead_field_resolve(json_string_value(f2), &f->field2))
			return false;
	}
	if (f->kind == K_NUMERIC) {
		const json_t *tr = json_object_get(j, "transform");
		int t = json_is_string(tr) ? lead_enum_index(transform_names, json_string_value(tr)) : -1;
		if (t < 0 || !number_of(j, "center", &f->center) || !number_of(j, "scale", &f->scale) || f->scale <= 0)
			return false;
		f->transform = (enum transform)t;
	}
	f->cols = calloc(json_array_size(cols) + 1, sizeof *f->cols);
	if (!f->cols)
		return false;
	for (size_t c = 0; c < json_array_size(cols); c++) {
		if (!column_from_json(json_array_get(cols, c), &f->cols[c])) {
			free(f->cols[c].level);
			free(f->cols[c].level2);
			return false;
		}
		f->ncols++;
		/* a cross has pairs of levels and nothing else; only a cross has them */
		if ((f->cols[c].term == T_PAIR) != (f->kind == K_CROSS))
			return false;
	}
	return true;
}

enum status
lr_model_from_json(const json_t *j, struct lr_model **out)
{
	struct lr_model *m = calloc(1, sizeof *m);
	const json_t *features = json_object_get(j, "features"), *n = json_object_get(j, "n");
	enum status st = ST_INVALID;

	if (!m)
		return ST_NOMEM;
	if (!json_is_array(features) || !number_of(j, "intercept", &m->intercept) || !number_of(j, "alpha", &m->alpha) ||
	    !json_is_integer(n))
		goto out;
	m->n = (size_t)json_integer_value(n);
	m->features = calloc(json_array_size(features) + 1, sizeof *m->features);
	if (!m->features) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < json_array_size(features); i++) {
		bool ok = feature_from_json(json_array_get(features, i), &m->features[i]);
		m->nfeatures++;
		if (!ok)
			goto out;
	}
	model_index(m);
	*out = m;
	m = NULL;
	st = ST_OK;
out:
	lr_model_free(m);
	return st;
}

/* ---- metrics ------------------------------------------------------------------- */

struct scored {
	double p;
	unsigned char y;
};

static int
by_p(const void *a, const void *b)
{
	const struct scored *x = a, *y = b;

	return x->p < y->p ? -1 : x->p > y->p;
}

static struct scored *
sorted_pairs(const double *p, const unsigned char *y, size_t n)
{
	struct scored *s = malloc((n ? n : 1) * sizeof *s);

	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		s[i] = (struct scored){ p[i], y[i] ? 1 : 0 };
	qsort(s, n, sizeof *s, by_p);
	return s;
}

double
metric_auc(const double *p, const unsigned char *y, size_t n)
{
	struct scored *s = sorted_pairs(p, y, n);
	double rank_sum = 0, n1 = 0;

	if (!s)
		return NAN;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && s[j].p == s[i].p)
			j++;
		double avg_rank = ((double)i + 1 + (double)j) / 2; /* ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (s[k].y) {
				rank_sum += avg_rank;
				n1++;
			}
		i = j;
	}
	free(s);
	double n0 = (double)n - n1;
	if (n1 == 0 || n0 == 0)
		return NAN;
	return (rank_sum - n1 * (n1 + 1) / 2) / (n1 * n0);
}

double
metric_brier(const double *p, const unsigned char *y, size_t n)
{
	double s = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++)
		s += (p[i] - (y[i] ? 1 : 0)) * (p[i] - (y[i] ? 1 : 0));
	return s / (double)n;
}

double
metric_log_loss(const double *p, const unsigned char *y, size_t n)
{
	double s = 0;

	if (n == 0)
		return NAN;
	for (size_t i = 0; i < n; i++) {
		double q = p[i] < 1e-15 ? 1e-15 : p[i] > 1 - 1e-15 ? 1 - 1e-15 : p[i];
		s -= y[i] ? log(q) : log(1 - q);
	}
	return s / (double)n;
}

int
metric_calibration(const double *p, const unsigned char *y, size_t n, int nbins, struct calibration_bin *out)
{
	struct scored *s;
	size_t at = 0;
	int bins = (size_t)nbins < n ? nbins : (int)n;

	if (bins <= 0)
		return 0;
	if (!(s = sorted_pairs(p, y, n)))
		return -1;
	for (int b = 0; b < bins; b++) {
		size_t size = n / (size_t)bins + ((size_t)b < n % (size_t)bins ? 1 : 0);
		double sp = 0, sy = 0;
		for (size_t k = at; k < at + size; k++) {
			sp += s[k].p;
			sy += s[k].y;
		}
		out[b] = (struct calibration_bin){ .count = size, .predicted = sp / (double)size,
						   .observed = sy / (double)size };
		at += size;
	}
	free(s);
	return bins;
}

/* ---- the split ------------------------------------------------------------------- */

static uint64_t
splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

bool
lead_in_holdout(int64_t id, int holdout_pct)
{
	return splitmix64((uint64_t)id) % 100 < (uint64_t)holdout_pct;
}

static int
fold_of(int64_t id)
{
	return (int)((splitmix64((uint64_t)id) >> 32) % NFOLDS);
}

/* In the subsample on which alpha is chosen (about `share` of the leads, per mille)? */
static bool
in_cv_sample(int64_t id, unsigned share)
{
	return (splitmix64((uint64_t)id ^ 0x5bd1e995ULL) >> 20) % 1000 < share;
}

/* ---- discovering the features ------------------------------------------------------ */

struct candidate {
	struct lead_field_ref field;
	bool fixed;        /* a lead column: kind and transform are given */
	enum kind kind;
	enum transform transform;
	size_t present;
	size_t n_text, n_number, n_bool;
	size_t n_numeric_text; /* texts that are numbers ("12.5") */
	json_t *levels;    /* owned: level -> count */
	json_t *converted; /* owned: level -> how many of its leads converted */
	size_t present_converted;
	double *values;    /* owned: the numbers seen */
	size_t nvalues, cap;
};

struct discovery {
	struct candidate *c; /* owned */
	size_t n, cap;
	json_t *index;       /* owned: field name -> index in c */
	size_t rows, rows_converted;
	bool oom;
};

static struct candidate *
candidate_add(struct discovery *d, const char *name)
{
	struct lead_field_ref ref;

	if (d->n == MAX_CANDIDATES || !lead_field_resolve(name, &ref))
		return NULL;
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 32;
		struct candidate *c = realloc(d->c, cap * sizeof *c);
		if (!c) {
			d->oom = true;
			return NULL;
		}
		d->c = c;
		d->cap = cap;
	}
	struct candidate *c = &d->c[d->n];
	memset(c, 0, sizeof *c);
	c->field = ref;
	c->levels = json_object();
	c->converted = json_object();
	if (!c->levels || !c->converted || json_object_set_new(d->index, name, json_integer((json_int_t)d->n)) != 0) {
		json_decref(c->levels);
		json_decref(c->converted);
		d->oom = true;
		return NULL;
	}
	d->n++;
	return c;
}

static void
discovery_clear(struct discovery *d)
{
	for (size_t i = 0; i < d->n; i++) {
		json_decref(d->c[i].levels);
		json_decref(d->c[i].converted);
		free(d->c[i].values);
	}
	free(d->c);
	json_decref(d->index);
	memset(d, 0, sizeof *d);
}

static bool
discovery_init(struct discovery *d)
{
	static const struct {
		const char *name;
		enum kind kind;
		enum transform transform;
	} fixed[] = {
		{ "source", K_CATEGORICAL, TR_NONE },	{ "industry", K_CATEGORICAL, TR_NONE },
		{ "authority", K_CATEGORICAL, TR_NONE }, { "need", K_CATEGORICAL, TR_NONE },
		{ "budget", K_NUMERIC, TR_NONE },	{ "employees", K_NUMERIC, TR_NONE },
		{ "engagement", K_NUMERIC, TR_NONE },	{ "timeline", K_NUMERIC, TR_DAYS },
	};

	memset(d, 0, sizeof *d);
	if (!(d->index = json_object()))
		return false;
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		struct candidate *c = candidate_add(d, fixed[i].name);
		if (!c)
			return false;
		c->fixed = true;
		c->kind = fixed[i].kind;
		c->transform = fixed[i].transform;
	}
	return true;
}

/* Add one to the count of key s in counts; *oom when that fails. */
static void
count_in(bool *oom, json_t *counts, const char *s)
{
	json_t *v = json_object_get(counts, s);

	if (v)
		json_integer_set(v, json_integer_value(v) + 1);
	else if (json_object_set_new(counts, s, json_integer(1)) != 0)
		*oom = true;
}

static void
push_value(struct discovery *d, struct candidate *c, double x)
{
	if (c->nvalues == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 256;
		double *v = realloc(c->values, cap * sizeof *v);
		if (!v) {
			d->oom = true;
			return;
		}
		c->values = v;
		c->cap = cap;
	}
	c->values[c->nvalues++] = x;
}

static void
observe_candidate(struct discovery *d, struct candidate *c, const struct lead *l, bool converted)
{
	struct lead_value v;
	char buf[40];
	double x;

	lead_value_get(l, &c->field, &v);
	if (c->transform == TR_DAYS ? v.type != LV_DATE : v.type == LV_NULL || (v.type == LV_TEXT && blank(v.text)))
		return;
	c->present++;
	c->present_converted += converted;
	if (v.type == LV_NUMBER || v.type == LV_DATE) {
		c->n_number++;
		if (raw_number(&c->field, c->transform, l, &x))
			push_value(d, c, x);
	} else if (v.type == LV_BOOL)
		c->n_bool++;
	else {
		c->n_text++;
		if (v.type == LV_TEXT && numeric_text(v.text, &x)) {
			c->n_numeric_text++;
			push_value(d, c, x);
		}
	}
	if (!c->fixed || c->kind == K_CATEGORICAL) {
		const char *s = raw_text(&c->field, l, buf, sizeof buf);
		if (s) {
			count_in(&d->oom, c->levels, s);
			if (converted)
				count_in(&d->oom, c->converted, s);
		}
	}
}

static void
observe(struct discovery *d, const struct lead *l, bool converted)
{
	char name[LEAD_FIELD_NAME_MAX + 1];
	const char *key;
	json_t *v;

	d->rows++;
	d->rows_converted += converted;
	for (size_t i = 0; i < d->n; i++)
		if (d->c[i].fixed)
			observe_candidate(d, &d->c[i], l, converted);
	if (!l->attributes)
		return;
	json_object_foreach((json_t *)l->attributes, key, v) {
		if (strlen(key) > LEAD_ATTR_KEY_MAX)
			continue;
		snprintf(name, sizeof name, "attributes.%s", key);
		json_t *at = json_object_get(d->index, name);
		struct candidate *c = at ? &d->c[json_integer_value(at)] : candidate_add(d, name);
		if (c)
			observe_candidate(d, c, l, converted);
	}
}

struct level_count {
	const char *level;
	size_t count;
};

static int
by_count_desc(const void *a, const void *b)
{
	const struct level_count *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->level, y->level);
}

static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* An indicator seen `count` times among `rows` is worth a column. */
static bool
varies(size_t count, size_t rows, size_t min_count)
{
	return count >= min_count && rows - count >= min_count;
}

static bool
add_column(struct feature *f, enum term t, double knot, const char *level)
{
	struct column *col = &f->cols[f->ncols];

	memset(col, 0, sizeof *col);
	col->term = t;
	col->knot = knot;
	if (level && !(col->level = strdup(level)))
		return false;
	f->ncols++;
	return true;
}

static bool
numeric_feature(const struct candidate *c, size_t rows, size_t min_count, struct feature *f)
{
	size_t n = c->nvalues;
	double sum = 0, sq = 0, cube = 0, lo = INFINITY;

	if (n < min_count)
		return true;
	for (size_t i = 0; i < n; i++) {
		sum += c->values[i];
		lo = fmin(lo, c->values[i]);
	}
	double mean = sum / (double)n;
	for (size_t i = 0; i < n; i++) {
		double dlt = c->values[i] - mean;
		sq += dlt * dlt;
		cube += dlt * dlt * dlt;
	}
	double sd = sqrt(sq / (double)n);
	double skew = sd > 0 ? cube / (double)n / (sd * sd * sd) : 0;
	f->transform = c->transform;
	if (c->transform == TR_NONE && lo >= 0 && skew > 1)
		f->transform = TR_LOG1P;
	double *z = malloc(n * sizeof *z);
	if (!z)
		return false;
	sum = sq = 0;
	for (size_t i = 0; i < n; i++) {
		z[i] = transformed(f->transform, c->values[i]);
		sum += z[i];
	}
	f->center = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (z[i] - f->center) * (z[i] - f->center);
	f->scale = sqrt(sq / (double)n);
	bool ok = true;
	if (f->scale > 1e-9) {
		ok = add_column(f, T_VALUE, 0, NULL);
		for (size_t i = 0; i < n; i++)
			z[i] = (z[i] - f->center) / f->scale;
		qsort(z, n, sizeof *z, by_double);
		double last = z[0];
		for (int q = 1; q <= MAX_KNOTS && ok; q++) {
			double knot = z[(size_t)((double)q / (MAX_KNOTS + 1) * (double)(n - 1))];
			size_t above = 0;
			for (size_t i = 0; i < n; i++)
				above += z[i] > knot;
			if (knot > last + 1e-9 && knot < z[n - 1] && above >= min_count) {
				ok = add_column(f, T_HINGE, knot, NULL);
				last = knot;
			}
		}
	} else
		f->scale = 1;
	free(z);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, T_MISSING, 0, NULL);
	return ok;
}

static bool
categorical_feature(const struct candidate *c, size_t rows, size_t min_count, struct feature *f)
{
	size_t n = json_object_size(c->levels), k = 0, kept = 0;
	struct level_count *lc = malloc((n ? n : 1) * sizeof *lc);
	const char *level;
	json_t *v;
	bool ok = true;

	if (!lc)
		return false;
	json_object_foreach(c->levels, level, v) {
		lc[k++] = (struct level_count){ level, (size_t)json_integer_value(v) };
	}
	qsort(lc, n, sizeof *lc, by_count_desc);
	for (k = 0; k < n && ok && f->ncols < MAX_LEVELS; k++)
		if (varies(lc[k].count, rows, min_count)) {
			ok = add_column(f, T_LEVEL, 0, lc[k].level);
			kept += lc[k].count;
		} else if (lc[k].count < min_count)
			break;
	free(lc);
	if (ok && c->present - kept > 0 && varies(c->present - kept, rows, min_count))
		ok = add_column(f, T_OTHER, 0, NULL);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, T_MISSING, 0, NULL);
	return ok;
}

static bool
boolean_feature(const struct candidate *c, size_t rows, size_t min_count, struct feature *f)
{
	json_t *t = json_object_get(c->levels, "true");
	size_t ntrue = t ? (size_t)json_integer_value(t) : 0;
	bool ok = true;

	if (varies(ntrue, rows, min_count))
		ok = add_column(f, T_TRUE, 0, NULL);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, T_MISSING, 0, NULL);
	return ok;
}

static int
by_field_name(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->fixed != y->fixed)
		return x->fixed ? -1 : 1;
	return x->fixed ? 0 : strcmp(x->field.name, y->field.name);
}

/* Fewest leads an indicator column must cover (and leave out) among `rows`. */
static size_t
min_count_for(size_t rows)
{
	return rows / 500 > 10 ? rows / 500 : 10;
}

/* Binary entropy of a rate, in nats. */
static double
entropy(double p)
{
	return p <= 0 || p >= 1 ? 0 : -(p * log(p) + (1 - p) * log1p(-p));
}

/*
 * How much knowing candidate c's level (a missing value counts as a level)
 * lowers the entropy of the outcome, in nats per lead; each level's
 * conversion rate is smoothed towards the base rate by 10 leads' worth, so
 * that rare levels do not look informative.
 */
static double
information_gain(const struct discovery *d, const struct candidate *c)
{
	double rows = (double)d->rows, base = (double)d->rows_converted / rows, after = 0;
	const char *level;
	json_t *v;

	json_object_foreach(c->levels, level, v) {
		json_t *pos = json_object_get(c->converted, level);
		double n = (double)json_integer_value(v), k = pos ? (double)json_integer_value(pos) : 0;
		after += n / rows * entropy((k + 10 * base) / (n + 10));
	}
	double n = rows - (double)c->present, k = (double)(d->rows_converted - c->present_converted);
	if (n > 0)
		after += n / rows * entropy((k + 10 * base) / (n + 10));
	return entropy(base) - after;
}

/*
 * Decide the features from what was observed; ST_NOMEM or ST_OK with *out
 * new and *gain (free it) the information gain of each feature that is
 * categorical (0 for the others).
 */
static enum status
discovery_model(struct discovery *d, struct lr_model **out, double **gain)
{
	size_t min_count = min_count_for(d->rows);
	struct lr_model *m = calloc(1, sizeof *m);
	double *g = calloc(d->n + 1, sizeof *g);
	enum status st = ST_NOMEM;

	if (!m || !g) {
		free(m);
		free(g);
		return ST_NOMEM;
	}
	/* fixed fields first, then attributes by name: the same data gives the same model */
	for (size_t i = 1; i < d->n; i++)
		for (size_t j = i; j > 0 && by_field_name(&d->c[j - 1], &d->c[j]) > 0; j--) {
			struct candidate t = d->c[j];
			d->c[j] = d->c[j - 1];
			d->c[j - 1] = t;
		}
	if (!(m->features = calloc(d->n + 1, sizeof *m->features)))
		goto out;
	for (size_t i = 0; i < d->n; i++) {
		struct candidate *c = &d->c[i];
		struct feature *f = &m->features[m->nfeatures];
		if (c->present < min_count)
			continue;
		f->field = c->field;
		/* numbers sent as text count as numbers, unless they look like codes (few distinct values) */
		bool numbers = c->n_bool == 0 && c->n_text == c->n_numeric_text &&
			       (c->n_text == 0 || json_object_size(c->levels) >= NUMERIC_TEXT_MIN_DISTINCT);
		if (c->fixed)
			f->kind = c->kind;
		else if (numbers)
			f->kind = K_NUMERIC;
		else if (c->n_text == 0 && c->n_number == 0)
			f->kind = K_BOOLEAN;
		else
			f->kind = K_CATEGORICAL;
		if (!(f->cols = calloc(MAX_LEVELS + MAX_KNOTS + 3, sizeof *f->cols)))
			goto out;
		f->scale = 1;
		bool ok = f->kind == K_NUMERIC	       ? numeric_feature(c, d->rows, min_count, f)
			  : f->kind == K_CATEGORICAL ? categorical_feature(c, d->rows, min_count, f)
						     : boolean_feature(c, d->rows, min_count, f);
		m->nfeatures++;
		if (!ok)
			goto out;
		if (f->ncols == 0 || m->ncols + f->ncols > MAX_COLUMNS) {
			/* nothing to learn from, or over the budget: drop it */
			m->nfeatures--;
			for (int k = 0; k < f->ncols; k++)
				free(f->cols[k].level);
			free(f->cols);
			memset(f, 0, sizeof *f);
			continue;
		}
		m->ncols += f->ncols;
		g[m->nfeatures - 1] = f->kind == K_CATEGORICAL ? information_gain(d, c) : 0;
	}
	model_index(m);
	*out = m;
	*gain = g;
	m = NULL;
	g = NULL;
	st = ST_OK;
out:
	lr_model_free(m);
	free(g);
	return st;
}

/* ---- crosses: pairs of levels of the most informative fields ------------------------- */

/*
 * The key of a pair of levels: the first level's length, a colon, then
 * both levels, so that any two strings make a distinct key. False when it
 * does not fit in len.
 */
static bool
pair_key(const char *a, const char *b, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%zu:%s%s", strlen(a), a, b);

	return n > 0 && (size_t)n < len;
}

/* Split a key of pair_key back into its levels (new strings); false on OOM. */
static bool
pair_levels(const char *key, char **a, char **b)
{
	char *end;
	size_t la = strtoul(key, &end, 10);

	end++; /* the colon */
	*a = malloc(la + 1);
	*b = strdup(end + la);
	if (!*a || !*b) {
		free(*a);
		free(*b);
		return false;
	}
	memcpy(*a, end, la);
	(*a)[la] = '\0';
	return true;
}

/* One cross feature of m's fields fa and fb from the pair counts: false on OOM. */
static bool
cross_feature(struct lr_model *m, const struct feature *fa, const struct feature *fb, const json_t *counts,
	      size_t rows, size_t min_count)
{
	size_t n = json_object_size(counts), k = 0;
	struct level_count *lc = malloc((n ? n : 1) * sizeof *lc);
	struct feature *f = &m->features[m->nfeatures];
	const char *key;
	json_t *v;
	bool ok = true;

	if (!lc)
		return false;
	json_object_foreach((json_t *)counts, key, v) {
		lc[k++] = (struct level_count){ key, (size_t)json_integer_value(v) };
	}
	qsort(lc, n, sizeof *lc, by_count_desc);
	memset(f, 0, sizeof *f);
	f->kind = K_CROSS;
	f->field = fa->field;
	f->field2 = fb->field;
	f->scale = 1;
	if (!(f->cols = calloc(MAX_LEVELS + 1, sizeof *f->cols))) {
		free(lc);
		return false;
	}
	for (k = 0; k < n && ok && f->ncols < MAX_LEVELS && m->ncols + f->ncols < MAX_COLUMNS; k++) {
		if (lc[k].count < min_count)
			break;
		if (!varies(lc[k].count, rows, min_count))
			continue;
		struct column *col = &f->cols[f->ncols];
		col->term = T_PAIR;
		if ((ok = pair_levels(lc[k].level, &col->level, &col->level2)))
			f->ncols++;
	}
	free(lc);
	m->nfeatures++;
	m->ncols += f->ncols;
	if (ok && f->ncols == 0) {
		free(f->cols);
		memset(f, 0, sizeof *f);
		m->nfeatures--;
	}
	return ok;
}

/*
 * Add to m the crosses of its CROSS_FIELDS most informative categorical
 * features (those with at least a quarter of the best one's information
 * gain): for each pair of them, an indicator per pair of levels seen
 * together on at least min_count of the train leads, the most frequent
 * MAX_LEVELS per pair, within MAX_COLUMNS. A main-effects model cannot
 * tell that, say, an occupation converts differently after one last
 * activity than after another; these columns can. Reads the train leads
 * once more.
 */
static enum status
add_crosses(struct lr_model *m, const double *gain, const struct lead_source *src, const unsigned char *train,
	    size_t rows)
{
	enum { NPAIRS = CROSS_FIELDS * (CROSS_FIELDS - 1) / 2 };
	size_t pick[CROSS_FIELDS], npick = 0, min_count = min_count_for(rows);
	json_t *counts[NPAIRS] = { 0 };
	double best = 0;
	enum status st = ST_OK;
	bool oom = false;

	for (size_t i = 0; i < m->nfeatures; i++)
		best = fmax(best, gain[i]);
	while (npick < CROSS_FIELDS) {
		size_t at = m->nfeatures;
		for (size_t i = 0; i < m->nfeatures; i++) {
			bool taken = false;
			for (size_t k = 0; k < npick; k++)
				taken |= pick[k] == i;
			if (!taken && gain[i] > 0 && gain[i] >= best / 4 && (at == m->nfeatures || gain[i] > gain[at]))
				at = i;
		}
		if (at == m->nfeatures)
			break;
		pick[npick++] = at;
	}
	if (npick < 2)
		return ST_OK;
	size_t npairs = npick * (npick - 1) / 2;
	for (size_t p = 0; p < npairs; p++)
		if (!(counts[p] = json_object()))
			oom = true;
	for (size_t i = 0; i < src->n && !oom && st == ST_OK; i++) {
		char bufs[CROSS_FIELDS][40], key[512];
		const char *text[CROSS_FIELDS];
		struct lead l;
		if (!train[i])
			continue;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		for (size_t k = 0; k < npick; k++)
			text[k] = raw_text(&m->features[pick[k]].field, &l, bufs[k], sizeof bufs[k]);
		for (size_t a = 0, p = 0; a < npick; a++)
			for (size_t b = a + 1; b < npick; b++, p++)
				if (text[a] && text[b] && pair_key(text[a], text[b], key, sizeof key))
					count_in(&oom, counts[p], key);
		src->release(src->ctx, i);
	}
	if (!oom && st == ST_OK) {
		struct feature *grown = realloc(m->features, (m->nfeatures + npairs + 1) * sizeof *grown);
		if (!grown)
			oom = true;
		else
			m->features = grown;
	}
	for (size_t a = 0, p = 0; a < npick && !oom && st == ST_OK; a++)
		for (size_t b = a + 1; b < npick && !oom; b++, p++) {
			struct feature fa = m->features[pick[a]], fb = m->features[pick[b]];
			oom = !cross_feature(m, &fa, &fb, counts[p], rows, min_count);
		}
	for (size_t p = 0; p < npairs; p++)
		json_decref(counts[p]);
	model_index(m);
	return oom ? ST_NOMEM : st;
}

/* ---- the design matrix -------------------------------------------------------------- */

struct design {
	size_t n;
	int p;                /* columns (the intercept is extra) */
	size_t *start;        /* owned: n + 1 offsets into col/val */
	int *col;             /* owned */
	double *val;          /* owned */
	unsigned char *y;     /* owned */
	unsigned char *fold;  /* owned: 0..NFOLDS-1, or NFOLDS when not in the CV sample */
	unsigned char *holdout; /* owned: 1 for a holdout lead */
	size_t *row;          /* owned: index in the source */
	double *penalty;      /* owned: p + 1 multipliers of lambda (the intercept's is 0) */
	size_t nnz, cap;
};

static void
design_clear(struct design *d)
{
	free(d->start);
	free(d->col);
	free(d->val);
	free(d->y);
	free(d->fold);
	free(d->holdout);
	free(d->row);
	free(d->penalty);
	memset(d, 0, sizeof *d);
}

static bool
design_push(struct design *d, int col, double val)
{
	if (d->nnz == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 4096;
		int *c = realloc(d->col, cap * sizeof *c);
		if (!c)
			return false;
		d->col = c;
		double *v = realloc(d->val, cap * sizeof *v);
		if (!v)
			return false;
		d->val = v;
		d->cap = cap;
	}
	d->col[d->nnz] = col;
	d->val[d->nnz++] = val;
	return true;
}

/*
 * The training data: one row per lead of src, encoded by m's features; a
 * lead with !train[i] is a holdout row. The CV sample is drawn from the
 * train rows (about cv_share per mille of them).
 */
static enum status
design_build(const struct lr_model *m, const struct lead_source *src, const unsigned char *train,
	     const unsigned char *y, unsigned cv_share, struct design *d)
{
	int idx[MAX_LEVELS + MAX_KNOTS + 4];
	double val[MAX_LEVELS + MAX_KNOTS + 4];
	size_t rows = src->n;
	enum status st = ST_OK;

	memset(d, 0, sizeof *d);
	d->p = m->ncols;
	d->start = calloc(rows + 1, sizeof *d->start);
	d->y = calloc(rows + 1, 1);
	d->fold = calloc(rows + 1, 1);
	d->holdout = calloc(rows + 1, 1);
	d->row = calloc(rows + 1, sizeof *d->row);
	d->penalty = calloc((size_t)d->p + 1, sizeof *d->penalty);
	if (!d->start || !d->y || !d->fold || !d->holdout || !d->row || !d->penalty)
		return ST_NOMEM;
	/* interactions are shrunk harder than main effects (the hierarchy principle) */
	for (size_t k = 0; k < m->nfeatures; k++)
		for (int c = 0; c < m->features[k].ncols; c++)
			d->penalty[m->features[k].first + c + 1] = m->features[k].kind == K_CROSS ? CROSS_PENALTY : 1;
	for (size_t i = 0; i < src->n && st == ST_OK; i++) {
		struct lead l;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		for (size_t k = 0; k < m->nfeatures && st == ST_OK; k++) {
			const struct feature *f = &m->features[k];
			int n = encode(f, &l, idx, val);
			for (int j = 0; j < n; j++)
				if (!design_push(d, f->first + idx[j], val[j]))
					st = ST_NOMEM;
		}
		d->y[d->n] = y[i];
		d->holdout[d->n] = !train[i];
		d->fold[d->n] = train[i] && in_cv_sample(l.id, cv_share) ? (unsigned char)fold_of(l.id) : NFOLDS;
		d->row[d->n] = i;
		d->start[++d->n] = d->nnz;
		src->release(src->ctx, i);
	}
	return st;
}

/* ---- fitting -------------------------------------------------------------------------- */

/* Which rows a fit uses. */
struct rows {
	int skip_fold;   /* rows of this fold are left out; -1 none */
	bool cv_only;    /* only rows of the CV sample */
	bool train_only; /* no holdout rows */
};

static bool
row_used(const struct design *d, size_t i, const struct rows *r)
{
	if ((r->cv_only && d->fold[i] == NFOLDS) || (r->train_only && d->holdout[i]))
		return false;
	return d->fold[i] != r->skip_fold;
}

static double
row_eta(const struct design *d, size_t i, const double *beta)
{
	double eta = beta[0];

	for (size_t k = d->start[i]; k < d->start[i + 1]; k++)
		eta += beta[d->col[k] + 1] * d->val[k];
	return eta;
}

static double
objective(const struct design *d, const struct rows *r, double lambda, const double *beta)
{
	double f = 0;

	for (size_t i = 0; i < d->n; i++)
		if (row_used(d, i, r)) {
			double eta = row_eta(d, i, beta);
			f += softplus(eta) - (d->y[i] ? eta : 0);
		}
	for (int j = 1; j <= d->p; j++)
		f += lambda * d->penalty[j] / 2 * beta[j] * beta[j];
	return f;
}

/* Cholesky factorisation of the lower triangle of a (n x n, row-major) in place. */
static bool
cholesky(double *a, int n)
{
	for (int j = 0; j < n; j++) {
		double s = a[(size_t)j * n + j];
		for (int k = 0; k < j; k++)
			s -= a[(size_t)j * n + k] * a[(size_t)j * n + k];
		if (!(s > 0))
			return false;
		double djj = sqrt(s);
		a[(size_t)j * n + j] = djj;
		for (int i = j + 1; i < n; i++) {
			double t = a[(size_t)i * n + j];
			const double *ri = a + (size_t)i * n, *rj = a + (size_t)j * n;
			for (int k = 0; k < j; k++)
				t -= ri[k] * rj[k];
			a[(size_t)i * n + j] = t / djj;
		}
	}
	return true;
}

/* Solve L L^T x = b (L from cholesky) in place in b. */
static void
cholesky_solve(const double *l, int n, double *b)
{
	for (int i = 0; i < n; i++) {
		double t = b[i];
		for (int k = 0; k < i; k++)
			t -= l[(size_t)i * n + k] * b[k];
		b[i] = t / l[(size_t)i * n + i];
	}
	for (int i = n - 1; i >= 0; i--) {
		double t = b[i];
		for (int k = i + 1; k < n; k++)
			t -= l[(size_t)k * n + i] * b[k];
		b[i] = t / l[(size_t)i * n + i];
	}
}

/*
 * Minimise the penalised negative log-likelihood over the rows r selects,
 * from beta (intercept first), by Newton steps with backtracking.
 */
static enum status
newton(const struct design *d, const struct rows *r, double lambda, double *beta)
{
	int np = d->p + 1;
	size_t nn = (size_t)np * (size_t)np;
	double *h = malloc(nn * sizeof *h), *fac = malloc(nn * sizeof *fac);
	double *g = malloc((size_t)np * sizeof *g), *trial = malloc((size_t)np * sizeof *trial);
	enum status st = ST_NOMEM;

	if (!h || !fac || !g || !trial)
		goto out;
	double f = objective(d, r, lambda, beta);
	for (int it = 0; it < NEWTON_MAX_ITER; it++) {
		memset(h, 0, nn * sizeof *h);
		memset(g, 0, (size_t)np * sizeof *g);
		for (size_t i = 0; i < d->n; i++) {
			if (!row_used(d, i, r))
				continue;
			double p = sigmoid(row_eta(d, i, beta));
			double res = p - (d->y[i] ? 1 : 0), w = p * (1 - p);
			if (w < 1e-12)
				w = 1e-12;
			g[0] += res;
			h[0] += w;
			for (size_t a = d->start[i]; a < d->start[i + 1]; a++) {
				int ca = d->col[a] + 1;
				double wa = w * d->val[a];
				double *row = h + (size_t)ca * np;
				g[ca] += res * d->val[a];
				row[0] += wa;
				for (size_t b = d->start[i]; b <= a; b++) {
					int cb = d->col[b] + 1;
					if (cb <= ca)
						row[cb] += wa * d->val[b];
					else
						h[(size_t)cb * np + ca] += wa * d->val[b];
				}
			}
		}
		for (int j = 1; j < np; j++) {
			g[j] += lambda * d->penalty[j] * beta[j];
			h[(size_t)j * np + j] += lambda * d->penalty[j];
		}
		h[0] += 1e-9;
		bool factored = false;
		for (double jitter = 0; !factored && jitter < 1; jitter = jitter ? jitter * 100 : 1e-8) {
			memcpy(fac, h, nn * sizeof *h);
			for (int j = 0; j < np; j++)
				fac[(size_t)j * np + j] += jitter;
			factored = cholesky(fac, np);
		}
		if (!factored)
			break;
		cholesky_solve(fac, np, g); /* g is now the Newton step */
		double t = 1, ft = f;
		for (int halvings = 0; halvings < 40; halvings++, t /= 2) {
			for (int j = 0; j < np; j++)
				trial[j] = beta[j] - t * g[j];
			ft = objective(d, r, lambda, trial);
			if (ft <= f)
				break;
		}
		if (ft > f)
			break;
		double moved = 0;
		for (int j = 0; j < np; j++)
			moved = fmax(moved, fabs(t * g[j]));
		memcpy(beta, trial, (size_t)np * sizeof *beta);
		bool done = moved < 1e-7 || f - ft < 1e-10 * (1 + fabs(f));
		f = ft;
		if (done)
			break;
	}
	st = ST_OK;
out:
	free(h);
	free(fac);
	free(g);
	free(trial);
	return st;
}

/*
 * The alpha of the grid with the lowest cross-validated log-loss. The path
 * goes from the strongest penalty to the weakest, each fold warm-started
 * from its previous solution, and stops once the loss has risen twice.
 */
static enum status
choose_alpha(const struct design *d, double *alpha)
{
	size_t np = (size_t)d->p + 1, ncv = 0;
	double *betas = calloc(NFOLDS * np, sizeof *betas), best = INFINITY, prev = INFINITY;
	enum status st = ST_OK;
	int worse = 0;

	if (!betas)
		return ST_NOMEM;
	for (size_t i = 0; i < d->n; i++)
		ncv += d->fold[i] < NFOLDS;
	*alpha = alpha_grid[0];
	for (size_t a = 0; a < sizeof alpha_grid / sizeof alpha_grid[0] && st == ST_OK && worse < 2; a++) {
		double loss = 0;
		for (int k = 0; k < NFOLDS && st == ST_OK; k++) {
			struct rows r = { .skip_fold = k, .cv_only = true };
			double *beta = betas + (size_t)k * np;
			st = newton(d, &r, alpha_grid[a] * (double)ncv * (NFOLDS - 1) / NFOLDS, beta);
			for (size_t i = 0; i < d->n; i++)
				if (d->fold[i] == k) {
					double eta = row_eta(d, i, beta);
					loss += softplus(eta) - (d->y[i] ? eta : 0);
				}
		}
		if (loss < best) {
			best = loss;
			*alpha = alpha_grid[a];
		}
		worse = loss > prev ? worse + 1 : 0;
		prev = loss;
	}
	free(betas);
	return st;
}

/* Column means over the rows r selects, and the coefficients of beta, into m. */
static enum status
model_set(struct lr_model *m, const struct design *d, const struct rows *r, const double *beta, double alpha)
{
	double *mean = calloc((size_t)d->p + 1, sizeof *mean);
	size_t n = 0;

	if (!mean)
		return ST_NOMEM;
	for (size_t i = 0; i < d->n; i++) {
		if (!row_used(d, i, r))
			continue;
		n++;
		for (size_t k = d->start[i]; k < d->start[i + 1]; k++)
			mean[d->col[k]] += d->val[k];
	}
	m->intercept = beta[0];
	m->alpha = alpha;
	m->n = n;
	for (size_t i = 0; i < m->nfeatures; i++) {
		struct feature *f = &m->features[i];
		for (int c = 0; c < f->ncols; c++) {
			f->cols[c].coef = beta[f->first + c + 1];
			f->cols[c].mean = n ? mean[f->first + c] / (double)n : 0;
		}
	}
	model_index(m);
	free(mean);
	return ST_OK;
}

/* A deep copy of m (NULL on OOM). */
static struct lr_model *
model_clone(const struct lr_model *m)
{
	struct lr_model *c = calloc(1, sizeof *c);

	if (!c || !(c->features = calloc(m->nfeatures + 1, sizeof *c->features))) {
		free(c);
		return NULL;
	}
	*c = (struct lr_model){ .features = c->features, .ncols = m->ncols, .intercept = m->intercept,
				.alpha = m->alpha, .n = m->n };
	for (size_t i = 0; i < m->nfeatures; i++) {
		struct feature *f = &c->features[i];
		*f = m->features[i];
		f->ncols = 0;
		if (!(f->cols = calloc((size_t)m->features[i].ncols + 1, sizeof *f->cols))) {
			c->nfeatures = i + 1;
			lr_model_free(c);
			return NULL;
		}
		c->nfeatures = i + 1;
		for (int k = 0; k < m->features[i].ncols; k++) {
			f->cols[k] = m->features[i].cols[k];
			f->cols[k].level = f->cols[k].level2 = NULL;
			if ((m->features[i].cols[k].level && !(f->cols[k].level = strdup(m->features[i].cols[k].level))) ||
			    (m->features[i].cols[k].level2 &&
			     !(f->cols[k].level2 = strdup(m->features[i].cols[k].level2)))) {
				f->ncols++;
				lr_model_free(c);
				return NULL;
			}
			f->ncols++;
		}
	}
	return c;
}

/*
 * Discover the features on the train leads, encode every lead, choose
 * alpha by cross-validation on the train leads, and fit twice: on the train
 * leads (*eval, to be measured on the holdout) and on all (*final, warm
 * started from the first). Both share the features found on the train leads.
 */
static enum status
fit_models(const struct lead_source *src, const unsigned char *train, const unsigned char *y, double *alpha,
	   struct lr_model **eval, struct lr_model **final)
{
	struct discovery disc;
	struct design d = { 0 };
	struct lr_model *m = NULL, *e = NULL;
	double *beta = NULL, *gain = NULL;
	size_t rows = 0;
	enum status st = ST_NOMEM;

	if (!discovery_init(&disc))
		goto out;
	for (size_t i = 0; i < src->n; i++) {
		struct lead l;
		if (!train[i])
			continue;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			goto out;
		observe(&disc, &l, y[i] != 0);
		src->release(src->ctx, i);
		rows++;
	}
	st = ST_NOMEM;
	if (disc.oom || (st = discovery_model(&disc, &m, &gain)) != ST_OK)
		goto out;
	discovery_clear(&disc);
	if ((st = add_crosses(m, gain, src, train, rows)) != ST_OK)
		goto out;
	unsigned share = rows > CV_MAX_ROWS ? (unsigned)(1000.0 * CV_MAX_ROWS / (double)rows) : 1000;
	if ((st = design_build(m, src, train, y, share, &d)) != ST_OK)
		goto out;
	if (!(beta = calloc((size_t)d.p + 1, sizeof *beta))) {
		st = ST_NOMEM;
		goto out;
	}
	if (*alpha <= 0 && (st = choose_alpha(&d, alpha)) != ST_OK)
		goto out;
	struct rows train_rows = { .skip_fold = -1, .train_only = true }, all = { .skip_fold = -1 };
	if ((st = newton(&d, &train_rows, *alpha * (double)rows, beta)) != ST_OK ||
	    (st = model_set(m, &d, &train_rows, beta, *alpha)) != ST_OK)
		goto out;
	if (!(e = model_clone(m))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = newton(&d, &all, *alpha * (double)d.n, beta)) != ST_OK ||
	    (st = model_set(m, &d, &all, beta, *alpha)) != ST_OK)
		goto out;
	*eval = e;
	*final = m;
	e = m = NULL;
out:
	discovery_clear(&disc);
	free(gain);
	design_clear(&d);
	lr_model_free(m);
	lr_model_free(e);
	free(beta);
	return st;
}

/* ---- training and evaluation ------------------------------------------------------------ */

static json_t *
pct(double fraction)
{
	return isfinite(fraction) ? json_real(round(fraction * 10000) / 100) : json_null();
}

static json_t *
metric(double x)
{
	return isfinite(x) ? json_real(round(x * 1e6) / 1e6) : json_null();
}

struct holdout {
	double *p;          /* owned */
	unsigned char *y;   /* owned */
	size_t n;
	size_t grade_count[4];
	size_t grade_converted[4];
};

/* Predict every holdout lead with the evaluation model, and grade it. */
static enum status
predict_holdout(const struct score_model *rules, struct lr_model *m, const struct lead_source *src,
		const unsigned char *use, const unsigned char *y, cal_date today, struct holdout *h)
{
	struct score_model blended = *rules;
	struct score_result *res = malloc(sizeof *res);
	enum status st = ST_OK;

	if (!res)
		return ST_NOMEM;
	blended.predictive = m;
	for (size_t i = 0; i < src->n && st == ST_OK; i++) {
		struct lead l;
		if (use[i])
			continue;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		score_lead(&blended, &l, today, res);
		h->p[h->n] = res->probability;
		h->y[h->n++] = y[i];
		h->grade_count[res->grade - 'A']++;
		h->grade_converted[res->grade - 'A'] += y[i];
		src->release(src->ctx, i);
	}
	free(res);
	return st;
}

static json_t *
evaluation_json(const struct holdout *h, size_t n_train, size_t n1, size_t n0, double alpha, int columns)
{
	struct calibration_bin bins[10];
	int nb = metric_calibration(h->p, h->y, h->n, 10, bins);
	json_t *cal = json_array(), *grades = json_array();

	for (int b = 0; cal && b < nb; b++)
		json_array_append_new(cal, json_pack("{s:i,s:I,s:o,s:o}", "decile", b + 1, "count", (json_int_t)bins[b].count,
						     "predicted_pct", pct(bins[b].predicted), "observed_pct",
						     pct(bins[b].observed)));
	for (int g = 0; grades && g < 4; g++) {
		char grade[2] = { (char)('A' + g), '\0' };
		json_array_append_new(grades, json_pack("{s:s,s:I,s:I,s:o}", "grade", grade, "count",
							(json_int_t)h->grade_count[g], "converted",
							(json_int_t)h->grade_converted[g], "conversion_rate_pct",
							h->grade_count[g] ? pct((double)h->grade_converted[g] /
										(double)h->grade_count[g])
									  : json_null()));
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:f,s:i,s:o,s:o}", "auc", metric(metric_auc(h->p, h->y, h->n)),
			 "brier", metric(metric_brier(h->p, h->y, h->n)), "log_loss",
			 metric(metric_log_loss(h->p, h->y, h->n)), "base_rate_pct",
			 pct((double)n1 / (double)(n1 + n0)), "n_train", (json_int_t)n_train, "n_holdout",
			 (json_int_t)h->n, "n_converted", (json_int_t)n1, "n_unconverted", (json_int_t)n0, "alpha", alpha,
			 "columns", columns, "calibration", cal, "by_grade", grades);
}

enum status
lead_train(const struct score_model *rules, const struct lead_source *src, const struct train_options *o,
	   cal_date today, struct lr_model **model, json_t **evaluation, char *why, size_t whylen)
{
	unsigned char *y = calloc(src->n + 1, 1), *train = calloc(src->n + 1, 1);
	struct holdout h = { 0 };
	struct lr_model *eval = NULL, *final = NULL;
	size_t n1 = 0, n1_train = 0, n_train = 0;
	double alpha = o->alpha > 0 ? o->alpha : 0;
	enum status st = ST_NOMEM;
	int holdout_pct = o->holdout_pct < 5 ? 5 : o->holdout_pct > 50 ? 50 : o->holdout_pct;

	if (!y || !train)
		goto out;
	for (size_t i = 0; i < src->n; i++) {
		struct lead l;
		if (src->ids && src->converted) {
			y[i] = src->converted[i] != 0;
			train[i] = !lead_in_holdout(src->ids[i], holdout_pct);
		} else {
			if ((st = src->get(src->ctx, i, &l)) != ST_OK)
				goto out;
			y[i] = l.status && strcmp(l.status, "converted") == 0;
			train[i] = !lead_in_holdout(l.id, holdout_pct);
			src->release(src->ctx, i);
		}
		n1 += y[i];
		n_train += train[i];
		n1_train += y[i] && train[i];
	}
	size_t n0 = src->n - n1, min = o->min_per_class > 0 ? (size_t)o->min_per_class : 1;
	if (n1 < min || n0 < min || n1_train < 2 || n_train - n1_train < 2 || n_train == src->n) {
		snprintf(why, whylen,
			 "training needs at least %zu converted and %zu disqualified closed leads of the segment; "
			 "there are %zu and %zu",
			 min, min, n1, n0);
		st = ST_UNPROCESSABLE;
		goto out;
	}
	h.p = calloc(src->n - n_train + 1, sizeof *h.p);
	h.y = calloc(src->n - n_train + 1, 1);
	if (!h.p || !h.y) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = fit_models(src, train, y, &alpha, &eval, &final)) != ST_OK)
		goto out;
	if (final->ncols == 0) {
		snprintf(why, whylen,
			 "nothing to learn from: no field or attribute of the segment's closed leads varies on at least "
			 "%zu of them",
			 min_count_for(n_train));
		st = ST_UNPROCESSABLE;
		goto out;
	}
	if ((st = predict_holdout(rules, eval, src, train, y, today, &h)) != ST_OK)
		goto out;
	size_t h1 = 0;
	for (size_t i = 0; i < h.n; i++)
		h1 += h.y[i];
	if (h1 == 0 || h1 == h.n) {
		snprintf(why, whylen, "the model cannot be evaluated: its holdout (%zu leads) has leads of one outcome only",
			 h.n);
		st = ST_UNPROCESSABLE;
		goto out;
	}
	json_t *ev = evaluation_json(&h, n_train, n1, n0, alpha, final->ncols);
	if (!ev) {
		st = ST_NOMEM;
		goto out;
	}
	*evaluation = ev;
	*model = final;
	final = NULL;
out:
	lr_model_free(eval);
	lr_model_free(final);
	free(y);
	free(train);
	free(h.p);
	free(h.y);
	return st;
}
