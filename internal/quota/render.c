#include "quota/render.h"

#include <stdio.h>

#include "core/money.h"
#include "quota/alloc.h"

json_t *
quota_render_pct(int64_t bp)
{
	return bp % 100 == 0 ? json_integer(bp / 100) : json_real((double)bp / 100.0);
}

static json_t *
id_json(int64_t id)
{
	char b[24];

	snprintf(b, sizeof b, "%lld", (long long)id);
	return json_string(b);
}

json_t *
quota_render_ref(const struct quota_ref *a)
{
	return json_pack("{s:s,s:o}", "type", quota_assignee_name(a->type), "id", id_json(a->id));
}

json_t *
quota_render_filter(const char *type, const char *segment)
{
	return json_pack("{s:o,s:o}", "type", type ? json_string(type) : json_null(), "segment",
	                 segment ? json_string(segment) : json_null());
}

/* A figure in cents as a JSON number, or null when absent. */
static json_t *
money_or_null(bool set, int64_t cents)
{
	return set ? money_to_json(cents) : json_null();
}

/* "period", "period_start" and "period_end" of p on o. */
static void
set_period(json_t *o, const struct period *p)
{
	char start[16], end[16];

	cal_date_format(p->start, start, sizeof start);
	cal_date_format(p->end, end, sizeof end);
	json_object_set_new(o, "period", json_string(p->id));
	json_object_set_new(o, "period_start", json_string(start));
	json_object_set_new(o, "period_end", json_string(end));
}

/* The period, metric and filter of k on o. */
static void
set_key(json_t *o, const struct quota_key *k)
{
	set_period(o, &k->period);
	json_object_set_new(o, "metric", json_string(quota_metric_name(k->metric)));
	json_object_set_new(o, "filter", quota_render_filter(k->filter_type, k->filter_segment));
}

/* {"team_id": ...} with key's period, metric and filter: the head of a team's answers. */
static json_t *
team_head(int64_t team_id, const struct quota_key *key)
{
	json_t *o = json_pack("{s:o}", "team_id", id_json(team_id));

	if (o)
		set_key(o, key);
	return o;
}

/* The parts as [{assignee, name, amount, source, quota_id}]. */
static json_t *
parts_json(const struct quota_tree *t, const struct quota_part *parts, int n)
{
	json_t *list = json_array();

	for (int i = 0; i < n; i++) {
		struct quota_ref a = quota_tree_part_ref(t, &parts[i]);
		int64_t amount, qid;
		enum quota_source src = quota_tree_part_value(t, &parts[i], &amount, &qid);
		const char *name =
		    parts[i].is_team ? t->teams[parts[i].index].name : t->people[parts[i].index].name;
		json_array_append_new(
		    list, json_pack("{s:o,s:s,s:o,s:s,s:o}", "assignee", quota_render_ref(&a), "name",
		                    name ? name : "", "amount",
		                    money_or_null(src != QUOTA_SOURCE_NONE, amount), "source",
		                    quota_source_name(src), "quota_id", qid ? id_json(qid) : json_null()));
	}
	return list;
}

json_t *
quota_render_team(const struct quota_tree *t, const struct quota_key *key, const struct quota_part *parts,
                  int n)
{
	const struct quota_tree_team *root = quota_tree_team_find(t, t->root);
	json_t *o = team_head(t->root, key);
	int64_t amount;

	if (!root || !o)
		return o;
	enum quota_source src = quota_tree_team_value(root, &amount);
	json_object_set_new(o, "amount", money_or_null(src != QUOTA_SOURCE_NONE, amount));
	json_object_set_new(o, "source", json_string(quota_source_name(src)));
	json_object_set_new(o, "quota_id", root->has_quota ? id_json(root->quota_id) : json_null());
	json_object_set_new(o, "parts_total", money_or_null(root->parts_any, root->parts_sum));
	json_object_set_new(o, "parts", parts_json(t, parts, n));
	return o;
}

/*
 * The sellers of the subtree: the street quota (their quotas, ramped and
 * in full) into *street and *full, and the active ones without a quota as
 * {id, name, team_id} into people.
 */
