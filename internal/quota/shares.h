/*
 * shares.h — the shares a planning request gives by name (pure: no I/O):
 * the weights of an allocation, keyed by the parts of the team, and the
 * percentages of a split, by child period. They can only be checked against
 * what the operation has loaded (the team's parts, the quota's child
 * periods), so the service reads them from the request's JSON with these.
 *
 * Every problem is an issue on the field ("weights", "percentages"); all
 * of them are collected, so one answer lists them.
 */
#ifndef ATTAIN_QUOTA_SHARES_H
#define ATTAIN_QUOTA_SHARES_H

#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "quota/plan.h"

/*
 * weights: an object {"person:ID" | "team:ID": number} with a weight from 0
 * to 1e9 for every one of the n parts of t and no other key, not all zero.
 * Each weight in millionths into alloc[i].basis. ST_INVALID with the
 * issues in e; ST_NOMEM.
 */
enum status quota_shares_weights(json_t *weights, const struct quota_tree *t, const struct quota_part *parts,
                                 int n, struct quota_alloc *alloc, struct issues *e);
/*
 * percentages: an array with one number per child period in order, or an
 * object keyed by the child period ids; each with at most 2 decimals, from
 * 0 to 100, summing to exactly 100. Hundredths of a percent into bp[0..n).
 * ST_INVALID with the issues in e.
 */
enum status quota_shares_percentages(json_t *v, const struct period *children, int n, int64_t *bp,
                                     struct issues *e);

#endif
