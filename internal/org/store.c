#include "org/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/money.h"

#define ORG_JSON                                                                              \
	"json_build_object('id', o.org_id, 'name', o.name, 'fiscal_year_start_month',          \
	 o.fiscal_year_start_month, 'currency', o.currency, 'timezone', o.timezone,             \
	 'ramp_curve', to_json(o.ramp_curve), 'version', o.version, 'created_at', " DB_TS("o.created_at") \
	", 'updated_at', " DB_TS("o.updated_at") ")::text, o.version"

#define TEAM_JSON                                                                              \
	"json_build_object('id', t.id::text, 'name', t.name, 'parent_id', t.parent_id::text,   \
	 'manager_id', t.manager_id::text, 'external_id', t.external_id, 'version', t.version, \
	 'created_at', " DB_TS("t.created_at") ", 'updated_at', " DB_TS("t.updated_at") ")::text, t.id, t.version"

#define PERSON_JSON                                                                            \
	"json_build_object('id', p.id::text, 'name', p.name, 'email', p.email,                 \
	 'team_id', p.team_id::text, 'title', p.title, 'segment', p.segment,                   \
	 'hired_on', to_char(p.hired_on, 'YYYY-MM-DD'), 'ramp_months', p.ramp_months,           \
	 'active', p.active, 'external_id', p.external_id, 'version', p.version,               \
	 'created_at', " DB_TS("p.created_at") ", 'updated_at', " DB_TS("p.updated_at") ")::text, p.id, p.version"

/* ---- org ---------------------------------------------------------------- */

DB_STMT(stmt_org_ensure,
	"INSERT INTO orgs (org_id, name) VALUES ($1, $1) ON CONFLICT (org_id) DO NOTHING");
DB_STMT(stmt_org_get, "SELECT " ORG_JSON " FROM orgs o WHERE o.org_id = $1");
DB_STMT(stmt_org_settings,
	"SELECT fiscal_year_start_month, currency, timezone, array_to_string(ramp_curve, ','), "
	DB_DAY("(now() AT TIME ZONE timezone)::date") " FROM orgs WHERE org_id = $1");
/* The settings, then the org's data version (0017_data_versions), in one snapshot. */
DB_STMT(stmt_org_settings_versioned,
	"SELECT fiscal_year_start_month, currency, timezone, array_to_string(ramp_curve, ','), "
	DB_DAY("(now() AT TIME ZONE timezone)::date") ", "
	"(extract(epoch FROM created_at) * 1000000)::bigint || '.' || "
	"(SELECT coalesce(sum(d.v), 0) FROM org_data_versions d WHERE d.org_id = $1) || "
	"CASE WHEN pg_is_in_recovery() THEN '.s' ELSE '.p' END,"
	" (SELECT coalesce(t.parent_id, 0) FROM teams t WHERE t.org_id = $1 AND t.id = $2::bigint)"
	" FROM orgs WHERE org_id = $1");
#define ORG_COLS "name, fiscal_year_start_month, currency, timezone, ramp_curve"
#define ORG_VALUES                                                                             \
	"coalesce($3, name), coalesce($4::int, fiscal_year_start_month), coalesce($5, currency),"  \
	" coalesce($6, timezone), coalesce($7::numeric[], ramp_curve)"
DB_STMT(stmt_org_update,
	"UPDATE orgs o SET (" ORG_COLS ") = (" ORG_VALUES ")"
	DB_BUMP_IF_CHANGED(ORG_COLS, ORG_VALUES)
	"WHERE org_id = $1 AND ($2::int IS NULL OR version = $2) RETURNING " ORG_JSON);
DB_STMT(stmt_org_tz, "SELECT 1 FROM pg_timezone_names WHERE name = $1");
DB_STMT(stmt_org_today, "SELECT " DB_DAY(DB_ORG_TODAY));

enum status
org_ensure(struct db_conn *c, const char *org)
{
	return row_exec_command(c, &stmt_org_ensure, 1, (const char *[]){ org });
}