static void
sellers(const struct quota_tree *t, int64_t *street, int64_t *full, json_t *people)
{
	*street = *full = 0;
	for (size_t i = 0; i < t->npeople; i++) {
		const struct quota_tree_person *p = &t->people[i];
		if (!quota_tree_is_seller(t, p))
			continue;
		if (p->has_quota) {
			*street += quota_apply_factor(p->amount, p->ramp_bp);
			*full += p->amount;
		} else if (p->active)
			json_array_append_new(people, json_pack("{s:o,s:s,s:o}", "id", id_json(p->id), "name",
			                                        p->name, "team_id", id_json(p->team_id)));
	}
}

/* Teams below the root without a quota of their own: [{id, name, parent_id, rolled_up}]. */
static json_t *
teams_without_quota(const struct quota_tree *t)
{
	json_t *teams = json_array();

	for (size_t i = 0; i < t->nteams; i++) {
		const struct quota_tree_team *tm = &t->teams[i];
		int64_t v;
		if (tm->id == t->root || tm->has_quota)
			continue;
		enum quota_source src = quota_tree_team_value(tm, &v);
		json_array_append_new(teams,
		                      json_pack("{s:o,s:s,s:o,s:o}", "id", id_json(tm->id), "name", tm->name,
		                                "parent_id", id_json(tm->parent_id), "rolled_up",
		                                money_or_null(src != QUOTA_SOURCE_NONE, v)));
	}
	return teams;
}

json_t *
quota_render_coverage(const struct quota_tree *t, const struct quota_key *key, const struct quota_part *parts,
                      int n)
{
	const struct quota_tree_team *root = quota_tree_team_find(t, t->root);
	int64_t street, street_full, over;
	json_t *o = team_head(t->root, key), *people = json_array();

	if (!root || !o || !people) {
		json_decref(people);
		return o;
	}
	sellers(t, &street, &street_full, people);
	int64_t parts_total = root->parts_any ? root->parts_sum : 0;
	bool has_over = root->has_quota && quota_share_bp(parts_total, root->amount, &over) == ST_OK;
	json_object_set_new(o, "team_quota", money_or_null(root->has_quota, root->amount));
	json_object_set_new(o, "parts_total", money_to_json(parts_total));
	json_object_set_new(o, "over_assignment_pct",
	                    has_over ? quota_render_pct(over - 10000) : json_null());
	json_object_set_new(o, "street_quota", money_to_json(street));
	json_object_set_new(o, "street_quota_full", money_to_json(street_full));
	json_object_set_new(o, "parts", parts_json(t, parts, n));
	json_object_set_new(o, "people_without_quota", people);
	json_object_set_new(o, "teams_without_quota", teams_without_quota(t));
	return o;
}

/* How part i got its amount. */
static json_t *
explanation(const struct quota_allocation *a, int i)
{
	const struct quota_part *part = &a->parts[i];
	const struct quota_alloc *al = &a->alloc[i];
	const struct quota_tree *t = a->tree;
	json_t *o = json_pack("{s:s}", "method", quota_method_name(a->method));
	char day[16];

	if (!o)
		return NULL;
	switch (a->method) {
	case QUOTA_METHOD_EQUAL: json_object_set_new(o, "parts", json_integer(a->n)); break;
	case QUOTA_METHOD_HISTORICAL:
		json_object_set_new(o, "history", money_to_json(al->basis));
		json_object_set_new(o, "lookback_periods", json_integer(a->lookback));
		cal_date_format(a->from, day, sizeof day);
		json_object_set_new(o, "history_from", json_string(day));
		cal_date_format(a->to, day, sizeof day);
		json_object_set_new(o, "history_to", json_string(day));
		json_object_set_new(o, "floor_applied", json_boolean(al->floored));
		json_object_set_new(o, "fallback_to_equal", json_boolean(a->fallback));
		break;
	case QUOTA_METHOD_WEIGHTED:
		json_object_set_new(o, "weight", json_real((double)al->basis / 1e6));
		break;
	case QUOTA_METHOD_CAPACITY:
		if (part->is_team)
			json_object_set_new(o, "heads",
			                    json_real((double)t->teams[part->index].heads_bp / 10000.0));
		break;
	}
	if (!part->is_team)
		json_object_set_new(o, "ramp_factor_pct", quota_render_pct(t->people[part->index].ramp_bp));
	return o;
}

