/*
 * service.h — the quota operations (DESIGN §7 "Quotas"), one function per
 * operation of the API: quotas and their audit trail, a team's roll-up and
 * coverage, allocating a team's number, splitting a quota across its child
 * periods, and suggestions.
 *
 * Each takes the connection (inside the request's transaction for writes),
 * the caller and the parsed request; it resolves what the request names
 * (periods in the org's calendar, assignees, teams), decides what the
 * caller may do (auth/scope.h), runs the store calls and returns an enum
 * status with its result in out-parameters, written only on ST_OK.
 *
 * On failure the issues say why, for the HTTP answer (respond_outcome /
 * respond_store_error): issues naming a field with ST_INVALID (400) or
 * ST_CONFLICT (409); otherwise at most one issue without a field whose
 * message is the answer's detail — ST_NOT_FOUND "no such quota" / "no such
 * team" (also for what the caller may not see), ST_FORBIDDEN with the
 * reason, ST_STALE for an If-Match that does not match, ST_UNAVAILABLE,
 * ST_NOMEM, ST_INTERNAL.
 *
 * Access (DESIGN §4; the rules are auth/scope.h's scope_quota_*): admins
 * write every quota; execs and services read every one; a manager reads the
 * quotas of the teams of their subtree and of the people in them (their own
 * included) and writes those of the people in the subtree except themself
 * and of the teams strictly below the teams they manage; a rep reads their
 * own. Another org's quota is never visible (404).
 */
#ifndef ATTAIN_QUOTA_SERVICE_H
#define ATTAIN_QUOTA_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "db/db.h"
#include "db/row.h"
#include "quota/plan.h"
#include "quota/quota.h"
#include "quota/store.h"

struct org_settings;

/* ---- requests ---------------------------------------------------------------------- */

/* The fields of a quota a request gives (struct quota_input.set). */
enum {
	QUOTA_SET_ASSIGNEE = 1u << 0,
	QUOTA_SET_PERIOD = 1u << 1,
	QUOTA_SET_METRIC = 1u << 2,
	QUOTA_SET_FILTER = 1u << 3,
	QUOTA_SET_AMOUNT = 1u << 4,
	QUOTA_SET_NOTES = 1u << 5,
	QUOTA_SET_ALL = (1u << 6) - 1,
};

/*
 * A quota as a request writes it: every field for a create or a replace
 * (an absent filter or notes is none), those in `set` for a patch. Strings
 * are borrowed from the request.
 */
struct quota_input {
	unsigned set; /* QUOTA_SET_*: used by quota_service_patch only */
	struct quota_ref assignee;
	const char *period; /* a period id (quota_period_id_valid) */
	enum quota_metric metric;
	const char *filter_type;    /* NULL = every deal type */
	const char *filter_segment; /* NULL = every segment */
	int64_t amount;             /* cents; >= 0 */
	const char *notes;          /* NULL = none */
};

/* What a list asks for. */
struct quota_list_query {
	bool by_assignee;
	struct quota_ref assignee;
	const char *period; /* NULL = any; else a period id */
	const char *metric; /* NULL = any; else "revenue" or "deal_count" */
	int64_t team_id;    /* 0 = any; else the quotas of the team's subtree and of its people */
	int64_t after;      /* cursor: ids greater than this */
	int limit;
};

/* What a planning request is about: a period, a metric and a filter. */
struct quota_spec {
	const char *period; /* a period id */
	enum quota_metric metric;
	const char *filter_type;    /* NULL = every deal type */
	const char *filter_segment; /* NULL = every segment */
};

/* POST /v1/teams/{id}/quota-allocations (DESIGN §7). */
struct quota_alloc_input {
	struct quota_spec spec;
	enum quota_method method;
	bool has_total;
	int64_t total;     /* with has_total; else the team's quota */
	int64_t uplift_bp; /* hundredths of a percent */
	int64_t unit;      /* rounding step in cents (deal_count: whole deals) */
	int lookback;      /* historical: periods of history */
	int64_t floor_bp;  /* historical: share of the average history a part without any gets */
	bool dry_run;      /* compute without writing */
	json_t *weights;   /* weighted: {"person:ID" | "team:ID": number}; borrowed; NULL otherwise */
};

