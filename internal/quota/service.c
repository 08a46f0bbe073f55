#include "quota/service.h"

#include <stdlib.h>

#include "org/service.h"
#include "quota/alloc.h"
#include "quota/render.h"
#include "quota/shares.h"
#include "quota/store.h"
#include "quota/suggest.h"

#define MAX_CHILDREN 12 /* a year's months */

/* ---- what the operations share ---------------------------------------------------------- */

/* What the quota operations take from the org's settings. */
struct settings {
	int fy_start;
	struct quota_ramp ramp;
};

/* The org's fiscal year start and ramp curve, from its settings. */
static void
settings_of(const struct org_settings *org, struct settings *out)
{
	out->fy_start = org->fiscal_year_start_month;
	quota_ramp_from_curve(org->ramp, org->ramp_len, &out->ramp);
}

/* The org's settings, read: the quota domain's one read of them. */
static enum status
load_settings(struct db_conn *c, const struct caller *who, struct settings *out)
{
	struct org_settings s;
	enum status st = org_service_settings(c, who, &s);

	if (st == ST_OK)
		settings_of(&s, out);
	return st;
}

/*
 * The team of assignee a: a person's team, a team's parent (0 = none).
 * ST_NOT_FOUND when a names no person or team of the org.
 */
static enum status
assignee_team(struct db_conn *c, const struct caller *who, const struct quota_ref *a, int64_t *team)
{
	if (a->type == QUOTA_PERSON)
		return org_service_person_team(c, who, a->id, team);
	return org_service_team_parent(c, who, a->id, team);
}

/*
 * st; when it is a failure, `message` becomes the answer's detail (an issue
 * without field), as the handlers answered before the service existed.
 */
static enum status
detail(enum status st, struct issues *e, const char *message)
{
	if (st != ST_OK)
		issues_add(e, NULL, "%s", message);
	return st;
}

/* Period id `id` in the org's calendar into *p (ST_INVALID naming "period" when it is none). */
static enum status
place(const char *id, const struct settings *x, struct issues *e, struct period *p)
{
	return quota_period_place(id, x->fy_start, "period", e, p);
}

/* The caller's access to the quotas of a, whose team is `team` (for a person; ignored for a team). */
static enum scope_access
scope_of(const struct scope *s, const struct quota_ref *a, int64_t team)
{
	return a->type == QUOTA_PERSON ? scope_quota_person(s, a->id, team) : scope_quota_team(s, a->id);
}

/* What the caller may do with the quotas of an assignee, which may not exist. */
enum access { ACCESS_UNKNOWN = 0, ACCESS_NONE, ACCESS_READ, ACCESS_WRITE };

static enum status
access_of(struct db_conn *c, const struct caller *who, const struct quota_ref *a, enum access *out)
{
	int64_t team = 0;
	enum status st = assignee_team(c, who, a, &team);

	if (st == ST_NOT_FOUND) {
		*out = ACCESS_UNKNOWN;
		return ST_OK;
	}
	if (st == ST_OK)
		switch (scope_of(who->scope, a, team)) {
		case SCOPE_WRITE: *out = ACCESS_WRITE; break;
		case SCOPE_READ: *out = ACCESS_READ; break;
		case SCOPE_NONE: *out = ACCESS_NONE; break;
		}
	return st;
}

/* ST_INVALID naming "assignee": a names nothing in the org. */
static enum status
unknown_assignee(const struct quota_ref *a, struct issues *e)
{
	issues_add(e, "assignee", a->type == QUOTA_PERSON ? "no such person" : "no such team");
	return ST_INVALID;
}

/* Why a caller who reads the quotas of a may not change them. */
static const char *
read_only_reason(const struct scope *s, const struct quota_ref *a)
{
	if (a->type == QUOTA_PERSON && scope_is_self(s, a->id))
		return "your own quota is your manager's call";
	if (a->type == QUOTA_TEAM && scope_manages_team(s, a->id))
		return "the quota of a team you manage is your manager's call";
	return "your roles do not allow changing this quota";
}

