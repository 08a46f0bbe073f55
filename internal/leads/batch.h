/*
 * batch.h — the leads of one bulk call (POST /v1/leads/bulk), as the
 * request gave them: each checked item kept as compact JSON text with what
 * the sync looks up before merging it (its external_id, owner and deal).
 * Pure: no I/O.
 */
#ifndef ATTAIN_LEADS_BATCH_H
#define ATTAIN_LEADS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/status.h"

/* Items of one bulk call at most; one more is 413. */
#define LEAD_BULK_MAX 100000

/* One item of a bulk call. */
struct lead_batch_item {
	int index;                 /* in the request */
	char *json;                /* owned: the checked item as compact JSON text, then its external_id */
	const char *external_id;   /* points into the json allocation */
	int64_t owner_id;          /* the item's owner_id, 0 = not given or null */
	int64_t converted_deal_id; /* the item's converted_deal_id, 0 = not given or null */
};

/* The items of a bulk call, in the order they came. */
struct lead_batch {
	struct lead_batch_item *items; /* owned */
	size_t n;
	size_t cap;
};

/*
 * Keep item `index`, a checked lead object whose external_id is set (copied:
 * the item may be freed after the call). ST_INVALID when it has no
 * external_id; ST_NOMEM. On an error the batch is as it was.
 */
enum status lead_batch_add(struct lead_batch *b, int index, const json_t *item);
/* Free the items; the batch is left empty. Accepts an empty batch. */
void lead_batch_clear(struct lead_batch *b);

#endif
