/*
 * api.h — the HTTP layer's shared types: the app (built once by main and
 * handed to every request), the per-request context, and the route table.
 *
 * Handlers never touch ulfius: they read the request through req_* and
 * answer through respond_* (respond.h); the dispatcher (middleware.c) sends
 * the answer, so idempotent replays, metrics and logs see exactly what went
 * out.
 */
#ifndef ATTAIN_API_H
#define ATTAIN_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "auth/jwt.h"
#include "auth/principal.h"
#include "auth/scope.h"
#include "config/config.h"
#include "core/buf.h"
#include "core/status.h"
#include "db/db.h"
#include "db/replica.h"

struct lead_jobs;
struct metrics;
struct org_cache;
struct _u_request;
struct _u_response;

struct app {
	struct config cfg;            /* owned */
	struct db_pool *pool;         /* owned */
	struct db_pool *read_pool;    /* owned, NULL without ATTAIN_DATABASE_READ_URL: the hot standby's */
	struct db_replica *replica;   /* owned, NULL likewise: the standby's freshness (db/replica.h) */
	struct auth_verifier *auth;   /* owned */
	struct metrics *metrics;      /* owned */
	struct org_cache *orgs;       /* owned: orgs known to exist */
	struct lead_jobs *jobs;       /* owned: the training jobs' thread (lead_jobs.h) */
	atomic_int inflight;          /* requests inside a handler */
	atomic_size_t body_bytes;     /* request body bytes reserved by requests being received */
	atomic_bool draining;         /* SIGTERM received */
};

struct req;
typedef void (*handler_fn)(struct req *r);

enum route_flags {
	R_PUBLIC = 1u << 0, /* no token (operations endpoints) */
	R_NODB = 1u << 1,   /* handler needs no database connection */
	R_BULK = 1u << 2,   /* takes bodies up to ATTAIN_MAX_BODY (others: ATTAIN_MAX_SMALL_BODY) */
	R_EXPENSIVE = 1u << 3, /* counted against the per-subject and per-org concurrency caps */
	R_NOTX = 1u << 4,   /* a POST that writes nothing: no transaction, no Idempotency-Key */
	R_REPLICA = 1u << 5, /* a dashboard read: runs on the hot standby when it is fresh enough */
};

struct route {
	const char *method;
	const char *path;   /* "/v1/teams/{team_id}": one {name} per variable segment */
	unsigned roles;     /* who may call it at all (ROLE_ANY for everyone) */
	unsigned flags;
	handler_fn handler;
	/* Query parameters the route takes (NULL-terminated; NULL = none). Others
	 * are 400 for /v1 routes, checked before the handler runs. */
	const char *const *query;
};

#define REQ_MAX_PARAMS 4
#define REQ_MAX_HEADERS 8

struct req {
	struct app *app;
	const struct _u_request *u;
	const struct route *route;
	int route_index;
	const char *params[REQ_MAX_PARAMS]; /* path variables, pointing into path_copy */
	char *path_copy;                    /* owned */
	char request_id[132];
	bool authed;
	struct principal who;
	struct scope scope; /* owned arrays; loaded on first use (req_scope) */
	bool scope_loaded;
	bool limited; /* holds a place under the per-caller caps (released by the dispatcher) */
	struct db_conn *conn; /* borrowed from the pool for the request */
	bool on_replica;      /* conn is the standby's (app->read_pool), not the primary's */
	/* the answer */
	int status;
	const char *content_type;
	char *body; /* owned */
	size_t body_len;
	struct {
		const char *name;
		char *value; /* owned */
	} headers[REQ_MAX_HEADERS];
	int nheaders;
};

/* The route table (routes.c) and its size. */
extern const struct route api_routes[];
extern const int api_routes_count;

/* The request path (without the query). */
const char *req_path(const struct req *r);
/* Read a request header (case-insensitive name); NULL when absent. */
const char *req_header(const struct req *r, const char *name);
/* Read a query parameter; NULL when absent. */
const char *req_query(const struct req *r, const char *name);
/* The request body (may be NULL when empty). */
const char *req_body(const struct req *r, size_t *len);
/* Path variable i as a positive id; false (and a 404 answered) when malformed. */
bool req_path_id(struct req *r, int i, int64_t *out);
/*
 * The caller's scope (manager subtree loaded once per request). NULL, with
 * a 503/500 answered, when it cannot be loaded.
 */
const struct scope *req_scope(struct req *r);
/*
 * The caller of an operation (org, sub and the scope of req_scope) into
 * *out, pointing into r. False, with a 503/500 answered, when the scope
 * cannot be loaded.
 */
bool req_caller(struct req *r, struct caller *out);
/*
 * The caller of an operation that every role its route admits does on the
 * whole org (reading the org structure and settings) into *out: org and
 * sub, and no scope (out->scope is NULL), so no database round trip.
 */
void req_caller_unscoped(const struct req *r, struct caller *out);
/* The caller's person id (0 when the token carries none or a non-numeric one). */
int64_t req_person_id(const struct req *r);
/*
 * If-Match: -1 when absent or "*", else the version it names; a value that
 * is not an ETag of ours yields 0 (never matches a version, so 412).
 */
int req_if_match(const struct req *r);

/* Start the HTTP server on app->cfg; returns an opaque handle or NULL. */
struct server;
struct server *server_start(struct app *app, char *err, size_t errlen);
/* Stop accepting, wait for in-flight requests (up to grace_ms), stop. */
void server_stop(struct server *s, int grace_ms);

#endif
