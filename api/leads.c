/*
 * leads.c — /v1/leads: leads, their scores, the CRM bulk sync, conversion
 * into a deal, and the funnel (DESIGN §7 "Leads").
 *
 * The score of a lead is never written by a client: every write sends the
 * whole lead after the change through the segment's scoring model
 * (leads/store.c, leads/score.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/bulk.h"
#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "leads/lead.h"
#include "leads/store.h"

static const char *const lead_columns[] = {
	"id",	      "external_id",	   "company", "contact_name",	  "email",	    "segment",
	"source",     "budget",		   "authority", "need",		  "timeline",	    "employees",
	"industry",   "engagement",	   "attributes", "owner_id",	  "status",	    "converted_deal_id",
	"score",      "grade",		   "probability", "suggested_status", "bant",	    "score_breakdown",
	"version",    "created_at",	   "updated_at", NULL,
};
static const char *const funnel_columns[] = { "key",	      "total",	   "new",
					      "qualified",    "nurture",   "disqualified",
					      "converted",    "closed",	   "conversion_closed_pct",
					      "conversion_all_pct", NULL };
static const char *const grades[] = { "A", "B", "C", "D", NULL };
static const char *const funnel_by[] = { "source", "segment", "grade", "owner", NULL };
static const char *const deal_types[] = { "new_business", "upsell", "cross_sell", "renewal", NULL };

/* ---- reading a lead ---------------------------------------------------------------- */

enum lead_read_mode {
	LEAD_CREATE, /* POST: absent = null; segment defaults to the owner's */
	LEAD_PATCH,  /* PATCH: only what changes; segment and status never null */
	LEAD_BULK,   /* a bulk item: as CREATE for a new lead, as PATCH for an existing one; external_id required */
	LEAD_SCORE,  /* POST /v1/leads/score: as CREATE */
};

static void
read_text(json_t *body, const char *k, size_t minlen, size_t maxlen, struct issues *e)
{
	const char *s;

	parse_string(body, k, minlen, maxlen, e, &s);
}

/* attributes: an object of at most 100 scalars (string, number, boolean). */
static void
read_attributes(json_t *body, struct issues *e)
{
	json_t *a = json_object_get(body, "attributes"), *v;
	const char *key;
	char field[LEAD_FIELD_NAME_MAX + 16];

	if (!a || json_is_null(a))
		return;
	if (!json_is_object(a)) {
		issues_add(e, "attributes", "must be an object whose values are strings, numbers or booleans");
		return;
	}
	if (json_object_size(a) > LEAD_ATTR_MAX_KEYS) {
		issues_add(e, "attributes", "at most %d keys", LEAD_ATTR_MAX_KEYS);
		return;
	}
	json_object_foreach(a, key, v) {
		size_t n = strlen(key);
		snprintf(field, sizeof field, "attributes.%.*s", LEAD_ATTR_KEY_MAX, key);
		if (n == 0 || n > LEAD_ATTR_KEY_MAX)
			issues_add(e, field, "a key must be 1..%d bytes", LEAD_ATTR_KEY_MAX);
		else if (json_is_string(v)) {
			if (json_string_length(v) > LEAD_ATTR_TEXT_MAX ||
			    strlen(json_string_value(v)) != json_string_length(v))
				issues_add(e, field, "a string of at most %d bytes without NUL", LEAD_ATTR_TEXT_MAX);
		} else if (!json_is_number(v) && !json_is_boolean(v))
			issues_add(e, field, "must be a string, a number or a boolean (no objects, arrays or null)");
	}
}

/*
 * Check a lead body (every field's type, range and enum; unknown fields),
 * collecting the problems into e (empty on entry). True when nothing was wrong.
 */
