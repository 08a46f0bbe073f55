#include "leads/bulk_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "leads/store_sql.h"

#define LEAD_EXCLUDED                                                                                     \
	"EXCLUDED.company, EXCLUDED.contact_name, EXCLUDED.email, EXCLUDED.segment, EXCLUDED.source,          \
	 EXCLUDED.budget, EXCLUDED.authority, EXCLUDED.need, EXCLUDED.timeline, EXCLUDED.employees,           \
	 EXCLUDED.industry, EXCLUDED.engagement, EXCLUDED.attributes, EXCLUDED.owner_id, EXCLUDED.status,    \
	 EXCLUDED.converted_deal_id, EXCLUDED.score, EXCLUDED.grade, EXCLUDED.probability,                   \
	 EXCLUDED.suggested_status, EXCLUDED.bant, EXCLUDED.score_breakdown"
#define LEAD_STORED                                                                                       \
	"l.company, l.contact_name, l.email, l.segment, l.source, l.budget, l.authority, l.need, l.timeline, \
	 l.employees, l.industry, l.engagement, l.attributes, l.owner_id, l.status, l.converted_deal_id,     \
	 l.score, l.grade, l.probability, l.suggested_status, l.bant, l.score_breakdown"
DB_STMT(stmt_bulk_lock_org, "SELECT pg_advisory_xact_lock(hashtextextended('leads:' || $1, 0))");
DB_STMT(stmt_bulk_existing,
	"SELECT k.idx, " LEAD_INPUT_JSON ", " LEAD_CREATED_ON ", " LEAD_IN_SCOPE("$2", "$3", "$4")
	" FROM lead_bulk_keys k"
	" JOIN leads l ON l.org_id = $1 AND l.external_id = k.external_id FOR UPDATE OF l");
DB_STMT(stmt_bulk_people,
	"SELECT p.id, coalesce(p.segment, ''), ($3::bool OR p.id = $4::bigint OR p.team_id = ANY($5::bigint[]))"
	" FROM people p WHERE p.org_id = $1 AND p.id = ANY($2::bigint[]) ORDER BY p.id");
DB_STMT(stmt_bulk_deals,
	"SELECT d.id, '', true FROM deals d WHERE d.org_id = $1 AND d.id = ANY($2::bigint[]) ORDER BY d.id");
DB_STMT(stmt_bulk_upsert,
	"WITH up AS (INSERT INTO leads AS l (org_id, " LEAD_COLUMNS ")"
	"  SELECT $1, " LEAD_COLUMNS " FROM lead_bulk_in ORDER BY idx"
	"  ON CONFLICT (org_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET"
	"  (company, contact_name, email, segment, source, budget, authority, need, timeline, employees, industry,"
	"  engagement, attributes, owner_id, status, converted_deal_id, score, grade, probability, suggested_status,"
	"  bant, score_breakdown) = (" LEAD_EXCLUDED "), version = l.version + 1, updated_at = now()"
	"  WHERE (" LEAD_STORED ") IS DISTINCT FROM (" LEAD_EXCLUDED ")"
	"  RETURNING l.xmax = 0 AS created)"
	" SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up");

#define BULK_KEYS_TABLE                                                                                   \
	"DROP TABLE IF EXISTS pg_temp.lead_bulk_keys; CREATE TEMP TABLE lead_bulk_keys (idx int NOT NULL,    \
	 external_id text NOT NULL) ON COMMIT DROP"
#define BULK_TABLE                                                                                        \
	"DROP TABLE IF EXISTS pg_temp.lead_bulk_in; CREATE TEMP TABLE lead_bulk_in (idx int NOT NULL,        \
	 external_id text NOT NULL, company text, contact_name text, email text, segment text NOT NULL,      \
	 source text, budget numeric(14, 2), authority text, need text, timeline date, employees int,        \
	 industry text, engagement int, attributes jsonb NOT NULL, owner_id bigint, status text NOT NULL,    \
	 converted_deal_id bigint, score int NOT NULL, grade text NOT NULL, probability numeric(5, 2),       \
	 suggested_status text NOT NULL, bant jsonb NOT NULL, score_breakdown jsonb NOT NULL) ON COMMIT DROP"

