/* quotas.c — /v1/quotas: quotas and their audit trail (DESIGN §7 "Quotas"). */
#include "api/quotas.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "org/store.h"

const char *const quota_metrics[] = { "revenue", "deal_count", NULL };
const char *const quota_deal_types[] = { "new_business", "upsell", "cross_sell", "renewal", NULL };
const char *const quota_segments[] = { "b2b", "b2c", NULL };

static const char *const quota_columns[] = { "id", "assignee", "period", "grain", "period_start", "period_end",
					     "metric", "filter", "amount", "effective_amount", "ramp_factor_pct",
					     "notes", "version", "created_at", "updated_at", NULL };
static const char *const history_columns[] = { "id", "quota_id", "at", "sub", "action", "source", "before",
					       "after", NULL };

/* ---- shared ------------------------------------------------------------------------ */

bool
quota_ctx_load(struct req *r, struct quota_ctx *x)
{
	struct org_settings s;
	enum status st = org_settings_get(r->conn, r->who.org, &s);

	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	x->fy_start = s.fiscal_year_start_month;
	quota_ramp_from_settings(&s, &x->ramp);
	return true;
}

/* Team `id` is one the caller manages directly (a root of their scope). */
static bool
is_root(const struct scope *s, int64_t id)
{
	for (size_t i = 0; i < s->nroots; i++)
		if (s->roots[i] == id)
			return true;
	return false;
}

bool
quota_access_of(struct req *r, const struct quota_ref *a, enum quota_access *out)
{
	const struct scope *s = req_scope(r);
	int64_t team = 0;
	enum status st;

	if (!s)
		return false;
	if (a->type == QUOTA_PERSON)
		st = person_team(r->conn, r->who.org, a->id, &team);
	else
		st = team_parent(r->conn, r->who.org, a->id, &team);
	if (st == ST_NOT_FOUND) {
		*out = QUOTA_ACCESS_UNKNOWN;
		return true;
	}
	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	if (scope_writes_all(s))
		*out = QUOTA_ACCESS_WRITE;
	else if (a->type == QUOTA_PERSON && a->id == s->person_id && s->person_id > 0)
		*out = QUOTA_ACCESS_READ;
	else if (a->type == QUOTA_PERSON && team > 0 && scope_has_team(s, team))
		*out = QUOTA_ACCESS_WRITE;
	else if (a->type == QUOTA_TEAM && scope_has_team(s, a->id))
		*out = is_root(s, a->id) ? QUOTA_ACCESS_READ : QUOTA_ACCESS_WRITE;
	else
		*out = scope_reads_all(s) ? QUOTA_ACCESS_READ : QUOTA_ACCESS_NONE;
	return true;
}

bool
quota_may_write_part(struct req *r, int64_t team_id, const struct quota_ref *part)
{
	const struct scope *s = &r->scope;

	if (scope_writes_all(s))
		return true;
	if (part->type == QUOTA_PERSON)
		return scope_has_team(s, team_id) && part->id != s->person_id;
	return scope_has_team(s, part->id) && !is_root(s, part->id);
}

bool
quota_ref_parse(const char *s, struct quota_ref *out)
{
	const char *digits;
	char *end;

	if (strncmp(s, "person:", 7) == 0) {
		out->type = QUOTA_PERSON;
		digits = s + 7;
	} else if (strncmp(s, "team:", 5) == 0) {
		out->type = QUOTA_TEAM;
		digits = s + 5;
	} else
		return false;
	if (*digits < '1' || *digits > '9' || strlen(digits) > 18)
		return false;
	errno = 0;
	long long v = strtoll(digits, &end, 10);
	if (*end || errno || v <= 0)
		return false;
	out->id = v;
	return true;
}

json_t *
quota_ref_json(const struct quota_ref *a)
{
	char id[24];

	snprintf(id, sizeof id, "%lld", (long long)a->id);
	return json_pack("{s:s,s:s}", "type", quota_assignee_name(a->type), "id", id);
}

json_t *
quota_filter_json(const char *type, const char *segment)
{
	return json_pack("{s:o,s:o}", "type", type ? json_string(type) : json_null(), "segment",
			 segment ? json_string(segment) : json_null());
}

json_t *
quota_pct_json(int64_t bp)
{
	return bp % 100 == 0 ? json_integer(bp / 100) : json_real((double)bp / 100.0);
}

