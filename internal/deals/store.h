/*
 * store.h — the SQL of the pipeline: stages, deals, their history, and the
 * bulk CRM sync; only service.c calls it. Rows come back as JSON text built
 * by PostgreSQL (struct rowjson, struct page of db/row.h). Every function
 * runs in the caller's transaction and returns enum status (ST_UNAVAILABLE,
 * ST_NOMEM, ... as db_check maps a failure); out-parameters are written only
 * on ST_OK.
 *
 * Which deals a scope reaches (struct scope_rows, built by the service from
 * the caller): a deal belongs to a person when they own it or hold one of
 * its splits, and to a team when it belongs to a member of the team or of a
 * team below it. The same definition answers `team_id` filters.
 */
#ifndef ATTAIN_DEALS_STORE_H
#define ATTAIN_DEALS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/issue.h"
#include "db/db.h"
#include "auth/scope.h"
#include "db/row.h"
#include "deals/deal.h"
#include "deals/stage.h"

/* ---- stages ---------------------------------------------------------------- */

/*
 * The org's stages in order into *out, with the list's version (names not
 * loaded: NULL). ST_NOT_FOUND when the org has no stages.
 */
enum status stages_load(struct db_conn *c, const char *org, struct stage_list *out);
/*
 * The stage list as {"items": [...], "next_cursor": null, "version": n,
 * "updated_at": ...} into *out (rowjson_clear); out->version is the list's
 * version. ST_NOT_FOUND when the org has no list.
 */
enum status stages_get(struct db_conn *c, const char *org, struct rowjson *out);
/*
 * Replace the org's stages by l (checked with stage_list_check; names set).
 * ST_STALE when expect_version >= 0 differs from the list's version.
 * ST_CONFLICT when a stage that deals use would be removed or change between
 * open, won and lost: its key goes to used_key (>= STAGE_KEY_MAX + 1 bytes)
 * and *removed says which. ST_NOT_FOUND when the org has no list. On ST_OK,
 * *out is the new list as stages_get.
 */
enum status stages_replace(struct db_conn *c, const char *org, const struct stage_list *l, int expect_version,
			   struct rowjson *out, char *used_key, bool *removed);

/* ---- people a deal names ------------------------------------------------------ */

/* A person a deal names (owner or split holder), as a write needs them. */
struct deal_person {
	int64_t id;
	int64_t team_id;   /* 0 = none */
	char segment[4];   /* "" = none */
};
/*
 * The people of `org` among ids (n of them, duplicates allowed), sorted by
 * id, into a malloc'd *out (caller frees) of *nout entries; ids of no person
 * of the org are simply absent.
 */
enum status deal_people_load(struct db_conn *c, const char *org, const int64_t *ids, size_t n,
			     struct deal_person **out, size_t *nout);
/* Binary search in a deal_people_load result; NULL when absent. */
const struct deal_person *deal_person_find(const struct deal_person *v, size_t n, int64_t id);

/* ---- deals ---------------------------------------------------------------------- */

/*
 * A page of the deals of `org` in scope s that match f, in id order, into
 * *out (page_clear): f->limit items after the id f->after, out->more when
 * another page follows. f->team_id narrows to the deals of that team's
 * subtree (within s).
 */
enum status deal_list(struct db_conn *c, const char *org, const struct scope_rows *s,
		      const struct deal_filter *f, struct page *out);
/*
 * Deal `id` as the API shows it into *out (rowjson_clear). ST_NOT_FOUND when
 * absent, in another org or outside the scope.
 */
enum status deal_get(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
		     struct rowjson *out);
/*
 * The deals among ids (n of them, duplicates allowed) that s reads, sorted
 * by id, into a malloc'd *out (caller frees) of *nout entries.
 */
enum status deal_readable(struct db_conn *c, const char *org, const struct scope_rows *s, const int64_t *ids,
			  size_t n, int64_t **out, size_t *nout);
/*
 * Lock deal `id` for a change (until the transaction ends) and load what the
 * change needs into *out, with out->owner_writable when s reaches its owner
 * (not only a split holder). ST_NOT_FOUND when absent or outside the scope.
 */
enum status deal_lock(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
		      struct deal_current *out);