enum status
org_get(struct db_conn *c, const char *org, struct rowjson *out)
{
	return row_exec(c, &stmt_org_get, 1, (const char *[]){ org }, out);
}

/*
 * The settings of the one row of r (stmt_org_settings, or the versioned
 * one) into *out, and its column 5 into version, when given, and column 6
 * into *team_found, when given (not null). r stays the caller's.
 */
static enum status
settings_from(struct db_conn *c, const PGresult *r, struct org_settings *out, char *version, size_t size,
	      bool *team_found)
{
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	struct org_settings s = { 0 };

	if (st != ST_OK)
		return st;
	if (PQntuples(r) != 1)
		return ST_NOT_FOUND;
	s.fiscal_year_start_month = atoi(PQgetvalue(r, 0, 0));
	snprintf(s.currency, sizeof s.currency, "%s", PQgetvalue(r, 0, 1));
	snprintf(s.timezone, sizeof s.timezone, "%s", PQgetvalue(r, 0, 2));
	for (char *p = PQgetvalue(r, 0, 3); *p && s.ramp_len < 24;) {
		char *end;
		s.ramp[s.ramp_len++] = strtod(p, &end);
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p)
			break;
	}
	if (cal_date_parse(PQgetvalue(r, 0, 4), &s.today) != ST_OK)
		return ST_INTERNAL;
	if (version)
		snprintf(version, size, "%s", PQgetvalue(r, 0, 5));
	if (team_found)
		*team_found = !PQgetisnull(r, 0, 6);
	*out = s;
	return ST_OK;
}

enum status
org_settings_get(struct db_conn *c, const char *org, struct org_settings *out)
{
	PGresult *r = db_exec(c, &stmt_org_settings, 1, (const char *[]){ org });
	enum status st = settings_from(c, r, out, NULL, 0, NULL);

	PQclear(r);
	return st;
}

enum status
org_settings_versioned_get(struct db_conn *c, const char *org, int64_t team_id, struct org_settings *out,
			   char *version, size_t size, bool *team_found)
{
	char idb[24];
	const char *params[] = { org, team_id ? row_id_param(team_id, idb, sizeof idb) : NULL };
	PGresult *r = db_exec(c, &stmt_org_settings_versioned, 2, params);
	enum status st = settings_from(c, r, out, version, size, team_found);

	PQclear(r);
	return st;
}

void
org_settings_queue(struct db_batch *b, const char *org, struct org_settings_call *call)
{
	call->params[0] = org;
	call->params[1] = NULL;
	call->at = db_batch_add(b, &stmt_org_settings_versioned, 2, call->params);
}

enum status
org_settings_take(struct db_conn *c, const struct db_batch *b, const struct org_settings_call *call,
		  struct org_settings *out, char *version, size_t size)
{
	return call->at < 0 ? ST_INTERNAL : settings_from(c, b->r[call->at], out, version, size, NULL);
}

enum status
org_today_get(struct db_conn *c, const char *org, cal_date *out)
{
	PGresult *r = db_exec(c, &stmt_org_today, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && (PQntuples(r) != 1 || PQgetisnull(r, 0, 0)))
		st = ST_NOT_FOUND;
	else if (st == ST_OK && cal_date_parse(PQgetvalue(r, 0, 0), out) != ST_OK)
		st = ST_INTERNAL;
	PQclear(r);
	return st;
}

/* The ramp curve as a PostgreSQL numeric[] literal "{25.00,50.00}" (malloc'd; NULL on OOM). */
static char *
ramp_literal(const struct org_patch *p)
{
	struct buf b = { 0 };
	char num[32];

	buf_putc(&b, '{');
	for (size_t i = 0; i < p->ramp_len; i++) {
		money_format(p->ramp[i], num, sizeof num);
		buf_printf(&b, i ? ",%s" : "%s", num);
	}
	buf_putc(&b, '}');
	return buf_take(&b);
}

enum status
org_update(struct db_conn *c, const char *org, const struct org_patch *p, int expect_version,
	   struct rowjson *out)
{
	char v[16], fy[16];
	char *ramp = p->set_ramp ? ramp_literal(p) : NULL;

