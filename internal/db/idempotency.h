/*
 * idempotency.h — the store behind POST's Idempotency-Key (DESIGN §5).
 *
 * Within the request's transaction: claim the key (concurrent retries wait
 * on the row until the first commits or rolls back), run the write, then
 * record the answer. A failed write rolls the claim back with it.
 */
#ifndef ATTAIN_DB_IDEMPOTENCY_H
#define ATTAIN_DB_IDEMPOTENCY_H

#include <stdbool.h>

#include "db/db.h"

/* Room for a caller's identity (roles, person id and subject of a principal). */
#define IDEM_CALLER_MAX 384

struct idem_record {
	char *request_hash; /* owned */
	int status;
	char *content_type; /* owned */
	char *location;     /* owned, may be NULL */
	char *etag;         /* owned, may be NULL */
	char *body;         /* owned */
};

/*
 * Claim (org, caller, key) for a request whose fingerprint is `hash`.
 * `caller` is who sends it (one caller's key is never another's: DESIGN §5).
 * *claimed = true when this request owns the key now; otherwise *prev holds
 * the stored answer (release with idem_record_clear).
 */
enum status idem_claim(struct db_conn *c, const char *org, const char *caller, const char *key,
		       const char *hash, bool *claimed, struct idem_record *prev);
/* Record the answer for a key claimed by the same caller (same transaction). */
enum status idem_store(struct db_conn *c, const char *org, const char *caller, const char *key, int status,
		       const char *content_type, const char *location, const char *etag, const char *body);
void idem_record_clear(struct idem_record *r);

#endif
