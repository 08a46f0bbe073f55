/* replica.c — the standby's freshness, checked by one thread (replica.h). */
#include "db/replica.h"

#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"
#include "db/lag.h"

/* A check that gets no answer in this long counts the server as unreachable. */
#define CHECK_TIMEOUT_MS 2000

struct db_replica {
	const char *primary_url; /* in urls */
	const char *standby_url; /* in urls */
	int max_lag_ms;
	int check_ms;
	PGconn *primary;          /* owned by the thread */
	PGconn *standby;          /* owned by the thread */
	struct lag_window window; /* the thread's only */
	pthread_t thread;
	atomic_bool stopping;
	atomic_bool reachable;
	atomic_llong fresh_since_ms; /* monotonic; 0 = never measured */
	atomic_ullong replay_lsn;
	atomic_ulong checks;
	char urls[]; /* owned: both URLs, NUL-terminated */
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static PGconn *
open_conn(const char *url)
{
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {url, "2", "attaind-replica-check", NULL};
	PGconn *c = PQconnectdbParams(keys, vals, 1);

	if (c && PQstatus(c) == CONNECTION_OK) {
		PQsetNoticeProcessor(c, quiet_notice, NULL);
		return c;
	}
	PQfinish(c);
	return NULL;
}

/*
 * Run `sql` (one row) on *conn, opening it when needed, with a deadline;
 * its values as text, separated by spaces, into out (NULL value: ""). False on any
 * failure: the connection is closed then, and opened again next time.
 */
static bool
query_one(PGconn **conn, const char *url, const char *sql, char *out, size_t size)
{
	int64_t deadline = now_ms() + CHECK_TIMEOUT_MS;
	PGresult *res, *last = NULL;
	bool ok = false;

	if (!*conn && !(*conn = open_conn(url)))
		return false;
	if (!PQsendQuery(*conn, sql))
		goto out;
	for (;;) {
		if (!PQconsumeInput(*conn))
			goto out;
		if (!PQisBusy(*conn))
			break;
		int64_t left = deadline - now_ms();
		struct pollfd pfd = {.fd = PQsocket(*conn), .events = POLLIN};
		if (left <= 0 || poll(&pfd, 1, (int)left) < 0)
			goto out;
	}
	while ((res = PQgetResult(*conn)) != NULL) {
		PQclear(last);
		last = res;
	}
	if (last && PQresultStatus(last) == PGRES_TUPLES_OK && PQntuples(last) == 1) {
		size_t used = 0;
		out[0] = '\0';
		for (int i = 0; i < PQnfields(last) && used < size; i++)
			used += (size_t)snprintf(out + used, size - used, "%s%s", i ? " " : "",
			                         PQgetisnull(last, 0, i) ? "" : PQgetvalue(last, 0, i));
		ok = used < size;
	}
out:
	PQclear(last);
	if (!ok || PQstatus(*conn) != CONNECTION_OK) {
		PQfinish(*conn);
		*conn = NULL;
	}
	return ok;
}

static void
check(struct db_replica *r)
{
	char text[96], lsn_text[32];
	unsigned long long block, segment;
	uint64_t lsn, replay;
	int64_t t = now_ms(), since;

	/*
	 * The primary first: the standby's position is then compared with what
	 * it had by t. The insert position, not the write position: with
	 * synchronous_commit off a commit is acknowledged before its record is
	 * written, but never before it is inserted.
	 */
	if (query_one(&r->primary, r->primary_url, STMT_WAL_INSERT_POSITION, text, sizeof text) &&
	    sscanf(text, "%31s %llu %llu", lsn_text, &block, &segment) == 3 && lag_lsn_parse(lsn_text, &lsn))
		lag_window_add(&r->window, t, lag_lsn_settled(lsn, block, segment));
	/* a READ_URL that reaches a primary (the same server, say) is compared by its own position */
	if (!query_one(&r->standby, r->standby_url,
	               "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE "
	               "pg_current_wal_lsn() END",
	               text, sizeof text)) {
		atomic_store(&r->reachable, false);
		goto out;
	}
	atomic_store(&r->reachable, true);
	if (!lag_lsn_parse(text, &replay))
		goto out;
	atomic_store(&r->replay_lsn, replay);
	if (lag_window_fresh_since(&r->window, replay, &since) && since > atomic_load(&r->fresh_since_ms))
		atomic_store(&r->fresh_since_ms, since);
out:
	atomic_fetch_add(&r->checks, 1);
}

/* Sleep up to ms, in slices short enough that a stop is seen within 50 ms. */
static void
nap(struct db_replica *r, int ms)
{
	for (int64_t until = now_ms() + ms, left;
	     !atomic_load(&r->stopping) && (left = until - now_ms()) > 0;)
		poll(NULL, 0, left < 50 ? (int)left : 50);
}

static void *
run(void *arg)
{
	struct db_replica *r = arg;

	while (!atomic_load(&r->stopping)) {
		check(r);
		nap(r, r->check_ms);
	}
	return NULL;
}

enum status
db_replica_start(const struct db_replica_options *o, struct db_replica **out)
{
	size_t np = strlen(o->primary_url) + 1, ns = strlen(o->standby_url) + 1;
	struct db_replica *r = calloc(1, sizeof *r + np + ns);

	if (!r)
		return ST_NOMEM;
	/* both URLs live in the one allocation, after the struct */
	r->primary_url = memcpy(r->urls, o->primary_url, np);
	r->standby_url = memcpy(r->urls + np, o->standby_url, ns);
	r->max_lag_ms = o->max_lag_ms;
	r->check_ms = o->check_ms > 0 ? o->check_ms : 100;
	if (pthread_create(&r->thread, NULL, run, r) != 0) {
		free(r);
		return ST_INTERNAL;
	}
	*out = r;
	return ST_OK;
}

enum db_replica_verdict
db_replica_verdict(struct db_replica *r, uint64_t min_lsn)
{
	int64_t since = atomic_load(&r->fresh_since_ms);

	if (!atomic_load(&r->reachable))
		return DB_REPLICA_UNREACHABLE;
	if (since == 0 || now_ms() - since > r->max_lag_ms)
		return DB_REPLICA_LAGGING;
	if (min_lsn && atomic_load(&r->replay_lsn) < min_lsn)
		return DB_REPLICA_BEHIND_LSN;
	return DB_REPLICA_FRESH;
}

void
db_replica_mark_down(struct db_replica *r)
{
	atomic_store(&r->reachable, false);
}

void
db_replica_stats(struct db_replica *r, struct db_replica_stats *out)
{
	int64_t since = atomic_load(&r->fresh_since_ms);

	out->reachable = atomic_load(&r->reachable);
	out->staleness_ms = since ? now_ms() - since : -1;
	out->replay_lsn = atomic_load(&r->replay_lsn);
	out->checks = atomic_load(&r->checks);
}

void
db_replica_stop(struct db_replica *r)
{
	if (!r)
		return;
	atomic_store(&r->stopping, true);
	pthread_join(r->thread, NULL);
	PQfinish(r->primary);
	PQfinish(r->standby);
	free(r);
}