	if (p->set_ramp && !ramp)
		return ST_NOMEM;
	const char *params[] = {
		org,
		expect_version >= 0 ? row_int_param(expect_version, v, sizeof v) : NULL,
		p->name,
		p->fiscal_year_start_month ? row_int_param(p->fiscal_year_start_month, fy, sizeof fy) : NULL,
		p->currency,
		p->timezone,
		ramp,
	};
	enum status st = row_exec(c, &stmt_org_update, 7, params, out);

	free(ramp);
	return st == ST_NOT_FOUND && expect_version >= 0 ? ST_STALE : st;
}

enum status
org_timezone_known(struct db_conn *c, const char *tz, bool *known)
{
	PGresult *r = db_exec(c, &stmt_org_tz, 1, (const char *[]){ tz });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		*known = PQntuples(r) > 0;
	PQclear(r);
	return st;
}

/* ---- scope -------------------------------------------------------------- */

DB_STMT(stmt_scope,
	"WITH RECURSIVE sub(id, root) AS ("
	" SELECT id, true FROM teams WHERE org_id = $1 AND manager_id = $2"
	" UNION SELECT t.id, false FROM teams t JOIN sub ON t.parent_id = sub.id WHERE t.org_id = $1)"
	" SELECT id, bool_or(root) FROM sub GROUP BY id ORDER BY id");

enum status
org_scope_load(struct db_conn *c, const char *org, struct scope *s)
{
	char pid[24];
	PGresult *r;
	enum status st;

	if (s->person_id <= 0)
		return ST_OK;
	r = db_exec(c, &stmt_scope, 2, (const char *[]){ org, row_id_param(s->person_id, pid, sizeof pid) });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	int n = PQntuples(r);
	if (n == 0)
		goto out;
	s->teams = malloc((size_t)n * sizeof *s->teams);
	s->roots = malloc((size_t)n * sizeof *s->roots);
	if (!s->teams || !s->roots) {
		scope_clear(s);
		st = ST_NOMEM;
		goto out;
	}
	for (int i = 0; i < n; i++) {
		int64_t id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		s->teams[s->nteams++] = id;
		if (PQgetvalue(r, i, 1)[0] == 't')
			s->roots[s->nroots++] = id;
	}
out:
	PQclear(r);
	return st;
}

/* ---- teams -------------------------------------------------------------- */

/* Serialise structure changes of one org's tree (cycle checks stay true). */
DB_STMT(stmt_team_lock, "SELECT pg_advisory_xact_lock(hashtextextended('teams:' || $1, 0))");
DB_STMT(stmt_team_create,
	"INSERT INTO teams AS t (org_id, name, parent_id, manager_id, external_id) "
	"VALUES ($1, $2, $3::bigint, $4::bigint, $5) RETURNING " TEAM_JSON);
DB_STMT(stmt_team_get, "SELECT " TEAM_JSON " FROM teams t WHERE t.org_id = $1 AND t.id = $2");
DB_STMT(stmt_team_parent, "SELECT coalesce(parent_id, 0) FROM teams WHERE org_id = $1 AND id = $2");
DB_STMT(stmt_team_list,
	"SELECT " TEAM_JSON " FROM teams t WHERE t.org_id = $1 AND t.id > $2::bigint"
	" AND ($3::bigint IS NULL OR t.parent_id = $3) AND (NOT $4::bool OR t.parent_id IS NULL)"
	" AND ($5::bigint IS NULL OR t.manager_id = $5)"
	" AND ($6::text IS NULL OR strpos(lower(t.name), lower($6)) > 0)"
	" ORDER BY t.id LIMIT $7");
DB_STMT(stmt_team_cycle,
	"WITH RECURSIVE up(id, parent_id) AS ("
	" SELECT id, parent_id FROM teams WHERE org_id = $1 AND id = $3"
	" UNION ALL SELECT t.id, t.parent_id FROM teams t JOIN up ON t.id = up.parent_id WHERE t.org_id = $1)"
	" SELECT 1 FROM up WHERE id = $2 LIMIT 1");
