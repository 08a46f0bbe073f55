#include "forecast/service.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "forecast/store.h"
#include "org/service.h"
#include "quota/quota.h"

static const char *
scope_type_name(const struct perf_scope *s)
{
	return s->kind == PERF_PERSON ? "person" : "team";
}

/*
 * Whether the caller may see the adjustments of scope (type, id): they read
 * everything, or they are a manager above it. Its owner does not see what
 * was decided above them.
 */
static enum status
sees_adjustments(struct db_conn *c, const struct caller *who, const char *type, int64_t id, bool *out)
{
	int64_t team = 0;
	enum status st = ST_OK;

	*out = scope_reads_all(who->scope);
	if (*out)
		return ST_OK;
	if (strcmp(type, "person") == 0 && (st = org_service_person_team(c, who, id, &team)) != ST_OK)
		return st == ST_NOT_FOUND ? ST_OK : st;
	*out = scope_forecast_adjusts(who->scope, strcmp(type, "team") == 0, id, team);
	return ST_OK;
}

/* The owner layer of the standing submission sub (forecast_store_standing), or JSON null without one. */
static json_t *
owner_layer(const json_t *sub)
{
	if (!sub)
		return json_null();
	return json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "submission_id", json_object_get(sub, "id"), "commit",
	                 json_object_get(sub, "commit"), "best_case", json_object_get(sub, "best_case"), "notes",
	                 json_object_get(sub, "notes"), "submitted_at", json_object_get(sub, "submitted_at"), "sub",
	                 json_object_get(sub, "sub"));
}

/* The final layer: the standing adjustment adj (NULL: none, or not the caller's to see), else the owner's call. */
static json_t *
final_layer(const json_t *adj, const json_t *owner)
{
	if (adj)
		return json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "source", "adjustment", "adjustment_id",
		                 json_object_get(adj, "id"), "commit", json_object_get(adj, "commit"), "best_case",
		                 json_object_get(adj, "best_case"), "notes", json_object_get(adj, "notes"), "by_person",
		                 json_object_get(adj, "by_person"), "sub", json_object_get(adj, "sub"), "at",
		                 json_object_get(adj, "made_at"));
	if (json_is_null(owner))
		return json_null();
	return json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O}", "source", "owner", "submission_id",
	                 json_object_get(owner, "submission_id"), "commit", json_object_get(owner, "commit"),
	                 "best_case", json_object_get(owner, "best_case"), "notes", json_object_get(owner, "notes"),
	                 "sub", json_object_get(owner, "sub"), "at", json_object_get(owner, "submitted_at"));
}

/* node's calls by layer: raw (its figures), owner (sub), final (adj, else the owner's). */
static enum status
add_calls(json_t *node, const json_t *sub, const json_t *adj)
{
	json_t *owner = owner_layer(sub), *final = owner ? final_layer(adj, owner) : NULL;

	if (!owner || !final) {
		json_decref(owner);
		return ST_NOMEM;
	}
	json_t *calls = json_pack("{s:{s:O,s:O},s:o,s:o}", "raw", "commit", json_object_get(node, "commit_forecast"),
	                          "best_case", json_object_get(node, "best_case_forecast"), "owner", owner, "final",
	                          final);
	if (!calls)
		return ST_NOMEM;
	json_object_set_new(node, "calls", calls);
	return ST_OK;
}

/* "person:12" / "team:3" into (type, id); false for "org" or anything else. */
static bool
key_ref(const char *key, const char **type, int64_t *id)
{
	if (strncmp(key, "person:", 7) == 0) {
		*type = "person";
		*id = strtoll(key + 7, NULL, 10);
		return true;
	}
	if (strncmp(key, "team:", 5) == 0) {
		*type = "team";
		*id = strtoll(key + 5, NULL, 10);
		return true;
	}
	return false;
}

/* The row of `list` (forecast_store_standing) of scope (type, id), or NULL. */
static const json_t *
standing_of(const json_t *list, const char *type, int64_t id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(list, i, v) {
		if (json_integer_value(json_object_get(v, "scope_id")) == id &&
		    strcmp(json_string_value(json_object_get(v, "scope_type")), type) == 0)
			return v;
	}
	return NULL;
}

/*
 * The roll-up of q with the calls by layer on the scope and each child:
 * the calls standing on as_of of them all in one query. Whether the caller
 * sees the adjustments above a child needs no query: a person child is a
 * member of q's team, a team child is one.
 */
