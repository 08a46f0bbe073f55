#include "api/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "cache/cache.h"

static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				 0.1,    0.25,  0.5,    1,     2.5,  5,     10 };
#define NBOUNDS (sizeof bounds / sizeof bounds[0])
static const int codes[] = { 200, 201, 204, 304, 400, 401, 403, 404, 405, 409,
			     412, 413, 415, 422, 428, 429, 500, 503 };
#define NCODES (sizeof codes / sizeof codes[0])

struct series {
	atomic_ulong by_status[NCODES + 1]; /* last slot: any other status */
	atomic_ulong buckets[NBOUNDS];
	atomic_ulong count;
	atomic_ullong sum_us; /* microseconds */
};

struct metrics {
	int nroutes;
	atomic_ulong reads[2];                  /* dashboard reads: [0] primary, [1] replica */
	atomic_ulong fallbacks[FALLBACK_COUNT]; /* by reason */
	struct series *routes; /* owned: nroutes + 1 (the last is "unmatched") */
};

struct metrics *
metrics_new(int nroutes)
{
	struct metrics *m = calloc(1, sizeof *m);

	if (!m)
		return NULL;
	m->nroutes = nroutes;
	m->routes = calloc((size_t)nroutes + 1, sizeof *m->routes);
	if (!m->routes) {
		free(m);
		return NULL;
	}
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (!m)
		return;
	free(m->routes);
	free(m);
}

void
metrics_observe(struct metrics *m, int route, int status, double seconds)
{
	struct series *s = &m->routes[route < 0 || route >= m->nroutes ? m->nroutes : route];
	size_t i;

	for (i = 0; i < NCODES && codes[i] != status; i++)
		;
	atomic_fetch_add_explicit(&s->by_status[i], 1, memory_order_relaxed);
	for (size_t b = 0; b < NBOUNDS; b++)
		if (seconds <= bounds[b])
			atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (unsigned long long)(seconds * 1e6), memory_order_relaxed);
}

static void
labels(struct buf *b, int route)
{
	if (route < 0)
		buf_puts(b, "route=\"unmatched\",method=\"\"");
	else
		buf_printf(b, "route=\"%s\",method=\"%s\"", api_routes[route].path, api_routes[route].method);
}

void
metrics_render(struct metrics *m, struct db_pool *pool, struct buf *b)
{
	struct db_pool_stats ps;

	buf_puts(b, "# HELP attain_http_requests_total HTTP requests by route, method and status.\n"
		    "# TYPE attain_http_requests_total counter\n");
	for (int r = 0; r <= m->nroutes; r++) {
		int route = r == m->nroutes ? -1 : r;
		for (size_t i = 0; i <= NCODES; i++) {
			unsigned long n = atomic_load(&m->routes[r].by_status[i]);
			if (!n)
				continue;
			buf_puts(b, "attain_http_requests_total{");
			labels(b, route);
			if (i < NCODES)
				buf_printf(b, ",status=\"%d\"} %lu\n", codes[i], n);
			else
				buf_printf(b, ",status=\"other\"} %lu\n", n);
		}
	}
	buf_puts(b, "# HELP attain_http_request_duration_seconds Time from request to response, by route.\n"
		    "# TYPE attain_http_request_duration_seconds histogram\n");
	for (int r = 0; r <= m->nroutes; r++) {
		int route = r == m->nroutes ? -1 : r;
		struct series *s = &m->routes[r];
		unsigned long count = atomic_load(&s->count);
		if (!count)
			continue;
		for (size_t i = 0; i < NBOUNDS; i++) {
			buf_puts(b, "attain_http_request_duration_seconds_bucket{");
			labels(b, route);
			buf_printf(b, ",le=\"%g\"} %lu\n", bounds[i], atomic_load(&s->buckets[i]));
		}
		buf_puts(b, "attain_http_request_duration_seconds_bucket{");
		labels(b, route);
		buf_printf(b, ",le=\"+Inf\"} %lu\n", count);
		buf_puts(b, "attain_http_request_duration_seconds_sum{");
		labels(b, route);
		buf_printf(b, "} %.6f\n", (double)atomic_load(&s->sum_us) / 1e6);
		buf_puts(b, "attain_http_request_duration_seconds_count{");
		labels(b, route);
		buf_printf(b, "} %lu\n", count);
	}
	db_pool_stats(pool, &ps);
	buf_printf(b,
		   "# HELP attain_db_pool_size Connections the pool may open.\n"
		   "# TYPE attain_db_pool_size gauge\nattain_db_pool_size %d\n"
		   "# HELP attain_db_pool_in_use Connections serving a request.\n"
		   "# TYPE attain_db_pool_in_use gauge\nattain_db_pool_in_use %d\n"
		   "# HELP attain_db_pool_idle Open connections waiting for a request.\n"
		   "# TYPE attain_db_pool_idle gauge\nattain_db_pool_idle %d\n"
		   "# HELP attain_db_pool_waiting Requests waiting for a connection.\n"
		   "# TYPE attain_db_pool_waiting gauge\nattain_db_pool_waiting %d\n"
		   "# HELP attain_db_errors_total Database errors (connection loss, timeouts, failures).\n"
		   "# TYPE attain_db_errors_total counter\nattain_db_errors_total %lu\n",
		   ps.size, ps.in_use, ps.idle, ps.waiting, ps.errors);
	struct result_cache_stats cs;
	result_cache_stats(result_cache_global(), &cs);
	buf_printf(b,
		   "# HELP attain_result_cache_hits_total Costly reads answered from the result cache.\n"
		   "# TYPE attain_result_cache_hits_total counter\nattain_result_cache_hits_total %lu\n"
		   "# HELP attain_result_cache_misses_total Costly reads looked up in the result cache and computed.\n"
		   "# TYPE attain_result_cache_misses_total counter\nattain_result_cache_misses_total %lu\n"
		   "# HELP attain_result_cache_waits_total Misses that waited for another request's computation of their answer.\n"
		   "# TYPE attain_result_cache_waits_total counter\nattain_result_cache_waits_total %lu\n"
		   "# HELP attain_result_cache_entries Answers kept in the result cache.\n"
		   "# TYPE attain_result_cache_entries gauge\nattain_result_cache_entries %zu\n"
		   "# HELP attain_result_cache_bytes Bytes the kept answers are charged (bound: ATTAIN_RESULT_CACHE_MB).\n"
		   "# TYPE attain_result_cache_bytes gauge\nattain_result_cache_bytes %zu\n",
		   cs.hits, cs.misses, cs.waits, cs.entries, cs.bytes);
}

