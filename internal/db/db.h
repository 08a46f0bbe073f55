/*
 * db.h — the PostgreSQL pool, prepared statements, transactions, migrations.
 *
 * One connection serves one request at a time. Statements are declared once
 * (DB_STMT) and prepared lazily on each connection, again after a reconnect.
 * A broken connection is noticed before use (the server closed it) or when a
 * statement fails with the connection gone; it is reconnected on the next
 * acquire, so the service recovers by itself when PostgreSQL comes back.
 */
#ifndef ATTAIN_DB_H
#define ATTAIN_DB_H

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/status.h"

/* A statement; declare with DB_STMT at file scope. */
struct db_stmt {
	const char *name;
	const char *sql;
	atomic_int slot; /* assigned lazily: index into each connection's prepared set */
};
#define DB_STMT(var, sqltext) static struct db_stmt var = { .name = #var, .sql = (sqltext) }

struct db_pool;
struct db_conn;

struct db_pool_options {
	const char *url;
	int size;
	int wait_ms;
	int statement_timeout_ms;
	bool read_only; /* every transaction read-only (the standby's pool: a write there fails loudly) */
};

struct db_pool_stats {
	int size;
	int in_use;
	int idle;
	int waiting;
	unsigned long errors; /* statements that failed for a reason other than bad input */
};

/* Make a pool (connections are opened lazily). Caller frees with db_pool_free. */
enum status db_pool_new(const struct db_pool_options *o, struct db_pool **out);
void db_pool_free(struct db_pool *p);
/*
 * Take a connection, waiting up to wait_ms. ST_UNAVAILABLE when none frees
 * up in time or PostgreSQL cannot be reached. Release with db_release.
 */
enum status db_acquire(struct db_pool *p, struct db_conn **out);
/* Give a connection back; an open transaction is rolled back first. */
void db_release(struct db_pool *p, struct db_conn *c);
void db_pool_stats(struct db_pool *p, struct db_pool_stats *out);
/*
 * How many connections the pool has opened so far. Caches of database facts
 * compare it to notice that PostgreSQL may have restarted (and, after a
 * crash or failover, lost recent commits).
 */
unsigned long db_pool_connects(struct db_pool *p);

/*
 * Memos: a module may keep one value per slot on a connection between
 * requests, such as what it parsed from a large row, so that the next
 * request on that connection need not fetch and parse it again. A
 * connection serves one request at a time, so a memo needs no lock; the
 * value must stay right by itself (key it on a version of the data). The
 * pool frees each memo with its free_fn when the pool is freed.
 */
enum db_memo_slot { DB_MEMO_LEAD_MODELS, DB_MEMO_SLOTS };
void *db_memo(struct db_conn *c, enum db_memo_slot slot);
/* Replace the memo of slot (the old one is freed); value NULL clears it. */
void db_memo_set(struct db_conn *c, enum db_memo_slot slot, void *value, void (*free_fn)(void *));

/*
 * Run a declared statement with text parameters (NULL = SQL NULL). Never
 * returns NULL (an out-of-memory result is PGRES_FATAL_ERROR). Caller
 * PQclears. Check the outcome with db_check.
 */
PGresult *db_exec(struct db_conn *c, struct db_stmt *s, int n, const char *const *params);
/* One statement of a batch: the statement and its text parameters. */
struct db_call {
	struct db_stmt *stmt;
	int n;
	const char *const *params;
};
#define DB_BATCH_MAX 8
/*
 * Run k (at most DB_BATCH_MAX) statements in one round trip (libpq's
 * pipeline mode): out[i] gets statement i's result as db_exec gives it
 * (never NULL; the caller PQclears each). Outside a transaction they run
 * in one implicit transaction. A statement behind a failed one is not run
 * (PGRES_PIPELINE_ABORTED): check the results in order, db_check each, and
 * stop at the first failure.
 */
void db_exec_batch(struct db_conn *c, int k, const struct db_call *calls, PGresult **out);
/*
 * A batch filled by several callers before it runs (each queues its
 * statements, the batch runs once, each takes its results): one round trip
 * for reads that belong to different domains. Zero-initialise it.
 */