/* POST /v1/quotas/{id}/split. */
struct quota_split_input {
	enum period_grain grain; /* quarter or month */
	enum quota_split_method method;
	json_t
	    *percentages; /* percentages: array or object by period id (quota_shares_percentages); borrowed */
};

/* GET /v1/quota-suggestions. */
struct quota_suggest_query {
	struct quota_ref assignee;
	struct quota_spec spec;
	int64_t growth_bp; /* growth asked for, > -10000 */
};

/* ---- quotas ------------------------------------------------------------------------ */

/* A page of the quotas of q the caller may read into *out (page_clear). */
enum status quota_service_list(struct db_conn *c, const struct caller *who, const struct quota_list_query *q,
                               struct page *out, struct issues *e);
/* Quota `id` into *out (rowjson_clear). ST_NOT_FOUND "no such quota" also when the caller may not read it. */
enum status quota_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                              struct issues *e);
/*
 * Create the quota `in` into *out. ST_INVALID naming "assignee" when it is
 * no person or team of the org, "amount" for a fractional deal_count;
 * ST_FORBIDDEN when the caller may not write the assignee's quotas;
 * ST_CONFLICT naming "assignee" when the assignee has a quota for that
 * period, metric and filter.
 */
enum status quota_service_create(struct db_conn *c, const struct caller *who, const struct quota_input *in,
                                 struct rowjson *out, struct issues *e);
/*
 * Replace quota `id` by `in` (every field) into *out, when expect_version is
 * -1 or its version (else ST_STALE). ST_NOT_FOUND "no such quota" when
 * absent or not readable by the caller; ST_FORBIDDEN when readable only, or
 * when the caller may not write the new assignee's quotas; otherwise the
 * errors of quota_service_create.
 *
 * e may hold on entry the problems the caller found reading the request
 * (then `in` is not looked at): they are the answer, ST_INVALID, once the
 * quota is found and the caller's to change - a change answers 404, 403
 * and 412 before 400. Any other failure replaces them.
 */
enum status quota_service_replace(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                                  const struct quota_input *in, struct rowjson *out, struct issues *e);
/* As quota_service_replace, with only the fields of in->set changed. */
enum status quota_service_patch(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                                const struct quota_input *in, struct rowjson *out, struct issues *e);
/* Delete quota `id` (its audit trail stays). Errors as quota_service_replace. */
enum status quota_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                                 struct issues *e);
/*
 * A page of quota `id`'s audit trail (also after its delete) into *out
 * (page_clear). ST_NOT_FOUND "no such quota" when the org never had it or
 * the caller may not read its assignee's quotas (an assignee gone since
 * leaves the trail to those who read everything).
 */
enum status quota_service_history(struct db_conn *c, const struct caller *who, int64_t id, int64_t after,
                                  int limit, struct page *out, struct issues *e);

/* ---- planning ------------------------------------------------------------------------ */

/*
 * Team `team_id`'s figure for spec (its quota, else the sum of its parts)
 * and its parts, as JSON into *out (json_decref; quota_render_team).
 * ST_NOT_FOUND "no such team"; ST_FORBIDDEN when the caller may not read the
 * team's quotas.
 */
enum status quota_service_team(struct db_conn *c, const struct caller *who, int64_t team_id,
                               const struct quota_spec *spec, json_t **out, struct issues *e);
/* Team `team_id`'s coverage for spec as JSON into *out (quota_render_coverage). Errors as quota_service_team.
 */
enum status quota_service_coverage(struct db_conn *c, const struct caller *who, int64_t team_id,
                                   const struct quota_spec *spec, json_t **out, struct issues *e);