void
quota_set_period(json_t *o, const struct period *p)
{
	char start[16], end[16];

	cal_date_format(p->start, start, sizeof start);
	cal_date_format(p->end, end, sizeof end);
	json_object_set_new(o, "period", json_string(p->id));
	json_object_set_new(o, "period_start", json_string(start));
	json_object_set_new(o, "period_end", json_string(end));
}

bool
quota_period_read(const char *text, const struct quota_ctx *x, const char *field, struct issues *e,
		  struct period *out)
{
	if (period_parse(text, x->fy_start, out) == ST_OK)
		return true;
	issues_add(e, field, "must be a period id such as 2026-07, FY2026-Q3 or FY2026");
	return false;
}

void
quota_query_key(struct req *r, const struct quota_ctx *x, struct issues *e, struct quota_key *key)
{
	const char *period = NULL, *metric = "revenue";

	if (query_string(r, "period", 16, e, &period) == FIELD_ABSENT)
		issues_add(e, "period", "is required");
	if (period)
		quota_period_read(period, x, "period", e, &key->period);
	query_enum(r, "metric", quota_metrics, e, &metric);
	key->metric = strcmp(metric, "deal_count") == 0 ? QUOTA_DEAL_COUNT : QUOTA_REVENUE;
	key->filter_type = key->filter_segment = NULL;
	query_enum(r, "type", quota_deal_types, e, &key->filter_type);
	query_enum(r, "segment", quota_segments, e, &key->filter_segment);
}

void
quota_filter_read(json_t *body, struct issues *e, struct quota_key *key, bool *set)
{
	static const char *const keys[] = { "type", "segment", NULL };
	json_t *f = json_object_get(body, "filter");
	struct issues sub = { 0 };

	*set = f != NULL;
	if (!f || json_is_null(f)) {
		key->filter_type = key->filter_segment = NULL;
		return;
	}
	if (!json_is_object(f)) {
		issues_add(e, "filter", "must be an object {type?, segment?} or null");
		return;
	}
	key->filter_type = key->filter_segment = NULL;
	parse_only(f, keys, &sub);
	parse_enum(f, "type", quota_deal_types, &sub, &key->filter_type);
	parse_enum(f, "segment", quota_segments, &sub, &key->filter_segment);
	issues_nest(e, "filter.", &sub);
	issues_clear(&sub);
}

/* ---- reading a quota body ------------------------------------------------------------- */

enum body_mode { BODY_CREATE, BODY_REPLACE, BODY_PATCH };

/* {"type", "id"} into *out; false when it has a problem (reported in e). */
static bool
read_assignee(json_t *body, struct issues *e, struct quota_ref *out)
{
	static const char *const keys[] = { "type", "id", NULL };
	static const char *const types[] = { "person", "team", NULL };
	json_t *a = json_object_get(body, "assignee");
	struct issues sub = { 0 };
	const char *type = NULL;
	bool ok;

	if (!json_is_object(a)) {
		issues_add(e, "assignee", "must be an object {type: person|team, id}");
		return false;
	}
	parse_only(a, keys, &sub);
	parse_require(a, "type", &sub);
	parse_require(a, "id", &sub);
	parse_enum(a, "type", types, &sub, &type);
	parse_id(a, "id", &sub, &out->id);
	ok = !issues_any(&sub);
	issues_nest(e, "assignee.", &sub);
	issues_clear(&sub);
	if (ok)
		out->type = strcmp(type, "team") == 0 ? QUOTA_TEAM : QUOTA_PERSON;
	return ok;
}

/*
 * Read a quota body over *in (which holds the current state for PATCH):
 * every field for a create or a replace (filter and notes default to none),
 * any subset for a patch. Strings are borrowed from body. False when r is
 * answered (400 naming each field).
 */
