#include "leads/discovery.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "leads/feature.h"
#include "leads/model_internal.h"

#define MAX_CANDIDATES 300           /* fields considered */
#define MAX_COLUMNS 400              /* columns of the model (the Hessian is dense) */
#define NUMERIC_TEXT_MIN_DISTINCT 20 /* numeric texts with fewer distinct values are categories */
#define CROSS_FIELDS 6               /* categorical fields whose pairs of levels become columns */

struct candidate {
	struct lead_field_ref field;
	bool fixed; /* a lead column: kind and transform are given */
	enum feature_kind kind;
	enum feature_transform transform;
	size_t present;
	size_t n_text, n_number, n_bool;
	size_t n_numeric_text; /* texts that are numbers ("12.5") */
	json_t *levels;        /* owned: level -> count */
	json_t *converted;     /* owned: level -> how many of its leads converted */
	size_t present_converted;
	double *values; /* owned: the numbers seen */
	size_t nvalues, cap;
};

struct discovery {
	struct candidate *c; /* owned */
	size_t n, cap;
	json_t *index; /* owned: field name -> index in c */
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
	if (!c->levels || !c->converted ||
	    json_object_set_new(d->index, name, json_integer((json_int_t)d->n)) != 0) {
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
		enum feature_kind kind;
		enum feature_transform transform;
	} fixed[] = {
	    {"source", FEATURE_K_CATEGORICAL, FEATURE_TR_NONE},
	    {"industry", FEATURE_K_CATEGORICAL, FEATURE_TR_NONE},
	    {"authority", FEATURE_K_CATEGORICAL, FEATURE_TR_NONE},
	    {"need", FEATURE_K_CATEGORICAL, FEATURE_TR_NONE},
	    {"budget", FEATURE_K_NUMERIC, FEATURE_TR_NONE},
	    {"employees", FEATURE_K_NUMERIC, FEATURE_TR_NONE},
	    {"engagement", FEATURE_K_NUMERIC, FEATURE_TR_NONE},
	    {"timeline", FEATURE_K_NUMERIC, FEATURE_TR_DAYS},
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
	if (c->transform == FEATURE_TR_DAYS
	        ? v.type != LV_DATE
	        : v.type == LV_NULL || (v.type == LV_TEXT && feature_blank(v.text)))
		return;
	c->present++;
	c->present_converted += converted;
	if (v.type == LV_NUMBER || v.type == LV_DATE) {
		c->n_number++;
		if (feature_raw_number(&c->field, c->transform, l, &x))
			push_value(d, c, x);
	} else if (v.type == LV_BOOL)
		c->n_bool++;
	else {
		c->n_text++;
		if (v.type == LV_TEXT && feature_numeric_text(v.text, &x)) {
			c->n_numeric_text++;
			push_value(d, c, x);
		}
	}
	if (!c->fixed || c->kind == FEATURE_K_CATEGORICAL) {
		const char *s = feature_raw_text(&c->field, l, buf, sizeof buf);
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
	json_object_foreach((json_t *)l->attributes, key, v)
	{
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
add_column(struct feature *f, enum feature_term t, double knot, const char *level)
{
	struct feature_column *col = &f->cols[f->ncols];

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
	if (c->transform == FEATURE_TR_NONE && lo >= 0 && skew > 1)
		f->transform = FEATURE_TR_LOG1P;
	double *z = malloc(n * sizeof *z);
	if (!z)
		return false;
	sum = sq = 0;
	for (size_t i = 0; i < n; i++) {
		z[i] = feature_transformed(f->transform, c->values[i]);
		sum += z[i];
	}
	f->center = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (z[i] - f->center) * (z[i] - f->center);
	f->scale = sqrt(sq / (double)n);
	bool ok = true;
	if (f->scale > 1e-9) {
		ok = add_column(f, FEATURE_T_VALUE, 0, NULL);
		for (size_t i = 0; i < n; i++)
			z[i] = (z[i] - f->center) / f->scale;
		qsort(z, n, sizeof *z, by_double);
		double last = z[0];
		for (int q = 1; q <= FEATURE_MAX_KNOTS && ok; q++) {
			double knot = z[(size_t)((double)q / (FEATURE_MAX_KNOTS + 1) * (double)(n - 1))];
			size_t above = 0;
			for (size_t i = 0; i < n; i++)
				above += z[i] > knot;
			if (knot > last + 1e-9 && knot < z[n - 1] && above >= min_count) {
				ok = add_column(f, FEATURE_T_HINGE, knot, NULL);
				last = knot;
			}
		}
	} else
		f->scale = 1;
	free(z);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, FEATURE_T_MISSING, 0, NULL);
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
	json_object_foreach(c->levels, level, v)
	{
		lc[k++] = (struct level_count){level, (size_t)json_integer_value(v)};
	}
	qsort(lc, n, sizeof *lc, by_count_desc);
	for (k = 0; k < n && ok && f->ncols < FEATURE_MAX_LEVELS; k++)
		if (varies(lc[k].count, rows, min_count)) {
			ok = add_column(f, FEATURE_T_LEVEL, 0, lc[k].level);
			kept += lc[k].count;
		} else if (lc[k].count < min_count)
			break;
	free(lc);
	if (ok && c->present - kept > 0 && varies(c->present - kept, rows, min_count))
		ok = add_column(f, FEATURE_T_OTHER, 0, NULL);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, FEATURE_T_MISSING, 0, NULL);
	return ok;
}

static bool
boolean_feature(const struct candidate *c, size_t rows, size_t min_count, struct feature *f)
{
	json_t *t = json_object_get(c->levels, "true");
	size_t ntrue = t ? (size_t)json_integer_value(t) : 0;
	bool ok = true;

	if (varies(ntrue, rows, min_count))
		ok = add_column(f, FEATURE_T_TRUE, 0, NULL);
	if (ok && varies(rows - c->present, rows, min_count))
		ok = add_column(f, FEATURE_T_MISSING, 0, NULL);
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

size_t
discovery_min_count(size_t rows)
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

	json_object_foreach(c->levels, level, v)
	{
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
discovery_model(struct discovery *d, struct model **out, double **gain)
{
	size_t min_count = discovery_min_count(d->rows);
	struct model *m = calloc(1, sizeof *m);
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
			f->kind = FEATURE_K_NUMERIC;
		else if (c->n_text == 0 && c->n_number == 0)
			f->kind = FEATURE_K_BOOLEAN;
		else
			f->kind = FEATURE_K_CATEGORICAL;
		if (!(f->cols = calloc(FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 3, sizeof *f->cols)))
			goto out;
		f->scale = 1;
		bool ok = f->kind == FEATURE_K_NUMERIC       ? numeric_feature(c, d->rows, min_count, f)
		          : f->kind == FEATURE_K_CATEGORICAL ? categorical_feature(c, d->rows, min_count, f)
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
		g[m->nfeatures - 1] = f->kind == FEATURE_K_CATEGORICAL ? information_gain(d, c) : 0;
	}
	model_index(m);
	*out = m;
	*gain = g;
	m = NULL;
	g = NULL;
	st = ST_OK;
out:
	model_free(m);
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
cross_feature(struct model *m, const struct feature *fa, const struct feature *fb, const json_t *counts,
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
	json_object_foreach((json_t *)counts, key, v)
	{
		lc[k++] = (struct level_count){key, (size_t)json_integer_value(v)};
	}
	qsort(lc, n, sizeof *lc, by_count_desc);
	memset(f, 0, sizeof *f);
	f->kind = FEATURE_K_CROSS;
	f->field = fa->field;
	f->field2 = fb->field;
	f->scale = 1;
	if (!(f->cols = calloc(FEATURE_MAX_LEVELS + 1, sizeof *f->cols))) {
		free(lc);
		return false;
	}
	for (k = 0; k < n && ok && f->ncols < FEATURE_MAX_LEVELS && m->ncols + f->ncols < MAX_COLUMNS; k++) {
		if (lc[k].count < min_count)
			break;
		if (!varies(lc[k].count, rows, min_count))
			continue;
		struct feature_column *col = &f->cols[f->ncols];
		col->term = FEATURE_T_PAIR;
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
 * FEATURE_MAX_LEVELS per pair, within MAX_COLUMNS. A main-effects model cannot
 * tell that, say, an occupation converts differently after one last
 * activity than after another; these columns can. Reads the train leads
 * once more.
 */
static enum status
add_crosses(struct model *m, const double *gain, const struct lead_source *src, const unsigned char *train,
            size_t rows)
{
	enum { NPAIRS = CROSS_FIELDS * (CROSS_FIELDS - 1) / 2 };
	size_t pick[CROSS_FIELDS], npick = 0, min_count = discovery_min_count(rows);
	json_t *counts[NPAIRS] = {0};
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
			if (!taken && gain[i] > 0 && gain[i] >= best / 4 &&
			    (at == m->nfeatures || gain[i] > gain[at]))
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
			text[k] = feature_raw_text(&m->features[pick[k]].field, &l, bufs[k], sizeof bufs[k]);
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

enum status
discovery_run(const struct lead_source *src, const unsigned char *train, const unsigned char *y,
              struct model **out, size_t *rows_out)
{
	struct discovery disc;
	struct model *m = NULL;
	double *gain = NULL;
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
	*out = m;
	*rows_out = rows;
	m = NULL;
out:
	discovery_clear(&disc);
	free(gain);
	model_free(m);
	return st;
}
