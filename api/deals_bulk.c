/*
 * deals_bulk.c — POST /v1/deals/bulk: the CRM sync (DESIGN §7 "Pipeline").
 *
 * The body is a JSON array of deals, or NDJSON (one deal per line, with
 * Content-Type: application/x-ndjson), at most DEAL_BULK_MAX of them. Items
 * are read one at a time (never the whole array as one tree) and handed to
 * the deals service, which checks them — fields here, then stages,
 * duplicates within the call, owners and split holders, the caller's scope
 * — and writes the accepted ones with one COPY and one upsert by
 * external_id (deals/service.h). The answer is {"created","updated",
 * "unchanged","rejected","errors":[{index, errors}]}. With ?atomic=true any
 * invalid item makes the call a 400 problem whose `errors` name each field
 * as "[index].field" and whose `bulk` member is the result above; nothing is
 * written.
 */
#include "api/bulk.h"
#include "api/deals.h"
#include "api/handlers.h"
#include "api/respond.h"
#include "deals/service.h"

/* One call: the answer's outcome and the sync the items go to. */
struct call {
	struct bulk_call bc; /* first: the call is also its outcome */
	struct deals_sync *sync;
};

static void
on_item(void *ctx, json_t *item, int index)
{
	struct call *x = ctx;
	struct deal_input in;
	struct issues e = {0};

	if (!json_is_object(item)) {
		issues_add(&e, "item", "must be a JSON object (a deal)");
		deals_service_sync_add(x->sync, index, NULL, &e);
		return;
	}
	deal_read(item, DEAL_READ_BULK, &in, &e);
	deals_service_sync_add(x->sync, index, &in, &e);
}

static void
on_bad_line(void *ctx, int index, const char *message)
{
	struct call *x = ctx;
	struct issues e = {0};

	issues_add(&e, "item", "%s", message);
	deals_service_sync_add(x->sync, index, NULL, &e);
}

static void
on_refused(void *ctx, int index, struct issues *e)
{
	struct call *x = ctx;

	bulk_reject(&x->bc.out, index, e);
}

void
handle_deals_bulk(struct req *r)
{
	struct call x = { 0 };
	struct deals_sync_refusals to = { on_refused, &x };
	struct deal_bulk_counts done = { 0 };
	enum status st;

	if (!bulk_begin(r, &x.bc, "deals"))
		return;
	if ((st = deals_service_sync_open(r->conn, &x.bc.who, &to, &x.sync)) != ST_OK)
		respond_status(r, st, NULL);
	else if (bulk_call_read(r, &x.bc, DEAL_BULK_MAX, on_item, on_bad_line, &x)) {
		st = deals_service_sync_run(r->conn, &x.bc.who, x.sync, x.bc.atomic, &done);
		bulk_counts(&x.bc.out, done.created, done.updated, done.unchanged);
		bulk_respond_status(r, st, &x.bc.out);
	}
	deals_service_sync_free(x.sync);
	bulk_outcome_clear(&x.bc.out);
}
