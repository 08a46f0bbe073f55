/* deals.c — /v1/deals: deals one at a time, and their history (DESIGN §7 "Pipeline"). */
#include "api/deals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"

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

/* ---- scope ---------------------------------------------------------------------- */

bool
deals_scope(struct req *r, bool write, struct deal_scope *ds, char **teams)
{
	const struct scope *s = req_scope(r);

	*teams = NULL;
	if (!s)
		return false;
	if (!(*teams = scope_teams_literal(s))) {
		respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	ds->all = write ? scope_writes_all_pipeline(s) : scope_reads_all(s);
	ds->person_id = s->person_id;
	ds->teams = *teams;
	return true;
}

bool
deals_may_own(struct req *r, const struct deal_person *owner)
{
	const struct scope *s = req_scope(r);

	if (!s)
		return false;
	return scope_writes_all_pipeline(s) || (s->person_id > 0 && owner->id == s->person_id) ||
	       (owner->team_id > 0 && scope_has_team(s, owner->team_id));
}

/* ---- single deals ---------------------------------------------------------------- */

/* What a single create or change is checked against. */
struct deal_context {
	struct stage_list stages;
	struct deal_resolved rs;
	struct deal_person *people; /* owned: owner and split holders named by the write */
	size_t npeople;
};

static void
context_clear(struct deal_context *x)
{
	free(x->people);
	x->people = NULL;
	x->npeople = 0;
}

/*
 * Check `in` against the org's stages and people and the stored deal `cur`
 * (NULL for a create). False when r is answered (400 naming each field).
 */
static bool
deal_check(struct req *r, const struct deal_input *in, const struct deal_current *cur, struct deal_context *x)
{
	struct deal_issue issues[8];
	struct issues e = { 0 };
	int64_t ids[DEAL_MAX_SPLITS + 1];
	size_t n = 0;
	char field[48];
	enum status st = stages_load(r->conn, r->who.org, &x->stages);

	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	int k = deal_resolve(in, cur, &x->stages, &x->rs, issues, 8);
	for (int i = 0; i < k && i < 8; i++)
		issues_add(&e, issues[i].field, "%s", issues[i].message);
	if (in->owner_id > 0)
		ids[n++] = in->owner_id;
	for (size_t i = 0; i < in->nsplits; i++)
		ids[n++] = in->splits[i].person_id;
	if (n > 0 && (st = deal_people_load(r->conn, r->who.org, ids, n, &x->people, &x->npeople)) != ST_OK) {
		issues_clear(&e);
		respond_status(r, st, NULL);
		return false;
	}
	if (in->owner_id > 0 && !deal_person_find(x->people, x->npeople, in->owner_id))
		issues_add(&e, "owner_id", "no such person");
	for (size_t i = 0; i < in->nsplits; i++)
		if (!deal_person_find(x->people, x->npeople, in->splits[i].person_id)) {
			snprintf(field, sizeof field, "splits[%zu].person_id", i);
			issues_add(&e, field, "no such person");
		}
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

void
handle_deals_list(struct req *r)
{
	struct issues e = { 0 };
	struct deal_filter f = { 0 };
	struct deal_scope ds;
	struct stage_list stages;
	struct page p = { 0 };
	char *teams = NULL;
	cal_date from = 0, to = 0;
	bool has_from, has_to;

	query_id(r, "owner_id", &e, &f.owner_id);
	query_id(r, "team_id", &e, &f.team_id);
	query_enum(r, "status", deal_statuses, &e, &f.status);
	query_string(r, "stage", 200, &e, &f.stage);
	query_enum(r, "type", deal_types, &e, &f.type);
	query_enum(r, "segment", segments, &e, &f.segment);
	has_from = query_date(r, "close_from", &e, &from) == FIELD_SET;
	has_to = query_date(r, "close_to", &e, &to) == FIELD_SET;
	if (has_from)
		f.close_from = req_query(r, "close_from");
	if (has_to)
		f.close_to = req_query(r, "close_to");
	if (has_from && has_to && to < from)
		issues_add(&e, "close_to", "must not be before close_from");
	query_instant(r, "updated_since", &e, &f.updated_since);
	query_string(r, "external_id", 255, &e, &f.external_id);
	query_page(r, &e, &f.limit, &f.after);
	if (f.stage) {
		enum status st = stages_load(r->conn, r->who.org, &stages);
		if (st != ST_OK) {
			issues_clear(&e);
			respond_status(r, st, NULL);
			return;
		}
		if (!stage_find(&stages, f.stage))
			issues_add(&e, "stage", "no such stage (see GET /v1/stages)");
	}
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!deals_scope(r, false, &ds, &teams))
		return;
	enum status st = deal_list(r->conn, r->who.org, &ds, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, deal_columns);
	page_clear(&p);
	free(teams);
}

void
handle_deals_get(struct req *r)
{
	struct rowjson row = { 0 };
	struct deal_scope ds;
	char *teams = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !deals_scope(r, false, &ds, &teams))
		goto out;
	enum status st = deal_get(r->conn, r->who.org, &ds, id, &row);
	if (st != ST_OK)
		respond_status(r, st, "no such deal");
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	free(teams);
}