static bool
lead_read(json_t *body, enum lead_read_mode mode, struct issues *e)
{
	static const char *const allowed[] = { "external_id", "company",    "contact_name", "email",    "segment",
					       "source",      "budget",     "authority",    "need",     "timeline",
					       "employees",   "industry",   "engagement",   "attributes", "owner_id",
					       "status",      "converted_deal_id", NULL };
	const char *s;
	int64_t id, cents;
	long long n;
	cal_date d;

	parse_only(body, allowed, e);
	if (mode == LEAD_BULK)
		parse_require(body, "external_id", e);
	read_text(body, "external_id", 1, 255, e);
	read_text(body, "company", 1, 200, e);
	read_text(body, "contact_name", 1, 200, e);
	if (parse_string(body, "email", 3, 254, e, &s) == FIELD_SET && !parse_email_valid(s))
		issues_add(e, "email", "must be an e-mail address");
	if (parse_enum(body, "segment", lead_segments, e, &s) == FIELD_NULL && mode != LEAD_CREATE &&
	    mode != LEAD_SCORE)
		issues_add(e, "segment", "must not be null");
	read_text(body, "source", 1, 200, e);
	parse_money(body, "budget", false, e, &cents);
	parse_enum(body, "authority", lead_authorities, e, &s);
	parse_enum(body, "need", lead_needs, e, &s);
	parse_date(body, "timeline", e, &d);
	parse_int(body, "employees", 0, 2147483647LL, e, &n);
	read_text(body, "industry", 1, 200, e);
	parse_int(body, "engagement", 0, 100, e, &n);
	read_attributes(body, e);
	parse_id(body, "owner_id", e, &id);
	if (parse_enum(body, "status", lead_statuses, e, &s) == FIELD_NULL)
		issues_add(e, "status", "must not be null");
	parse_id(body, "converted_deal_id", e, &id);
	return !issues_any(e);
}

/* ---- scope ------------------------------------------------------------------------- */

/*
 * The caller's scope over leads, for reading or for writing (store.h).
 * *teams receives the malloc'd subtree literal ls->teams points to (caller
 * frees). False when r is answered.
 */
static bool
leads_scope(struct req *r, bool write, struct lead_scope *ls, char **teams)
{
	const struct scope *s = req_scope(r);

	*teams = NULL;
	if (!s)
		return false;
	if (!(*teams = scope_teams_literal(s))) {
		respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	ls->all = write ? scope_writes_all_pipeline(s) : scope_reads_all(s);
	ls->person_id = s->person_id;
	ls->teams = *teams;
	return true;
}

/*
 * A new lead of a caller who may not keep unowned leads is theirs unless
 * the body names an owner. False when r is answered (403: no person_id).
 */
static bool
default_owner(struct req *r, const struct lead_scope *ls, json_t *body)
{
	char id[24];

	if (ls->all || json_object_get(body, "owner_id"))
		return true;
	if (ls->person_id <= 0) {
		respond_problem(r, 403, "your token names no person_id to own the lead; give owner_id", NULL);
		return false;
	}
	snprintf(id, sizeof id, "%lld", (long long)ls->person_id);
	if (json_object_set_new(body, "owner_id", json_string(id)) != 0) {
		respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	return true;
}

/* ---- single leads -------------------------------------------------------------------- */

void
handle_leads_list(struct req *r)
{
	struct issues e = { 0 };
	struct lead_filter f = { .score_min = -1, .score_max = -1 };
	struct lead_scope ls;
	struct page p = { 0 };
	char *teams = NULL;
	long long n;

	query_enum(r, "status", lead_statuses, &e, &f.status);
	query_enum(r, "grade", grades, &e, &f.grade);
	query_enum(r, "segment", lead_segments, &e, &f.segment);
	query_string(r, "source", 200, &e, &f.source);
	query_id(r, "owner_id", &e, &f.owner_id);
	if (query_int(r, "score_min", 0, 100, &e, &n) == FIELD_SET)
		f.score_min = (int)n;
	if (query_int(r, "score_max", 0, 100, &e, &n) == FIELD_SET)
		f.score_max = (int)n;
	if (f.score_min >= 0 && f.score_max >= 0 && f.score_max < f.score_min)
		issues_add(&e, "score_max", "must not be below score_min");
	query_instant(r, "updated_since", &e, &f.updated_since);
	query_string(r, "external_id", 255, &e, &f.external_id);
	query_page(r, &e, &f.limit, &f.after);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!leads_scope(r, false, &ls, &teams))
		return;
	enum status st = lead_list(r->conn, r->who.org, &ls, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, lead_columns);
	page_clear(&p);
	free(teams);
}

void
handle_leads_get(struct req *r)
{
	struct rowjson row = { 0 };
	struct lead_scope ls;
	char *teams = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !leads_scope(r, false, &ls, &teams))
		return;
	enum status st = lead_get(r->conn, r->who.org, &ls, id, &row);
	if (st != ST_OK)
		respond_status(r, st, "no such lead");
	else
		respond_row(r, 200, &row, NULL);
	rowjson_clear(&row);
	free(teams);
}

