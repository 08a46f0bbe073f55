#include "forecast/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forecast/store.h"
#include "org/service.h"
#include "quota/quota.h"

static const char *
scope_type_name(const struct perf_scope *s)
{
	return s->kind == PERF_PERSON ? "person" : "team";
}

/* The owner's call standing on as_of for scope (type, id) and the raw figures of node, as `calls`. */
static enum status
add_calls(struct db_conn *c, const struct caller *who, json_t *node, const char *type, int64_t id,
          const char *period, cal_date as_of)
{
	struct rowjson latest = {0};
	json_t *owner = json_null();
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
	if (st != ST_OK) {
		json_decref(owner);
		return st;
	}
	json_t *calls = json_pack("{s:{s:O,s:O},s:o}", "raw", "commit", json_object_get(node, "commit_forecast"),
	                          "best_case", json_object_get(node, "best_case_forecast"), "owner", owner);
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
