/* deals.c — /v1/deals: deals one at a time, and their history (DESIGN §7 "Pipeline"). */
#include "api/deals.h"

#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/write.h"
#include "api/respond.h"
#include "deals/service.h"

static const char *const deal_columns[] = { "id", "external_id", "name", "account", "owner_id", "segment",
					    "type", "amount", "stage", "probability", "forecast_category",
					    "status", "close_date", "created_on", "splits", "pushes", "version",
					    "created_at", "updated_at", NULL };
static const char *const history_columns[] = { "version", "at", "sub", "kind", "stage_from", "stage_to",
					       "close_date_from", "close_date_to", "amount_from", "amount_to",
					       "probability", "forecast_category", "status", "owner_id", "pushed",
					       NULL };
static const char *const segments[] = { "b2b", "b2c", NULL };
static const char *const deal_types[] = { "new_business", "upsell", "cross_sell", "renewal", NULL };
static const char *const deal_statuses[] = { "open", "won", "lost", NULL };

/* ---- reading a deal ------------------------------------------------------------ */

/* One split {person_id, percent}; false when it has a problem (reported in e). */
static bool
read_split(json_t *x, size_t i, struct deal_split *out, struct issues *e)
{
	static const char *const keys[] = { "person_id", "percent", NULL };
	struct issues sub = { 0 };
	char prefix[32];
	int64_t hundredths = 0;
	bool ok;

	snprintf(prefix, sizeof prefix, "splits[%zu]", i);
	if (!json_is_object(x)) {
		issues_add(e, prefix, "must be an object {person_id, percent}");
		return false;
	}
	parse_only(x, keys, &sub);
	parse_require(x, "person_id", &sub);
	parse_require(x, "percent", &sub);
	parse_id(x, "person_id", &sub, &out->person_id);
	if (parse_money(x, "percent", false, &sub, &hundredths) == FIELD_SET &&
	    (hundredths <= 0 || hundredths > DEAL_PERCENT_WHOLE))
		issues_add(&sub, "percent", "must be greater than 0 and at most 100");
	out->percent = (int32_t)hundredths;
	ok = !issues_any(&sub);
	if (!ok) {
		snprintf(prefix, sizeof prefix, "splits[%zu].", i);
		issues_nest(e, prefix, &sub);
	}
	issues_clear(&sub);
	return ok;
}

/* splits: null or [] = none; else every entry valid, distinct, summing to 100. */
static void
read_splits(json_t *body, struct deal_input *in, struct issues *e)
{
	json_t *v = json_object_get(body, "splits"), *x;
	bool ok = true;
	const char *why = NULL;
	char field[48];
	size_t i;
	int bad;

	if (!v)
		return;
	in->set_splits = true;
	if (json_is_null(v))
		return;
	if (!json_is_array(v)) {
		issues_add(e, "splits", "must be an array of {person_id, percent}");
		return;
	}
	if (json_array_size(v) > DEAL_MAX_SPLITS) {
		issues_add(e, "splits", "at most %d splits", DEAL_MAX_SPLITS);
		return;
	}
	json_array_foreach(v, i, x)
		ok = read_split(x, i, &in->splits[i], e) && ok;
	in->nsplits = json_array_size(v);
	if (ok && deal_splits_check(in->splits, in->nsplits, &why, &bad) != ST_OK) {
		if (bad >= 0) {
			snprintf(field, sizeof field, "splits[%d].person_id", bad);
			issues_add(e, field, "%s", why);
		} else
			issues_add(e, "splits", "%s", why);
	}
}

/* A field that may be absent but, when given, not null. */
static void
not_null(enum field_state fs, const char *field, struct issues *e)
{
	if (fs == FIELD_NULL)
		issues_add(e, field, "must not be null");
}

