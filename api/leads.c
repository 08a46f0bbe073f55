/*
 * leads.c — /v1/leads: leads, their scores, the CRM bulk sync, conversion
 * into a deal, and the funnel (DESIGN §7 "Leads").
 *
 * Each handler checks what the request says (fields, types, ranges, enums)
 * and hands it to one operation of leads/service.h, which decides the rest:
 * scope, owners, scores (a client never writes one), the deal of a
 * conversion.
 */
#include "api/leads.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/bulk.h"
#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "api/write.h"
#include "leads/lead.h"
#include "leads/service.h"

static const char *const lead_columns[] = {
	"id",	      "external_id",	   "company", "contact_name",	  "email",	    "segment",
	"source",     "budget",		   "authority", "need",		  "timeline",	    "employees",
	"industry",   "engagement",	   "attributes", "owner_id",	  "status",	    "converted_deal_id",
	"score",      "grade",		   "probability", "suggested_status", "bant",	    "score_breakdown",
	"forced_conversion", "version", "created_at", "updated_at", NULL,
};
static const char *const funnel_columns[] = { "key",	      "total",	   "new",
					      "qualified",    "nurture",   "disqualified",
					      "converted",    "closed",	   "conversion_closed_pct",
					      "conversion_all_pct", NULL };
static const char *const grades[] = { "A", "B", "C", "D", NULL };
static const char *const funnel_by[] = { "source", "segment", "grade", "owner", NULL };
static const char *const deal_types[] = { "new_business", "upsell", "cross_sell", "renewal", NULL };

/* ---- reading a lead ---------------------------------------------------------------- */

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
bool
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

/* ---- single leads -------------------------------------------------------------------- */

/* The list filter of the query; false (e filled) when it is wrong. */
static bool
list_filter(struct req *r, struct lead_filter *f, struct issues *e)
{
	long long n;

	query_enum(r, "status", lead_statuses, e, &f->status);
	query_enum(r, "grade", grades, e, &f->grade);
	query_enum(r, "segment", lead_segments, e, &f->segment);
	query_string(r, "source", 200, e, &f->source);
	query_id(r, "owner_id", e, &f->owner_id);
	if (query_int(r, "score_min", 0, 100, e, &n) == FIELD_SET)
		f->score_min = (int)n;
	if (query_int(r, "score_max", 0, 100, e, &n) == FIELD_SET)
		f->score_max = (int)n;
	if (f->score_min >= 0 && f->score_max >= 0 && f->score_max < f->score_min)
		issues_add(e, "score_max", "must not be below score_min");
	query_instant(r, "updated_since", e, &f->updated_since);
	query_string(r, "external_id", 255, e, &f->external_id);
	query_page(r, e, &f->limit, &f->after);
	return !issues_any(e);
}

void
handle_leads_list(struct req *r)
{
	struct lead_filter f = { .score_min = -1, .score_max = -1 };
	struct issues e = { 0 };
	struct page p = { 0 };
	struct caller who;
	enum status st;

	if (!list_filter(r, &f, &e))
		respond_errors(r, &e);
	else if (req_caller(r, &who)) {
		if ((st = leads_service_list(r->conn, &who, &f, &p, &e)) != ST_OK)
			respond_store_error(r, st, &e);
		else
			respond_page(r, &p, lead_columns);
	}
	issues_clear(&e);
	page_clear(&p);
}