/* The caller may write quotas of a: ST_OK, else ST_INVALID (a names nothing) or ST_FORBIDDEN. */
static enum status
may_assign(struct db_conn *c, const struct caller *who, const struct quota_ref *a, struct issues *e)
{
	enum access acc;
	enum status st = access_of(c, who, a, &acc);

	if (st != ST_OK)
		return st;
	switch (acc) {
	case ACCESS_WRITE: return ST_OK;
	case ACCESS_UNKNOWN: return unknown_assignee(a, e);
	case ACCESS_READ: return detail(ST_FORBIDDEN, e, read_only_reason(who->scope, a));
	case ACCESS_NONE: break;
	}
	return detail(ST_FORBIDDEN, e,
	              "the assignee is outside the people and teams whose quotas you manage");
}

/*
 * Lock quota `id` into *cur for a change by the caller: ST_NOT_FOUND when
 * absent or not readable, ST_FORBIDDEN when readable only, ST_STALE when
 * expect_version (>= 0) is not its version. The caller clears *cur.
 */
static enum status
lock_for_change(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                struct quota_current *cur, struct issues *e)
{
	enum access acc;
	enum status st;

	if ((st = detail(quota_store_lock(c, who->org, id, cur), e, "no such quota")) != ST_OK ||
	    (st = access_of(c, who, &cur->key.assignee, &acc)) != ST_OK)
		return st;
	if (acc < ACCESS_READ)
		return detail(ST_NOT_FOUND, e, "no such quota");
	if (acc != ACCESS_WRITE)
		return detail(ST_FORBIDDEN, e, read_only_reason(who->scope, &cur->key.assignee));
	if (expect_version >= 0 && expect_version != cur->version)
		return ST_STALE;
	return ST_OK;
}

/* ---- quotas ------------------------------------------------------------------------------ */

enum status
quota_service_list(struct db_conn *c, const struct caller *who, const struct quota_list_query *q,
                   struct page *out, struct issues *e)
{
	struct settings x;
	struct quota_filter f = {.by_assignee = q->by_assignee,
	                         .assignee = q->assignee,
	                         .by_period = q->period != NULL,
	                         .metric = q->metric,
	                         .team_id = q->team_id,
	                         .after = q->after,
	                         .limit = q->limit};
	struct scope_rows qs = {0};
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK ||
	    (q->period && (st = place(q->period, &x, e, &f.period)) != ST_OK) ||
	    (st = scope_rows_of(who->scope, false, &qs)) != ST_OK)
		return st;
	st = quota_store_list(c, who->org, &x.ramp, &qs, &f, out);
	scope_rows_clear(&qs);
	return st;
}

enum status
quota_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                  struct issues *e)
{
	struct settings x;
	struct rowjson row = {0};
	struct quota_ref a;
	enum access acc;
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK ||
	    (st = detail(quota_store_get(c, who->org, &x.ramp, id, &row, &a), e, "no such quota")) != ST_OK)
		return st;
	if ((st = access_of(c, who, &a, &acc)) == ST_OK && acc < ACCESS_READ)
		st = detail(ST_NOT_FOUND, e, "no such quota");
	if (st == ST_OK)
		*out = row;
	else
		rowjson_clear(&row);
	return st;
}

enum status
quota_service_create(struct db_conn *c, const struct caller *who, const struct quota_input *in,
                     struct rowjson *out, struct issues *e)
{
	struct settings x;
	struct quota_write w = {.key = {.assignee = in->assignee,
	                                .metric = in->metric,
	                                .filter_type = in->filter_type,
	                                .filter_segment = in->filter_segment},
	                        .amount = in->amount,
	                        .notes = in->notes};
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK ||
	    (st = place(in->period, &x, e, &w.key.period)) != ST_OK ||
	    (st = quota_write_check(&w, e)) != ST_OK ||
	    (st = may_assign(c, who, &w.key.assignee, e)) != ST_OK)
		return st;
	return quota_store_create(c, who->org, who->sub, &x.ramp, &w, out, e);
}

