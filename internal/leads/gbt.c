#include "leads/gbt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/feature.h"
#include "leads/model_internal.h"

#define MIN_SPLIT_GAIN 1e-9
#define VALIDATION_SALT 0x27d4eb2f165667c5ULL /* the validation slice, apart from the holdout's hash */
#define SAMPLE_SALT 0x165667b19e3779f9ULL     /* the sample of GBT_MAX_ROWS leads */

struct gbt_node {
	int col; /* -1: a leaf */
	int left, right;
	int bin; /* while training: bins <= bin go left */
	bool missing_left;
	double threshold;
	double value; /* the tree's log-odds here, shrinkage included */
};

struct gbt {
	int p;
	double base;
	double learning_rate;
	double lambda;
	int max_depth;
	int ntrees;
	size_t *first;          /* owned: ntrees + 1 offsets into nodes */
	struct gbt_node *nodes; /* owned */
	size_t nnodes, cap, first_cap;
};

struct gbt_options
gbt_default_options(void)
{
	return (struct gbt_options){.max_depth = 4,
	                            .max_rounds = 500,
	                            .patience = 30,
	                            .learning_rate = 0.1,
	                            .lambda = 1,
	                            .min_child_weight = 1};
}

void
gbt_free(struct gbt *g)
{
	if (!g)
		return;
	free(g->first);
	free(g->nodes);
	free(g);
}

static struct gbt *
gbt_new(int p)
{
	struct gbt *g = calloc(1, sizeof *g);

	if (!g || !(g->first = calloc(1, sizeof *g->first))) {
		free(g);
		return NULL;
	}
	g->p = p;
	g->first_cap = 1;
	return g;
}

struct gbt *
gbt_clone(const struct gbt *g)
{
	struct gbt *c = malloc(sizeof *c);

	if (!c)
		return NULL;
	*c = *g;
	c->first = malloc(((size_t)g->ntrees + 1) * sizeof *c->first);
	c->nodes = malloc((g->nnodes + 1) * sizeof *c->nodes);
	if (!c->first || !c->nodes) {
		free(c->first);
		free(c->nodes);
		free(c);
		return NULL;
	}
	memcpy(c->first, g->first, ((size_t)g->ntrees + 1) * sizeof *c->first);
	if (g->nnodes)
		memcpy(c->nodes, g->nodes, g->nnodes * sizeof *c->nodes);
	c->cap = g->nnodes + 1;
	c->first_cap = (size_t)g->ntrees + 1;
	return c;
}

int
gbt_trees(const struct gbt *g)
{
	return g->ntrees;
}

int
gbt_columns(const struct gbt *g)
{
	return g->p;
}

/* A new node at the end of the tree being grown: its index within the tree, or -1 out of memory. */
static int
node_push(struct gbt *g)
{
	if (g->nnodes == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 256;
		struct gbt_node *n = realloc(g->nodes, cap * sizeof *n);
		if (!n)
			return -1;
		g->nodes = n;
		g->cap = cap;
	}
	g->nodes[g->nnodes] = (struct gbt_node){.col = -1};
	return (int)(g->nnodes++ - g->first[g->ntrees]);
}

/* Close the tree being grown. */
static bool
tree_close(struct gbt *g)
{
	if ((size_t)g->ntrees + 2 > g->first_cap) {
		size_t cap = 2 * g->first_cap + 2;
		size_t *f = realloc(g->first, cap * sizeof *f);
		if (!f)
			return false;
		g->first = f;
		g->first_cap = cap;
	}
	g->first[++g->ntrees] = g->nnodes;
	return true;
}

double
gbt_margin(const struct gbt *g, const double *x, double *contrib)
{
	double m = g->base;

	for (int t = 0; t < g->ntrees; t++) {
		const struct gbt_node *nd = g->nodes + g->first[t];
		int k = 0;
		while (nd[k].col >= 0) {
			double v = x[nd[k].col];
			int next = isnan(v)               ? (nd[k].missing_left ? nd[k].left : nd[k].right)
			           : v <= nd[k].threshold ? nd[k].left
			                                  : nd[k].right;
			if (contrib)
				contrib[nd[k].col] += nd[next].value - nd[k].value;
			k = next;
		}
		m += nd[k].value;
	}
	return m;
}

