/*
 * quota_plans.c — planning quotas (DESIGN §7 "Quotas"): a team's quota and
 * its roll-up, allocating a team number across its parts, splitting a
 * quota across its child periods, suggestions, and coverage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/quotas.h"
#include "core/money.h"
#include "quota/alloc.h"
#include "quota/plan.h"
#include "quota/suggest.h"

#define MAX_LOOKBACK 24

/* ---- shared ------------------------------------------------------------------------ */

/* A figure in cents as a JSON number, or null when absent. */
static json_t *
money_or_null(bool set, int64_t cents)
{
	return set ? money_to_json(cents) : json_null();
}

static void
set_key(json_t *o, const struct quota_key *k)
{
	quota_set_period(o, &k->period);
	json_object_set_new(o, "metric", json_string(quota_metric_name(k->metric)));
	json_object_set_new(o, "filter", quota_filter_json(k->filter_type, k->filter_segment));
}

static json_t *
id_json(int64_t id)
{
	char b[24];

	snprintf(b, sizeof b, "%lld", (long long)id);
	return json_string(b);
}

static struct quota_ref
part_ref(const struct quota_tree *t, const struct quota_part *p)
{
	return p->is_team ? (struct quota_ref){ QUOTA_TEAM, t->teams[p->index].id }
			  : (struct quota_ref){ QUOTA_PERSON, t->people[p->index].id };
}

/* A part's figure: explicit quota, roll-up, or none. */
static enum quota_source
part_value(const struct quota_tree *t, const struct quota_part *p, int64_t *amount, int64_t *quota_id)
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

/*
 * The team path[0] as a planning subject for the caller: 404 when absent,
 * 403 when the caller may not read its quotas. *write says whether the
 * caller may also plan inside it (a manager of it or above, an admin).
 * False when r is answered.
 */
static bool
team_subject(struct req *r, int64_t *team_id, bool *write)
{
	struct quota_ref a = { QUOTA_TEAM, 0 };
	enum quota_access acc;

	if (!req_path_id(r, 0, &a.id) || !quota_access_of(r, &a, &acc))
		return false;
	if (acc == QUOTA_ACCESS_UNKNOWN) {
		respond_status(r, ST_NOT_FOUND, "no such team");
		return false;
	}
	if (acc < QUOTA_ACCESS_READ) {
		respond_problem(r, 403, "the team is outside the teams whose quotas you may see", NULL);
		return false;
	}
	*team_id = a.id;
	*write = scope_writes_all(&r->scope) || scope_has_team(&r->scope, a.id);
	return true;
}

/* The parts of the tree's root as JSON: [{assignee, name, amount, source, quota_id}]. */
static json_t *
parts_json(const struct quota_tree *t, const struct quota_part *parts, int n)
{
	json_t *list = json_array();

	for (int i = 0; i < n; i++) {
		struct quota_ref a = part_ref(t, &parts[i]);
		int64_t amount, qid;
		enum quota_source src = part_value(t, &parts[i], &amount, &qid);
		const char *name = parts[i].is_team ? t->teams[parts[i].index].name : t->people[parts[i].index].name;
		json_array_append_new(list, json_pack("{s:o,s:s,s:o,s:s,s:o}", "assignee", quota_ref_json(&a), "name",
						      name ? name : "", "amount",
						      money_or_null(src != QUOTA_SOURCE_NONE, amount), "source",
						      quota_source_name(src), "quota_id",
						      qid ? id_json(qid) : json_null()));
	}
	return list;
}

/* Load the tree of `team_id` for key and roll it up; false when r is answered. */
static bool
load_tree(struct req *r, const struct quota_ctx *x, int64_t team_id, const struct quota_key *key,
	  struct quota_tree *t)
{
	enum status st = quota_tree_load(r->conn, r->who.org, team_id, key, t);

	if (st != ST_OK) {
		respond_status(r, st, "no such team");
		return false;
	}
	quota_tree_roll(t, x->ramp.curve_bp, x->ramp.ncurve, key->period.start, key->period.end);
	return true;
}

/* The root's parts (malloc'd into *out, count in *n); false when r is answered. */
static bool
root_parts(struct req *r, const struct quota_tree *t, bool with_quota_holders, struct quota_part **out, int *n)
{
	int k = quota_tree_parts(t, t->root, with_quota_holders, NULL, 0);

	*out = NULL;
	*n = 0;
	if (k > 0) {
		if (!(*out = malloc((size_t)k * sizeof **out))) {
			respond_status(r, ST_NOMEM, NULL);
			return false;
		}
		*n = quota_tree_parts(t, t->root, with_quota_holders, *out, k);
	}
	return true;
}