/* The fields of `in` that `set` names over *w, then the rules of a quota. */
static enum status
merge(struct quota_write *w, const struct quota_input *in, unsigned set, const struct settings *x,
      struct issues *e)
{
	if (set & QUOTA_SET_ASSIGNEE)
		w->key.assignee = in->assignee;
	if ((set & QUOTA_SET_PERIOD) && place(in->period, x, e, &w->key.period) != ST_OK)
		return ST_INVALID;
	if (set & QUOTA_SET_METRIC)
		w->key.metric = in->metric;
	if (set & QUOTA_SET_FILTER) {
		w->key.filter_type = in->filter_type;
		w->key.filter_segment = in->filter_segment;
	}
	if (set & QUOTA_SET_AMOUNT)
		w->amount = in->amount;
	if (set & QUOTA_SET_NOTES)
		w->notes = in->notes;
	return quota_write_check(w, e);
}

/*
 * Change quota `id` by the fields of `in` that `set` names. The problems
 * the caller found reading the request (in e on entry) are the answer only
 * once the quota is known to be the caller's to change, as a change has
 * always answered: 404, 403 and 412 before 400.
 */
static enum status
change(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
       const struct quota_input *in, unsigned set, struct rowjson *out, struct issues *e)
{
	struct settings x;
	struct quota_current cur = {0};
	struct quota_write w;
	struct issues reading = {0};
	enum status st;

	issues_move(&reading, e);
	if ((st = load_settings(c, who, &x)) != ST_OK ||
	    (st = lock_for_change(c, who, id, expect_version, &cur, e)) != ST_OK)
		goto out;
	if (issues_any(&reading)) {
		issues_move(e, &reading);
		st = ST_INVALID;
		goto out;
	}
	w = (struct quota_write){.key = cur.key, .amount = cur.amount, .notes = cur.notes};
	if ((st = merge(&w, in, set, &x, e)) != ST_OK)
		goto out;
	if ((w.key.assignee.type != cur.key.assignee.type || w.key.assignee.id != cur.key.assignee.id) &&
	    (st = may_assign(c, who, &w.key.assignee, e)) != ST_OK)
		goto out;
	st = quota_store_update(c, who->org, who->sub, &x.ramp, id, &w, out, e);
out:
	issues_clear(&reading);
	quota_current_clear(&cur);
	return st;
}

enum status
quota_service_replace(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                      const struct quota_input *in, struct rowjson *out, struct issues *e)
{
	return change(c, who, id, expect_version, in, QUOTA_SET_ALL, out, e);
}

enum status
quota_service_patch(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                    const struct quota_input *in, struct rowjson *out, struct issues *e)
{
	return change(c, who, id, expect_version, in, in->set, out, e);
}

enum status
quota_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                     struct issues *e)
{
	struct quota_current cur = {0};
	enum status st = lock_for_change(c, who, id, expect_version, &cur, e);

	if (st == ST_OK)
		st = quota_store_delete(c, who->org, who->sub, cur.id);
	quota_current_clear(&cur);
	return st;
}

enum status
quota_service_history(struct db_conn *c, const struct caller *who, int64_t id, int64_t after, int limit,
                      struct page *out, struct issues *e)
{
	struct quota_ref a;
	enum access acc;
	bool deleted;
	enum status st;

	if ((st = detail(quota_store_history_assignee(c, who->org, id, &a, &deleted), e, "no such quota")) !=
	        ST_OK ||
	    (st = access_of(c, who, &a, &acc)) != ST_OK)
		return st;
	/* An assignee gone since (deleted after its quota) leaves the trail to those who read everything. */
	if (acc == ACCESS_UNKNOWN && scope_reads_all(who->scope))
		acc = ACCESS_READ;
	if (acc < ACCESS_READ)
		return detail(ST_NOT_FOUND, e, "no such quota");
	return quota_store_history_list(c, who->org, id, after, limit, out);
}

/* ---- planning ------------------------------------------------------------------------------ */

