#include "deals/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"


#define STAGE_JSON                                                                             \
	"json_build_object('key', s.key, 'name', s.name, 'probability', s.probability,           \
	 'forecast_category', s.forecast_category, 'is_won', s.is_won, 'is_lost', s.is_lost)"

#define STAGES_JSON                                                                            \
	"json_build_object('items', coalesce((SELECT json_agg(" STAGE_JSON " ORDER BY s.position) \
	 FROM stages s WHERE s.org_id = l.org_id), '[]'::json), 'next_cursor', NULL,               \
	 'version', l.version, 'updated_at', " DB_TS("l.updated_at") ")::text, 0, l.version"

#define SPLITS_JSON                                                                            \
	"CASE WHEN d.split_person_ids = '{}' THEN '[]'::json ELSE (SELECT json_agg(json_build_object( \
	 'person_id', u.p::text, 'percent', u.c) ORDER BY u.n) FROM unnest(d.split_person_ids,      \
	 d.split_percents) WITH ORDINALITY AS u (p, c, n)) END"

#define DEAL_JSON                                                                              \
	"json_build_object('id', d.id::text, 'external_id', d.external_id, 'name', d.name,        \
	 'account', d.account, 'owner_id', d.owner_id::text, 'segment', d.segment, 'type', d.type, \
	 'amount', d.amount, 'stage', d.stage, 'probability', d.probability,                       \
	 'forecast_category', d.forecast_category, 'status', d.status,                             \
	 'close_date', " DB_DAY("d.close_date") ", 'created_on', " DB_DAY("d.created_on") ",             \
	 'splits', " SPLITS_JSON ", 'pushes', d.pushes, 'version', d.version,                      \
	 'created_at', " DB_TS("d.created_at") ", 'updated_at', " DB_TS("d.updated_at") ")::text, d.id, d.version"

/*
 * The scope predicate on `d` (DESIGN §4; store.h), never NULL: $all, $self
 * and $teams are the parameter numbers of scope_rows' fields. The people
 * of the managed subtree are one uncorrelated subquery, computed once.
 */
#define SCOPE_PEOPLE(teams)                                                                    \
	"(SELECT coalesce(array_agg(p.id), '{}') FROM people p WHERE p.org_id = $1"               \
	" AND p.team_id = ANY(" teams "::bigint[]))::bigint[]"
#define IN_SCOPE(all, self, teams)                                                             \
	"coalesce(" all "::bool OR d.owner_id = " self "::bigint"                                 \
	" OR " self "::bigint = ANY(d.split_person_ids) OR d.owner_id = ANY(" SCOPE_PEOPLE(teams) ")" \
	" OR (d.split_person_ids <> '{}' AND d.split_person_ids && " SCOPE_PEOPLE(teams) "), false)"
/*
 * The part of the scope that reaches the deal's owner: what changing its
 * owner, splits or amount, or deleting it, needs (DESIGN §4). A split held
 * by the caller or their subtree only lets them read it.
 */
#define OWNER_IN_SCOPE(all, self, teams)                                                       \
	"coalesce(" all "::bool OR d.owner_id = " self "::bigint"                                 \
	" OR d.owner_id = ANY(" SCOPE_PEOPLE(teams) "), false)"



/* ---- stages ---------------------------------------------------------------- */

DB_STMT(stmt_stages_load,
	"SELECT l.version, s.key, s.probability, s.forecast_category, s.is_won, s.is_lost"
	" FROM stage_lists l JOIN stages s ON s.org_id = l.org_id WHERE l.org_id = $1 ORDER BY s.position");
DB_STMT(stmt_stages_get, "SELECT " STAGES_JSON " FROM stage_lists l WHERE l.org_id = $1");
DB_STMT(stmt_stages_lock, "SELECT version FROM stage_lists WHERE org_id = $1 FOR UPDATE");
DB_STMT(stmt_stages_used,
	"SELECT s.key, n.key IS NULL FROM stages s"
	" LEFT JOIN jsonb_to_recordset($2::jsonb) AS n (key text, is_won bool, is_lost bool) ON n.key = s.key"
	" WHERE s.org_id = $1 AND (n.key IS NULL OR n.is_won <> s.is_won OR n.is_lost <> s.is_lost)"
	" AND EXISTS (SELECT 1 FROM deals d WHERE d.org_id = $1 AND d.stage = s.key)"
	" ORDER BY s.position LIMIT 1");
DB_STMT(stmt_stages_replace,
	"WITH n AS (SELECT * FROM jsonb_to_recordset($2::jsonb) AS n (key text, position int, name text,"
	"  probability int, forecast_category text, is_won bool, is_lost bool)),"
	" del AS (DELETE FROM stages s WHERE s.org_id = $1 AND NOT EXISTS (SELECT 1 FROM n WHERE n.key = s.key)),"
	" ins AS (INSERT INTO stages (org_id, key, position, name, probability, forecast_category, is_won, is_lost)"
	"  SELECT $1, key, position, name, probability, forecast_category, is_won, is_lost FROM n"
	"  ON CONFLICT (org_id, key) DO UPDATE SET position = EXCLUDED.position, name = EXCLUDED.name,"
	"  probability = EXCLUDED.probability, forecast_category = EXCLUDED.forecast_category,"
	"  is_won = EXCLUDED.is_won, is_lost = EXCLUDED.is_lost),"
	/* a list equal to the stored one keeps its version (DESIGN §5); every part sees the list before */
	" changed AS (SELECT EXISTS (SELECT key, position, name, probability, forecast_category, is_won, is_lost"
	"  FROM n EXCEPT SELECT key, position, name, probability, forecast_category, is_won, is_lost"
	"  FROM stages WHERE org_id = $1) OR (SELECT count(*) FROM stages WHERE org_id = $1)"
	"  <> (SELECT count(*) FROM n) AS yes)"
	" UPDATE stage_lists SET version = version + (SELECT yes FROM changed)::int,"
	" updated_at = CASE WHEN (SELECT yes FROM changed) THEN now() ELSE updated_at END WHERE org_id = $1");