static bool
quota_read(struct req *r, json_t *body, enum body_mode mode, const struct quota_ctx *x, struct quota_write *in)
{
	static const char *const allowed[] = { "assignee", "period", "metric", "filter", "amount", "notes", NULL };
	static const char *const required[] = { "assignee", "period", "metric", "amount", NULL };
	struct issues e = { 0 };
	const char *period = NULL, *metric = NULL, *notes = NULL;
	enum field_state fs;
	bool filter_set;

	parse_only(body, allowed, &e);
	for (int i = 0; mode != BODY_PATCH && required[i]; i++)
		parse_require(body, required[i], &e);
	if (mode != BODY_PATCH)
		in->notes = NULL;
	if (json_object_get(body, "assignee")) {
		if (json_is_null(json_object_get(body, "assignee"))) {
			if (mode == BODY_PATCH)
				issues_add(&e, "assignee", "must not be null");
		} else
			read_assignee(body, &e, &in->key.assignee);
	}
	fs = parse_string(body, "period", 1, 16, &e, &period);
	if (fs == FIELD_NULL && mode == BODY_PATCH)
		issues_add(&e, "period", "must not be null");
	if (fs == FIELD_SET)
		quota_period_read(period, x, "period", &e, &in->key.period);
	fs = parse_enum(body, "metric", quota_metrics, &e, &metric);
	if (fs == FIELD_NULL && mode == BODY_PATCH)
		issues_add(&e, "metric", "must not be null");
	if (fs == FIELD_SET)
		in->key.metric = strcmp(metric, "deal_count") == 0 ? QUOTA_DEAL_COUNT : QUOTA_REVENUE;
	quota_filter_read(body, &e, &in->key, &filter_set);
	if (!filter_set && mode != BODY_PATCH)
		in->key.filter_type = in->key.filter_segment = NULL;
	fs = parse_money(body, "amount", false, &e, &in->amount);
	if (fs == FIELD_NULL && mode == BODY_PATCH)
		issues_add(&e, "amount", "must not be null");
	fs = parse_string(body, "notes", 0, 2000, &e, &notes);
	if (fs == FIELD_SET || fs == FIELD_NULL)
		in->notes = fs == FIELD_SET ? notes : NULL;
	if (!issues_any(&e) && in->key.metric == QUOTA_DEAL_COUNT && in->amount % 100 != 0)
		issues_add(&e, "amount", "a deal_count quota is a whole number of deals");
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/*
 * The caller may write quotas of `a`; else r is answered: 400 naming
 * assignee when it names nothing, 403 otherwise.
 */
static bool
may_assign(struct req *r, const struct quota_ref *a)
{
	enum quota_access acc;
	struct issues e = { 0 };

	if (!quota_access_of(r, a, &acc))
		return false;
	switch (acc) {
	case QUOTA_ACCESS_WRITE: return true;
	case QUOTA_ACCESS_UNKNOWN:
		issues_add(&e, "assignee", a->type == QUOTA_PERSON ? "no such person" : "no such team");
		respond_errors(r, &e);
		return false;
	case QUOTA_ACCESS_READ:
		if (a->type == QUOTA_PERSON && a->id == r->scope.person_id)
			respond_problem(r, 403, "your own quota is your manager's call", NULL);
		else if (a->type == QUOTA_TEAM && !scope_writes_all(&r->scope) && scope_has_team(&r->scope, a->id))
			respond_problem(r, 403, "the quota of a team you manage is your manager's call", NULL);
		else
			respond_problem(r, 403, "your roles do not allow changing this quota", NULL);
		return false;
	case QUOTA_ACCESS_NONE: break;
	}
	respond_problem(r, 403, "the assignee is outside the people and teams whose quotas you manage", NULL);
	return false;
}

/* ---- handlers ----------------------------------------------------------------------- */

void
handle_quotas_list(struct req *r)
{
	struct issues e = { 0 };
	struct quota_filter f = { 0 };
	struct quota_ctx x;
	struct page p = { 0 };
	const char *assignee = NULL, *period = NULL;
	char *teams = NULL;
	const struct scope *s;

	if (!quota_ctx_load(r, &x))
		return;
	if (query_string(r, "assignee", 40, &e, &assignee) == FIELD_SET) {
		f.by_assignee = quota_ref_parse(assignee, &f.assignee);
		if (!f.by_assignee)
			issues_add(&e, "assignee", "must be person:ID or team:ID");
	}
	if (query_string(r, "period", 16, &e, &period) == FIELD_SET)
		f.by_period = quota_period_read(period, &x, "period", &e, &f.period);
	query_enum(r, "metric", quota_metrics, &e, &f.metric);
	query_id(r, "team_id", &e, &f.team_id);
	query_page(r, &e, &f.limit, &f.after);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!(s = req_scope(r)))
		return;
	if (!(teams = scope_teams_literal(s))) {
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	struct quota_scope qs = { .all = scope_reads_all(s), .person_id = s->person_id, .teams = teams };
	enum status st = quota_list(r->conn, r->who.org, &x.ramp, &qs, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, quota_columns);
	page_clear(&p);
	free(teams);
}

void
handle_quotas_get(struct req *r)
{
	struct rowjson row = { 0 };
	struct quota_ctx x;
	struct quota_ref a;
	enum quota_access acc;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !quota_ctx_load(r, &x))
		return;
	enum status st = quota_get(r->conn, r->who.org, &x.ramp, id, &row, &a);
	if (st != ST_OK)
		respond_status(r, st, "no such quota");
	else if (quota_access_of(r, &a, &acc)) {
		if (acc >= QUOTA_ACCESS_READ)
			respond_row(r, 200, &row, NULL);
		else
			respond_status(r, ST_NOT_FOUND, "no such quota");
	}
	rowjson_clear(&row);
}

