#include "quota/store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/money.h"
#include "quota/render.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * The columns every quota read returns, in this order (QC_*): the stored
 * quota as JSON, what the ramp needs, and the amount as exact text. Scalar
 * subqueries rather than a join, so RETURNING can use them too.
 */
#define QUOTA_COLS                                                                                 \
	"quota_doc(q)::text, q.id, q.version, q.assignee_type, coalesce(q.person_id, q.team_id),"  \
	" (SELECT " DB_DAY("p.hired_on") " FROM people p WHERE p.org_id = q.org_id AND p.id = q.person_id)," \
	" (SELECT p.ramp_months FROM people p WHERE p.org_id = q.org_id AND p.id = q.person_id),"   \
	" " DB_DAY("q.period_start") ", " DB_DAY("q.period_end") ", q.amount::text"
enum { QC_JSON, QC_ID, QC_VERSION, QC_TYPE, QC_ASSIGNEE, QC_HIRED, QC_RAMP, QC_START, QC_END, QC_AMOUNT };

/* Deals of a metric and filter: $m metric, $t type, $s segment (parameter numbers). */
#define METRIC_VALUE(m) \
	"CASE WHEN " m "::text = 'deal_count' THEN round(sum(c.percent) / 100, 2) ELSE sum(c.credit) END"
#define DEAL_FILTER(t, s) "(" t "::text IS NULL OR d.type = " t ") AND (" s "::text IS NULL OR d.segment = " s ")"
#define CREDITS "deal_credits c JOIN deals d ON d.org_id = c.org_id AND d.id = c.deal_id"

void
quota_current_clear(struct quota_current *q)
{
	free(q->notes);
	memset(q, 0, sizeof *q);
}

/* ---- parameters ------------------------------------------------------------------ */

/* "{1,2,3}" (malloc'd; NULL on OOM). */
static char *
ids_literal(const int64_t *ids, size_t n)
{
	struct buf b = { 0 };

	buf_putc(&b, '{');
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, i ? ",%" PRId64 : "%" PRId64, ids[i]);
	buf_putc(&b, '}');
	return buf_take(&b);
}

static void
key_params(const struct quota_key *k, struct key_params *p)
{
	cal_date_format(k->period.start, p->start, sizeof p->start);
	cal_date_format(k->period.end, p->end, sizeof p->end);
	p->grain = period_grain_name(k->period.grain);
	p->metric = quota_metric_name(k->metric);
	p->type = k->filter_type;
	p->segment = k->filter_segment;
}

/* ---- quota JSON ------------------------------------------------------------------ */

/* The order of a quota's fields in answers. */
static const char *const quota_fields[] = { "id", "assignee", "period", "grain", "period_start", "period_end",
					    "metric", "filter", "amount", "effective_amount", "ramp_factor_pct",
					    "notes", "version", "created_at", "updated_at", NULL };