/*
 * Create a deal from a complete input (name, owner_id, segment, type,
 * amount and close_date set: deal_defaults has run) and its resolved stage
 * state; created_on defaults to the org's today, or close_date when
 * earlier. Records the 'created' history row for `sub`. On ST_OK *out is
 * the new deal (rowjson_clear). A failed constraint adds the field it is
 * about to e: ST_CONFLICT with "external_id" when another deal has it,
 * ST_INVALID / ST_CONFLICT with "owner_id", "stage", "close_date" or
 * "splits".
 */
enum status deal_create(struct db_conn *c, const char *org, const char *sub, const struct deal_input *in,
			const struct deal_resolved *rs, struct rowjson *out, struct issues *e);
/*
 * Change the deal locked as cur (deal_lock) by in (what it does not set
 * stays) and its resolved stage state; records a 'changed' history row for
 * `sub` when the stage, close date, amount, probability or forecast
 * category changes, and counts a push when close_date moves later. On ST_OK
 * *out is the changed deal; failures as deal_create.
 */
enum status deal_update(struct db_conn *c, const char *org, const char *sub, const struct deal_current *cur,
			const struct deal_input *in, const struct deal_resolved *rs, struct rowjson *out,
			struct issues *e);
/* Delete the deal locked as cur; its history stays, closed by a 'deleted' row for `sub`. */
enum status deal_delete(struct db_conn *c, const char *org, const char *sub, const struct deal_current *cur);
/*
 * A page of deal `id`'s history, oldest first, into *out (page_clear):
 * `limit` rows of versions after `after`. Checks nothing of the deal
 * itself: the caller has read it first.
 */
enum status deal_history_list(struct db_conn *c, const char *org, int64_t id, int64_t after, int limit,
			      struct page *out);

/* ---- bulk sync -------------------------------------------------------------- */

/* The accepted items of one bulk call, encoded as COPY text. */
struct deal_bulk {
	struct buf copy; /* owned: one line per item */
	struct deal_bulk_line {
		int index;     /* in the request body */
		size_t off;    /* into copy */
		size_t len;
		bool rejected;
	} *lines;        /* owned */
	size_t nlines;
	size_t cap;
};
/* Free the batch; it is left zeroed and reusable. */
void deal_bulk_clear(struct deal_bulk *b);
/*
 * Add item `index` (a complete bulk item: external_id, name, owner_id,
 * amount, stage and close_date set; others optional) to the batch as one
 * COPY line (nothing of `in` is kept). ST_NOMEM on allocation failure.
 */
enum status deal_bulk_add(struct deal_bulk *b, int index, const struct deal_input *in);

/* Why the database side refuses an item (the values are also in store.c's SQL). */
enum deal_bulk_refusal {
	DEAL_BULK_OUT_OF_SCOPE = 0,         /* the stored deal is outside the caller's scope */
	DEAL_BULK_NO_SEGMENT = 1,           /* a new deal, and neither it nor its owner has a segment */
	DEAL_BULK_CLOSE_BEFORE_CREATED = 2, /* close_date before the stored created_on it keeps */
};

/* An item the database side refused, before anything was written. */
struct deal_bulk_reject {
	int index;
	enum deal_bulk_refusal why;
};

/* What deal_bulk_run did. */
struct deal_bulk_result {
	struct deal_bulk_counts counts;
	struct deal_bulk_reject *rejects; /* owned, sorted by index */
	size_t nrejects;
};
/* Free the refusals; the result is left zeroed. */
void deal_bulk_result_clear(struct deal_bulk_result *r);

/*
 * Upsert the batch's lines not marked rejected by external_id for `sub`,
 * under a per-org lock. Checks what needs the stored deals: an existing deal
 * must be in the scope s (never re-owned from outside it), a kept created_on
 * must not follow the new close_date, a new deal needs a segment (its own or
 * its owner's). Those items are rejected (out->rejects); with `atomic`, any
 * reject makes it ST_INVALID with nothing written, else the rest are written.
 * An existing deal whose stored state equals the item is left as it is
 * (counted unchanged: no new version, no history). *out is filled on
 * ST_OK and ST_INVALID (out->rejects: deal_bulk_result_clear).
 */
enum status deal_bulk_run(struct db_conn *c, const char *org, const char *sub, const struct scope_rows *s,
			  struct deal_bulk *b, bool atomic, struct deal_bulk_result *out);

#endif