void
metrics_read(struct metrics *m, bool replica)
{
	atomic_fetch_add_explicit(&m->reads[replica ? 1 : 0], 1, memory_order_relaxed);
}

void
metrics_fallback(struct metrics *m, enum metrics_fallback why)
{
	atomic_fetch_add_explicit(&m->fallbacks[why], 1, memory_order_relaxed);
}

void
metrics_render_replica(struct metrics *m, struct db_replica *rep, struct db_pool *read_pool, struct buf *b)
{
	static const char *const reasons[FALLBACK_COUNT] = { "lag", "unreachable", "error", "new_org", "caller_lsn" };
	struct db_replica_stats rs;
	struct db_pool_stats ps;

	buf_printf(b,
		   "# HELP attain_db_reads_total Dashboard reads (routes that may use the standby) by the server that answered.\n"
		   "# TYPE attain_db_reads_total counter\n"
		   "attain_db_reads_total{server=\"primary\"} %lu\nattain_db_reads_total{server=\"replica\"} %lu\n",
		   atomic_load(&m->reads[0]), atomic_load(&m->reads[1]));
	buf_puts(b, "# HELP attain_replica_fallbacks_total Dashboard reads sent to the primary although a standby is set "
		    "up, by reason.\n# TYPE attain_replica_fallbacks_total counter\n");
	for (int i = 0; i < FALLBACK_COUNT; i++)
		buf_printf(b, "attain_replica_fallbacks_total{reason=\"%s\"} %lu\n", reasons[i],
			   atomic_load(&m->fallbacks[i]));
	if (!rep || !read_pool)
		return;
	db_replica_stats(rep, &rs);
	db_pool_stats(read_pool, &ps);
	buf_printf(b,
		   "# HELP attain_replica_up 1 when the last check reached the standby.\n"
		   "# TYPE attain_replica_up gauge\nattain_replica_up %d\n"
		   "# HELP attain_replica_staleness_seconds How far the standby may be behind the primary (-1: not measured yet).\n"
		   "# TYPE attain_replica_staleness_seconds gauge\nattain_replica_staleness_seconds %.3f\n"
		   "# HELP attain_replica_checks_total Freshness checks made.\n"
		   "# TYPE attain_replica_checks_total counter\nattain_replica_checks_total %lu\n"
		   "# HELP attain_db_read_pool_in_use Standby connections serving a request.\n"
		   "# TYPE attain_db_read_pool_in_use gauge\nattain_db_read_pool_in_use %d\n"
		   "# HELP attain_db_read_pool_idle Open standby connections waiting for a request.\n"
		   "# TYPE attain_db_read_pool_idle gauge\nattain_db_read_pool_idle %d\n",
		   rs.reachable ? 1 : 0, rs.staleness_ms < 0 ? -1.0 : (double)rs.staleness_ms / 1000.0, rs.checks,
		   ps.in_use, ps.idle);
}