/* Row i of a QUOTA_COLS result as the answer's JSON text (malloc'd) in *out. */
static enum status
finish_row(const PGresult *r, int i, const struct quota_ramp *ramp, char **out)
{
	json_t *doc = json_loads(PQgetvalue(r, i, QC_JSON), 0, NULL), *o = json_object();
	int64_t amount = 0, effective, factor = 10000;
	cal_date start = 0, end = 0, hired = -1;
	bool person = strcmp(PQgetvalue(r, i, QC_TYPE), "person") == 0;
	enum status st = ST_NOMEM;
	char *text;

	if (!doc || !o)
		goto out;
	if (money_parse_text(PQgetvalue(r, i, QC_AMOUNT), &amount) != ST_OK ||
	    cal_date_parse(PQgetvalue(r, i, QC_START), &start) != ST_OK ||
	    cal_date_parse(PQgetvalue(r, i, QC_END), &end) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	if (person && !PQgetisnull(r, i, QC_HIRED) && cal_date_parse(PQgetvalue(r, i, QC_HIRED), &hired) != ST_OK)
		hired = -1;
	if (person)
		factor = quota_ramp_factor_bp(hired, PQgetisnull(r, i, QC_RAMP) ? 0 : atoi(PQgetvalue(r, i, QC_RAMP)),
					      ramp->curve_bp, ramp->ncurve, start, end);
	effective = quota_apply_factor(amount, factor);
	json_object_set_new(doc, "amount", money_to_json(amount));
	json_object_set_new(doc, "effective_amount", money_to_json(effective));
	json_object_set_new(doc, "ramp_factor_pct", person ? quota_render_pct(factor) : json_null());
	for (int k = 0; quota_fields[k]; k++) {
		json_t *v = json_object_get(doc, quota_fields[k]);
		json_object_set(o, quota_fields[k], v ? v : json_null());
	}
	if ((text = json_dumps(o, JSON_FLAGS))) {
		*out = text;
		st = ST_OK;
	}
out:
	json_decref(doc);
	json_decref(o);
	return st;
}

/* The assignee in columns col (type) and col + 1 (id) of row i. */
static struct quota_ref
ref_of(const PGresult *r, int i, int col)
{
	return (struct quota_ref){ strcmp(PQgetvalue(r, i, col), "team") == 0 ? QUOTA_TEAM : QUOTA_PERSON,
				   strtoll(PQgetvalue(r, i, col + 1), NULL, 10) };
}

/* The one row of a QUOTA_COLS result into *out (and its assignee). */
static enum status
take_quota(const PGresult *r, const struct quota_ramp *ramp, struct rowjson *out, struct quota_ref *assignee)
{
	enum status st;
	char *json = NULL;

	if (PQntuples(r) != 1)
		return ST_NOT_FOUND;
	if ((st = finish_row(r, 0, ramp, &json)) != ST_OK)
		return st;
	out->json = json;
	out->id = strtoll(PQgetvalue(r, 0, QC_ID), NULL, 10);
	out->version = atoi(PQgetvalue(r, 0, QC_VERSION));
	if (assignee)
		*assignee = ref_of(r, 0, QC_TYPE);
	return ST_OK;
}

/* ---- statements ------------------------------------------------------------------ */

DB_STMT(stmt_author, "SELECT set_config('attain.sub', $1, true), set_config('attain.source', $2, true)");
DB_STMT(stmt_quota_get, "SELECT " QUOTA_COLS " FROM quotas q WHERE q.org_id = $1 AND q.id = $2");
DB_STMT(stmt_quota_lock,
	"SELECT q.id, q.version, q.assignee_type, coalesce(q.person_id, q.team_id), q.period, q.grain,"
	" " DB_DAY("q.period_start") ", " DB_DAY("q.period_end") ", q.metric, q.filter_type, q.filter_segment,"
	" q.amount::text, q.notes FROM quotas q WHERE q.org_id = $1 AND q.id = $2 FOR UPDATE");
DB_STMT(stmt_quota_create,
	"INSERT INTO quotas AS q (org_id, assignee_type, person_id, team_id, period, grain, period_start,"
	" period_end, metric, filter_type, filter_segment, amount, notes)"
	" VALUES ($1, $2, CASE WHEN $2 = 'person' THEN $3::bigint END, CASE WHEN $2 = 'team' THEN $3::bigint END,"
	" $4, $5, $6::date, $7::date, $8, $9, $10, $11::numeric, $12) RETURNING " QUOTA_COLS);
/*
 * A change: only when it changes something (no new version, no audit entry
 * otherwise: DESIGN §5), so no row when the quota already is `in`.
 */
#define QUOTA_UPDATE_COLS                                                                      \
	"assignee_type, person_id, team_id, period, grain, period_start, period_end, metric,"     \
	" filter_type, filter_segment, amount, notes"
#define QUOTA_UPDATE_VALUES                                                                    \
	"$3::text, CASE WHEN $3 = 'person' THEN $4::bigint END, CASE WHEN $3 = 'team' THEN $4::bigint END," \
	" $5::text, $6::text, $7::date, $8::date, $9::text, $10::text, $11::text, $12::numeric, $13::text"
DB_STMT(stmt_quota_update,
	"UPDATE quotas q SET (" QUOTA_UPDATE_COLS ") = (" QUOTA_UPDATE_VALUES "), version = version + 1,"
	" updated_at = now() WHERE q.org_id = $1 AND q.id = $2"
	" AND ROW(" QUOTA_UPDATE_VALUES ") IS DISTINCT FROM ROW(" QUOTA_UPDATE_COLS ") RETURNING " QUOTA_COLS);
DB_STMT(stmt_quota_delete, "DELETE FROM quotas WHERE org_id = $1 AND id = $2");

/* The subtree of $12 for the list, as a CTE in front of it. */
#define SUBTREE_12                                                                                 \
	"WITH RECURSIVE sub(id) AS (SELECT $12::bigint UNION SELECT t.id FROM teams t JOIN sub"     \
	" ON t.parent_id = sub.id WHERE t.org_id = $1) "

/*
 * The list: the scope ($3 all, $4 self, $5 teams) and the filters ($6/$7
 * assignee, $8..$10 period, $11 metric, $12 team subtree).
 */
DB_STMT(stmt_quota_list,
	SUBTREE_12 "SELECT " QUOTA_COLS " FROM quotas q WHERE q.org_id = $1 AND q.id > $2::bigint"
	" AND ($3::bool OR q.person_id = $4::bigint OR q.team_id = ANY($5::bigint[])"
	"      OR q.person_id IN (SELECT p.id FROM people p WHERE p.org_id = $1 AND p.team_id = ANY($5::bigint[])))"
	" AND ($6::text IS NULL OR (q.assignee_type = $6 AND coalesce(q.person_id, q.team_id) = $7::bigint))"
	" AND ($8::text IS NULL OR (q.grain = $8 AND q.period_start = $9::date AND q.period_end = $10::date))"
	" AND ($11::text IS NULL OR q.metric = $11)"
	" AND ($12::bigint IS NULL OR q.team_id IN (SELECT id FROM sub) OR q.person_id IN"
	"      (SELECT p.id FROM people p WHERE p.org_id = $1 AND p.team_id IN (SELECT id FROM sub)))"
	" ORDER BY q.id LIMIT $13");
DB_STMT(stmt_quota_upsert,
	"INSERT INTO quotas AS q (org_id, assignee_type, person_id, team_id, period, grain, period_start,"
	" period_end, metric, filter_type, filter_segment, amount)"
	" SELECT $1, u.t, CASE WHEN u.t = 'person' THEN u.a END, CASE WHEN u.t = 'team' THEN u.a END,"
	" u.p, u.g, u.s, u.e, $9, $10, $11, u.m"
	" FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::date[], $7::date[], $8::numeric[])"
	" AS u (t, a, p, g, s, e, m)"
	" ON CONFLICT ON CONSTRAINT quotas_one DO UPDATE SET amount = EXCLUDED.amount, version = q.version + 1,"
	" updated_at = now() WHERE q.amount IS DISTINCT FROM EXCLUDED.amount");
DB_STMT(stmt_quota_upserted,
	"SELECT " QUOTA_COLS " FROM unnest($2::text[], $3::bigint[], $4::text[], $5::date[])"
	" WITH ORDINALITY AS u (t, a, g, s, n)"
	" JOIN quotas q ON q.org_id = $1 AND q.assignee_type = u.t AND coalesce(q.person_id, q.team_id) = u.a"
	" AND q.grain = u.g AND q.period_start = u.s AND q.metric = $6"
	" AND q.filter_type IS NOT DISTINCT FROM $7::text AND q.filter_segment IS NOT DISTINCT FROM $8::text"
	" ORDER BY u.n");

DB_STMT(stmt_history_assignee,
	"SELECT assignee_type, coalesce(person_id, team_id), action FROM quota_history"
	" WHERE org_id = $1 AND quota_id = $2 ORDER BY seq DESC LIMIT 1");
DB_STMT(stmt_history_list,
	"SELECT json_build_object('id', h.seq::text, 'quota_id', h.quota_id::text, 'at', " DB_TS("h.at") ","
	" 'sub', h.sub, 'action', h.action, 'source', h.source, 'before', h.before, 'after', h.after)::text, h.seq"
	" FROM quota_history h WHERE h.org_id = $1 AND h.quota_id = $2 AND h.seq > $3::bigint"
	" ORDER BY h.seq LIMIT $4");

/* The quotas of a key's period, metric and filter: $3 grain, $4 start, $5 metric, $6 type, $7 segment. */
#define KEY_MATCH(col)                                                                             \
	"q.org_id = $1 AND q." col " AND q.grain = $3 AND q.period_start = $4::date AND q.metric = $5" \
	" AND q.filter_type IS NOT DISTINCT FROM $6::text AND q.filter_segment IS NOT DISTINCT FROM $7::text"
/* The subtree of team $2, or every team of the org (from its root teams) when $2 is NULL. */
#define SUBTREE_2                                                                                  \
	"WITH RECURSIVE sub(id, depth) AS (SELECT id, 0 FROM teams WHERE org_id = $1"                \
	" AND (id = $2::bigint OR ($2::bigint IS NULL AND parent_id IS NULL))"                      \
	" UNION ALL SELECT t.id, sub.depth + 1 FROM teams t JOIN sub ON t.parent_id = sub.id WHERE t.org_id = $1) "
DB_STMT(stmt_tree_teams,
	SUBTREE_2 "SELECT t.id, coalesce(t.parent_id, 0), coalesce(t.manager_id, 0), sub.depth, t.name, q.id,"
		  " q.amount::text FROM sub JOIN teams t ON t.org_id = $1 AND t.id = sub.id"
		  " LEFT JOIN quotas q ON " KEY_MATCH("team_id = t.id"));
DB_STMT(stmt_tree_people,
	SUBTREE_2 "SELECT p.id, p.team_id, p.active, " DB_DAY("p.hired_on") ", p.ramp_months, p.name, q.id,"
		  " q.amount::text FROM sub JOIN people p ON p.org_id = $1 AND p.team_id = sub.id"
		  " LEFT JOIN quotas q ON " KEY_MATCH("person_id = p.id"));

/* Person $2 alone with the quota of key $3..$7 (a person's performance needs no tree). */
DB_STMT(stmt_tree_person,
	"SELECT p.id, coalesce(p.team_id, 0), p.active, " DB_DAY("p.hired_on") ", p.ramp_months, p.name, q.id,"
	" q.amount::text FROM people p LEFT JOIN quotas q ON " KEY_MATCH("person_id = p.id")
	" WHERE p.org_id = $1 AND p.id = $2::bigint");

/*
 * The quotas of assignee $2 ('person' or 'team') $3 of finer grain inside
 * the period $4..$5 ($6 its grain), metric $7 and filter $8, $9: a split.
 */
DB_STMT(stmt_quota_parts,
	"SELECT q.grain, " DB_DAY("q.period_start") ", " DB_DAY("q.period_end") ", q.amount::text FROM quotas q"
	" WHERE q.org_id = $1 AND q.assignee_type = $2"
	" AND (q.person_id = CASE WHEN $2 = 'person' THEN $3::bigint END"
	"  OR q.team_id = CASE WHEN $2 = 'team' THEN $3::bigint END)"
	" AND q.period_start >= $4::date AND q.period_end <= $5::date AND q.grain <> $6 AND q.metric = $7"
	" AND q.filter_type IS NOT DISTINCT FROM $8::text AND q.filter_segment IS NOT DISTINCT FROM $9::text"
	" ORDER BY q.grain, q.period_start");

DB_STMT(stmt_won_by_person,
	"SELECT c.person_id, " METRIC_VALUE("$5") " FROM " CREDITS
	" WHERE c.org_id = $1 AND c.person_id = ANY($2::bigint[]) AND d.status = 'won'"
	" AND d.close_date BETWEEN $3::date AND $4::date AND " DEAL_FILTER("$6", "$7") " GROUP BY c.person_id");
DB_STMT(stmt_won_monthly,
	"SELECT to_char(d.close_date, 'YYYY-MM'), " METRIC_VALUE("$5") " FROM " CREDITS
	" WHERE c.org_id = $1 AND c.person_id = ANY($2::bigint[]) AND d.status = 'won'"
	" AND d.close_date BETWEEN $3::date AND $4::date AND " DEAL_FILTER("$6", "$7") " GROUP BY 1");
DB_STMT(stmt_open_pipeline,
	"SELECT coalesce(" METRIC_VALUE("$5") ", 0),"
	" coalesce(CASE WHEN $5::text = 'deal_count' THEN round(sum(c.percent * d.probability) / 10000, 2)"
	"  ELSE round(sum(c.credit * d.probability) / 100, 2) END, 0), count(DISTINCT d.id) FROM " CREDITS
	" WHERE c.org_id = $1 AND c.person_id = ANY($2::bigint[]) AND d.status = 'open'"
	" AND d.close_date BETWEEN $3::date AND $4::date AND " DEAL_FILTER("$6", "$7"));

/* ---- writes ---------------------------------------------------------------------- */

/*
 * Run s, whose answer is one row, into *out (PQclear it, also on failure).
 * ST_NOT_FOUND when it has none.
 */
static enum status
exec_row(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, PGresult **out)
{
	enum status st = db_check(c, *out = db_exec(c, s, n, params), PGRES_TUPLES_OK);

	return st == ST_OK && PQntuples(*out) != 1 ? ST_NOT_FOUND : st;
}

/* Run s about quota `id` ($1 org, $2 id) for its one row, as exec_row. */
static enum status
exec_quota_row(struct db_conn *c, struct db_stmt *s, const char *org, int64_t id, PGresult **out)
{
	char idb[24];

	return exec_row(c, s, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) }, out);
}