/* spec in the org's calendar as a key (no assignee). */
static enum status
spec_key(const struct quota_spec *spec, const struct settings *x, struct issues *e, struct quota_key *key)
{
	*key = (struct quota_key){
	    .metric = spec->metric, .filter_type = spec->filter_type, .filter_segment = spec->filter_segment};
	return place(spec->period, x, e, &key->period);
}

/* Team `team_id` as the subject of a planning read: it exists and the caller may read its quotas. */
static enum status
team_subject(struct db_conn *c, const struct caller *who, int64_t team_id, struct issues *e)
{
	struct quota_ref a = {QUOTA_TEAM, team_id};
	enum access acc;
	enum status st = access_of(c, who, &a, &acc);

	if (st != ST_OK)
		return st;
	if (acc == ACCESS_UNKNOWN)
		return detail(ST_NOT_FOUND, e, "no such team");
	if (acc < ACCESS_READ)
		return detail(ST_FORBIDDEN, e, "the team is outside the teams whose quotas you may see");
	return ST_OK;
}

/* Team `team_id`'s subtree with the quotas of key into *t, rolled up over key's period. */
static enum status
load_tree(struct db_conn *c, const struct caller *who, const struct settings *x, int64_t team_id,
          const struct quota_key *key, struct quota_tree *t, struct issues *e)
{
	enum status st = detail(quota_store_tree(c, who->org, team_id, key, t), e, "no such team");

	if (st == ST_OK)
		quota_tree_roll(t, x->ramp.curve_bp, x->ramp.ncurve, key->period.start, key->period.end);
	return st;
}

typedef json_t *(*team_render_fn)(const struct quota_tree *t, const struct quota_key *key,
                                  const struct quota_part *parts, int n);

/* A read of team `team_id`'s quotas for spec, rendered by `render`. */
static enum status
team_view(struct db_conn *c, const struct caller *who, int64_t team_id, const struct quota_spec *spec,
          team_render_fn render, json_t **out, struct issues *e)
{
	struct settings x;
	struct quota_key key;
	struct quota_tree t = {0};
	struct quota_part *parts = NULL;
	int n = 0;
	enum status st;

	if ((st = load_settings(c, who, &x)) == ST_OK && (st = spec_key(spec, &x, e, &key)) == ST_OK &&
	    (st = team_subject(c, who, team_id, e)) == ST_OK &&
	    (st = load_tree(c, who, &x, team_id, &key, &t, e)) == ST_OK &&
	    (st = quota_tree_root_parts(&t, true, &parts, &n)) == ST_OK)
		st = (*out = render(&t, &key, parts, n)) ? ST_OK : ST_NOMEM;
	free(parts);
	quota_tree_clear(&t);
	return st;
}

enum status
quota_service_team(struct db_conn *c, const struct caller *who, int64_t team_id,
                   const struct quota_spec *spec, json_t **out, struct issues *e)
{
	return team_view(c, who, team_id, spec, quota_render_team, out, e);
}

enum status
quota_service_tree(struct db_conn *c, const struct caller *who, int64_t team_id, const struct quota_spec *spec,
                   const struct org_settings *org, struct quota_tree *out, struct period *period, struct issues *e)
{
	struct settings x;
	struct quota_key key;
	struct quota_tree t = {0};
	enum status st;

	settings_of(org, &x);
	if ((st = spec_key(spec, &x, e, &key)) != ST_OK)
		return st;
	st = quota_store_tree(c, who->org, team_id, &key, &t);
	if (st == ST_NOT_FOUND && team_id == 0)
		st = ST_OK; /* an org without teams */
	if (st != ST_OK) {
		quota_tree_clear(&t);
		return detail(st, e, "no such team");
	}
	quota_tree_roll(&t, x.ramp.curve_bp, x.ramp.ncurve, key.period.start, key.period.end);
	*out = t;
	*period = key.period;
	return ST_OK;
}

/* Whether parts v[0..n), in order, cover p's days exactly. */
static bool
parts_tile(const struct quota_period_amount *v, size_t n, const struct period *p)
{
	if (n == 0 || v[0].start != p->start || v[n - 1].end != p->end)
		return false;
	for (size_t i = 1; i < n; i++)
		if (v[i].start != v[i - 1].end + 1)
			return false;
	return true;
}

