#include "db/idempotency.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

DB_STMT(stmt_idem_claim,
	"INSERT INTO idempotency_keys (org_id, caller, key, request_hash, status) VALUES ($1, $4, $2, $3, 0) "
	"ON CONFLICT DO NOTHING RETURNING 1");
DB_STMT(stmt_idem_get,
	"SELECT request_hash, status, content_type, location, body, etag FROM idempotency_keys "
	"WHERE org_id = $1 AND caller = $3 AND key = $2");
DB_STMT(stmt_idem_store,
	"UPDATE idempotency_keys SET status = $3, content_type = $4, location = $5, body = $6, etag = $7 "
	"WHERE org_id = $1 AND caller = $8 AND key = $2");

static char *
col(const PGresult *r, int i)
{
	return PQgetisnull(r, 0, i) ? NULL : strdup(PQgetvalue(r, 0, i));
}

enum status
idem_claim(struct db_conn *c, const char *org, const char *caller, const char *key, const char *hash,
	   bool *claimed, struct idem_record *prev)
{
	PGresult *r = db_exec(c, &stmt_idem_claim, 4, (const char *[]){ org, key, hash, caller });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st != ST_OK)
		goto out;
	if (PQntuples(r) == 1) {
		*claimed = true;
		goto out;
	}
	PQclear(r);
	r = db_exec(c, &stmt_idem_get, 3, (const char *[]){ org, key, caller });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) != 1) {
		st = ST_CONFLICT; /* claimed and released in between: the caller may retry */
		goto out;
	}
	struct idem_record rec = {
		.request_hash = col(r, 0),
		.status = atoi(PQgetvalue(r, 0, 1)),
		.content_type = col(r, 2),
		.location = col(r, 3),
		.body = col(r, 4),
		.etag = col(r, 5),
	};
	if (!rec.request_hash || !rec.content_type || !rec.body) {
		idem_record_clear(&rec);
		st = ST_NOMEM;
		goto out;
	}
	*claimed = false;
	*prev = rec;
out:
	PQclear(r);
	return st;
}

enum status
idem_store(struct db_conn *c, const char *org, const char *caller, const char *key, int status,
	   const char *content_type, const char *location, const char *etag, const char *body)
{
	char code[16];

	snprintf(code, sizeof code, "%d", status);
	PGresult *r = db_exec(c, &stmt_idem_store, 8,
			      (const char *[]){ org, key, code, content_type, location, body, etag, caller });
	enum status st = db_check(c, r, PGRES_COMMAND_OK);
	PQclear(r);
	return st;
}

void
idem_record_clear(struct idem_record *r)
{
	free(r->request_hash);
	free(r->content_type);
	free(r->location);
	free(r->etag);
	free(r->body);
	memset(r, 0, sizeof *r);
}
