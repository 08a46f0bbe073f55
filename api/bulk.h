/*
 * bulk.h — what every bulk endpoint shares (deals, leads, and the next
 * ones): the request (?atomic, the media type), the body (a JSON array, or
 * NDJSON with Content-Type: application/x-ndjson, read item by item, never
 * as one big JSON document, with duplicate keys rejected), and the one
 * answer: {"created","updated","unchanged","rejected","errors":[{index,
 * errors}]}, or with ?atomic=true and an invalid item a 400 problem whose
 * `errors` name each field as "[index].field" and whose `bulk` member is
 * that result (nothing written).
 */
#ifndef ATTAIN_API_BULK_H
#define ATTAIN_API_BULK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/api.h"
#include "auth/scope.h"
#include "core/issue.h"

struct bulk_reader {
	const char *noun; /* plural, for messages: "deals" */
	int max;          /* items per call; one more is 413 */
	/* A parsed item (borrowed: the reader decrefs it after the call). */
	void (*item)(void *ctx, json_t *item, int index);
	/* An NDJSON line that is not JSON: that item alone is rejected. */
	void (*bad_line)(void *ctx, int index, const char *message);
	void *ctx;
};

/*
 * Read body[0..len) as NDJSON when ndjson, else as a JSON array, calling
 * br->item for each item in order. *count receives the number of items seen.
 * False when r is answered: 400 naming "body" for an empty body or a
 * malformed array, 413 past br->max items.
 */
bool bulk_read(struct req *r, const struct bulk_reader *br, bool ndjson, const char *body, size_t len,
	       int *count);

/* One rejected item and what is wrong with it. */
struct bulk_rejection {
	int index;
	struct issues issues; /* owned */
};

/* What a bulk call did: the counts and the rejected items. */
struct bulk_outcome {
	const char *noun; /* plural, for messages: "deals" */
	int count;        /* items read */
	long created;
	long updated;
	long unchanged;
	struct bulk_rejection *rejected; /* owned */
	size_t nrejected;
	size_t cap;
	bool oom;
};
/* Reject item `index` for the issues of e (moved into o; e is left empty). */
void bulk_reject(struct bulk_outcome *o, int index, struct issues *e);
/* Reject item `index` for one issue. */
void bulk_reject_one(struct bulk_outcome *o, int index, const char *field, const char *message);
/*
 * A struct bulk_reader's bad_line for a ctx that is a struct bulk_outcome,
 * or a struct whose first member is one: the item is rejected under the
 * field "item".
 */
void bulk_reject_bad_line(void *outcome, int index, const char *message);
/* Free the rejections; accepts a zeroed outcome. */
void bulk_outcome_clear(struct bulk_outcome *o);
/* 200 with the result object (500 when the outcome ran out of memory). */
void bulk_respond(struct req *r, struct bulk_outcome *o);
/* 400 for ?atomic=true with rejected items: nothing was written, counts are 0. */
void bulk_respond_atomic_failure(struct req *r, struct bulk_outcome *o);
/*
 * The answer to a bulk call whose write ended with st: ST_OK the result
 * (bulk_respond), ST_INVALID the atomic failure, any other status its problem.
 */
void bulk_respond_status(struct req *r, enum status st, struct bulk_outcome *o);

/*
 * One bulk call: the request's settings, the caller and the answer's
 * outcome. A handler's own call struct starts with it, so that the call is
 * also a struct bulk_outcome (bulk_reject_bad_line's ctx).
 */
struct bulk_call {
	struct bulk_outcome out; /* owned: counts and rejections; first member */
	struct caller who;       /* borrowed from the request */
	bool atomic;             /* ?atomic=true: any rejection writes nothing */
	bool ndjson;             /* the body is NDJSON, else a JSON array */
};
/*
 * Begin call *bc (zeroed by the caller) for items called `noun` ("deals"):
 * ?atomic, the media type and the caller. False when r is answered: 400 for
 * a bad atomic, 415 unless the body is application/json or
 * application/x-ndjson, 503/500 when the caller's scope cannot be loaded.
 */
bool bulk_begin(struct req *r, struct bulk_call *bc, const char *noun);
/*
 * Read the request body's items (at most max) through item and bad_line with
 * ctx, counting them in bc->out.count; bulk_read's answers when false.
 */
bool bulk_call_read(struct req *r, struct bulk_call *bc, int max, void (*item)(void *ctx, json_t *item, int index),
		    void (*bad_line)(void *ctx, int index, const char *message), void *ctx);
/* What the write did, into the outcome's counts. */
void bulk_counts(struct bulk_outcome *o, long created, long updated, long unchanged);

#endif