/* Name the writer of the transaction's quota changes (read by the audit trigger). */
static enum status
set_author(struct db_conn *c, const char *sub, const char *source)
{
	PGresult *r;
	enum status st = exec_row(c, &stmt_author, 2, (const char *[]){ sub, source }, &r);

	PQclear(r);
	return st;
}

static const struct row_constraint constraints[] = {
	{ "quotas_one", "assignee", "already has a quota for this period, metric and filter" },
	{ "quotas_person_fk", "assignee", "no such person or team" },
	{ "quotas_team_fk", "assignee", "no such person or team" },
	{ "quotas_whole_deals", "amount", "a deal_count quota is a whole number of deals" },
};

/* The parameters of a write: $n .. $n+10 from assignee type to notes. */
struct write_params {
	char assignee[24], start[16], end[16], amount[32];
};

static void
write_params(const struct quota_write *in, struct write_params *b, const char **p)
{
	const struct quota_key *k = &in->key;

	cal_date_format(k->period.start, b->start, sizeof b->start);
	cal_date_format(k->period.end, b->end, sizeof b->end);
	money_format(in->amount, b->amount, sizeof b->amount);
	p[0] = quota_assignee_name(k->assignee.type);
	p[1] = row_id_param(k->assignee.id, b->assignee, sizeof b->assignee);
	p[2] = k->period.id;
	p[3] = period_grain_name(k->period.grain);
	p[4] = b->start;
	p[5] = b->end;
	p[6] = quota_metric_name(k->metric);
	p[7] = k->filter_type;
	p[8] = k->filter_segment;
	p[9] = b->amount;
	p[10] = in->notes;
}