/* The parts that tile p (months, else quarters) out of *parts into *out (NULL, 0: none); frees *parts. */
static void
split_take(struct quota_parts *parts, const struct period *p, struct quota_period_amount **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (parts_tile(parts->month, parts->nmonth, p)) {
		*out = parts->month;
		*n = parts->nmonth;
		parts->month = NULL;
	} else if (parts_tile(parts->quarter, parts->nquarter, p)) {
		*out = parts->quarter;
		*n = parts->nquarter;
		parts->quarter = NULL;
	}
	quota_parts_free(parts);
}

enum status
quota_service_person_queue(struct db_batch *b, const struct caller *who, int64_t person_id,
                           const struct quota_spec *spec, const struct org_settings *org,
                           struct quota_person_call *call, struct period *period, struct issues *e)
{
	struct settings x;
	enum status st;

	settings_of(org, &x);
	if ((st = spec_key(spec, &x, e, &call->key)) != ST_OK)
		return st;
	call->ramp = x.ramp;
	quota_store_person_queue(b, who->org, person_id, &call->key, &call->store);
	*period = call->key.period;
	return ST_OK;
}

enum status
quota_service_person_take(struct db_conn *c, const struct db_batch *b, const struct quota_person_call *call,
                          struct quota_tree_person *out, struct quota_period_amount **split, size_t *nsplit)
{
	struct quota_tree_person p = {0};
	struct quota_parts parts;
	enum status st;

	if ((st = quota_store_person_take(c, b, &call->store, &p, &parts)) != ST_OK)
		return st;
	p.ramp_bp = quota_ramp_factor_bp(p.hired_on, p.ramp_months, call->ramp.curve_bp, call->ramp.ncurve,
	                                 call->key.period.start, call->key.period.end);
	if (p.has_quota)
		split_take(&parts, &call->key.period, split, nsplit);
	else {
		quota_parts_free(&parts);
		*split = NULL;
		*nsplit = 0;
	}
	*out = p;
	return ST_OK;
}

enum status
quota_service_coverage(struct db_conn *c, const struct caller *who, int64_t team_id,
                       const struct quota_spec *spec, json_t **out, struct issues *e)
{
	return team_view(c, who, team_id, spec, quota_render_coverage, out, e);
}

/* The caller may write the quota of every part of t's root: ST_OK, else ST_FORBIDDEN naming the first. */
static enum status
may_write_parts(const struct caller *who, const struct quota_tree *t, const struct quota_part *parts, int n,
                struct issues *e)
{
	for (int i = 0; i < n; i++) {
		struct quota_ref a = quota_tree_part_ref(t, &parts[i]);
		if (scope_of(who->scope, &a, t->root) != SCOPE_WRITE) {
			issues_add(e, NULL, "you may not set the quota of %s:%lld",
			           quota_assignee_name(a.type), (long long)a.id);
			return ST_FORBIDDEN;
		}
	}
	return ST_OK;
}

/*
 * Each part's basis for in->method into alloc (the history over the
 * lookback window [*from, *to] for historical, read here).
 */
static enum status
alloc_basis(struct db_conn *c, const struct caller *who, const struct settings *x,
            const struct quota_alloc_input *in, const struct quota_key *key, struct quota_tree *t,
            const struct quota_part *parts, int n, struct quota_alloc *alloc, cal_date *from, cal_date *to,
            struct issues *e)
{
	enum status st;
	bool any = false;