double
gbt_expected(const struct gbt *g)
{
	double m = g->base;

	for (int t = 0; t < g->ntrees; t++)
		m += g->nodes[g->first[t]].value;
	return m;
}

/* ---- binning ------------------------------------------------------------------------ */

struct binned {
	size_t n;      /* rows kept: fit and validation */
	size_t *row;   /* owned: index in the matrix */
	size_t *start; /* owned: n + 1 */
	uint16_t *col; /* owned: entries whose bin is not the column's zero bin */
	uint8_t *bin;  /* owned */
	int p;
	int *nb;           /* owned: bins per column; 0 = not split on */
	size_t *off;       /* owned: the column's first bin in a histogram */
	size_t nbins;      /* bins of a histogram */
	uint8_t *zero_bin; /* owned: the bin of 0 (an absent entry) */
	double *cut;       /* owned: the cut points, cut[off[c] .. off[c] + nb[c] - 2) */
};

static void
binned_clear(struct binned *b)
{
	free(b->row);
	free(b->start);
	free(b->col);
	free(b->bin);
	free(b->nb);
	free(b->off);
	free(b->zero_bin);
	free(b->cut);
	memset(b, 0, sizeof *b);
}

/* Bin of v in column c: 0 when missing, else 1 + the number of cut points below v. */
static int
bin_of(const struct binned *b, int c, double v)
{
	if (isnan(v))
		return 0;
	const double *cut = b->cut + b->off[c];
	int lo = 0, hi = b->nb[c] - 2;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		if (cut[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 1 + lo;
}

static int
by_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The cut points of one column from its values over the fit rows (vals,
 * NANs included; nzero more rows read 0) into cut (room for GBT_MAX_BINS - 2):
 * midpoints between the distinct values when at most GBT_MAX_BINS - 1, else
 * quantiles. Returns how many; tmp holds nvals + nzero doubles.
 */
static int
column_cuts(const double *vals, size_t nvals, size_t nzero, double *cut, double *tmp)
{
	double distinct[GBT_MAX_BINS];
	int nd = 0;
	size_t m = 0;

	if (nzero)
		distinct[nd++] = 0;
	for (size_t i = 0; i < nvals && nd < GBT_MAX_BINS; i++) {
		if (isnan(vals[i]))
			continue;
		int k = 0;
		while (k < nd && distinct[k] != vals[i])
			k++;
		if (k == nd)
			distinct[nd++] = vals[i];
	}
	if (nd < GBT_MAX_BINS) {
		qsort(distinct, (size_t)nd, sizeof *distinct, by_double);
		for (int k = 0; k + 1 < nd; k++)
			cut[k] = distinct[k] + (distinct[k + 1] - distinct[k]) / 2;
		return nd > 0 ? nd - 1 : 0;
	}
	for (size_t i = 0; i < nvals; i++)
		if (!isnan(vals[i]))
			tmp[m++] = vals[i];
	for (size_t i = 0; i < nzero; i++)
		tmp[m++] = 0;
	qsort(tmp, m, sizeof *tmp, by_double);
	int k = 0;
	for (int q = 1; q < GBT_MAX_BINS - 1; q++) {
		double v = tmp[(size_t)((double)q / (GBT_MAX_BINS - 1) * (double)(m - 1))];
		if (v < tmp[m - 1] && (k == 0 || v > cut[k - 1]))
			cut[k++] = v;
	}
	return k;
}

/* The histogram bins of x's columns (cut on the fit rows) and the binned fit and validation rows. */
static enum status
binned_build(const struct gbt_matrix *x, const unsigned char *role, struct binned *b)
{
	size_t nfit = 0, *cstart = NULL, *cfill = NULL;
	double *cval = NULL, *tmp = NULL;
	enum status st = ST_NOMEM;
	int p = x->p;

	memset(b, 0, sizeof *b);
	b->p = p;
	b->nb = calloc((size_t)p, sizeof *b->nb);
	b->off = calloc((size_t)p + 1, sizeof *b->off);
	b->zero_bin = calloc((size_t)p, 1);
	b->cut = malloc((size_t)p * GBT_MAX_BINS * sizeof *b->cut);
	cstart = calloc((size_t)p + 1, sizeof *cstart);
	cfill = calloc((size_t)p + 1, sizeof *cfill);
	if (!b->nb || !b->off || !b->zero_bin || !b->cut || !cstart || !cfill)
		goto out;
	/* the fit rows' values column by column */
	for (size_t i = 0; i < x->n; i++)
		if (role[i] == GBT_FIT) {
			nfit++;
			for (size_t e = x->start[i]; e < x->start[i + 1]; e++)
				cstart[x->col[e] + 1]++;
		}
	for (int c = 0; c < p; c++)
		cstart[c + 1] += cstart[c];
	if (!(cval = malloc((cstart[p] + 1) * sizeof *cval)) || !(tmp = malloc((nfit + 1) * sizeof *tmp)))
		goto out;
	for (size_t i = 0; i < x->n; i++)
		if (role[i] == GBT_FIT)
			for (size_t e = x->start[i]; e < x->start[i + 1]; e++) {
				int c = x->col[e];
				cval[cstart[c] + cfill[c]++] = x->val[e];
			}
	size_t at = 0;
	for (int c = 0; c < p; c++) {
		size_t nv = cstart[c + 1] - cstart[c];
		b->off[c] = at;
		if (x->splittable && !x->splittable[c])
			continue;
		int k = column_cuts(cval + cstart[c], nv, nfit - nv, b->cut + at, tmp);
		if (k == 0)
			continue;
		b->nb[c] = k + 2;
		at += (size_t)k + 2;
		b->zero_bin[c] = (uint8_t)bin_of(b, c, 0);
	}
	b->off[p] = b->nbins = at;
	/* the binned rows: only entries off their column's zero bin */
	size_t nrows = 0, nent = 0;
	for (size_t i = 0; i < x->n; i++)
		if (role[i] != GBT_SKIP) {
			nrows++;
			nent += x->start[i + 1] - x->start[i];
		}
	b->row = malloc((nrows + 1) * sizeof *b->row);
	b->start = malloc((nrows + 1) * sizeof *b->start);
	b->col = malloc((nent + 1) * sizeof *b->col);
	b->bin = malloc(nent + 1);
	if (!b->row || !b->start || !b->col || !b->bin)
		goto out;
	nent = 0;
	b->start[0] = 0;
	for (size_t i = 0; i < x->n; i++) {
		if (role[i] == GBT_SKIP)
			continue;
		for (size_t e = x->start[i]; e < x->start[i + 1]; e++) {
			int c = x->col[e];
			if (!b->nb[c])
				continue;
			int bin = bin_of(b, c, x->val[e]);
			if (bin == b->zero_bin[c])
				continue;
			b->col[nent] = (uint16_t)c;
			b->bin[nent++] = (uint8_t)bin;
		}
		b->row[b->n] = i;
		b->start[++b->n] = nent;
	}
	st = ST_OK;
out:
	free(cstart);
	free(cfill);
	free(cval);
	free(tmp);
	return st;
}

/* Bin of binned row r in column c. */
static int
row_bin(const struct binned *b, size_t r, int c)
{
	for (size_t e = b->start[r]; e < b->start[r + 1]; e++)
		if (b->col[e] == c)
			return b->bin[e];
	return b->zero_bin[c];
}

/* ---- growing a tree ----------------------------------------------------------------- */

struct grower {
	const struct binned *b;
	const struct gbt_options *o;
	const double *g, *h; /* per binned row */
	double *f;           /* per binned row: the log-odds so far */
	size_t *rows;        /* the fit rows, partitioned node by node */
	double **hist;       /* one histogram (g, h per bin) per depth */
	struct gbt *t;
};

/* The histogram of rows[lo, hi) into hist; their sums into *G, *H. */
static void
hist_build(const struct grower *w, size_t lo, size_t hi, double *hist, double *G, double *H)
{
	const struct binned *b = w->b;
	double sg = 0, sh = 0;

	memset(hist, 0, 2 * b->nbins * sizeof *hist);
	for (size_t k = lo; k < hi; k++) {
		size_t r = w->rows[k];
		double gi = w->g[r], hi_ = w->h[r];
		sg += gi;
		sh += hi_;
		for (size_t e = b->start[r]; e < b->start[r + 1]; e++) {
			size_t at = 2 * (b->off[b->col[e]] + b->bin[e]);
			hist[at] += gi;
			hist[at + 1] += hi_;
		}
	}
	/* the rows not listed in a column are in its zero bin */
	for (int c = 0; c < b->p; c++) {
		if (!b->nb[c])
			continue;
		double cg = 0, ch = 0, *hc = hist + 2 * b->off[c];
		for (int k = 0; k < b->nb[c]; k++) {
			cg += hc[2 * k];
			ch += hc[2 * k + 1];
		}
		hc[2 * b->zero_bin[c]] = sg - cg;
		hc[2 * b->zero_bin[c] + 1] = sh - ch;
	}
	*G = sg;
	*H = sh;
}

struct split {
	int col, bin;
	bool missing_left;
	double gain, gl, hl;
};

static struct split
best_split(const struct grower *w, const double *hist, double G, double H)
{
	const struct binned *b = w->b;
	double lambda = w->o->lambda, mcw = w->o->min_child_weight, parent = G * G / (H + lambda);
	struct split best = {.col = -1, .gain = MIN_SPLIT_GAIN};

	for (int c = 0; c < b->p; c++) {
		if (b->nb[c] < 3)
			continue;
		const double *hc = hist + 2 * b->off[c];
		double gm = hc[0], hm = hc[1], gl = 0, hl = 0;
		for (int s = 1; s <= b->nb[c] - 2; s++) {
			gl += hc[2 * s];
			hl += hc[2 * s + 1];
			for (int ml = 1; ml >= 0; ml--) {
				double GL = gl + (ml ? gm : 0), HL = hl + (ml ? hm : 0), GR = G - GL,
				       HR = H - HL;
				if (HL < mcw || HR < mcw)
					continue;
				double gain = GL * GL / (HL + lambda) + GR * GR / (HR + lambda) - parent;
				if (gain > best.gain)
					best = (struct split){.col = c,
					                      .bin = s,
					                      .missing_left = ml,
					                      .gain = gain,
					                      .gl = GL,
					                      .hl = HL};
			}
		}
	}
	return best;
}

/* Grow the node of rows[lo, hi) (histogram hist, sums G and H); its index in the tree, or -1 out of memory.
 */
static int
grow(struct grower *w, size_t lo, size_t hi, int depth, double *hist, double G, double H)
{
	const struct binned *b = w->b;
	int id = node_push(w->t);

	if (id < 0)
		return -1;
	double value = -G / (H + w->o->lambda) * w->o->learning_rate;
	struct gbt_node *nd = &w->t->nodes[w->t->first[w->t->ntrees] + (size_t)id];
	nd->value = value;
	struct split s = {.col = -1};
	if (depth < w->o->max_depth && hi - lo >= 2)
		s = best_split(w, hist, G, H);
	if (s.col < 0) {
		for (size_t k = lo; k < hi; k++)
			w->f[w->rows[k]] += value;
		return id;
	}
	nd->col = s.col;
	nd->bin = s.bin;
	nd->missing_left = s.missing_left;
	nd->threshold = b->cut[b->off[s.col] + (size_t)s.bin - 1];
	/* rows going left first */
	size_t i = lo, j = hi;
	while (i < j) {
		int bin = row_bin(b, w->rows[i], s.col);
		if (bin == 0 ? s.missing_left : bin <= s.bin) {
			i++;
		} else {
			size_t tmp = w->rows[i];
			w->rows[i] = w->rows[--j];
			w->rows[j] = tmp;
		}
	}
	size_t mid = i;
	double gl = s.gl, hl = s.hl, gr = G - gl, hr = H - hl;
	/* the smaller child's histogram is built, the larger one's is its parent's less it */
	bool left_small = mid - lo <= hi - mid;
	double *small = w->hist[depth + 1], sg, sh;
	if (left_small)
		hist_build(w, lo, mid, small, &sg, &sh);
	else
		hist_build(w, mid, hi, small, &sg, &sh);
	for (size_t k = 0; k < 2 * b->nbins; k++)
		hist[k] -= small[k];
	/* sums recomputed from the rows, not from the split's running totals */
	if (left_small) {
		gl = sg, hl = sh, gr = G - sg, hr = H - sh;
	} else {
		gr = sg, hr = sh, gl = G - sg, hl = H - sh;
	}
	int left, right;
	if (left_small) {
		left = grow(w, lo, mid, depth + 1, small, gl, hl);
		right = left < 0 ? -1 : grow(w, mid, hi, depth + 1, hist, gr, hr);
	} else {
		right = grow(w, mid, hi, depth + 1, small, gr, hr);
		left = right < 0 ? -1 : grow(w, lo, mid, depth + 1, hist, gl, hl);
	}
	if (left < 0 || right < 0)
		return -1;
	nd = &w->t->nodes[w->t->first[w->t->ntrees] + (size_t)id];
	nd->left = left;
	nd->right = right;
	return id;
}

/* The last tree's value for binned row r. */
static double
tree_value_binned(const struct gbt *t, const struct binned *b, size_t r)
{
	const struct gbt_node *nd = t->nodes + t->first[t->ntrees - 1];
	int k = 0;

	while (nd[k].col >= 0) {
		int bin = row_bin(b, r, nd[k].col);
		k = (bin == 0 ? nd[k].missing_left : bin <= nd[k].bin) ? nd[k].left : nd[k].right;
	}
	return nd[k].value;
}

static double
row_loss(double f, unsigned char y)
{
	/* log(1 + e^f) - y f, without overflow */
	double sp = f > 0 ? f + log1p(exp(-f)) : log1p(exp(f));
	return sp - (y ? f : 0);
}

enum status
gbt_fit(const struct gbt_matrix *x, const unsigned char *y, const unsigned char *role,
        const struct gbt_options *o, struct gbt **out, int *rounds)
{
	struct binned b = {0};
	struct grower w = {.o = o};
	struct gbt *t = NULL;
	double *g = NULL, *h = NULL, *f = NULL, *hist[GBT_MAX_DEPTH + 2] = {0};
	size_t *fit = NULL, nfit = 0, nvalid = 0, n1 = 0;
	enum status st;

	if (o->max_depth < 1 || o->max_depth > GBT_MAX_DEPTH || o->max_rounds < 1 ||
	    o->max_rounds > GBT_MAX_TREES || !(o->learning_rate > 0) || !(o->lambda >= 0) ||
	    !(o->min_child_weight >= 0) || x->p < 1 || x->p > GBT_MAX_COLUMNS)
		return ST_INVALID;
	for (size_t i = 0; i < x->n; i++) {
		nfit += role[i] == GBT_FIT;
		nvalid += role[i] == GBT_VALIDATE;
		n1 += role[i] == GBT_FIT && y[i];
	}
	if (nfit == 0)
		return ST_INVALID;
	if ((st = binned_build(x, role, &b)) != ST_OK)
		goto out;
	st = ST_NOMEM;
	g = calloc(b.n + 1, sizeof *g);
	h = calloc(b.n + 1, sizeof *h);
	f = calloc(b.n + 1, sizeof *f);
	fit = calloc(nfit + 1, sizeof *fit);
	if (!g || !h || !f || !fit || !(t = gbt_new(x->p)))
		goto out;
	for (int d = 0; d <= o->max_depth; d++)
		if (!(hist[d] = malloc((2 * b.nbins + 1) * sizeof *hist[d])))
			goto out;
	double rate = ((double)n1 + 0.5) / ((double)nfit + 1);
	t->base = log(rate / (1 - rate));
	t->learning_rate = o->learning_rate;
	t->lambda = o->lambda;
	t->max_depth = o->max_depth;
	for (size_t r = 0; r < b.n; r++)
		f[r] = t->base;
	w = (struct grower){.b = &b, .o = o, .g = g, .h = h, .f = f, .rows = fit, .hist = hist, .t = t};
	double best = INFINITY;
	int best_trees = 0;
	for (int round = 0; round < o->max_rounds; round++) {
		size_t k = 0;
		for (size_t r = 0; r < b.n; r++)
			if (role[b.row[r]] == GBT_FIT) {
				double p = model_sigmoid(f[r]);
				g[r] = p - (y[b.row[r]] ? 1 : 0);
				h[r] = fmax(p * (1 - p), 1e-16);
				fit[k++] = r;
			}
		double G, H;
		hist_build(&w, 0, nfit, hist[0], &G, &H);
		if (grow(&w, 0, nfit, 0, hist[0], G, H) < 0 || !tree_close(t))
			goto out;
		if (!nvalid)
			continue;
		double loss = 0;
		for (size_t r = 0; r < b.n; r++)
			if (role[b.row[r]] == GBT_VALIDATE) {
				f[r] += tree_value_binned(t, &b, r);
				loss += row_loss(f[r], y[b.row[r]]);
			}
		if (best_trees == 0 || loss < best - 1e-12 * best) {
			best = loss;
			best_trees = t->ntrees;
		} else if (t->ntrees - best_trees >= o->patience) {
			break;
		}
	}
	if (nvalid) { /* cut back to the best round */
		t->ntrees = best_trees;
		t->nnodes = t->first[best_trees];
	}
	*out = t;
	*rounds = t->ntrees;
	t = NULL;
	st = ST_OK;
out:
	binned_clear(&b);
	gbt_free(t);
	free(g);
	free(h);
	free(f);
	free(fit);
	for (int d = 0; d <= GBT_MAX_DEPTH + 1; d++)
		free(hist[d]);
	return st;
}

/* ---- JSON ----------------------------------------------------------------------------- */

json_t *
gbt_to_json(const struct gbt *g)
{
	json_t *trees = json_array();
	bool ok = trees != NULL;

	for (int t = 0; ok && t < g->ntrees; t++) {
		json_t *nodes = json_array();
		ok = nodes != NULL;
		for (size_t k = g->first[t]; ok && k < g->first[t + 1]; k++) {
			const struct gbt_node *nd = &g->nodes[k];
			json_t *o = nd->col < 0 ? json_pack("{s:f}", "value", nd->value)
			                        : json_pack("{s:i,s:f,s:s,s:i,s:i,s:f}", "column", nd->col,
			                                    "threshold", nd->threshold, "missing",
			                                    nd->missing_left ? "left" : "right", "left",
			                                    nd->left, "right", nd->right, "value", nd->value);
			ok = o && json_array_append_new(nodes, o) == 0;
		}
		if (!ok || json_array_append_new(trees, nodes) != 0) {
			if (!ok)
				json_decref(nodes);
			ok = false;
		}
	}
	if (!ok) {
		json_decref(trees);
		return NULL;
	}
	return json_pack("{s:f,s:f,s:i,s:f,s:i,s:o}", "base_score", g->base, "learning_rate",
	                 g->learning_rate, "max_depth", g->max_depth, "lambda", g->lambda, "rounds",
	                 g->ntrees, "trees", trees);
}

#define DAMAGED(...)                                                                                         \
	do {                                                                                                 \
		snprintf(why, whylen, __VA_ARGS__);                                                          \
		st = ST_INVALID;                                                                             \
		goto out;                                                                                    \
	} while (0)

enum status
gbt_from_json(const json_t *j, int p, struct gbt **out, char *why, size_t whylen)
{
	const json_t *trees = json_object_get(j, "trees"), *depth = json_object_get(j, "max_depth"),
	             *rounds = json_object_get(j, "rounds");
	struct gbt *g = gbt_new(p);
	unsigned char *seen = NULL;
	int *level = NULL;
	enum status st = ST_NOMEM;
	size_t max_nodes = ((size_t)2 << GBT_MAX_DEPTH) - 1;

	if (!g)
		return ST_NOMEM;
	if (!(seen = calloc(max_nodes, 1)) || !(level = calloc(max_nodes, sizeof *level)))
		goto out;
	if (p < 1 || p > GBT_MAX_COLUMNS)
		DAMAGED("the trees read %d columns; at most %d are allowed", p, GBT_MAX_COLUMNS);
	if (!model_json_number(j, "base_score", &g->base) ||
	    !model_json_number(j, "learning_rate", &g->learning_rate) ||
	    !model_json_number(j, "lambda", &g->lambda) || !json_is_integer(depth) ||
	    !json_is_integer(rounds))
		DAMAGED("%s",
		        "base_score, learning_rate, lambda, max_depth and rounds must be finite numbers");
	if (json_integer_value(depth) < 1 || json_integer_value(depth) > GBT_MAX_DEPTH)
		DAMAGED("max_depth must be 1..%d", GBT_MAX_DEPTH);
	g->max_depth = (int)json_integer_value(depth);
	if (!json_is_array(trees) || json_array_size(trees) < 1 || json_array_size(trees) > GBT_MAX_TREES ||
	    (json_int_t)json_array_size(trees) != json_integer_value(rounds))
		DAMAGED("trees must be 1..%d trees, as many as rounds", GBT_MAX_TREES);
	for (size_t t = 0; t < json_array_size(trees); t++) {
		const json_t *nodes = json_array_get(trees, t);
		size_t nn = json_array_size(nodes);
		if (!json_is_array(nodes) || nn < 1 || nn > max_nodes)
			DAMAGED("tree %zu must have 1..%zu nodes", t, max_nodes);
		memset(seen, 0, nn);
		level[0] = 0;
		for (size_t k = 0; k < nn; k++) {
			const json_t *o = json_array_get(nodes, k), *col = json_object_get(o, "column");
			if (node_push(g) < 0)
				goto out;
			struct gbt_node *nd = &g->nodes[g->nnodes - 1];
			if (!json_is_object(o) || !model_json_number(o, "value", &nd->value))
				DAMAGED("tree %zu node %zu: value must be a finite number", t, k);
			if (k > 0 && !seen[k])
				DAMAGED("tree %zu node %zu: no node leads to it", t, k);
			if (!col)
				continue;
			const json_t *l = json_object_get(o, "left"), *r = json_object_get(o, "right"),
			             *miss = json_object_get(o, "missing");
			if (!json_is_integer(col) || json_integer_value(col) < 0 ||
			    json_integer_value(col) >= p)
				DAMAGED("tree %zu node %zu: column must be 0..%d", t, k, p - 1);
			if (!model_json_number(o, "threshold", &nd->threshold))
				DAMAGED("tree %zu node %zu: threshold must be a finite number", t, k);
			if (!json_is_string(miss) || (strcmp(json_string_value(miss), "left") != 0 &&
			                              strcmp(json_string_value(miss), "right") != 0))
				DAMAGED("tree %zu node %zu: missing must be \"left\" or \"right\"", t, k);
			json_int_t li = json_is_integer(l) ? json_integer_value(l) : -1,
			           ri = json_is_integer(r) ? json_integer_value(r) : -1;
			/* children point forward, each node has one parent: a tree, no cycle */
			if (li <= (json_int_t)k || ri <= (json_int_t)k || li == ri || li >= (json_int_t)nn ||
			    ri >= (json_int_t)nn || seen[li] || seen[ri])
				DAMAGED("tree %zu node %zu: left and right must be two later nodes of the "
				        "tree that "
				        "no other node leads to",
				        t, k);
			if (level[k] + 1 > g->max_depth)
				DAMAGED("tree %zu is deeper than max_depth %d", t, g->max_depth);
			seen[li] = seen[ri] = 1;
			level[li] = level[ri] = level[k] + 1;
			nd->col = (int)json_integer_value(col);
			nd->missing_left = strcmp(json_string_value(miss), "left") == 0;
			nd->left = (int)li;
			nd->right = (int)ri;
		}
		if (!tree_close(g))
			goto out;
	}
	*out = g;
	g = NULL;
	st = ST_OK;
out:
	gbt_free(g);
	free(seen);
	free(level);
	return st;
}

/* ---- trees over a lead model's columns ------------------------------------------------ */

int
gbt_lead_row(const struct model *m, const struct lead *l, int *idx, double *val)
{
	int fidx[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4];
	double fval[FEATURE_MAX_LEVELS + FEATURE_MAX_KNOTS + 4];
	int n = 0;

	for (size_t i = 0; i < m->nfeatures; i++) {
		const struct feature *f = &m->features[i];
		int k = feature_encode(f, l, fidx, fval), value_col = -1;
		bool has_value = false;
		for (int j = 0; j < k; j++) {
			enum feature_term term = f->cols[fidx[j]].term;
			if (term == FEATURE_T_HINGE)
				continue;
			has_value |= term == FEATURE_T_VALUE;
			idx[n] = f->first + fidx[j];
			val[n++] = fval[j];
		}
		if (f->kind != FEATURE_K_NUMERIC || has_value)
			continue;
		for (int c = 0; c < f->ncols && value_col < 0; c++)
			if (f->cols[c].term == FEATURE_T_VALUE)
				value_col = c;
		if (value_col >= 0) {
			idx[n] = f->first + value_col;
			val[n++] = NAN;
		}
	}
	return n;
}

static bool
in_validation(int64_t id)
{
	return model_splitmix64((uint64_t)id ^ VALIDATION_SALT) % 5 == 0;
}

static bool
in_sample(int64_t id, uint64_t per_million)
{
	return (model_splitmix64((uint64_t)id ^ SAMPLE_SALT) >> 11) % 1000000 < per_million;
}

enum status
gbt_train(const struct model *shape, const struct lead_source *src, const unsigned char *train,
          const unsigned char *y, const struct gbt_options *o, struct gbt **eval, struct gbt **final,
          int *rounds)
{
	int p = shape->ncols, *idx = NULL;
	double *v = NULL;
	size_t *start = NULL, n = 0, nnz = 0, cap = 0;
	int *col = NULL;
	double *val = NULL;
	unsigned char *ys = NULL, *role_eval = NULL, *role_all = NULL, *splittable = NULL;
	struct gbt *e = NULL, *f = NULL;
	enum status st = ST_NOMEM;
	uint64_t per_million =
	    src->n > GBT_MAX_ROWS ? (uint64_t)(1e6 * GBT_MAX_ROWS / (double)src->n) : 1000000;

	if (p < 1 || p > GBT_MAX_COLUMNS)
		return ST_INVALID;
	idx = malloc((size_t)p * sizeof *idx);
	v = malloc((size_t)p * sizeof *v);
	start = calloc(src->n + 1, sizeof *start);
	ys = calloc(src->n + 1, 1);
	role_eval = calloc(src->n + 1, 1);
	role_all = calloc(src->n + 1, 1);
	splittable = calloc((size_t)p, 1);
	if (!idx || !v || !start || !ys || !role_eval || !role_all || !splittable)
		goto out;
	for (size_t i = 0; i < shape->nfeatures; i++)
		for (int c = 0; c < shape->features[i].ncols; c++)
			splittable[shape->features[i].first + c] =
			    shape->features[i].cols[c].term != FEATURE_T_HINGE;
	for (size_t i = 0; i < src->n; i++) {
		struct lead l;
		if ((st = src->get(src->ctx, i, &l)) != ST_OK)
			goto out;
		if (!in_sample(l.id, per_million)) {
			src->release(src->ctx, i);
			continue;
		}
		int k = gbt_lead_row(shape, &l, idx, v);
		ys[n] = y[i];
		role_eval[n] = train[i] ? (in_validation(l.id) ? GBT_VALIDATE : GBT_FIT) : GBT_SKIP;
		role_all[n] = GBT_FIT;
		src->release(src->ctx, i);
		if (nnz + (size_t)k > cap) {
			size_t ncap = cap ? 2 * cap : 65536;
			while (ncap < nnz + (size_t)k)
				ncap *= 2;
			int *nc = realloc(col, ncap * sizeof *nc);
			if (!nc)
				goto nomem;
			col = nc;
			double *nv = realloc(val, ncap * sizeof *nv);
			if (!nv)
				goto nomem;
			val = nv;
			cap = ncap;
		}
		memcpy(col + nnz, idx, (size_t)k * sizeof *idx);
		memcpy(val + nnz, v, (size_t)k * sizeof *v);
		nnz += (size_t)k;
		start[++n] = nnz;
	}
	struct gbt_matrix x = {
	    .n = n, .p = p, .start = start, .col = col, .val = val, .splittable = splittable};
	if ((st = gbt_fit(&x, ys, role_eval, o, &e, rounds)) != ST_OK)
		goto out;
	struct gbt_options all = *o;
	all.max_rounds = *rounds > 0 ? *rounds : 1;
	int r2;
	if ((st = gbt_fit(&x, ys, role_all, &all, &f, &r2)) != ST_OK)
		goto out;
	*eval = e;
	*final = f;
	e = f = NULL;
	goto out;
nomem:
	st = ST_NOMEM;
out:
	gbt_free(e);
	gbt_free(f);
	free(idx);
	free(v);
	free(start);
	free(col);
	free(val);
	free(ys);
	free(role_eval);
	free(role_all);
	free(splittable);
	return st;
}
