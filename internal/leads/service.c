#include "leads/service.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deals/deal.h"
#include "deals/service.h"
#include "deals/stage.h"
#include "org/service.h"
#include "leads/bulk_store.h"
#include "leads/job_store.h"
#include "leads/lead.h"
#include "leads/model.h"
#include "leads/model_store.h"
#include "leads/record.h"
#include "leads/training.h"

/* Closed leads of each class a training needs at least, and the share held out to evaluate it. */
#define TRAIN_MIN_PER_CLASS 50
#define TRAIN_HOLDOUT_PCT 20

/* ---- who reaches which lead ------------------------------------------------------------- */

/* A lead out of the caller's reach does not exist: say so. Returns st. */
static enum status
no_such_lead(enum status st, struct issues *e)
{
	if (st == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", "no such lead");
	return st;
}

/*
 * The owner a write names (NULL: none) must be a person of the org within s;
 * their segment (or "") goes to segment (4 bytes).
 */
static enum status
owner_check(struct db_conn *c, const char *org, const struct scope_rows *s, const char *owner, char *segment,
            struct issues *e)
{
	struct lead_owner o;
	enum status st;

	segment[0] = '\0';
	if (!owner) {
		if (s->all)
			return ST_OK;
		issues_add(e, NULL, "%s", "only admins and services keep leads without an owner");
		return ST_FORBIDDEN;
	}
	if ((st = lead_store_owner(c, org, s, owner, &o)) == ST_NOT_FOUND) {
		issues_add(e, "owner_id", "%s", "no such person");
		return ST_INVALID;
	}
	if (st != ST_OK)
		return st;
	if (!o.in_scope) {
		issues_add(e, NULL, "%s", "the owner is outside the people whose leads you manage");
		return ST_FORBIDDEN;
	}
	memcpy(segment, o.segment, sizeof o.segment);
	return ST_OK;
}

/*
 * The deal a write links (converted_deal_id, when the body names one that
 * `was`, the stored lead or NULL, does not link already) must be one the
 * caller reads: the same check as reading it, and the same answer, "no such
 * deal", whether it is absent or out of the caller's reach (DESIGN §4).
 */
static enum status
deal_ref_check(struct db_conn *c, const struct caller *who, const json_t *body, const json_t *was,
               struct issues *e)
{
	const json_t *v = json_object_get(body, "converted_deal_id");
	const char *linked = was ? lead_record_text(was, "converted_deal_id") : NULL;
	struct issues quiet = {0};
	struct rowjson deal = {0};
	char *end = NULL;
	long long id;
	enum status st;

	if (!json_is_string(v) || (linked && strcmp(linked, json_string_value(v)) == 0))
		return ST_OK;
	id = strtoll(json_string_value(v), &end, 10);
	st = end && *end == '\0' && id > 0 ? deals_service_get(c, who, id, &deal, &quiet) : ST_NOT_FOUND;
	rowjson_clear(&deal);
	issues_clear(&quiet);
	if (st == ST_NOT_FOUND) {
		issues_add(e, "converted_deal_id", "%s", "no such deal");
		st = ST_INVALID;
	}
	return st;
}

/*
 * A new lead of a caller who may not keep unowned leads is theirs unless the
 * body names an owner: set in merged.
 */
static enum status
default_owner(const struct scope_rows *s, const json_t *body, json_t *merged, struct issues *e)
{
	char id[24];

	if (s->all || json_object_get(body, "owner_id"))
		return ST_OK;
	if (s->person_id <= 0) {
		issues_add(e, NULL, "%s", "your token names no person_id to own the lead; give owner_id");
		return ST_FORBIDDEN;
	}
	snprintf(id, sizeof id, "%" PRId64, s->person_id);
	return json_object_set_new(merged, "owner_id", json_string(id)) == 0 ? ST_OK : ST_NOMEM;
}

/* The record of the merged lead (its segment set), scored by its segment's model (read FOR SHARE). */
static enum status
score_merged(struct db_conn *c, const char *org, const json_t *merged, int64_t id, const cal_date *created_on,
             struct lead_record *out)
{
	struct score_model m = {0};
	cal_date today;
	enum status st =
	    model_store_load(c, org, lead_record_text(merged, "segment"), false, &m, &today, NULL);

	if (st == ST_OK)
		st = lead_record_fill(out, merged, id, created_on, &m, today, NULL);
	score_model_clear(&m);
	return st;
}

/* Store the merged lead as lead `id` (locked as cur), re-scored; *out is the lead after the change. */
static enum status
store_change(struct db_conn *c, const char *org, int64_t id, const struct lead_current *cur,
             const json_t *merged, struct rowjson *out, struct issues *e)
{
	struct lead_record rec = {0};
	enum status st =
	    score_merged(c, org, merged, id, cur->has_created_on ? &cur->created_on : NULL, &rec);

	if (st == ST_OK)
		st = lead_store_update(c, org, id, &rec, out, e);
	lead_record_clear(&rec);
	return st;
}

/* ---- single leads --------------------------------------------------------------------- */

enum status
leads_service_list(struct db_conn *c, const struct caller *who, const struct lead_filter *f, struct page *out,
                   struct issues *e)
{
	struct scope_rows ls = { 0 };
	enum status st = scope_rows_of(who->scope, false, &ls);

	(void)e;
	if (st == ST_OK)
		st = lead_store_list(c, who->org, &ls, f, out);
	scope_rows_clear(&ls);
	return st;
}

enum status
leads_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                  struct issues *e)
{
	struct scope_rows ls = { 0 };
	enum status st = scope_rows_of(who->scope, false, &ls);

	if (st == ST_OK)
		st = lead_store_get(c, who->org, &ls, id, out);
	scope_rows_clear(&ls);
	return no_such_lead(st, e);
}

