#include "quota/plan.h"

#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "quota/alloc.h"

typedef __int128 wide;

/* names[v] when v is one of the n values of its enum, else names[0]. */
static const char *
enum_name(const char *const *names, size_t n, unsigned v)
{
	return names[v < n ? v : 0];
}

const char *
quota_source_name(enum quota_source s)
{
	static const char *const names[] = { "none", "explicit", "rolled_up" };

	return enum_name(names, sizeof names / sizeof names[0], s);
}

const char *
quota_method_name(enum quota_method m)
{
	static const char *const names[] = { "equal", "historical", "weighted", "capacity" };

	return enum_name(names, sizeof names / sizeof names[0], m);
}

const char *
quota_split_method_name(enum quota_split_method m)
{
	static const char *const names[] = { "even", "historical", "percentages" };

	return enum_name(names, sizeof names / sizeof names[0], m);
}

/* ---- the tree ------------------------------------------------------------------ */

void
quota_tree_clear(struct quota_tree *t)
{
	for (size_t i = 0; i < t->nteams; i++)
		free(t->teams[i].name);
	for (size_t i = 0; i < t->npeople; i++)
		free(t->people[i].name);
	free(t->teams);
	free(t->people);
	memset(t, 0, sizeof *t);
}

static int
cmp_team(const void *a, const void *b)
{
	int64_t x = ((const struct quota_tree_team *)a)->id, y = ((const struct quota_tree_team *)b)->id;

	return (x > y) - (x < y);
}

static int
cmp_person(const void *a, const void *b)
{
	int64_t x = ((const struct quota_tree_person *)a)->id, y = ((const struct quota_tree_person *)b)->id;

	return (x > y) - (x < y);
}

void
quota_tree_sort(struct quota_tree *t)
{
	if (t->nteams > 1)
		qsort(t->teams, t->nteams, sizeof *t->teams, cmp_team);
	if (t->npeople > 1)
		qsort(t->people, t->npeople, sizeof *t->people, cmp_person);
}

struct quota_tree_team *
quota_tree_team_find(const struct quota_tree *t, int64_t id)
{
	struct quota_tree_team key = { .id = id };

	if (t->nteams == 0)
		return NULL;
	return bsearch(&key, t->teams, t->nteams, sizeof *t->teams, cmp_team);
}

struct quota_tree_person *
quota_tree_person_find(const struct quota_tree *t, int64_t id)
{
	struct quota_tree_person key = { .id = id };

	if (t->npeople == 0)
		return NULL;
	return bsearch(&key, t->people, t->npeople, sizeof *t->people, cmp_person);
}

bool
quota_tree_is_seller(const struct quota_tree *t, const struct quota_tree_person *p)
{
	const struct quota_tree_team *tm = quota_tree_team_find(t, p->team_id);

	return tm && tm->manager_id != p->id;
}

enum quota_source
quota_tree_team_value(const struct quota_tree_team *tm, int64_t *amount)
{
	if (tm->has_quota) {
		*amount = tm->amount;
		return QUOTA_SOURCE_EXPLICIT;
	}
	*amount = tm->parts_any ? tm->parts_sum : 0;
	return tm->parts_any ? QUOTA_SOURCE_ROLLED_UP : QUOTA_SOURCE_NONE;
}

/* Deepest teams first, so each team is complete before it adds to its parent. */
static int
cmp_depth_desc(const void *a, const void *b, void *arg)
{
	const struct quota_tree_team *teams = arg;
	const struct quota_tree_team *x = &teams[*(const size_t *)a], *y = &teams[*(const size_t *)b];

	if (x->depth != y->depth)
		return (x->depth < y->depth) - (x->depth > y->depth);
	return (x->id > y->id) - (x->id < y->id);
}

void
quota_tree_roll(struct quota_tree *t, const int64_t *curve_bp, int ncurve, cal_date start, cal_date end)
{
	size_t *order;

	for (size_t i = 0; i < t->nteams; i++) {
		struct quota_tree_team *tm = &t->teams[i];
		tm->parts_sum = tm->heads_bp = tm->history = 0;
		tm->parts_any = false;
	}
	for (size_t i = 0; i < t->npeople; i++) {
		struct quota_tree_person *p = &t->people[i];
		struct quota_tree_team *tm = quota_tree_team_find(t, p->team_id);

		p->ramp_bp = quota_ramp_factor_bp(p->hired_on, p->ramp_months, curve_bp, ncurve, start, end);
		if (!tm)
			continue;
		tm->history += p->history;
		if (tm->manager_id == p->id)
			continue;
		if (p->active)
			tm->heads_bp += p->ramp_bp;
		if (p->has_quota) {
			tm->parts_sum += p->amount;
			tm->parts_any = true;
		}
	}
	if (t->nteams == 0 || !(order = malloc(t->nteams * sizeof *order))) {
		/* Without the order the teams keep their own figures only. */
		return;
	}
	for (size_t i = 0; i < t->nteams; i++)
		order[i] = i;
	qsort_r(order, t->nteams, sizeof *order, cmp_depth_desc, t->teams);
	for (size_t k = 0; k < t->nteams; k++) {
		struct quota_tree_team *tm = &t->teams[order[k]];
		struct quota_tree_team *parent = tm->id == t->root ? NULL : quota_tree_team_find(t, tm->parent_id);
		int64_t v;

		if (!parent)
			continue;
		if (quota_tree_team_value(tm, &v) != QUOTA_SOURCE_NONE) {
			parent->parts_sum += v;
			parent->parts_any = true;
		}
		parent->heads_bp += tm->heads_bp;
		parent->history += tm->history;
	}
	free(order);
}

