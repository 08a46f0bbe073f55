#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/db.h"
#include "db/migrations.h"

/* Any constant works; it only has to be the same in every attaind. */
#define MIGRATION_LOCK_KEY "7291003"

int
db_migrations_expected(void)
{
	return db_migrations_count;
}

DB_STMT(stmt_migrations_applied,
	"SELECT count(*) FROM schema_migrations");

enum status
db_migrations_applied(struct db_conn *c, int *out)
{
	PGresult *r = db_exec(c, &stmt_migrations_applied, 0, NULL);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		*out = atoi(PQgetvalue(r, 0, 0));
	else if (strcmp(db_last_sqlstate(c), "42P01") == 0) {
		*out = 0;
		st = ST_OK;
	}
	PQclear(r);
	return st;
}

static enum status
run(struct db_conn *c, const char *sql, ExecStatusType want, char *err, size_t errlen, const char *what)
{
	PGresult *r = db_exec_raw(c, sql);
	enum status st = db_check(c, r, want);

	if (st != ST_OK) {
		char *msg = PQresultErrorMessage(r);
		size_t n = strcspn(msg, "\n");
		snprintf(err, errlen, "migration %s: %.*s", what, (int)n, msg);
	}
	PQclear(r);
	return st;
}

enum status
db_migrate(struct db_conn *c, int *applied_now, char *err, size_t errlen)
{
	enum status st;
	int done = 0, have = 0;
	char sql[256];
	PGresult *r;

	st = run(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", PGRES_TUPLES_OK, err, errlen, "lock");
	if (st != ST_OK)
		return st;
	st = run(c,
		 "CREATE TABLE IF NOT EXISTS schema_migrations ("
		 " version int PRIMARY KEY, name text NOT NULL,"
		 " applied_at timestamptz NOT NULL DEFAULT now())",
		 PGRES_COMMAND_OK, err, errlen, "schema_migrations");
	if (st != ST_OK)
		goto unlock;
	r = db_exec_raw(c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK)
		have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (st != ST_OK) {
		snprintf(err, errlen, "migration: cannot read schema_migrations");
		goto unlock;
	}
	if (have > db_migrations_count) {
		snprintf(err, errlen, "migration: database is at version %d, newer than this binary (%d)", have,
			 db_migrations_count);
		st = ST_CONFLICT;
		goto unlock;
	}
	for (int i = have; i < db_migrations_count; i++) {
		const struct db_migration *m = &db_migrations[i];
		if ((st = run(c, "BEGIN", PGRES_COMMAND_OK, err, errlen, m->name)) != ST_OK)
			goto unlock;
		if ((st = run(c, m->sql, PGRES_COMMAND_OK, err, errlen, m->name)) != ST_OK) {
			run(c, "ROLLBACK", PGRES_COMMAND_OK, err + strlen(err), 0, m->name);
			goto unlock;
		}
		snprintf(sql, sizeof sql, "INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')",
			 m->version, m->name);
		if ((st = run(c, sql, PGRES_COMMAND_OK, err, errlen, m->name)) != ST_OK ||
		    (st = run(c, "COMMIT", PGRES_COMMAND_OK, err, errlen, m->name)) != ST_OK) {
			run(c, "ROLLBACK", PGRES_COMMAND_OK, err + strlen(err), 0, m->name);
			goto unlock;
		}
		done++;
	}
unlock:
	r = db_exec_raw(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")");
	PQclear(r);
	if (applied_now)
		*applied_now = done;
	return st;
}
