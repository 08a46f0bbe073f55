/* teams.c — /v1/teams: the team tree (DESIGN §7 "Org structure"). */
#include "api/teams.h"
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "api/write.h"
#include "org/service.h"

static const char *const team_columns[] = { "id", "name", "parent_id", "manager_id", "external_id",
					     "version", "created_at", "updated_at", NULL };

void
handle_teams_list(struct req *r)
{
	struct issues e = { 0 };
	struct team_filter f = { 0 };
	struct page p = { 0 };
	struct caller who;
	const char *parent = req_query(r, "parent_id");

	if (parent && strcmp(parent, "root") == 0)
		f.root_only = true;
	else
		query_id(r, "parent_id", &e, &f.parent_id);
	query_id(r, "manager_id", &e, &f.manager_id);
	query_string(r, "q", 200, &e, &f.q);
	query_page(r, &e, &f.limit, &f.after);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	req_caller_unscoped(r, &who);
	enum status st = org_service_teams_list(r->conn, &who, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, team_columns);
	page_clear(&p);
}

void
handle_teams_get(struct req *r)
{
	struct issues e = { 0 };
	struct rowjson row = { 0 };
	struct caller who;
	int64_t id;

	if (!req_path_id(r, 0, &id))
		return;
	req_caller_unscoped(r, &who);
	respond_outcome(r, org_service_team_get(r->conn, &who, id, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

/* Read a create (`create`) or patch body into in; false with e's issues when it is wrong. */
bool
team_read(json_t *body, bool create, struct team_input *in, struct issues *e)
{
	static const char *const allowed[] = { "name", "parent_id", "manager_id", "external_id", NULL };
	enum field_state fs;

	memset(in, 0, sizeof *in);
	parse_only(body, allowed, e);
	if (create)
		parse_require(body, "name", e);
	if (parse_string(body, "name", 1, 200, e, &in->name) == FIELD_NULL && !create)
		issues_add(e, "name", "must not be null");
	fs = parse_id(body, "parent_id", e, &in->parent_id);
	in->set_parent = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_id(body, "manager_id", e, &in->manager_id);
	in->set_manager = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_string(body, "external_id", 1, 200, e, &in->external_id);
	in->set_external_id = fs == FIELD_SET || fs == FIELD_NULL;
	return !issues_any(e);
}

void
handle_teams_create(struct req *r)
{
	struct body_write w;
	struct team_input in;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, team_read(w.body, true, &in, &w.e)))
		body_write_answer(r, &w, org_service_team_create(r->conn, &w.who, &in, &w.row, &w.e), 201, "/v1/teams");
	body_write_clear(&w);
}

void
handle_teams_patch(struct req *r)
{
	struct body_write w;
	struct team_input in;

	if (body_write_begin(r, true, &w) && body_write_ready(r, &w, team_read(w.body, false, &in, &w.e)))
		body_write_answer(r, &w, org_service_team_patch(r->conn, &w.who, w.id, &in, req_if_match(r), &w.row, &w.e),
				  200, NULL);
	body_write_clear(&w);
}

void
handle_teams_delete(struct req *r)
{
	struct issues e = { 0 };
	struct caller who;
	int64_t id;

	if (req_path_id(r, 0, &id) && req_caller(r, &who))
		respond_outcome(r, org_service_team_delete(r->conn, &who, id, req_if_match(r), &e), &e, NULL, 204, NULL);
}
