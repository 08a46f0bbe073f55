/*
 * bulk.h — the body of a bulk call: a JSON array, or NDJSON with
 * Content-Type: application/x-ndjson, read item by item (never as one big
 * JSON document) with duplicate keys rejected.
 */
#ifndef ATTAIN_API_BULK_H
#define ATTAIN_API_BULK_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "api/api.h"

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

#endif