enum status
stages_load(struct db_conn *c, const char *org, struct stage_list *out)
{
	PGresult *r = db_exec(c, &stmt_stages_load, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	int n;

	if (st != ST_OK)
		goto out;
	n = PQntuples(r);
	if (n == 0 || n > STAGE_MAX) {
		st = n == 0 ? ST_NOT_FOUND : ST_INTERNAL;
		goto out;
	}
	out->n = n;
	out->version = atoi(PQgetvalue(r, 0, 0));
	for (int i = 0; i < n; i++) {
		struct stage *s = &out->items[i];
		snprintf(s->key, sizeof s->key, "%s", PQgetvalue(r, i, 1));
		s->name = NULL;
		s->probability = atoi(PQgetvalue(r, i, 2));
		snprintf(s->forecast_category, sizeof s->forecast_category, "%s", PQgetvalue(r, i, 3));
		s->is_won = PQgetvalue(r, i, 4)[0] == 't';
		s->is_lost = PQgetvalue(r, i, 5)[0] == 't';
	}
out:
	PQclear(r);
	return st;
}

enum status
stages_get(struct db_conn *c, const char *org, struct rowjson *out)
{
	return row_exec(c, &stmt_stages_get, 1, (const char *[]){ org }, out);
}

/* The list as a JSON array for jsonb_to_recordset (malloc'd; NULL on OOM). */
static char *
stages_json(const struct stage_list *l)
{
	struct buf b = { 0 };

	buf_putc(&b, '[');
	for (int i = 0; i < l->n; i++) {
		const struct stage *s = &l->items[i];
		buf_puts(&b, i ? ",{\"key\":" : "{\"key\":");
		buf_put_json_string(&b, s->key);
		buf_printf(&b, ",\"position\":%d,\"name\":", i + 1);
		buf_put_json_string(&b, s->name ? s->name : s->key);
		buf_printf(&b, ",\"probability\":%d,\"forecast_category\":", s->probability);
		buf_put_json_string(&b, s->forecast_category);
		buf_printf(&b, ",\"is_won\":%s,\"is_lost\":%s}", s->is_won ? "true" : "false",
			   s->is_lost ? "true" : "false");
	}
	buf_putc(&b, ']');
	if (b.oom) {
		buf_clear(&b);
		return NULL;
	}
	return buf_take(&b);
}

enum status
stages_replace(struct db_conn *c, const char *org, const struct stage_list *l, int expect_version,
	       struct rowjson *out, char *used_key, bool *removed)
{
	char *json = stages_json(l);
	PGresult *r = NULL;
	enum status st;

	if (!json)
		return ST_NOMEM;
	if ((st = row_exec_one(c, &stmt_stages_lock, 1, (const char *[]){ org }, &r)) != ST_OK)
		goto out;
	if (expect_version >= 0 && atoi(PQgetvalue(r, 0, 0)) != expect_version) {
		st = ST_STALE;
		goto out;
	}
	PQclear(r);
	r = db_exec(c, &stmt_stages_used, 2, (const char *[]){ org, json });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) == 1) {
		snprintf(used_key, STAGE_KEY_MAX + 1, "%s", PQgetvalue(r, 0, 0));
		*removed = PQgetvalue(r, 0, 1)[0] == 't';
		st = ST_CONFLICT;
		goto out;
	}
	if ((st = row_exec_command(c, &stmt_stages_replace, 2, (const char *[]){ org, json })) != ST_OK)
		goto out;
	st = stages_get(c, org, out);
out:
	PQclear(r);
	free(json);
	return st;
}

/* ---- people ------------------------------------------------------------------ */

DB_STMT(stmt_people_load,
	"SELECT id, coalesce(team_id, 0), coalesce(segment, '') FROM people"
	" WHERE org_id = $1 AND id = ANY($2::bigint[]) ORDER BY id");

/*
 * Run stmt with org as $1 and ids[0..n) as the array $2, plus the scope s
 * as $3..$5 when not NULL, into *r (PQclear it whatever the outcome).
 */
static enum status
exec_ids(struct db_conn *c, struct db_stmt *stmt, const char *org, const int64_t *ids, size_t n,
	 const struct scope_rows *s, PGresult **r)
{
	char self[24];
	const char *sp[3] = { NULL, NULL, NULL };
	struct buf lit = { 0 };
	enum status st = ST_NOMEM;

	*r = NULL;
	buf_putc(&lit, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&lit, i ? ",%" PRId64 : "%" PRId64, ids[i]);
	buf_putc(&lit, '}');
	if (!lit.oom) {
		if (s)
			row_scope_params(s, self, sizeof self, sp);
		*r = db_exec(c, stmt, s ? 5 : 2, (const char *[]){ org, lit.data, sp[0], sp[1], sp[2] });
		st = db_check(c, *r, PGRES_TUPLES_OK);
	}
	buf_clear(&lit);
	return st;
}

enum status
deal_people_load(struct db_conn *c, const char *org, const int64_t *ids, size_t n, struct deal_person **out,
		 size_t *nout)
{
	struct deal_person *v = NULL;
	PGresult *r;
	enum status st = exec_ids(c, &stmt_people_load, org, ids, n, NULL, &r);
	int rows = st == ST_OK ? PQntuples(r) : 0;

	if (st == ST_OK && !(v = calloc(rows ? (size_t)rows : 1, sizeof *v)))
		st = ST_NOMEM;
	if (st == ST_OK) {
		for (int i = 0; i < rows; i++) {
			v[i].id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
			v[i].team_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
			snprintf(v[i].segment, sizeof v[i].segment, "%s", PQgetvalue(r, i, 2));
		}
		*out = v;
		*nout = (size_t)rows;
	}
	PQclear(r);
	return st;
}

