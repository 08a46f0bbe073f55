/* people.c — /v1/people: sellers and managers (DESIGN §7 "Org structure"). */
#include "api/people.h"
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "api/write.h"
#include "org/service.h"

static const char *const person_columns[] = { "id", "name", "email", "team_id", "title", "segment",
					      "hired_on", "ramp_months", "active", "external_id",
					      "version", "created_at", "updated_at", NULL };
static const char *const segments[] = { "b2b", "b2c", NULL };

void
handle_people_list(struct req *r)
{
	struct issues e = { 0 };
	struct person_filter f = { .active = -1 };
	struct page p = { 0 };
	struct caller who;
	bool b;

	query_id(r, "team_id", &e, &f.team_id);
	if (query_bool(r, "subtree", &e, &b) == FIELD_SET)
		f.subtree = b;
	if (query_bool(r, "active", &e, &b) == FIELD_SET)
		f.active = b;
	query_enum(r, "segment", segments, &e, &f.segment);
	query_string(r, "q", 200, &e, &f.q);
	query_string(r, "external_id", 200, &e, &f.external_id);
	query_page(r, &e, &f.limit, &f.after);
	if (f.subtree && !f.team_id)
		issues_add(&e, "subtree", "needs team_id");
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	req_caller_unscoped(r, &who);
	enum status st = org_service_people_list(r->conn, &who, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, person_columns);
	page_clear(&p);
}

void
handle_people_get(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;
	int64_t id;

	if (!req_path_id(r, 0, &id))
		return;
	req_caller_unscoped(r, &who);
	respond_outcome(r, org_service_person_get(r->conn, &who, id, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

/* Read a create (`create`) or patch body into in; false with e's issues when it is wrong. */
bool
person_read(json_t *body, bool create, struct person_input *in, struct issues *e)
{
	static const char *const allowed[] = { "name", "email", "team_id", "title", "segment", "hired_on",
					       "ramp_months", "active", "external_id", NULL };
	enum field_state fs;
	long long ramp;
	bool active;
	cal_date hired;

	memset(in, 0, sizeof *in);
	parse_only(body, allowed, e);
	if (create) {
		parse_require(body, "name", e);
		parse_require(body, "email", e);
	}
	if (parse_string(body, "name", 1, 200, e, &in->name) == FIELD_NULL && !create)
		issues_add(e, "name", "must not be null");
	fs = parse_string(body, "email", 3, 254, e, &in->email);
	if (fs == FIELD_NULL && !create)
		issues_add(e, "email", "must not be null");
	if (fs == FIELD_SET && !parse_email_valid(in->email))
		issues_add(e, "email", "must be an e-mail address");
	fs = parse_id(body, "team_id", e, &in->team_id);
	in->set_team = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_string(body, "title", 1, 200, e, &in->title);
	in->set_title = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_enum(body, "segment", segments, e, &in->segment);
	in->set_segment = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_date(body, "hired_on", e, &hired);
	in->set_hired_on = fs == FIELD_SET || fs == FIELD_NULL;
	if (fs == FIELD_SET)
		in->hired_on = json_string_value(json_object_get(body, "hired_on"));
	in->ramp_months = -1;
	fs = parse_int(body, "ramp_months", 0, 24, e, &ramp);
	if (fs == FIELD_SET)
		in->ramp_months = (int)ramp;
	else if (fs == FIELD_NULL)
		issues_add(e, "ramp_months", "must not be null");
	in->active = -1;
	fs = parse_bool(body, "active", e, &active);
	if (fs == FIELD_SET)
		in->active = active;
	else if (fs == FIELD_NULL)
		issues_add(e, "active", "must not be null");
	fs = parse_string(body, "external_id", 1, 200, e, &in->external_id);
	in->set_external_id = fs == FIELD_SET || fs == FIELD_NULL;
	return !issues_any(e);
}

void
handle_people_create(struct req *r)
{
	struct body_write w;
	struct person_input in;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, person_read(w.body, true, &in, &w.e)))
		body_write_answer(r, &w, org_service_person_create(r->conn, &w.who, &in, &w.row, &w.e), 201, "/v1/people");
	body_write_clear(&w);
}

void
handle_people_patch(struct req *r)
{
	struct body_write w;
	struct person_input in;

	if (body_write_begin(r, true, &w) && body_write_ready(r, &w, person_read(w.body, false, &in, &w.e)))
		body_write_answer(r, &w, org_service_person_patch(r->conn, &w.who, w.id, &in, req_if_match(r), &w.row, &w.e),
				  200, NULL);
	body_write_clear(&w);
}

void
handle_people_delete(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	int64_t id;

	if (req_path_id(r, 0, &id) && req_caller(r, &who))
		respond_outcome(r, org_service_person_delete(r->conn, &who, id, req_if_match(r), &e), &e, NULL, 204, NULL);
}
