/*
 * deals_bulk.c — POST /v1/deals/bulk: the CRM sync (DESIGN §7 "Pipeline").
 *
 * The body is a JSON array of deals, or NDJSON (one deal per line, with
 * Content-Type: application/x-ndjson), at most DEAL_BULK_MAX of them. Items
 * are read one at a time (never the whole array as one tree), checked in C
 * — fields, stages, duplicates within the call, owners and split holders,
 * the caller's scope — and the accepted ones go to the database as one COPY
 * and one upsert by external_id (deals/store.c). The answer is
 * {"created","updated","unchanged","rejected","errors":[{index, errors}]}.
 * With ?atomic=true any invalid item makes the call a 400 problem whose
 * `errors` name each field as "[index].field" and whose `bulk` member is the
 * result above; nothing is written.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/deals.h"
#include "api/bulk.h"
#include "api/handlers.h"
#include "api/parse.h"

/* What an accepted item still has to be checked for once every item is read. */
struct item_refs {
	int64_t owner_id;
	size_t split_off; /* into bulk.split_people */
	size_t nsplits;
};

/* external_ids seen in this call: open addressing over an arena of strings. */
#define SEEN_SLOTS (1u << 18) /* > 2 × DEAL_BULK_MAX */

struct seen_slot {
	size_t off; /* into names, + 1; 0 = empty */
	int index;  /* the item that has it */
};

struct bulk {
	struct stage_list stages;
	struct deal_bulk batch;
	struct item_refs *refs; /* owned, parallel to batch.lines */
	int64_t *split_people;  /* owned */
	size_t nsplit_people;
	size_t split_cap;
	struct bulk_outcome out; /* owned: counts and rejections */
	struct seen_slot *seen; /* owned, SEEN_SLOTS */
	struct buf names;       /* owned: NUL-separated external_ids */
	int count;              /* items read */
	bool oom;
};

static void
bulk_clear(struct bulk *b)
{
	deal_bulk_clear(&b->batch);
	free(b->refs);
	free(b->split_people);
	bulk_outcome_clear(&b->out);
	free(b->seen);
	buf_clear(&b->names);
}

static uint32_t
fnv(const char *s)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The item that already used external_id in this call, or -1 (and it is noted for `index`). */
static int
seen_before(struct bulk *b, const char *external_id, int index)
{
	uint32_t slot = fnv(external_id) & (SEEN_SLOTS - 1);

	for (;; slot = (slot + 1) & (SEEN_SLOTS - 1)) {
		struct seen_slot *s = &b->seen[slot];
		if (s->off == 0)
			break;
		if (strcmp(b->names.data + s->off - 1, external_id) == 0)
			return s->index;
	}
	size_t off = b->names.len;
	buf_append(&b->names, external_id, strlen(external_id) + 1);
	if (b->names.oom) {
		b->oom = true;
		return -1;
	}
	b->seen[slot] = (struct seen_slot){ .off = off + 1, .index = index };
	return -1;
}

/* Keep what the people check needs of an accepted item (the batch's last line). */
static void
note_refs(struct bulk *b, const struct deal_input *in)
{
	size_t line = b->batch.nlines - 1;

	if (line == 0 || (line & (line - 1)) == 0) { /* grow at powers of two */
		struct item_refs *v = realloc(b->refs, (line ? 2 * line : 1) * sizeof *v);
		if (!v) {
			b->oom = true;
			return;
		}
		b->refs = v;
	}
	if (b->nsplit_people + in->nsplits > b->split_cap) {
		size_t cap = b->split_cap ? 2 * b->split_cap : 1024;
		while (cap < b->nsplit_people + in->nsplits)
			cap *= 2;
		int64_t *v = realloc(b->split_people, cap * sizeof *v);
		if (!v) {
			b->oom = true;
			return;
		}
		b->split_people = v;
		b->split_cap = cap;
	}
	b->refs[line] = (struct item_refs){ .owner_id = in->owner_id, .split_off = b->nsplit_people,
					    .nsplits = in->nsplits };
	for (size_t i = 0; i < in->nsplits; i++)
		b->split_people[b->nsplit_people++] = in->splits[i].person_id;
}

/* Check one item and add it to the batch or to the rejected. */
static void
bulk_item(struct bulk *b, json_t *item, int index)
{
	struct deal_input in;
	struct deal_resolved rs;
	struct deal_issue issues[8];
	struct issues e = { 0 };

	if (!json_is_object(item))
		issues_add(&e, "item", "must be a JSON object (a deal)");
	else {
		bool shaped = deal_read(item, DEAL_READ_BULK, &in, &e);
		int k = in.stage ? deal_resolve(&in, NULL, &b->stages, &rs, issues, 8) : 0;
		for (int i = 0; i < k && i < 8; i++)
			issues_add(&e, issues[i].field, "%s", issues[i].message);
		int first = shaped && k == 0 ? seen_before(b, in.external_id, index) : -1;
		if (first >= 0)
			issues_add(&e, "external_id", "appears again in this call (first at index %d)", first);
	}
	if (issues_any(&e)) {
		bulk_reject(&b->out, index, &e);
		return;
	}
	if (deal_bulk_add(&b->batch, index, &in) != ST_OK)
		b->oom = true;
	else
		note_refs(b, &in);
}