/* Ids found in the database (sorted), each with a segment and whether it is in the caller's scope. */
struct idset {
	int64_t *ids;      /* owned */
	char (*segment)[4]; /* owned */
	bool *in_scope;    /* owned */
	size_t n;
};

static void
idset_clear(struct idset *s)
{
	free(s->ids);
	free(s->segment);
	free(s->in_scope);
	memset(s, 0, sizeof *s);
}

/* The index in s of id, -1 when absent. */
static long
idset_find(const struct idset *s, int64_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->ids[mid] == id)
			return (long)mid;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * The rows of `stmt` (id, segment, in scope) for the ids the items give
 * (deals: want_deals), with the scope parameters as $3..$5.
 */
static enum status
load_ids(struct db_conn *c, const char *org, const char *const *sp, const struct lead_batch_item *items,
	 size_t n, bool want_deals, struct idset *out)
{
	struct buf lit = { 0 };
	bool any = false;
	PGresult *r = NULL;
	enum status st = ST_OK;

	buf_putc(&lit, '{');
	for (size_t i = 0; i < n; i++) {
		int64_t id = want_deals ? items[i].converted_deal_id : items[i].owner_id;
		if (id > 0) {
			buf_printf(&lit, any ? ",%" PRId64 : "%" PRId64, id);
			any = true;
		}
	}
	buf_putc(&lit, '}');
	if (!any)
		goto out;
	if (lit.oom) {
		st = ST_NOMEM;
		goto out;
	}
	if (want_deals)
		r = db_exec(c, &stmt_bulk_deals, 2, (const char *[]){ org, lit.data });
	else
		r = db_exec(c, &stmt_bulk_people, 5, (const char *[]){ org, lit.data, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	size_t rows = (size_t)PQntuples(r);
	out->ids = malloc((rows + 1) * sizeof *out->ids);
	out->segment = malloc((rows + 1) * sizeof *out->segment);
	out->in_scope = malloc((rows + 1) * sizeof *out->in_scope);
	if (!out->ids || !out->segment || !out->in_scope) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < rows; i++) {
		out->ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		snprintf(out->segment[i], sizeof out->segment[i], "%s", PQgetvalue(r, (int)i, 1));
		out->in_scope[i] = PQgetvalue(r, (int)i, 2)[0] == 't';
	}
	out->n = rows;
out:
	PQclear(r);
	buf_clear(&lit);
	return st;
}

/* The stored state of the existing leads the items name, by item position. */
struct existing {
	PGresult *r;  /* owned */
	int *row_of;  /* owned: item position -> row of r, -1 = new lead */
};

static enum status
load_existing(struct db_conn *c, const char *org, const char *const *sp, const struct lead_batch_item *items,
	      size_t n, struct existing *ex)
{
	struct buf b = { 0 };
	enum status st, st2;

	if (!(ex->row_of = malloc((n + 1) * sizeof *ex->row_of)))
		return ST_NOMEM;
	for (size_t i = 0; i < n; i++)
		ex->row_of[i] = -1;
	if ((st = row_exec_raw(c, BULK_KEYS_TABLE)) != ST_OK ||
	    (st = db_copy_start(c, "COPY lead_bulk_keys FROM STDIN")) != ST_OK)
		return st;
	for (size_t i = 0; i < n && st == ST_OK; i++) {
		buf_printf(&b, "%zu\t", i);
		row_copy_text(&b, items[i].external_id);
		buf_putc(&b, '\n');
		st = row_copy_flush(c, &b, i == n - 1);
	}
	st2 = db_copy_end(c);
	buf_clear(&b);
	if (st != ST_OK || (st = st2) != ST_OK)
		return st;
	ex->r = db_exec(c, &stmt_bulk_existing, 4, (const char *[]){ org, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, ex->r, PGRES_TUPLES_OK)) != ST_OK)
		return st;
	for (int k = 0; k < PQntuples(ex->r); k++) {
		size_t pos = (size_t)strtoull(PQgetvalue(ex->r, k, 0), NULL, 10);
		if (pos < n)
			ex->row_of[pos] = k;
	}
	return ST_OK;
}