enum status
leads_service_create(struct db_conn *c, const struct caller *who, const json_t *body, struct rowjson *out,
                     struct issues *e)
{
	struct scope_rows ls = { 0 };
	struct lead_record rec = {0};
	char owner_segment[4];
	json_t *merged = NULL;
	enum status st;

	if ((st = scope_rows_of(who->scope, true, &ls)) != ST_OK)
		goto out;
	if (!(merged = lead_record_merge(NULL, body))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = default_owner(&ls, body, merged, e)) != ST_OK ||
	    (st = owner_check(c, who->org, &ls, lead_record_text(merged, "owner_id"), owner_segment, e)) !=
	        ST_OK ||
	    (st = deal_ref_check(c, who, body, NULL, e)) != ST_OK ||
	    (st = lead_record_default_segment(merged, owner_segment)) != ST_OK ||
	    (st = score_merged(c, who->org, merged, 0, NULL, &rec)) != ST_OK)
		goto out;
	st = lead_store_insert(c, who->org, &rec, out, e);
out:
	lead_record_clear(&rec);
	json_decref(merged);
	scope_rows_clear(&ls);
	return st;
}

enum status
leads_service_patch(struct db_conn *c, const struct caller *who, int64_t id, const json_t *body,
                    int expect_version, struct rowjson *out, struct issues *e)
{
	struct scope_rows ls = { 0 };
	struct lead_current cur = {0};
	char owner_segment[4];
	json_t *merged = NULL;
	enum status st;

	if ((st = scope_rows_of(who->scope, true, &ls)) != ST_OK ||
	    (st = lead_store_lock(c, who->org, &ls, id, &cur)) != ST_OK)
		goto out;
	if (expect_version >= 0 && cur.version != expect_version) {
		st = ST_STALE;
		goto out;
	}
	if (!(merged = lead_record_merge(cur.input, body))) {
		st = ST_NOMEM;
		goto out;
	}
	/* an owner the body names again is not checked again */
	const json_t *owner = json_object_get(body, "owner_id");
	const char *was = lead_record_text(cur.input, "owner_id");
	if (owner && !(json_is_string(owner) && was && strcmp(was, json_string_value(owner)) == 0) &&
	    (st = owner_check(c, who->org, &ls, json_string_value(owner), owner_segment, e)) != ST_OK)
		goto out;
	if ((st = deal_ref_check(c, who, body, cur.input, e)) != ST_OK)
		goto out;
	if (!lead_status_write_allowed(cur.status, lead_record_text(merged, "status"))) {
		issues_add(e, "status", "%s", LEAD_FORCED_ONLY);
		st = ST_CONFLICT;
		goto out;
	}
	st = store_change(c, who->org, id, &cur, merged, out, e);
out:
	json_decref(merged);
	lead_store_current_clear(&cur);
	scope_rows_clear(&ls);
	return no_such_lead(st, e);
}

enum status
leads_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                     struct issues *e)
{
	struct scope_rows ls = { 0 };
	struct lead_current cur = {0};
	enum status st;

	if ((st = scope_rows_of(who->scope, true, &ls)) != ST_OK ||
	    (st = lead_store_lock(c, who->org, &ls, id, &cur)) != ST_OK)
		goto out;
	if (expect_version >= 0 && cur.version != expect_version)
		st = ST_STALE;
	else
		st = lead_store_delete(c, who->org, id);
out:
	lead_store_current_clear(&cur);
	scope_rows_clear(&ls);
	return no_such_lead(st, e);
}