bool
deal_read(json_t *body, enum deal_read_mode mode, struct deal_input *in, struct issues *e)
{
	static const char *const allowed[] = { "external_id", "name", "account", "owner_id", "segment",
					       "type", "amount", "stage", "probability", "forecast_category",
					       "close_date", "created_on", "splits", NULL };
	static const char *const required[] = { "name", "owner_id", "amount", "stage", "close_date", NULL };
	bool whole = mode != DEAL_READ_PATCH;
	size_t before = e->n;
	enum field_state fs;
	long long probability;

	memset(in, 0, sizeof *in);
	parse_only(body, allowed, e);
	if (mode == DEAL_READ_BULK)
		parse_require(body, "external_id", e);
	for (int i = 0; whole && required[i]; i++)
		parse_require(body, required[i], e);
	fs = parse_string(body, "external_id", 1, 255, e, &in->external_id);
	in->set_external_id = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_string(body, "name", 1, 200, e, &in->name);
	if (!whole)
		not_null(fs, "name", e);
	fs = parse_string(body, "account", 1, 200, e, &in->account);
	in->set_account = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_id(body, "owner_id", e, &in->owner_id);
	if (!whole)
		not_null(fs, "owner_id", e);
	not_null(parse_enum(body, "segment", segments, e, &in->segment), "segment", e);
	not_null(parse_enum(body, "type", deal_types, e, &in->type), "type", e);
	fs = parse_money(body, "amount", false, e, &in->amount);
	in->set_amount = fs == FIELD_SET;
	if (!whole)
		not_null(fs, "amount", e);
	fs = parse_string(body, "stage", 1, STAGE_KEY_MAX, e, &in->stage);
	if (!whole)
		not_null(fs, "stage", e);
	fs = parse_int(body, "probability", 0, 100, e, &probability);
	in->probability_mode = fs == FIELD_SET ? DEAL_SET : fs == FIELD_NULL ? DEAL_DEFAULT : DEAL_KEEP;
	in->probability = fs == FIELD_SET ? (int)probability : 0;
	fs = parse_enum(body, "forecast_category", stage_forecast_categories, e, &in->forecast_category);
	in->forecast_mode = fs == FIELD_SET ? DEAL_SET : fs == FIELD_NULL ? DEAL_DEFAULT : DEAL_KEEP;
	fs = parse_date(body, "close_date", e, &in->close_date);
	in->set_close_date = fs == FIELD_SET;
	if (!whole)
		not_null(fs, "close_date", e);
	fs = parse_date(body, "created_on", e, &in->created_on);
	in->set_created_on = fs == FIELD_SET;
	not_null(fs, "created_on", e);
	read_splits(body, in, e);
	return e->n == before;
}

/* ---- handlers ---------------------------------------------------------------------- */

/* The query of GET /v1/deals into *f; problems go to e. */
static void
read_filter(struct req *r, struct deal_filter *f, struct issues *e)
{
	cal_date from = 0, to = 0;
	bool has_from, has_to;

	query_id(r, "owner_id", e, &f->owner_id);
	query_id(r, "team_id", e, &f->team_id);
	query_enum(r, "status", deal_statuses, e, &f->status);
	query_string(r, "stage", 200, e, &f->stage);
	query_enum(r, "type", deal_types, e, &f->type);
	query_enum(r, "segment", segments, e, &f->segment);
	has_from = query_date(r, "close_from", e, &from) == FIELD_SET;
	has_to = query_date(r, "close_to", e, &to) == FIELD_SET;
	if (has_from)
		f->close_from = req_query(r, "close_from");
	if (has_to)
		f->close_to = req_query(r, "close_to");
	if (has_from && has_to && to < from)
		issues_add(e, "close_to", "must not be before close_from");
	query_instant(r, "updated_since", e, &f->updated_since);
	query_string(r, "external_id", 255, e, &f->external_id);
	query_page(r, e, &f->limit, &f->after);
}

void
handle_deals_list(struct req *r)
{
	struct issues e = { 0 };
	struct deal_filter f = { 0 };
	struct page p = { 0 };
	struct caller who;

	/* the query's issues go to the service, which adds the stage's: one answer names them all */
	read_filter(r, &f, &e);
	if (req_caller(r, &who))
		respond_listing(r, deals_service_list(r->conn, &who, &f, &p, &e), &e, &p, deal_columns);
	issues_clear(&e);
}

void
handle_deals_get(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;
	int64_t id;

	if (req_path_id(r, 0, &id) && req_caller(r, &who))
		respond_outcome(r, deals_service_get(r->conn, &who, id, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

void
handle_deals_create(struct req *r)
{
	struct body_write w;
	struct deal_input in;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, deal_read(w.body, DEAL_READ_CREATE, &in, &w.e)))
		body_write_answer(r, &w, deals_service_create(r->conn, &w.who, &in, &w.row, &w.e), 201, "/v1/deals");
	body_write_clear(&w);
}

void
handle_deals_patch(struct req *r)
{
	struct body_write w;
	struct deal_input in;

	if (body_write_begin(r, true, &w) && body_write_ready(r, &w, deal_read(w.body, DEAL_READ_PATCH, &in, &w.e)))
		body_write_answer(r, &w,
				  deals_service_update(r->conn, &w.who, w.id, req_if_match(r), &in, &w.row, &w.e), 200,
				  NULL);
	body_write_clear(&w);
}

void
handle_deals_delete(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !req_caller(r, &who))
		return;
	enum status st = deals_service_delete(r->conn, &who, id, req_if_match(r), &e);
	if (st == ST_OK)
		respond_no_content(r);
	else
		respond_store_error(r, st, &e);
	issues_clear(&e);
}

void
handle_deals_history(struct req *r)
{
	struct issues e = { 0 };
	struct page p = { 0 };
	struct caller who;
	int64_t id, after;
	int limit;

	if (!req_path_id(r, 0, &id))
		return;
	query_page(r, &e, &limit, &after);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_caller(r, &who))
		respond_listing(r, deals_service_history(r->conn, &who, id, after, limit, &p, &e), &e, &p,
			       history_columns);
}