#define TEAM_COLS "name, parent_id, manager_id, external_id"
#define TEAM_VALUES                                                                            \
	"coalesce($3, name), CASE WHEN $4::bool THEN $5::bigint ELSE parent_id END,"               \
	" CASE WHEN $6::bool THEN $7::bigint ELSE manager_id END,"                                \
	" CASE WHEN $8::bool THEN $9::text ELSE external_id END"
DB_STMT(stmt_team_update,
	"UPDATE teams t SET (" TEAM_COLS ") = (" TEAM_VALUES ")"
	DB_BUMP_IF_CHANGED(TEAM_COLS, TEAM_VALUES)
	"WHERE org_id = $1 AND id = $2 AND ($10::int IS NULL OR version = $10) RETURNING " TEAM_JSON);
DB_STMT(stmt_team_version, "SELECT version FROM teams WHERE org_id = $1 AND id = $2");
DB_STMT(stmt_team_busy,
	"SELECT EXISTS (SELECT 1 FROM people WHERE org_id = $1 AND team_id = $2),"
	" EXISTS (SELECT 1 FROM teams WHERE org_id = $1 AND parent_id = $2)");
DB_STMT(stmt_team_delete, "DELETE FROM teams WHERE org_id = $1 AND id = $2");

static enum status
lock_tree(struct db_conn *c, const char *org)
{
	PGresult *r = db_exec(c, &stmt_team_lock, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	PQclear(r);
	return st;
}

/* Name the field behind a constraint failure of the org tables. */
static const struct row_constraint constraints[] = {
	{ "teams_parent_fk", "parent_id", "no such team" },
	{ "teams_manager_fk", "manager_id", "no such person" },
	{ "teams_external_id", "external_id", "another team has this external_id" },
	{ "people_team_fk", "team_id", "no such team" },
	{ "people_email", "email", "another person has this email" },
	{ "people_external_id", "external_id", "another person has this external_id" },
};

/* A write's status, with the field it is about added to e when it failed on a constraint. */
static enum status
explain_failure(struct db_conn *c, enum status st, struct issues *e)
{
	if (st == ST_OK)
		return st;
	return row_explain(c, st, constraints, sizeof constraints / sizeof constraints[0], e);
}

/* The one id (column 0) that statement s gives for (org, id) into *out; ST_NOT_FOUND without a row. */
static enum status
fetch_id(struct db_conn *c, struct db_stmt *s, const char *org, int64_t id, int64_t *out)
{
	char idb[24];
	PGresult *r = db_exec(c, s, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && PQntuples(r) != 1)
		st = ST_NOT_FOUND;
	else if (st == ST_OK)
		*out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return st;
}

/* The row statement s gives for (org, id) into *out (rowjson_clear); ST_NOT_FOUND without one. */
static enum status
get_row(struct db_conn *c, struct db_stmt *s, const char *org, int64_t id, struct rowjson *out)
{
	char idb[24];

	return row_exec(c, s, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) }, out);
}

/* The stored version of row `id` (statement s) into *version; ST_NOT_FOUND when absent. */
static enum status
stored_version(struct db_conn *c, struct db_stmt *s, const char *org, const char *id, int *version)
{
	PGresult *r = db_exec(c, s, 2, (const char *[]){ org, id });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && PQntuples(r) == 0)
		st = ST_NOT_FOUND;
	else if (st == ST_OK)
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return st;
}

/*
 * The outcome of an UPDATE guarded by the version (statement result st):
 * when it matched nothing, absent (404) or stale (412); a constraint
 * failure named in e.
 */
static enum status
update_outcome(struct db_conn *c, enum status st, struct db_stmt *version_stmt, const char *org,
	       const char *id, struct issues *e)
{
	int version;

	if (st != ST_NOT_FOUND)
		return explain_failure(c, st, e);
	st = stored_version(c, version_stmt, org, id, &version);
	return st == ST_OK ? ST_STALE : st;
}