enum status
leads_service_score(struct db_conn *c, const struct caller *who, const json_t *body, json_t **out,
                    struct issues *e)
{
	struct scope_rows all = {.all = true};
	struct lead_record rec = {0};
	struct score_model m = {0};
	char owner_segment[4];
	cal_date today;
	int version = 0;
	json_t *merged = lead_record_merge(NULL, body), *v;
	enum status st = ST_NOMEM;

	if (!merged)
		goto out;
	if ((st = owner_check(c, who->org, &all, lead_record_text(merged, "owner_id"), owner_segment, e)) !=
	        ST_OK ||
	    (st = lead_record_default_segment(merged, owner_segment)) != ST_OK ||
	    (st = model_store_load(c, who->org, lead_record_text(merged, "segment"), true, &m, &today,
	                           &version)) != ST_OK ||
	    (st = lead_record_fill(&rec, merged, 0, NULL, &m, today, NULL)) != ST_OK)
		goto out;
	if ((v = lead_record_preview(&rec, version, m.trained_version)) != NULL)
		*out = v;
	else
		st = ST_NOMEM;
out:
	score_model_clear(&m);
	lead_record_clear(&rec);
	json_decref(merged);
	return st;
}

enum status
leads_service_funnel(struct db_conn *c, const struct caller *who, const char *from, const char *to,
                     const char *by, char **out, struct issues *e)
{
	struct scope_rows ls = { 0 };
	enum status st = scope_rows_of(who->scope, false, &ls);

	(void)e;
	if (st == ST_OK)
		st = lead_store_funnel(c, who->org, &ls, from, to, by, out);
	scope_rows_clear(&ls);
	return st;
}

/* ---- re-scoring a segment ------------------------------------------------------------- */

struct rescoring {
	const struct score_model *m;
	cal_date today;
	struct score_result *res; /* owned: working space */
};

static enum status
rescore_one(void *ctx, int64_t id, const json_t *input, const cal_date *created_on, struct lead_record *out)
{
	struct rescoring *rs = ctx;
	enum status st = lead_record_fill(out, input, id, created_on, rs->m, rs->today, rs->res);

	return st == ST_INVALID ? ST_INTERNAL : st;
}

/* Re-score the open leads of `segment` (and the closed ones when `closed_too`) with m as of today. */
static enum status
rescore(struct db_conn *c, const char *org, const char *segment, bool closed_too, const struct score_model *m,
        cal_date today)
{
	struct rescoring rs = {.m = m, .today = today, .res = malloc(sizeof *rs.res)};
	enum status st = rs.res ? lead_store_rescore(c, org, segment, closed_too, rescore_one, &rs) : ST_NOMEM;

	free(rs.res);
	return st;
}

/* ---- bulk sync ------------------------------------------------------------------------ */

void
leads_service_bulk_result_clear(struct leads_bulk_result *r)
{
	for (size_t i = 0; i < r->nrejects; i++)
		issues_clear(&r->rejects[i].issues);
	free(r->rejects);
	memset(r, 0, sizeof *r);
}

/* Refuse item `index` (out->rejects has room for every item). */
static void
reject(struct leads_bulk_result *out, int index, const char *field, const char *message)
{
	struct leads_bulk_reject *x = &out->rejects[out->nrejects++];

	*x = (struct leads_bulk_reject){.index = index};
	issues_add(&x->issues, field, "%s", message);
}

/* For sorting items by external_id, then by index. */
static int
by_external_id(const void *x, const void *y)
{
	const struct lead_batch_item *a = *(const struct lead_batch_item *const *)x;
	const struct lead_batch_item *b = *(const struct lead_batch_item *const *)y;
	int k = strcmp(a->external_id, b->external_id);

	return k ? k : (a->index > b->index) - (a->index < b->index);
}

/* An external_id given twice: every later item is refused, and marked in dup (one flag per item). */
static enum status
reject_duplicates(const struct lead_batch *in, bool *dup, struct leads_bulk_result *out)
{
	const struct lead_batch_item **v = malloc((in->n + 1) * sizeof *v);
	char message[80];

	if (!v)
		return ST_NOMEM;
	for (size_t i = 0; i < in->n; i++)
		v[i] = &in->items[i];
	qsort(v, in->n, sizeof *v, by_external_id);
	for (size_t i = 1; i < in->n; i++) {
		size_t first = i - 1;
		while (i < in->n && strcmp(v[first]->external_id, v[i]->external_id) == 0) {
			snprintf(message, sizeof message, "appears again in this call (first at index %d)",
			         v[first]->index);
			dup[v[i] - in->items] = true;
			reject(out, v[i]->index, "external_id", message);
			i++;
		}
	}
	free(v);
	return ST_OK;
}

