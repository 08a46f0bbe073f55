/*
 * bulk_store.h — the SQL of the leads' CRM sync (POST /v1/leads/bulk): the
 * org's bulk lock, what the items refer to (the existing leads by
 * external_id, the owners, the deals), and the upsert of the accepted items
 * as one COPY and one INSERT ... ON CONFLICT, in the caller's transaction.
 */
#ifndef ATTAIN_LEADS_BULK_STORE_H
#define ATTAIN_LEADS_BULK_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "db/db.h"
#include "leads/batch.h"
#include "leads/record.h"
#include "leads/store.h"

/* Take the org's bulk lock until the transaction ends: one sync of an org at a time. */
enum status lead_bulk_lock(struct db_conn *c, const char *org);

/* What the database holds about the items of a bulk call (opaque). */
struct lead_bulk_facts;

/*
 * Read what items[0..n) (distinct external_ids) refer to: the existing lead
 * of each external_id (locked FOR UPDATE until the transaction ends), the
 * person of each owner_id and the deal of each converted_deal_id, and which
 * of them are within s. *out (free with lead_bulk_facts_free) borrows items
 * until it is freed.
 */
enum status lead_bulk_facts_load(struct db_conn *c, const char *org, const struct scope_rows *s,
                                 const struct lead_batch_item *items, size_t n, struct lead_bulk_facts **out);
/* Free facts; accepts NULL. */
void lead_bulk_facts_free(struct lead_bulk_facts *f);

/* What the database holds about one item (borrowed from the facts). */
struct lead_bulk_found {
	const char *stored;   /* the existing lead's input fields as JSON text; NULL = a new lead */
	bool stored_in_scope; /* the existing lead is within the scope */
	bool has_created_on;
	cal_date created_on; /* the day the existing lead arrived */
	bool owner_found;    /* owner_id names a person of the org (false when none is given) */
	bool owner_in_scope;
	const char *owner_segment; /* "b2b", "b2c" or "" (none, or no owner) */
	bool deal_found;           /* converted_deal_id names a deal of the org */
};
/* What f holds about item i (0..n) of the items it was loaded for. */
void lead_bulk_found(const struct lead_bulk_facts *f, size_t i, struct lead_bulk_found *out);

/* Append record r of item `index` to b as one line of the upsert (COPY text). */
void lead_bulk_line(struct buf *b, int index, const struct lead_record *r);

/*
 * Upsert the lines of b (lead_bulk_line) by external_id: a new external_id
 * creates a lead, an existing lead whose stored columns differ is updated (a
 * new version), an equal one is left alone. *created and *updated count them.
 */
enum status lead_bulk_write(struct db_conn *c, const char *org, const struct buf *b, long *created,
                            long *updated);

#endif