/* How a row of the tree is deleted. */
struct deletion {
	struct db_stmt *version;  /* (org, id) -> version */
	struct db_stmt *blockers; /* (org, id) -> one row of booleans, true = what keeps the row */
	const char *const *why;   /* per column of blockers, the conflict's message */
	struct db_stmt *remove;   /* (org, id) -> DELETE */
	const char *referenced;   /* the conflict when a row of another table still references it */
};

static enum status
delete_row(struct db_conn *c, const struct deletion *d, const char *org, int64_t id, int expect_version,
	   struct issues *e)
{
	char idb[24];
	const char *params[] = { org, row_id_param(id, idb, sizeof idb) };
	int version;
	enum status st = stored_version(c, d->version, org, idb, &version);

	if (st == ST_OK && expect_version >= 0 && version != expect_version)
		st = ST_STALE;
	if (st != ST_OK)
		return st;
	PGresult *r = db_exec(c, d->blockers, 2, params);
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK)
		for (int i = 0; i < PQnfields(r); i++)
			if (PQgetvalue(r, 0, i)[0] == 't') {
				issues_add(e, NULL, "%s", d->why[i]);
				st = ST_CONFLICT;
				break;
			}
	PQclear(r);
	if (st != ST_OK)
		return st;
	st = row_exec_command(c, d->remove, 2, params);
	if (st == ST_INVALID) { /* referenced by a row of a later capability */
		issues_add(e, NULL, "%s", d->referenced);
		st = ST_CONFLICT;
	}
	return st;
}

enum status
team_create(struct db_conn *c, const char *org, const struct team_input *in, struct rowjson *out,
	    struct issues *e)
{
	char parent[24], manager[24];
	enum status st;

	if ((st = lock_tree(c, org)) != ST_OK)
		return st;
	const char *params[] = {
		org,
		in->name,
		in->set_parent ? row_id_param(in->parent_id, parent, sizeof parent) : NULL,
		in->set_manager ? row_id_param(in->manager_id, manager, sizeof manager) : NULL,
		in->set_external_id ? in->external_id : NULL,
	};
	return explain_failure(c, row_exec(c, &stmt_team_create, 5, params, out), e);
}

enum status
team_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out)
{
	return get_row(c, &stmt_team_get, org, id, out);
}

enum status
team_list(struct db_conn *c, const char *org, const struct team_filter *f, struct page *out)
{
	char after[24], parent[24], manager[24], lim[16];
	const char *params[] = {
		org,
		row_int_param(f->after, after, sizeof after),
		row_id_param(f->parent_id, parent, sizeof parent),
		f->root_only ? "true" : "false",
		row_id_param(f->manager_id, manager, sizeof manager),
		f->q,
		row_int_param(f->limit + 1, lim, sizeof lim),
	};

	return row_exec_page(c, &stmt_team_list, 7, params, f->limit, out);
}

/* ST_CONFLICT, with an issue about parent_id, when team idb hangs above parent (a cycle). */
static enum status
check_cycle(struct db_conn *c, const char *org, const char *idb, int64_t parent_id, struct issues *e)
{
	char parent[24];
	PGresult *r = db_exec(c, &stmt_team_cycle, 3,
			      (const char *[]){ org, idb, row_id_param(parent_id, parent, sizeof parent) });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && PQntuples(r) > 0) {
		issues_add(e, "parent_id", "%s", "the team would become its own ancestor");
		st = ST_CONFLICT;
	}
	PQclear(r);
	return st;
}

enum status
team_update(struct db_conn *c, const char *org, int64_t id, const struct team_input *in, int expect_version,
	    struct rowjson *out, struct issues *e)
{
	char idb[24], parent[24], manager[24], ver[16];
	enum status st;

