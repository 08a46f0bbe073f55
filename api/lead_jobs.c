#include "api/lead_jobs.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "leads/service.h"

/* Tries (a second apart) to take a connection or a job's lock before leaving the job to the next start-up. */
#define JOB_TRIES 30

struct job {
	struct job *next;
	int64_t id;
	char *org; /* owned: every statement on the job names its org (a distributed table's key) */
};

struct lead_jobs {
	struct db_pool *pool;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	bool stopping;
};

static void
pause_a_second(void)
{
	struct timespec ts = {.tv_sec = 1};

	nanosleep(&ts, NULL);
}

/* Run f on a pooled connection, again a second later while the database is unavailable, JOB_TRIES times. */
static enum status
with_connection(struct lead_jobs *j, const struct job *job, bool *taken,
                enum status (*f)(struct db_conn *, const char *, int64_t, bool *))
{
	enum status st = ST_UNAVAILABLE;

	for (int k = 0; k < JOB_TRIES && st == ST_UNAVAILABLE && !*taken; k++) {
		struct db_conn *c;
		if (k)
			pause_a_second();
		if ((st = db_acquire(j->pool, &c)) != ST_OK)
			continue;
		st = f(c, job->org, job->id, taken);
		db_release(j->pool, c);
	}
	return st;
}

static enum status
abandon(struct db_conn *c, const char *org, int64_t id, bool *done)
{
	enum status st = leads_service_job_abandon(c, org, id);

	*done = st != ST_UNAVAILABLE;
	return st;
}

static void
run_one(struct lead_jobs *j, const struct job *job)
{
	bool taken = false, done = false;
	enum status st = with_connection(j, job, &taken, leads_service_train_job);

	if (st != ST_OK && taken) /* it ran, but its end is not recorded */
		st = with_connection(j, job, &done, abandon);
	if (st != ST_OK)
		log_msg(LOG_ERROR, "training job %lld: %s; the next start-up marks it failed",
		        (long long)job->id, status_name(st));
}

static void *
loop(void *arg)
{
	struct lead_jobs *j = arg;

	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->head && !j->stopping)
			pthread_cond_wait(&j->cv, &j->mu);
		if (j->stopping)
			break;
		struct job *next = j->head;
		j->head = next->next;
		if (!j->head)
			j->tail = NULL;
		pthread_mutex_unlock(&j->mu);
		run_one(j, next);
		free(next->org);
		free(next);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

struct lead_jobs *
lead_jobs_start(struct db_pool *pool)
{
	struct lead_jobs *j = calloc(1, sizeof *j);
	struct db_conn *c;
	long swept = 0;

	if (!j)
		return NULL;
	j->pool = pool;
	if (db_acquire(pool, &c) == ST_OK) {
		if (leads_service_jobs_sweep(c, &swept) != ST_OK)
			log_msg(LOG_WARN, "%s", "could not look for training jobs left by a stopped attaind");
		else if (swept)
			log_msg(LOG_WARN, "%ld training job(s) left by a stopped attaind marked failed", swept);
		db_release(pool, c);
	}
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->cv, NULL);
	if (pthread_create(&j->thread, NULL, loop, j) != 0) {
		pthread_mutex_destroy(&j->mu);
		pthread_cond_destroy(&j->cv);
		free(j);
		return NULL;
	}
	return j;
}

bool
lead_jobs_submit(struct lead_jobs *j, const char *org, int64_t id)
{
	struct job *job = malloc(sizeof *job);
	bool ok = false;

	if (!job)
		return false;
	*job = (struct job){.id = id, .org = strdup(org)};
	if (!job->org) {
		free(job);
		return false;
	}
	pthread_mutex_lock(&j->mu);
	if (!j->stopping) {
		if (j->tail)
			j->tail->next = job;
		else
			j->head = job;
		j->tail = job;
		ok = true;
		pthread_cond_signal(&j->cv);
	}
	pthread_mutex_unlock(&j->mu);
	if (!ok) {
		free(job->org);
		free(job);
	}
	return ok;
}

void
lead_jobs_stop(struct lead_jobs *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = true;
	pthread_cond_signal(&j->cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->thread, NULL);
	for (struct job *x = j->head, *next; x; x = next) {
		next = x->next;
		free(x->org);
		free(x);
	}
	pthread_mutex_destroy(&j->mu);
	pthread_cond_destroy(&j->cv);
	free(j);
}
