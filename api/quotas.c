/* quotas.c — /v1/quotas: quotas and their audit trail (DESIGN §7 "Quotas"). */
#include "api/quotas.h"

#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/write.h"
#include "api/respond.h"

const char *const quota_metrics[] = {"revenue", "deal_count", NULL};
const char *const quota_deal_types[] = {"new_business", "upsell", "cross_sell", "renewal", NULL};
const char *const quota_segments[] = {"b2b", "b2c", NULL};

static const char *const quota_columns[] = {"id",           "assignee",         "period",          "grain",
                                            "period_start", "period_end",       "metric",          "filter",
                                            "amount",       "effective_amount", "ramp_factor_pct", "notes",
                                            "version",      "created_at",       "updated_at",      NULL};
static const char *const history_columns[] = {"id",     "quota_id", "at",    "sub", "action",
                                              "source", "before",   "after", NULL};

/* ---- shared readers ------------------------------------------------------------------ */

void
quota_body_fields(json_t *body, const char *const *allowed, const char *const *required, struct issues *e)
{
	parse_only(body, allowed, e);
	for (int i = 0; required && required[i]; i++)
		parse_require(body, required[i], e);
}

bool
quota_period_read(const char *text, const char *field, struct issues *e)
{
	if (quota_period_id_valid(text))
		return true;
	issues_add(e, field, "must be a period id such as 2026-07, FY2026-Q3 or FY2026");
	return false;
}

void
quota_query_spec(struct req *r, struct issues *e, struct quota_spec *spec)
{
	const char *metric = "revenue";

	*spec = (struct quota_spec){0};
	if (query_string(r, "period", 16, e, &spec->period) == FIELD_ABSENT)
		issues_add(e, "period", "is required");
	if (spec->period)
		quota_period_read(spec->period, "period", e);
	query_enum(r, "metric", quota_metrics, e, &metric);
	spec->metric = quota_metric_from_name(metric);
	query_enum(r, "type", quota_deal_types, e, &spec->filter_type);
	query_enum(r, "segment", quota_segments, e, &spec->filter_segment);
}

void
quota_filter_read(json_t *body, struct issues *e, const char **type, const char **segment, bool *set)
{
	static const char *const keys[] = {"type", "segment", NULL};
	json_t *f = json_object_get(body, "filter");
	struct issues sub = {0};

	*set = f != NULL;
	if (!f || json_is_null(f)) {
		*type = *segment = NULL;
		return;
	}
	if (!json_is_object(f)) {
		issues_add(e, "filter", "must be an object {type?, segment?} or null");
		return;
	}
	*type = *segment = NULL;
	parse_only(f, keys, &sub);
	parse_enum(f, "type", quota_deal_types, &sub, type);
	parse_enum(f, "segment", quota_segments, &sub, segment);
	issues_nest(e, "filter.", &sub);
	issues_clear(&sub);
}

/* ---- reading a quota body ------------------------------------------------------------- */

enum body_mode { BODY_CREATE, BODY_REPLACE, BODY_PATCH };

/* {"type", "id"} into *out; false when it has a problem (reported in e). */
static bool
read_assignee(json_t *body, struct issues *e, struct quota_ref *out)
{
	static const char *const keys[] = {"type", "id", NULL};
	static const char *const types[] = {"person", "team", NULL};
	json_t *a = json_object_get(body, "assignee");
	struct issues sub = {0};
	const char *type = NULL;
	bool ok;

	if (!json_is_object(a)) {
		issues_add(e, "assignee", "must be an object {type: person|team, id}");
		return false;
	}
	quota_body_fields(a, keys, keys, &sub);
	parse_enum(a, "type", types, &sub, &type);
	parse_id(a, "id", &sub, &out->id);
	ok = !issues_any(&sub);
	issues_nest(e, "assignee.", &sub);
	issues_clear(&sub);
	if (ok)
		out->type = strcmp(type, "team") == 0 ? QUOTA_TEAM : QUOTA_PERSON;
	return ok;
}

/* A PATCH may leave a field out, not make it null. */
static void
not_null(enum field_state fs, enum body_mode mode, const char *field, struct issues *e)
{
	if (fs == FIELD_NULL && mode == BODY_PATCH)
		issues_add(e, field, "must not be null");
}

/*
 * Read a quota body into *in: every field for a create or a replace (filter
 * and notes default to none), any subset for a patch (in->set says which).
 * Strings are borrowed from body. False with the problems in e, each naming
 * its field.
 */