static bool
query_key(struct req *r, const struct quota_ctx *x, struct quota_key *key)
{
	struct issues e = { 0 };

	quota_query_key(r, x, &e, key);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/* ---- GET /v1/teams/{team_id}/quota -------------------------------------------------- */

void
handle_team_quota(struct req *r)
{
	struct quota_ctx x;
	struct quota_key key = { 0 };
	struct quota_tree t = { 0 };
	struct quota_part *parts = NULL;
	int64_t team_id, amount;
	int n;
	bool write;

	if (!quota_ctx_load(r, &x) || !query_key(r, &x, &key) || !team_subject(r, &team_id, &write))
		return;
	if (!load_tree(r, &x, team_id, &key, &t) || !root_parts(r, &t, true, &parts, &n))
		goto out;
	const struct quota_tree_team *root = quota_tree_team_find(&t, team_id);
	enum quota_source src = quota_tree_team_value(root, &amount);
	json_t *o = json_pack("{s:o}", "team_id", id_json(team_id));
	set_key(o, &key);
	json_object_set_new(o, "amount", money_or_null(src != QUOTA_SOURCE_NONE, amount));
	json_object_set_new(o, "source", json_string(quota_source_name(src)));
	json_object_set_new(o, "quota_id", root->has_quota ? id_json(root->quota_id) : json_null());
	json_object_set_new(o, "parts_total", money_or_null(root->parts_any, root->parts_sum));
	json_object_set_new(o, "parts", parts_json(&t, parts, n));
	respond_json(r, 200, o);
out:
	free(parts);
	quota_tree_clear(&t);
}

/* ---- GET /v1/teams/{team_id}/quota-coverage ------------------------------------------ */

void
handle_quota_coverage(struct req *r)
{
	struct quota_ctx x;
	struct quota_key key = { 0 };
	struct quota_tree t = { 0 };
	struct quota_part *parts = NULL;
	int64_t team_id, street = 0, street_full = 0;
	int n;
	bool write;

	if (!quota_ctx_load(r, &x) || !query_key(r, &x, &key) || !team_subject(r, &team_id, &write))
		return;
	if (!load_tree(r, &x, team_id, &key, &t) || !root_parts(r, &t, true, &parts, &n))
		goto out;
	const struct quota_tree_team *root = quota_tree_team_find(&t, team_id);
	json_t *people = json_array(), *teams = json_array();
	for (size_t i = 0; i < t.npeople; i++) {
		const struct quota_tree_person *p = &t.people[i];
		if (!quota_tree_is_seller(&t, p))
			continue;
		if (p->has_quota) {
			street += quota_apply_factor(p->amount, p->ramp_bp);
			street_full += p->amount;
		} else if (p->active)
			json_array_append_new(people, json_pack("{s:o,s:s,s:o}", "id", id_json(p->id), "name", p->name,
								"team_id", id_json(p->team_id)));
	}
	for (size_t i = 0; i < t.nteams; i++) {
		const struct quota_tree_team *tm = &t.teams[i];
		int64_t v;
		if (tm->id == team_id || tm->has_quota)
			continue;
		enum quota_source src = quota_tree_team_value(tm, &v);
		json_array_append_new(teams, json_pack("{s:o,s:s,s:o,s:o}", "id", id_json(tm->id), "name", tm->name,
						       "parent_id", id_json(tm->parent_id), "rolled_up",
						       money_or_null(src != QUOTA_SOURCE_NONE, v)));
	}
	int64_t parts_total = root->parts_any ? root->parts_sum : 0;
	int64_t over = root->has_quota ? quota_share_bp(parts_total, root->amount) : -1;
	json_t *o = json_pack("{s:o}", "team_id", id_json(team_id));
	set_key(o, &key);
	json_object_set_new(o, "team_quota", money_or_null(root->has_quota, root->amount));
	json_object_set_new(o, "parts_total", money_to_json(parts_total));
	json_object_set_new(o, "over_assignment_pct", over >= 0 ? quota_pct_json(over - 10000) : json_null());
	json_object_set_new(o, "street_quota", money_to_json(street));
	json_object_set_new(o, "street_quota_full", money_to_json(street_full));
	json_object_set_new(o, "parts", parts_json(&t, parts, n));
	json_object_set_new(o, "people_without_quota", people);
	json_object_set_new(o, "teams_without_quota", teams);
	respond_json(r, 200, o);
out:
	free(parts);
	quota_tree_clear(&t);
}

/* ---- POST /v1/teams/{team_id}/quota-allocations -------------------------------------- */

struct alloc_request {
	struct quota_key key;
	enum quota_method method;
	bool has_total;
	int64_t total;
	int64_t uplift_bp;
	int64_t unit;
	int lookback;
	int64_t floor_bp;
	bool dry_run;
	json_t *weights; /* borrowed from the body */
};

/* A percentage field (at most 2 decimals) in hundredths into *bp, within lo..hi (hundredths). */
static enum field_state
parse_pct(json_t *body, const char *k, int64_t lo, int64_t hi, struct issues *e, int64_t *bp)
{
	enum field_state fs = parse_money(body, k, true, e, bp);

	if (fs == FIELD_SET && (*bp < lo || *bp > hi)) {
		issues_add(e, k, "must be between %lld and %lld", (long long)(lo / 100), (long long)(hi / 100));
		return FIELD_BAD;
	}
	return fs;
}

static bool
alloc_read(struct req *r, json_t *body, const struct quota_ctx *x, struct alloc_request *q)
{
	static const char *const allowed[] = { "period", "metric", "filter", "total", "method", "weights",
					       "uplift_pct", "rounding", "lookback_periods", "floor_pct",
					       "dry_run", NULL };
	static const char *const methods[] = { "equal", "historical", "weighted", "capacity", NULL };
	struct issues e = { 0 };
	const char *period = NULL, *metric = "revenue", *method = NULL;
	long long lookback = 4;
	bool filter_set;

	parse_only(body, allowed, &e);
	parse_require(body, "period", &e);
	parse_require(body, "method", &e);
	if (parse_string(body, "period", 1, 16, &e, &period) == FIELD_SET)
		quota_period_read(period, x, "period", &e, &q->key.period);
	parse_enum(body, "metric", quota_metrics, &e, &metric);
	q->key.metric = strcmp(metric, "deal_count") == 0 ? QUOTA_DEAL_COUNT : QUOTA_REVENUE;
	quota_filter_read(body, &e, &q->key, &filter_set);
	if (parse_enum(body, "method", methods, &e, &method) == FIELD_SET)
		for (int i = 0; methods[i]; i++)
			if (methods[i] == method)
				q->method = (enum quota_method)i;
	q->has_total = parse_money(body, "total", false, &e, &q->total) == FIELD_SET;
	parse_pct(body, "uplift_pct", -9999, 100000, &e, &q->uplift_bp);
	q->unit = q->key.metric == QUOTA_DEAL_COUNT ? 100 : 1;
	if (parse_money(body, "rounding", false, &e, &q->unit) == FIELD_SET && q->unit < 1)
		issues_add(&e, "rounding", "must be greater than 0");
	if (parse_int(body, "lookback_periods", 1, MAX_LOOKBACK, &e, &lookback) == FIELD_SET &&
	    q->method != QUOTA_METHOD_HISTORICAL)
		issues_add(&e, "lookback_periods", "applies to the historical method only");
	q->lookback = (int)lookback;
	q->floor_bp = 1000;
	if (parse_pct(body, "floor_pct", 0, 10000, &e, &q->floor_bp) == FIELD_SET &&
	    q->method != QUOTA_METHOD_HISTORICAL)
		issues_add(&e, "floor_pct", "applies to the historical method only");
	parse_bool(body, "dry_run", &e, &q->dry_run);
	q->weights = json_object_get(body, "weights");
	if (q->weights && json_is_null(q->weights))
		q->weights = NULL;
	if (q->method == QUOTA_METHOD_WEIGHTED && !q->weights && method)
		issues_add(&e, "weights", "is required for the weighted method");
	if (q->weights && method && q->method != QUOTA_METHOD_WEIGHTED)
		issues_add(&e, "weights", "applies to the weighted method only");
	if (q->weights && !json_is_object(q->weights))
		issues_add(&e, "weights", "must be an object {\"person:ID\" | \"team:ID\": number}");
	if (q->key.metric == QUOTA_DEAL_COUNT) {
		if (q->has_total && q->total % 100 != 0)
			issues_add(&e, "total", "a deal_count total is a whole number of deals");
		if (q->unit % 100 != 0)
			issues_add(&e, "rounding", "a deal_count rounding is a whole number of deals");
	}
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/*
 * The weights of the parts (millionths) into basis; every part has one, no
 * other key, none negative, not all zero. False with errors naming weights.
 */
static bool
read_weights(json_t *weights, const struct quota_tree *t, const struct quota_part *parts, int n,
	     struct quota_alloc *alloc, struct issues *e)
{
	const char *k;
	json_t *v;
	bool any = false, *given = calloc((size_t)n, sizeof *given);

	if (!given) {
		issues_add(e, "weights", "out of memory");
		return false;
	}
	json_object_foreach(weights, k, v) {
		struct quota_ref a;
		int i = n;
		if (quota_ref_parse(k, &a))
			for (i = 0; i < n; i++) {
				struct quota_ref b = part_ref(t, &parts[i]);
				if (a.type == b.type && a.id == b.id)
					break;
			}
		if (i == n) {
			issues_add(e, "weights", "%.60s is not a part of the team (its active members and child teams)", k);
			continue;
		}
		double w = json_is_number(v) ? json_number_value(v) : -1;
		if (!json_is_number(v) || !(w >= 0) || w > 1e9) {
			issues_add(e, "weights", "%.60s: must be a number from 0 to 1000000000", k);
			continue;
		}
		alloc[i].basis = (int64_t)(w * 1e6 + 0.5);
		given[i] = true;
		any = any || alloc[i].basis > 0;
	}
	for (int i = 0; i < n; i++)
		if (!given[i]) {
			struct quota_ref a = part_ref(t, &parts[i]);
			issues_add(e, "weights", "%s:%lld has no weight", quota_assignee_name(a.type), (long long)a.id);
		}
	free(given);
	if (!issues_any(e) && !any)
		issues_add(e, "weights", "must not all be zero");
	return !issues_any(e);
}

/* The lookback window of the historical method: the `lookback` periods before key's. */
static void
lookback_window(const struct quota_ctx *x, const struct period *p, int lookback, cal_date *from, cal_date *to)
{
	struct period q = *p;

	for (int i = 0; i < lookback; i++)
		period_prev(&q, x->fy_start, &q);
	*from = q.start;
	*to = p->start - 1;
}

static json_t *
explanation(const struct alloc_request *q, const struct quota_tree *t, const struct quota_part *part,
	    const struct quota_alloc *a, int n, bool fallback, cal_date from, cal_date to)
{
	json_t *o = json_pack("{s:s}", "method", quota_method_name(q->method));
	char day[16];

	switch (q->method) {
	case QUOTA_METHOD_EQUAL: json_object_set_new(o, "parts", json_integer(n)); break;
	case QUOTA_METHOD_HISTORICAL:
		json_object_set_new(o, "history", money_to_json(a->basis));
		json_object_set_new(o, "lookback_periods", json_integer(q->lookback));
		cal_date_format(from, day, sizeof day);
		json_object_set_new(o, "history_from", json_string(day));
		cal_date_format(to, day, sizeof day);
		json_object_set_new(o, "history_to", json_string(day));
		json_object_set_new(o, "floor_applied", json_boolean(a->floored));
		json_object_set_new(o, "fallback_to_equal", json_boolean(fallback));
		break;
	case QUOTA_METHOD_WEIGHTED: json_object_set_new(o, "weight", json_real((double)a->basis / 1e6)); break;
	case QUOTA_METHOD_CAPACITY:
		if (part->is_team)
			json_object_set_new(o, "heads", json_real((double)t->teams[part->index].heads_bp / 10000.0));
		break;
	}
	if (!part->is_team)
		json_object_set_new(o, "ramp_factor_pct", quota_pct_json(t->people[part->index].ramp_bp));
	return o;
}

/* Every part's quota may be written by the caller; else 403. */
static bool
may_write_parts(struct req *r, const struct quota_tree *t, const struct quota_part *parts, int n)
{
	for (int i = 0; i < n; i++) {
		struct quota_ref a = part_ref(t, &parts[i]);
		if (!quota_may_write_part(r, t->root, &a)) {
			char detail[128];
			snprintf(detail, sizeof detail, "you may not set the quota of %s:%lld", quota_assignee_name(a.type),
				 (long long)a.id);
			respond_problem(r, 403, detail, NULL);
			return false;
		}
	}
	return true;
}

/* The allocation's base total and uplifted total; false when r is answered. */
static bool
alloc_totals(struct req *r, struct alloc_request *q, const struct quota_tree *t, int64_t *base, int64_t *total)
{
	const struct quota_tree_team *root = quota_tree_team_find(t, t->root);
	struct issues e = { 0 };

	if (!q->has_total && !root->has_quota) {
		issues_add(&e, "total", "is required: the team has no quota for this period, metric and filter");
		respond_errors(r, &e);
		return false;
	}
	*base = q->has_total ? q->total : root->amount;
	if (quota_uplift(*base, q->uplift_bp, total) != ST_OK || *total > MONEY_MAX_CENTS) {
		issues_add(&e, "uplift_pct", "the uplifted total is out of range");
		respond_errors(r, &e);
		return false;
	}
	if (q->key.metric == QUOTA_DEAL_COUNT)
		*total = (*total + 50) / 100 * 100;
	return true;
}

/* Compute each part's basis for the method; false when r is answered. */
static bool
alloc_basis(struct req *r, const struct quota_ctx *x, struct alloc_request *q, struct quota_tree *t,
	    const struct quota_part *parts, int n, struct quota_alloc *alloc, cal_date *from, cal_date *to)
{
	struct issues e = { 0 };
	enum status st;

	if (q->method == QUOTA_METHOD_HISTORICAL) {
		lookback_window(x, &q->key.period, q->lookback, from, to);
		if ((st = quota_tree_load_history(r->conn, r->who.org, t, &q->key, *from, *to)) != ST_OK) {
			respond_status(r, st, NULL);
			return false;
		}
		quota_tree_roll(t, x->ramp.curve_bp, x->ramp.ncurve, q->key.period.start, q->key.period.end);
	}
	if (q->method == QUOTA_METHOD_WEIGHTED && !read_weights(q->weights, t, parts, n, alloc, &e)) {
		respond_errors(r, &e);
		return false;
	}
	bool any = false;
	for (int i = 0; i < n; i++) {
		const struct quota_part *p = &parts[i];
		if (q->method == QUOTA_METHOD_HISTORICAL)
			alloc[i].basis = p->is_team ? t->teams[p->index].history : t->people[p->index].history;
		else if (q->method == QUOTA_METHOD_CAPACITY)
			alloc[i].basis = p->is_team ? t->teams[p->index].heads_bp : t->people[p->index].ramp_bp;
		any = any || alloc[i].basis > 0;
	}
	if (q->method == QUOTA_METHOD_CAPACITY && !any) {
		issues_add(&e, "method", "no part has capacity in the period (no active, ramped sellers)");
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/* The answer of an allocation. */
static json_t *
alloc_json(const struct alloc_request *q, const struct quota_tree *t, const struct quota_part *parts,
	   const struct quota_alloc *alloc, const struct quota_write *items, const int64_t *ids, int n, bool fallback,
	   int64_t base, int64_t total, cal_date from, cal_date to)
{
	json_t *list = json_array();

	for (int i = 0; i < n; i++) {
		int64_t share = quota_share_bp(alloc[i].amount, total);
		json_array_append_new(
			list, json_pack("{s:o,s:o,s:o,s:o,s:o}", "assignee", quota_ref_json(&items[i].key.assignee),
					"amount", money_to_json(alloc[i].amount), "share_pct",
					share >= 0 ? quota_pct_json(share) : json_null(), "quota_id",
					q->dry_run ? json_null() : id_json(ids[i]), "explanation",
					explanation(q, t, &parts[i], &alloc[i], n, fallback, from, to)));
	}
	json_t *o = json_pack("{s:o}", "team_id", id_json(t->root));
	set_key(o, &q->key);
	json_object_set_new(o, "method", json_string(quota_method_name(q->method)));
	json_object_set_new(o, "base_total", money_to_json(base));
	json_object_set_new(o, "uplift_pct", quota_pct_json(q->uplift_bp));
	json_object_set_new(o, "total", money_to_json(total));
	json_object_set_new(o, "rounding", money_to_json(q->unit));
	json_object_set_new(o, "allocations", list);
	json_object_set_new(o, "dry_run", json_boolean(q->dry_run));
	return o;
}

void
handle_quota_allocations(struct req *r)
{
	struct quota_ctx x;
	struct alloc_request q = { 0 };
	struct quota_tree t = { 0 };
	struct quota_part *parts = NULL;
	struct quota_alloc *alloc = NULL;
	struct quota_write *items = NULL;
	int64_t *ids = NULL, team_id, base, total;
	cal_date from = 0, to = 0;
	bool write, fallback = false;
	int n;
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	if (!quota_ctx_load(r, &x) || !alloc_read(r, body, &x, &q) || !team_subject(r, &team_id, &write))
		goto out;
	if (!write) {
		respond_problem(r, 403, "the team is outside the teams whose quotas you manage", NULL);
		goto out;
	}
	if (!load_tree(r, &x, team_id, &q.key, &t) || !root_parts(r, &t, false, &parts, &n))
		goto out;
	if (n == 0) {
		respond_problem(r, 409, "the team has no active members (besides its manager) and no child teams", NULL);
		goto out;
	}
	if (!may_write_parts(r, &t, parts, n) || !alloc_totals(r, &q, &t, &base, &total))
		goto out;
	alloc = calloc((size_t)n, sizeof *alloc);
	items = calloc((size_t)n, sizeof *items);
	ids = calloc((size_t)n, sizeof *ids);
	if (!alloc || !items || !ids) {
		respond_status(r, ST_NOMEM, NULL);
		goto out;
	}
	if (!alloc_basis(r, &x, &q, &t, parts, n, alloc, &from, &to))
		goto out;
	enum status st = quota_allocate(q.method, total, q.unit, q.floor_bp, alloc, n, &fallback);
	if (st != ST_OK) {
		respond_status(r, st, "the allocation could not be computed");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		items[i].key = q.key;
		items[i].key.assignee = part_ref(&t, &parts[i]);
		items[i].amount = alloc[i].amount;
	}
	if (!q.dry_run &&
	    (st = quota_upsert_many(r->conn, r->who.org, r->who.sub, "allocation", &x.ramp, items, n, ids, NULL)) != ST_OK) {
		respond_status(r, st, NULL);
		goto out;
	}
	respond_json(r, q.dry_run ? 200 : 201,
		     alloc_json(&q, &t, parts, alloc, items, ids, n, fallback, base, total, from, to));
out:
	free(parts);
	free(alloc);
	free(items);
	free(ids);
	quota_tree_clear(&t);
	json_decref(body);
}

/* ---- POST /v1/quotas/{quota_id}/split ------------------------------------------------ */

#define MAX_CHILDREN 12

struct split_request {
	enum period_grain grain;
	enum quota_split_method method;
	json_t *percentages; /* borrowed */
};

static bool
split_read(struct req *r, json_t *body, struct split_request *q)
{
	static const char *const allowed[] = { "grain", "method", "percentages", NULL };
	static const char *const grains[] = { "quarter", "month", NULL };
	static const char *const methods[] = { "even", "historical", "percentages", NULL };
	struct issues e = { 0 };
	const char *grain = NULL, *method = NULL;

	parse_only(body, allowed, &e);
	parse_require(body, "grain", &e);
	parse_require(body, "method", &e);
	if (parse_enum(body, "grain", grains, &e, &grain) == FIELD_SET)
		period_grain_parse(grain, &q->grain);
	if (parse_enum(body, "method", methods, &e, &method) == FIELD_SET)
		q->method = strcmp(method, "historical") == 0    ? QUOTA_SPLIT_HISTORICAL
			    : strcmp(method, "percentages") == 0 ? QUOTA_SPLIT_PERCENTAGES
								 : QUOTA_SPLIT_EVEN;
	q->percentages = json_object_get(body, "percentages");
	if (q->percentages && json_is_null(q->percentages))
		q->percentages = NULL;
	if (method && q->method == QUOTA_SPLIT_PERCENTAGES && !q->percentages)
		issues_add(&e, "percentages", "is required for the percentages method");
	if (method && q->method != QUOTA_SPLIT_PERCENTAGES && q->percentages)
		issues_add(&e, "percentages", "applies to the percentages method only");
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/*
 * percentages: an array with one number per child period in order, or an
 * object keyed by the child period ids; each at most 2 decimals, >= 0,
 * summing to exactly 100. Hundredths into bp. Errors name "percentages".
 */
static bool
read_percentages(json_t *v, const struct period *children, int n, int64_t *bp, struct issues *e)
{
	int64_t sum = 0;

	if (json_is_array(v)) {
		if ((int)json_array_size(v) != n)
			issues_add(e, "percentages", "must have %d entries, one per child period", n);
		for (int i = 0; i < n && (int)json_array_size(v) == n; i++) {
			const char *why = NULL;
			if (money_from_json(json_array_get(v, (size_t)i), false, &bp[i], &why) != ST_OK)
				issues_add(e, "percentages", "entry %d: %s", i, why ? why : "invalid");
		}
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach(v, k, x) {
			int i = 0;
			while (i < n && strcmp(children[i].id, k) != 0)
				i++;
			if (i == n)
				issues_add(e, "percentages", "%.20s is not a child period of the quota's period", k);
		}
		for (int i = 0; i < n; i++) {
			const char *why = NULL;
			json_t *x2 = json_object_get(v, children[i].id);
			if (!x2)
				issues_add(e, "percentages", "%s has no percentage", children[i].id);
			else if (money_from_json(x2, false, &bp[i], &why) != ST_OK)
				issues_add(e, "percentages", "%s: %s", children[i].id, why ? why : "invalid");
		}
	} else
		issues_add(e, "percentages", "must be an array (one number per child period) or an object by period id");
	if (issues_any(e))
		return false;
	for (int i = 0; i < n; i++) {
		if (bp[i] > 10000) {
			issues_add(e, "percentages", "each must be between 0 and 100");
			return false;
		}
		sum += bp[i];
	}
	if (sum != 10000) {
		char total[32];
		money_format(sum, total, sizeof total);
		issues_add(e, "percentages", "must sum to exactly 100 (they sum to %s)", total);
		return false;
	}
	return true;
}

/* The people whose credit counts for assignee a (a person, or everyone in a team's subtree). */
static bool
assignee_people(struct req *r, const struct quota_key *key, int64_t **out, size_t *n)
{
	struct quota_tree t = { 0 };
	enum status st;

	*out = NULL;
	*n = 0;
	if (key->assignee.type == QUOTA_PERSON) {
		if (!(*out = malloc(sizeof **out))) {
			respond_status(r, ST_NOMEM, NULL);
			return false;
		}
		(*out)[0] = key->assignee.id;
		*n = 1;
		return true;
	}
	if ((st = quota_tree_load(r->conn, r->who.org, key->assignee.id, key, &t)) != ST_OK) {
		respond_status(r, st, "no such team");
		return false;
	}
	if (t.npeople && !(*out = malloc(t.npeople * sizeof **out))) {
		quota_tree_clear(&t);
		respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	for (size_t i = 0; i < t.npeople; i++)
		(*out)[i] = t.people[i].id;
	*n = t.npeople;
	quota_tree_clear(&t);
	return true;
}

/* Last year's value of each child period (same months one year earlier). */
static bool
last_year_shape(struct req *r, const struct quota_key *key, int n, int64_t *basis)
{
	int64_t months[12], *people = NULL;
	size_t npeople;
	cal_date from = cal_date_add_months(key->period.start, -12);
	cal_date to = cal_date_add_months(key->period.end + 1, -12) - 1;
	int per = (key->period.grain == GRAIN_YEAR ? 12 : 3) / n;
	enum status st;

	if (!assignee_people(r, key, &people, &npeople))
		return false;
	st = quota_won_monthly(r->conn, r->who.org, people, npeople, key, from, to, months, n * per);
	free(people);
	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	for (int i = 0; i < n; i++) {
		basis[i] = 0;
		for (int k = 0; k < per; k++)
			basis[i] += months[i * per + k];
	}
	return true;
}

void
handle_quotas_split(struct req *r)
{
	struct quota_ctx x;
	struct quota_current cur = { 0 };
	struct split_request q = { 0 };
	struct period children[MAX_CHILDREN];
	struct quota_write items[MAX_CHILDREN];
	int64_t basis[MAX_CHILDREN] = { 0 }, amounts[MAX_CHILDREN], ids[MAX_CHILDREN];
	char *jsons[MAX_CHILDREN] = { 0 };
	struct issues e = { 0 };
	enum quota_access acc;
	bool fallback = false;
	int64_t id;
	int n = 0;
	json_t *body = NULL;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!quota_ctx_load(r, &x) || !split_read(r, body, &q))
		goto out;
	enum status st = quota_lock(r->conn, r->who.org, id, &cur);
	if (st != ST_OK) {
		respond_status(r, st, "no such quota");
		goto out;
	}
	if (!quota_access_of(r, &cur.key.assignee, &acc))
		goto out;
	if (acc < QUOTA_ACCESS_READ) {
		respond_status(r, ST_NOT_FOUND, "no such quota");
		goto out;
	}
	if (acc != QUOTA_ACCESS_WRITE) {
		respond_problem(r, 403, "you may not change this assignee's quotas", NULL);
		goto out;
	}
	if (cur.key.period.grain == GRAIN_MONTH)
		issues_add(&e, "grain", "a month quota cannot be split");
	else if ((n = period_children(&cur.key.period, q.grain, x.fy_start, children, MAX_CHILDREN)) < 1)
		issues_add(&e, "grain", "must be finer than the quota's period (%s)", period_grain_name(cur.key.period.grain));
	else if (children[0].start != cur.key.period.start || children[n - 1].end != cur.key.period.end) {
		respond_problem(r, 409, "the org's fiscal year start changed since this quota was set: its period no longer "
					"divides into the org's periods", NULL);
		goto out;
	}
	if (!issues_any(&e) && q.method == QUOTA_SPLIT_PERCENTAGES)
		read_percentages(q.percentages, children, n, basis, &e);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		goto out;
	}
	if (q.method == QUOTA_SPLIT_HISTORICAL && !last_year_shape(r, &cur.key, n, basis))
		goto out;
	int64_t unit = cur.key.metric == QUOTA_DEAL_COUNT ? 100 : 1;
	if ((st = quota_split(cur.amount, q.method, basis, n, unit, amounts, &fallback)) != ST_OK) {
		respond_status(r, st, "the split could not be computed");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		items[i] = (struct quota_write){ .key = cur.key, .amount = amounts[i] };
		items[i].key.period = children[i];
	}
	if ((st = quota_upsert_many(r->conn, r->who.org, r->who.sub, "split", &x.ramp, items, n, ids, jsons)) != ST_OK) {
		respond_status(r, st, NULL);
		goto out;
	}
	json_t *list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, json_loads(jsons[i], 0, NULL));
	json_t *o = json_pack("{s:o,s:s,s:s,s:b,s:o}", "quota_id", id_json(cur.id), "grain",
			      period_grain_name(q.grain), "method",
			      quota_split_method_name(fallback ? QUOTA_SPLIT_EVEN : q.method), "fallback", fallback,
			      "note",
			      fallback ? json_string("no won business in the same periods last year: split evenly")
				       : json_null());
	json_object_set_new(o, "quotas", list);
	respond_json(r, 201, o);
out:
	for (int i = 0; i < MAX_CHILDREN; i++)
		free(jsons[i]);
	quota_current_clear(&cur);
	json_decref(body);
}

/* ---- GET /v1/quota-suggestions -------------------------------------------------------- */

/* Sum of months [p.start, p.end] from a monthly series starting at `first`. */
static int64_t
sum_months(const int64_t *months, int nmonths, cal_date first, const struct period *p)
{
	int y0, m0, y, m;
	int64_t s = 0;

	cal_date_to_ymd(first, &y0, &m0, NULL);
	cal_date_to_ymd(p->start, &y, &m, NULL);
	int k0 = (y - y0) * 12 + (m - m0);
	cal_date_to_ymd(p->end, &y, &m, NULL);
	int k1 = (y - y0) * 12 + (m - m0);
	for (int k = k0 < 0 ? 0 : k0; k <= k1 && k < nmonths; k++)
		s += months[k];
	return s;
}

static json_t *
period_value(const struct period *p, int64_t v)
{
	json_t *o = json_object();

	quota_set_period(o, p);
	json_object_set_new(o, "achieved", money_to_json(v));
	return o;
}

/* growth: a percentage with at most 2 decimals, > -100 and <= 1000; hundredths into *bp. */
static void
query_growth(struct req *r, struct issues *e, int64_t *bp)
{
	const char *v = req_query(r, "growth");

	*bp = 0;
	if (!v)
		return;
	if (money_parse_text(v, bp) != ST_OK || strlen(v) > 16)
		issues_add(e, "growth", "must be a percentage with at most 2 decimals");
	else if (*bp <= -10000 || *bp > 100000)
		issues_add(e, "growth", "must be greater than -100 and at most 1000");
}

/* The periods a suggestion reads: last year's, the trailing ones, and those a year before them. */
struct suggest_periods {
	struct period last_year;
	struct period trailing[QUOTA_TRAILING]; /* most recent first */
	struct period prior[QUOTA_TRAILING];
};

/* Read the query and check the caller may see the assignee; false when r is answered. */
static bool
suggest_read(struct req *r, const struct quota_ctx *x, struct quota_key *key, int64_t *growth_bp)
{
	struct issues e = { 0 };
	const char *assignee = NULL;
	enum quota_access acc;

	quota_query_key(r, x, &e, key);
	if (query_string(r, "assignee", 40, &e, &assignee) == FIELD_ABSENT)
		issues_add(&e, "assignee", "is required");
	else if (assignee && !quota_ref_parse(assignee, &key->assignee))
		issues_add(&e, "assignee", "must be person:ID or team:ID");
	query_growth(r, &e, growth_bp);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	if (!quota_access_of(r, &key->assignee, &acc))
		return false;
	if (acc == QUOTA_ACCESS_UNKNOWN) {
		issues_add(&e, "assignee", key->assignee.type == QUOTA_PERSON ? "no such person" : "no such team");
		respond_errors(r, &e);
		return false;
	}
	if (acc < QUOTA_ACCESS_READ) {
		respond_problem(r, 403, "the assignee is outside the people and teams whose quotas you may see", NULL);
		return false;
	}
	return true;
}

/*
 * Won figures of every input period (one query by month) and the open
 * pipeline of the period, into in and *pipe. False when r is answered.
 */
static bool
suggest_inputs(struct req *r, const struct quota_ctx *x, const struct quota_key *key, struct suggest_periods *sp,
	       struct quota_suggest_in *in, struct quota_pipeline *pipe)
{
	struct period p = key->period;
	int64_t *people = NULL, *months = NULL;
	size_t npeople = 0;
	enum status st = ST_OK;
	int y0, m0, y1, m1;
	bool done = false;

	period_year_ago(&key->period, x->fy_start, &sp->last_year);
	for (int i = 0; i < QUOTA_TRAILING; i++) {
		period_prev(&p, x->fy_start, &sp->trailing[i]);
		period_year_ago(&sp->trailing[i], x->fy_start, &sp->prior[i]);
		p = sp->trailing[i];
	}
	cal_date first = sp->prior[QUOTA_TRAILING - 1].start;
	if (sp->last_year.start < first)
		first = sp->last_year.start;
	cal_date_to_ymd(first, &y0, &m0, NULL);
	cal_date_to_ymd(key->period.start - 1, &y1, &m1, NULL);
	int nmonths = (y1 - y0) * 12 + (m1 - m0) + 1;
	if (!assignee_people(r, key, &people, &npeople))
		goto out;
	if (!(months = calloc((size_t)nmonths, sizeof *months)))
		st = ST_NOMEM;
	if (st == ST_OK)
		st = quota_won_monthly(r->conn, r->who.org, people, npeople, key, first, key->period.start - 1, months,
				       nmonths);
	if (st == ST_OK)
		st = quota_open_pipeline(r->conn, r->who.org, people, npeople, key, key->period.start, key->period.end,
					 pipe);
	if (st != ST_OK) {
		respond_status(r, st, NULL);
		goto out;
	}
	in->last_year = sum_months(months, nmonths, first, &sp->last_year);
	for (int i = 0; i < QUOTA_TRAILING; i++) {
		in->trailing[i] = sum_months(months, nmonths, first, &sp->trailing[i]);
		in->trailing_prior[i] = sum_months(months, nmonths, first, &sp->prior[i]);
	}
	in->pipeline_weighted = pipe->weighted;
	in->unit = key->metric == QUOTA_DEAL_COUNT ? 100 : 1;
	done = true;
out:
	free(people);
	free(months);
	return done;
}

static json_t *
suggest_json(const struct quota_key *key, const struct suggest_periods *sp, const struct quota_suggest_in *in,
	     const struct quota_suggest_out *out, const struct quota_pipeline *pipe)
{
	json_t *periods = json_array();

	for (int i = 0; i < QUOTA_TRAILING; i++)
		json_array_append_new(periods, period_value(&sp->trailing[i], in->trailing[i]));
	json_t *inputs = json_pack(
		"{s:o,s:{s:o,s:o,s:o,s:o},s:o,s:{s:o,s:o,s:I},s:o}", "last_year", period_value(&sp->last_year, in->last_year),
		"trailing", "periods", periods, "average", money_to_json(out->trailing_avg), "growth_pct",
		out->has_trailing_growth ? quota_pct_json(out->trailing_growth_bp) : json_null(), "applied_growth_pct",
		quota_pct_json(out->applied_growth_bp), "seasonal_naive", money_to_json(out->seasonal_naive),
		"open_pipeline", "amount", money_to_json(pipe->amount), "weighted", money_to_json(pipe->weighted),
		"deals", (json_int_t)pipe->deals, "growth_pct", quota_pct_json(in->growth_bp));
	json_t *o = json_pack("{s:o}", "assignee", quota_ref_json(&key->assignee));
	set_key(o, key);
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "baseline", money_to_json(out->baseline));
	json_object_set_new(o, "baseline_from", json_string(quota_baseline_name(out->baseline_from)));
	json_object_set_new(o, "target", money_to_json(out->target));
	json_object_set_new(o, "recommended", money_to_json(out->recommended));
	json_object_set_new(o, "decided_by", json_string(out->pipeline_decides ? "open_pipeline" : "growth_target"));
	json_object_set_new(o, "rule", json_string(quota_suggest_rule));
	return o;
}

void
handle_quota_suggestions(struct req *r)
{
	struct quota_ctx x;
	struct quota_key key = { 0 };
	struct suggest_periods sp;
	struct quota_suggest_in in = { 0 };
	struct quota_suggest_out out;
	struct quota_pipeline pipe = { 0 };
	enum status st;

	if (!quota_ctx_load(r, &x) || !suggest_read(r, &x, &key, &in.growth_bp) ||
	    !suggest_inputs(r, &x, &key, &sp, &in, &pipe))
		return;
	if ((st = quota_suggest(&in, &out)) != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_json(r, 200, suggest_json(&key, &sp, &in, &out, &pipe));
}
