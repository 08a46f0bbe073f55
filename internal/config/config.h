/*
 * config.h — settings from the environment into one immutable struct
 * (DESIGN §3). Validated once at start; a bad value is reported as one line
 * naming the setting.
 */
#ifndef ATTAIN_CONFIG_H
#define ATTAIN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/log.h"
#include "core/status.h"

struct config {
	char *database_url;      /* owned */
	char *database_read_url; /* owned, may be NULL: the hot standby of dashboard reads */
	int replica_max_lag_ms;  /* beyond it, reads go to the primary */
	char listen_host[64];    /* numeric IPv4/IPv6 address */
	int listen_port;
	int threads;             /* HTTP worker threads (MHD thread pool) */
	int db_pool;             /* PostgreSQL connections */
	int db_pool_wait_ms;     /* how long a request waits for a connection */
	int statement_timeout_ms;
	int max_connections;     /* HTTP connection limit */
	int idle_timeout_s;      /* HTTP idle connection timeout */
	char *jwt_hs256_secret;  /* owned, may be NULL */
	char *jwt_public_keys;   /* owned, may be NULL */
	char *jwt_issuer;        /* owned, may be NULL */
	char *jwt_audience;      /* owned, may be NULL */
	size_t max_body;         /* bytes: largest body of a bulk route */
	size_t max_small_body;   /* bytes: largest body of any other route (<= max_body) */
	size_t max_inflight_body; /* bytes: all request bodies being received, together */
	int max_connections_per_ip; /* HTTP connections from one address (0 = no cap) */
	int header_timeout_s;    /* seconds for a whole request head (and of silence until it is in) */
	int max_per_subject;     /* concurrent expensive requests of one subject */
	int max_per_org;         /* concurrent expensive requests of one org */
	int result_cache_mb;     /* the result cache's bound in MiB (0: no cache) */
	enum log_level log_level;
	bool migrate;            /* apply migrations at start */
};

/*
 * Read every setting through `get` (getenv in production; a test can pass
 * its own). On ST_INVALID, err holds one line naming the setting and *out is
 * untouched. Caller releases *out with config_clear.
 */
enum status config_load(char *(*get)(const char *), struct config *out, char *err, size_t errlen);
void config_clear(struct config *c);
/* Print every setting with its default and meaning (attaind --help). */
void config_print_help(FILE *f);

#endif
