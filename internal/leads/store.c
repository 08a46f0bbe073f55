#include "leads/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/lead.h"
#include "leads/store_sql.h"

/* Closed leads a training reads per statement. */
#define CLOSED_PAGE 5000
#define CLOSED_PAGE_TEXT "5000"

#define LEAD_JSON                                                                                         \
	"json_build_object('id', l.id::text, 'external_id', l.external_id, 'company', l.company,             \
	 'contact_name', l.contact_name, 'email', l.email, 'segment', l.segment, 'source', l.source,         \
	 'budget', l.budget, 'authority', l.authority, 'need', l.need, 'timeline', " DB_DAY("l.timeline") ",    \
	 'employees', l.employees, 'industry', l.industry, 'engagement', l.engagement,                       \
	 'attributes', l.attributes, 'owner_id', l.owner_id::text, 'status', l.status,                       \
	 'converted_deal_id', l.converted_deal_id::text, 'score', l.score, 'grade', l.grade,                 \
	 'probability', l.probability, 'suggested_status', l.suggested_status, 'bant', l.bant,               \
	 'score_breakdown', l.score_breakdown, 'forced_conversion', CASE WHEN l.conversion_forced_at IS NULL \
	 THEN NULL ELSE json_build_object('by', l.conversion_forced_by, 'at', " DB_TS("l.conversion_forced_at") ") \
	 END, 'version', l.version,                                                                          \
	 'created_at', " DB_TS("l.created_at") ", 'updated_at', " DB_TS("l.updated_at") ")::text, l.id, l.version"

#define LEAD_VALUES                                                                                       \
	"$2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11::date, $12::int, $13, $14::int, $15::jsonb,      \
	 $16::bigint, $17, $18::bigint, $19::int, $20, $21::numeric, $22, $23::jsonb, $24::jsonb"

/* Name the field behind a constraint failure of the leads table. */
static const struct row_constraint constraints[] = {
	{ "leads_owner_fk", "owner_id", "no such person" },
	{ "leads_deal_fk", "converted_deal_id", "no such deal" },
	{ "leads_external_id", "external_id", "another lead has this external_id" },
	{ "leads_converted_deal", "converted_deal_id", "only a converted lead links a deal" },
};

/* ---- reading ------------------------------------------------------------------------ */

DB_STMT(stmt_lead_get, "SELECT " LEAD_JSON " FROM leads l WHERE l.org_id = $1 AND l.id = $2::bigint AND "
		       LEAD_IN_SCOPE("$3", "$4", "$5"));
DB_STMT(stmt_lead_lock,
	"SELECT " LEAD_INPUT_JSON ", l.version, " LEAD_CREATED_ON ", l.status FROM leads l"
	" WHERE l.org_id = $1 AND l.id = $2::bigint AND " LEAD_IN_SCOPE("$3", "$4", "$5") " FOR UPDATE OF l");
DB_STMT(stmt_lead_list,
	"SELECT " LEAD_JSON " FROM leads l WHERE l.org_id = $1 AND " LEAD_IN_SCOPE("$2", "$3", "$4")
	" AND l.id > $5::bigint AND ($6::text IS NULL OR l.status = $6) AND ($7::text IS NULL OR l.grade = $7)"
	" AND ($8::text IS NULL OR l.segment = $8) AND ($9::text IS NULL OR l.source = $9)"
	" AND ($10::bigint IS NULL OR l.owner_id = $10) AND ($11::int IS NULL OR l.score >= $11)"
	" AND ($12::int IS NULL OR l.score <= $12) AND ($13::timestamptz IS NULL OR l.updated_at >= $13)"
	" AND ($14::text IS NULL OR l.external_id = $14) ORDER BY l.id LIMIT $15");
DB_STMT(stmt_lead_insert,
	"INSERT INTO leads AS l (org_id, " LEAD_COLUMNS ") VALUES ($1, " LEAD_VALUES ") RETURNING " LEAD_JSON);
DB_STMT(stmt_lead_update,
	"UPDATE leads l SET (" LEAD_COLUMNS ") = (" LEAD_VALUES ")" DB_BUMP_IF_CHANGED(LEAD_COLUMNS, LEAD_VALUES)
	" WHERE l.org_id = $1 AND l.id = $25::bigint RETURNING " LEAD_JSON);