/* One bulk call after the duplicates are out. */
struct bulk_run {
	const struct scope_rows *scope;
	struct score_model models[2]; /* b2b, b2c */
	cal_date today;
	struct lead_bulk_facts *facts;
	struct score_result res; /* working space */
	struct leads_bulk_result *out;
	bool all_deals;          /* the caller reads every deal */
	int64_t *deals;          /* owned, sorted: else the deals the items name that the caller reads */
	size_t ndeals;
};

static int
by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The caller reads deal `id` (an item's converted_deal_id): the check of reading it. */
static bool
deal_readable(const struct bulk_run *run, int64_t id)
{
	return run->all_deals || (run->ndeals && bsearch(&id, run->deals, run->ndeals, sizeof id, by_id));
}

/* What deal_readable needs: the deals items[0..n) name that the caller reads. */
static enum status
load_readable_deals(struct db_conn *c, const struct caller *who, const struct lead_batch_item *items, size_t n,
                    struct bulk_run *run)
{
	int64_t *ids;
	size_t k = 0;
	enum status st;

	if ((run->all_deals = scope_reads_all(who->scope)))
		return ST_OK;
	if (!(ids = malloc((n + 1) * sizeof *ids)))
		return ST_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (items[i].converted_deal_id > 0)
			ids[k++] = items[i].converted_deal_id;
	st = k ? deals_service_readable(c, who, ids, k, &run->deals, &run->ndeals) : ST_OK;
	free(ids);
	return st;
}

/* Whether item it cannot be written for what it refers to (then it is refused). */
static bool
refs_refused(struct bulk_run *run, const struct lead_batch_item *it, const struct lead_bulk_found *f)
{
	const char *field = NULL, *message = NULL;

	if (f->stored && !f->stored_in_scope)
		field = "external_id",
		message = "the existing lead with this external_id is outside your scope";
	else if (it->owner_id > 0 && !f->owner_found)
		field = "owner_id", message = "no such person";
	else if (it->owner_id > 0 && !f->owner_in_scope)
		field = "owner_id", message = "outside the people whose leads you manage";
	else if (it->converted_deal_id > 0 && (!f->deal_found || !deal_readable(run, it->converted_deal_id)))
		field = "converted_deal_id", message = "no such deal";
	if (field)
		reject(run->out, it->index, field, message);
	return field != NULL;
}

/* Whether the merged lead of item it breaks a rule of leads (then it is refused). */
static bool
rules_refused(struct bulk_run *run, const struct lead_batch_item *it, const json_t *merged)
{
	const char *status = lead_record_text(merged, "status");

	if (!lead_record_text(merged, "owner_id") && !run->scope->all) {
		reject(run->out, it->index, "owner_id",
		       "is required: only admins and services keep leads without an owner");
		return true;
	}
	if (lead_record_text(merged, "converted_deal_id") &&
	    strcmp(status ? status : "new", "converted") != 0) {
		reject(run->out, it->index, "converted_deal_id", "only a converted lead links a deal");
		return true;
	}
	return false;
}

/* Merge, check and score item i (it); append its upsert line to b and count it in *accepted, or refuse it. */
static enum status
bulk_item(struct bulk_run *run, const struct lead_batch_item *it, size_t i, struct buf *b, long *accepted)
{
	struct lead_bulk_found f;
	struct lead_record rec = {0};
	json_t *body = NULL, *base = NULL, *merged = NULL;
	enum status st = ST_NOMEM;

	lead_bulk_found(run->facts, i, &f);
	if (refs_refused(run, it, &f))
		return ST_OK;
	if (!(body = json_loads(it->json, 0, NULL)) || (f.stored && !(base = json_loads(f.stored, 0, NULL))))
		goto out;
	if (!(merged = lead_record_merge(base, body)) ||
	    lead_record_default_segment(merged, f.owner_segment) != ST_OK)
		goto out;
	st = ST_OK;
	if (rules_refused(run, it, merged))
		goto out;
	const struct score_model *m = &run->models[strcmp(lead_record_text(merged, "segment"), "b2c") == 0];
	st = lead_record_fill(&rec, merged, 0, f.has_created_on ? &f.created_on : NULL, m, run->today,
	                      &run->res);
	if (st != ST_OK) {
		st = st == ST_INVALID ? ST_INTERNAL : st;
		goto out;
	}
	lead_bulk_line(b, it->index, &rec);
	(*accepted)++;
	st = b->oom ? ST_NOMEM : ST_OK;
out:
	lead_record_clear(&rec);
	json_decref(body);
	json_decref(base);
	json_decref(merged);
	return st;
}

/* Score and write items[0..n) (distinct external_ids) into out. */
static enum status
bulk_write(struct db_conn *c, const char *org, struct bulk_run *run, const struct lead_batch_item *items,
           size_t n, bool atomic, bool rejected_before)
{
	struct leads_bulk_result *out = run->out;
	struct buf b = {0};
	long accepted = 0;
	enum status st = ST_OK;

	/* the models before the leads: a model change locks its row, then the segment's leads */
	if (n > 0 &&
	    ((st = lead_bulk_lock(c, org)) != ST_OK ||
	     (st = model_store_load(c, org, "b2b", false, &run->models[0], &run->today, NULL)) != ST_OK ||
	     (st = model_store_load(c, org, "b2c", false, &run->models[1], &run->today, NULL)) != ST_OK ||
	     (st = lead_bulk_facts_load(c, org, run->scope, items, n, &run->facts)) != ST_OK))
		goto out;
	for (size_t i = 0; i < n && st == ST_OK; i++)
		st = bulk_item(run, &items[i], i, &b, &accepted);
	if (st != ST_OK)
		goto out;
	if (atomic && (out->nrejects || rejected_before)) {
		st = ST_INVALID;
		goto out;
	}
	if (accepted > 0 && (st = lead_bulk_write(c, org, &b, &out->created, &out->updated)) == ST_OK)
		out->unchanged = accepted - out->created - out->updated;
out:
	buf_clear(&b);
	return st;
}

enum status
leads_service_bulk(struct db_conn *c, const struct caller *who, const struct lead_batch *in, bool atomic,
                   bool rejected_before, struct leads_bulk_result *out)
{
	struct leads_bulk_result res = {0};
	struct bulk_run *run = calloc(1, sizeof *run);
	struct lead_batch_item *items = malloc((in->n + 1) * sizeof *items);
	bool *dup = calloc(in->n + 1, sizeof *dup);
	struct scope_rows ls = { 0 };
	size_t n = 0;
	enum status st = ST_NOMEM;

	if (!run || !items || !dup || !(res.rejects = calloc(in->n + 1, sizeof *res.rejects)))
		goto out;
	if ((st = scope_rows_of(who->scope, true, &ls)) != ST_OK ||
	    (st = reject_duplicates(in, dup, &res)) != ST_OK)
		goto out;
	if (atomic && (res.nrejects || rejected_before)) {
		st = ST_INVALID;
		goto out;
	}
	for (size_t i = 0; i < in->n; i++)
		if (!dup[i])
			items[n++] = in->items[i];
	run->scope = &ls;
	run->out = &res;
	if ((st = load_readable_deals(c, who, items, n, run)) != ST_OK)
		goto out;
	st = bulk_write(c, who->org, run, items, n, atomic, rejected_before);
out:
	if (run) {
		score_model_clear(&run->models[0]);
		score_model_clear(&run->models[1]);
		lead_bulk_facts_free(run->facts);
		free(run->deals);
	}
	free(run);
	free(items);
	free(dup);
	scope_rows_clear(&ls);
	if (st == ST_OK || st == ST_INVALID)
		*out = res;
	else
		leads_service_bulk_result_clear(&res);
	return st;
}

/* ---- conversion ----------------------------------------------------------------------- */

/*
 * A deal the conversion could not create: its first issue, named as the
 * conversion's request names it (close_date, stage or amount; anything else
 * is the body's).
 */
static void
conversion_issue(struct issues *e)
{
	static const char *const fields[] = {"close_date", "stage", "amount", NULL};
	struct issues first = {0};

	if (e->n == 0)
		return;
	const struct issue *x = &e->items[0];
	issues_add(&first, x->field && lead_enum_index(fields, x->field) >= 0 ? x->field : "body", "%s",
	           x->message);
	issues_clear(e);
	issues_move(e, &first);
}

/* The deal a conversion creates, from the lead (its stored input fields) and the request. */
static enum status
conversion_input(const json_t *lead, int64_t id, const struct lead_conversion *in,
                 const struct stage_list *stages, cal_date today, struct deal_input *d, char *name,
                 size_t namelen, struct issues *e)
{
	struct lead l;
	int64_t owner = 0;
	const char *owner_text = lead_record_text(lead, "owner_id");

	if (lead_from_json(lead, &l) != ST_OK)
		return ST_INTERNAL;
	if (!owner_text || (owner = strtoll(owner_text, NULL, 10)) <= 0) {
		issues_add(e, "owner_id", "%s", "the lead has no owner to own the deal: set owner_id first");
		return ST_CONFLICT;
	}
	memset(d, 0, sizeof *d);
	if (in->name)
		snprintf(name, namelen, "%s", in->name);
	else if (l.company || l.contact_name)
		snprintf(name, namelen, "%s", l.company ? l.company : l.contact_name);
	else
		snprintf(name, namelen, "Lead %" PRId64, id);
	d->name = name;
	d->set_account = l.company != NULL;
	d->account = l.company;
	d->owner_id = owner;
	d->segment = l.segment;
	d->type = in->type; /* NULL: the deals service's default type */
	d->set_amount = true;
	if (in->set_amount)
		d->amount = in->amount;
	else if (l.has_budget)
		d->amount = l.budget;
	else {
		issues_add(e, "amount", "%s", "is required: the lead has no budget");
		return ST_INVALID;
	}
	d->stage = in->stage;
	for (int i = 0; !d->stage && i < stages->n; i++)
		if (!stages->items[i].is_won && !stages->items[i].is_lost)
			d->stage = stages->items[i].key;
	if (!d->stage) {
		issues_add(e, "stage", "%s", "the org has no open stage");
		return ST_INVALID;
	}
	d->set_close_date = true;
	if (in->set_close_date)
		d->close_date = in->close_date;
	else
		d->close_date = l.has_timeline && l.timeline >= today ? l.timeline : today + 30;
	return ST_OK;
}

/* The lead cur after its conversion into deal `deal_id`: converted, linked (new reference). */
static json_t *
converted(const struct lead_current *cur, int64_t deal_id)
{
	char idb[24];
	json_t *merged = json_deep_copy(cur->input);

	snprintf(idb, sizeof idb, "%" PRId64, deal_id);
	if (merged && (json_object_set_new(merged, "status", json_string("converted")) != 0 ||
	               json_object_set_new(merged, "converted_deal_id", json_string(idb)) != 0)) {
		json_decref(merged);
		merged = NULL;
	}
	return merged;
}

enum status
leads_service_convert(struct db_conn *c, const struct caller *who, int64_t id,
                      const struct lead_conversion *in, struct rowjson *lead_out, struct rowjson *deal_out,
                      struct issues *e)
{
	struct scope_rows ls = { 0 };
	struct lead_current cur = {0};
	struct stage_list *stages = malloc(sizeof *stages);
	struct deal_input *d = malloc(sizeof *d);
	json_t *merged = NULL;
	char name[256];
	cal_date today;
	enum status st = ST_NOMEM;

	if (!stages || !d)
		goto out;
	if ((st = scope_rows_of(who->scope, true, &ls)) != ST_OK ||
	    (st = lead_store_lock(c, who->org, &ls, id, &cur)) != ST_OK)
		goto out;
	if (strcmp(cur.status, "converted") == 0) {
		issues_add(e, "status", "%s", "the lead is already converted");
		st = ST_CONFLICT;
		goto out;
	}
	bool forced = strcmp(cur.status, "disqualified") == 0;
	if (forced && !in->force) {
		issues_add(e, "status", "%s", "the lead is disqualified: send \"force\": true to convert it anyway");
		st = ST_CONFLICT;
		goto out;
	}
	if ((st = org_service_today(c, who, &today)) != ST_OK || (st = deals_service_stages(c, who, stages)) != ST_OK ||
	    (st = conversion_input(cur.input, id, in, stages, today, d, name, sizeof name, e)) != ST_OK)
		goto out;
	if ((st = deals_service_create(c, who, d, deal_out, e)) != ST_OK) {
		if (st == ST_INVALID)
			conversion_issue(e);
		goto out;
	}
	if (!(merged = converted(&cur, deal_out->id))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = store_change(c, who->org, id, &cur, merged, lead_out, e)) == ST_OK && forced) {
		rowjson_clear(lead_out);
		st = lead_store_forced(c, who->org, id, who->sub, lead_out);
	}
out:
	json_decref(merged);
	lead_store_current_clear(&cur);
	free(stages);
	free(d);
	scope_rows_clear(&ls);
	return no_such_lead(st, e);
}

