/*
 * job_store.h — the SQL of training jobs (0014_lead_training_jobs.sql;
 * service.h says what a job is). The thread that runs a job holds the
 * session advisory lock (LEAD_JOB_LOCK_KEY, id mod 2^31 - 1) on its connection from the
 * moment it takes the job until it lets go of it; the request that made
 * the job holds the same lock for its transaction, so the thread cannot
 * take a job before it is committed.
 */
#ifndef ATTAIN_LEADS_JOB_STORE_H
#define ATTAIN_LEADS_JOB_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "db/row.h"

/* The first key of the jobs' advisory locks (pg_advisory_lock(int, int)): "LJOB" in ASCII, 0x4c4a4f42. */
#define LEAD_JOB_LOCK_KEY 1279938370

/*
 * Queue a training of `segment` for `by`, or find the one already queued or
 * running for it; the job as the API shows it into *out (rowjson: json, id),
 * *created whether it is new. A new job's lock is held until the transaction
 * ends.
 */
enum status job_store_create(struct db_conn *c, const char *org, const char *segment, const char *by,
                             struct rowjson *out, bool *created);
/* The job `id` of org as the API shows it; ST_NOT_FOUND. */
enum status job_store_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out);

/*
 * Take job `id` of org for this session (outside any transaction): wait
 * for its lock (so for the transaction that made it), then mark it running.
 * On ST_OK its segment goes to segment (3 bytes and more); ST_NOT_FOUND when
 * the job is gone, no longer queued (the lock is then let go).
 */
enum status job_store_take(struct db_conn *c, const char *org, int64_t id, char *segment, size_t seglen);
/* Record the step and progress (0..100) of a running job of org. */
enum status job_store_progress(struct db_conn *c, const char *org, int64_t id, const char *step, int progress);
/* End a running job of org: succeeded with trained_version (> 0), or failed with why. */
enum status job_store_finish(struct db_conn *c, const char *org, int64_t id, int trained_version, const char *why);
/* Let go of job id's session lock. */
void job_store_release(struct db_conn *c, int64_t id);
/*
 * Mark failed every job queued or running whose lock nobody holds (its
 * attaind is gone); *swept their number.
 */
enum status job_store_sweep(struct db_conn *c, long *swept);

#endif
