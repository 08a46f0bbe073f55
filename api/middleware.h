/* middleware.h — the request pipeline (the ulfius default endpoint). */
#ifndef ATTAIN_API_MIDDLEWARE_H
#define ATTAIN_API_MIDDLEWARE_H

#include "api/api.h"

struct _u_request;
struct _u_response;

/* Every request enters here (user_data = struct app). */
int api_dispatch(const struct _u_request *u, struct _u_response *resp, void *user_data);

/*
 * The head of a request is in and no body byte has been read (u has the
 * method, path and headers). Returns 0 when the request may go on: its body
 * may then take at most *limit bytes, *reserved of them already reserved
 * against ATTAIN_MAX_INFLIGHT_BODY_BYTES (body_release them when the
 * request ends). Otherwise the status of the answer written into resp:
 * 413 (declared length over the route's limit); for a request that brings
 * a body, 401 (a /v1 route without a valid token) and 403 (the token's
 * roles may not call the route); 503 (the in-flight body budget is spent).
 * *apart says whether the route may run long (R_EXPENSIVE, R_BULK): then a
 * worker runs it instead of the thread that reads its connection.
 * A request without a body is authenticated once, by the dispatcher.
 */
int api_admit(struct app *app, const struct _u_request *u, struct _u_response *resp, size_t *limit,
	      size_t *reserved, bool *apart);
/*
 * The answer to a request that waited longer than ATTAIN_DB_POOL_WAIT_MS for
 * a worker: 503 + Retry-After, counted and logged like any other. Returns 503.
 */
int api_busy(struct app *app, const struct _u_request *u, struct _u_response *resp);
/* The largest body route_index (-1: unmatched) takes. */
size_t api_body_limit(const struct app *app, int route_index);
/* Reserve n bytes of the in-flight body budget; false when it would overflow. */
bool body_reserve(struct app *app, size_t n);
void body_release(struct app *app, size_t n);

/*
 * Per-subject / per-org caps on expensive routes (R_EXPENSIVE), one table
 * per process. limits_enter
 * returns 0 (entered), 429 when the caller or its org is at its cap
 * (ATTAIN_MAX_CONCURRENT_*), 503 when all but one of the worker threads
 * already run expensive requests; every 0 is paired with one limits_leave.
 */
struct principal;
int limits_enter(struct app *app, const struct principal *who);
void limits_leave(const struct principal *who);

/*
 * The orgs known to exist (so a request skips org_service_ensure), for
 * struct app (NULL on OOM; org_cache_free, which accepts NULL).
 */
struct org_cache *org_cache_new(void);
void org_cache_free(struct org_cache *c);

#endif