const struct deal_person *
deal_person_find(const struct deal_person *v, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].id == id)
			return &v[mid];
		if (v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ---- deals --------------------------------------------------------------------- */

/* $13 team: its members and the members of every team below it. */
#define TEAM_PEOPLE                                                                            \
	"(SELECT coalesce(array_agg(p.id), '{}') FROM people p WHERE p.org_id = $1 AND p.team_id = ANY(ARRAY(" \
	" WITH RECURSIVE sub(id) AS (SELECT t.id FROM teams t WHERE t.org_id = $1 AND t.id = $13::bigint" \
	" UNION SELECT t.id FROM teams t JOIN sub ON t.parent_id = sub.id WHERE t.org_id = $1)"    \
	" SELECT id FROM sub)))::bigint[]"
/* The people whose deals a list is drawn from: the team's, else the caller's scope. */
#define DRIVER_PEOPLE                                                                          \
	"(CASE WHEN $13::bigint IS NOT NULL THEN " TEAM_PEOPLE " ELSE " SCOPE_PEOPLE("$16")       \
	" || $15::bigint END)"
#define DEAL_FILTERS(owner, status, stage, type, segment, from, to, since, ext)                 \
	" AND (" owner "::bigint IS NULL OR d.owner_id = " owner ")"                               \
	" AND (" status "::text IS NULL OR d.status = " status ")"                                 \
	" AND (" stage "::text IS NULL OR d.stage = " stage ")"                                    \
	" AND (" type "::text IS NULL OR d.type = " type ")"                                       \
	" AND (" segment "::text IS NULL OR d.segment = " segment ")"                              \
	" AND (" from "::date IS NULL OR d.close_date >= " from ")"                                \
	" AND (" to "::date IS NULL OR d.close_date <= " to ")"                                    \
	" AND (" since "::timestamptz IS NULL OR d.updated_at >= " since ")"                       \
	" AND (" ext "::text IS NULL OR d.external_id = " ext ")"

/*
 * Both lists take $1 org, $2 the cursor, $3..$11 the filters (DEAL_FILTERS'
 * order) and $12 the limit; stmt_deal_list also $13 the team and $14..$16
 * the scope.
 */
/* Every deal of the org (callers who read them all, without a team filter). */
DB_STMT(stmt_deal_list_all,
	"SELECT " DEAL_JSON " FROM deals d WHERE d.org_id = $1 AND d.id > $2::bigint"
	DEAL_FILTERS("$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11") " ORDER BY d.id LIMIT $12");
/*
 * The deals of a set of people (a team's, else the caller's scope): the ids
 * of those they own (index-only on deals_owner_close) and of those they hold
 * a split of (index-only on deal_splits_person_close), in the close-date
 * range, merged and sorted; then each deal is fetched by primary key in id
 * order, checked against the scope and the other filters, until the page is
 * full. Only the deals of the page (and those the filters reject before it
 * fills) are read from the table.
 */
DB_STMT(stmt_deal_list,
	"WITH drv AS MATERIALIZED (SELECT " DRIVER_PEOPLE " AS ids),"
	" cand AS (SELECT o.id FROM deals o WHERE o.org_id = $1"
	"  AND o.owner_id = ANY((SELECT ids FROM drv)::bigint[]) AND o.id > $2::bigint AND ($8::date IS NULL OR o.close_date >= $8)"
	"  AND ($9::date IS NULL OR o.close_date <= $9)"
	" UNION SELECT s.deal_id FROM deal_splits s WHERE s.org_id = $1"
	"  AND s.person_id = ANY((SELECT ids FROM drv)::bigint[]) AND s.deal_id > $2::bigint"
	"  AND ($8::date IS NULL OR s.close_date >= $8) AND ($9::date IS NULL OR s.close_date <= $9))"
	" SELECT " DEAL_JSON " FROM (SELECT id FROM cand ORDER BY id) c"
	" CROSS JOIN LATERAL (SELECT * FROM deals d WHERE d.org_id = $1 AND d.id = c.id"
	"  AND " IN_SCOPE("$14", "$15", "$16")
	DEAL_FILTERS("$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11") ") d"
	" ORDER BY c.id LIMIT $12");
/*
 * The deals of a large team ($13: at least 1 % of the org's people, and 50)
 * when no close-date range is asked (deal_list):
 * the org's deals in id order, each kept when its owner or a split holder
 * is in the team (its people hashed once), with the scope and the filters,
 * until the page is full. The ids of stmt_deal_list would be most of the
 * org's (4.6 s for the top team of a 1M-deal org).
 */
DB_STMT(stmt_deal_list_wide,
	"WITH tp AS MATERIALIZED (SELECT p.id FROM people p JOIN team_closure a ON a.org_id = p.org_id"
	"  AND a.team_id = p.team_id WHERE p.org_id = $1 AND a.ancestor_id = $13::bigint)"
	" SELECT " DEAL_JSON " FROM deals d WHERE d.org_id = $1 AND d.id > $2::bigint"
	" AND (d.owner_id IN (SELECT id FROM tp)"
	"  OR (d.split_person_ids <> '{}' AND d.split_person_ids && ARRAY(SELECT id FROM tp)))"
	" AND " IN_SCOPE("$14", "$15", "$16")
	DEAL_FILTERS("$3", "$4", "$5", "$6", "$7", "$8", "$9", "$10", "$11") " ORDER BY d.id LIMIT $12");
/* How many people team $2's subtree has, and the org. */
DB_STMT(stmt_team_size,
	"SELECT (SELECT count(*) FROM people p JOIN team_closure a ON a.org_id = p.org_id AND a.team_id = p.team_id"
	" WHERE p.org_id = $1 AND a.ancestor_id = $2::bigint), (SELECT count(*) FROM people p WHERE p.org_id = $1)");
DB_STMT(stmt_deal_get,
	"SELECT " DEAL_JSON " FROM deals d WHERE d.org_id = $1 AND d.id = $2 AND " IN_SCOPE("$3", "$4", "$5"));
DB_STMT(stmt_deal_readable,
	"SELECT d.id FROM deals d WHERE d.org_id = $1 AND d.id = ANY($2::bigint[]) AND " IN_SCOPE("$3", "$4", "$5")
	" ORDER BY d.id");
DB_STMT(stmt_deal_lock,
	"SELECT d.id, d.version, d.owner_id, d.stage, d.probability, d.forecast_category, "
	DB_DAY("d.close_date") ", " DB_DAY("d.created_on") ", " OWNER_IN_SCOPE("$3", "$4", "$5") " FROM deals d"
	" WHERE d.org_id = $1 AND d.id = $2 AND " IN_SCOPE("$3", "$4", "$5") " FOR UPDATE OF d");

/* The history row of a create or change: the state after it, and before. */
#define HISTORY_COLUMNS                                                                        \
	"org_id, deal_id, version, sub, kind, stage_from, stage_to, close_date_from, close_date_to, \
	 amount_from, amount_to, probability, forecast_category, status, owner_id, pushed"

/*
 * A create and a change take the same parameters (write_params): $1 org,
 * $2/$3 external_id (set?, value), $4 name, $5/$6 account (set?, value),
 * $7 owner_id, $8 segment, $9 type, $10 amount, $11 stage, $12
 * probability, $13 forecast_category, $14 status, $15 close_date, $16
 * created_on, $17/$18/$19 splits (set?, persons, percents), $20 the sub
 * for the history row; a change $21 the deal's id. NULL = not given.
 */
DB_STMT(stmt_deal_create,
	"WITH d AS (INSERT INTO deals (org_id, external_id, name, account, owner_id, segment, type, amount,"
	"  stage, probability, forecast_category, status, close_date, created_on, split_person_ids,"
	"  split_percents)"
	" VALUES ($1, CASE WHEN $2::bool THEN $3::text END, $4, CASE WHEN $5::bool THEN $6::text END, $7::bigint,"
	"  $8, $9, $10::numeric, $11, $12::int, $13, $14, $15::date,"
	"  coalesce($16::date, least(" DB_ORG_TODAY ", $15::date)),"
	"  CASE WHEN $17::bool THEN $18::bigint[] ELSE '{}' END, CASE WHEN $17::bool THEN $19::numeric[] ELSE '{}' END)"
	" RETURNING *),"
	" h AS (INSERT INTO deal_history (" HISTORY_COLUMNS ")"
	"  SELECT org_id, id, version, $20, 'created', NULL, stage, NULL, close_date, NULL, amount,"
	"  probability, forecast_category, status, owner_id, false FROM d)"
	" SELECT " DEAL_JSON " FROM d");
/* What a change sets (what it leaves out keeps its stored value). */
#define DEAL_UPDATE_COLS                                                                       \
	"external_id, name, account, owner_id, segment, type, amount, stage, probability,"        \
	" forecast_category, status, close_date, created_on, split_person_ids, split_percents"
#define DEAL_UPDATE_VALUES                                                                     \
	"CASE WHEN $2::bool THEN $3::text ELSE external_id END, coalesce($4::text, name),"         \
	" CASE WHEN $5::bool THEN $6::text ELSE account END, coalesce($7::bigint, owner_id),"     \
	" coalesce($8::text, segment), coalesce($9::text, type), coalesce($10::numeric, amount),"  \
	" $11::text, $12::int, $13::text, $14::text, coalesce($15::date, close_date),"            \
	" coalesce($16::date, created_on),"                                                        \
	" CASE WHEN $17::bool THEN $18::bigint[] ELSE split_person_ids END,"                      \
	" CASE WHEN $17::bool THEN $19::numeric[] ELSE split_percents END"
DB_STMT(stmt_deal_update,
	"WITH o AS (SELECT stage, close_date, amount, probability, forecast_category FROM deals"
	"  WHERE org_id = $1 AND id = $21),"
	" d AS (UPDATE deals SET (" DEAL_UPDATE_COLS ") = (" DEAL_UPDATE_VALUES "),"
	"  pushes = pushes + CASE WHEN $15::date > close_date THEN 1 ELSE 0 END"
	DB_BUMP_IF_CHANGED(DEAL_UPDATE_COLS, DEAL_UPDATE_VALUES)
	"  WHERE org_id = $1 AND id = $21 RETURNING *),"
	" h AS (INSERT INTO deal_history (" HISTORY_COLUMNS ")"
	"  SELECT d.org_id, d.id, d.version, $20, 'changed', o.stage, d.stage, o.close_date, d.close_date,"
	"  o.amount, d.amount, d.probability, d.forecast_category, d.status, d.owner_id,"
	"  d.close_date > o.close_date FROM d, o"
	"  WHERE (o.stage, o.close_date, o.amount, o.probability, o.forecast_category)"
	"  IS DISTINCT FROM (d.stage, d.close_date, d.amount, d.probability, d.forecast_category))"
	" SELECT " DEAL_JSON " FROM d");
DB_STMT(stmt_deal_delete,
	"WITH d AS (DELETE FROM deals WHERE org_id = $1 AND id = $2 RETURNING *)"
	" INSERT INTO deal_history (" HISTORY_COLUMNS ")"
	" SELECT org_id, id, version + 1, $3, 'deleted', stage, stage, close_date, close_date, amount, amount,"
	" probability, forecast_category, status, owner_id, false FROM d");
DB_STMT(stmt_deal_history,
	"SELECT json_build_object('version', h.version, 'at', " DB_TS("h.at") ", 'sub', h.sub, 'kind', h.kind,"
	" 'stage_from', h.stage_from, 'stage_to', h.stage_to,"
	" 'close_date_from', " DB_DAY("h.close_date_from") ", 'close_date_to', " DB_DAY("h.close_date_to") ","
	" 'amount_from', h.amount_from, 'amount_to', h.amount_to, 'probability', h.probability,"
	" 'forecast_category', h.forecast_category, 'status', h.status, 'owner_id', h.owner_id::text,"
	" 'pushed', h.pushed)::text, h.version"
	" FROM deal_history h WHERE h.org_id = $1 AND h.deal_id = $2 AND h.version > $3::int"
	" ORDER BY h.version LIMIT $4");

/* Whether team `team` (its id's text) holds at least 1 % of the org's people, and 50. */
static enum status
team_is_large(struct db_conn *c, const char *org, const char *team, bool *out)
{
	const char *params[] = {org, team};
	PGresult *r = db_exec(c, &stmt_team_size, 2, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK) {
		long long n = strtoll(PQgetvalue(r, 0, 0), NULL, 10), all = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		*out = n >= 50 && n * 100 >= all;
	}
	PQclear(r);
	return st;
}

enum status
deal_list(struct db_conn *c, const char *org, const struct scope_rows *s, const struct deal_filter *f,
	  struct page *out)
{
	char team[24], after[24], self[24], owner[24], lim[16];
	const char *sp[3];
	PGresult *r;
	bool large = false;
	enum status st;

	row_scope_params(s, self, sizeof self, sp);
	const char *params[] = {
		org,
		row_int_param(f->after, after, sizeof after),
		row_id_param(f->owner_id, owner, sizeof owner),
		f->status,
		f->stage,
		f->type,
		f->segment,
		f->close_from,
		f->close_to,
		f->updated_since,
		f->external_id,
		row_int_param(f->limit + 1, lim, sizeof lim),
		row_id_param(f->team_id, team, sizeof team),
		sp[0],
		sp[1],
		sp[2],
	};
	/* planned per call: the best plan depends on which filters are given */
	if (s->all && f->team_id <= 0)
		r = db_exec_planned(c, &stmt_deal_list_all, 12, params);
	/*
	 * A close-date range: the narrow statement reads just the team's deals in it from
	 * its people's (owner, close date) index ranges, whatever the team's size; the wide
	 * one would scan the org's deals in id order until the page fills (162 ms for a
	 * 110-person team's quarter in a 10M-deal org, against ~11 ms). Without a range the
	 * wide one stops at the page while the narrow one reads every deal of the team.
	 */
	else if (f->team_id > 0 && !f->close_from && !f->close_to && (st = team_is_large(c, org, team, &large)) != ST_OK)
		return st;
	else
		r = db_exec_planned(c, large ? &stmt_deal_list_wide : &stmt_deal_list, 16, params);
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK)
		page_fill(out, r, f->limit);
	PQclear(r);
	return st;
}

