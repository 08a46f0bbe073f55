/*
 * service.h — the pipeline's operations (DESIGN §7 "Pipeline"): the org's
 * stages, deals one at a time and their history, and the bulk CRM sync.
 * What the handlers of /v1/stages and /v1/deals call, and what other domains
 * call to reach deals (never deals/store.h).
 *
 * Each function runs for `who` (struct caller: org, sub for the history
 * rows, and the scope) in the caller's transaction, and returns enum status.
 * Out-parameters are written only on ST_OK. Problems come back in
 * `struct issues *e`: ST_INVALID / ST_CONFLICT with issues naming fields,
 * ST_FORBIDDEN / ST_NOT_FOUND with one issue whose field is NULL carrying
 * the sentence for the answer's detail; other statuses (ST_STALE,
 * ST_UNAVAILABLE, ST_NOMEM, ...) usually with none.
 *
 * Who sees and changes which deals: a deal belongs to a person when they
 * own it or hold one of its splits, and to a team when it belongs to a
 * member of the team or of a team below it. Admins, execs and services read
 * every deal of the org; admins and services write them all; managers read
 * and write the deals of their managed subtree and their own; reps their
 * own. A write may give a deal to the caller, or for a manager to anyone of
 * a team of their subtree.
 */
#ifndef ATTAIN_DEALS_SERVICE_H
#define ATTAIN_DEALS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/scope.h"
#include "core/issue.h"
#include "core/status.h"
#include "db/db.h"
#include "db/row.h"
#include "deals/deal.h"
#include "deals/stage.h"

/* ---- stages ---------------------------------------------------------------- */

/* The org's stages in order (for other domains that pick a stage; names not loaded). */
enum status deals_service_stages(struct db_conn *c, const struct caller *who, struct stage_list *out);

/*
 * The org's stage list as GET /v1/stages shows it into *out ({"items",
 * "next_cursor", "version", "updated_at"}; out->version is the list's
 * version; rowjson_clear).
 */
enum status deals_service_stages_get(struct db_conn *c, const struct caller *who, struct rowjson *out,
                                     struct issues *e);

/*
 * Replace the org's stages by l (as read from the body; names set):
 * ST_INVALID with the issues of stage_list_check; ST_STALE when
 * if_match >= 0 is not the list's version; ST_CONFLICT with one issue on
 * "items" when a stage that deals use would be removed or change between
 * open, won and lost; ST_NOT_FOUND (issue, field NULL) when the org has no
 * list. On ST_OK, *out is the new list as deals_service_stages_get.
 */
enum status deals_service_stages_replace(struct db_conn *c, const struct caller *who,
                                         const struct stage_list *l, int if_match, struct rowjson *out,
                                         struct issues *e);

/* ---- deals ------------------------------------------------------------------- */

/*
 * A page of the deals the caller sees that match f, in id order, into *out
 * (page_clear). f->stage must be a stage of the org, else ST_INVALID with a
 * "stage" issue. e may come in holding the issues of the query the handler
 * read: they make it ST_INVALID as well, with the stage's issue after them,
 * so that one answer names every bad parameter. On any other failure e is
 * emptied.
 */
enum status deals_service_list(struct db_conn *c, const struct caller *who, const struct deal_filter *f,
                               struct page *out, struct issues *e);

/*
 * The deals among ids (n of them, duplicates allowed) the caller reads, as
 * deals_service_get decides it, sorted by id into a malloc'd *out (caller
 * frees) of *nout entries: what a reference to a deal is checked against.
 */
enum status deals_service_readable(struct db_conn *c, const struct caller *who, const int64_t *ids, size_t n,
                                   int64_t **out, size_t *nout);
/*
 * Deal `id` as GET /v1/deals/{id} shows it into *out (rowjson_clear).
 * ST_NOT_FOUND when absent, in another org or outside the caller's scope;
 * any failure comes with the issue "no such deal" (field NULL).
 */
enum status deals_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                              struct issues *e);

