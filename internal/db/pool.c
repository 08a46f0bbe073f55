#include "db/db.h"
#include "db/lag.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DB_MAX_STMTS 512

struct db_conn {
	PGconn *pg;                          /* owned; NULL until connected */
	unsigned char prepared[DB_MAX_STMTS]; /* 1 = statement slot prepared here */
	bool in_use;
	bool broken;                          /* reconnect before next use */
	int tx_depth;
	char sqlstate[6];
	char constraint[64];
	struct db_pool *pool;
	struct {
		void *value;
		void (*free_fn)(void *);
	} memo[DB_MEMO_SLOTS];
};

struct db_pool {
	char *url;   /* owned */
	int size;
	int wait_ms;
	int statement_timeout_ms;
	bool read_only;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	int waiting;
	int in_use;
	atomic_ulong errors;
	atomic_ulong connects;
	struct db_conn *conns; /* owned array of size */
};

static atomic_int next_slot = 1;
static void (*error_hook)(const char *, const char *);

void
db_set_error_hook(void (*hook)(const char *, const char *))
{
	error_hook = hook;
}

enum status
db_pool_new(const struct db_pool_options *o, struct db_pool **out)
{
	struct db_pool *p = calloc(1, sizeof *p);
	pthread_condattr_t ca;

	if (!p)
		return ST_NOMEM;
	p->url = strdup(o->url);
	p->conns = calloc((size_t)o->size, sizeof *p->conns);
	if (!p->url || !p->conns) {
		free(p->url);
		free(p->conns);
		free(p);
		return ST_NOMEM;
	}
	p->size = o->size;
	p->wait_ms = o->wait_ms;
	p->statement_timeout_ms = o->statement_timeout_ms;
	p->read_only = o->read_only;
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < p->size; i++)
		p->conns[i].pool = p;
	*out = p;
	return ST_OK;
}

void
db_pool_free(struct db_pool *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->size; i++) {
		if (p->conns[i].pg)
			PQfinish(p->conns[i].pg);
		for (int s = 0; s < DB_MEMO_SLOTS; s++)
			db_memo_set(&p->conns[i], (enum db_memo_slot)s, NULL, NULL);
	}
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->freed);
	free(p->conns);
	free(p->url);
	free(p);
}

void *
db_memo(struct db_conn *c, enum db_memo_slot slot)
{
	return c->memo[slot].value;
}

void
db_memo_set(struct db_conn *c, enum db_memo_slot slot, void *value, void (*free_fn)(void *))
{
	if (c->memo[slot].value && c->memo[slot].free_fn)
		c->memo[slot].free_fn(c->memo[slot].value);
	c->memo[slot].value = value;
	c->memo[slot].free_fn = value ? free_fn : NULL;
}

static void
disconnect(struct db_conn *c)
{
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	memset(c->prepared, 0, sizeof c->prepared);
	c->broken = false;
	c->tx_depth = 0;
}

/*
 * True when this idle connection must not be used: the server closed it or
 * sent something on its own (a FATAL "terminating connection" comes before
 * the EOF). We LISTEN to nothing, so an idle connection that is readable at
 * all is one the server is dropping.
 */
static bool
closed_by_server(struct db_conn *c)
{
	struct pollfd pfd = { .fd = PQsocket(c->pg), .events = POLLIN };

	if (pfd.fd < 0)
		return true;
	return poll(&pfd, 1, 0) != 0;
}

/* Server notices ("relation exists, skipping") are not errors: keep them off stderr. */
static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static enum status
connect_conn(struct db_conn *c)
{
	struct db_pool *p = c->pool;
	const char *keys[] = { "dbname", "connect_timeout", "application_name", "options", NULL };
	char opts[200];

	/*
	 * jit off: PostgreSQL compiles a plan whose estimated cost passes its
	 * thresholds, and the compilation (inlining, optimisation: 0.1-1.5 s on
	 * this service's wide reads) costs far more than it saves on statements
	 * that run for milliseconds to a second.
	 */
	snprintf(opts, sizeof opts,
		 "-c statement_timeout=%d -c idle_in_transaction_session_timeout=%d -c TimeZone=UTC -c jit=off%s",
		 p->statement_timeout_ms, p->statement_timeout_ms,
		 p->read_only ? " -c default_transaction_read_only=on" : "");
	const char *vals[] = { p->url, "2", p->read_only ? "attaind-read" : "attaind", opts, NULL };
	c->pg = PQconnectdbParams(keys, vals, 1);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		if (error_hook && c->pg)
			error_hook(PQerrorMessage(c->pg), "08006");
		disconnect(c);
		atomic_fetch_add(&p->errors, 1);
		return ST_UNAVAILABLE;
	}
	PQsetNoticeProcessor(c->pg, quiet_notice, NULL);
	atomic_fetch_add(&p->connects, 1);
	return ST_OK;
}

