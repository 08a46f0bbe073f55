/* stages.c — /v1/stages: the org's ordered pipeline stages (DESIGN §7 "Pipeline"). */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "deals/service.h"

static const char *const stage_columns[] = { "key", "name", "probability", "forecast_category", "is_won",
					     "is_lost", NULL };

/* The list as CSV (items only), with the list's ETag. */
static void
respond_stages_csv(struct req *r, const struct rowjson *row)
{
	json_t *list = json_loads(row->json, 0, NULL);
	char etag[24];

	if (!list) {
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	snprintf(etag, sizeof etag, "\"%d\"", row->version);
	respond_header(r, "ETag", etag);
	respond_csv(r, json_object_get(list, "items"), stage_columns);
	json_decref(list);
}

void
handle_stages_get(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;

	if (!req_caller(r, &who))
		return;
	enum status st = deals_service_stages_get(r->conn, &who, &row, &e);
	if (st == ST_OK && respond_wants_csv(r))
		respond_stages_csv(r, &row);
	else
		respond_outcome(r, st, &e, &row, 200, NULL);
	issues_clear(&e);
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

/* The body {"items": [...]} into l; problems of shape go to e. */
static void
read_stages(json_t *body, struct stage_list *l, struct issues *e)
{
	static const char *const allowed[] = { "items", NULL };
	json_t *items = json_object_get(body, "items"), *x;
	size_t i;

	parse_only(body, allowed, e);
	if (!items || !json_is_array(items))
		issues_add(e, "items", "must be an array of stages");
	else if (json_array_size(items) < 1 || json_array_size(items) > STAGE_MAX)
		issues_add(e, "items", "must hold 1 to %d stages", STAGE_MAX);
	else {
		json_array_foreach(items, i, x)
			read_stage(x, i, &l->items[i], e);
		l->n = (int)json_array_size(items);
	}
}

void
handle_stages_put(struct req *r)
{
	struct stage_list l = { 0 };
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	read_stages(body, &l, &e);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_caller(r, &who)) {
		enum status st = deals_service_stages_replace(r->conn, &who, &l, req_if_match(r), &row, &e);
		if (st == ST_CONFLICT) /* the detail is the message itself, not "items: ..." */
			respond_problem(r, 409, e.items[0].message, issues_json(&e));
		else
			respond_outcome(r, st, &e, &row, 200, NULL);
	}
	issues_clear(&e);
	rowjson_clear(&row);
	json_decref(body);
}