void
handle_deals_create(struct req *r)
{
	struct deal_input in;
	struct deal_context x = { 0 };
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	struct deal_scope ds;
	char *teams = NULL, location[64];
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	if (!deal_read(body, DEAL_READ_CREATE, &in, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	if (!deals_scope(r, true, &ds, &teams) || !deal_check(r, &in, NULL, &x))
		goto out;
	const struct deal_person *owner = deal_person_find(x.people, x.npeople, in.owner_id);
	if (!deals_may_own(r, owner)) {
		respond_problem(r, 403, "the owner is outside the people whose deals you manage", NULL);
		goto out;
	}
	if (!in.segment && !(in.segment = owner->segment[0] ? owner->segment : NULL)) {
		issues_add(&e, "segment", "is required: the owner has no segment");
		respond_errors(r, &e);
		goto out;
	}
	if (!in.type)
		in.type = "new_business";
	enum status st = deal_create(r->conn, r->who.org, r->who.sub, &in, &x.rs, &row, &se);
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	snprintf(location, sizeof location, "/v1/deals/%lld", (long long)row.id);
	respond_row(r, 201, &row, location);
out:
	rowjson_clear(&row);
	context_clear(&x);
	free(teams);
	json_decref(body);
}

/* Lock deal path[0] for a change by the caller; false when r is answered (404/412). */
static bool
lock_for_change(struct req *r, struct deal_scope *ds, char **teams, struct deal_current *cur)
{
	int64_t id;
	int want;

	if (!req_path_id(r, 0, &id) || !deals_scope(r, true, ds, teams))
		return false;
	enum status st = deal_lock(r->conn, r->who.org, ds, id, cur);
	if (st != ST_OK) {
		respond_status(r, st, "no such deal");
		return false;
	}
	if ((want = req_if_match(r)) >= 0 && want != cur->version) {
		respond_status(r, ST_STALE, NULL);
		return false;
	}
	return true;
}

void
handle_deals_patch(struct req *r)
{
	struct deal_input in;
	struct deal_current cur;
	struct deal_context x = { 0 };
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	struct deal_scope ds;
	char *teams = NULL;
	int64_t id;
	json_t *body = NULL;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!deal_read(body, DEAL_READ_PATCH, &in, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	if (!lock_for_change(r, &ds, &teams, &cur) || !deal_check(r, &in, &cur, &x))
		goto out;
	if (in.owner_id > 0 && in.owner_id != cur.owner_id &&
	    !deals_may_own(r, deal_person_find(x.people, x.npeople, in.owner_id))) {
		respond_problem(r, 403, "the new owner is outside the people whose deals you manage", NULL);
		goto out;
	}
	enum status st = deal_update(r->conn, r->who.org, r->who.sub, &cur, &in, &x.rs, &row, &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	context_clear(&x);
	free(teams);
	json_decref(body);
}

void
handle_deals_delete(struct req *r)
{
	struct deal_current cur;
	struct deal_scope ds;
	char *teams = NULL;

	if (lock_for_change(r, &ds, &teams, &cur)) {
		enum status st = deal_delete(r->conn, r->who.org, r->who.sub, &cur);
		if (st != ST_OK)
			respond_status(r, st, NULL);
		else
			respond_no_content(r);
	}
	free(teams);
}

void
handle_deals_history(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct page p = { 0 };
	struct deal_scope ds;
	char *teams = NULL;
	int64_t id, after;
	int limit;

	if (!req_path_id(r, 0, &id))
		return;
	query_page(r, &e, &limit, &after);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!deals_scope(r, false, &ds, &teams))
		goto out;
	enum status st = deal_get(r->conn, r->who.org, &ds, id, &row);
	if (st == ST_OK)
		st = deal_history_list(r->conn, r->who.org, id, after, limit, &p);
	if (st != ST_OK)
		respond_status(r, st, "no such deal");
	else
		respond_page(r, &p, history_columns);
out:
	page_clear(&p);
	rowjson_clear(&row);
	free(teams);
}