enum status
db_acquire(struct db_pool *p, struct db_conn **out)
{
	struct db_conn *c = NULL;
	struct timespec deadline;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->wait_ms / 1000;
	deadline.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->lock);
	for (;;) {
		/* Prefer a connected one, then an unopened slot. */
		for (int i = 0; i < p->size && !c; i++)
			if (!p->conns[i].in_use && p->conns[i].pg)
				c = &p->conns[i];
		for (int i = 0; i < p->size && !c; i++)
			if (!p->conns[i].in_use)
				c = &p->conns[i];
		if (c)
			break;
		p->waiting++;
		int rc = pthread_cond_timedwait(&p->freed, &p->lock, &deadline);
		p->waiting--;
		if (rc == ETIMEDOUT) {
			pthread_mutex_unlock(&p->lock);
			return ST_UNAVAILABLE;
		}
	}
	c->in_use = true;
	p->in_use++;
	pthread_mutex_unlock(&p->lock);

	if (c->pg && (c->broken || PQstatus(c->pg) != CONNECTION_OK || closed_by_server(c)))
		disconnect(c);
	if (!c->pg && connect_conn(c) != ST_OK) {
		db_release(p, c);
		return ST_UNAVAILABLE;
	}
	*out = c;
	return ST_OK;
}

void
db_release(struct db_pool *p, struct db_conn *c)
{
	if (!c)
		return;
	if (c->pg && c->tx_depth > 0) {
		c->tx_depth = 1;
		db_rollback(c);
	}
	if (c->pg && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		c->broken = true;
	pthread_mutex_lock(&p->lock);
	c->in_use = false;
	p->in_use--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void
db_pool_stats(struct db_pool *p, struct db_pool_stats *out)
{
	int open = 0;

	pthread_mutex_lock(&p->lock);
	for (int i = 0; i < p->size; i++)
		if (p->conns[i].pg)
			open++;
	out->size = p->size;
	out->in_use = p->in_use;
	out->idle = open - p->in_use > 0 ? open - p->in_use : 0;
	out->waiting = p->waiting;
	pthread_mutex_unlock(&p->lock);
	out->errors = atomic_load(&p->errors);
}

unsigned long
db_pool_connects(struct db_pool *p)
{
	return atomic_load(&p->connects);
}

static int
stmt_slot(struct db_stmt *s)
{
	int slot = atomic_load(&s->slot);

	if (slot == 0) {
		int fresh = atomic_fetch_add(&next_slot, 1);
		int expected = 0;
		if (atomic_compare_exchange_strong(&s->slot, &expected, fresh))
			slot = fresh;
		else
			slot = expected;
	}
	return slot;
}

static PGresult *
fatal_result(struct db_conn *c)
{
	PGresult *r = PQmakeEmptyPGresult(c->pg, PGRES_FATAL_ERROR);

	if (!r) {
		/* Out of memory even for an empty result: nothing sensible is left. */
		abort();
	}
	return r;
}

PGresult *
db_exec(struct db_conn *c, struct db_stmt *s, int n, const char *const *params)
{
	int slot = stmt_slot(s);
	PGresult *r;

	if (slot >= DB_MAX_STMTS)
		return PQexecParams(c->pg, s->sql, n, NULL, params, NULL, NULL, 0);
	if (!c->prepared[slot]) {
		char name[32];
		snprintf(name, sizeof name, "s%d", slot);
		r = PQprepare(c->pg, name, s->sql, 0, NULL);
		if (!r)
			return fatal_result(c);
		if (PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		c->prepared[slot] = 1;
	}
	char name[32];
	snprintf(name, sizeof name, "s%d", slot);
	r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
	return r ? r : fatal_result(c);
}

/* The one result of a command of a pipeline and the NULL that ends it; NULL when the connection failed. */
static PGresult *
pipeline_result(struct db_conn *c)
{
	PGresult *r = PQgetResult(c->pg), *end;

	if (r && (end = PQgetResult(c->pg)) != NULL) {
		/* more than one result for a command: not a statement this layer sends */
		PQclear(end);
		PQclear(r);
		r = NULL;
	}
	if (!r)
		c->broken = true;
	return r;
}

void
db_exec_batch(struct db_conn *c, int k, const struct db_call *calls, PGresult **out)
{
	int slots[DB_BATCH_MAX];
	bool preparing[DB_BATCH_MAX], sent = true;
	char name[32];
	int i;

	if (k > DB_BATCH_MAX || PQpipelineStatus(c->pg) != PQ_PIPELINE_OFF || !PQenterPipelineMode(c->pg)) {
		for (i = 0; i < k; i++)
			out[i] = db_exec(c, calls[i].stmt, calls[i].n, calls[i].params);
		return;
	}
	for (i = 0; i < k && sent; i++) {
		slots[i] = stmt_slot(calls[i].stmt);
		preparing[i] = false;
		if (slots[i] >= DB_MAX_STMTS) {
			sent = PQsendQueryParams(c->pg, calls[i].stmt->sql, calls[i].n, NULL, calls[i].params, NULL, NULL,
						 0) == 1;
			continue;
		}
		snprintf(name, sizeof name, "s%d", slots[i]);
		preparing[i] = !c->prepared[slots[i]];
		if (preparing[i])
			sent = PQsendPrepare(c->pg, name, calls[i].stmt->sql, 0, NULL) == 1;
		if (sent)
			sent = PQsendQueryPrepared(c->pg, name, calls[i].n, calls[i].params, NULL, NULL, 0) == 1;
	}
	if (!sent || PQpipelineSync(c->pg) != 1) {
		/* the connection failed while sending: every statement fails with it */
		c->broken = true;
		for (i = 0; i < k; i++)
			out[i] = fatal_result(c);
		return;
	}
	for (i = 0; i < k; i++) {
		PGresult *prep = NULL;
		if (preparing[i] && (prep = pipeline_result(c)) != NULL && PQresultStatus(prep) == PGRES_COMMAND_OK) {
			c->prepared[slots[i]] = 1;
			PQclear(prep);
			prep = NULL;
		}
		PGresult *r = c->broken ? NULL : pipeline_result(c);
		if (prep) { /* the statement could not be prepared: that is its answer (it was not run) */
			PQclear(r);
			r = prep;
		}
		out[i] = r ? r : fatal_result(c);
	}
	PGresult *sync = c->broken ? NULL : PQgetResult(c->pg);
	if (!sync || PQresultStatus(sync) != PGRES_PIPELINE_SYNC || !PQexitPipelineMode(c->pg))
		c->broken = true;
	PQclear(sync);
}

int
db_batch_add(struct db_batch *b, struct db_stmt *s, int n, const char *const *params)
{
	if (b->n >= DB_BATCH_MAX)
		return -1;
	b->calls[b->n] = (struct db_call){s, n, params};
	b->r[b->n] = NULL;
	return b->n++;
}

void
db_batch_run(struct db_conn *c, struct db_batch *b)
{
	db_exec_batch(c, b->n, b->calls, b->r);
}

void
db_batch_clear(struct db_batch *b)
{
	for (int i = 0; i < b->n; i++)
		PQclear(b->r[i]);
	memset(b, 0, sizeof *b);
}

PGresult *
db_exec_planned(struct db_conn *c, struct db_stmt *s, int n, const char *const *params)
{
	PGresult *r = PQexecParams(c->pg, s->sql, n, NULL, params, NULL, NULL, 0);

	return r ? r : fatal_result(c);
}

PGresult *
db_exec_raw(struct db_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->pg, sql);

	return r ? r : fatal_result(c);
}

enum status
db_check(struct db_conn *c, const PGresult *r, ExecStatusType want)
{
	ExecStatusType got = PQresultStatus(r);
	const char *state, *cons;

	if (got == want) {
		c->sqlstate[0] = '\0';
		return ST_OK;
	}
	state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
	cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
	snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
	snprintf(c->constraint, sizeof c->constraint, "%s", cons ? cons : "");
	if (PQstatus(c->pg) != CONNECTION_OK || !state) {
		c->broken = true;
		atomic_fetch_add(&c->pool->errors, 1);
		if (error_hook)
			error_hook(PQerrorMessage(c->pg), state ? state : "08006");
		return ST_UNAVAILABLE;
	}
	if (strcmp(state, "23505") == 0 || strcmp(state, "23P01") == 0)
		return ST_CONFLICT;
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return ST_INVALID;
	atomic_fetch_add(&c->pool->errors, 1);
	if (error_hook)
		error_hook(PQresultErrorMessage(r), state);
	if (strncmp(state, "08", 2) == 0 || strcmp(state, "57014") == 0 || strncmp(state, "57P0", 4) == 0 ||
	    strcmp(state, "53300") == 0 || strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0) {
		if (strncmp(state, "08", 2) == 0 || strncmp(state, "57P0", 4) == 0)
			c->broken = true;
		return ST_UNAVAILABLE;
	}
	return ST_INTERNAL;
}

const char *
db_last_sqlstate(const struct db_conn *c)
{
	return c->sqlstate;
}

const char *
db_last_constraint(const struct db_conn *c)
{
	return c->constraint;
}

enum status
db_run(struct db_conn *c, const char *sql, ExecStatusType want)
{
	PGresult *r = db_exec_raw(c, sql);
	enum status st = db_check(c, r, want);

	PQclear(r);
	return st;
}

static enum status
simple(struct db_conn *c, const char *sql)
{
	return db_run(c, sql, PGRES_COMMAND_OK);
}

enum status
db_begin(struct db_conn *c)
{
	enum status st;
	char sql[48];

	if (c->tx_depth == 0)
		st = simple(c, "BEGIN");
	else {
		snprintf(sql, sizeof sql, "SAVEPOINT sp%d", c->tx_depth);
		st = simple(c, sql);
	}
	if (st == ST_OK)
		c->tx_depth++;
	return st;
}

enum status
db_commit(struct db_conn *c)
{
	enum status st;
	char sql[48];

	if (c->tx_depth <= 0)
		return ST_INTERNAL;
	if (c->tx_depth == 1)
		st = simple(c, "COMMIT");
	else {
		snprintf(sql, sizeof sql, "RELEASE SAVEPOINT sp%d", c->tx_depth - 1);
		st = simple(c, sql);
	}
	c->tx_depth--;
	if (st != ST_OK && c->tx_depth == 0 && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		simple(c, "ROLLBACK");
	return st;
}

void
db_rollback(struct db_conn *c)
{
	char sql[64];

	if (c->tx_depth <= 0)
		return;
	if (c->tx_depth == 1)
		simple(c, "ROLLBACK");
	else {
		snprintf(sql, sizeof sql, "ROLLBACK TO SAVEPOINT sp%d", c->tx_depth - 1);
		simple(c, sql);
	}
	c->tx_depth--;
}

int
db_tx_depth(const struct db_conn *c)
{
	return c->tx_depth;
}

enum status
db_copy_start(struct db_conn *c, const char *sql)
{
	return db_run(c, sql, PGRES_COPY_IN);
}

enum status
db_copy_put(struct db_conn *c, const char *data, size_t len)
{
	if (PQputCopyData(c->pg, data, (int)len) != 1) {
		c->broken = true;
		return ST_UNAVAILABLE;
	}
	return ST_OK;
}

enum status
db_copy_end(struct db_conn *c)
{
	PGresult *r;
	enum status st = ST_OK;

	if (PQputCopyEnd(c->pg, NULL) != 1) {
		c->broken = true;
		return ST_UNAVAILABLE;
	}
	while ((r = PQgetResult(c->pg)) != NULL) {
		enum status s2 = db_check(c, r, PGRES_COMMAND_OK);
		if (st == ST_OK)
			st = s2;
		PQclear(r);
	}
	return st;
}

enum status
db_wal_insert_position(struct db_conn *c, char *out, size_t size)
{
	PGresult *r = db_exec_raw(c, STMT_WAL_INSERT_POSITION);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);
	uint64_t lsn;
	char text[20];

	if (st == ST_OK && (PQntuples(r) != 1 || PQgetisnull(r, 0, 0) || !lag_lsn_parse(PQgetvalue(r, 0, 0), &lsn)))
		st = ST_INTERNAL;
	if (st == ST_OK) {
		lag_lsn_format(lag_lsn_settled(lsn, strtoull(PQgetvalue(r, 0, 1), NULL, 10),
					       strtoull(PQgetvalue(r, 0, 2), NULL, 10)),
			       text);
		snprintf(out, size, "%s", text);
	}
	PQclear(r);
	return st;
}
