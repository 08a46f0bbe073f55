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

/* One call: the sync the items go to and the answer's outcome. */
struct call {
	struct deals_sync *sync;
	struct bulk_outcome out; /* owned: counts and refused items */
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

	bulk_reject(&x->out, index, e);
}

void
handle_deals_bulk(struct req *r)
{
	struct call x = {.out.noun = "deals"};
	struct deals_sync_refusals to = {on_refused, &x};
	struct deal_bulk_counts done;
	struct bulk_reader br = {"deals", DEAL_BULK_MAX, on_item, on_bad_line, &x};
	struct caller who;
	bool atomic, ndjson;
	size_t len;
	const char *body = req_body(r, &len);
	enum status st;

	if (!bulk_request(r, &atomic, &ndjson) || !req_caller(r, &who))
		return;
	if ((st = deals_service_sync_open(r->conn, &who, &to, &x.sync)) != ST_OK) {
		respond_status(r, st, NULL);
		return;
	}
	if (bulk_read(r, &br, ndjson, body, len, &x.out.count)) {
		st = deals_service_sync_run(r->conn, &who, x.sync, atomic, &done);
		x.out.created = done.created;
		x.out.updated = done.updated;
		x.out.unchanged = done.unchanged;
		if (st == ST_OK)
			bulk_respond(r, &x.out);
		else if (st == ST_INVALID)
			bulk_respond_atomic_failure(r, &x.out);
		else
			respond_status(r, st, NULL);
	}
	deals_service_sync_free(x.sync);
	bulk_outcome_clear(&x.out);
}