enum status
quota_tree_parts(const struct quota_tree *t, int64_t team_id, bool with_quota_holders, struct quota_part *out,
		 int max, int *n)
{
	const struct quota_tree_team *tm = quota_tree_team_find(t, team_id);
	int k = 0;

	if (!tm)
		return ST_NOT_FOUND;
	for (size_t i = 0; i < t->npeople; i++) {
		const struct quota_tree_person *p = &t->people[i];
		if (p->team_id != team_id || p->id == tm->manager_id)
			continue;
		if (!p->active && !(with_quota_holders && p->has_quota))
			continue;
		if (k < max)
			out[k] = (struct quota_part){ .is_team = false, .index = i };
		k++;
	}
	for (size_t i = 0; i < t->nteams; i++) {
		if (t->teams[i].parent_id != team_id || t->teams[i].id == t->root)
			continue;
		if (k < max)
			out[k] = (struct quota_part){ .is_team = true, .index = i };
		k++;
	}
	*n = k;
	return ST_OK;
}

enum status
quota_tree_root_parts(const struct quota_tree *t, bool with_quota_holders, struct quota_part **out, int *n)
{
	struct quota_part *parts = NULL;
	int k;
	enum status st = quota_tree_parts(t, t->root, with_quota_holders, NULL, 0, &k);

	if (st != ST_OK)
		return st;
	if (k > 0) {
		if (!(parts = malloc((size_t)k * sizeof *parts)))
			return ST_NOMEM;
		quota_tree_parts(t, t->root, with_quota_holders, parts, k, &k);
	}
	*out = parts;
	*n = k;
	return ST_OK;
}

struct quota_ref
quota_tree_part_ref(const struct quota_tree *t, const struct quota_part *p)
{
	return p->is_team ? (struct quota_ref){ QUOTA_TEAM, t->teams[p->index].id }
			  : (struct quota_ref){ QUOTA_PERSON, t->people[p->index].id };
}

enum quota_source
quota_tree_part_value(const struct quota_tree *t, const struct quota_part *p, int64_t *amount, int64_t *quota_id)
{
	if (p->is_team) {
		const struct quota_tree_team *tm = &t->teams[p->index];
		*quota_id = tm->has_quota ? tm->quota_id : 0;
		return quota_tree_team_value(tm, amount);
	}
	const struct quota_tree_person *pp = &t->people[p->index];
	*quota_id = pp->has_quota ? pp->quota_id : 0;
	*amount = pp->has_quota ? pp->amount : 0;
	return pp->has_quota ? QUOTA_SOURCE_EXPLICIT : QUOTA_SOURCE_NONE;
}

/* ---- allocation ------------------------------------------------------------------ */

/*
 * Bring exact wide weights into int64 for quota_apportion: shift every
 * weight right by the same number of bits until the largest fits in 62 bits.
 * The relative error is below 2^-61, and the result is deterministic.
 */
static void
fit_weights(const wide *w, int n, int64_t *out)
{
	wide max = 0;
	int shift = 0;

	for (int i = 0; i < n; i++)
		if (w[i] > max)
			max = w[i];
	while ((max >> shift) >= ((wide)1 << 62))
		shift++;
	for (int i = 0; i < n; i++)
		out[i] = (int64_t)(w[i] >> shift);
}