/*
 * Create a deal from `in` for `who` (in: as deal_read gives it for a create; type and
 * segment may be NULL = the defaults). Loads the stages, resolves the stage state, checks
 * that the owner and split holders are people of the org and that the caller may give
 * deals to the owner, applies the defaults, writes the deal and its 'created' history row.
 * ST_INVALID/ST_CONFLICT with field issues in e; ST_FORBIDDEN with an issue (field NULL);
 * on ST_OK *out is the new deal (rowjson_clear). `in` is not changed.
 */
enum status deals_service_create(struct db_conn *c, const struct caller *who, const struct deal_input *in,
                                 struct rowjson *out, struct issues *e);

/*
 * Change deal `id` by `in` (as deal_read gives it for a patch: only what
 * changes). Locks the deal (ST_NOT_FOUND with "no such deal" when absent
 * or outside what the caller writes), checks if_match (>= 0: the version
 * the client has; else -1) -> ST_STALE, then as deals_service_create: the
 * stage state against the stored deal, the people, and ST_FORBIDDEN when the
 * deal changes owner to someone the caller may not give deals to. Records a
 * 'changed' history row when the stage, close date, amount, probability or
 * forecast category change. On ST_OK *out is the changed deal.
 */
enum status deals_service_update(struct db_conn *c, const struct caller *who, int64_t id, int if_match,
                                 const struct deal_input *in, struct rowjson *out, struct issues *e);

/*
 * Delete deal `id` (locked and checked as deals_service_update); its
 * history stays, closed by a 'deleted' row.
 */
enum status deals_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int if_match,
                                 struct issues *e);

/*
 * A page of deal `id`'s history, oldest first (after: the last version
 * seen, 0 for the first page), into *out (page_clear). ST_NOT_FOUND as
 * deals_service_get; any failure comes with the issue "no such deal".
 */
enum status deals_service_history(struct db_conn *c, const struct caller *who, int64_t id, int64_t after,
                                  int limit, struct page *out, struct issues *e);

/* ---- bulk sync ------------------------------------------------------------------ */

/*
 * POST /v1/deals/bulk upserts up to DEAL_BULK_MAX deals by external_id. The
 * handler reads the items one at a time and hands each to
 * deals_service_sync_add, which checks what needs no database (its stage
 * state, external_ids repeated in the call) and keeps it as one COPY line,
 * never as a JSON tree; deals_service_sync_run then checks the owners and
 * split holders of all the items at once, and writes the accepted ones with
 * one COPY and one upsert.
 */
struct deals_sync; /* opaque: a sync being read */

/*
 * Where a sync's refused items go, as they are found: refuse(ctx, index,
 * e) takes the issues of item `index` (it moves them; e is left empty).
 * Each item is refused at most once.
 */
struct deals_sync_refusals {
	void (*refuse)(void *ctx, int index, struct issues *e);
	void *ctx;
};

/*
 * Start a sync for who (loads the org's stages) into *out (free with
 * deals_service_sync_free); refused items will go to `to` (copied).
 */
enum status deals_service_sync_open(struct db_conn *c, const struct caller *who,
                                    const struct deals_sync_refusals *to, struct deals_sync **out);

/*
 * Add item `index`: `in` as deal_read gives it for DEAL_READ_BULK, and e
 * the issues found reading it (an item that is not a deal at all: in NULL
 * and e saying why). The item is refused with e's issues and those its
 * stage state or a repeated external_id add, else kept as one COPY line for
 * deals_service_sync_run. e is left empty. An allocation failure is kept
 * in s and makes deals_service_sync_run ST_NOMEM.
 */
void deals_service_sync_add(struct deals_sync *s, int index, const struct deal_input *in, struct issues *e);

/*
 * Check the kept items' owners and split holders (people of the org that
 * the caller may give deals to) and upsert the accepted ones by external_id
 * (deal_bulk_run in store.h checks what needs the stored deals). Refused
 * items go to the sync's refusals. ST_OK with *out the counts; with
 * `atomic`, any refused item (of the whole call) makes it ST_INVALID with
 * nothing written. *out is zeroed unless ST_OK.
 */
enum status deals_service_sync_run(struct db_conn *c, const struct caller *who, struct deals_sync *s,
                                   bool atomic, struct deal_bulk_counts *out);

/* Free a sync; accepts NULL. */
void deals_service_sync_free(struct deals_sync *s);

#endif