DB_STMT(stmt_lead_delete, "DELETE FROM leads WHERE org_id = $1 AND id = $2::bigint");
/* Who forced the conversion of a disqualified lead, and when (0009); not a change of the lead's version. */
DB_STMT(stmt_lead_forced,
	"UPDATE leads l SET conversion_forced_by = $3, conversion_forced_at = now()"
	" WHERE l.org_id = $1 AND l.id = $2::bigint RETURNING " LEAD_JSON);

enum status
lead_store_get(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id, struct rowjson *out)
{
	char idb[24], self[24];
	const char *sp[3];

	row_scope_params(s, self, sizeof self, sp);
	return row_exec(c, &stmt_lead_get, 5,
			(const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] }, out);
}

enum status
lead_store_list(struct db_conn *c, const char *org, const struct scope_rows *s, const struct lead_filter *f,
		struct page *out)
{
	char self[24], after[24], owner[24], smin[24], smax[24], lim[24];
	const char *sp[3];

	row_scope_params(s, self, sizeof self, sp);
	const char *params[] = {
		org,
		sp[0],
		sp[1],
		sp[2],
		row_int_param(f->after, after, sizeof after),
		f->status,
		f->grade,
		f->segment,
		f->source,
		row_id_param(f->owner_id, owner, sizeof owner),
		f->score_min >= 0 ? row_int_param(f->score_min, smin, sizeof smin) : NULL,
		f->score_max >= 0 ? row_int_param(f->score_max, smax, sizeof smax) : NULL,
		f->updated_since,
		f->external_id,
		row_int_param(f->limit + 1, lim, sizeof lim),
	};
	return row_exec_page(c, &stmt_lead_list, 15, params, f->limit, out);
}

void
lead_store_current_clear(struct lead_current *cur)
{
	json_decref(cur->input);
	memset(cur, 0, sizeof *cur);
}

enum status
lead_store_lock(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
		struct lead_current *out)
{
	char idb[24], self[24];
	const char *sp[3];
	PGresult *r;
	enum status st;

	memset(out, 0, sizeof *out);
	row_scope_params(s, self, sizeof self, sp);
	st = row_exec_one(c, &stmt_lead_lock, 5,
			  (const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] }, &r);
	if (st != ST_OK)
		return st;
	if (!(out->input = json_loads(PQgetvalue(r, 0, 0), 0, NULL)))
		st = ST_NOMEM;
	out->version = atoi(PQgetvalue(r, 0, 1));
	out->has_created_on = cal_date_parse(PQgetvalue(r, 0, 2), &out->created_on) == ST_OK;
	snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 3));
	PQclear(r);
	return st;
}

DB_STMT(stmt_owner,
	"SELECT coalesce(p.segment, ''), ($3::bool OR p.id = $4::bigint OR p.team_id = ANY($5::bigint[]))"
	" FROM people p WHERE p.org_id = $1 AND p.id = $2::bigint");

enum status
lead_store_owner(struct db_conn *c, const char *org, const struct scope_rows *s, const char *owner_id,
		 struct lead_owner *out)
{
	char self[24];
	const char *sp[3];
	PGresult *r;
	enum status st;

	row_scope_params(s, self, sizeof self, sp);
	st = row_exec_one(c, &stmt_owner, 5, (const char *[]){ org, owner_id, sp[0], sp[1], sp[2] }, &r);
	if (st != ST_OK)
		return st;
	snprintf(out->segment, sizeof out->segment, "%s", PQgetvalue(r, 0, 0));
	out->in_scope = PQgetvalue(r, 0, 1)[0] == 't';
	PQclear(r);
	return ST_OK;
}

/* ---- writing ------------------------------------------------------------------------ */

/* Run an insert or update of record r (id NULL for an insert); name a broken constraint in e. */
static enum status
write_record(struct db_conn *c, struct db_stmt *stmt, const char *org, const char *id,
	     const struct lead_record *r, struct rowjson *out, struct issues *e)
{
	const char *params[LEAD_RECORD_NCOLS + 2];

	params[0] = org;
	memcpy(params + 1, r->v, sizeof r->v);
	params[LEAD_RECORD_NCOLS + 1] = id;
	enum status st = row_exec(c, stmt, id ? LEAD_RECORD_NCOLS + 2 : LEAD_RECORD_NCOLS + 1, params, out);
	return st == ST_OK ? st : row_explain(c, st, constraints, sizeof constraints / sizeof constraints[0], e);
}

enum status
lead_store_insert(struct db_conn *c, const char *org, const struct lead_record *r, struct rowjson *out,
		  struct issues *e)
{
	return write_record(c, &stmt_lead_insert, org, NULL, r, out, e);
}