struct lead_bulk_facts {
	const struct lead_batch_item *items; /* borrowed */
	struct idset owners;
	struct idset deals;
	struct existing ex;
};

enum status
lead_bulk_lock(struct db_conn *c, const char *org)
{
	PGresult *r = db_exec(c, &stmt_bulk_lock_org, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	PQclear(r);
	return st;
}

void
lead_bulk_facts_free(struct lead_bulk_facts *f)
{
	if (!f)
		return;
	idset_clear(&f->owners);
	idset_clear(&f->deals);
	PQclear(f->ex.r);
	free(f->ex.row_of);
	free(f);
}

enum status
lead_bulk_facts_load(struct db_conn *c, const char *org, const struct scope_rows *s,
		     const struct lead_batch_item *items, size_t n, struct lead_bulk_facts **out)
{
	struct lead_bulk_facts *f = calloc(1, sizeof *f);
	char self[24];
	const char *sp[3];
	enum status st;

	if (!f)
		return ST_NOMEM;
	f->items = items;
	row_scope_params(s, self, sizeof self, sp);
	if ((st = load_ids(c, org, sp, items, n, false, &f->owners)) != ST_OK ||
	    (st = load_ids(c, org, sp, items, n, true, &f->deals)) != ST_OK ||
	    (st = load_existing(c, org, sp, items, n, &f->ex)) != ST_OK) {
		lead_bulk_facts_free(f);
		return st;
	}
	*out = f;
	return ST_OK;
}

void
lead_bulk_found(const struct lead_bulk_facts *f, size_t i, struct lead_bulk_found *out)
{
	const struct lead_batch_item *it = &f->items[i];
	int row = f->ex.row_of[i];
	long owner = it->owner_id > 0 ? idset_find(&f->owners, it->owner_id) : -1;

	*out = (struct lead_bulk_found){ .owner_segment = owner >= 0 ? f->owners.segment[owner] : "" };
	if (row >= 0) {
		out->stored = PQgetvalue(f->ex.r, row, 1);
		out->stored_in_scope = PQgetvalue(f->ex.r, row, 3)[0] == 't';
		out->has_created_on = cal_date_parse(PQgetvalue(f->ex.r, row, 2), &out->created_on) == ST_OK;
	}
	out->owner_found = owner >= 0;
	out->owner_in_scope = owner >= 0 && f->owners.in_scope[owner];
	out->deal_found = it->converted_deal_id > 0 && idset_find(&f->deals, it->converted_deal_id) >= 0;
}

void
lead_bulk_line(struct buf *b, int index, const struct lead_record *r)
{
	buf_printf(b, "%d", index);
	for (int k = 0; k < LEAD_RECORD_NCOLS; k++) {
		buf_putc(b, '\t');
		row_copy_text(b, r->v[k]);
	}
	buf_putc(b, '\n');
}

enum status
lead_bulk_write(struct db_conn *c, const char *org, const struct buf *b, long *created, long *updated)
{
	PGresult *r;
	enum status st, st2;

	if ((st = row_exec_raw(c, BULK_TABLE)) != ST_OK ||
	    (st = db_copy_start(c, "COPY lead_bulk_in FROM STDIN")) != ST_OK)
		return st;
	for (size_t off = 0; off < b->len && st == ST_OK;) {
		size_t len = b->len - off < (1u << 20) ? b->len - off : (1u << 20);
		/* whole lines only */
		while (off + len < b->len && b->data[off + len - 1] != '\n')
			len++;
		st = db_copy_put(c, b->data + off, len);
		off += len;
	}
	st2 = db_copy_end(c);
	if (st != ST_OK || (st = st2) != ST_OK)
		return st;
	r = db_exec(c, &stmt_bulk_upsert, 1, (const char *[]){ org });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK && PQntuples(r) == 1) {
		*created = atol(PQgetvalue(r, 0, 0));
		*updated = atol(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return st;
}