static bool
quota_input_read(json_t *body, enum body_mode mode, struct quota_input *in, struct issues *e)
{
	static const char *const allowed[] = {"assignee", "period", "metric", "filter",
	                                      "amount",   "notes",  NULL};
	static const char *const required[] = {"assignee", "period", "metric", "amount", NULL};
	json_t *assignee = json_object_get(body, "assignee");
	const char *metric = NULL, *notes = NULL;
	enum field_state fs;
	bool filter_set;

	*in = (struct quota_input){.set = mode == BODY_PATCH ? 0 : QUOTA_SET_ALL};
	quota_body_fields(body, allowed, mode == BODY_PATCH ? NULL : required, e);
	if (assignee && json_is_null(assignee))
		not_null(FIELD_NULL, mode, "assignee", e);
	else if (assignee && read_assignee(body, e, &in->assignee))
		in->set |= QUOTA_SET_ASSIGNEE;
	not_null(fs = parse_string(body, "period", 1, 16, e, &in->period), mode, "period", e);
	if (fs == FIELD_SET && quota_period_read(in->period, "period", e))
		in->set |= QUOTA_SET_PERIOD;
	not_null(fs = parse_enum(body, "metric", quota_metrics, e, &metric), mode, "metric", e);
	if (fs == FIELD_SET) {
		in->metric = quota_metric_from_name(metric);
		in->set |= QUOTA_SET_METRIC;
	}
	quota_filter_read(body, e, &in->filter_type, &in->filter_segment, &filter_set);
	if (filter_set)
		in->set |= QUOTA_SET_FILTER;
	not_null(fs = parse_money(body, "amount", false, e, &in->amount), mode, "amount", e);
	if (fs == FIELD_SET)
		in->set |= QUOTA_SET_AMOUNT;
	fs = parse_string(body, "notes", 0, 2000, e, &notes);
	if (fs == FIELD_SET || fs == FIELD_NULL) {
		in->notes = notes;
		in->set |= QUOTA_SET_NOTES;
	}
	return !issues_any(e);
}

/* ---- handlers ----------------------------------------------------------------------- */

void
handle_quotas_list(struct req *r)
{
	struct quota_list_query q = {0};
	struct issues e = {0};
	struct page p = {0};
	struct caller who;
	const char *assignee = NULL;

	if (query_string(r, "assignee", 40, &e, &assignee) == FIELD_SET) {
		q.by_assignee = quota_ref_parse(assignee, &q.assignee) == ST_OK;
		if (!q.by_assignee)
			issues_add(&e, "assignee", "must be person:ID or team:ID");
	}
	if (query_string(r, "period", 16, &e, &q.period) == FIELD_SET)
		quota_period_read(q.period, "period", &e);
	query_enum(r, "metric", quota_metrics, &e, &q.metric);
	query_id(r, "team_id", &e, &q.team_id);
	query_page(r, &e, &q.limit, &q.after);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_caller(r, &who))
		respond_listing(r, quota_service_list(r->conn, &who, &q, &p, &e), &e, &p, quota_columns);
	page_clear(&p);
}

void
handle_quotas_get(struct req *r)
{
	struct rowjson row = {0};
	struct issues e = {0};
	struct caller who;
	int64_t id;

	if (req_path_id(r, 0, &id) && req_caller(r, &who))
		respond_outcome(r, quota_service_get(r->conn, &who, id, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

void
handle_quotas_create(struct req *r)
{
	struct body_write w;
	struct quota_input in;

	if (body_write_begin(r, false, &w) &&
	    body_write_ready(r, &w, quota_input_read(w.body, BODY_CREATE, &in, &w.e)))
		body_write_answer(r, &w, quota_service_create(r->conn, &w.who, &in, &w.row, &w.e), 201, "/v1/quotas");
	body_write_clear(&w);
}

/* quota_service_replace or quota_service_patch. */
typedef enum status (*change_fn)(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                                 const struct quota_input *in, struct rowjson *out, struct issues *e);

/* PUT (every field) or PATCH (those given) of quota path[0]. */
static void
quotas_change(struct req *r, enum body_mode mode, change_fn change)
{
	struct quota_input in;
	struct issues e = {0};
	struct rowjson row = {0};
	struct caller who;
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	/* The body's problems are the answer once the quota is known to be the caller's to change. */
	quota_input_read(body, mode, &in, &e);
	if (req_caller(r, &who))
		respond_outcome(r, change(r->conn, &who, id, req_if_match(r), &in, &row, &e), &e, &row, 200,
		                NULL);
	issues_clear(&e);
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_quotas_patch(struct req *r)
{
	quotas_change(r, BODY_PATCH, quota_service_patch);
}

void
handle_quotas_put(struct req *r)
{
	quotas_change(r, BODY_REPLACE, quota_service_replace);
}

void
handle_quotas_delete(struct req *r)
{
	struct issues e = {0};
	struct caller who;
	int64_t id;
	enum status st;

	if (!req_path_id(r, 0, &id) || !req_caller(r, &who))
		return;
	if ((st = quota_service_delete(r->conn, &who, id, req_if_match(r), &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_no_content(r);
}

void
handle_quotas_history(struct req *r)
{
	struct issues e = {0};
	struct page p = {0};
	struct caller who;
	int64_t id, after;
	int limit;

	if (!req_path_id(r, 0, &id))
		return;
	query_page(r, &e, &limit, &after);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_caller(r, &who))
		respond_listing(r, quota_service_history(r->conn, &who, id, after, limit, &p, &e), &e, &p,
		            history_columns);
	page_clear(&p);
}