enum status
lead_store_update(struct db_conn *c, const char *org, int64_t id, const struct lead_record *r,
		  struct rowjson *out, struct issues *e)
{
	char idb[24];

	return write_record(c, &stmt_lead_update, org, row_id_param(id, idb, sizeof idb), r, out, e);
}

enum status
lead_store_delete(struct db_conn *c, const char *org, int64_t id)
{
	char idb[24];

	return row_exec_command(c, &stmt_lead_delete, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) });
}

enum status
lead_store_forced(struct db_conn *c, const char *org, int64_t id, const char *by, struct rowjson *out)
{
	char idb[24];

	return row_exec(c, &stmt_lead_forced, 3, (const char *[]){ org, row_id_param(id, idb, sizeof idb), by }, out);
}

/* ---- funnel ------------------------------------------------------------------------- */

#define FUNNEL_COUNTS                                                                                     \
	"count(*) AS total, count(*) FILTER (WHERE status = 'new') AS new,                                   \
	 count(*) FILTER (WHERE status = 'qualified') AS qualified,                                          \
	 count(*) FILTER (WHERE status = 'nurture') AS nurture,                                              \
	 count(*) FILTER (WHERE status = 'disqualified') AS disqualified,                                    \
	 count(*) FILTER (WHERE status = 'converted') AS converted"
#define FUNNEL_FIELDS                                                                                     \
	"'total', total, 'new', new, 'qualified', qualified, 'nurture', nurture,                             \
	 'disqualified', disqualified, 'converted', converted, 'closed', converted + disqualified,           \
	 'conversion_closed_pct', round(100.0 * converted / nullif(converted + disqualified, 0), 2),         \
	 'conversion_all_pct', round(100.0 * converted / nullif(total, 0), 2)"

DB_STMT(stmt_funnel,
	"WITH f AS (SELECT CASE $5 WHEN 'source' THEN l.source WHEN 'segment' THEN l.segment"
	"  WHEN 'grade' THEN l.grade ELSE l.owner_id::text END AS key, l.status FROM leads l"
	"  WHERE l.org_id = $1 AND " LEAD_IN_SCOPE("$2", "$3", "$4")
	"  AND ($6::date IS NULL OR (l.created_at AT TIME ZONE " DB_ORG_TZ ")::date >= $6::date)"
	"  AND ($7::date IS NULL OR (l.created_at AT TIME ZONE " DB_ORG_TZ ")::date <= $7::date)),"
	" g AS (SELECT key, " FUNNEL_COUNTS " FROM f GROUP BY key),"
	" t AS (SELECT " FUNNEL_COUNTS " FROM f)"
	" SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('key', key, " FUNNEL_FIELDS ")"
	"  ORDER BY key NULLS LAST) FROM g), '[]'::json),"
	" 'total', (SELECT json_build_object(" FUNNEL_FIELDS ") FROM t))::text");

enum status
lead_store_funnel(struct db_conn *c, const char *org, const struct scope_rows *s, const char *from, const char *to,
		  const char *by, char **out)
{
	char self[24];
	const char *sp[3];

	row_scope_params(s, self, sizeof self, sp);
	PGresult *r = db_exec(c, &stmt_funnel, 7, (const char *[]){ org, sp[0], sp[1], sp[2], by, from, to });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK) {
		char *text = PQntuples(r) == 1 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
		if (text)
			*out = text;
		else
			st = PQntuples(r) == 1 ? ST_NOMEM : ST_INTERNAL;
	}
	PQclear(r);
	return st;
}

/* ---- re-scoring a segment ----------------------------------------------------------- */

DB_STMT(stmt_open_leads,
	"SELECT l.id, " LEAD_INPUT_JSON ", " LEAD_CREATED_ON " FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 AND l.status IN ('new', 'qualified', 'nurture') ORDER BY l.id");
DB_STMT(stmt_segment_leads,
	"SELECT l.id, " LEAD_INPUT_JSON ", " LEAD_CREATED_ON " FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 ORDER BY l.id");
DB_STMT(stmt_rescore,
	"UPDATE leads l SET score = r.score, grade = r.grade, probability = r.probability,"
	" suggested_status = r.suggested_status, bant = r.bant, score_breakdown = r.score_breakdown,"
	" version = l.version + 1, updated_at = now() FROM lead_rescore_in r"
	" WHERE l.org_id = $1 AND l.id = r.id AND (l.score, l.grade, l.probability, l.suggested_status, l.bant,"
	" l.score_breakdown) IS DISTINCT FROM (r.score, r.grade, r.probability, r.suggested_status, r.bant,"
	" r.score_breakdown)");

