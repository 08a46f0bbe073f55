/* store.c — the SQL of attainctl import's own reads (store.h). */
#include "importer/store.h"

#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db/row.h"

DB_STMT(stmt_imp_orgs, "SELECT org_id FROM orgs ORDER BY org_id LIMIT $1::int");
DB_STMT(stmt_imp_org, "SELECT 1 FROM orgs WHERE org_id = $1");
DB_STMT(stmt_imp_people, "SELECT id, version, external_id, email FROM people WHERE org_id = $1");
DB_STMT(stmt_imp_teams, "SELECT id, version, external_id, NULL FROM teams WHERE org_id = $1");
DB_STMT(stmt_imp_quota,
        "SELECT id, version FROM quotas WHERE org_id = $1 AND assignee_type = $2"
        " AND coalesce(person_id, team_id) = $3::bigint AND period = $4 AND metric = $5"
        " AND filter_type IS NOT DISTINCT FROM $6 AND filter_segment IS NOT DISTINCT FROM $7");

enum status
imp_store_orgs(struct db_conn *c, char **out, size_t max, size_t *n)
{
	char lim[24];
	PGresult *r =
	    db_exec(c, &stmt_imp_orgs, 1, (const char *[]){row_int_param((long long)max, lim, sizeof lim)});
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	*n = 0;
	for (int i = 0; st == ST_OK && i < PQntuples(r) && (size_t)i < max; i++) {
		if (!(out[i] = strdup(PQgetvalue(r, i, 0))))
			st = ST_NOMEM;
		else
			(*n)++;
	}
	PQclear(r);
	return st;
}

enum status
imp_store_org_exists(struct db_conn *c, const char *org)
{
	PGresult *r = NULL;
	enum status st = row_exec_one(c, &stmt_imp_org, 1, (const char *[]){org}, &r);

	PQclear(r);
	return st;
}

static const char *
text_or_null(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

enum status
imp_store_keys(struct db_conn *c, const char *org, int people,
               void (*each)(void *ctx, int64_t id, int version, const char *external_id, const char *email),
               void *ctx)
{
	PGresult *r = db_exec(c, people ? &stmt_imp_people : &stmt_imp_teams, 1, (const char *[]){org});
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	for (int i = 0; st == ST_OK && i < PQntuples(r); i++)
		each(ctx, strtoll(PQgetvalue(r, i, 0), NULL, 10), atoi(PQgetvalue(r, i, 1)),
		     text_or_null(r, i, 2), text_or_null(r, i, 3));
	PQclear(r);
	return st;
}

enum status
imp_store_quota_find(struct db_conn *c, const char *org, const char *assignee_type, int64_t assignee_id,
                     const char *period, const char *metric, const char *filter_type,
                     const char *filter_segment, int64_t *id, int *version)
{
	char idbuf[24];
	PGresult *r = NULL;
	enum status st =
	    row_exec_one(c, &stmt_imp_quota, 7,
	                 (const char *[]){org, assignee_type, row_id_param(assignee_id, idbuf, sizeof idbuf),
	                                  period, metric, filter_type, filter_segment},
	                 &r);

	if (st == ST_OK) {
		*id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		*version = atoi(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return st;
}