static enum status
rollup_with_calls(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                  struct issues *e)
{
	json_t *o = NULL, *ch, *standing = NULL;
	struct buf types = {0}, ids = {0};
	struct rowjson row = {0};
	enum status st = perf_service_forecast_rollup(c, who, q, &o, e);
	cal_date as_of;
	size_t i;
	const char *type = NULL;
	int64_t id = 0;
	bool sees = false;

	if (st != ST_OK)
		return st;
	const char *period = json_string_value(json_object_get(json_object_get(o, "period"), "id"));
	json_t *children = json_object_get(o, "children");
	if (cal_date_parse(json_string_value(json_object_get(o, "as_of")), &as_of) != ST_OK || !period) {
		json_decref(o);
		return ST_INTERNAL;
	}
	/* every scope of the roll-up that has an owner: the scope (unless the org) and each child */
	buf_putc(&types, '{');
	buf_putc(&ids, '{');
	for (i = 0; i <= json_array_size(children); i++) {
		json_t *node = i == 0 ? o : json_array_get(children, i - 1);
		if (!key_ref(json_string_value(json_object_get(node, "key")), &type, &id))
			continue;
		if (types.len > 1) {
			buf_putc(&types, ',');
			buf_putc(&ids, ',');
		}
		buf_puts(&types, type);
		buf_printf(&ids, "%lld", (long long)id);
	}
	buf_putc(&types, '}');
	buf_putc(&ids, '}');
	if (types.oom || ids.oom)
		st = ST_NOMEM;
	else if (types.len > 2 &&
	         (st = forecast_store_standing(c, who->org, period, as_of, types.data, ids.data, &row)) == ST_OK &&
	         !(standing = json_loads(row.json, 0, NULL)))
		st = ST_NOMEM;
	buf_clear(&types);
	buf_clear(&ids);
	rowjson_clear(&row);
	json_t *subs = json_object_get(standing, "submissions"), *adjs = json_object_get(standing, "adjustments");
	if (st == ST_OK) {
		type = NULL;
		if (key_ref(json_string_value(json_object_get(o, "key")), &type, &id))
			st = sees_adjustments(c, who, type, id, &sees);
		if (st == ST_OK)
			st = type ? add_calls(o, standing_of(subs, type, id), sees ? standing_of(adjs, type, id) : NULL)
			          : add_calls(o, NULL, NULL);
	}
	json_array_foreach(children, i, ch) {
		if (st != ST_OK)
			break;
		if (!key_ref(json_string_value(json_object_get(ch, "key")), &type, &id)) {
			st = add_calls(ch, NULL, NULL);
			continue;
		}
		bool team = strcmp(type, "team") == 0;
		sees = scope_reads_all(who->scope) ||
		       scope_forecast_adjusts(who->scope, team, id, q->scope.kind == PERF_TEAM ? q->scope.id : 0);
		st = add_calls(ch, standing_of(subs, type, id), sees ? standing_of(adjs, type, id) : NULL);
	}
	json_decref(standing);
	if (st != ST_OK) {
		json_decref(o);
		return st;
	}
	*out = o;
	return ST_OK;
}