#define RESCORE_TABLE                                                                                     \
	"DROP TABLE IF EXISTS pg_temp.lead_rescore_in; CREATE TEMP TABLE lead_rescore_in (id bigint NOT NULL, \
	 score int NOT NULL, grade text NOT NULL, probability numeric(5, 2), suggested_status text NOT NULL, \
	 bant jsonb NOT NULL, score_breakdown jsonb NOT NULL) ON COMMIT DROP"

/* One COPY line of lead_rescore_in for the lead of row i of an open-leads result. */
static enum status
rescore_line(const PGresult *r, int i, lead_store_scorer score, void *ctx, struct buf *b)
{
	struct lead_record rec;
	cal_date created_on;
	bool has_created_on = cal_date_parse(PQgetvalue(r, i, 2), &created_on) == ST_OK;
	json_t *input = json_loads(PQgetvalue(r, i, 1), 0, NULL);
	enum status st;

	if (!input)
		return ST_NOMEM;
	st = score(ctx, strtoll(PQgetvalue(r, i, 0), NULL, 10), input, has_created_on ? &created_on : NULL, &rec);
	if (st == ST_OK) {
		buf_puts(b, PQgetvalue(r, i, 0));
		for (int k = LEAD_RECORD_SCORE; k < LEAD_RECORD_NCOLS; k++) {
			buf_putc(b, '\t');
			row_copy_text(b, rec.v[k]);
		}
		buf_putc(b, '\n');
		lead_record_clear(&rec);
	}
	json_decref(input);
	return st;
}

/* Score the leads of r (stmt_open_leads' columns) through `score` and write those that changed. */
static enum status
rescore_rows(struct db_conn *c, const char *org, const PGresult *r, lead_store_scorer score, void *ctx)
{
	struct buf b = { 0 };
	enum status st, st2;

	if (PQntuples(r) == 0)
		return ST_OK;
	if ((st = row_exec_raw(c, RESCORE_TABLE)) != ST_OK ||
	    (st = db_copy_start(c, "COPY lead_rescore_in FROM STDIN")) != ST_OK)
		goto out;
	for (int i = 0; i < PQntuples(r) && st == ST_OK; i++)
		if ((st = rescore_line(r, i, score, ctx, &b)) == ST_OK)
			st = row_copy_flush(c, &b, i == PQntuples(r) - 1);
	st2 = db_copy_end(c);
	if (st == ST_OK)
		st = st2;
	if (st == ST_OK)
		st = row_exec_command(c, &stmt_rescore, 1, (const char *[]){ org });
out:
	buf_clear(&b);
	return st;
}

enum status
lead_store_rescore(struct db_conn *c, const char *org, const char *segment, bool closed_too, lead_store_scorer score,
		   void *ctx)
{
	PGresult *r = db_exec(c, closed_too ? &stmt_segment_leads : &stmt_open_leads, 2, (const char *[]){ org, segment });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		st = rescore_rows(c, org, r, score, ctx);
	PQclear(r);
	return st;
}

DB_STMT(stmt_segment_leads_page,
	"SELECT l.id, " LEAD_INPUT_JSON ", " LEAD_CREATED_ON " FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 AND l.id > $3 ORDER BY l.id LIMIT $4 FOR UPDATE");

enum status
lead_store_rescore_page(struct db_conn *c, const char *org, const char *segment, int64_t after, int limit,
			lead_store_scorer score, void *ctx, int64_t *last, int *n)
{
	char a[24], l[12];
	PGresult *r;
	enum status st;

	snprintf(a, sizeof a, "%lld", (long long)after);
	snprintf(l, sizeof l, "%d", limit);
	r = db_exec(c, &stmt_segment_leads_page, 4, (const char *[]){ org, segment, a, l });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK && (st = rescore_rows(c, org, r, score, ctx)) == ST_OK) {
		*n = PQntuples(r);
		if (*n > 0)
			*last = strtoll(PQgetvalue(r, *n - 1, 0), NULL, 10);
	}
	PQclear(r);
	return st;
}

/* ---- the closed leads of a training ----------------------------------------------------- */

