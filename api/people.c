/* people.c — /v1/people: sellers and managers (DESIGN §7 "Org structure"). */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "org/store.h"

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
	enum status st = person_list(r->conn, r->who.org, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, person_columns);
	page_clear(&p);
}

void
handle_people_get(struct req *r)
{
	struct rowjson row = { 0 };
	int64_t id;

	if (!req_path_id(r, 0, &id))
		return;
	enum status st = person_get(r->conn, r->who.org, id, &row);
	if (st != ST_OK)
		respond_status(r, st, "no such person");
	else
		respond_row(r, 200, &row, NULL);
	rowjson_clear(&row);
}

static bool
person_read(struct req *r, json_t *body, bool create, struct person_input *in)
{
	static const char *const allowed[] = { "name", "email", "team_id", "title", "segment", "hired_on",
					       "ramp_months", "active", "external_id", NULL };
	struct issues e = { 0 };
	enum field_state fs;
	long long ramp;
	bool active;
	cal_date hired;

	parse_only(body, allowed, &e);
	if (create) {
		parse_require(body, "name", &e);
		parse_require(body, "email", &e);
	}
	if (parse_string(body, "name", 1, 200, &e, &in->name) == FIELD_NULL && !create)
		issues_add(&e, "name", "must not be null");
	fs = parse_string(body, "email", 3, 254, &e, &in->email);
	if (fs == FIELD_NULL && !create)
		issues_add(&e, "email", "must not be null");
	if (fs == FIELD_SET && !parse_email_valid(in->email))
		issues_add(&e, "email", "must be an e-mail address");
	fs = parse_id(body, "team_id", &e, &in->team_id);
	in->set_team = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_string(body, "title", 1, 200, &e, &in->title);
	in->set_title = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_enum(body, "segment", segments, &e, &in->segment);
	in->set_segment = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_date(body, "hired_on", &e, &hired);
	in->set_hired_on = fs == FIELD_SET || fs == FIELD_NULL;
	if (fs == FIELD_SET)
		in->hired_on = json_string_value(json_object_get(body, "hired_on"));
	in->ramp_months = -1;
	fs = parse_int(body, "ramp_months", 0, 24, &e, &ramp);
	if (fs == FIELD_SET)
		in->ramp_months = (int)ramp;
	else if (fs == FIELD_NULL)
		issues_add(&e, "ramp_months", "must not be null");
	in->active = -1;
	fs = parse_bool(body, "active", &e, &active);
	if (fs == FIELD_SET)
		in->active = active;
	else if (fs == FIELD_NULL)
		issues_add(&e, "active", "must not be null");
	fs = parse_string(body, "external_id", 1, 200, &e, &in->external_id);
	in->set_external_id = fs == FIELD_SET || fs == FIELD_NULL;
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/* A manager writes people of their subtree's teams, never their own record. */
static bool
may_place_in(struct req *r, int64_t team_id)
{
	const struct scope *s = req_scope(r);

	if (!s)
		return false;
	if (scope_writes_all(s) || (team_id > 0 && scope_has_team(s, team_id)))
		return true;
	respond_problem(r, 403, "the team is outside the teams you manage", NULL);
	return false;
}

static bool
may_write_person(struct req *r, int64_t id)
{
	const struct scope *s = req_scope(r);
	int64_t team = 0;

	if (!s)
		return false;
	enum status st = person_team(r->conn, r->who.org, id, &team);
	if (st != ST_OK) {
		respond_status(r, st, "no such person");
		return false;
	}
	if (scope_writes_all(s))
		return true;
	if (id == s->person_id) {
		respond_problem(r, 403, "your own record is your manager's call", NULL);
		return false;
	}
	return may_place_in(r, team);
}

void
handle_people_create(struct req *r)
{
	struct person_input in = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	json_t *body = parse_body_object(r);
	char location[64];

	if (!body)
		return;
	if (!person_read(r, body, true, &in) || !may_place_in(r, in.team_id))
		goto out;
	enum status st = person_create(r->conn, r->who.org, &in, &row, &se);
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	snprintf(location, sizeof location, "/v1/people/%lld", (long long)row.id);
	respond_row(r, 201, &row, location);
out:
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_people_patch(struct req *r)
{
	struct person_input in = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!person_read(r, body, false, &in) || !may_write_person(r, id))
		goto out;
	if (in.set_team && !may_place_in(r, in.team_id))
		goto out;
	enum status st = person_update(r->conn, r->who.org, id, &in, req_if_match(r), &row, &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_people_delete(struct req *r)
{
	struct issues se = { 0 };
	int64_t id;

	if (!req_path_id(r, 0, &id) || !may_write_person(r, id))
		return;
	enum status st = person_delete(r->conn, r->who.org, id, req_if_match(r), &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_no_content(r);
}