	row_id_param(id, idb, sizeof idb);
	if ((st = lock_tree(c, org)) != ST_OK ||
	    (in->set_parent && in->parent_id > 0 && (st = check_cycle(c, org, idb, in->parent_id, e)) != ST_OK))
		return st;
	const char *params[] = {
		org,
		idb,
		in->name,
		in->set_parent ? "true" : "false",
		in->set_parent ? row_id_param(in->parent_id, parent, sizeof parent) : NULL,
		in->set_manager ? "true" : "false",
		in->set_manager ? row_id_param(in->manager_id, manager, sizeof manager) : NULL,
		in->set_external_id ? "true" : "false",
		in->set_external_id ? in->external_id : NULL,
		expect_version >= 0 ? row_int_param(expect_version, ver, sizeof ver) : NULL,
	};
	st = row_exec(c, &stmt_team_update, 10, params, out);
	return update_outcome(c, st, &stmt_team_version, org, idb, e);
}

static const char *const team_blockers[] = {
	"the team still has members: move or delete them first",
	"the team still has child teams: move or delete them first",
};
static const struct deletion team_deletion = {
	.version = &stmt_team_version,
	.blockers = &stmt_team_busy,
	.why = team_blockers,
	.remove = &stmt_team_delete,
	.referenced = "the team is still referenced",
};

enum status
team_delete(struct db_conn *c, const char *org, int64_t id, int expect_version, struct issues *e)
{
	enum status st = lock_tree(c, org);

	return st == ST_OK ? delete_row(c, &team_deletion, org, id, expect_version, e) : st;
}

/* ---- people ------------------------------------------------------------- */

DB_STMT(stmt_person_create,
	"INSERT INTO people AS p (org_id, name, email, team_id, title, segment, hired_on, ramp_months,"
	" active, external_id) VALUES ($1, $2, $3, $4::bigint, $5, $6, $7::date, coalesce($8::int, 0),"
	" coalesce($9::bool, true), $10) RETURNING " PERSON_JSON);
DB_STMT(stmt_person_get, "SELECT " PERSON_JSON " FROM people p WHERE p.org_id = $1 AND p.id = $2");
DB_STMT(stmt_person_team, "SELECT coalesce(team_id, 0) FROM people WHERE org_id = $1 AND id = $2");
DB_STMT(stmt_person_list,
	"SELECT " PERSON_JSON " FROM people p WHERE p.org_id = $1 AND p.id > $2::bigint"
	" AND ($3::bigint IS NULL OR p.team_id = $3 OR ($4::bool AND p.team_id IN ("
	"  WITH RECURSIVE sub(id) AS (SELECT $3::bigint UNION SELECT t.id FROM teams t JOIN sub"
	"  ON t.parent_id = sub.id WHERE t.org_id = $1) SELECT id FROM sub)))"
	" AND ($5::bool IS NULL OR p.active = $5) AND ($6::text IS NULL OR p.segment = $6)"
	" AND ($7::text IS NULL OR strpos(lower(p.name), lower($7)) > 0"
	"      OR strpos(lower(p.email), lower($7)) > 0)"
	" AND ($8::text IS NULL OR p.external_id = $8)"
	" ORDER BY p.id LIMIT $9");
#define PERSON_COLS "name, email, team_id, title, segment, hired_on, ramp_months, active, external_id"
#define PERSON_VALUES                                                                          \
	"coalesce($3, name), coalesce($4, email), CASE WHEN $5::bool THEN $6::bigint ELSE team_id END," \
	" CASE WHEN $7::bool THEN $8::text ELSE title END, CASE WHEN $9::bool THEN $10::text ELSE segment END," \
	" CASE WHEN $11::bool THEN $12::date ELSE hired_on END, coalesce($13::int, ramp_months),"   \
	" coalesce($14::bool, active), CASE WHEN $15::bool THEN $16::text ELSE external_id END"
DB_STMT(stmt_person_update,
	"UPDATE people p SET (" PERSON_COLS ") = (" PERSON_VALUES ")"
	DB_BUMP_IF_CHANGED(PERSON_COLS, PERSON_VALUES)
	"WHERE org_id = $1 AND id = $2 AND ($17::int IS NULL OR version = $17) RETURNING " PERSON_JSON);
