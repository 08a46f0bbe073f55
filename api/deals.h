/*
 * deals.h — what the single-deal handlers (deals.c) and the bulk sync
 * (deals_bulk.c) share: reading a deal body and the caller's deal scope.
 */
#ifndef ATTAIN_API_DEALS_H
#define ATTAIN_API_DEALS_H

#include <stdbool.h>

#include <jansson.h>

#include "api/api.h"
#include "api/respond.h"
#include "deals/deal.h"
#include "deals/store.h"

enum deal_read_mode {
	DEAL_READ_CREATE, /* POST: required fields present, defaults for the rest */
	DEAL_READ_PATCH,  /* PATCH: only what changes */
	DEAL_READ_BULK,   /* a bulk item: as CREATE, and external_id is required */
};

/*
 * Read a deal body into *in (strings borrowed from body), collecting every
 * problem of shape, type and range into e, each naming its field
 * ("splits[1].percent" for nested ones). Rules that need the stages or the
 * stored deal are deal_resolve's. Returns true when nothing was wrong.
 */
bool deal_read(json_t *body, enum deal_read_mode mode, struct deal_input *in, struct issues *e);

/*
 * The caller's scope over deals, for reading or for writing (store.h says
 * who sees what; admins and services write every deal, managers their
 * subtree's, reps their own). *teams receives the malloc'd subtree literal
 * that ds->teams points to (caller frees). False when r is answered (503).
 */
bool deals_scope(struct req *r, bool write, struct deal_scope *ds, char **teams);

/*
 * True when the caller may make `owner` (of the org) a deal's owner:
 * writers of every deal, the caller themself, and for a manager anyone of a
 * team of their subtree.
 */
bool deals_may_own(struct req *r, const struct deal_person *owner);

#endif
