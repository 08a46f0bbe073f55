/*
 * deals.h — what the single-deal handlers (deals.c) and the bulk sync
 * (deals_bulk.c) share: reading a deal body.
 */
#ifndef ATTAIN_API_DEALS_H
#define ATTAIN_API_DEALS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/issue.h"
#include "deals/deal.h"

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

#endif