/* ---- scoring models ------------------------------------------------------------------- */

enum status
leads_service_model_get(struct db_conn *c, const struct caller *who, const char *segment, struct rowjson *out,
                        struct issues *e)
{
	(void)e;
	return model_store_get(c, who->org, segment, out);
}

/*
 * A PUT body as the model parser takes it: read-only parts dropped, a
 * `segment` that must be the path's, and what it leaves out of thresholds,
 * bant (each part) and predicted_weight taken from the current model.
 */
static enum status
put_body(struct db_conn *c, const char *org, const char *segment, json_t *body, struct issues *e)
{
	static const char *const read_only[] = {"version", "predictive", "updated_at", NULL};
	static const char *const kept[] = {"thresholds", "bant", "predicted_weight", NULL};
	const json_t *seg = json_object_get(body, "segment");
	struct rowjson row = {0};
	enum status st = ST_OK;
	json_t *current = NULL;
	bool complete = true;

	if (seg && (!json_is_string(seg) || strcmp(json_string_value(seg), segment) != 0)) {
		issues_add(e, "segment", "must be %s, the segment of the path (or left out)", segment);
		return ST_INVALID;
	}
	json_object_del(body, "segment");
	for (int i = 0; read_only[i]; i++)
		json_object_del(body, read_only[i]);
	for (int i = 0; kept[i]; i++)
		complete &= json_object_get(body, kept[i]) != NULL;
	const json_t *bant = json_object_get(body, "bant");
	if (json_is_object(bant))
		complete &= json_object_size(bant) == 5;
	if (complete)
		return ST_OK;
	if ((st = model_store_get(c, org, segment, &row)) != ST_OK)
		return st;
	if (!(current = json_loads(row.json, 0, NULL))) {
		rowjson_clear(&row);
		return ST_INTERNAL;
	}
	for (int i = 0; kept[i]; i++)
		if (!json_object_get(body, kept[i]) && json_object_get(current, kept[i]))
			json_object_set(body, kept[i], json_object_get(current, kept[i]));
	if (json_is_object(bant)) {
		const char *key;
		json_t *v;
		json_object_foreach (json_object_get(current, "bant"), key, v) {
			if (!json_object_get(bant, key))
				json_object_set((json_t *)bant, key, v);
		}
	}
	json_decref(current);
	rowjson_clear(&row);
	return ST_OK;
}

