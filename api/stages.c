/* stages.c — /v1/stages: the org's ordered pipeline stages (DESIGN §7 "Pipeline"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "deals/stage.h"
#include "deals/store.h"

static const char *const stage_columns[] = { "key", "name", "probability", "forecast_category", "is_won",
					     "is_lost", NULL };

void
handle_stages_get(struct req *r)
{
	struct rowjson row = { 0 };
	enum status st = stages_get(r->conn, r->who.org, &row);

	if (st != ST_OK) {
		respond_status(r, st, NULL);
		goto out;
	}
	if (respond_wants_csv(r)) {
		json_t *list = json_loads(row.json, 0, NULL);
		char etag[24];

		if (!list) {
			respond_status(r, ST_NOMEM, NULL);
			goto out;
		}
		snprintf(etag, sizeof etag, "\"%d\"", row.version);
		respond_header(r, "ETag", etag);
		respond_csv(r, json_object_get(list, "items"), stage_columns);
		json_decref(list);
		goto out;
	}
	respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
}

/* Stage i of the body into *s (name borrowed); problems go to e as items[i].field. */
static void
read_stage(json_t *x, size_t i, struct stage *s, struct issues *e)
{
	static const char *const keys[] = { "key", "name", "probability", "forecast_category", "is_won",
					    "is_lost", NULL };
	static const char *const required[] = { "key", "name", "probability", "forecast_category", NULL };
	struct issues sub = { 0 };
	char prefix[32];
	const char *key = NULL, *category = NULL;
	long long probability = 0;

	memset(s, 0, sizeof *s);
	snprintf(prefix, sizeof prefix, "items[%zu]", i);
	if (!json_is_object(x)) {
		issues_add(e, prefix, "must be an object");
		return;
	}
	parse_only(x, keys, &sub);
	for (int k = 0; required[k]; k++)
		parse_require(x, required[k], &sub);
	if (parse_string(x, "key", 1, STAGE_KEY_MAX, &sub, &key) == FIELD_SET) {
		if (stage_key_valid(key))
			snprintf(s->key, sizeof s->key, "%s", key);
		else
			issues_add(&sub, "key", "must match ^[a-z][a-z0-9_]{0,39}$");
	}
	parse_string(x, "name", 1, 200, &sub, &s->name);
	parse_int(x, "probability", 0, 100, &sub, &probability);
	s->probability = (int)probability;
	if (parse_enum(x, "forecast_category", stage_forecast_categories, &sub, &category) == FIELD_SET)
		snprintf(s->forecast_category, sizeof s->forecast_category, "%s", category);
	if (parse_bool(x, "is_won", &sub, &s->is_won) == FIELD_NULL)
		issues_add(&sub, "is_won", "must not be null");
	if (parse_bool(x, "is_lost", &sub, &s->is_lost) == FIELD_NULL)
		issues_add(&sub, "is_lost", "must not be null");
	snprintf(prefix, sizeof prefix, "items[%zu].", i);
	issues_nest(e, prefix, &sub);
	issues_clear(&sub);
}

/* The body {"items": [...]} into l; false when r is answered (400). */
static bool
read_stages(struct req *r, json_t *body, struct stage_list *l)
{
	static const char *const allowed[] = { "items", NULL };
	struct stage_issue issues[2 * STAGE_MAX + 2];
	struct issues e = { 0 };
	json_t *items = json_object_get(body, "items"), *x;
	char field[48];
	size_t i;

	parse_only(body, allowed, &e);
	if (!items || !json_is_array(items))
		issues_add(&e, "items", "must be an array of stages");
	else if (json_array_size(items) < 1 || json_array_size(items) > STAGE_MAX)
		issues_add(&e, "items", "must hold 1 to %d stages", STAGE_MAX);
	else {
		json_array_foreach(items, i, x)
			read_stage(x, i, &l->items[i], &e);
		l->n = (int)json_array_size(items);
	}
	if (!issues_any(&e)) {
		int n = stage_list_check(l, issues, (int)(sizeof issues / sizeof issues[0]));
		for (int k = 0; k < n && k < (int)(sizeof issues / sizeof issues[0]); k++) {
			if (issues[k].index < 0)
				snprintf(field, sizeof field, "%s", issues[k].field);
			else
				snprintf(field, sizeof field, "items[%d].%s", issues[k].index, issues[k].field);
			issues_add(&e, field, "%s", issues[k].message);
		}
	}
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

void
handle_stages_put(struct req *r)
{
	struct stage_list l = { 0 };
	struct rowjson row = { 0 };
	char used[STAGE_KEY_MAX + 1] = "", detail[160];
	bool removed = false;
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	if (!read_stages(r, body, &l))
		goto out;
	enum status st = stages_replace(r->conn, r->who.org, &l, req_if_match(r), &row, used, &removed);
	if (st == ST_CONFLICT) {
		snprintf(detail, sizeof detail,
			 removed ? "stage %s is used by deals: it cannot be removed"
				 : "stage %s is used by deals: it cannot change between open, won and lost",
			 used);
		respond_problem(r, 409, detail, json_pack("[{s:s,s:s}]", "field", "items", "message", detail));
	} else if (st != ST_OK)
		respond_status(r, st, st == ST_NOT_FOUND ? "the org has no stage list" : NULL);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	json_decref(body);
}
