/*
 * leads.h — the reader of a lead body, shared by the lead handlers and
 * `attainctl import leads` (which checks each row as POST /v1/leads/bulk
 * checks an item).
 */
#ifndef ATTAIN_API_LEADS_H
#define ATTAIN_API_LEADS_H

#include <stdbool.h>

#include <jansson.h>

#include "core/issue.h"

enum lead_read_mode {
	LEAD_CREATE, /* POST: absent = null; segment defaults to the owner's */
	LEAD_PATCH,  /* PATCH: only what changes; segment and status never null */
	LEAD_BULK,   /* a bulk item: as CREATE for a new lead, as PATCH for an existing one; external_id required */
	LEAD_SCORE,  /* POST /v1/leads/score: as CREATE */
};

/*
 * Check a lead body for `mode`: known keys, types, lengths, enums and
 * ranges, collecting the problems into e (empty on entry). True when
 * nothing was wrong.
 */
bool lead_read(json_t *body, enum lead_read_mode mode, struct issues *e);

#endif
