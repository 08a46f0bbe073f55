/*
 * replica.h — the hot standby that dashboard reads may use, and how fresh it
 * is (README "Read replicas").
 *
 * One thread checks, every check_ms, the primary's WAL position and the
 * standby's replay position on two connections of its own, and keeps the
 * instant since which the standby is known to hold every commit of the
 * primary (lag.h states the rule). A request asks db_replica_verdict, which
 * reads that state without any round trip.
 */
#ifndef ATTAIN_DB_REPLICA_H
#define ATTAIN_DB_REPLICA_H

#include <stdbool.h>
#include <stdint.h>

#include "core/status.h"

struct db_replica;

struct db_replica_options {
	const char *primary_url; /* DATABASE_URL */
	const char *standby_url; /* ATTAIN_DATABASE_READ_URL */
	int max_lag_ms;          /* ATTAIN_REPLICA_MAX_LAG_MS */
	int check_ms;            /* how often the thread checks */
};

enum db_replica_verdict {
	DB_REPLICA_FRESH,       /* read on the standby */
	DB_REPLICA_LAGGING,     /* further behind than max_lag_ms */
	DB_REPLICA_UNREACHABLE, /* the last check (or a request) could not reach it */
	DB_REPLICA_BEHIND_LSN,  /* fresh, but not yet at the position the caller asked for */
};

struct db_replica_stats {
	bool reachable;
	int64_t staleness_ms; /* -1 until first measured */
	uint64_t replay_lsn;  /* the standby's replay position at the last check (0: unknown) */
	unsigned long checks; /* checks made */
};

/* Start the checking thread. Caller stops and frees with db_replica_stop. */
enum status db_replica_start(const struct db_replica_options *o, struct db_replica **out);
/* Stop the thread, close its connections, free (accepts NULL). */
void db_replica_stop(struct db_replica *r);
/*
 * May a read run on the standby now? min_lsn > 0: only when the standby had
 * replayed at least that position at the last check (a caller's own write).
 */
enum db_replica_verdict db_replica_verdict(struct db_replica *r, uint64_t min_lsn);
/* A request could not use the standby: treat it as unreachable until the next good check. */
void db_replica_mark_down(struct db_replica *r);
void db_replica_stats(struct db_replica *r, struct db_replica_stats *out);

#endif