enum status
deal_get(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id, struct rowjson *out)
{
	char idb[24], self[24];
	const char *sp[3];

	row_scope_params(s, self, sizeof self, sp);
	return row_exec(c, &stmt_deal_get, 5,
			(const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] }, out);
}

enum status
deal_readable(struct db_conn *c, const char *org, const struct scope_rows *s, const int64_t *ids, size_t n,
	      int64_t **out, size_t *nout)
{
	int64_t *v = NULL;
	PGresult *r;
	enum status st = exec_ids(c, &stmt_deal_readable, org, ids, n, s, &r);
	int rows = st == ST_OK ? PQntuples(r) : 0;

	if (st == ST_OK && !(v = malloc((rows ? (size_t)rows : 1) * sizeof *v)))
		st = ST_NOMEM;
	if (st == ST_OK) {
		for (int i = 0; i < rows; i++)
			v[i] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		*out = v;
		*nout = (size_t)rows;
	}
	PQclear(r);
	return st;
}

enum status
deal_lock(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
	  struct deal_current *out)
{
	char idb[24], self[24];
	const char *sp[3];
	struct deal_current cur = { 0 };
	PGresult *r;
	enum status st;

	row_scope_params(s, self, sizeof self, sp);
	st = row_exec_one(c, &stmt_deal_lock, 5,
			  (const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] }, &r);
	if (st != ST_OK)
		return st;
	cur.id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	cur.version = atoi(PQgetvalue(r, 0, 1));
	cur.owner_id = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	snprintf(cur.stage, sizeof cur.stage, "%s", PQgetvalue(r, 0, 3));
	cur.probability = atoi(PQgetvalue(r, 0, 4));
	snprintf(cur.forecast_category, sizeof cur.forecast_category, "%s", PQgetvalue(r, 0, 5));
	if (cal_date_parse(PQgetvalue(r, 0, 6), &cur.close_date) != ST_OK ||
	    cal_date_parse(PQgetvalue(r, 0, 7), &cur.created_on) != ST_OK)
		st = ST_INTERNAL;
	else {
		cur.owner_writable = PQgetvalue(r, 0, 8)[0] == 't';
		*out = cur;
	}
	PQclear(r);
	return st;
}