/*
 * Create (id 0) or update quota `id` by s to the state `in`, by `sub`, into
 * *out; a failed constraint names its field in e.
 */
static enum status
write_quota(struct db_conn *c, struct db_stmt *s, const char *org, const char *sub, int64_t id,
	    const struct quota_ramp *ramp, const struct quota_write *in, struct rowjson *out, struct issues *e)
{
	struct write_params b;
	char idb[24];
	const char *params[13] = { org, row_id_param(id, idb, sizeof idb) };
	int first = id > 0 ? 2 : 1; /* an update names the quota in $2 */
	PGresult *r;
	enum status st = set_author(c, sub, "api");

	if (st != ST_OK)
		return st;
	write_params(in, &b, params + first);
	st = db_check(c, r = db_exec(c, s, first + 11, params), PGRES_TUPLES_OK);
	if (st == ST_OK)
		st = take_quota(r, ramp, out, NULL);
	else
		row_explain(c, st, constraints, sizeof constraints / sizeof constraints[0], e);
	PQclear(r);
	return st;
}

enum status
quota_store_create(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp,
		   const struct quota_write *in, struct rowjson *out, struct issues *e)
{
	return write_quota(c, &stmt_quota_create, org, sub, 0, ramp, in, out, e);
}

enum status
quota_store_update(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp, int64_t id,
		   const struct quota_write *in, struct rowjson *out, struct issues *e)
{
	enum status st = write_quota(c, &stmt_quota_update, org, sub, id, ramp, in, out, e);

	/* no row: the locked quota already is `in`, and stays as it is */
	return st == ST_NOT_FOUND ? quota_store_get(c, org, ramp, id, out, NULL) : st;
}

