/*
 * store.h — the SQL of quotas: quotas, their audit trail, team subtrees
 * with their quotas (for roll-ups, allocation and coverage), and the won and
 * open figures that planning reads from deals.
 *
 * Rows come back as JSON text built by PostgreSQL (quota_doc in migration
 * 0004_quotas) completed here with the figures that need the person's ramp:
 * `effective_amount` (amount × ramp factor, quota_ramp_factor_bp) and
 * `ramp_factor_pct` (null for team quotas, which do not ramp; their
 * effective amount is their amount).
 *
 * Every write names its author and source first (the trigger on quotas
 * writes the audit trail from them and refuses an anonymous write), within
 * the caller's transaction.
 *
 * Figures from deals follow THE credit rule (view deal_credits, migration
 * 0002_pipeline): revenue is the credited amount of won deals; deal_count
 * credits each holder percent / 100 of a deal, so a deal counts once in
 * total however it is split (and a team never counts it twice). A deal
 * belongs to the period its close_date falls in; a filter on type/segment
 * selects the deals by theirs.
 */
#ifndef ATTAIN_QUOTA_STORE_H
#define ATTAIN_QUOTA_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "db/db.h"
#include "org/store.h"
#include "quota/plan.h"

enum quota_assignee_type { QUOTA_PERSON = 0, QUOTA_TEAM };
enum quota_metric { QUOTA_REVENUE = 0, QUOTA_DEAL_COUNT };

/* "person" / "team"; "revenue" / "deal_count" (static). */
const char *quota_assignee_name(enum quota_assignee_type t);
const char *quota_metric_name(enum quota_metric m);

struct quota_ref {
	enum quota_assignee_type type;
	int64_t id;
};

/* What identifies a quota: one per assignee, period, metric and filter. */
struct quota_key {
	struct quota_ref assignee;
	struct period period;       /* id, grain, start and end are used */
	enum quota_metric metric;
	const char *filter_type;    /* NULL = every deal type */
	const char *filter_segment; /* NULL = every segment */
};

/* A quota to write. */
struct quota_write {
	struct quota_key key;
	int64_t amount;    /* cents (deal_count: whole deals × 100) */
	const char *notes; /* NULL = none */
};

/* A stored quota, locked for a change (quota_lock). */
struct quota_current {
	int64_t id;
	int version;
	struct quota_key key; /* filter strings point into the buffers below */
	int64_t amount;
	char *notes;          /* owned; NULL = none */
	char filter_type[16];
	char filter_segment[4];
};
void quota_current_clear(struct quota_current *q);

/* The org's ramp curve, for effective amounts. */
struct quota_ramp {
	int64_t curve_bp[24]; /* basis points (25 % = 2500) */
	int ncurve;
};
void quota_ramp_from_settings(const struct org_settings *s, struct quota_ramp *out);

/* Who may see which quotas (DESIGN §4): as struct deal_scope. */
struct quota_scope {
	bool all;          /* every quota of the org */
	int64_t person_id; /* the caller's own person quotas; 0 = none */
	const char *teams; /* subtree literal "{1,2}": its teams' quotas and their people's; "{}" = none */
};

struct quota_filter {
	bool by_assignee;
	struct quota_ref assignee;
	bool by_period;
	struct period period;
	const char *metric; /* NULL = any */
	int64_t team_id;    /* 0 = any; else quotas of the team's subtree and of its people */
	int64_t after;
	int limit;
};

/* ---- quotas --------------------------------------------------------------------- */

/* Quota `id` as JSON; *assignee (may be NULL) gets its assignee. ST_NOT_FOUND when absent. */
enum status quota_get(struct db_conn *c, const char *org, const struct quota_ramp *ramp, int64_t id,
		      struct rowjson *out, struct quota_ref *assignee);
/* Lock quota `id` until the transaction ends and load it. ST_NOT_FOUND when absent. */
enum status quota_lock(struct db_conn *c, const char *org, int64_t id, struct quota_current *out);
/*
 * Create a quota by `sub` (source "api"). ST_CONFLICT (e->field "assignee")
 * when the assignee has a quota for the same period, metric and filter;
 * ST_INVALID (e->field "assignee") when the assignee is not in the org.
 */
enum status quota_create(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp,
			 const struct quota_write *in, struct rowjson *out, struct issues *e);
/* Replace the state of quota `id` (locked by quota_lock) by `in`; version + 1. Errors as quota_create. */
enum status quota_update(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp,
			 int64_t id, const struct quota_write *in, struct rowjson *out, struct issues *e);
/* Delete quota `id` (its audit trail stays). */
enum status quota_delete(struct db_conn *c, const char *org, const char *sub, int64_t id);
enum status quota_list(struct db_conn *c, const char *org, const struct quota_ramp *ramp, const struct quota_scope *s,
		       const struct quota_filter *f, struct page *out);

/*
 * Upsert n quotas by their key with `source` ("allocation" or "split"):
 * new ones are created, existing ones take the new amount (a quota whose
 * amount does not change keeps its version and gets no audit entry). All
 * share items[0]'s metric and filter. On ST_OK, ids[i] is the quota of
 * items[i] and, when jsons is not NULL, jsons[i] its JSON (malloc'd; caller
 * frees each).
 */
enum status quota_upsert_many(struct db_conn *c, const char *org, const char *sub, const char *source,
			      const struct quota_ramp *ramp, const struct quota_write *items, int n, int64_t *ids,
			      char **jsons);

/* ---- audit trail ------------------------------------------------------------------ */

/*
 * The last known assignee of quota `id` from its audit trail (works after a
 * delete); *deleted says whether the quota is gone. ST_NOT_FOUND when the
 * org never had that quota.
 */
enum status quota_history_assignee(struct db_conn *c, const char *org, int64_t id, struct quota_ref *out,
				   bool *deleted);
/* A page of quota `id`'s audit trail, oldest first. */
enum status quota_history_list(struct db_conn *c, const char *org, int64_t id, int64_t after, int limit,
			       struct page *out);

/* ---- planning ----------------------------------------------------------------------- */

/*
 * Load team `team_id`'s subtree (teams and their people) with the quotas of
 * key's period, metric and filter (key->assignee is ignored) into *out
 * (caller clears with quota_tree_clear), sorted by id. ST_NOT_FOUND when the
 * team is not in the org.
 */
enum status quota_tree_load(struct db_conn *c, const char *org, int64_t team_id, const struct quota_key *key,
			    struct quota_tree *out);
/*
 * Set each person's `history` in t to what they were credited by won deals
 * of key's metric and filter closed in [from, to].
 */
enum status quota_tree_load_history(struct db_conn *c, const char *org, struct quota_tree *t,
				    const struct quota_key *key, cal_date from, cal_date to);
/*
 * Won figures of the people `persons` (n of them, together) of key's metric
 * and filter, per calendar month of [from, to] (both month-aligned, at most
 * `nmonths` months): out[k] is month k counted from `from`'s month.
 */
enum status quota_won_monthly(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
			      const struct quota_key *key, cal_date from, cal_date to, int64_t *out, int nmonths);

struct quota_pipeline {
	int64_t amount;   /* open credit dated in the range (deal_count: deal credits) */
	int64_t weighted; /* the same × each deal's probability */
	int64_t deals;    /* distinct open deals */
};
/* Open pipeline of `persons` with close_date in [from, to], of key's metric and filter. */
enum status quota_open_pipeline(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
				const struct quota_key *key, cal_date from, cal_date to, struct quota_pipeline *out);

#endif