/* Scope s exists (404 otherwise) and the caller owns it (403 otherwise). */
static enum status
owns(struct db_conn *c, const struct caller *who, const struct perf_scope *s, struct issues *e)
{
	int64_t other;
	enum status st;

	if (s->kind == PERF_PERSON) {
		if ((st = org_service_person_team(c, who, s->id, &other)) == ST_NOT_FOUND)
			issues_add(e, NULL, "%s", "no such person");
		if (st != ST_OK)
			return st;
		if (scope_is_self(who->scope, s->id))
			return ST_OK;
		issues_add(e, NULL, "%s", "a person's call is theirs to make: submit your own");
		return ST_FORBIDDEN;
	}
	if ((st = org_service_team_parent(c, who, s->id, &other)) == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", "no such team");
	if (st != ST_OK)
		return st;
	if (scope_manages_team(who->scope, s->id))
		return ST_OK;
	issues_add(e, NULL, "%s", "a team's call is its manager's to make");
	return ST_FORBIDDEN;
}

enum status
forecast_service_submit(struct db_conn *c, const struct caller *who, const struct forecast_call *in,
                        struct rowjson *out, struct issues *e)
{
	struct org_settings settings;
	struct period p;
	json_t *snap = NULL;
	char *text = NULL;
	enum status st;

	if (in->scope.kind == PERF_ORG) {
		issues_add(e, "scope", "%s", "a call is a person's or a team's: person:ID or team:ID");
		return ST_INVALID;
	}
	if (in->best_case < in->commit) {
		issues_add(e, "best_case", "%s", "must not be below commit");
		return ST_INVALID;
	}
	if ((st = owns(c, who, &in->scope, e)) != ST_OK || (st = org_service_settings(c, who, &settings)) != ST_OK ||
	    (st = quota_period_place(in->period, settings.fiscal_year_start_month, "period", e, &p)) != ST_OK)
		return st;
	struct perf_query q = {.scope = in->scope, .period = in->period};
	if ((st = perf_service_forecast_rollup(c, who, &q, &snap, e)) != ST_OK)
		return st;
	if (!(text = json_dumps(snap, JSON_COMPACT | JSON_REAL_PRECISION(15)))) {
		json_decref(snap);
		return ST_NOMEM;
	}
	struct forecast_submission s = {.scope_type = scope_type_name(&in->scope),
	                                .scope_id = in->scope.id,
	                                .period = &p,
	                                .commit = in->commit,
	                                .best_case = in->best_case,
	                                .notes = in->notes,
	                                .sub = who->sub,
	                                .snapshot = text};
	st = forecast_store_submit(c, who->org, &s, out);
	free(text);
	json_decref(snap);
	return st;
}

enum status
forecast_service_submissions(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                             const char *period, int64_t before, int limit, struct page *out, struct issues *e)
{
	enum status st;

	if (scope->kind == PERF_ORG) {
		issues_add(e, "scope", "%s", "calls are a person's or a team's: person:ID or team:ID");
		return ST_INVALID;
	}
	if ((st = perf_service_may_see(c, who, scope, e)) != ST_OK)
		return st;
	return forecast_store_submissions(c, who->org, scope_type_name(scope), scope->id, period, before, limit, out);
}

enum status
forecast_service_adjust(struct db_conn *c, const struct caller *who, const struct forecast_call *in,
                        struct rowjson *out, struct issues *e)
{
	struct org_settings settings;
	struct period p;
	int64_t team = 0;
	enum status st;

	if (in->scope.kind == PERF_ORG) {
		issues_add(e, "scope", "%s", "an adjustment is of a person's or a team's call: person:ID or team:ID");
		return ST_INVALID;
	}
	if (in->best_case < in->commit) {
		issues_add(e, "best_case", "%s", "must not be below commit");
		return ST_INVALID;
	}
	if (in->scope.kind == PERF_PERSON) {
		if ((st = org_service_person_team(c, who, in->scope.id, &team)) == ST_NOT_FOUND)
			issues_add(e, NULL, "%s", "no such person");
	} else if ((st = org_service_team_parent(c, who, in->scope.id, &team)) == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", "no such team");
	if (st != ST_OK)
		return st;
	if (!who->scope->person_id ||
	    !scope_forecast_adjusts(who->scope, in->scope.kind == PERF_TEAM, in->scope.id, team)) {
		issues_add(e, NULL, "%s", "only a manager above a person or a team adjusts its call");
		return ST_FORBIDDEN;
	}
	if ((st = org_service_settings(c, who, &settings)) != ST_OK ||
	    (st = quota_period_place(in->period, settings.fiscal_year_start_month, "period", e, &p)) != ST_OK)
		return st;
	struct forecast_adjustment a = {.call = {.scope_type = scope_type_name(&in->scope),
	                                         .scope_id = in->scope.id,
	                                         .period = &p,
	                                         .commit = in->commit,
	                                         .best_case = in->best_case,
	                                         .notes = in->notes,
	                                         .sub = who->sub},
	                                .by_person = who->scope->person_id};
	return forecast_store_adjust(c, who->org, &a, out);
}

enum status
forecast_service_adjustments(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                             const char *period, int64_t before, int limit, struct page *out, struct issues *e)
{
	bool sees;
	enum status st;

	if (scope->kind == PERF_ORG) {
		issues_add(e, "scope", "%s", "adjustments are of a person's or a team's call: person:ID or team:ID");
		return ST_INVALID;
	}
	if ((st = perf_service_may_see(c, who, scope, e)) != ST_OK ||
	    (st = sees_adjustments(c, who, scope_type_name(scope), scope->id, &sees)) != ST_OK)
		return st;
	if (!sees) {
		issues_add(e, NULL, "%s", "the adjustments made above a scope are for the managers above it");
		return ST_FORBIDDEN;
	}
	return forecast_store_adjustments(c, who->org, scope_type_name(scope), scope->id, period, before, limit, out);
}

static const char *
any_scope_type(const struct perf_scope *s)
{
	return s->kind == PERF_ORG ? "org" : scope_type_name(s);
}

enum status
forecast_service_snapshot(struct db_conn *c, const struct caller *who, const struct perf_query *q, struct rowjson *out,
                          struct issues *e)
{
	struct perf_query now = *q;
	json_t *rollup = NULL;
	char *text;
	enum status st;

	now.has_as_of = false;
	if ((st = rollup_with_calls(c, who, &now, &rollup, e)) != ST_OK)
		return st;
	const char *period = json_string_value(json_object_get(json_object_get(rollup, "period"), "id"));
	if (!period || !(text = json_dumps(rollup, JSON_COMPACT | JSON_REAL_PRECISION(15)))) {
		json_decref(rollup);
		return ST_NOMEM;
	}
	st = forecast_store_snapshot(c, who->org, any_scope_type(&q->scope), q->scope.id, period, who->sub, text, out);
	free(text);
	json_decref(rollup);
	return st;
}

enum status
forecast_service_snapshots(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                           const char *period, int64_t before, int limit, struct page *out, struct issues *e)
{
	enum status st = perf_service_may_see(c, who, scope, e);

	if (st != ST_OK)
		return st;
	return forecast_store_snapshots(c, who->org, any_scope_type(scope), scope->id, period, before, limit, out);
}

/* ---- projections ---------------------------------------------------------------------------- */

/* A double as a JSON number rounded to 2 decimals (money, counts). */
static json_t *
num2(double v)
{
	return json_real(round(v * 100.0) / 100.0);
}

json_t *
forecast_projection_json(const struct fc_result *res, enum fc_method asked, const char *const *labels)
{
	json_t *points = json_array(), *o;

	if (!points)
		return NULL;
	for (size_t i = 0; i < res->horizon; i++) {
		json_t *pt = json_pack("{s:I,s:o,s:o,s:o,s:o,s:o}", "step", (json_int_t)i + 1, "mean", num2(res->mean[i]),
		                       "lo80", num2(res->lo80[i]), "hi80", num2(res->hi80[i]), "lo95", num2(res->lo95[i]),
		                       "hi95", num2(res->hi95[i]));
		if (pt && labels)
			json_object_set_new(pt, "period", json_string(labels[i]));
		if (!pt || json_array_append_new(points, pt) != 0) {
			json_decref(points);
			return NULL;
		}
	}
	o = json_pack("{s:s,s:s,s:s?,s:b,s:o,s:o}", "method", res->method_name, "method_asked", fc_method_name(asked),
	              "note", res->note, "seasonal", res->seasonal, "backtest",
	              res->backtested ? json_pack("{s:o,s:o}", "smape", num2(res->smape), "mase", num2(res->mase))
	                              : json_null(),
	              "points", points);
	return o;
}

enum status
forecast_service_projection(struct db_conn *c, const struct caller *who, const struct forecast_projection_query *q,
                            json_t **out, struct issues *e)
{
	struct period *periods = NULL;
	int64_t *values = NULL;
	size_t n = 0;
	double *y = NULL;
	char (*labels)[16] = NULL;
	const char *names[FC_MAX_HORIZON];
	struct fc_result res;
	enum status st = perf_service_won_series(c, who, &q->scope, q->grain, q->metric, &periods, &values, &n, e);

	if (st != ST_OK)
		goto out;
	if (n == 0) {
		issues_add(e, NULL, "%s", "no won business in any complete period before today: nothing to project from");
		st = ST_UNPROCESSABLE;
		goto out;
	}
	int frequency = q->grain == GRAIN_MONTH ? 12 : q->grain == GRAIN_QUARTER ? 4 : 1;
	if (!(y = calloc(n, sizeof *y)) || !(labels = calloc(q->horizon, sizeof *labels))) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		y[i] = (double)values[i] / 100.0;
	if ((st = fc_forecast(y, n, frequency, q->horizon, q->method, &res)) != ST_OK)
		goto out;
	struct org_settings settings;
	if ((st = org_service_settings(c, who, &settings)) != ST_OK)
		goto out;
	struct period p = periods[n - 1];
	for (size_t i = 0; i < q->horizon; i++) {
		struct period next;
		period_next(&p, settings.fiscal_year_start_month, &next);
		p = next;
		snprintf(labels[i], sizeof labels[i], "%s", p.id);
		names[i] = labels[i];
	}
	json_t *history = json_array();
	for (size_t i = 0; history && i < n; i++)
		json_array_append_new(history, json_pack("{s:s,s:o}", "period", periods[i].id, "value",
		                                         money_to_json(values[i])));
	json_t *projection = forecast_projection_json(&res, q->method, names);
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	if (history && projection) {
		/* json_pack's o steals history and projection, also when it fails */
		*out = json_pack("{s:{s:s,s:o},s:s,s:s,s:o,s:o}", "scope", "type",
		                 q->scope.kind == PERF_ORG ? "org" : scope_type_name(&q->scope), "id",
		                 q->scope.kind == PERF_ORG ? json_null() : json_string(id), "metric",
		                 quota_metric_name(q->metric), "grain", period_grain_name(q->grain), "history", history,
		                 "projection", projection);
		st = *out ? ST_OK : ST_NOMEM;
	} else {
		json_decref(history);
		json_decref(projection);
		st = ST_NOMEM;
	}
out:
	free(periods);
	free(values);
	free(y);
	free(labels);
	return st;
}

/* ---- accuracy ---------------------------------------------------------------------------------- */

/* A person or team met while walking the scope, with its figures per period (bit i of `present`: period i). */
struct acc_entity {
	bool team;
	int64_t id, team_of; /* a person's team (0: not known) */
	char *name;          /* owned; NULL when none */
	bool sees;           /* the caller sees the adjustments made above it */
	uint32_t present;
	int64_t actual[FORECAST_ACCURACY_MAX_PERIODS], raw[FORECAST_ACCURACY_MAX_PERIODS];
};

struct acc_ctx {
	struct db_conn *c;
	const struct caller *who;
	struct issues *e;
	const struct period *periods;
	size_t np;
	struct acc_at at;
	bool shallow; /* the scope and its direct children only (a child team from its node, not walked) */
	struct acc_entity *ents;
	size_t n, cap;
	struct acc_call *calls;
	size_t ncalls;
};

static void
acc_ctx_clear(struct acc_ctx *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->ents[i].name);
	free(x->ents);
	free(x->calls);
	x->ents = NULL;
	x->calls = NULL;
	x->n = x->cap = x->ncalls = 0;
}

/* A JSON money number as cents (0 when absent). */
static int64_t
cents_of(const json_t *v)
{
	return json_is_number(v) ? (int64_t)llround(json_number_value(v) * 100.0) : 0;
}

static struct acc_entity *
acc_entity_find(struct acc_ctx *x, bool team, int64_t id)
{
	for (size_t i = 0; i < x->n; i++)
		if (x->ents[i].team == team && x->ents[i].id == id)
			return &x->ents[i];
	return NULL;
}

/* Room for one more entity in x. */
static bool
acc_room(struct acc_ctx *x)
{
	struct acc_entity *v = x->n < x->cap ? x->ents : reallocarray(x->ents, x->cap + 32, sizeof *v);

	if (v && x->n == x->cap)
		x->cap += 32;
	x->ents = v ? v : x->ents;
	return v != NULL;
}

/* Note the figures of (team, id) in period pi: what closed, and the raw commit at the `at` day. */
static enum status
acc_note_values(struct acc_ctx *x, bool team, int64_t id, int64_t team_of, const char *name, int64_t actual,
                int64_t raw, size_t pi)
{
	struct acc_entity *en = acc_entity_find(x, team, id);

	if (!en) {
		if (!acc_room(x))
			return ST_NOMEM;
		en = &x->ents[x->n++];
		*en = (struct acc_entity){.team = team, .id = id};
		if (name && !(en->name = strdup(name)))
			return ST_NOMEM;
	}
	if (team_of)
		en->team_of = team_of;
	en->present |= 1u << pi;
	en->actual[pi] = actual;
	en->raw[pi] = raw;
	return ST_OK;
}

/* Note the figures of (team, id) in period pi: closed from node `now`, the raw commit from node `then`. */
static enum status
acc_note(struct acc_ctx *x, bool team, int64_t id, int64_t team_of, const json_t *now, const json_t *then, size_t pi)
{
	return acc_note_values(
	    x, team, id, team_of, json_string_value(json_object_get(now, "name")),
	    cents_of(json_object_get(json_object_get(json_object_get(now, "categories"), "closed"), "amount")),
	    then ? cents_of(json_object_get(then, "commit_forecast")) : 0, pi);
}

/* The child of node with `key`, or NULL. */
static json_t *
child_by_key(json_t *node, const char *key)
{
	json_t *ch;
	size_t i;

	json_array_foreach(json_object_get(node, "children"), i, ch) {
		if (strcmp(json_string_value(json_object_get(ch, "key")), key) == 0)
			return ch;
	}
	return NULL;
}

/*
 * Walk scope s in period pi: its roll-up as of today (what closed) and as of
 * the `at` day (the raw commit then); note s (unless the org) and its
 * members, then walk each child team (x->shallow: note it from its node).
 */
static enum status
acc_walk(struct acc_ctx *x, const struct perf_scope *s, size_t pi)
{
	struct perf_query q = {.scope = *s, .period = x->periods[pi].id};
	json_t *now = NULL, *then = NULL, *ch;
	size_t i;
	enum status st = perf_service_forecast_rollup(x->c, x->who, &q, &now, x->e);

	q.has_as_of = true;
	q.as_of = acc_at_day(&x->periods[pi], x->at);
	if (st == ST_OK)
		st = perf_service_forecast_rollup(x->c, x->who, &q, &then, x->e);
	if (st == ST_OK && s->kind != PERF_ORG)
		st = acc_note(x, s->kind == PERF_TEAM, s->id, 0, now, then, pi);
	json_array_foreach(json_object_get(now, "children"), i, ch) {
		const char *type = NULL;
		int64_t id = 0;
		if (st != ST_OK)
			break;
		if (!key_ref(json_string_value(json_object_get(ch, "key")), &type, &id))
			continue;
		bool team = strcmp(type, "team") == 0;
		if (team && !x->shallow)
			st = acc_walk(x, &(struct perf_scope){.kind = PERF_TEAM, .id = id}, pi);
		else
			st = acc_note(x, team, id, !team && s->kind == PERF_TEAM ? s->id : 0, ch,
			              child_by_key(then, json_string_value(json_object_get(ch, "key"))), pi);
	}
	json_decref(now);
	json_decref(then);
	return st;
}

/* Load every call of the periods into x->calls, oldest first. */
static enum status
acc_load_calls(struct acc_ctx *x)
{
	struct buf list = {0};
	struct rowjson row = {0};
	json_t *arr = NULL, *v;
	size_t i;
	enum status st;

	buf_puts(&list, "{");
	for (i = 0; i < x->np; i++) {
		if (i)
			buf_puts(&list, ",");
		buf_puts(&list, x->periods[i].id);
	}
	buf_puts(&list, "}");
	if (list.oom) {
		buf_clear(&list);
		return ST_NOMEM;
	}
	st = forecast_store_calls(x->c, x->who->org, list.data, &row);
	buf_clear(&list);
	if (st != ST_OK)
		return st;
	arr = json_loads(row.json, 0, NULL);
	rowjson_clear(&row);
	if (!arr)
		return ST_NOMEM;
	if (json_array_size(arr) && !(x->calls = calloc(json_array_size(arr), sizeof *x->calls)))
		st = ST_NOMEM;
	json_array_foreach(arr, i, v) {
		if (st != ST_OK)
			break;
		const char *period = json_string_value(json_object_get(v, "period"));
		struct acc_call k = {.adjustment = json_is_true(json_object_get(v, "adjustment")),
		                     .team = strcmp(json_string_value(json_object_get(v, "scope_type")), "team") == 0,
		                     .scope_id = json_integer_value(json_object_get(v, "scope_id")),
		                     .period = -1,
		                     .commit = json_integer_value(json_object_get(v, "commit_cents")),
		                     .id = json_integer_value(json_object_get(v, "id"))};
		for (size_t p = 0; period && p < x->np; p++)
			if (strcmp(period, x->periods[p].id) == 0)
				k.period = (int)p;
		if (k.period < 0 || cal_date_parse(json_string_value(json_object_get(v, "day")), &k.day) != ST_OK)
			continue;
		x->calls[x->ncalls++] = k;
	}
	json_decref(arr);
	return st;
}

/* Whether the caller sees the adjustments above each entity (auth/scope.h scope_forecast_adjusts). */
static enum status
acc_decide_sees(struct acc_ctx *x)
{
	for (size_t i = 0; i < x->n; i++) {
		struct acc_entity *en = &x->ents[i];
		if (scope_reads_all(x->who->scope)) {
			en->sees = true;
			continue;
		}
		if (!en->team && !en->team_of) {
			enum status st = org_service_person_team(x->c, x->who, en->id, &en->team_of);
			if (st != ST_OK && st != ST_NOT_FOUND)
				return st;
		}
		en->sees = scope_forecast_adjusts(x->who->scope, en->team, en->id, en->team_of);
	}
	return ST_OK;
}

/* Walk q's scope over every period of x and load the calls. */
static enum status
acc_gather(struct acc_ctx *x, const struct perf_scope *scope)
{
	enum status st = ST_OK;

	if (scope->kind == PERF_PERSON) { /* two roll-ups of one person per period */
		for (size_t pi = 0; pi < x->np && st == ST_OK; pi++)
			st = acc_walk(x, scope, pi);
	} else if (x->np) { /* a team or the org: two statements per period for the whole tree */
		struct perf_call_entity *v = NULL;
		size_t n = 0;
		cal_date at[FORECAST_ACCURACY_MAX_PERIODS];
		for (size_t pi = 0; pi < x->np; pi++)
			at[pi] = acc_at_day(&x->periods[pi], x->at);
		st = perf_service_call_figures(x->c, x->who, scope, x->shallow, x->periods, at, x->np, &v, &n, x->e);
		for (size_t i = 0; i < n && st == ST_OK; i++)
			for (size_t pi = 0; pi < x->np && st == ST_OK; pi++)
				st = acc_note_values(x, v[i].team, v[i].id, v[i].team_of, v[i].name, v[i].closed[pi],
				                     v[i].called[pi], pi);
		perf_call_entities_free(v, n);
	}
	if (st == ST_OK && x->np)
		st = acc_load_calls(x);
	if (st == ST_OK)
		st = acc_decide_sees(x);
	return st;
}

/* The sums of entity en standing at `at` over every period it is present in. */
static void
acc_entity_sum(const struct acc_ctx *x, const struct acc_entity *en, struct acc_at at, struct acc_sum *s)
{
	for (size_t pi = 0; pi < x->np; pi++) {
		if (!(en->present & (1u << pi)))
			continue;
		const struct acc_call *k = acc_standing(x->calls, x->ncalls, en->team, en->id, (int)pi,
		                                        acc_at_day(&x->periods[pi], at), en->sees);
		acc_add(s, en->actual[pi], k ? &k->commit : NULL, en->raw[pi]);
	}
}

static json_t *
pct_json(bool ok, double v)
{
	return ok ? num2(v) : json_null();
}

/* The figures of s (accuracy.h) as JSON. */
static json_t *
acc_sum_json(const struct acc_sum *s)
{
	double wape = 0, mape = 0, bias_pct = 0, rw = 0, rm = 0, rb = 0;
	int64_t bias = 0;
	bool has_wape = acc_wape_pct(s, &s->call, &wape), has_mape = acc_mape_pct(&s->call, &mape),
	     has_bias = acc_bias(s, &bias), has_bias_pct = acc_bias_pct(s, &s->call, &bias_pct),
	     has_rw = acc_wape_pct(s, &s->raw, &rw), has_rm = acc_mape_pct(&s->raw, &rm),
	     has_rb = acc_bias_pct(s, &s->raw, &rb);

	return json_pack("{s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:o,s:o,s:o,s:o,s:o}}", "periods",
	                 (json_int_t)s->rows, "called", (json_int_t)s->called, "missing",
	                 (json_int_t)(s->rows - s->called), "actual", money_to_json(s->actual), "call",
	                 money_to_json(s->call.sum), "error", money_to_json(s->call.sum - s->actual), "wape_pct",
	                 pct_json(has_wape, wape), "mape_pct", pct_json(has_mape, mape), "bias",
	                 has_bias ? money_to_json(bias) : json_null(), "bias_pct", pct_json(has_bias_pct, bias_pct),
	                 "raw", "commit", money_to_json(s->raw.sum), "error", money_to_json(s->raw.sum - s->actual),
	                 "wape_pct", pct_json(has_rw, rw), "mape_pct", pct_json(has_rm, rm), "bias_pct",
	                 pct_json(has_rb, rb));
}

static void
entity_key(const struct acc_entity *en, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%lld", en->team ? "team" : "person", (long long)en->id);
}

/* The row of entity en in period pi, flat (one CSV row). */
static json_t *
acc_row_json(const struct acc_ctx *x, const struct acc_entity *en, size_t pi)
{
	char key[48], id[24], day[16], cid[24];
	cal_date at = acc_at_day(&x->periods[pi], x->at);
	const struct acc_call *k = acc_standing(x->calls, x->ncalls, en->team, en->id, (int)pi, at, en->sees);
	int64_t actual = en->actual[pi], raw = en->raw[pi];
	double ape = 0, raw_ape = 0;
	bool has_ape = k && acc_ape_pct(actual, k->commit, &ape), has_raw_ape = acc_ape_pct(actual, raw, &raw_ape);

	entity_key(en, key, sizeof key);
	snprintf(id, sizeof id, "%lld", (long long)en->id);
	cal_date_format(at, day, sizeof day);
	if (k)
		snprintf(cid, sizeof cid, "%lld", (long long)k->id);
	return json_pack("{s:s,s:s,s:s,s:o,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "key", key, "type",
	                 en->team ? "team" : "person", "id", id, "name", en->name ? json_string(en->name) : json_null(), "period", x->periods[pi].id, "at",
	                 day, "actual", money_to_json(actual), "call", k ? money_to_json(k->commit) : json_null(),
	                 "call_source", k ? json_string(k->adjustment ? "adjustment" : "owner") : json_null(),
	                 "call_id", k ? json_string(cid) : json_null(), "error",
	                 k ? money_to_json(k->commit - actual) : json_null(), "ape_pct", pct_json(has_ape, ape),
	                 "raw_commit", money_to_json(raw), "raw_error", money_to_json(raw - actual), "raw_ape_pct",
	                 pct_json(has_raw_ape, raw_ape));
}

/* The response of forecast_service_accuracy from a gathered x. */
static json_t *
acc_json(const struct acc_ctx *x, const struct forecast_accuracy_query *q, const struct period *from,
         const struct period *to, const struct period *open, size_t nopen)
{
	char at[24], id[24];
	json_t *periods = json_array(), *open_ids = json_array(), *rows = json_array(), *people = json_array(),
	       *teams = json_array(), *weeks = json_array();
	struct acc_sum rollup = {0};
	int nweeks = 0;
	bool oom = !periods || !open_ids || !rows || !people || !teams || !weeks;

	acc_at_format(q->at, at, sizeof at);
	for (size_t pi = 0; !oom && pi < x->np; pi++) {
		const struct period *pp = &x->periods[pi];
		char day[16], start[16], end[16];
		cal_date_format(acc_at_day(pp, q->at), day, sizeof day);
		cal_date_format(pp->start, start, sizeof start);
		cal_date_format(pp->end, end, sizeof end);
		oom = json_array_append_new(periods, json_pack("{s:s,s:s,s:s,s:s,s:i}", "id", pp->id, "start", start, "end",
		                                               end, "at", day, "weeks", acc_weeks(pp))) != 0;
		if (acc_weeks(pp) > nweeks)
			nweeks = acc_weeks(pp);
	}
	for (size_t i = 0; !oom && i < nopen; i++)
		oom = json_array_append_new(open_ids, json_string(open[i].id)) != 0;
	for (size_t i = 0; !oom && i < x->n; i++) {
		const struct acc_entity *en = &x->ents[i];
		struct acc_sum s = {0};
		char key[48];
		for (size_t pi = 0; !oom && pi < x->np; pi++)
			if (en->present & (1u << pi))
				oom = json_array_append_new(rows, acc_row_json(x, en, pi)) != 0;
		acc_entity_sum(x, en, q->at, &s);
		if (!en->team)
			acc_entity_sum(x, en, q->at, &rollup);
		entity_key(en, key, sizeof key);
		snprintf(id, sizeof id, "%lld", (long long)en->id);
		if (!oom)
			oom = json_array_append_new(en->team ? teams : people,
			                            json_pack("{s:s,s:s,s:o,s:o}", "key", key, "id", id, "name",
			                                      en->name ? json_string(en->name) : json_null(),
			                                      "accuracy", acc_sum_json(&s))) != 0;
	}
	/* how early was the call right: the people's calls standing at the end of each week */
	for (int w = 1; !oom && w <= nweeks; w++) {
		struct acc_sum s = {0};
		struct acc_at at_w = {.unit = ACC_WEEK, .n = w};
		double wape = 0, mape = 0, bias = 0;
		for (size_t i = 0; i < x->n; i++)
			if (!x->ents[i].team)
				acc_entity_sum(x, &x->ents[i], at_w, &s);
		bool hw = acc_wape_pct(&s, &s.call, &wape), hm = acc_mape_pct(&s.call, &mape),
		     hb = acc_bias_pct(&s, &s.call, &bias);
		oom = json_array_append_new(weeks, json_pack("{s:i,s:I,s:I,s:o,s:o,s:o}", "week", w, "called",
		                                             (json_int_t)s.called, "missing",
		                                             (json_int_t)(s.rows - s.called), "wape_pct",
		                                             pct_json(hw, wape), "mape_pct", pct_json(hm, mape),
		                                             "bias_pct", pct_json(hb, bias))) != 0;
	}
	if (oom) {
		json_decref(periods);
		json_decref(open_ids);
		json_decref(rows);
		json_decref(people);
		json_decref(teams);
		json_decref(weeks);
		return NULL;
	}
	snprintf(id, sizeof id, "%lld", (long long)q->scope.id);
	return json_pack("{s:{s:s,s:o},s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "scope", "type",
	                 any_scope_type(&q->scope), "id", q->scope.kind == PERF_ORG ? json_null() : json_string(id),
	                 "at", at, "grain", period_grain_name(from->grain), "from", from->id, "to", to->id, "periods",
	                 periods, "open_periods", open_ids, "rows", rows, "people", people, "teams", teams, "rollup",
	                 acc_sum_json(&rollup), "by_week", weeks);
}

enum status
forecast_service_accuracy(struct db_conn *c, const struct caller *who, const struct forecast_accuracy_query *q,
                          json_t **out, struct issues *e)
{
	struct org_settings settings;
	struct period from, to, closed[FORECAST_ACCURACY_MAX_PERIODS], open[FORECAST_ACCURACY_MAX_PERIODS];
	size_t nclosed = 0, nopen = 0;
	cal_date today;
	enum status st;

	if ((st = perf_service_may_see(c, who, &q->scope, e)) != ST_OK ||
	    (st = org_service_settings(c, who, &settings)) != ST_OK)
		return st;
	today = settings.today;
	int fy = settings.fiscal_year_start_month;
	bool bad = quota_period_place(q->from, fy, "from", e, &from) != ST_OK;
	if (quota_period_place(q->to, fy, "to", e, &to) != ST_OK || bad)
		return ST_INVALID;
	if (from.grain != to.grain) {
		issues_add(e, "to", "%s", "must be a period of the same grain as from (months, quarters or years)");
		return ST_INVALID;
	}
	if (to.start < from.start) {
		issues_add(e, "to", "%s", "must not be before from");
		return ST_INVALID;
	}
	struct period every[FORECAST_ACCURACY_MAX_PERIODS], p = from;
	size_t n = 0;
	while (n < FORECAST_ACCURACY_MAX_PERIODS && p.start <= to.start) {
		every[n++] = p;
		period_next(&every[n - 1], fy, &p);
	}
	if (p.start <= to.start) {
		issues_add(e, "to", "at most %d periods from `from` to `to`", FORECAST_ACCURACY_MAX_PERIODS);
		return ST_INVALID;
	}
	for (size_t i = 0; i < n; i++)
		if (every[i].end < today)
			closed[nclosed++] = every[i];
		else
			open[nopen++] = every[i];
	struct acc_ctx x = {.c = c, .who = who, .e = e, .periods = closed, .np = nclosed, .at = q->at};
	if ((st = acc_gather(&x, &q->scope)) == ST_OK) {
		*out = acc_json(&x, q, &from, &to, open, nopen);
		st = *out ? ST_OK : ST_NOMEM;
	}
	acc_ctx_clear(&x);
	return st;
}

/* ---- the roll-up, bias-adjusted ------------------------------------------------------------ */

/* node's calls.bias_adjusted from the entity of x with node's key (none: nothing measured). */
static enum status
add_bias_adjusted(const struct acc_ctx *x, json_t *node, json_t *measured)
{
	const char *type = NULL, *note = NULL;
	int64_t id = 0, adjusted = 0;
	struct acc_sum s = {0};
	double bias = 0;
	json_t *calls = json_object_get(node, "calls"), *final = json_object_get(calls, "final");
	char at[24];

	if (!calls || !key_ref(json_string_value(json_object_get(node, "key")), &type, &id))
		return ST_OK;
	const struct acc_entity *en = acc_entity_find((struct acc_ctx *)x, strcmp(type, "team") == 0, id);
	if (en)
		acc_entity_sum(x, en, FORECAST_BIAS_AT, &s);
	bool has_bias = acc_bias_pct(&s, &s.call, &bias), has = false;
	if (s.called < FORECAST_BIAS_MIN_CALLS)
		note = "too few closed periods with a call to measure a bias: nothing applied";
	else if (json_is_null(final) || !final)
		note = "no current call to adjust";
	else if (!(has = acc_bias_adjust(&s, FORECAST_BIAS_MIN_CALLS, cents_of(json_object_get(final, "commit")),
	                                 &adjusted)))
		note = "the measured calls sum to zero: no bias can be applied";
	acc_at_format(FORECAST_BIAS_AT, at, sizeof at);
	json_t *o = json_pack("{s:o,s:o,s:s,s:O,s:I,s:s?}", "commit", has ? money_to_json(adjusted) : json_null(),
	                      "bias_pct", s.called >= FORECAST_BIAS_MIN_CALLS ? pct_json(has_bias, bias) : json_null(),
	                      "at", at, "periods", measured, "called", (json_int_t)s.called, "note", note);
	if (!o)
		return ST_NOMEM;
	json_object_set_new(calls, "bias_adjusted", o);
	return ST_OK;
}

/*
 * Measure the bias of every person and team of q's scope over the
 * FORECAST_BIAS_PERIODS periods before q's period closed by today, and put
 * the bias-adjusted call beside the others on the scope and each child.
 */
static enum status
apply_bias(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t *o, struct issues *e)
{
	struct org_settings settings;
	struct period p, before[FORECAST_BIAS_PERIODS];
	size_t n = 0;
	json_t *ch, *measured = json_array();
	size_t i;
	enum status st;

	if (!measured)
		return ST_NOMEM;
	if ((st = org_service_settings(c, who, &settings)) != ST_OK ||
	    (st = period_parse(json_string_value(json_object_get(json_object_get(o, "period"), "id")),
	                       settings.fiscal_year_start_month, &p)) != ST_OK) {
		json_decref(measured);
		return st == ST_INVALID ? ST_INTERNAL : st;
	}
	for (int k = 0; k < FORECAST_BIAS_PERIODS; k++) {
		struct period prev;
		period_prev(&p, settings.fiscal_year_start_month, &prev);
		p = prev;
		if (p.end < settings.today)
			before[n++] = p;
	}
	/* oldest first */
	for (size_t k = 0; k < n / 2; k++) {
		struct period t = before[k];
		before[k] = before[n - 1 - k];
		before[n - 1 - k] = t;
	}
	for (size_t k = 0; k < n; k++)
		json_array_append_new(measured, json_string(before[k].id));
	struct acc_ctx x = {
	    .c = c, .who = who, .e = e, .periods = before, .np = n, .at = FORECAST_BIAS_AT, .shallow = true};
	st = acc_gather(&x, &q->scope);
	if (st == ST_OK)
		st = add_bias_adjusted(&x, o, measured);
	json_array_foreach(json_object_get(o, "children"), i, ch) {
		if (st != ST_OK)
			break;
		st = add_bias_adjusted(&x, ch, measured);
	}
	acc_ctx_clear(&x);
	json_decref(measured);
	return st;
}

enum status
forecast_service_rollup(struct db_conn *c, const struct caller *who, const struct perf_query *q, bool bias_adjusted,
                        json_t **out, struct issues *e)
{
	json_t *o = NULL;
	enum status st = rollup_with_calls(c, who, q, &o, e);

	if (st == ST_OK && bias_adjusted && (st = apply_bias(c, who, q, o, e)) != ST_OK)
		json_decref(o);
	if (st == ST_OK)
		*out = o;
	return st;
}
