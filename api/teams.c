/* teams.c — /v1/teams: the team tree (DESIGN §7 "Org structure"). */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "org/store.h"

static const char *const team_columns[] = { "id", "name", "parent_id", "manager_id", "external_id",
					     "version", "created_at", "updated_at", NULL };

void
handle_teams_list(struct req *r)
{
	struct issues e = { 0 };
	struct team_filter f = { 0 };
	struct page p = { 0 };
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
	enum status st = team_list(r->conn, r->who.org, &f, &p);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_page(r, &p, team_columns);
	page_clear(&p);
}

void
handle_teams_get(struct req *r)
{
	struct rowjson row = { 0 };
	int64_t id;

	if (!req_path_id(r, 0, &id))
		return;
	enum status st = team_get(r->conn, r->who.org, id, &row);
	if (st != ST_OK)
		respond_status(r, st, "no such team");
	else
		respond_row(r, 200, &row, NULL);
	rowjson_clear(&row);
}

/* Read a create/patch body into in; false when r is answered (400). */
static bool
team_read(struct req *r, json_t *body, bool create, struct team_input *in)
{
	static const char *const allowed[] = { "name", "parent_id", "manager_id", "external_id", NULL };
	struct issues e = { 0 };
	enum field_state fs;

	parse_only(body, allowed, &e);
	if (create)
		parse_require(body, "name", &e);
	if (parse_string(body, "name", 1, 200, &e, &in->name) == FIELD_NULL && !create)
		issues_add(&e, "name", "must not be null");
	fs = parse_id(body, "parent_id", &e, &in->parent_id);
	in->set_parent = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_id(body, "manager_id", &e, &in->manager_id);
	in->set_manager = fs == FIELD_SET || fs == FIELD_NULL;
	fs = parse_string(body, "external_id", 1, 200, &e, &in->external_id);
	in->set_external_id = fs == FIELD_SET || fs == FIELD_NULL;
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return false;
	}
	return true;
}

/*
 * A manager writes teams hanging below a team of their subtree (never the
 * teams they manage themselves); admins write any. False when r is answered.
 */
static bool
may_write_team(struct req *r, int64_t id)
{
	const struct scope *s = req_scope(r);
	int64_t parent = 0;

	if (!s)
		return false;
	enum status st = team_parent(r->conn, r->who.org, id, &parent);
	if (st != ST_OK) {
		respond_status(r, st, "no such team");
		return false;
	}
	if (scope_writes_all(s) || scope_below_root(s, id, parent))
		return true;
	respond_problem(r, 403, "this team is outside the teams you manage", NULL);
	return false;
}

static bool
may_use_parent(struct req *r, int64_t parent)
{
	const struct scope *s = req_scope(r);

	if (!s)
		return false;
	if (scope_writes_all(s) || (parent > 0 && scope_has_team(s, parent)))
		return true;
	respond_problem(r, 403, parent > 0 ? "the parent team is outside the teams you manage"
					   : "only an admin creates top-level teams",
			NULL);
	return false;
}

void
handle_teams_create(struct req *r)
{
	struct team_input in = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	json_t *body = parse_body_object(r);
	char location[64];

	if (!body)
		return;
	if (!team_read(r, body, true, &in) || !may_use_parent(r, in.parent_id))
		goto out;
	enum status st = team_create(r->conn, r->who.org, &in, &row, &se);
	if (st != ST_OK) {
		respond_store_error(r, st, &se);
		goto out;
	}
	snprintf(location, sizeof location, "/v1/teams/%lld", (long long)row.id);
	respond_row(r, 201, &row, location);
out:
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_teams_patch(struct req *r)
{
	struct team_input in = { 0 };
	struct rowjson row = { 0 };
	struct issues se = { 0 };
	json_t *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!team_read(r, body, false, &in) || !may_write_team(r, id))
		goto out;
	if (in.set_parent && !may_use_parent(r, in.parent_id))
		goto out;
	enum status st = team_update(r->conn, r->who.org, id, &in, req_if_match(r), &row, &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_row(r, 200, &row, NULL);
out:
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_teams_delete(struct req *r)
{
	struct issues se = { 0 };
	int64_t id;

	if (!req_path_id(r, 0, &id) || !may_write_team(r, id))
		return;
	enum status st = team_delete(r->conn, r->who.org, id, req_if_match(r), &se);
	if (st != ST_OK)
		respond_store_error(r, st, &se);
	else
		respond_no_content(r);
}
