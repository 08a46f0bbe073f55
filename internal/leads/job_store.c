#include "leads/job_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STR(x) #x
#define XSTR(x) STR(x)
#define LOCK_KEY XSTR(LEAD_JOB_LOCK_KEY)

#define JOB_JSON                                                                                          \
	"jsonb_build_object('id', j.id, 'segment', j.segment, 'state', j.state, 'progress', j.progress,"       \
	" 'step', j.step, 'error', j.error, 'trained_version', j.trained_version, 'created_at', " DB_TS(      \
	    "j.created_at") ", 'started_at', " DB_TS("j.started_at") ", 'finished_at', " DB_TS("j.finished_at") \
	")::text, j.id, 0"

/* New when none is in flight for the segment (the partial unique index), else nothing. */
DB_STMT(stmt_job_insert,
	"INSERT INTO lead_training_jobs AS j (org_id, segment, created_by) VALUES ($1, $2, $3)"
	" ON CONFLICT (org_id, segment) WHERE state IN ('queued', 'running') DO NOTHING RETURNING " JOB_JSON);
DB_STMT(stmt_job_lock_xact, "SELECT pg_advisory_xact_lock(" LOCK_KEY ", ($1::bigint % 2147483647)::int)");
DB_STMT(stmt_job_in_flight, "SELECT " JOB_JSON " FROM lead_training_jobs j WHERE j.org_id = $1 AND j.segment = $2"
			    " AND j.state IN ('queued', 'running')");
DB_STMT(stmt_job_get, "SELECT " JOB_JSON " FROM lead_training_jobs j WHERE j.org_id = $1 AND j.id = $2");
DB_STMT(stmt_job_lock, "SELECT pg_advisory_lock(" LOCK_KEY ", ($1::bigint % 2147483647)::int)");
DB_STMT(stmt_job_unlock, "SELECT pg_advisory_unlock(" LOCK_KEY ", ($1::bigint % 2147483647)::int)");
DB_STMT(stmt_job_start, "UPDATE lead_training_jobs SET state = 'running', step = 'reading', started_at = now()"
			" WHERE org_id = $2 AND id = $1 AND state = 'queued' RETURNING segment");
DB_STMT(stmt_job_progress, "UPDATE lead_training_jobs SET step = $2, progress = $3::int"
			   " WHERE org_id = $4 AND id = $1 AND state = 'running'");
DB_STMT(stmt_job_finish,
	"UPDATE lead_training_jobs SET state = CASE WHEN $2::int > 0 THEN 'succeeded' ELSE 'failed' END,"
	" trained_version = nullif($2::int, 0), error = $3, progress = CASE WHEN $2::int > 0 THEN 100 ELSE"
	" progress END, step = CASE WHEN $2::int > 0 THEN 'done' ELSE 'failed' END, finished_at = now()"
	" WHERE org_id = $4 AND id = $1 AND state = 'running'");
/* A lock nobody holds is taken (for this transaction only): its job has lost its attaind. */
DB_STMT(stmt_job_sweep,
	"UPDATE lead_training_jobs SET state = 'failed', step = 'failed', finished_at = now(), error = 'attaind"
	" stopped before the training ended: train again'"
	" WHERE state IN ('queued', 'running') AND pg_try_advisory_xact_lock(" LOCK_KEY ", (id % 2147483647)::int)");

enum status
job_store_create(struct db_conn *c, const char *org, const char *segment, const char *by, struct rowjson *out,
                 bool *created)
{
	char id[24];
	enum status st = row_exec(c, &stmt_job_insert, 3, (const char *[]){org, segment, by}, out);

	if (st == ST_NOT_FOUND) {
		*created = false;
		return row_exec(c, &stmt_job_in_flight, 2, (const char *[]){org, segment}, out);
	}
	if (st != ST_OK)
		return st;
	*created = true;
	snprintf(id, sizeof id, "%lld", (long long)out->id);
	PGresult *r = db_exec(c, &stmt_job_lock_xact, 1, (const char *[]){id});
	st = db_check(c, r, PGRES_TUPLES_OK);
	PQclear(r);
	if (st != ST_OK)
		rowjson_clear(out);
	return st;
}

enum status
job_store_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out)
{
	char ids[24];

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	return row_exec(c, &stmt_job_get, 2, (const char *[]){org, ids}, out);
}

enum status
job_store_take(struct db_conn *c, const char *org, int64_t id, char *segment, size_t seglen)
{
	char ids[24];
	PGresult *r;
	enum status st;

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	r = db_exec(c, &stmt_job_lock, 1, (const char *[]){ids});
	st = db_check(c, r, PGRES_TUPLES_OK);
	PQclear(r);
	if (st != ST_OK)
		return st;
	if ((st = row_exec_one(c, &stmt_job_start, 2, (const char *[]){ids, org}, &r)) != ST_OK) {
		job_store_release(c, id);
		return st;
	}
	snprintf(segment, seglen, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return ST_OK;
}

enum status
job_store_progress(struct db_conn *c, const char *org, int64_t id, const char *step, int progress)
{
	char ids[24], pct[12];

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(pct, sizeof pct, "%d", progress);
	return row_exec_command(c, &stmt_job_progress, 4, (const char *[]){ids, step, pct, org});
}

enum status
job_store_finish(struct db_conn *c, const char *org, int64_t id, int trained_version, const char *why)
{
	char ids[24], tv[12];

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	snprintf(tv, sizeof tv, "%d", trained_version > 0 ? trained_version : 0);
	return row_exec_command(c, &stmt_job_finish, 4,
	                        (const char *[]){ids, tv, trained_version > 0 ? NULL : why, org});
}

void
job_store_release(struct db_conn *c, int64_t id)
{
	char ids[24];

	snprintf(ids, sizeof ids, "%lld", (long long)id);
	PQclear(db_exec(c, &stmt_job_unlock, 1, (const char *[]){ids}));
}

enum status
job_store_sweep(struct db_conn *c, long *swept)
{
	PGresult *r = db_exec(c, &stmt_job_sweep, 0, NULL);
	enum status st = db_check(c, r, PGRES_COMMAND_OK);

	if (st == ST_OK)
		*swept = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return st;
}
