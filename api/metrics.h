/*
 * metrics.h — Prometheus counters kept with atomics (no lock on the hot path).
 */
#ifndef ATTAIN_API_METRICS_H
#define ATTAIN_API_METRICS_H

#include "core/buf.h"
#include "db/db.h"

struct metrics;

/* One series set per route of the table plus one for unmatched requests. */
struct metrics *metrics_new(int nroutes);
void metrics_free(struct metrics *m);
/* route = index into api_routes, or -1 for an unmatched request. */
void metrics_observe(struct metrics *m, int route, int status, double seconds);
/* Render the Prometheus text exposition format into b. */
void metrics_render(struct metrics *m, struct db_pool *pool, struct buf *b);

#endif