/* The splits of `in` in their stored order (by person id); returns their number. */
static size_t
splits_sorted(const struct deal_input *in, struct deal_split *out)
{
	memcpy(out, in->splits, in->nsplits * sizeof *out);
	deal_splits_sort(out, in->nsplits);
	return in->nsplits;
}

/* The split holders, then their percents, as PostgreSQL array literals. */
static void
persons_literal(struct buf *b, const struct deal_input *in)
{
	struct deal_split v[DEAL_MAX_SPLITS];
	size_t n = splits_sorted(in, v);

	buf_putc(b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(b, i ? ",%" PRId64 : "%" PRId64, v[i].person_id);
	buf_putc(b, '}');
}

static void
percents_literal(struct buf *b, const struct deal_input *in)
{
	struct deal_split v[DEAL_MAX_SPLITS];
	size_t n = splits_sorted(in, v);
	char num[32];

	buf_putc(b, '{');
	for (size_t i = 0; i < n; i++) {
		money_format(v[i].percent, num, sizeof num);
		buf_printf(b, i ? ",%s" : "%s", num);
	}
	buf_putc(b, '}');
}

/* Name the field of a failed deal write. */
static const struct row_constraint constraints[] = {
	{ "deals_external_id", "external_id", "another deal has this external_id" },
	{ "deals_owner_fk", "owner_id", "no such person" },
	{ "deals_stage_fk", "stage", "no such stage" },
	{ "deals_close_after_created", "close_date", "must not be before created_on" },
	{ "deals_splits", "splits", "the percents must sum to exactly 100" },
};

/* Run a create (id 0) or a change of deal `id`: the parameters of stmt_deal_create. */
static enum status
write_deal(struct db_conn *c, struct db_stmt *stmt, const char *org, const char *sub, int64_t id,
	   const struct deal_input *in, const struct deal_resolved *rs, struct rowjson *out, struct issues *e)
{
	char idb[24], owner[24], amount[32], prob[16], close[16], created[16];
	struct buf persons = { 0 }, percents = { 0 };
	enum status st = ST_NOMEM;

	persons_literal(&persons, in);
	percents_literal(&percents, in);
	if (persons.oom || percents.oom)
		goto out;
	const char *params[] = {
		org,
		in->set_external_id ? "true" : "false",
		in->set_external_id ? in->external_id : NULL,
		in->name,
		in->set_account ? "true" : "false",
		in->set_account ? in->account : NULL,
		row_id_param(in->owner_id, owner, sizeof owner),
		in->segment,
		in->type,
		row_money_param(in->set_amount, in->amount, amount, sizeof amount),
		rs->stage->key,
		row_int_param(rs->probability, prob, sizeof prob),
		rs->forecast_category,
		rs->status,
		row_date_param(in->set_close_date, in->close_date, close, sizeof close),
		row_date_param(in->set_created_on, in->created_on, created, sizeof created),
		in->set_splits ? "true" : "false",
		persons.data,
		percents.data,
		sub,
		row_id_param(id, idb, sizeof idb),
	};
	st = row_exec(c, stmt, id > 0 ? 21 : 20, params, out);
	if (st != ST_OK)
		row_explain(c, st, constraints, sizeof constraints / sizeof constraints[0], e);
out:
	buf_clear(&persons);
	buf_clear(&percents);
	return st;
}

enum status
deal_create(struct db_conn *c, const char *org, const char *sub, const struct deal_input *in,
	    const struct deal_resolved *rs, struct rowjson *out, struct issues *e)
{
	return write_deal(c, &stmt_deal_create, org, sub, 0, in, rs, out, e);
}

enum status
deal_update(struct db_conn *c, const char *org, const char *sub, const struct deal_current *cur,
	    const struct deal_input *in, const struct deal_resolved *rs, struct rowjson *out, struct issues *e)
{
	return write_deal(c, &stmt_deal_update, org, sub, cur->id, in, rs, out, e);
}

enum status
deal_delete(struct db_conn *c, const char *org, const char *sub, const struct deal_current *cur)
{
	char idb[24];

	return row_exec_command(c, &stmt_deal_delete, 3, (const char *[]){ org, row_id_param(cur->id, idb, sizeof idb), sub });
}

enum status
deal_history_list(struct db_conn *c, const char *org, int64_t id, int64_t after, int limit, struct page *out)
{
	char idb[24], aft[24], lim[16];
	const char *params[] = {
		org,
		row_id_param(id, idb, sizeof idb),
		row_int_param(after > 2000000000 ? 2000000000 : after, aft, sizeof aft),
		row_int_param(limit + 1, lim, sizeof lim),
	};

	return row_exec_page(c, &stmt_deal_history, 4, params, limit, out);
}

/* ---- bulk sync ------------------------------------------------------------------ */

/*
 * The batch travels by COPY into a temporary table, one row per item; the
 * database then checks what needs the stored deals, locks the deals being
 * changed, and upserts everything with one INSERT ... ON CONFLICT DO UPDATE
 * whose WHERE skips unchanged rows; a data-modifying CTE of the same
 * statement writes the history rows. Absent optional fields keep their
 * stored values, and a new deal takes the defaults: the rules of
 * deal_resolve and deal_defaults (deal.h), here in SQL because they merge
 * with the stored deal ($3 is DEAL_DEFAULT_TYPE). The two are checked
 * against each other by tests/integration/test_deals_rules.py.
 */
DB_STMT(stmt_bulk_lock_org, "SELECT pg_advisory_xact_lock(hashtextextended('deals:' || $1, 0))");

#define BULK_TABLE                                                                             \
	"CREATE TEMP TABLE deal_bulk_in (idx int NOT NULL, external_id text NOT NULL, name text NOT NULL," \
	" set_account bool NOT NULL, account text, owner_id bigint NOT NULL, segment text, type text,"    \
	" amount numeric(14, 2) NOT NULL, stage text NOT NULL, probability int, probability_reset bool NOT NULL," \
	" forecast_category text, forecast_reset bool NOT NULL, close_date date NOT NULL, created_on date,"    \
	" set_splits bool NOT NULL, split_person_ids bigint[], split_percents numeric(5, 2)[]) ON COMMIT DROP"

/*
 * Lock the stored deals the batch names (so the upsert's snapshot, taken
 * after, sees them as they stay until commit) and return the items those
 * deals or their owners refuse, with the enum deal_bulk_refusal of why.
 */
#define OUT_OF_SCOPE "0" /* enum deal_bulk_refusal in SQL */
#define NO_SEGMENT "1"
#define CLOSE_BEFORE_CREATED "2"
DB_STMT(stmt_bulk_reject,
	"WITH d AS MATERIALIZED (SELECT d.id, d.external_id, d.owner_id, d.split_person_ids, d.created_on"
	"  FROM deals d JOIN deal_bulk_in t ON d.org_id = $1 AND d.external_id = t.external_id FOR UPDATE OF d)"
	" SELECT t.idx, CASE WHEN d.id IS NULL THEN " NO_SEGMENT
	"  WHEN NOT " OWNER_IN_SCOPE("$2", "$3", "$4") " THEN " OUT_OF_SCOPE " ELSE " CLOSE_BEFORE_CREATED " END"
	" FROM deal_bulk_in t LEFT JOIN d ON d.external_id = t.external_id"
	" LEFT JOIN people p ON p.org_id = $1 AND p.id = t.owner_id"
	" WHERE (d.id IS NOT NULL AND NOT " OWNER_IN_SCOPE("$2", "$3", "$4") ")"
	"  OR (d.id IS NULL AND t.segment IS NULL AND coalesce(p.segment, '') = '')"
	"  OR (d.id IS NOT NULL AND t.created_on IS NULL AND d.created_on > t.close_date)"
	" ORDER BY t.idx");
DB_STMT(stmt_bulk_drop, "DELETE FROM deal_bulk_in WHERE idx = ANY($1::int[])");
DB_STMT(stmt_bulk_upsert,
	"WITH src AS (SELECT t.*, o.id AS old_id, o.account AS old_account, o.segment AS old_segment,"
	"  o.type AS old_type, o.stage AS old_stage, o.probability AS old_probability,"
	"  o.forecast_category AS old_forecast_category, o.close_date AS old_close_date,"
	"  o.created_on AS old_created_on, o.amount AS old_amount, o.split_person_ids AS old_split_person_ids,"
	"  o.split_percents AS old_split_percents, s.probability AS stage_probability,"
	"  s.forecast_category AS stage_forecast_category, s.is_won, s.is_lost, p.segment AS owner_segment"
	"  FROM deal_bulk_in t JOIN stages s ON s.org_id = $1 AND s.key = t.stage"
	"  JOIN people p ON p.org_id = $1 AND p.id = t.owner_id"
	"  LEFT JOIN deals o ON o.org_id = $1 AND o.external_id = t.external_id),"
	" today AS MATERIALIZED (SELECT " DB_ORG_TODAY " AS day),"
	" up AS (INSERT INTO deals AS d (org_id, external_id, name, account, owner_id, segment, type, amount,"
	"  stage, probability, forecast_category, status, close_date, created_on, split_person_ids,"
	"  split_percents)"
	"  SELECT $1, external_id, name, CASE WHEN set_account THEN account ELSE old_account END, owner_id,"
	"  coalesce(segment, old_segment, owner_segment), coalesce(type, old_type, $3), amount,"
	"  stage,"
	"  CASE WHEN probability IS NOT NULL THEN probability"
	"   WHEN old_id IS NOT NULL AND NOT probability_reset AND old_stage = stage THEN old_probability"
	"   ELSE stage_probability END,"
	"  CASE WHEN forecast_category IS NOT NULL THEN forecast_category"
	"   WHEN old_id IS NOT NULL AND NOT forecast_reset AND old_stage = stage THEN old_forecast_category"
	"   ELSE stage_forecast_category END,"
	"  CASE WHEN is_won THEN 'won' WHEN is_lost THEN 'lost' ELSE 'open' END, close_date,"
	"  coalesce(created_on, old_created_on, least(today.day, close_date)),"
	"  CASE WHEN set_splits THEN split_person_ids ELSE coalesce(old_split_person_ids, '{}') END,"
	"  CASE WHEN set_splits THEN split_percents ELSE coalesce(old_split_percents, '{}') END"
	"  FROM src, today"
	"  ON CONFLICT (org_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET"
	"  name = EXCLUDED.name, account = EXCLUDED.account, owner_id = EXCLUDED.owner_id,"
	"  segment = EXCLUDED.segment, type = EXCLUDED.type, amount = EXCLUDED.amount, stage = EXCLUDED.stage,"
	"  probability = EXCLUDED.probability, forecast_category = EXCLUDED.forecast_category,"
	"  status = EXCLUDED.status, close_date = EXCLUDED.close_date, created_on = EXCLUDED.created_on,"
	"  split_person_ids = EXCLUDED.split_person_ids, split_percents = EXCLUDED.split_percents,"
	"  pushes = d.pushes + CASE WHEN EXCLUDED.close_date > d.close_date THEN 1 ELSE 0 END,"
	"  version = d.version + 1, updated_at = now()"
	"  WHERE (d.name, d.account, d.owner_id, d.segment, d.type, d.amount, d.stage, d.probability,"
	"   d.forecast_category, d.close_date, d.created_on, d.split_person_ids, d.split_percents)"
	"   IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.account, EXCLUDED.owner_id, EXCLUDED.segment,"
	"   EXCLUDED.type, EXCLUDED.amount, EXCLUDED.stage, EXCLUDED.probability, EXCLUDED.forecast_category,"
	"   EXCLUDED.close_date, EXCLUDED.created_on, EXCLUDED.split_person_ids, EXCLUDED.split_percents)"
	"  RETURNING d.id, d.external_id, d.version, d.stage, d.close_date, d.amount, d.probability,"
	"  d.forecast_category, d.status, d.owner_id, d.xmax = 0 AS created),"
	" h AS (INSERT INTO deal_history (" HISTORY_COLUMNS ")"
	"  SELECT $1, u.id, u.version, $2, CASE WHEN u.created THEN 'created' ELSE 'changed' END,"
	"  s.old_stage, u.stage, s.old_close_date, u.close_date, s.old_amount, u.amount, u.probability,"
	"  u.forecast_category, u.status, u.owner_id, coalesce(u.close_date > s.old_close_date, false)"
	"  FROM up u JOIN src s ON s.external_id = u.external_id"
	"  WHERE u.created OR (s.old_stage, s.old_close_date, s.old_amount, s.old_probability,"
	"   s.old_forecast_category) IS DISTINCT FROM (u.stage, u.close_date, u.amount, u.probability,"
	"   u.forecast_category))"
	" SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up");

void
deal_bulk_clear(struct deal_bulk *b)
{
	buf_clear(&b->copy);
	free(b->lines);
	memset(b, 0, sizeof *b);
}

void
deal_bulk_result_clear(struct deal_bulk_result *r)
{
	free(r->rejects);
	memset(r, 0, sizeof *r);
}

static void
copy_sep(struct buf *b)
{
	buf_putc(b, '\t');
}

enum status
deal_bulk_add(struct deal_bulk *b, int index, const struct deal_input *in)
{
	char num[32], day[16];
	size_t off = b->copy.len;

	if (b->nlines == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct deal_bulk_line *lines = realloc(b->lines, cap * sizeof *lines);
		if (!lines)
			return ST_NOMEM;
		b->lines = lines;
		b->cap = cap;
	}
	buf_printf(&b->copy, "%d\t", index);
	row_copy_text(&b->copy, in->external_id);
	copy_sep(&b->copy);
	row_copy_text(&b->copy, in->name);
	buf_puts(&b->copy, in->set_account ? "\tt\t" : "\tf\t");
	row_copy_text(&b->copy, in->set_account ? in->account : NULL);
	buf_printf(&b->copy, "\t%" PRId64 "\t", in->owner_id);
	row_copy_text(&b->copy, in->segment);
	copy_sep(&b->copy);
	row_copy_text(&b->copy, in->type);
	money_format(in->amount, num, sizeof num);
	buf_printf(&b->copy, "\t%s\t", num);
	row_copy_text(&b->copy, in->stage);
	if (in->probability_mode == DEAL_SET)
		buf_printf(&b->copy, "\t%d", in->probability);
	else
		buf_puts(&b->copy, "\t\\N");
	buf_puts(&b->copy, in->probability_mode == DEAL_DEFAULT ? "\tt\t" : "\tf\t");
	row_copy_text(&b->copy, in->forecast_mode == DEAL_SET ? in->forecast_category : NULL);
	buf_puts(&b->copy, in->forecast_mode == DEAL_DEFAULT ? "\tt\t" : "\tf\t");
	cal_date_format(in->close_date, day, sizeof day);
	buf_puts(&b->copy, day);
	copy_sep(&b->copy);
	if (in->set_created_on) {
		cal_date_format(in->created_on, day, sizeof day);
		buf_puts(&b->copy, day);
	} else
		buf_puts(&b->copy, "\\N");
	if (in->set_splits) {
		buf_puts(&b->copy, "\tt\t");
		persons_literal(&b->copy, in);
		copy_sep(&b->copy);
		percents_literal(&b->copy, in);
	} else
		buf_puts(&b->copy, "\tf\t\\N\t\\N");
	buf_putc(&b->copy, '\n');
	if (b->copy.oom)
		return ST_NOMEM;
	b->lines[b->nlines++] = (struct deal_bulk_line){ .index = index, .off = off, .len = b->copy.len - off };
	return ST_OK;
}

/* Send the accepted lines through COPY, in chunks of about 1 MB. */
static enum status
bulk_copy(struct db_conn *c, const struct deal_bulk *b)
{
	enum status st = db_copy_start(c, "COPY deal_bulk_in FROM STDIN");
	size_t i = 0;

	if (st != ST_OK)
		return st;
	while (i < b->nlines && st == ST_OK) {
		/* runs of adjacent accepted lines go out as one piece */
		while (i < b->nlines && b->lines[i].rejected)
			i++;
		if (i == b->nlines)
			break;
		size_t start = b->lines[i].off, end = start;
		while (i < b->nlines && !b->lines[i].rejected && end - start < (1u << 20))
			end = b->lines[i].off + b->lines[i].len, i++;
		st = db_copy_put(c, b->copy.data + start, end - start);
	}
	enum status st2 = db_copy_end(c);
	return st != ST_OK ? st : st2;
}

/* The items the stored deals refuse, into out->rejects (and dropped unless atomic). */
static enum status
bulk_reject(struct db_conn *c, const char *org, const struct scope_rows *s, bool atomic,
	    struct deal_bulk_result *out)
{
	char self[24];
	const char *sp[3];
	struct buf idx = { 0 };
	PGresult *r;
	enum status st;
	int n;

	row_scope_params(s, self, sizeof self, sp);
	r = db_exec(c, &stmt_bulk_reject, 4, (const char *[]){ org, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK || (n = PQntuples(r)) == 0)
		goto out;
	out->rejects = calloc((size_t)n, sizeof *out->rejects);
	if (!out->rejects) {
		st = ST_NOMEM;
		goto out;
	}
	buf_putc(&idx, '{');
	for (int i = 0; i < n; i++) {
		out->rejects[i] = (struct deal_bulk_reject){ .index = atoi(PQgetvalue(r, i, 0)),
							     .why = (enum deal_bulk_refusal)atoi(PQgetvalue(r, i, 1)) };
		buf_printf(&idx, i ? ",%s" : "%s", PQgetvalue(r, i, 0));
	}
	buf_putc(&idx, '}');
	out->nrejects = (size_t)n;
	if (atomic)
		goto out;
	if (idx.oom) {
		st = ST_NOMEM;
		goto out;
	}
	PQclear(r);
	r = db_exec(c, &stmt_bulk_drop, 1, (const char *[]){ idx.data });
	st = db_check(c, r, PGRES_COMMAND_OK);
out:
	PQclear(r);
	buf_clear(&idx);
	return st;
}

enum status
deal_bulk_run(struct db_conn *c, const char *org, const char *sub, const struct scope_rows *s,
	      struct deal_bulk *b, bool atomic, struct deal_bulk_result *out)
{
	struct deal_bulk_result res = { 0 };
	PGresult *r = NULL;
	enum status st;
	long accepted = 0;

	for (size_t i = 0; i < b->nlines; i++)
		accepted += !b->lines[i].rejected;
	if (accepted == 0) {
		*out = res;
		return ST_OK;
	}
	r = db_exec(c, &stmt_bulk_lock_org, 1, (const char *[]){ org });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	/*
	 * The batch can hold more deals than the org had when deals was last
	 * analyzed: with stale statistics the planner may scan deals once per
	 * item. Every lookup of a stored deal goes through an index instead,
	 * until the transaction ends; and the costs that setting inflates must
	 * not send the statements to JIT compilation (a second per statement).
	 */
	if ((st = row_exec_raw(c, "SET LOCAL enable_seqscan = off")) != ST_OK ||
	    (st = row_exec_raw(c, "SET LOCAL jit = off")) != ST_OK || (st = row_exec_raw(c, BULK_TABLE)) != ST_OK ||
	    (st = bulk_copy(c, b)) != ST_OK)
		goto out;
	if ((st = bulk_reject(c, org, s, atomic, &res)) != ST_OK)
		goto out;
	if (res.nrejects && atomic) {
		st = ST_INVALID;
		goto out;
	}
	accepted -= (long)res.nrejects;
	PQclear(r);
	r = db_exec(c, &stmt_bulk_upsert, 3, (const char *[]){ org, sub, DEAL_DEFAULT_TYPE });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	res.counts.created = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	res.counts.updated = strtol(PQgetvalue(r, 0, 1), NULL, 10);
	res.counts.unchanged = accepted - res.counts.created - res.counts.updated;
out:
	PQclear(r);
	if (st == ST_OK || st == ST_INVALID)
		*out = res;
	else
		deal_bulk_result_clear(&res);
	return st;
}
