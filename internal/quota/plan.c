#include "quota/plan.h"

#include <stdlib.h>
#include <string.h>

#include "quota/alloc.h"

typedef __int128 wide;

const char *
quota_source_name(enum quota_source s)
{
	switch (s) {
	case QUOTA_SOURCE_EXPLICIT: return "explicit";
	case QUOTA_SOURCE_ROLLED_UP: return "rolled_up";
	case QUOTA_SOURCE_NONE: break;
	}
	return "none";
}

const char *
quota_method_name(enum quota_method m)
{
	switch (m) {
	case QUOTA_METHOD_HISTORICAL: return "historical";
	case QUOTA_METHOD_WEIGHTED: return "weighted";
	case QUOTA_METHOD_CAPACITY: return "capacity";
	case QUOTA_METHOD_EQUAL: break;
	}
	return "equal";
}

const char *
quota_split_method_name(enum quota_split_method m)
{
	switch (m) {
	case QUOTA_SPLIT_HISTORICAL: return "historical";
	case QUOTA_SPLIT_PERCENTAGES: return "percentages";
	case QUOTA_SPLIT_EVEN: break;
	}
	return "even";
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

int
quota_tree_parts(const struct quota_tree *t, int64_t team_id, bool with_quota_holders, struct quota_part *out,
		 int max)
{
	const struct quota_tree_team *tm = quota_tree_team_find(t, team_id);
	int n = 0;

	if (!tm)
		return -1;
	for (size_t i = 0; i < t->npeople; i++) {
		const struct quota_tree_person *p = &t->people[i];
		if (p->team_id != team_id || p->id == tm->manager_id)
			continue;
		if (!p->active && !(with_quota_holders && p->has_quota))
			continue;
		if (n < max)
			out[n] = (struct quota_part){ .is_team = false, .index = i };
		n++;
	}
	for (size_t i = 0; i < t->nteams; i++) {
		if (t->teams[i].parent_id != team_id || t->teams[i].id == t->root)
			continue;
		if (n < max)
			out[n] = (struct quota_part){ .is_team = true, .index = i };
		n++;
	}
	return n;
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

int64_t
quota_share_bp(int64_t amount, int64_t total)
{
	if (total <= 0)
		return -1;
	return (int64_t)(((wide)amount * 20000 + total) / ((wide)2 * total));
}

/* ---- seasonal split ------------------------------------------------------------------ */

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
