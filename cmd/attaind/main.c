/*
 * attaind — the attain HTTP service.
 * settings → app → HTTP; wait for a signal; drain; free.
 */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/lead_jobs.h"
#include "api/metrics.h"
#include "api/middleware.h"
#include "cache/cache.h"
#include "config/config.h"
#include "core/log.h"
#include "db/db.h"

#define VERSION "0.1.0"

static void
usage(FILE *f)
{
	fprintf(f, "attaind %s — sales quotas, performance, forecasts and lead scoring over HTTP/JSON\n\n"
		   "usage: attaind [--help | --version]\n\n"
		   "Runs in the foreground, logs one JSON line per request on stderr, applies pending\n"
		   "database migrations at start (unless ATTAIN_MIGRATE=off) and stops gracefully on\n"
		   "SIGTERM or SIGINT (new connections are closed at once; in-flight requests finish; exits 0).\n"
		   "Exit status: 0 after a graceful stop, 1 when it cannot start, 2 for a bad setting.\n\n",
		VERSION);
	config_print_help(f);
}

static void
db_error(const char *msg, const char *sqlstate)
{
	char fields[96];
	size_t n = strcspn(msg, "\n");
	char text[512];

	snprintf(text, sizeof text, "database: %.*s", (int)(n < 400 ? n : 400), msg);
	snprintf(fields, sizeof fields, "\"sqlstate\":\"%.5s\"", sqlstate);
	log_json(LOG_ERROR, text, fields);
}

/* Migrate at start, waiting up to 30 s for PostgreSQL to accept connections. */
static int
migrate(struct app *app)
{
	struct db_conn *c = NULL;
	char err[512] = "";
	int applied = 0;
	struct timespec nap = { 0, 250 * 1000000L };

	for (int i = 0; i < 120 && db_acquire(app->pool, &c) != ST_OK; i++)
		nanosleep(&nap, NULL);
	if (!c) {
		fprintf(stderr, "attaind: DATABASE_URL: cannot connect to PostgreSQL\n");
		return 1;
	}
	enum status st = db_migrate(c, &applied, err, sizeof err);
	db_release(app->pool, c);
	if (st != ST_OK) {
		fprintf(stderr, "attaind: %s\n", err);
		return 1;
	}
	if (applied)
		log_msg(LOG_INFO, "applied %d migration(s)", applied);
	return 0;
}

/*
 * The standby's pool (as large as the primary's; every transaction
 * read-only) and the thread that checks its freshness, every quarter of the
 * lag bound (10 ms..1 s).
 */
static int
start_replica(struct app *app)
{
	int check_ms = app->cfg.replica_max_lag_ms / 4;
	struct db_pool_options po = {
		.url = app->cfg.database_read_url,
		.size = app->cfg.db_pool,
		.wait_ms = app->cfg.db_pool_wait_ms,
		.statement_timeout_ms = app->cfg.statement_timeout_ms,
		.read_only = true,
	};
	struct db_replica_options ro = {
		.primary_url = app->cfg.database_url,
		.standby_url = app->cfg.database_read_url,
		.max_lag_ms = app->cfg.replica_max_lag_ms,
		.check_ms = check_ms < 10 ? 10 : check_ms > 1000 ? 1000 : check_ms,
	};

	if (db_pool_new(&po, &app->read_pool) != ST_OK || db_replica_start(&ro, &app->replica) != ST_OK) {
		fprintf(stderr, "attaind: ATTAIN_DATABASE_READ_URL: cannot set up the standby's pool\n");
		return 1;
	}
	log_msg(LOG_INFO, "dashboard reads on the standby within %d ms of the primary (checked every %d ms)",
		ro.max_lag_ms, ro.check_ms);
	return 0;
}

int
main(int argc, char **argv)
{
	struct app app = { 0 };
	char err[512] = "";
	sigset_t sigs;
	int sig = 0, rc = 1;
	struct server *srv = NULL;
	struct result_cache *results = NULL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			usage(stdout);
			return 0;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("attaind %s\n", VERSION);
			return 0;
		}
		fprintf(stderr, "attaind: unknown argument %s (try --help)\n", argv[i]);
		return 2;
	}
	if (config_load(getenv, &app.cfg, err, sizeof err) != ST_OK) {
		fprintf(stderr, "attaind: %s\n", err);
		return 2;
	}
	log_set_level(app.cfg.log_level);
	/*
	 * A board of a large org allocates arrays of a megabyte or more per
	 * request (its people, their sums, the rows to rank): keep freed memory
	 * in the arenas instead of unmapping it and faulting it in, zeroed, on
	 * the next request (a third of attaind's CPU on a cold 10,000-person
	 * board went to that). Up to 16 MiB free kept per arena; 4 MiB and larger
	 * blocks (bulk bodies) still mapped and unmapped.
	 */
	mallopt(M_MMAP_THRESHOLD, 4 << 20);
	mallopt(M_TRIM_THRESHOLD, 16 << 20);
	struct auth_config ac = {
		.hs256_secret = app.cfg.jwt_hs256_secret,
		.public_keys = app.cfg.jwt_public_keys,
		.issuer = app.cfg.jwt_issuer,
		.audience = app.cfg.jwt_audience,
		.leeway_s = 30,
		.cache_entries = 4096,
	};
	if (auth_verifier_new(&ac, &app.auth, err, sizeof err) != ST_OK) {
		fprintf(stderr, "attaind: %s\n", err);
		rc = 2;
		goto out;
	}
	struct db_pool_options po = {
		.url = app.cfg.database_url,
		.size = app.cfg.db_pool,
		.wait_ms = app.cfg.db_pool_wait_ms,
		.statement_timeout_ms = app.cfg.statement_timeout_ms,
	};
	db_set_error_hook(db_error);
	if (db_pool_new(&po, &app.pool) != ST_OK || !(app.metrics = metrics_new(api_routes_count)) ||
	    !(app.orgs = org_cache_new()) || !(results = result_cache_new((size_t)app.cfg.result_cache_mb << 20))) {
		fprintf(stderr, "attaind: out of memory\n");
		goto out;
	}
	result_cache_set_global(results);
	if (app.cfg.migrate && migrate(&app) != 0)
		goto out;

	/* Every thread inherits this mask; the main thread takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* after the mask: its thread must not take the signals */
	if (app.cfg.database_read_url && start_replica(&app) != 0)
		goto out;

	if (!(app.jobs = lead_jobs_start(app.pool))) { /* after the mask: it must not take the signals */
		fprintf(stderr, "attaind: cannot start the training jobs' thread\n");
		goto out;
	}
	if (!(srv = server_start(&app, err, sizeof err))) {
		fprintf(stderr, "attaind: %s\n", err);
		goto out;
	}
	log_msg(LOG_INFO, "attaind %s listening on %s:%d (%d threads, %d database connections)", VERSION,
		app.cfg.listen_host, app.cfg.listen_port, app.cfg.threads, app.cfg.db_pool);
	sigwait(&sigs, &sig);
	log_msg(LOG_INFO, "signal %d: draining", sig);
	server_stop(srv, 25000);
	lead_jobs_stop(app.jobs);
	app.jobs = NULL;
	log_msg(LOG_INFO, "stopped");
	rc = 0;
out:
	lead_jobs_stop(app.jobs);
	org_cache_free(app.orgs);
	result_cache_set_global(NULL);
	result_cache_free(results);
	metrics_free(app.metrics);
	db_replica_stop(app.replica);
	db_pool_free(app.read_pool);
	db_pool_free(app.pool);
	auth_verifier_free(app.auth);
	config_clear(&app.cfg);
	return rc;
}