/*
 * Split a total (in->total, else team `team_id`'s quota) across the team's
 * parts by in->method and, unless in->dry_run, write each part's quota
 * (source "allocation"); the allocation as JSON into *out
 * (quota_render_allocation). Besides the errors of quota_service_team:
 * ST_FORBIDDEN when the caller may not plan inside the team or write a
 * part's quota; ST_CONFLICT when the team has no part; ST_INVALID naming
 * "total", "uplift_pct", "weights" or "method" when the numbers do not
 * allow an allocation.
 */
enum status quota_service_allocate(struct db_conn *c, const struct caller *who, int64_t team_id,
                                   const struct quota_alloc_input *in, json_t **out, struct issues *e);
/*
 * Split quota `id` into its child periods at in->grain by in->method and
 * write them (source "split"); the answer as JSON into *out
 * (quota_render_split). ST_NOT_FOUND "no such quota"; ST_FORBIDDEN when the
 * caller may not change the assignee's quotas; ST_INVALID naming "grain"
 * or "percentages"; ST_CONFLICT when the org's fiscal year no longer
 * divides the quota's period.
 */
enum status quota_service_split(struct db_conn *c, const struct caller *who, int64_t id,
                                const struct quota_split_input *in, json_t **out, struct issues *e);
/*
 * The quotas that performance figures are measured against: team
 * `team_id`'s subtree (0: every team of the org, its root teams under a
 * root 0 that is not in the tree) with spec's quotas, rolled up over spec's
 * period with the org's ramp curve (each person's ramp_bp set), in the
 * calendar of the org settings given (read once by the caller), into *out
 * (quota_tree_clear), and the period into *period. No access check: the
 * caller (the performance service) has decided what the caller may see. An
 * org without teams gives an empty tree. ST_INVALID naming "period";
 * ST_NOT_FOUND "no such team".
 */
enum status quota_service_tree(struct db_conn *c, const struct caller *who, int64_t team_id,
                               const struct quota_spec *spec, const struct org_settings *org,
                               struct quota_tree *out, struct period *period, struct issues *e);
/*
 * As quota_service_tree for one person, queued in batch b with other reads
 * (quota_service_person_queue) and taken from it after it ran
 * (quota_service_person_take): person `person_id` (their team, hire date,
 * ramp) with spec's quota, ramp_bp set over the period, into *out (free
 * out->name), in the calendar of the org settings given, and the split of
 * that quota as quota_service_split_of gives it (none without a quota; free
 * *split). *period is set when queued. *call and spec's filter texts must
 * outlive the run. No access check. ST_INVALID naming "period" (nothing
 * queued); ST_NOT_FOUND when there is no such person (no issue added).
 */
struct quota_person_call {
	struct quota_key key;
	struct quota_ramp ramp;
	struct quota_store_person_call store;
};
enum status quota_service_person_queue(struct db_batch *b, const struct caller *who, int64_t person_id,
                                       const struct quota_spec *spec, const struct org_settings *org,
                                       struct quota_person_call *call, struct period *period, struct issues *e);
enum status quota_service_person_take(struct db_conn *c, const struct db_batch *b,
                                      const struct quota_person_call *call, struct quota_tree_person *out,
                                      struct quota_period_amount **split, size_t *nsplit);

/*
 * A proposed quota for q's assignee with its inputs, as JSON into *out
 * (quota_render_suggestion). ST_INVALID naming "assignee" when it is no
 * person or team of the org; ST_FORBIDDEN when the caller may not read its
 * quotas.
 */
enum status quota_service_suggest(struct db_conn *c, const struct caller *who,
                                  const struct quota_suggest_query *q, json_t **out, struct issues *e);

/*
 * The split of the quota of `assignee` for `period` and `metric` (no
 * filter): its quotas of the months inside the period when they tile it,
 * else of the quarters when they do, in period order, into *out (free) and
 * *n; none (*n = 0) when neither tiles. No access check: the caller (the
 * performance service) has decided what the caller may see.
 */
enum status quota_service_split_of(struct db_conn *c, const struct caller *who, const struct quota_ref *assignee,
                                   const struct period *period, enum quota_metric metric,
                                   struct quota_period_amount **out, size_t *n);

#endif
