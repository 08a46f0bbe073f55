#include "leads/fit.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "leads/discovery.h"
#include "leads/feature.h"
#include "leads/model_internal.h"

#define NFOLDS 5
#define CV_MAX_ROWS 10000 /* alpha is chosen on at most this many leads */
#define NEWTON_MAX_ITER 60
#define CROSS_PENALTY 4.0 /* a cross column's L2 penalty, in multiples of a main effect's */

/* Penalty per lead, strongest first (warm starts follow the path). */
static const double alpha_grid[] = {0.1, 0.03, 0.01, 0.003, 0.001, 0.0003, 0.0001};

/* log(1 + e^z) without overflow. */
static double
softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

/* ---- the folds and the CV sample ------------------------------------------------------ */

static int
fold_of(int64_t id)
{
	return (int)((model_splitmix64((uint64_t)id) >> 32) % NFOLDS);
}

/* In the subsample on which alpha is chosen (about `share` of the leads, per mille)? */
static bool
in_cv_sample(int64_t id, unsigned share)
{
	return (model_splitmix64((uint64_t)id ^ 0x5bd1e995ULL) >> 20) % 1000 < share;
}

/* ---- the design matrix -------------------------------------------------------------- */

struct design {
	size_t n;
	int p;                  /* columns (the intercept is extra) */
	size_t *start;          /* owned: n + 1 offsets into col/val */
	int *col;               /* owned */
	double *val;            /* owned */
	unsigned char *y;       /* owned */
	unsigned char *fold;    /* owned: 0..NFOLDS-1, or NFOLDS when not in the CV sample */
	unsigned char *holdout; /* owned: 1 for a holdout lead */
	size_t *row;            /* owned: index in the source */
	double *penalty;        /* owned: p + 1 multipliers of lambda (the intercept's is 0) */
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
design_build(const struct model *m, const struct lead_source *src, const unsigned char *train,
             const unsigned char *y, unsigned cv_share, struct design *d)
{
	int idx[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4];
	double val[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4];
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
			d->penalty[m->features[k].first + c + 1] =
			    m->features[k].kind == FEATURE_K_CROSS ? CROSS_PENALTY : 1;
	for (size_t i = 0; i < src->n && st == ST_OK; i++) {
		struct lead l;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			break;
		for (size_t k = 0; k < m->nfeatures && st == ST_OK; k++) {
			const struct feature *f = &m->features[k];
			int n = feature_encode(f, &l, idx, val);
			for (int j = 0; j < n; j++)
				if (!design_push(d, f->first + idx[j], val[j]))
					st = ST_NOMEM;
		}
		d->y[d->n] = y[i];
		d->holdout[d->n] = !train[i];
		d->fold[d->n] =
		    train[i] && in_cv_sample(l.id, cv_share) ? (unsigned char)fold_of(l.id) : NFOLDS;
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
			double p = model_sigmoid(row_eta(d, i, beta));
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
			struct rows r = {.skip_fold = k, .cv_only = true};
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
set_coefficients(struct model *m, const struct design *d, const struct rows *r, const double *beta,
                 double alpha)
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

enum status
fit_models(const struct lead_source *src, const unsigned char *train, const unsigned char *y, double *alpha,
           struct model **eval, struct model **final)
{
	struct design d = {0};
	struct model *m = NULL, *e = NULL;
	double *beta = NULL;
	size_t rows = 0;
	enum status st;

	if ((st = discovery_run(src, train, y, &m, &rows)) != ST_OK)
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
	struct rows train_rows = {.skip_fold = -1, .train_only = true}, all = {.skip_fold = -1};
	if ((st = newton(&d, &train_rows, *alpha * (double)rows, beta)) != ST_OK ||
	    (st = set_coefficients(m, &d, &train_rows, beta, *alpha)) != ST_OK)
		goto out;
	if (!(e = model_clone(m))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = newton(&d, &all, *alpha * (double)d.n, beta)) != ST_OK ||
	    (st = set_coefficients(m, &d, &all, beta, *alpha)) != ST_OK)
		goto out;
	*eval = e;
	*final = m;
	e = m = NULL;
out:
	design_clear(&d);
	model_free(m);
	model_free(e);
	free(beta);
	return st;
}