enum status
quota_allocate(enum quota_method m, int64_t total, int64_t unit, int64_t floor_bp, struct quota_alloc *parts, int n,
	       bool *fallback)
{
	enum status st = ST_INVALID;
	wide *w = NULL, sum = 0;
	int64_t *weights = NULL, *amounts = NULL;
	bool equal = m == QUOTA_METHOD_EQUAL, any = false;

	if (n < 1 || n > QUOTA_MAX_PARTS || unit < 1 || total < 0 || floor_bp < 0 || floor_bp > 10000)
		return ST_INVALID;
	for (int i = 0; !equal && i < n; i++) {
		if (parts[i].basis < 0)
			return ST_INVALID;
		sum += parts[i].basis;
		any = any || parts[i].basis > 0;
	}
	if (!equal && !any && m != QUOTA_METHOD_HISTORICAL)
		return ST_INVALID;
	w = malloc((size_t)n * sizeof *w);
	weights = malloc((size_t)n * sizeof *weights);
	amounts = malloc((size_t)n * sizeof *amounts);
	if (!w || !weights || !amounts) {
		st = ST_NOMEM;
		goto out;
	}
	if (m == QUOTA_METHOD_HISTORICAL && !any)
		equal = true;
	for (int i = 0; i < n; i++) {
		if (equal)
			w[i] = 1;
		else if (m != QUOTA_METHOD_HISTORICAL)
			w[i] = parts[i].basis;
		else if (parts[i].basis > 0) /* every weight scaled by n * 10000 so the floor stays exact */
			w[i] = (wide)parts[i].basis * n * 10000;
		else
			w[i] = sum * floor_bp;
	}
	fit_weights(w, n, weights);
	if ((st = quota_apportion(total, weights, n, unit, amounts)) != ST_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		parts[i].amount = amounts[i];
		parts[i].floored = m == QUOTA_METHOD_HISTORICAL && !equal && parts[i].basis == 0;
	}
	*fallback = m == QUOTA_METHOD_HISTORICAL && equal;
out:
	free(w);
	free(weights);
	free(amounts);
	return st;
}

enum status
quota_alloc_total(bool has_given, int64_t given, const struct quota_tree_team *root, int64_t uplift_bp,
		  enum quota_metric metric, int64_t *base, int64_t *total, struct issues *e)
{
	int64_t b, t;

	if (!has_given && !root->has_quota) {
		issues_add(e, "total", "is required: the team has no quota for this period, metric and filter");
		return ST_INVALID;
	}
	b = has_given ? given : root->amount;
	if (quota_uplift(b, uplift_bp, &t) != ST_OK || t > MONEY_MAX_CENTS) {
		issues_add(e, "uplift_pct", "the uplifted total is out of range");
		return ST_INVALID;
	}
	if (metric == QUOTA_DEAL_COUNT)
		t = (t + 50) / 100 * 100;
	*base = b;
	*total = t;
	return ST_OK;
}

enum status
quota_share_bp(int64_t amount, int64_t total, int64_t *out)
{
	if (total <= 0)
		return ST_INVALID;
	*out = (int64_t)(((wide)amount * 20000 + total) / ((wide)2 * total));
	return ST_OK;
}

void
quota_lookback_window(const struct period *p, int fy_start, int lookback, cal_date *from, cal_date *to)
{
	struct period q = *p;

	for (int i = 0; i < lookback; i++)
		period_prev(&q, fy_start, &q);
	*from = q.start;
	*to = p->start - 1;
}

/* ---- seasonal split ------------------------------------------------------------------ */

enum status
quota_split_periods(const struct period *p, enum period_grain grain, int fy_start, struct period *children, int max,
		    int *n, struct issues *e)
{
	int k;

	if (p->grain == GRAIN_MONTH) {
		issues_add(e, "grain", "a month quota cannot be split");
		return ST_INVALID;
	}
	if (period_children(p, grain, fy_start, children, max, &k) != ST_OK || k < 1) {
		issues_add(e, "grain", "must be finer than the quota's period (%s)", period_grain_name(p->grain));
		return ST_INVALID;
	}
	if (children[0].start != p->start || children[k - 1].end != p->end) {
		issues_add(e, NULL, "the org's fiscal year start changed since this quota was set: its period no longer "
				    "divides into the org's periods");
		return ST_CONFLICT;
	}
	*n = k;
	return ST_OK;
}

enum status
quota_split(int64_t total, enum quota_split_method m, const int64_t *basis, int n, int64_t unit, int64_t *out,
	    bool *fallback)
{
	wide *w, sum = 0;
	int64_t *weights;
	bool even = m == QUOTA_SPLIT_EVEN;
	enum status st = ST_NOMEM;

	if (n < 1 || n > QUOTA_MAX_PARTS || (!even && !basis))
		return ST_INVALID;
	for (int i = 0; !even && i < n; i++) {
		if (basis[i] < 0)
			return ST_INVALID;
		sum += basis[i];
	}
	if (m == QUOTA_SPLIT_PERCENTAGES && sum != 10000)
		return ST_INVALID;
	if (m == QUOTA_SPLIT_HISTORICAL && sum == 0)
		even = true;
	w = malloc((size_t)n * sizeof *w);
	weights = malloc((size_t)n * sizeof *weights);
	if (w && weights) {
		for (int i = 0; i < n; i++)
			w[i] = even ? 1 : basis[i];
		fit_weights(w, n, weights);
		st = quota_apportion(total, weights, n, unit, out);
	}
	free(w);
	free(weights);
	if (st == ST_OK)
		*fallback = m == QUOTA_SPLIT_HISTORICAL && even;
	return st;
}