void
handle_quotas_create(struct req *r)
{
	struct quota_write in = { 0 };
	struct quota_ctx x;
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	char location[64];
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	if (!quota_ctx_load(r, &x) || !quota_read(r, body, BODY_CREATE, &x, &in) || !may_assign(r, &in.key.assignee))
		goto out;
	enum status st = quota_create(r->conn, r->who.org, r->who.sub, &x.ramp, &in, &row, &se);
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	snprintf(location, sizeof location, "/v1/quotas/%lld", (long long)row.id);
	respond_row(r, 201, &row, location);
out:
	rowjson_clear(&row);
	json_decref(body);
}

/*
 * Lock quota path[0] for a change by the caller: 404 when absent or not
 * readable, 403 when readable only, 412 when If-Match is stale. False when
 * r is answered.
 */
static bool
lock_for_change(struct req *r, struct quota_current *cur)
{
	enum quota_access acc;
	int64_t id;
	int want;

	if (!req_path_id(r, 0, &id))
		return false;
	enum status st = quota_lock(r->conn, r->who.org, id, cur);
	if (st != ST_OK) {
		respond_status(r, st, "no such quota");
		return false;
	}
	if (!quota_access_of(r, &cur->key.assignee, &acc))
		return false;
	if (acc < QUOTA_ACCESS_READ) {
		respond_status(r, ST_NOT_FOUND, "no such quota");
		return false;
	}
	if (acc != QUOTA_ACCESS_WRITE)
		return may_assign(r, &cur->key.assignee);
	if ((want = req_if_match(r)) >= 0 && want != cur->version) {
		respond_status(r, ST_STALE, NULL);
		return false;
	}
	return true;
}

static void
quotas_change(struct req *r, enum body_mode mode)
{
	struct quota_current cur = { 0 };
	struct quota_write in = { 0 };
	struct quota_ctx x;
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!quota_ctx_load(r, &x) || !lock_for_change(r, &cur))
		goto out;
	in.key = cur.key;
	in.amount = cur.amount;
	in.notes = cur.notes;
	if (!quota_read(r, body, mode, &x, &in))
		goto out;
	if ((in.key.assignee.type != cur.key.assignee.type || in.key.assignee.id != cur.key.assignee.id) &&
	    !may_assign(r, &in.key.assignee))
		goto out;
	enum status st = quota_update(r->conn, r->who.org, r->who.sub, &x.ramp, id, &in, &row, &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	quota_current_clear(&cur);
	json_decref(body);
}

void
handle_quotas_patch(struct req *r)
{
	quotas_change(r, BODY_PATCH);
}

void
handle_quotas_put(struct req *r)
{
	quotas_change(r, BODY_REPLACE);
}

void
handle_quotas_delete(struct req *r)
{
	struct quota_current cur = { 0 };

	if (lock_for_change(r, &cur)) {
		enum status st = quota_delete(r->conn, r->who.org, r->who.sub, cur.id);
		if (st != ST_OK)
			respond_status(r, st, NULL);
		else
			respond_no_content(r);
	}
	quota_current_clear(&cur);
}

void
handle_quotas_history(struct req *r)
{
	struct issues e = { 0 };
	struct page p = { 0 };
	struct quota_ref a;
	enum quota_access acc;
	bool deleted;
	int64_t id, after;
	int limit;

	if (!req_path_id(r, 0, &id))
		return;
	query_page(r, &e, &limit, &after);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	enum status st = quota_history_assignee(r->conn, r->who.org, id, &a, &deleted);
	if (st != ST_OK) {
		respond_status(r, st, "no such quota");
		return;
	}
	if (!quota_access_of(r, &a, &acc))
		return;
	/* An assignee gone since (deleted after its quota) leaves the trail to those who read everything. */
	if (acc == QUOTA_ACCESS_UNKNOWN && scope_reads_all(&r->scope))
		acc = QUOTA_ACCESS_READ;
	if (acc < QUOTA_ACCESS_READ) {
		respond_status(r, ST_NOT_FOUND, "no such quota");
		return;
	}
	st = quota_history_list(r->conn, r->who.org, id, after, limit, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, history_columns);
	page_clear(&p);
}