/* A page of them: keyset by id, so that no statement reads the whole segment at once. */
DB_STMT(stmt_closed_leads,
	"SELECT l.id, " LEAD_INPUT_JSON ", " LEAD_CREATED_ON ", l.status = 'converted' FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 AND l.status IN ('converted', 'disqualified') AND l.id > $3"
	" ORDER BY l.id LIMIT " CLOSED_PAGE_TEXT);

/* Every page but the last holds CLOSED_PAGE rows: lead i is row i % CLOSED_PAGE of page i / CLOSED_PAGE. */
struct lead_closed {
	PGresult **pages;         /* owned */
	size_t npages;
	json_t **docs;            /* owned: the parsed row while it is in use */
	int64_t *ids;             /* owned */
	unsigned char *converted; /* owned */
	size_t n;
};

#define CELL(cl, i, col) PQgetvalue((cl)->pages[(i) / CLOSED_PAGE], (int)((i) % CLOSED_PAGE), (col))

static enum status
closed_get(void *ctx, size_t i, struct lead *out)
{
	struct lead_closed *cl = ctx;
	json_t *doc = json_loads(CELL(cl, i, 1), 0, NULL);

	if (!doc)
		return ST_NOMEM;
	if (lead_from_json(doc, out) != ST_OK) {
		json_decref(doc);
		return ST_INTERNAL;
	}
	json_decref(cl->docs[i]);
	cl->docs[i] = doc;
	out->id = cl->ids[i];
	if (cal_date_parse(CELL(cl, i, 2), &out->created_on) != ST_OK)
		out->created_on = 0;
	return ST_OK;
}

static void
closed_release(void *ctx, size_t i)
{
	struct lead_closed *cl = ctx;

	json_decref(cl->docs[i]);
	cl->docs[i] = NULL;
}

void
lead_store_closed_free(struct lead_closed *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; cl->docs && i < cl->n; i++)
		json_decref(cl->docs[i]);
	free(cl->docs);
	free(cl->ids);
	free(cl->converted);
	for (size_t p = 0; p < cl->npages; p++)
		PQclear(cl->pages[p]);
	free(cl->pages);
	free(cl);
}

/* Read the next page after lead `after` into cl->pages (grown); its rows into *rows. */
static enum status
closed_page(struct db_conn *c, const char *org, const char *segment, int64_t after, struct lead_closed *cl,
	    int *rows)
{
	char a[24];
	PGresult **grown = realloc(cl->pages, (cl->npages + 1) * sizeof *cl->pages);
	enum status st;

	if (!grown)
		return ST_NOMEM;
	cl->pages = grown;
	snprintf(a, sizeof a, "%lld", (long long)after);
	PGresult *r = db_exec(c, &stmt_closed_leads, 3, (const char *[]){ org, segment, a });
	cl->pages[cl->npages++] = r;
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK)
		*rows = PQntuples(r);
	return st;
}

enum status
lead_store_closed(struct db_conn *c, const char *org, const char *segment, struct lead_closed **out,
		  struct lead_source *src)
{
	struct lead_closed *cl = calloc(1, sizeof *cl);
	int64_t after = 0;
	int rows = CLOSED_PAGE;
	enum status st = ST_OK;

	if (!cl)
		return ST_NOMEM;
	while (st == ST_OK && rows == CLOSED_PAGE)
		if ((st = closed_page(c, org, segment, after, cl, &rows)) == ST_OK && rows > 0) {
			cl->n += (size_t)rows;
			after = strtoll(PQgetvalue(cl->pages[cl->npages - 1], rows - 1, 0), NULL, 10);
		}
	if (st != ST_OK)
		goto fail;
	cl->docs = calloc(cl->n + 1, sizeof *cl->docs);
	cl->ids = calloc(cl->n + 1, sizeof *cl->ids);
	cl->converted = calloc(cl->n + 1, 1);
	if (!cl->docs || !cl->ids || !cl->converted) {
		st = ST_NOMEM;
		goto fail;
	}
	for (size_t i = 0; i < cl->n; i++) {
		cl->ids[i] = strtoll(CELL(cl, i, 0), NULL, 10);
		cl->converted[i] = CELL(cl, i, 3)[0] == 't';
	}
	*src = (struct lead_source){ .n = cl->n, .ctx = cl, .get = closed_get, .release = closed_release,
				     .ids = cl->ids, .converted = cl->converted };
	*out = cl;
	return ST_OK;
fail:
	lead_store_closed_free(cl);
	return st;
}
