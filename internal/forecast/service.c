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

/* The final layer of scope (type, id): the latest adjustment the caller may see, else the owner's call. */
static enum status
final_call(struct db_conn *c, const struct caller *who, const char *type, int64_t id, const char *period,
           cal_date as_of, json_t *owner, json_t **out)
{
	struct rowjson latest = {0};
	bool sees;
	enum status st = sees_adjustments(c, who, type, id, &sees);

	*out = NULL;
	if (st == ST_OK && sees && (st = forecast_store_latest_adjustment(c, who->org, type, id, period, as_of,
	                                                                   &latest)) == ST_OK) {
		json_t *a = json_loads(latest.json, 0, NULL);
		*out = a ? json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O,s:O}", "source", "adjustment", "adjustment_id",
		                     json_object_get(a, "id"), "commit", json_object_get(a, "commit"), "best_case",
		                     json_object_get(a, "best_case"), "notes", json_object_get(a, "notes"), "by_person",
		                     json_object_get(a, "by_person"), "sub", json_object_get(a, "sub"), "at",
		                     json_object_get(a, "made_at"))
		         : NULL;
		json_decref(a);
		st = *out ? ST_OK : ST_NOMEM;
	} else if (st == ST_OK || st == ST_NOT_FOUND) {
		st = ST_OK;
		*out = json_is_null(owner) ? json_null()
		                           : json_pack("{s:s,s:O,s:O,s:O,s:O,s:O,s:O}", "source", "owner", "submission_id",
		                                       json_object_get(owner, "submission_id"), "commit",
		                                       json_object_get(owner, "commit"), "best_case",
		                                       json_object_get(owner, "best_case"), "notes",
		                                       json_object_get(owner, "notes"), "sub", json_object_get(owner, "sub"),
		                                       "at", json_object_get(owner, "submitted_at"));
		st = *out ? ST_OK : ST_NOMEM;
	}
	rowjson_clear(&latest);
	return st;
}

/* The calls of node (scope (type, id), NULL type: the org) on as_of by layer: raw, owner, final. */
static enum status
add_calls(struct db_conn *c, const struct caller *who, json_t *node, const char *type, int64_t id,
          const char *period, cal_date as_of)
{
	struct rowjson latest = {0};
	json_t *owner = json_null(), *final = json_null();
	enum status st = ST_OK;

	if (type) {
		st = forecast_store_latest(c, who->org, type, id, period, as_of, &latest);
		if (st == ST_OK) {
			json_t *sub = json_loads(latest.json, 0, NULL);
			owner = sub ? json_pack("{s:O,s:O,s:O,s:O,s:O,s:O}", "submission_id", json_object_get(sub, "id"),
			                        "commit", json_object_get(sub, "commit"), "best_case",
			                        json_object_get(sub, "best_case"), "notes", json_object_get(sub, "notes"),
			                        "submitted_at", json_object_get(sub, "submitted_at"), "sub",
			                        json_object_get(sub, "sub"))
			            : NULL;
			json_decref(sub);
			if (!owner)
				st = ST_NOMEM;
		} else if (st == ST_NOT_FOUND)
			st = ST_OK;
		rowjson_clear(&latest);
	}
	if (st == ST_OK && type) {
		json_decref(final);
		st = final_call(c, who, type, id, period, as_of, owner, &final);
	}
	if (st != ST_OK) {
		json_decref(owner);
		json_decref(final);
		return st;
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

enum status
forecast_service_rollup(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                        struct issues *e)
{
	json_t *o = NULL, *ch;
	enum status st = perf_service_forecast_rollup(c, who, q, &o, e);
	cal_date as_of;
	size_t i;

	if (st != ST_OK)
		return st;
	const char *period = json_string_value(json_object_get(json_object_get(o, "period"), "id"));
	if (cal_date_parse(json_string_value(json_object_get(o, "as_of")), &as_of) != ST_OK || !period) {
		json_decref(o);
		return ST_INTERNAL;
	}
	const char *type = NULL;
	int64_t id = 0;
	key_ref(json_string_value(json_object_get(o, "key")), &type, &id);
	st = add_calls(c, who, o, type, id, period, as_of);
	json_array_foreach(json_object_get(o, "children"), i, ch) {
		if (st != ST_OK)
			break;
		type = NULL;
		key_ref(json_string_value(json_object_get(ch, "key")), &type, &id);
		st = add_calls(c, who, ch, type, id, period, as_of);
	}
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
	if ((st = forecast_service_rollup(c, who, &now, &rollup, e)) != ST_OK)
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