static void
on_item(void *ctx, json_t *item, int index)
{
	bulk_item(ctx, item, index);
}

static void
on_bad_line(void *ctx, int index, const char *message)
{
	struct bulk *b = ctx;

	bulk_reject_one(&b->out, index, "item", message);
}

static int
by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * Owners and split holders of the accepted items must be people of the org,
 * and the owner one the caller may give deals to. False when r is answered.
 */
static bool
check_people(struct req *r, struct bulk *b)
{
	size_t n = 0, total = b->batch.nlines + b->nsplit_people;
	int64_t *ids = malloc((total ? total : 1) * sizeof *ids);
	struct deal_person *people = NULL;
	size_t npeople = 0;
	char field[48];
	enum status st;

	if (!ids) {
		respond_status(r, ST_NOMEM, NULL);
		return false;
	}
	for (size_t i = 0; i < b->batch.nlines; i++)
		ids[n++] = b->refs[i].owner_id;
	if (b->nsplit_people) {
		memcpy(ids + n, b->split_people, b->nsplit_people * sizeof *ids);
		n += b->nsplit_people;
	}
	if (n > 1)
		qsort(ids, n, sizeof *ids, by_id);
	size_t distinct = 0;
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || ids[distinct - 1] != ids[i])
			ids[distinct++] = ids[i];
	st = distinct ? deal_people_load(r->conn, r->who.org, ids, distinct, &people, &npeople) : ST_OK;
	free(ids);
	if (st != ST_OK) {
		respond_status(r, st, NULL);
		return false;
	}
	for (size_t i = 0; i < b->batch.nlines; i++) {
		const struct item_refs *ref = &b->refs[i];
		const struct deal_person *owner = deal_person_find(people, npeople, ref->owner_id);
		struct issues e = { 0 };

		if (!owner)
			issues_add(&e, "owner_id", "no such person");
		else if (!deals_may_own(r, owner))
			issues_add(&e, "owner_id", "outside the people whose deals you may sync");
		for (size_t k = 0; k < ref->nsplits; k++)
			if (!deal_person_find(people, npeople, b->split_people[ref->split_off + k])) {
				snprintf(field, sizeof field, "splits[%zu].person_id", k);
				issues_add(&e, field, "no such person");
			}
		if (issues_any(&e)) {
			b->batch.lines[i].rejected = true;
			bulk_reject(&b->out, b->batch.lines[i].index, &e);
		}
	}
	free(people);
	return true;
}

/* What the store did and refused, into the outcome. */
static void
take_store_result(struct bulk *b, const struct deal_bulk_result *res)
{
	for (size_t i = 0; i < res->nrejects; i++)
		bulk_reject_one(&b->out, res->rejects[i].index, res->rejects[i].field, res->rejects[i].message);
	b->out.created = res->created;
	b->out.updated = res->updated;
	b->out.unchanged = res->unchanged;
}

void
handle_deals_bulk(struct req *r)
{
	struct bulk b = { .out.noun = "deals" };
	struct deal_bulk_result res = { 0 };
	struct deal_scope ds;
	char *teams = NULL;
	bool atomic, ndjson;
	size_t len;
	const char *body = req_body(r, &len);
	enum status st;

	if (!bulk_request(r, &atomic, &ndjson))
		return;
	if (!(b.seen = calloc(SEEN_SLOTS, sizeof *b.seen))) {
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	if ((st = stages_load(r->conn, r->who.org, &b.stages)) != ST_OK) {
		respond_status(r, st, NULL);
		goto out;
	}
	if (!deals_scope(r, true, &ds, &teams))
		goto out;
	struct bulk_reader br = { "deals", DEAL_BULK_MAX, on_item, on_bad_line, &b };
	if (!bulk_read(r, &br, ndjson, body, len, &b.out.count))
		goto out;
	if (b.oom) {
		respond_status(r, ST_NOMEM, NULL);
		goto out;
	}
	if (!check_people(r, &b))
		goto out;
	if (atomic && b.out.nrejected) {
		bulk_respond_atomic_failure(r, &b.out);
		goto out;
	}
	st = deal_bulk_run(r->conn, r->who.org, r->who.sub, &ds, &b.batch, atomic, &res);
	if (st == ST_OK || st == ST_INVALID)
		take_store_result(&b, &res);
	if (st == ST_INVALID)
		bulk_respond_atomic_failure(r, &b.out);
	else if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		bulk_respond(r, &b.out);
out:
	deal_bulk_result_clear(&res);
	bulk_clear(&b);
	free(teams);
}
