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
#include "auth/scope.h"
#include "db/row.h"
#include "quota/alloc.h"
#include "quota/plan.h"
#include "quota/quota.h"
#include "quota/suggest.h"

/* A stored quota, locked for a change (quota_store_lock). */
struct quota_current {
	int64_t id;
	int version;
	struct quota_key key; /* filter strings point into the buffers below */
	int64_t amount;
	char *notes;          /* owned; NULL = none */
	char filter_type[16];
	char filter_segment[4];
};
/* Free what q owns and zero it; accepts a zeroed struct. */
void quota_current_clear(struct quota_current *q);

/* What a list selects. */
struct quota_filter {
	bool by_assignee;
	struct quota_ref assignee;
	bool by_period;
	struct period period; /* placed in the org's calendar */
	const char *metric;   /* NULL = any */
	int64_t team_id;      /* 0 = any; else quotas of the team's subtree and of its people */
	int64_t after;
	int limit;
};

/* ---- quotas --------------------------------------------------------------------- */

/*
 * Quota `id` as JSON into *out (rowjson_clear), effective amounts by `ramp`;
 * *assignee (may be NULL) gets its assignee. ST_NOT_FOUND when absent.
 */
enum status quota_store_get(struct db_conn *c, const char *org, const struct quota_ramp *ramp, int64_t id,
			    struct rowjson *out, struct quota_ref *assignee);
/*
 * Lock quota `id` until the transaction ends and load it into *out
 * (quota_current_clear). ST_NOT_FOUND when absent.
 */
enum status quota_store_lock(struct db_conn *c, const char *org, int64_t id, struct quota_current *out);
/*
 * Create a quota by `sub` (source "api") into *out. ST_CONFLICT (issue on
 * "assignee") when the assignee has a quota for the same period, metric and
 * filter; ST_INVALID (issue on "assignee") when the assignee is not in the
 * org; other constraint failures name their field likewise.
 */
enum status quota_store_create(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp,
			       const struct quota_write *in, struct rowjson *out, struct issues *e);
/*
 * Replace the state of quota `id` (locked by quota_store_lock) by `in`;
 * version + 1 and an audit entry, unless it already is `in`: then *out is
 * the quota as it stands, unchanged. Errors as quota_store_create.
 */
enum status quota_store_update(struct db_conn *c, const char *org, const char *sub, const struct quota_ramp *ramp,
			       int64_t id, const struct quota_write *in, struct rowjson *out, struct issues *e);
/* Delete quota `id` by `sub` (its audit trail stays). */
enum status quota_store_delete(struct db_conn *c, const char *org, const char *sub, int64_t id);
/*
 * A page of the quotas of f visible in s, by id, into *out (page_clear),
 * effective amounts by `ramp`.
 */
enum status quota_store_list(struct db_conn *c, const char *org, const struct quota_ramp *ramp,
			     const struct scope_rows *s, const struct quota_filter *f, struct page *out);

/*
 * Upsert n quotas by their key with `source` ("allocation" or "split"):
 * new ones are created, existing ones take the new amount (a quota whose
 * amount does not change keeps its version and gets no audit entry). All
 * share items[0]'s metric and filter. On ST_OK, ids[i] is the quota of
 * items[i] and, when jsons is not NULL, jsons[i] its JSON (malloc'd; caller
 * frees each). ST_INVALID when n < 1.
 */
enum status quota_store_upsert_many(struct db_conn *c, const char *org, const char *sub, const char *source,
				    const struct quota_ramp *ramp, const struct quota_write *items, int n,
				    int64_t *ids, char **jsons);

/* ---- audit trail ------------------------------------------------------------------ */

/*
 * The last known assignee of quota `id` from its audit trail (works after a
 * delete); *deleted says whether the quota is gone. ST_NOT_FOUND when the
 * org never had that quota.
 */
enum status quota_store_history_assignee(struct db_conn *c, const char *org, int64_t id, struct quota_ref *out,
					 bool *deleted);
/* A page of quota `id`'s audit trail, oldest first, into *out (page_clear). */
enum status quota_store_history_list(struct db_conn *c, const char *org, int64_t id, int64_t after, int limit,
				     struct page *out);

/* ---- planning ----------------------------------------------------------------------- */

/*
 * Load team `team_id`'s subtree (teams and their people) with the quotas of
 * key's period, metric and filter (key->assignee is ignored) into *out
 * (caller clears with quota_tree_clear), sorted by id. ST_NOT_FOUND when the
 * team is not in the org.
 */
enum status quota_store_tree(struct db_conn *c, const char *org, int64_t team_id, const struct quota_key *key,
			     struct quota_tree *out);
/*
 * Set each person's `history` in t to what they were credited by won deals
 * of key's metric and filter closed in [from, to].
 */
enum status quota_store_tree_history(struct db_conn *c, const char *org, struct quota_tree *t,
				     const struct quota_key *key, cal_date from, cal_date to);
/*
 * Won figures of the people `persons` (n of them, together) of key's metric
 * and filter, per calendar month of [from, to] (both month-aligned, at most
 * `nmonths` months): out[k] is month k counted from `from`'s month.
 */
enum status quota_store_won_monthly(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
				    const struct quota_key *key, cal_date from, cal_date to, int64_t *out,
				    int nmonths);
/* Open pipeline of `persons` with close_date in [from, to], of key's metric and filter, into *out. */
enum status quota_store_open_pipeline(struct db_conn *c, const char *org, const int64_t *persons, size_t n,
				      const struct quota_key *key, cal_date from, cal_date to,
				      struct quota_pipeline *out);

/* An assignee's quotas of finer grain inside a period (its split), by grain, in period order. */
struct quota_parts {
	struct quota_period_amount *month, *quarter; /* owned */
	size_t nmonth, nquarter;
};

/* Free what p owns and zero it. */
void quota_parts_free(struct quota_parts *p);

/*
 * The quotas of key's assignee, metric and filter whose periods are months
 * or quarters inside key's period (of a coarser grain) into *out
 * (quota_parts_free).
 */
enum status quota_store_parts(struct db_conn *c, const char *org, const struct quota_key *key,
			      struct quota_parts *out);

/*
 * Person `person_id` with the quota of key's period, metric and filter
 * (its name is the caller's to free), and that person's quotas inside the
 * period as quota_store_parts gives them: two statements queued in batch b
 * (quota_store_person_queue; *call and key's filter texts must outlive the
 * run), taken from it after it ran (quota_store_person_take); ST_NOT_FOUND
 * when the person is not in the org. ramp_bp is left 0.
 */
/* The text parameters of a key's period, metric and filter (the store's statements). */
struct key_params {
	char start[16], end[16];
	const char *grain, *metric, *type, *segment;
};
struct quota_store_person_call {
	struct key_params k;
	char idb[24]; /* the person's id */
	const char *person[7], *split[9];
	int at; /* the first statement's index in the batch; -1: the batch was full */
};
void quota_store_person_queue(struct db_batch *b, const char *org, int64_t person_id, const struct quota_key *key,
			      struct quota_store_person_call *call);
enum status quota_store_person_take(struct db_conn *c, const struct db_batch *b,
				    const struct quota_store_person_call *call, struct quota_tree_person *out,
				    struct quota_parts *parts);

#endif
