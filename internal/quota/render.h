/*
 * render.h — the answers of the quota operations as JSON (pure: no I/O):
 * the pieces every answer shares (an assignee, a filter, a percentage, a
 * period) and the computed results of planning (a team's roll-up, its
 * coverage, an allocation, a split, a suggestion), in the shapes of
 * openapi.yaml.
 *
 * Each returns a new reference (the caller json_decrefs it), NULL when out
 * of memory. Money is rendered with money_to_json (exact to the cent).
 */
#ifndef ATTAIN_QUOTA_RENDER_H
#define ATTAIN_QUOTA_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "calendar/calendar.h"
#include "quota/plan.h"
#include "quota/quota.h"
#include "quota/suggest.h"

/* A percentage from hundredths of a percent: 8.33 from 833, 25 (an integer) from 2500. */
json_t *quota_render_pct(int64_t bp);
/* {"type": "person"|"team", "id": "12"}. */
json_t *quota_render_ref(const struct quota_ref *a);
/* {"type": ..., "segment": ...}, each null when unfiltered. */
json_t *quota_render_filter(const char *type, const char *segment);

/*
 * GET /v1/teams/{id}/quota: the figure of t's root (explicit, rolled up or
 * none) for key, with its parts (the root's direct parts, n of them).
 * t has been rolled up (quota_tree_roll).
 */
json_t *quota_render_team(const struct quota_tree *t, const struct quota_key *key,
                          const struct quota_part *parts, int n);
/*
 * GET /v1/teams/{id}/quota-coverage: t's root quota against the sum of its
 * parts (over-assignment), the street quota of its sellers (ramped and
 * full), and the active sellers and teams of the subtree without a quota.
 */
json_t *quota_render_coverage(const struct quota_tree *t, const struct quota_key *key,
                              const struct quota_part *parts, int n);

/* A computed allocation of a team's number (everything borrowed). */
struct quota_allocation {
	const struct quota_key *key;
	const struct quota_tree *tree;   /* rolled up; its root is the team */
	const struct quota_part *parts;  /* the root's parts, n of them */
	const struct quota_alloc *alloc; /* each part's basis and amount */
	const int64_t *ids;              /* each part's quota id as written; NULL for a dry run */
	int n;
	enum quota_method method;
	bool fallback;             /* historical fell back to equal shares */
	int64_t base_total, total; /* before and after the uplift */
	int64_t uplift_bp, unit;
	int lookback; /* historical: periods read, from `from` to `to` */
	cal_date from, to;
};
/* POST /v1/teams/{id}/quota-allocations: the allocation and each part's explanation. */
json_t *quota_render_allocation(const struct quota_allocation *a);

/*
 * POST /v1/quotas/{id}/split: quota `quota_id` split at `grain` by
 * `method` (even when fallback), with the child quotas as their JSON texts
 * (n of them, in period order).
 */
json_t *quota_render_split(int64_t quota_id, enum period_grain grain, enum quota_split_method method,
                           bool fallback, char *const *quotas, int n);

/* GET /v1/quota-suggestions: the suggestion for key with its inputs and how it was made. */
json_t *quota_render_suggestion(const struct quota_key *key, const struct quota_suggest_periods *sp,
                                const struct quota_suggest_in *in, const struct quota_suggest_out *out,
                                const struct quota_pipeline *pipe);

#endif