void
handle_leads_create(struct req *r)
{
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	struct lead_scope ls;
	struct issues e = { 0 };
	char *teams = NULL, location[64];
	json_t *body = parse_body_object(r);

	if (!body)
		return;
	if (!lead_read(body, LEAD_CREATE, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	if (!leads_scope(r, true, &ls, &teams) || !default_owner(r, &ls, body))
		goto out;
	enum status st = lead_create(r->conn, r->who.org, &ls, body, &row, &se);
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	snprintf(location, sizeof location, "/v1/leads/%lld", (long long)row.id);
	respond_row(r, 201, &row, location);
out:
	rowjson_clear(&row);
	json_decref(body);
	free(teams);
}

void
handle_leads_patch(struct req *r)
{
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	struct lead_scope ls;
	struct issues e = { 0 };
	char *teams = NULL;
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!lead_read(body, LEAD_PATCH, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	if (!leads_scope(r, true, &ls, &teams))
		goto out;
	enum status st = lead_update(r->conn, r->who.org, &ls, id, body, req_if_match(r), &row, &se);
	if (st == ST_NOT_FOUND)
		respond_status(r, st, "no such lead");
	else if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	json_decref(body);
	free(teams);
}

void
handle_leads_delete(struct req *r)
{
	struct lead_scope ls;
	char *teams = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !leads_scope(r, true, &ls, &teams))
		return;
	enum status st = lead_delete(r->conn, r->who.org, &ls, id, req_if_match(r));
	if (st != ST_OK)
		respond_status(r, st, st == ST_NOT_FOUND ? "no such lead" : NULL);
	else
		respond_no_content(r);
	free(teams);
}

void
handle_leads_score(struct req *r)
{
	struct issues se = { 0 };
	struct issues e = { 0 };
	json_t *body = parse_body_object(r), *out = NULL;

	if (!body)
		return;
	if (!lead_read(body, LEAD_SCORE, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	enum status st = lead_score_preview(r->conn, r->who.org, body, &out, &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_json(r, 200, out);
out:
	json_decref(body);
}

/* The optional conversion body; false when r is answered. */
static bool
conversion_read(struct req *r, json_t **body, struct lead_conversion *in)
{
	static const char *const allowed[] = { "name", "amount", "stage", "type", "close_date", NULL };
	struct issues e = { 0 };
	size_t len;

	req_body(r, &len);
	*body = len ? parse_body_object(r) : json_object();
	if (!*body) {
		if (!len)
			respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	parse_only(*body, allowed, &e);
	parse_string(*body, "name", 1, 200, &e, &in->name);
	in->set_amount = parse_money(*body, "amount", false, &e, &in->amount) == FIELD_SET;
	parse_string(*body, "stage", 1, 40, &e, &in->stage);
	parse_enum(*body, "type", deal_types, &e, &in->type);
	in->set_close_date = parse_date(*body, "close_date", &e, &in->close_date) == FIELD_SET;
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

void
handle_leads_convert(struct req *r)
{
	struct lead_conversion in = { 0 };
	struct rowjson lead = { 0 }, deal = { 0 };
	struct issues se = { 0 };
	struct lead_scope ls;
	char *teams = NULL, location[64];
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !conversion_read(r, &body, &in) || !leads_scope(r, true, &ls, &teams))
		goto out;
	enum status st = lead_convert(r->conn, r->who.org, r->who.sub, &ls, id, &in, &lead, &deal, &se);
	if (st == ST_NOT_FOUND) {
		respond_status(r, st, "no such lead");
		goto out;
	}
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	json_t *l = json_loads(lead.json, 0, NULL), *d = json_loads(deal.json, 0, NULL);
	snprintf(location, sizeof location, "/v1/deals/%lld", (long long)deal.id);
	respond_header(r, "Location", location);
	respond_json(r, 201, l && d ? json_pack("{s:o,s:o}", "lead", l, "deal", d) : NULL);
	if (!l || !d) {
		json_decref(l);
		json_decref(d);
	}
out:
	rowjson_clear(&lead);
	rowjson_clear(&deal);
	json_decref(body);
	free(teams);
}

void
handle_leads_funnel(struct req *r)
{
	struct issues e = { 0 };
	struct lead_scope ls;
	char *teams = NULL, *text = NULL, from_s[16], to_s[16];
	const char *by = "source";
	cal_date from = 0, to = 0;
	bool has_from, has_to;

	has_from = query_date(r, "from", &e, &from) == FIELD_SET;
	has_to = query_date(r, "to", &e, &to) == FIELD_SET;
	query_enum(r, "by", funnel_by, &e, &by);
	if (has_from && has_to && to < from)
		issues_add(&e, "to", "must not be before from");
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (has_from)
		cal_date_format(from, from_s, sizeof from_s);
	if (has_to)
		cal_date_format(to, to_s, sizeof to_s);
	if (!leads_scope(r, false, &ls, &teams))
		return;
	enum status st = lead_funnel(r->conn, r->who.org, &ls, has_from ? from_s : NULL, has_to ? to_s : NULL, by, &text);
	json_t *v = st == ST_OK ? json_loads(text, 0, NULL) : NULL;
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else if (!v)
		respond_status(r, ST_NOMEM, NULL);
	else if (respond_wants_csv(r))
		respond_csv(r, json_object_get(v, "items"), funnel_columns);
	else {
		json_object_set_new(v, "from", has_from ? json_string(from_s) : json_null());
		json_object_set_new(v, "to", has_to ? json_string(to_s) : json_null());
		json_object_set_new(v, "by", json_string(by));
		respond_json(r, 200, json_incref(v));
	}
	json_decref(v);
	free(text);
	free(teams);
}

/* ---- bulk sync ------------------------------------------------------------------------ */

/*
 * The body is a JSON array of leads, or NDJSON (one lead per line,
 * Content-Type: application/x-ndjson), at most LEAD_BULK_MAX. Items are read
 * one at a time and kept as compact JSON text, checked as bodies, then
 * upserted by external_id (leads/store.c). The answer and the atomic
 * failure have the shapes of POST /v1/deals/bulk.
 */

struct accepted {
	int index;
	size_t json_off;   /* into bulk.arena */
	size_t id_off;     /* into bulk.arena: the external_id */
	int64_t owner_id;
	int64_t deal_id;
	bool duplicate;
};

struct bulk {
	struct accepted *items; /* owned */
	size_t nitems, cap;
	struct bulk_outcome out;  /* owned: counts and rejections */
	struct buf arena;       /* owned: NUL-terminated texts */
	bool oom;
};

static void
bulk_clear(struct bulk *b)
{
	free(b->items);
	bulk_outcome_clear(&b->out);
	buf_clear(&b->arena);
}

static int64_t
id_field(json_t *item, const char *k)
{
	const char *s = json_string_value(json_object_get(item, k));

	return s ? strtoll(s, NULL, 10) : 0;
}

/* Check one item and keep it as text, or reject it. */
static void
bulk_item(struct bulk *b, json_t *item, int index)
{
	struct issues e = { 0 };

	if (!json_is_object(item))
		issues_add(&e, "item", "must be a JSON object (a lead)");
	else
		lead_read(item, LEAD_BULK, &e);
	if (issues_any(&e)) {
		bulk_reject(&b->out, index, &e);
		return;
	}
	if (b->nitems == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 1024;
		struct accepted *v = realloc(b->items, cap * sizeof *v);
		if (!v) {
			b->oom = true;
			return;
		}
		b->items = v;
		b->cap = cap;
	}
	char *text = json_dumps(item, JSON_COMPACT | JSON_REAL_PRECISION(15));
	const char *ext = json_string_value(json_object_get(item, "external_id"));
	if (!text) {
		b->oom = true;
		return;
	}
	struct accepted *a = &b->items[b->nitems++];
	*a = (struct accepted){ .index = index, .owner_id = id_field(item, "owner_id"),
				.deal_id = id_field(item, "converted_deal_id") };
	a->json_off = b->arena.len;
	buf_append(&b->arena, text, strlen(text) + 1);
	a->id_off = b->arena.len;
	buf_append(&b->arena, ext, strlen(ext) + 1);
	free(text);
	b->oom = b->oom || b->arena.oom;
}

static void
on_item(void *ctx, json_t *item, int index)
{
	bulk_item(ctx, item, index);
}

static void
on_bad_line(void *ctx, int index, const char *message)
{
	struct bulk *b = ctx;

	bulk_reject_one(&b->out, index, "item", message);
}

/* For sorting accepted items by external_id (arena = the bulk's arena), then by index. */
static int
by_external_id(const void *x, const void *y, void *arena)
{
	const struct accepted *a = *(const struct accepted *const *)x, *c = *(const struct accepted *const *)y;
	const char *names = arena;
	int k = strcmp(names + a->id_off, names + c->id_off);

	return k ? k : (a->index > c->index) - (a->index < c->index);
}

/* An external_id given twice: every later item is rejected. */
static void
reject_duplicates(struct bulk *b)
{
	struct accepted **v = malloc((b->nitems + 1) * sizeof *v);

	if (!v) {
		b->oom = true;
		return;
	}
	for (size_t i = 0; i < b->nitems; i++)
		v[i] = &b->items[i];
	qsort_r(v, b->nitems, sizeof *v, by_external_id, b->arena.data);
	for (size_t i = 1; i < b->nitems; i++) {
		size_t first = i - 1;
		while (i < b->nitems && strcmp(b->arena.data + v[first]->id_off, b->arena.data + v[i]->id_off) == 0) {
			struct issues e = { 0 };
			issues_add(&e, "external_id", "appears again in this call (first at index %d)", v[first]->index);
			v[i]->duplicate = true;
			bulk_reject(&b->out, v[i]->index, &e);
			i++;
		}
	}
	free(v);
}

/* What the store did and refused, into the outcome. */
static void
take_store_result(struct bulk *b, const struct lead_bulk_result *res)
{
	for (size_t i = 0; i < res->nrejects; i++)
		bulk_reject_one(&b->out, res->rejects[i].index, res->rejects[i].field, res->rejects[i].message);
	b->out.created = res->created;
	b->out.updated = res->updated;
	b->out.unchanged = res->unchanged;
}

/* The accepted items, not duplicates, for the store (pointing into the arena). */
static struct lead_bulk_item *
store_items(struct bulk *b, size_t *n)
{
	struct lead_bulk_item *v = malloc((b->nitems + 1) * sizeof *v);

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < b->nitems; i++)
		if (!b->items[i].duplicate)
			v[(*n)++] = (struct lead_bulk_item){ .index = b->items[i].index,
							     .json = b->arena.data + b->items[i].json_off,
							     .external_id = b->arena.data + b->items[i].id_off,
							     .owner_id = b->items[i].owner_id,
							     .converted_deal_id = b->items[i].deal_id };
	return v;
}

void
handle_leads_bulk(struct req *r)
{
	struct bulk b = { .out.noun = "leads" };
	struct lead_bulk_result res = { 0 };
	struct lead_bulk_item *items = NULL;
	struct lead_scope ls;
	char *teams = NULL;
	bool atomic, ndjson;
	size_t len, nitems = 0;
	const char *body = req_body(r, &len);
	enum status st;

	if (!bulk_request(r, &atomic, &ndjson))
		return;
	if (!leads_scope(r, true, &ls, &teams))
		goto out;
	struct bulk_reader br = { "leads", LEAD_BULK_MAX, on_item, on_bad_line, &b };
	if (!bulk_read(r, &br, ndjson, body, len, &b.out.count))
		goto out;
	reject_duplicates(&b);
	if (b.oom || !(items = store_items(&b, &nitems))) {
		respond_status(r, ST_NOMEM, NULL);
		goto out;
	}
	if (atomic && b.out.nrejected) {
		bulk_respond_atomic_failure(r, &b.out);
		goto out;
	}
	st = lead_bulk_run(r->conn, r->who.org, &ls, items, nitems, atomic, b.out.nrejected > 0, &res);
	if (st == ST_OK || st == ST_INVALID)
		take_store_result(&b, &res);
	if (st == ST_INVALID)
		bulk_respond_atomic_failure(r, &b.out);
	else if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		bulk_respond(r, &b.out);
out:
	lead_bulk_result_clear(&res);
	bulk_clear(&b);
	free(items);
	free(teams);
}