DB_STMT(stmt_person_version, "SELECT version FROM people WHERE org_id = $1 AND id = $2");
DB_STMT(stmt_person_manages, "SELECT EXISTS (SELECT 1 FROM teams WHERE org_id = $1 AND manager_id = $2)");
DB_STMT(stmt_person_delete, "DELETE FROM people WHERE org_id = $1 AND id = $2");

static const char *
tristate(int v)
{
	return v < 0 ? NULL : v ? "true" : "false";
}

enum status
person_create(struct db_conn *c, const char *org, const struct person_input *in, struct rowjson *out,
	      struct issues *e)
{
	char team[24], ramp[16];
	const char *params[] = {
		org,
		in->name,
		in->email,
		in->set_team ? row_id_param(in->team_id, team, sizeof team) : NULL,
		in->set_title ? in->title : NULL,
		in->set_segment ? in->segment : NULL,
		in->set_hired_on ? in->hired_on : NULL,
		in->ramp_months >= 0 ? row_int_param(in->ramp_months, ramp, sizeof ramp) : NULL,
		tristate(in->active),
		in->set_external_id ? in->external_id : NULL,
	};

	return explain_failure(c, row_exec(c, &stmt_person_create, 10, params, out), e);
}

enum status
person_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out)
{
	return get_row(c, &stmt_person_get, org, id, out);
}

enum status
person_list(struct db_conn *c, const char *org, const struct person_filter *f, struct page *out)
{
	char after[24], team[24], lim[16];
	const char *params[] = {
		org,
		row_int_param(f->after, after, sizeof after),
		row_id_param(f->team_id, team, sizeof team),
		f->subtree ? "true" : "false",
		tristate(f->active),
		f->segment,
		f->q,
		f->external_id,
		row_int_param(f->limit + 1, lim, sizeof lim),
	};

	return row_exec_page(c, &stmt_person_list, 9, params, f->limit, out);
}

enum status
person_update(struct db_conn *c, const char *org, int64_t id, const struct person_input *in,
	      int expect_version, struct rowjson *out, struct issues *e)
{
	char idb[24], team[24], ramp[16], ver[16];

	row_id_param(id, idb, sizeof idb);
	const char *params[] = {
		org,
		idb,
		in->name,
		in->email,
		in->set_team ? "true" : "false",
		in->set_team ? row_id_param(in->team_id, team, sizeof team) : NULL,
		in->set_title ? "true" : "false",
		in->set_title ? in->title : NULL,
		in->set_segment ? "true" : "false",
		in->set_segment ? in->segment : NULL,
		in->set_hired_on ? "true" : "false",
		in->set_hired_on ? in->hired_on : NULL,
		in->ramp_months >= 0 ? row_int_param(in->ramp_months, ramp, sizeof ramp) : NULL,
		tristate(in->active),
		in->set_external_id ? "true" : "false",
		in->set_external_id ? in->external_id : NULL,
		expect_version >= 0 ? row_int_param(expect_version, ver, sizeof ver) : NULL,
	};
	enum status st = row_exec(c, &stmt_person_update, 17, params, out);

	return update_outcome(c, st, &stmt_person_version, org, idb, e);
}

static const char *const person_blockers[] = {
	"the person manages a team: assign another manager first",
};
static const struct deletion person_deletion = {
	.version = &stmt_person_version,
	.blockers = &stmt_person_manages,
	.why = person_blockers,
	.remove = &stmt_person_delete,
	.referenced = "the person is still referenced (deals, quotas or leads): deactivate instead",
};

enum status
person_delete(struct db_conn *c, const char *org, int64_t id, int expect_version, struct issues *e)
{
	return delete_row(c, &person_deletion, org, id, expect_version, e);
}

/* ---- where a row hangs in the tree (for the scope decisions) --------------- */

enum status
team_parent(struct db_conn *c, const char *org, int64_t id, int64_t *parent_id)
{
	return fetch_id(c, &stmt_team_parent, org, id, parent_id);
}

enum status
person_team(struct db_conn *c, const char *org, int64_t id, int64_t *team_id)
{
	return fetch_id(c, &stmt_person_team, org, id, team_id);
}
