/*
 * metrics.h — Prometheus counters kept with atomics (no lock on the hot path).
 */
#ifndef ATTAIN_API_METRICS_H
#define ATTAIN_API_METRICS_H

#include "core/buf.h"
#include "db/db.h"
#include "db/replica.h"

struct metrics;

/* One series set per route of the table plus one for unmatched requests. */
struct metrics *metrics_new(int nroutes);
void metrics_free(struct metrics *m);
/* route = index into api_routes, or -1 for an unmatched request. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);
/* Why a dashboard read (R_REPLICA) ran on the primary although a standby is set up. */
enum metrics_fallback {
	FALLBACK_LAG,         /* the standby was further behind than ATTAIN_REPLICA_MAX_LAG_MS */
	FALLBACK_UNREACHABLE, /* the last check, or a request, could not reach it */
	FALLBACK_ERROR,       /* no connection to it, or the read failed there (then run again on the primary) */
	FALLBACK_NEW_ORG,     /* the org's first call: it is written on the primary */
	FALLBACK_CALLER_LSN,  /* the caller's Attain-Min-LSN was not yet replayed (or not an LSN) */
	FALLBACK_COUNT
};
/* A dashboard read answered by the standby (replica) or the primary. */
void metrics_read(struct metrics *m, bool replica);
void metrics_fallback(struct metrics *m, enum metrics_fallback why);
/* Render the Prometheus text exposition format into b. */
void metrics_render(struct metrics *m, struct db_pool *pool, struct buf *b);
/* The dashboard reads by server, the fallbacks by reason, and the standby's state (NULLs: none set up). */
void metrics_render_replica(struct metrics *m, struct db_replica *rep, struct db_pool *read_pool, struct buf *b);

#endif
