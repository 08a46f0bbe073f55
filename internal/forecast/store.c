#include "forecast/store.h"

#include <stdio.h>
#include <string.h>

#include "core/money.h"

#define SUBMISSION_JSON                                                                                     \
	"json_build_object('id', s.id::text, 'scope', json_build_object('type', s.scope_type, 'id',           \
	 s.scope_id::text), 'period', s.period, 'commit', s.commit_amount, 'best_case', s.best_case_amount,     \
	 'notes', s.notes, 'sub', s.sub, 'submitted_at', " DB_TS("s.submitted_at") ")::text, s.id"

DB_STMT(stmt_submit,
	"INSERT INTO forecast_submissions AS s (org_id, scope_type, scope_id, period, period_start, period_end,"
	" commit_amount, best_case_amount, notes, sub, snapshot)"
	" VALUES ($1, $2, $3::bigint, $4, $5::date, $6::date, $7::numeric, $8::numeric, $9, $10, $11::jsonb)"
	" RETURNING " SUBMISSION_JSON ", 1");
DB_STMT(stmt_submissions,
	"SELECT " SUBMISSION_JSON " FROM forecast_submissions s WHERE s.org_id = $1 AND s.scope_type = $2"
	" AND s.scope_id = $3::bigint AND ($4::text IS NULL OR s.period = $4)"
	" AND ($5::bigint = 0 OR s.id < $5::bigint) ORDER BY s.id DESC LIMIT $6::int");

/* The ten parameters a call shares ($1..$10 of stmt_submit and stmt_adjust) as text. */
struct call_params {
	char id[24], start[16], end[16], commit[32], best[32];
	const char *v[11];
};

static void
call_params(const char *org, const struct forecast_submission *s, struct call_params *p)
{
	snprintf(p->id, sizeof p->id, "%lld", (long long)s->scope_id);
	cal_date_format(s->period->start, p->start, sizeof p->start);
	cal_date_format(s->period->end, p->end, sizeof p->end);
	money_format(s->commit, p->commit, sizeof p->commit);
	money_format(s->best_case, p->best, sizeof p->best);
	const char *v[] = {org, s->scope_type, p->id, s->period->id, p->start, p->end, p->commit, p->best, s->notes,
			   s->sub, NULL};
	memcpy(p->v, v, sizeof v);
}

/* A page of one scope's rows by list statement s ($1 org .. $6 limit + 1), newest first. */
static enum status
scope_page(struct db_conn *c, struct db_stmt *s, const char *org, const char *scope_type, int64_t scope_id,
	   const char *period, int64_t before, int limit, struct page *out)
{
	char id[24], b[24], lim[16];

	snprintf(id, sizeof id, "%lld", (long long)scope_id);
	snprintf(b, sizeof b, "%lld", (long long)before);
	snprintf(lim, sizeof lim, "%d", limit + 1);
	const char *params[] = {org, scope_type, id, period, b, lim};
	return row_exec_page(c, s, 6, params, limit, out);
}

enum status
forecast_store_submit(struct db_conn *c, const char *org, const struct forecast_submission *s, struct rowjson *out)
{
	struct call_params p;

	call_params(org, s, &p);
	p.v[10] = s->snapshot;
	return row_exec(c, &stmt_submit, 11, p.v, out);
}

enum status
forecast_store_submissions(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
			   const char *period, int64_t before, int limit, struct page *out)
{
	return scope_page(c, &stmt_submissions, org, scope_type, scope_id, period, before, limit, out);
}

#define ADJUSTMENT_JSON                                                                                     \
	"json_build_object('id', a.id::text, 'scope', json_build_object('type', a.scope_type, 'id',           \
	 a.scope_id::text), 'period', a.period, 'commit', a.commit_amount, 'best_case', a.best_case_amount,     \
	 'notes', a.notes, 'sub', a.sub, 'by_person', a.by_person::text, 'made_at', " DB_TS("a.made_at") ")::text, a.id"

DB_STMT(stmt_adjust,
	"INSERT INTO forecast_adjustments AS a (org_id, scope_type, scope_id, period, period_start, period_end,"
	" commit_amount, best_case_amount, notes, sub, by_person)"
	" VALUES ($1, $2, $3::bigint, $4, $5::date, $6::date, $7::numeric, $8::numeric, $9, $10, $11::bigint)"
	" RETURNING " ADJUSTMENT_JSON ", 1");
DB_STMT(stmt_adjustments,
	"SELECT " ADJUSTMENT_JSON " FROM forecast_adjustments a WHERE a.org_id = $1 AND a.scope_type = $2"
	" AND a.scope_id = $3::bigint AND ($4::text IS NULL OR a.period = $4)"
	" AND ($5::bigint = 0 OR a.id < $5::bigint) ORDER BY a.id DESC LIMIT $6::int");

enum status
forecast_store_adjust(struct db_conn *c, const char *org, const struct forecast_adjustment *a, struct rowjson *out)
{
	struct call_params p;
	char by[24];

	call_params(org, &a->call, &p);
	snprintf(by, sizeof by, "%lld", (long long)a->by_person);
	p.v[10] = by;
	return row_exec(c, &stmt_adjust, 11, p.v, out);
}