struct db_batch {
	int n;
	struct db_call calls[DB_BATCH_MAX];
	PGresult *r[DB_BATCH_MAX];
};
/*
 * Queue statement s with its n parameters (they must stay valid until
 * db_batch_run): its index in the batch, or -1 when the batch is full.
 */
int db_batch_add(struct db_batch *b, struct db_stmt *s, int n, const char *const *params);
/* Run what b holds (db_exec_batch); b->r[i] is statement i's result. */
void db_batch_run(struct db_conn *c, struct db_batch *b);
/* PQclear every result and empty b, ready to be filled again. */
void db_batch_clear(struct db_batch *b);
/*
 * As db_exec, but unprepared: PostgreSQL plans the statement for these
 * parameter values on every call. For statements whose good plan depends on
 * which optional parameters are NULL (lists with many optional filters),
 * where a prepared statement's cached generic plan can be far worse.
 */
PGresult *db_exec_planned(struct db_conn *c, struct db_stmt *s, int n, const char *const *params);
/* Run ad-hoc SQL without parameters (migrations, SET, BEGIN). */
PGresult *db_exec_raw(struct db_conn *c, const char *sql);
/* Run ad-hoc SQL without parameters whose outcome is `want`; db_check's status. */
enum status db_run(struct db_conn *c, const char *sql, ExecStatusType want);
/*
 * Map a result to a status: ST_OK when its status is `want`; ST_CONFLICT
 * for unique/exclusion violations (23505, 23P01); ST_INVALID for check,
 * foreign-key and data errors (23xxx, 22xxx); ST_UNAVAILABLE when the
 * connection is gone or a timeout/cancel hit (08xxx, 57014, 57P0x);
 * ST_INTERNAL otherwise (logged). The SQLSTATE of a failure is kept in
 * db_last_sqlstate.
 */
enum status db_check(struct db_conn *c, const PGresult *r, ExecStatusType want);
const char *db_last_sqlstate(const struct db_conn *c);
/* The constraint named by the last failure ("" when none). */
const char *db_last_constraint(const struct db_conn *c);

/*
 * The primary's WAL insert position now (settled: lag.h), as PostgreSQL
 * prints it ("16/B374D848"), into out: after a COMMIT, a position at or past
 * the end of the commit's record (the read-your-writes cookie of a write's
 * answer), which a standby reaches once it has replayed the commit.
 */
enum status db_wal_insert_position(struct db_conn *c, char *out, size_t size);
/* Its SQL: the insert position, wal_block_size and wal_segment_size (bytes). */
#define STMT_WAL_INSERT_POSITION                                               \
	"SELECT pg_current_wal_insert_lsn(), current_setting('wal_block_size'),"  \
	" (SELECT setting FROM pg_settings WHERE name = 'wal_segment_size')"

/* Transactions nest: the outer level is BEGIN/COMMIT, inner ones savepoints. */
enum status db_begin(struct db_conn *c);
enum status db_commit(struct db_conn *c);
void db_rollback(struct db_conn *c);
int db_tx_depth(const struct db_conn *c);

/* COPY FROM STDIN helpers for bulk paths. */
enum status db_copy_start(struct db_conn *c, const char *sql);
enum status db_copy_put(struct db_conn *c, const char *data, size_t len);
enum status db_copy_end(struct db_conn *c);

/*
 * Apply the embedded migrations not yet applied, under an advisory lock so
 * several processes may start at once. *applied_now (may be NULL) receives
 * how many were applied. err gets one line on failure.
 */
enum status db_migrate(struct db_conn *c, int *applied_now, char *err, size_t errlen);
/* The number of embedded migrations, and how many the database has. */
int db_migrations_expected(void);
enum status db_migrations_applied(struct db_conn *c, int *out);

/* Set the process-wide logger for database errors (message, SQLSTATE). */
void db_set_error_hook(void (*hook)(const char *msg, const char *sqlstate));

#endif
