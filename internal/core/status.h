/*
 * status.h — the one error idiom of attain.
 *
 * Functions return enum status; results come back through out-parameters
 * written only on ST_OK. api/respond.c maps each status to one HTTP answer.
 */
#ifndef ATTAIN_CORE_STATUS_H
#define ATTAIN_CORE_STATUS_H

enum status {
	ST_OK = 0,
	ST_INVALID,      /* 400: bad input */
	ST_UNAUTHORIZED, /* 401: no or bad credentials */
	ST_FORBIDDEN,    /* 403: outside the caller's role or scope */
	ST_NOT_FOUND,    /* 404 */
	ST_CONFLICT,     /* 409 */
	ST_STALE,        /* 412: If-Match does not match */
	ST_UNPROCESSABLE, /* 422: e.g. idempotency key reused with another body */
	ST_TOO_LARGE,    /* 413 */
	ST_UNAVAILABLE,  /* 503: database down or pool exhausted */
	ST_NOMEM,        /* 500 */
	ST_INTERNAL,     /* 500 */
};

/* A short, stable, lower-case name for logs ("ok", "invalid", ...). */
const char *status_name(enum status st);

#endif