enum status
leads_service_model_put(struct db_conn *c, const struct caller *who, const char *segment, json_t *body,
                        int expect_version, struct rowjson *out, struct issues *e)
{
	struct score_model m = {0};
	cal_date today;
	enum status st;

	if ((st = put_body(c, who->org, segment, body, e)) == ST_OK &&
	    (st = score_model_parse(body, &m, e)) == ST_OK &&
	    (st = model_store_replace(c, who->org, segment, &m, expect_version, out, &today)) == ST_OK)
		st = rescore(c, who->org, segment, false, &m, today);
	score_model_clear(&m);
	return st;
}

enum status
leads_service_train_submit(struct db_conn *c, const struct caller *who, const char *segment, struct rowjson *out,
                           bool *created, struct issues *e)
{
	(void)e;
	return job_store_create(c, who->org, segment, who->sub, out, created);
}

enum status
leads_service_job_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                      struct issues *e)
{
	enum status st = job_store_get(c, who->org, id, out);

	if (st == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", "no such training job");
	return st;
}

enum status
leads_service_jobs_sweep(struct db_conn *c, long *swept)
{
	return job_store_sweep(c, swept);
}

/* A job's error for a status that is not the training's own sentence. */
static const char *
job_error(enum status st)
{
	switch (st) {
	case ST_UNAVAILABLE: return "the database was unavailable or too slow during the training; train again";
	case ST_NOMEM: return "the training ran out of memory";
	default: return "the training failed on an internal error; train again";
	}
}

/* Leads re-scored per transaction after a training. */
#define RESCORE_PAGE 500

/*
 * Re-score every lead of the segment, RESCORE_PAGE at a time, each page in a
 * transaction of its own with the model as it then is (read FOR SHARE: a
 * change of the rules waits for the page, then re-scores the open leads
 * itself) and its leads locked (a write of one waits for the page).
 */
static enum status
rescore_pages(struct db_conn *c, const char *org, const char *segment)
{
	struct rescoring rs = {.res = malloc(sizeof *rs.res)};
	int64_t after = 0;
	int n = RESCORE_PAGE;
	enum status st = rs.res ? ST_OK : ST_NOMEM;

	while (st == ST_OK && n == RESCORE_PAGE) {
		struct score_model m = {0};
		if ((st = db_begin(c)) != ST_OK)
			break;
		if ((st = model_store_load(c, org, segment, false, &m, &rs.today, NULL)) == ST_OK) {
			rs.m = &m;
			st = lead_store_rescore_page(c, org, segment, after, RESCORE_PAGE, rescore_one, &rs, &after, &n);
		}
		score_model_clear(&m);
		if (st == ST_OK)
			st = db_commit(c);
		else
			db_rollback(c);
	}
	free(rs.res);
	return st;
}

/*
 * The phases of a job, none holding a transaction open while it computes
 * for long: read the model and the closed leads (the leads 5,000 a statement, no
 * transaction), fit in memory, store the model and its evaluation in one
 * short transaction, then re-score the segment a page at a time
 * (rescore_pages). *trained is the new trained_version once succeeded; why
 * says a failure when the status alone would not.
 */
static enum status
train_job(struct db_conn *c, int64_t id, const char *org, const char *segment, int *trained, char *why,
          size_t whylen)
{
	struct score_model m = {0}, now = {0};
	struct lead_closed *closed = NULL;
	struct lead_source src;
	struct model *learned = NULL;
	struct training_options o = {
	    .min_per_class = TRAIN_MIN_PER_CLASS, .holdout_pct = TRAIN_HOLDOUT_PCT, .trees = true};
	struct rowjson row = {0};
	json_t *evaluation = NULL;
	cal_date today;
	int version = 0, version_now = 0;
	enum status st;

	if ((st = model_store_load(c, org, segment, true, &m, &today, &version)) != ST_OK ||
	    (st = lead_store_closed(c, org, segment, &closed, &src)) != ST_OK ||
	    (st = job_store_progress(c, org, id, "fitting", 10)) != ST_OK) {
		lead_store_closed_free(closed);
		goto out;
	}
	st = training_run(&m, &src, &o, today, &learned, &evaluation, why, whylen);
	lead_store_closed_free(closed);
	if (st != ST_OK || (st = job_store_progress(c, org, id, "storing", 90)) != ST_OK)
		goto out;
	if ((st = db_begin(c)) != ST_OK)
		goto out;
	/* the rules the model was graded with must still be the segment's */
	if ((st = model_store_load(c, org, segment, false, &now, &today, &version_now)) == ST_OK &&
	    version_now != version) {
		snprintf(why, whylen,
		         "the segment's rules changed during the training (version %d, now %d): the model was "
		         "not stored; train again",
		         version, version_now);
		st = ST_CONFLICT;
	}
	if (st == ST_OK && (st = model_store_trained(c, org, segment, learned, evaluation, &row)) == ST_OK)
		st = db_commit(c);
	else
		db_rollback(c);
	if (st != ST_OK || (st = job_store_progress(c, org, id, "rescoring", 95)) != ST_OK)
		goto out;
	if ((st = rescore_pages(c, org, segment)) != ST_OK) {
		snprintf(why, whylen,
		         "the model was stored (trained_version %d) but re-scoring the segment's leads stopped (%s): "
		         "some keep the scores of before until the next training or change of the rules",
		         row.version, job_error(st));
		goto out;
	}
	if ((st = job_store_finish(c, org, id, row.version, NULL)) == ST_OK)
		*trained = row.version;
out:
	score_model_clear(&m);
	score_model_clear(&now);
	model_free(learned);
	json_decref(evaluation);
	rowjson_clear(&row);
	return st;
}

enum status
leads_service_train_job(struct db_conn *c, const char *org, int64_t id, bool *taken)
{
	char segment[8], why[512] = "";
	int trained = 0;
	enum status st = job_store_take(c, org, id, segment, sizeof segment);

	*taken = st == ST_OK;
	if (st == ST_NOT_FOUND)
		return ST_OK; /* made by a request that rolled back, or swept meanwhile */
	if (st != ST_OK)
		return st;
	st = train_job(c, id, org, segment, &trained, why, sizeof why);
	if (st != ST_OK)
		st = job_store_finish(c, org, id, 0, why[0] ? why : job_error(st));
	job_store_release(c, id);
	return st;
}

enum status
leads_service_job_abandon(struct db_conn *c, const char *org, int64_t id)
{
	return job_store_finish(c, org, id, 0, "the training lost its database connection; the model before it is "
	                                  "unchanged unless the job got as far as storing it: train again");
}

enum status
leads_service_model_evaluation(struct db_conn *c, const struct caller *who, const char *segment,
                               struct rowjson *out, struct issues *e)
{
	enum status st = model_store_evaluation(c, who->org, segment, out);

	if (st == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", "the model of this segment has not been trained yet");
	return st;
}