enum status
quota_store_delete(struct db_conn *c, const char *org, const char *sub, int64_t id)
{
	char idb[24];
	enum status st;

	if ((st = set_author(c, sub, "api")) != ST_OK)
		return st;
	return row_exec_command(c, &stmt_quota_delete, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) });
}

/* Parallel arrays of a batch, as PostgreSQL array literals. */
struct batch {
	struct buf types, assignees, periods, grains, starts, ends, amounts;
};

static void
batch_clear(struct batch *b)
{
	buf_clear(&b->types);
	buf_clear(&b->assignees);
	buf_clear(&b->periods);
	buf_clear(&b->grains);
	buf_clear(&b->starts);
	buf_clear(&b->ends);
	buf_clear(&b->amounts);
}

static bool
batch_build(struct batch *b, const struct quota_write *items, int n)
{
	struct buf *all[] = { &b->types, &b->assignees, &b->periods, &b->grains, &b->starts, &b->ends, &b->amounts };
	char day[16], money[32];

	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
		buf_putc(all[k], '{');
	for (int i = 0; i < n; i++) {
		const struct quota_key *k = &items[i].key;
		const char *sep = i ? "," : "";
		buf_printf(&b->types, "%s%s", sep, quota_assignee_name(k->assignee.type));
		buf_printf(&b->assignees, "%s%" PRId64, sep, k->assignee.id);
		buf_printf(&b->periods, "%s%s", sep, k->period.id); /* ids hold no quote, comma or brace */
		buf_printf(&b->grains, "%s%s", sep, period_grain_name(k->period.grain));
		cal_date_format(k->period.start, day, sizeof day);
		buf_printf(&b->starts, "%s%s", sep, day);
		cal_date_format(k->period.end, day, sizeof day);
		buf_printf(&b->ends, "%s%s", sep, day);
		money_format(items[i].amount, money, sizeof money);
		buf_printf(&b->amounts, "%s%s", sep, money);
	}
	bool oom = false;
	for (size_t k = 0; k < sizeof all / sizeof all[0]; k++) {
		buf_putc(all[k], '}');
		oom = oom || all[k]->oom;
	}
	return !oom;
}

enum status
quota_store_upsert_many(struct db_conn *c, const char *org, const char *sub, const char *source,
		  const struct quota_ramp *ramp, const struct quota_write *items, int n, int64_t *ids, char **jsons)
{
	struct batch b = { 0 };
	enum status st;
	PGresult *r = NULL;
	int got = 0;

	if (n < 1)
		return ST_INVALID;
	if ((st = set_author(c, sub, source)) != ST_OK)
		return st;
	if (!batch_build(&b, items, n)) {
		st = ST_NOMEM;
		goto out;
	}
	const char *metric = quota_metric_name(items[0].key.metric);
	const char *up[] = { org, b.types.data, b.assignees.data, b.periods.data, b.grains.data, b.starts.data,
			     b.ends.data, b.amounts.data, metric, items[0].key.filter_type,
			     items[0].key.filter_segment };
	if ((st = row_exec_command(c, &stmt_quota_upsert, 11, up)) != ST_OK)
		goto out;
	const char *sel[] = { org, b.types.data, b.assignees.data, b.grains.data, b.starts.data, metric,
			      items[0].key.filter_type, items[0].key.filter_segment };
	r = db_exec(c, &stmt_quota_upserted, 8, sel);
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) != n) {
		st = ST_INTERNAL;
		goto out;
	}
	for (got = 0; got < n; got++) {
		ids[got] = strtoll(PQgetvalue(r, got, QC_ID), NULL, 10);
		if (jsons && (st = finish_row(r, got, ramp, &jsons[got])) != ST_OK)
			break;
	}
	if (st != ST_OK && jsons)
		for (int i = 0; i < got; i++) {
			free(jsons[i]);
			jsons[i] = NULL;
		}
out:
	PQclear(r);
	batch_clear(&b);
	return st;
}

/* ---- reads ----------------------------------------------------------------------- */

enum status
quota_store_get(struct db_conn *c, const char *org, const struct quota_ramp *ramp, int64_t id, struct rowjson *out,
	  struct quota_ref *assignee)
{
	PGresult *r;
	enum status st = exec_quota_row(c, &stmt_quota_get, org, id, &r);

	if (st == ST_OK)
		st = take_quota(r, ramp, out, assignee);
	PQclear(r);
	return st;
}