	if (in->method == QUOTA_METHOD_HISTORICAL) {
		quota_lookback_window(&key->period, x->fy_start, in->lookback, from, to);
		if ((st = quota_store_tree_history(c, who->org, t, key, *from, *to)) != ST_OK)
			return st;
		quota_tree_roll(t, x->ramp.curve_bp, x->ramp.ncurve, key->period.start, key->period.end);
	}
	if (in->method == QUOTA_METHOD_WEIGHTED &&
	    (st = quota_shares_weights(in->weights, t, parts, n, alloc, e)) != ST_OK)
		return st;
	for (int i = 0; i < n; i++) {
		const struct quota_part *p = &parts[i];
		if (in->method == QUOTA_METHOD_HISTORICAL)
			alloc[i].basis =
			    p->is_team ? t->teams[p->index].history : t->people[p->index].history;
		else if (in->method == QUOTA_METHOD_CAPACITY)
			alloc[i].basis =
			    p->is_team ? t->teams[p->index].heads_bp : t->people[p->index].ramp_bp;
		any = any || alloc[i].basis > 0;
	}
	if (in->method == QUOTA_METHOD_CAPACITY && !any) {
		issues_add(e, "method", "no part has capacity in the period (no active, ramped sellers)");
		return ST_INVALID;
	}
	return ST_OK;
}

/* Compute the allocation a (its tree and parts loaded) and, unless a dry run, write it into ids. */
static enum status
allocate(struct db_conn *c, const struct caller *who, const struct settings *x,
         const struct quota_alloc_input *in, struct quota_tree *t, struct quota_allocation *a,
         struct quota_alloc *alloc, struct quota_write *items, int64_t *ids, struct issues *e)
{
	enum status st;

	if ((st = alloc_basis(c, who, x, in, a->key, t, a->parts, a->n, alloc, &a->from, &a->to, e)) !=
	        ST_OK ||
	    (st = detail(
	         quota_allocate(in->method, a->total, in->unit, in->floor_bp, alloc, a->n, &a->fallback), e,
	         "the allocation could not be computed")) != ST_OK)
		return st;
	for (int i = 0; i < a->n; i++) {
		items[i].key = *a->key;
		items[i].key.assignee = quota_tree_part_ref(t, &a->parts[i]);
		items[i].amount = alloc[i].amount;
	}
	if (in->dry_run)
		return ST_OK;
	a->ids = ids;
	return quota_store_upsert_many(c, who->org, who->sub, "allocation", &x->ramp, items, a->n, ids, NULL);
}

enum status
quota_service_allocate(struct db_conn *c, const struct caller *who, int64_t team_id,
                       const struct quota_alloc_input *in, json_t **out, struct issues *e)
{
	struct settings x;
	struct quota_key key;
	struct quota_tree t = {0};
	struct quota_part *parts = NULL;
	struct quota_alloc *alloc = NULL;
	struct quota_write *items = NULL;
	int64_t *ids = NULL;
	int n = 0;
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK || (st = spec_key(&in->spec, &x, e, &key)) != ST_OK ||
	    (st = team_subject(c, who, team_id, e)) != ST_OK)
		goto out;
	if (!scope_quota_plans(who->scope, team_id)) {
		st = detail(ST_FORBIDDEN, e, "the team is outside the teams whose quotas you manage");
		goto out;
	}
	if ((st = load_tree(c, who, &x, team_id, &key, &t, e)) != ST_OK ||
	    (st = quota_tree_root_parts(&t, false, &parts, &n)) != ST_OK)
		goto out;
	if (n == 0) {
		st = detail(ST_CONFLICT, e,
		            "the team has no active members (besides its manager) and no child teams");
		goto out;
	}
	struct quota_allocation a = {.key = &key,
	                             .tree = &t,
	                             .parts = parts,
	                             .n = n,
	                             .method = in->method,
	                             .uplift_bp = in->uplift_bp,
	                             .unit = in->unit,
	                             .lookback = in->lookback};
	if ((st = may_write_parts(who, &t, parts, n, e)) != ST_OK ||
	    (st = quota_alloc_total(in->has_total, in->total, quota_tree_team_find(&t, team_id),
	                            in->uplift_bp, key.metric, &a.base_total, &a.total, e)) != ST_OK)
		goto out;
	alloc = calloc((size_t)n, sizeof *alloc);
	items = calloc((size_t)n, sizeof *items);
	ids = calloc((size_t)n, sizeof *ids);
	if (!alloc || !items || !ids) {
		st = ST_NOMEM;
		goto out;
	}
	a.alloc = alloc;
	if ((st = allocate(c, who, &x, in, &t, &a, alloc, items, ids, e)) == ST_OK)
		st = (*out = quota_render_allocation(&a)) ? ST_OK : ST_NOMEM;
