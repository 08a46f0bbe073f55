/*
 * quotas.h — what the quota handlers (quotas.c: the resource and its audit
 * trail; quota_plans.c: roll-up, allocation, split, suggestions, coverage)
 * share: the org context, the access rule, and readers of the common inputs.
 *
 * Access (DESIGN §4): admins write every quota; execs and services read
 * every quota; a manager reads the quotas of the teams of their subtree and
 * of the people in them (their own included) and writes those of the people
 * in the subtree except themself and of the teams strictly below the teams
 * they manage (never their own quota, never that of a team they manage); a
 * rep reads their own quotas. Another org's quota is never visible (404).
 */
#ifndef ATTAIN_API_QUOTAS_H
#define ATTAIN_API_QUOTAS_H

#include <stdbool.h>

#include <jansson.h>

#include "api/api.h"
#include "api/respond.h"
#include "calendar/calendar.h"
#include "quota/store.h"

/* What every quota handler needs from the org's settings. */
struct quota_ctx {
	int fy_start;
	struct quota_ramp ramp;
};
/* Load it; false when r is answered (503/500). */
bool quota_ctx_load(struct req *r, struct quota_ctx *x);

enum quota_access {
	QUOTA_ACCESS_UNKNOWN = 0, /* the assignee is no person or team of the org */
	QUOTA_ACCESS_NONE,
	QUOTA_ACCESS_READ,
	QUOTA_ACCESS_WRITE,
};
/*
 * What the caller may do with the quotas of assignee `a` into *out. False
 * when r is answered (the scope or the assignee could not be loaded).
 */
bool quota_access_of(struct req *r, const struct quota_ref *a, enum quota_access *out);
/*
 * May the caller write the quota of a direct part of team `team_id` (a
 * person whose team it is, or a child team)? Pure scope check: the part is
 * known to exist. Needs req_scope loaded.
 */
bool quota_may_write_part(struct req *r, int64_t team_id, const struct quota_ref *part);

/* "person:12" or "team:7" into *out; false when malformed. */
bool quota_ref_parse(const char *s, struct quota_ref *out);
/* {"type": "person"|"team", "id": "12"} (new reference). */
json_t *quota_ref_json(const struct quota_ref *a);
/* {"type": ..., "segment": ...}, each null when unfiltered (new reference). */
json_t *quota_filter_json(const char *type, const char *segment);
/* A percentage from hundredths of a percent (8.33 from 833) (new reference). */
json_t *quota_pct_json(int64_t bp);
/* Set "period", "period_start" and "period_end" of p on o. */
void quota_set_period(json_t *o, const struct period *p);

/*
 * Query readers of the planning routes: `period` (required), `metric`
 * (default revenue), `type` and `segment` (the filter) into key (assignee
 * left as is). Problems go to e, naming the parameter.
 */
void quota_query_key(struct req *r, const struct quota_ctx *x, struct issues *e, struct quota_key *key);
/* A period id of the org into *out; false (with an error naming `field` in e) when not one. */
bool quota_period_read(const char *text, const struct quota_ctx *x, const char *field, struct issues *e,
		       struct period *out);
/* A body's optional `filter` object {type?, segment?} into key (errors name "filter.type", ...). */
void quota_filter_read(json_t *body, struct issues *e, struct quota_key *key, bool *set);

/* Strings of the enums, NULL-terminated (for parse_enum / query_enum). */
extern const char *const quota_metrics[];
extern const char *const quota_deal_types[];
extern const char *const quota_segments[];

#endif