enum status
forecast_store_adjustments(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
			   const char *period, int64_t before, int limit, struct page *out)
{
	return scope_page(c, &stmt_adjustments, org, scope_type, scope_id, period, before, limit, out);
}

#define SNAPSHOT_JSON                                                                                       \
	"json_build_object('id', n.id::text, 'scope', json_build_object('type', n.scope_type, 'id',           \
	 n.scope_id::text), 'period', n.period, 'sub', n.sub, 'taken_at', " DB_TS("n.taken_at") ",            \
	 'rollup', n.rollup)::text, n.id"

DB_STMT(stmt_snapshot,
	"INSERT INTO forecast_snapshots AS n (org_id, scope_type, scope_id, period, sub, rollup)"
	" VALUES ($1, $2, nullif($3::bigint, 0), $4, $5, $6::jsonb) RETURNING " SNAPSHOT_JSON ", 1");
DB_STMT(stmt_snapshots,
	"SELECT " SNAPSHOT_JSON " FROM forecast_snapshots n WHERE n.org_id = $1 AND n.scope_type = $2"
	" AND n.scope_id IS NOT DISTINCT FROM nullif($3::bigint, 0) AND ($4::text IS NULL OR n.period = $4)"
	" AND ($5::bigint = 0 OR n.id < $5::bigint) ORDER BY n.id DESC LIMIT $6::int");

enum status
forecast_store_snapshot(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
			const char *period, const char *sub, const char *rollup, struct rowjson *out)
{
	char id[24];

	snprintf(id, sizeof id, "%lld", (long long)scope_id);
	const char *params[] = {org, scope_type, id, period, sub, rollup};
	return row_exec(c, &stmt_snapshot, 6, params, out);
}

enum status
forecast_store_snapshots(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
			 const char *period, int64_t before, int limit, struct page *out)
{
	return scope_page(c, &stmt_snapshots, org, scope_type, scope_id, period, before, limit, out);
}

DB_STMT(stmt_calls,
	"SELECT coalesce(json_agg(json_build_object('adjustment', x.adj, 'scope_type', x.scope_type, 'scope_id',"
	" x.scope_id, 'period', x.period, 'commit_cents', x.cents, 'day', " DB_DAY("x.day") ", 'id', x.id)"
	" ORDER BY x.at, x.adj, x.id), '[]')::text FROM ("
	" SELECT false AS adj, s.scope_type, s.scope_id, s.period, (s.commit_amount * 100)::bigint AS cents,"
	" (s.submitted_at AT TIME ZONE " DB_ORG_TZ ")::date AS day, s.submitted_at AS at, s.id"
	" FROM forecast_submissions s WHERE s.org_id = $1 AND s.period = ANY ($2::text[])"
	" UNION ALL SELECT true, a.scope_type, a.scope_id, a.period, (a.commit_amount * 100)::bigint,"
	" (a.made_at AT TIME ZONE " DB_ORG_TZ ")::date, a.made_at, a.id"
	" FROM forecast_adjustments a WHERE a.org_id = $1 AND a.period = ANY ($2::text[])) x");

enum status
forecast_store_calls(struct db_conn *c, const char *org, const char *periods, struct rowjson *out)
{
	const char *params[] = {org, periods};
	return row_exec(c, &stmt_calls, 2, params, out);
}

/* The latest row per scope of k (the scopes asked) standing at the end of day $5; tbl aliased x, at its instant. */
#define STANDING(obj, tbl, at)                                                                                 \
	"(SELECT coalesce(json_agg(y.j), '[]') FROM (SELECT DISTINCT ON (x.scope_type, x.scope_id) " obj " AS j"  \
	" FROM " tbl " JOIN unnest($3::text[], $4::bigint[]) AS k (t, i) ON x.scope_type = k.t AND x.scope_id = k.i" \
	" WHERE x.org_id = $1 AND x.period = $2 AND " at " < ((($5::date + 1)::timestamp) AT TIME ZONE " DB_ORG_TZ ")" \
	" ORDER BY x.scope_type, x.scope_id, " at " DESC, x.id DESC) y)"

DB_STMT(stmt_standing,
	"SELECT json_build_object('submissions', "
	STANDING("json_build_object('id', x.id::text, 'commit', x.commit_amount, 'best_case', x.best_case_amount,"
		 " 'notes', x.notes, 'sub', x.sub, 'scope_type', x.scope_type, 'scope_id', x.scope_id, 'submitted_at', "
		 DB_TS("x.submitted_at") ")", "forecast_submissions x", "x.submitted_at")
	", 'adjustments', "
	STANDING("json_build_object('id', x.id::text, 'commit', x.commit_amount, 'best_case', x.best_case_amount,"
		 " 'notes', x.notes, 'sub', x.sub, 'scope_type', x.scope_type, 'scope_id', x.scope_id, 'by_person',"
		 " x.by_person::text, 'made_at', " DB_TS("x.made_at") ")", "forecast_adjustments x", "x.made_at")
	")::text");

enum status
forecast_store_standing(struct db_conn *c, const char *org, const char *period, cal_date as_of, const char *types,
			const char *ids, struct rowjson *out)
{
	char day[16];

	cal_date_format(as_of, day, sizeof day);
	const char *params[] = {org, period, types, ids, day};
	return row_exec(c, &stmt_standing, 5, params, out);
}