enum status
quota_store_lock(struct db_conn *c, const char *org, int64_t id, struct quota_current *out)
{
	struct quota_current q = { 0 };
	PGresult *r;
	enum status st = exec_quota_row(c, &stmt_quota_lock, org, id, &r);

	if (st != ST_OK)
		goto out;
	q.id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	q.version = atoi(PQgetvalue(r, 0, 1));
	q.key.assignee = ref_of(r, 0, 2);
	snprintf(q.key.period.id, sizeof q.key.period.id, "%s", PQgetvalue(r, 0, 4));
	if (period_grain_parse(PQgetvalue(r, 0, 5), &q.key.period.grain) != ST_OK ||
	    cal_date_parse(PQgetvalue(r, 0, 6), &q.key.period.start) != ST_OK ||
	    cal_date_parse(PQgetvalue(r, 0, 7), &q.key.period.end) != ST_OK ||
	    money_parse_text(PQgetvalue(r, 0, 11), &q.amount) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	q.key.metric = quota_metric_from_name(PQgetvalue(r, 0, 8));
	snprintf(q.filter_type, sizeof q.filter_type, "%s", PQgetvalue(r, 0, 9));
	snprintf(q.filter_segment, sizeof q.filter_segment, "%s", PQgetvalue(r, 0, 10));
	if (!PQgetisnull(r, 0, 12) && !(q.notes = strdup(PQgetvalue(r, 0, 12)))) {
		st = ST_NOMEM;
		goto out;
	}
	*out = q;
	out->key.filter_type = PQgetisnull(r, 0, 9) ? NULL : out->filter_type;
	out->key.filter_segment = PQgetisnull(r, 0, 10) ? NULL : out->filter_segment;
out:
	PQclear(r);
	return st;
}

enum status
quota_store_list(struct db_conn *c, const char *org, const struct quota_ramp *ramp, const struct scope_rows *s,
	   const struct quota_filter *f, struct page *out)
{
	char after[24], self[24], assignee[24], start[16], end[16], team[24], lim[16];
	const char *params[] = {
		org,
		row_int_param(f->after, after, sizeof after),
		s->all ? "true" : "false",
		row_id_param(s->person_id, self, sizeof self),
		s->teams ? s->teams : "{}",
		f->by_assignee ? quota_assignee_name(f->assignee.type) : NULL,
		f->by_assignee ? row_id_param(f->assignee.id, assignee, sizeof assignee) : NULL,
		f->by_period ? period_grain_name(f->period.grain) : NULL,
		NULL,
		NULL,
		f->metric,
		row_id_param(f->team_id, team, sizeof team),
		row_int_param(f->limit + 1, lim, sizeof lim),
	};

	if (f->by_period) {
		cal_date_format(f->period.start, start, sizeof start);
		cal_date_format(f->period.end, end, sizeof end);
		params[8] = start;
		params[9] = end;
	}
	PGresult *r = db_exec(c, &stmt_quota_list, 13, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	int n;

	if (st != ST_OK)
		goto out;
	n = PQntuples(r);
	out->more = n > f->limit;
	if (out->more)
		n = f->limit;
	buf_putc(&out->items, '[');
	for (int i = 0; i < n && st == ST_OK; i++) {
		char *json = NULL;
		if ((st = finish_row(r, i, ramp, &json)) != ST_OK)
			break;
		if (i)
			buf_putc(&out->items, ',');
		buf_puts(&out->items, json);
		free(json);
	}
	buf_putc(&out->items, ']');
	out->count = n;
	out->last_id = n ? strtoll(PQgetvalue(r, n - 1, QC_ID), NULL, 10) : 0;
out:
	PQclear(r);
	return st;
}

/* ---- audit trail ------------------------------------------------------------------ */

enum status
quota_store_history_assignee(struct db_conn *c, const char *org, int64_t id, struct quota_ref *out, bool *deleted)
{
	PGresult *r;
	enum status st = exec_quota_row(c, &stmt_history_assignee, org, id, &r);

	if (st == ST_OK) {
		*out = ref_of(r, 0, 0);
		*deleted = strcmp(PQgetvalue(r, 0, 2), "deleted") == 0;
	}
	PQclear(r);
	return st;
}

enum status
quota_store_history_list(struct db_conn *c, const char *org, int64_t id, int64_t after, int limit, struct page *out)
{
	char idb[24], aft[24], lim[16];
	const char *params[] = { org, row_id_param(id, idb, sizeof idb), row_int_param(after, aft, sizeof aft),
				 row_int_param(limit + 1, lim, sizeof lim) };
	PGresult *r = db_exec(c, &stmt_history_list, 4, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		page_fill(out, r, limit);
	PQclear(r);
	return st;
}

/* ---- planning ----------------------------------------------------------------------- */

/* Map row i of a tree statement into *item (a team or a person). */
typedef enum status (*tree_row_fn)(const PGresult *r, int i, void *item);

/*
 * Row i's name (column col, copied into *name) and its quota (id in column
 * col + 1, amount in col + 2; *has false when the row has none).
 */
static enum status
name_and_quota(const PGresult *r, int i, int col, char **name, bool *has, int64_t *id, int64_t *amount)
{
	if (!(*name = strdup(PQgetvalue(r, i, col))))
		return ST_NOMEM;
	if (!(*has = !PQgetisnull(r, i, col + 1)))
		return ST_OK;
	*id = strtoll(PQgetvalue(r, i, col + 1), NULL, 10);
	return money_parse_text(PQgetvalue(r, i, col + 2), amount) == ST_OK ? ST_OK : ST_INTERNAL;
}

/* id, parent, manager, depth, then name_and_quota. */
static enum status
team_row(const PGresult *r, int i, void *item)
{
	struct quota_tree_team *tm = item;

	tm->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	tm->parent_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	tm->manager_id = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	tm->depth = atoi(PQgetvalue(r, i, 3));
	return name_and_quota(r, i, 4, &tm->name, &tm->has_quota, &tm->quota_id, &tm->amount);
}

/* id, team, active, hired_on, ramp_months, then name_and_quota. */
static enum status
person_row(const PGresult *r, int i, void *item)
{
	struct quota_tree_person *p = item;

	p->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	p->team_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	p->active = PQgetvalue(r, i, 2)[0] == 't';
	if (PQgetisnull(r, i, 3) || cal_date_parse(PQgetvalue(r, i, 3), &p->hired_on) != ST_OK)
		p->hired_on = -1;
	p->ramp_months = atoi(PQgetvalue(r, i, 4));
	return name_and_quota(r, i, 5, &p->name, &p->has_quota, &p->quota_id, &p->amount);
}

/*
 * Run tree statement s and map its rows into a new array of `size`-byte
 * items (*items, calloc'd; *n counts every row mapped, so the tree's clear
 * frees what a failed row holds). The first failure of a row wins.
 */
static enum status
load_rows(struct db_conn *c, struct db_stmt *s, const char *const *params, size_t size, tree_row_fn map,
	  void **items, size_t *n)
{
	PGresult *r = db_exec(c, s, 7, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	char *v;
	int rows;

	if (st != ST_OK || (rows = PQntuples(r)) == 0)
		goto out;
	if (!(v = calloc((size_t)rows, size))) {
		st = ST_NOMEM;
		goto out;
	}
	*items = v;
	for (int i = 0; i < rows; i++, (*n)++) {
		enum status one = map(r, i, v + (size_t)i * size);
		if (st == ST_OK)
			st = one;
	}
out:
	PQclear(r);
	return st;
}

enum status
quota_store_tree(struct db_conn *c, const char *org, int64_t team_id, const struct quota_key *key,
		 struct quota_tree *out)
{
	struct quota_tree t = { .root = team_id };
	struct key_params k;
	char idb[24];
	enum status st;

	key_params(key, &k);
	const char *params[] = { org, team_id ? row_id_param(team_id, idb, sizeof idb) : NULL, k.grain, k.start,
				 k.metric, k.type, k.segment };
	st = load_rows(c, &stmt_tree_teams, params, sizeof *t.teams, team_row, (void **)&t.teams, &t.nteams);
	if (st == ST_OK && t.nteams == 0)
		st = ST_NOT_FOUND;
	if (st == ST_OK)
		st = load_rows(c, &stmt_tree_people, params, sizeof *t.people, person_row, (void **)&t.people,
			       &t.npeople);
	if (st != ST_OK) {
		quota_tree_clear(&t);
		return st;
	}
	quota_tree_sort(&t);
	*out = t;
	return ST_OK;
}


/*
 * Run a won/pipeline statement over the people `persons` (n > 0) with key's
 * metric and filter and dates [from, to] into *out (PQclear it, also on
 * failure; NULL when the statement could not be sent).
 */
static enum status
exec_figures(struct db_conn *c, struct db_stmt *s, const char *org, const int64_t *persons, size_t n,
	     const struct quota_key *key, cal_date from, cal_date to, PGresult **out)
{
	char f[16], t[16], *lit = ids_literal(persons, n);

	*out = NULL;
	if (!lit)
		return ST_NOMEM;
	cal_date_format(from, f, sizeof f);
	cal_date_format(to, t, sizeof t);
	const char *params[] = { org, lit, f, t, quota_metric_name(key->metric), key->filter_type,
				 key->filter_segment };
	*out = db_exec(c, s, 7, params);
	free(lit);
	return db_check(c, *out, PGRES_TUPLES_OK);
}

enum status
quota_store_tree_history(struct db_conn *c, const char *org, struct quota_tree *t, const struct quota_key *key,
			 cal_date from, cal_date to)
{
	int64_t *ids;
	PGresult *r = NULL;
	enum status st;

	for (size_t i = 0; i < t->npeople; i++)
		t->people[i].history = 0;
	if (t->npeople == 0)
		return ST_OK;
	if (!(ids = malloc(t->npeople * sizeof *ids)))
		return ST_NOMEM;
	for (size_t i = 0; i < t->npeople; i++)
		ids[i] = t->people[i].id;
	st = exec_figures(c, &stmt_won_by_person, org, ids, t->npeople, key, from, to, &r);
	free(ids);
	for (int i = 0; st == ST_OK && i < PQntuples(r); i++) {
		struct quota_tree_person *p = quota_tree_person_find(t, strtoll(PQgetvalue(r, i, 0), NULL, 10));
		if (p && money_parse_text(PQgetvalue(r, i, 1), &p->history) != ST_OK)
			st = ST_INTERNAL;
	}
	PQclear(r);
	return st;
}

enum status
quota_store_won_monthly(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
			const struct quota_key *key, cal_date from, cal_date to, int64_t *out, int nmonths)
{
	PGresult *r = NULL;
	enum status st;
	int y0, m0;

	for (int k = 0; k < nmonths; k++)
		out[k] = 0;
	if (n == 0)
		return ST_OK;
	cal_date_to_ymd(from, &y0, &m0, NULL);
	st = exec_figures(c, &stmt_won_monthly, org, persons, n, key, from, to, &r);
	for (int i = 0; st == ST_OK && i < PQntuples(r); i++) {
		int y = atoi(PQgetvalue(r, i, 0)), m = atoi(PQgetvalue(r, i, 0) + 5);
		int k = (y - y0) * 12 + (m - m0);
		int64_t v;
		if (money_parse_text(PQgetvalue(r, i, 1), &v) != ST_OK)
			st = ST_INTERNAL;
		else if (k >= 0 && k < nmonths)
			out[k] += v;
	}
	PQclear(r);
	return st;
}

enum status
quota_store_open_pipeline(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
			  const struct quota_key *key, cal_date from, cal_date to, struct quota_pipeline *out)
{
	struct quota_pipeline p = { 0 };
	PGresult *r = NULL;
	enum status st = ST_OK;

	if (n > 0)
		st = exec_figures(c, &stmt_open_pipeline, org, persons, n, key, from, to, &r);
	if (st == ST_OK && n > 0) {
		if (PQntuples(r) != 1 || money_parse_text(PQgetvalue(r, 0, 0), &p.amount) != ST_OK ||
		    money_parse_text(PQgetvalue(r, 0, 1), &p.weighted) != ST_OK)
			st = ST_INTERNAL;
		else
			p.deals = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
	}
	if (st == ST_OK)
		*out = p;
	PQclear(r);
	return st;
}

void
quota_parts_free(struct quota_parts *p)
{
	free(p->month);
	free(p->quarter);
	memset(p, 0, sizeof *p);
}

/* The rows of stmt_quota_parts into *out (quota_parts_free). */
static enum status
parts_from(const PGresult *r, struct quota_parts *out)
{
	struct quota_parts v = {0};
	enum status st = ST_OK;
	int n = PQntuples(r);

	if (!(v.month = calloc((size_t)n + 1, sizeof *v.month)) || !(v.quarter = calloc((size_t)n + 1, sizeof *v.quarter)))
		st = ST_NOMEM;
	for (int i = 0; i < n && st == ST_OK; i++) {
		const char *grain = PQgetvalue(r, i, 0);
		if (strcmp(grain, "year") == 0)
			continue; /* inside a longer period: never a part of it */
		struct quota_period_amount *x =
			strcmp(grain, "month") == 0 ? &v.month[v.nmonth++] : &v.quarter[v.nquarter++];
		if (cal_date_parse(PQgetvalue(r, i, 1), &x->start) != ST_OK ||
		    cal_date_parse(PQgetvalue(r, i, 2), &x->end) != ST_OK ||
		    money_parse_text(PQgetvalue(r, i, 3), &x->amount) != ST_OK)
			st = ST_INTERNAL;
	}
	if (st != ST_OK) {
		quota_parts_free(&v);
		return st;
	}
	*out = v;
	return ST_OK;
}

/* The nine parameters of stmt_quota_parts for key (texts in k and idb). */
#define PARTS_PARAMS(org, key, k, idb)                                                                          \
	{ (org), quota_assignee_name((key)->assignee.type), row_id_param((key)->assignee.id, (idb), sizeof(idb)),   \
	  (k).start, (k).end, (k).grain, (k).metric, (k).type, (k).segment }

enum status
quota_store_parts(struct db_conn *c, const char *org, const struct quota_key *key, struct quota_parts *out)
{
	struct key_params k;
	char idb[24];
	enum status st;

	key_params(key, &k);
	const char *params[] = PARTS_PARAMS(org, key, k, idb);
	PGresult *r = db_exec(c, &stmt_quota_parts, 9, params);
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK)
		st = parts_from(r, out);
	PQclear(r);
	return st;
}

void
quota_store_person_queue(struct db_batch *b, const char *org, int64_t person_id, const struct quota_key *key,
			 struct quota_store_person_call *call)
{
	struct quota_key pk = *key;
	struct key_params *k = &call->k; /* the texts must outlive this call: they live in *call */

	pk.assignee = (struct quota_ref){QUOTA_PERSON, person_id};
	key_params(&pk, k);
	const char *person[] = { org, row_id_param(person_id, call->idb, sizeof call->idb), k->grain, k->start,
				 k->metric, k->type, k->segment };
	const char *split[] = PARTS_PARAMS(org, &pk, *k, call->idb);
	memcpy(call->person, person, sizeof call->person);
	memcpy(call->split, split, sizeof call->split);
	call->at = db_batch_add(b, &stmt_tree_person, 7, call->person);
	if (call->at >= 0 && db_batch_add(b, &stmt_quota_parts, 9, call->split) < 0)
		call->at = -1;
}

enum status
quota_store_person_take(struct db_conn *c, const struct db_batch *b, const struct quota_store_person_call *call,
			struct quota_tree_person *out, struct quota_parts *parts)
{
	struct quota_tree_person p = {0};
	enum status st;

	if (call->at < 0)
		return ST_INTERNAL;
	PGresult *const *r = b->r + call->at;
	if ((st = db_check(c, r[0], PGRES_TUPLES_OK)) == ST_OK && PQntuples(r[0]) == 0)
		st = ST_NOT_FOUND;
	if (st == ST_OK && (st = person_row(r[0], 0, &p)) == ST_OK && (st = db_check(c, r[1], PGRES_TUPLES_OK)) == ST_OK)
		st = parts_from(r[1], parts);
	if (st != ST_OK) {
		free(p.name);
		return st;
	}
	*out = p;
	return ST_OK;
}