out:
	free(parts);
	free(alloc);
	free(items);
	free(ids);
	quota_tree_clear(&t);
	return st;
}

/*
 * The people whose credit counts for key's assignee (a person, or everyone
 * in a team's subtree) into *out (malloc'd; NULL when none) and *n.
 */
static enum status
assignee_people(struct db_conn *c, const struct caller *who, const struct quota_key *key, int64_t **out,
                size_t *n, struct issues *e)
{
	struct quota_tree t = {0};
	int64_t *ids = NULL;
	size_t k = 1;
	enum status st = ST_OK;

	if (key->assignee.type == QUOTA_TEAM &&
	    (st = detail(quota_store_tree(c, who->org, key->assignee.id, key, &t), e, "no such team")) !=
	        ST_OK)
		return st;
	if (key->assignee.type == QUOTA_TEAM)
		k = t.npeople;
	if (k > 0 && !(ids = malloc(k * sizeof *ids)))
		st = ST_NOMEM;
	for (size_t i = 0; ids && i < k; i++)
		ids[i] = key->assignee.type == QUOTA_TEAM ? t.people[i].id : key->assignee.id;
	quota_tree_clear(&t);
	if (st == ST_OK) {
		*out = ids;
		*n = k;
	}
	return st;
}

/* Last year's figure of each of the n child periods of key's period (the same months a year earlier). */
static enum status
last_year_shape(struct db_conn *c, const struct caller *who, const struct quota_key *key, int n,
                int64_t *basis, struct issues *e)
{
	int64_t months[MAX_CHILDREN], *people = NULL;
	size_t npeople = 0;
	cal_date from = cal_date_add_months(key->period.start, -12);
	cal_date to = cal_date_add_months(key->period.end + 1, -12) - 1;
	int per = (key->period.grain == GRAIN_YEAR ? 12 : 3) / n;
	enum status st = assignee_people(c, who, key, &people, &npeople, e);

	if (st == ST_OK)
		st = quota_store_won_monthly(c, who->org, people, npeople, key, from, to, months, n * per);
	free(people);
	for (int i = 0; st == ST_OK && i < n; i++) {
		basis[i] = 0;
		for (int k = 0; k < per; k++)
			basis[i] += months[i * per + k];
	}
	return st;
}

enum status
quota_service_split(struct db_conn *c, const struct caller *who, int64_t id,
                    const struct quota_split_input *in, json_t **out, struct issues *e)
{
	struct settings x;
	struct quota_current cur = {0};
	struct period children[MAX_CHILDREN];
	struct quota_write items[MAX_CHILDREN];
	int64_t basis[MAX_CHILDREN] = {0}, amounts[MAX_CHILDREN], ids[MAX_CHILDREN];
	char *jsons[MAX_CHILDREN] = {0};
	enum access acc;
	bool fallback = false;
	int n = 0;
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK ||
	    (st = detail(quota_store_lock(c, who->org, id, &cur), e, "no such quota")) != ST_OK ||
	    (st = access_of(c, who, &cur.key.assignee, &acc)) != ST_OK)
		goto out;
	if (acc != ACCESS_WRITE) {
		st = acc < ACCESS_READ ? detail(ST_NOT_FOUND, e, "no such quota")
		                       : detail(ST_FORBIDDEN, e, "you may not change this assignee's quotas");
		goto out;
	}
	if ((st = quota_split_periods(&cur.key.period, in->grain, x.fy_start, children, MAX_CHILDREN, &n,
	                              e)) != ST_OK ||
	    (in->method == QUOTA_SPLIT_PERCENTAGES &&
	     (st = quota_shares_percentages(in->percentages, children, n, basis, e)) != ST_OK) ||
	    (in->method == QUOTA_SPLIT_HISTORICAL &&
	     (st = last_year_shape(c, who, &cur.key, n, basis, e)) != ST_OK) ||
	    (st = detail(quota_split(cur.amount, in->method, basis, n, quota_metric_unit(cur.key.metric),
	                             amounts, &fallback),
	                 e, "the split could not be computed")) != ST_OK)
		goto out;
	for (int i = 0; i < n; i++) {
		items[i] = (struct quota_write){.key = cur.key, .amount = amounts[i]};
		items[i].key.period = children[i];
	}
	if ((st = quota_store_upsert_many(c, who->org, who->sub, "split", &x.ramp, items, n, ids, jsons)) ==
	    ST_OK)
		st = (*out = quota_render_split(cur.id, in->grain, in->method, fallback, jsons, n))
		         ? ST_OK
		         : ST_NOMEM;