json_t *
quota_render_allocation(const struct quota_allocation *a)
{
	json_t *list = json_array(), *o = team_head(a->tree->root, a->key);

	for (int i = 0; list && i < a->n; i++) {
		struct quota_ref ref = quota_tree_part_ref(a->tree, &a->parts[i]);
		int64_t share;
		bool has_share = quota_share_bp(a->alloc[i].amount, a->total, &share) == ST_OK;
		json_array_append_new(list,
		                      json_pack("{s:o,s:o,s:o,s:o,s:o}", "assignee", quota_render_ref(&ref),
		                                "amount", money_to_json(a->alloc[i].amount), "share_pct",
		                                has_share ? quota_render_pct(share) : json_null(), "quota_id",
		                                a->ids ? id_json(a->ids[i]) : json_null(), "explanation",
		                                explanation(a, i)));
	}
	if (!o) {
		json_decref(list);
		return NULL;
	}
	json_object_set_new(o, "method", json_string(quota_method_name(a->method)));
	json_object_set_new(o, "base_total", money_to_json(a->base_total));
	json_object_set_new(o, "uplift_pct", quota_render_pct(a->uplift_bp));
	json_object_set_new(o, "total", money_to_json(a->total));
	json_object_set_new(o, "rounding", money_to_json(a->unit));
	json_object_set_new(o, "allocations", list);
	json_object_set_new(o, "dry_run", json_boolean(a->ids == NULL));
	return o;
}

json_t *
quota_render_split(int64_t quota_id, enum period_grain grain, enum quota_split_method method, bool fallback,
                   char *const *quotas, int n)
{
	json_t *list = json_array();

	for (int i = 0; list && i < n; i++)
		json_array_append_new(list, json_loads(quotas[i], 0, NULL));
	return json_pack("{s:o,s:s,s:s,s:b,s:o,s:o}", "quota_id", id_json(quota_id), "grain",
	                 period_grain_name(grain), "method",
	                 quota_split_method_name(fallback ? QUOTA_SPLIT_EVEN : method), "fallback", fallback,
	                 "note",
	                 fallback ? json_string("no won business in the same periods last year: split evenly")
	                          : json_null(),
	                 "quotas", list);
}

/* {period, period_start, period_end, achieved}. */
static json_t *
period_value(const struct period *p, int64_t v)
{
	json_t *o = json_object();

	if (o) {
		set_period(o, p);
		json_object_set_new(o, "achieved", money_to_json(v));
	}
	return o;
}

json_t *
quota_render_suggestion(const struct quota_key *key, const struct quota_suggest_periods *sp,
                        const struct quota_suggest_in *in, const struct quota_suggest_out *out,
                        const struct quota_pipeline *pipe)
{
	json_t *periods = json_array();

	for (int i = 0; periods && i < QUOTA_TRAILING; i++)
		json_array_append_new(periods, period_value(&sp->trailing[i], in->trailing[i]));
	json_t *inputs =
	    json_pack("{s:o,s:{s:o,s:o,s:o,s:o},s:o,s:{s:o,s:o,s:I},s:o}", "last_year",
	              period_value(&sp->last_year, in->last_year), "trailing", "periods", periods, "average",
	              money_to_json(out->trailing_avg), "growth_pct",
	              out->has_trailing_growth ? quota_render_pct(out->trailing_growth_bp) : json_null(),
	              "applied_growth_pct", quota_render_pct(out->applied_growth_bp), "seasonal_naive",
	              money_to_json(out->seasonal_naive), "open_pipeline", "amount",
	              money_to_json(pipe->amount), "weighted", money_to_json(pipe->weighted), "deals",
	              (json_int_t)pipe->deals, "growth_pct", quota_render_pct(in->growth_bp));
	json_t *o = json_pack("{s:o}", "assignee", quota_render_ref(&key->assignee));

	if (!o || !inputs) {
		json_decref(o);
		json_decref(inputs);
		return NULL;
	}
	set_key(o, key);
	json_object_set_new(o, "inputs", inputs);
	json_object_set_new(o, "baseline", money_to_json(out->baseline));
	json_object_set_new(o, "baseline_from", json_string(quota_baseline_name(out->baseline_from)));
	json_object_set_new(o, "target", money_to_json(out->target));
	json_object_set_new(o, "recommended", money_to_json(out->recommended));
	json_object_set_new(o, "decided_by",
	                    json_string(out->pipeline_decides ? "open_pipeline" : "growth_target"));
	json_object_set_new(o, "rule", json_string(quota_suggest_rule));
	return o;
}