void
handle_leads_get(struct req *r)
{
	struct rowjson row = { 0 };
	struct issues e = { 0 };
	struct caller who;
	int64_t id;

	if (req_path_id(r, 0, &id) && req_caller(r, &who))
		respond_outcome(r, leads_service_get(r->conn, &who, id, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

void
handle_leads_create(struct req *r)
{
	struct body_write w;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, lead_read(w.body, LEAD_CREATE, &w.e)))
		body_write_answer(r, &w, leads_service_create(r->conn, &w.who, w.body, &w.row, &w.e), 201, "/v1/leads");
	body_write_clear(&w);
}

void
handle_leads_patch(struct req *r)
{
	struct body_write w;

	if (body_write_begin(r, true, &w) && body_write_ready(r, &w, lead_read(w.body, LEAD_PATCH, &w.e)))
		body_write_answer(r, &w,
				  leads_service_patch(r->conn, &w.who, w.id, w.body, req_if_match(r), &w.row, &w.e), 200,
				  NULL);
	body_write_clear(&w);
}

void
handle_leads_delete(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	enum status st;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !req_caller(r, &who))
		return;
	if ((st = leads_service_delete(r->conn, &who, id, req_if_match(r), &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_no_content(r);
}

void
handle_leads_score(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	json_t *body = parse_body_object(r), *out = NULL;
	enum status st;

	if (!body)
		return;
	if (!lead_read(body, LEAD_SCORE, &e)) {
		respond_errors(r, &e);
		goto out;
	}
	req_caller_unscoped(r, &who);
	if ((st = leads_service_score(r->conn, &who, body, &out, &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_json(r, 200, out);
out:
	json_decref(body);
}

/* The optional conversion body; false when r is answered. */
static bool
conversion_read(struct req *r, json_t **body, struct lead_conversion *in)
{
	static const char *const allowed[] = { "name", "amount", "stage", "type", "close_date", "force", NULL };
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
	parse_bool(*body, "force", &e, &in->force);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/* 201 {lead, deal} with the deal's Location. */
static void
respond_conversion(struct req *r, const struct rowjson *lead, const struct rowjson *deal)
{
	char location[64];
	json_t *l = json_loads(lead->json, 0, NULL), *d = json_loads(deal->json, 0, NULL);

	snprintf(location, sizeof location, "/v1/deals/%lld", (long long)deal->id);
	respond_header(r, "Location", location);
	respond_json(r, 201, l && d ? json_pack("{s:o,s:o}", "lead", l, "deal", d) : NULL);
	if (!l || !d) {
		json_decref(l);
		json_decref(d);
	}
}

void
handle_leads_convert(struct req *r)
{
	struct lead_conversion in = { 0 };
	struct rowjson lead = { 0 }, deal = { 0 };
	struct issues e = { 0 };
	struct caller who;
	json_t *body = NULL;
	enum status st;
	int64_t id;

	if (req_path_id(r, 0, &id) && conversion_read(r, &body, &in) && req_caller(r, &who)) {
		if ((st = leads_service_convert(r->conn, &who, id, &in, &lead, &deal, &e)) != ST_OK)
			respond_store_error(r, st, &e);
		else
			respond_conversion(r, &lead, &deal);
	}
	rowjson_clear(&lead);
	rowjson_clear(&deal);
	json_decref(body);
}

/* 200 with the funnel text (the service's) and the query it answers, or CSV of its items. */
static void
respond_funnel(struct req *r, const char *text, const char *from, const char *to, const char *by)
{
	json_t *v = json_loads(text, 0, NULL);

	if (!v)
		respond_status(r, ST_NOMEM, NULL);
	else if (respond_wants_csv(r))
		respond_csv(r, json_object_get(v, "items"), funnel_columns);
	else {
		json_object_set_new(v, "from", from ? json_string(from) : json_null());
		json_object_set_new(v, "to", to ? json_string(to) : json_null());
		json_object_set_new(v, "by", json_string(by));
		respond_json(r, 200, json_incref(v));
	}
	json_decref(v);
}

void
handle_leads_funnel(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	char *text = NULL, from_s[16], to_s[16];
	const char *by = "source";
	cal_date from = 0, to = 0;
	bool has_from = query_date(r, "from", &e, &from) == FIELD_SET;
	bool has_to = query_date(r, "to", &e, &to) == FIELD_SET;
	enum status st;

	query_enum(r, "by", funnel_by, &e, &by);
	if (has_from && has_to && to < from)
		issues_add(&e, "to", "must not be before from");
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	cal_date_format(from, from_s, sizeof from_s);
	cal_date_format(to, to_s, sizeof to_s);
	if (!req_caller(r, &who))
		return;
	st = leads_service_funnel(r->conn, &who, has_from ? from_s : NULL, has_to ? to_s : NULL, by, &text, &e);
	if (st != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_funnel(r, text, has_from ? from_s : NULL, has_to ? to_s : NULL, by);
	free(text);
}

/* ---- bulk sync ------------------------------------------------------------------------ */

/*
 * The body is a JSON array of leads, or NDJSON (one lead per line,
 * Content-Type: application/x-ndjson), at most LEAD_BULK_MAX. Items are read
 * one at a time and checked as bodies; the accepted ones go to the service,
 * which refuses an external_id given twice and upserts the rest by
 * external_id. The answer and the atomic failure have the shapes of POST
 * /v1/deals/bulk (api/bulk.h).
 */

struct bulk {
	struct bulk_call bc;     /* first: the call is also its outcome (bulk_reject_bad_line) */
	struct lead_batch batch; /* owned: the accepted items */
	bool oom;
};

/* Check one item and keep it, or reject it. */
static void
on_item(void *ctx, json_t *item, int index)
{
	struct bulk *b = ctx;
	struct issues e = { 0 };

	if (!json_is_object(item))
		issues_add(&e, "item", "must be a JSON object (a lead)");
	else
		lead_read(item, LEAD_BULK, &e);
	if (issues_any(&e))
		bulk_reject(&b->bc.out, index, &e);
	else if (lead_batch_add(&b->batch, index, item) != ST_OK)
		b->oom = true;
}

/* What the service did and refused, into the outcome (its rejections moved). */
static void
take_result(struct bulk_outcome *o, struct leads_bulk_result *res)
{
	for (size_t i = 0; i < res->nrejects; i++)
		bulk_reject(o, res->rejects[i].index, &res->rejects[i].issues);
	bulk_counts(o, res->created, res->updated, res->unchanged);
}

void
handle_leads_bulk(struct req *r)
{
	struct bulk b = { 0 };
	struct leads_bulk_result res = { 0 };
	enum status st = ST_NOMEM;

	if (!bulk_begin(r, &b.bc, "leads") ||
	    !bulk_call_read(r, &b.bc, LEAD_BULK_MAX, on_item, bulk_reject_bad_line, &b))
		goto out;
	if (!b.oom)
		st = leads_service_bulk(r->conn, &b.bc.who, &b.batch, b.bc.atomic, b.bc.out.nrejected > 0, &res);
	if (st == ST_OK || st == ST_INVALID)
		take_result(&b.bc.out, &res);
	bulk_respond_status(r, st, &b.bc.out);
out:
	leads_service_bulk_result_clear(&res);
	lead_batch_clear(&b.batch);
	bulk_outcome_clear(&b.bc.out);
}