out:
	for (int i = 0; i < MAX_CHILDREN; i++)
		free(jsons[i]);
	quota_current_clear(&cur);
	return st;
}

/* ---- suggestions ------------------------------------------------------------------------------ */

/* The won figures of every input period of sp (one read by month) and the open pipeline of key's period. */
static enum status
suggest_figures(struct db_conn *c, const struct caller *who, const struct quota_key *key,
                const struct quota_suggest_periods *sp, int64_t growth_bp, struct quota_suggest_in *in,
                struct quota_pipeline *pipe, struct issues *e)
{
	int64_t *people = NULL, *months = NULL;
	size_t npeople = 0;
	enum status st = assignee_people(c, who, key, &people, &npeople, e);

	if (st == ST_OK && !(months = calloc((size_t)sp->nmonths, sizeof *months)))
		st = ST_NOMEM;
	if (st == ST_OK)
		st = quota_store_won_monthly(c, who->org, people, npeople, key, sp->first,
		                             key->period.start - 1, months, sp->nmonths);
	if (st == ST_OK)
		st = quota_store_open_pipeline(c, who->org, people, npeople, key, key->period.start,
		                               key->period.end, pipe);
	if (st == ST_OK)
		quota_suggest_inputs(sp, months, pipe->weighted, growth_bp, quota_metric_unit(key->metric),
		                     in);
	free(people);
	free(months);
	return st;
}

enum status
quota_service_suggest(struct db_conn *c, const struct caller *who, const struct quota_suggest_query *q,
                      json_t **out, struct issues *e)
{
	struct settings x;
	struct quota_key key;
	struct quota_suggest_periods sp;
	struct quota_suggest_in in;
	struct quota_suggest_out res;
	struct quota_pipeline pipe = {0};
	enum access acc;
	enum status st;

	if ((st = load_settings(c, who, &x)) != ST_OK || (st = spec_key(&q->spec, &x, e, &key)) != ST_OK)
		return st;
	key.assignee = q->assignee;
	if ((st = access_of(c, who, &key.assignee, &acc)) != ST_OK)
		return st;
	if (acc == ACCESS_UNKNOWN)
		return unknown_assignee(&key.assignee, e);
	if (acc < ACCESS_READ)
		return detail(ST_FORBIDDEN, e,
		              "the assignee is outside the people and teams whose quotas you may see");
	quota_suggest_periods(&key.period, x.fy_start, &sp);
	if ((st = suggest_figures(c, who, &key, &sp, q->growth_bp, &in, &pipe, e)) != ST_OK ||
	    (st = quota_suggest(&in, &res)) != ST_OK)
		return st;
	return (*out = quota_render_suggestion(&key, &sp, &in, &res, &pipe)) ? ST_OK : ST_NOMEM;
}


enum status
quota_service_split_of(struct db_conn *c, const struct caller *who, const struct quota_ref *assignee,
                       const struct period *period, enum quota_metric metric, struct quota_period_amount **out,
                       size_t *n)
{
	struct quota_key key = {.assignee = *assignee, .period = *period, .metric = metric};
	struct quota_parts parts;
	enum status st;

	*out = NULL;
	*n = 0;
	if ((st = quota_store_parts(c, who->org, &key, &parts)) != ST_OK)
		return st;
	split_take(&parts, &key.period, out, n);
	return ST_OK;
}
