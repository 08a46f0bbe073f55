/*
 * lead_jobs.h — the thread that runs lead-scoring training jobs
 * (leads/service.h): one at a time, in the order they were handed over,
 * each on a database connection of its own taken from the pool for the
 * job's length, outside any request.
 */
#ifndef ATTAIN_API_LEAD_JOBS_H
#define ATTAIN_API_LEAD_JOBS_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"

struct lead_jobs;

/*
 * Mark failed the jobs a stopped attaind left (leads_service_jobs_sweep), then
 * start the thread. NULL when it cannot start (out of memory, no thread).
 */
struct lead_jobs *lead_jobs_start(struct db_pool *pool);
/*
 * Hand job id of org over (it may still be in its request's transaction; org
 * is copied). false when out of memory or stopping.
 */
bool lead_jobs_submit(struct lead_jobs *j, const char *org, int64_t id);
/*
 * Stop: the job running ends first (a fit is not cut short); jobs still
 * queued stay queued in the database and are failed by the next start-up.
 * Then free. NULL is a no-op.
 */
void lead_jobs_stop(struct lead_jobs *j);

#endif
