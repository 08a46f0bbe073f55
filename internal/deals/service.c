/* service.c — the pipeline's operations (service.h): resolve, check, then the store. */
#include "deals/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "core/buf.h"
#include "deals/store.h"
#include "org/service.h"

/* ---- who sees and changes what --------------------------------------------------- */

/*
 * The caller may make `owner` (a person of the org) a deal's owner: writers
 * of every deal, the caller themself, and for a manager anyone of a team of
 * their subtree.
 */
static bool
may_own(const struct scope *s, const struct deal_person *owner)
{
	return scope_writes_all_pipeline(s) || (s->person_id > 0 && owner->id == s->person_id) ||
	       (owner->team_id > 0 && scope_has_team(s, owner->team_id));
}

/* Why a caller who reaches a deal only through a split may not make a change. */
#define SPLIT_ONLY "you reach this deal only through a split: %s needs write scope over its owner"

/* A deal that cannot be read or locked is "no such deal", whatever the failure. */
static enum status
no_such_deal(enum status st, struct issues *e)
{
	if (st != ST_OK)
		issues_add(e, NULL, "no such deal");
	return st;
}

/* ---- stages ------------------------------------------------------------------------ */

enum status
deals_service_stages(struct db_conn *c, const struct caller *who, struct stage_list *out)
{
	return stages_load(c, who->org, out);
}

enum status
deals_service_stages_get(struct db_conn *c, const struct caller *who, struct rowjson *out, struct issues *e)
{
	(void)e;
	return stages_get(c, who->org, out);
}

enum status
deals_service_stages_replace(struct db_conn *c, const struct caller *who, const struct stage_list *l,
                             int if_match, struct rowjson *out, struct issues *e)
{
	char used[STAGE_KEY_MAX + 1] = "";
	bool removed = false;
	enum status st = stage_list_check(l, e);

	if (st != ST_OK)
		return st;
	st = stages_replace(c, who->org, l, if_match, out, used, &removed);
	if (st == ST_CONFLICT && removed)
		issues_add(e, "items", "stage %s is used by deals: it cannot be removed", used);
	else if (st == ST_CONFLICT)
		issues_add(e, "items",
		           "stage %s is used by deals: it cannot change between open, won and lost", used);
	else if (st == ST_NOT_FOUND)
		issues_add(e, NULL, "the org has no stage list");
	return st;
}

/* ---- deals one at a time -------------------------------------------------------------- */

/* f's text field v into the key: its length, then itself ("-" when absent), so no two filters collide. */
static void
key_text(struct buf *k, const char *v)
{
	if (v)
		buf_printf(k, "%zu:%s|", strlen(v), v);
	else
		buf_puts(k, "-|");
}

/*
 * The result cache's key of a page of deals: the org, its data version
 * (0017_data_versions: deals, deal_splits, people, teams and team_closure,
 * what a list reads, raise it), the caller's visibility and every filter.
 */
static void
list_key(struct buf *k, const struct caller *who, const char *version, const struct deal_filter *f)
{
	buf_printf(k, "deals|%zu:%s|%s|", strlen(who->org), who->org, version);
	scope_key(who->scope, k);
	buf_printf(k, "%lld|%lld|%lld|%d|", (long long)f->owner_id, (long long)f->team_id, (long long)f->after,
	           f->limit);
	key_text(k, f->status);
	key_text(k, f->stage);
	key_text(k, f->type);
	key_text(k, f->segment);
	key_text(k, f->close_from);
	key_text(k, f->close_to);
	key_text(k, f->updated_since);
	key_text(k, f->external_id);
}

/* The page kept under key into *out: true on a hit. Kept as [items text, count, last id, more]. */
static bool
list_recall(const struct buf *key, struct page *out)
{
	json_t *v = NULL;

	if (key->oom || !key->data || !result_cache_get(result_cache_global(), key->data, &v, NULL, NULL, NULL))
		return false;
	const char *items = json_string_value(json_array_get(v, 0));
	bool ok = items != NULL;
	if (ok) {
		buf_append(&out->items, items, json_string_length(json_array_get(v, 0)));
		out->count = (int)json_integer_value(json_array_get(v, 1));
		out->last_id = json_integer_value(json_array_get(v, 2));
		out->more = json_is_true(json_array_get(v, 3));
		ok = !out->items.oom;
	}
	json_decref(v);
	if (!ok)
		page_clear(out);
	return ok;
}

static void
list_keep(const struct buf *key, const struct page *p)
{
	if (key->oom || !key->data || p->items.oom)
		return;
	json_t *v = json_pack("[s#,I,I,b]", p->items.data ? p->items.data : "[]", p->items.data ? p->items.len : 2,
	                      (json_int_t)p->count, (json_int_t)p->last_id, p->more);
	if (v)
		result_cache_put(result_cache_global(), key->data, v, 0);
	json_decref(v);
}

enum status
deals_service_list(struct db_conn *c, const struct caller *who, const struct deal_filter *f, struct page *out,
                   struct issues *e)
{
	struct stage_list stages;
	struct scope_rows ds = { 0 };
	struct org_settings settings;
	char version[ORG_VERSION_MAX];
	struct buf key = { 0 };
	enum status st;

	if (f->stage) {
		if ((st = stages_load(c, who->org, &stages)) != ST_OK) {
			issues_clear(e);
			return st;
		}
		if (!stage_find(&stages, f->stage))
			issues_add(e, "stage", STAGE_UNKNOWN);
	}
	if (issues_any(e))
		return ST_INVALID;
	/* a page already made at this version of the org's data is this page (with a result cache) */
	bool cache = result_cache_on(result_cache_global());
	if (cache && (st = org_service_settings_versioned(c, who, 0, &settings, version, NULL)) != ST_OK)
		return st;
	if (cache)
		list_key(&key, who, version, f);
	if (cache && list_recall(&key, out)) {
		buf_clear(&key);
		return ST_OK;
	}
	if ((st = scope_rows_of(who->scope, false, &ds)) == ST_OK)
		st = deal_list(c, who->org, &ds, f, out);
	if (st == ST_OK && cache)
		list_keep(&key, out);
	scope_rows_clear(&ds);
	buf_clear(&key);
	return st;
}

enum status
deals_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                  struct issues *e)
{
	struct scope_rows ds = { 0 };
	enum status st = scope_rows_of(who->scope, false, &ds);

	if (st == ST_OK)
		st = deal_get(c, who->org, &ds, id, out);
	scope_rows_clear(&ds);
	return no_such_deal(st, e);
}

enum status
deals_service_readable(struct db_conn *c, const struct caller *who, const int64_t *ids, size_t n, int64_t **out,
                       size_t *nout)
{
	struct scope_rows ds = { 0 };
	enum status st = scope_rows_of(who->scope, false, &ds);

	if (st == ST_OK)
		st = deal_readable(c, who->org, &ds, ids, n, out, nout);
	scope_rows_clear(&ds);
	return st;
}

enum status
deals_service_history(struct db_conn *c, const struct caller *who, int64_t id, int64_t after, int limit,
                      struct page *out, struct issues *e)
{
	struct rowjson deal = {0};
	enum status st = deals_service_get(c, who, id, &deal, e);

	rowjson_clear(&deal);
	if (st == ST_OK)
		st = no_such_deal(deal_history_list(c, who->org, id, after, limit, out), e);
	return st;
}

/* What a create or change is checked against. */
struct check {
	struct stage_list stages;
	struct deal_resolved rs;    /* points into stages */
	struct deal_person *people; /* owned: owner and split holders named by the write */
	size_t npeople;
};

/*
 * Check `in` against the org's stages and people and the stored deal `cur`
 * (NULL for a create) into *x (free x->people): ST_INVALID with an issue per
 * broken rule and per unknown person.
 */
static enum status
check_write(struct db_conn *c, const char *org, const struct deal_input *in, const struct deal_current *cur,
            struct check *x, struct issues *e)
{
	struct issues found = {0};
	int64_t ids[DEAL_MAX_SPLITS + 1];
	size_t n = 0;
	char field[48];
	enum status st = stages_load(c, org, &x->stages);

	if (st != ST_OK)
		return st;
	deal_resolve(in, cur, &x->stages, &x->rs, &found);
	if (in->owner_id > 0)
		ids[n++] = in->owner_id;
	for (size_t i = 0; i < in->nsplits; i++)
		ids[n++] = in->splits[i].person_id;
	if (n > 0 && (st = deal_people_load(c, org, ids, n, &x->people, &x->npeople)) != ST_OK)
		goto out;
	if (in->owner_id > 0 && !deal_person_find(x->people, x->npeople, in->owner_id))
		issues_add(&found, "owner_id", "no such person");
	for (size_t i = 0; i < in->nsplits; i++)
		if (!deal_person_find(x->people, x->npeople, in->splits[i].person_id)) {
			snprintf(field, sizeof field, "splits[%zu].person_id", i);
			issues_add(&found, field, "no such person");
		}
	if (issues_any(&found) || found.oom) {
		issues_move(e, &found);
		st = ST_INVALID;
	}
out:
	issues_clear(&found);
	return st;
}

enum status
deals_service_create(struct db_conn *c, const struct caller *who, const struct deal_input *in,
                     struct rowjson *out, struct issues *e)
{
	struct deal_input d = *in; /* with the defaults */
	struct check x = {0};
	const struct deal_person *owner;
	enum status st = check_write(c, who->org, &d, NULL, &x, e);

	if (st != ST_OK)
		goto out;
	if (!(owner = deal_person_find(x.people, x.npeople, d.owner_id))) {
		issues_add(e, "owner_id", "is required");
		st = ST_INVALID;
	} else if (!may_own(who->scope, owner)) {
		issues_add(e, NULL, "the owner is outside the people whose deals you manage");
		st = ST_FORBIDDEN;
	} else if ((st = deal_defaults(&d, owner->segment, e)) == ST_OK)
		st = deal_create(c, who->org, who->sub, &d, &x.rs, out, e);
out:
	free(x.people);
	return st;
}

/*
 * Lock deal `id` for a change by the caller into *cur: "no such deal" when
 * it cannot (ST_NOT_FOUND when absent or outside what the caller writes),
 * ST_STALE when if_match >= 0 is not its version.
 */
static enum status
lock_for_change(struct db_conn *c, const struct caller *who, int64_t id, int if_match,
                struct deal_current *cur, struct issues *e)
{
	struct scope_rows ds = { 0 };
	enum status st = scope_rows_of(who->scope, true, &ds);

	if (st == ST_OK)
		st = no_such_deal(deal_lock(c, who->org, &ds, id, cur), e);
	scope_rows_clear(&ds);
	if (st == ST_OK && if_match >= 0 && if_match != cur->version)
		st = ST_STALE;
	return st;
}

enum status
deals_service_update(struct db_conn *c, const struct caller *who, int64_t id, int if_match,
                     const struct deal_input *in, struct rowjson *out, struct issues *e)
{
	struct deal_current cur;
	struct check x = {0};
	enum status st = lock_for_change(c, who, id, if_match, &cur, e);

	if (st != ST_OK || (st = check_write(c, who->org, in, &cur, &x, e)) != ST_OK)
		goto out;
	if (!cur.owner_writable && ((in->owner_id > 0 && in->owner_id != cur.owner_id) || in->set_splits ||
	                            in->set_amount)) {
		issues_add(e, NULL, SPLIT_ONLY, "changing its owner, splits or amount");
		st = ST_FORBIDDEN;
		goto out;
	}
	if (in->owner_id > 0 && in->owner_id != cur.owner_id &&
	    !may_own(who->scope, deal_person_find(x.people, x.npeople, in->owner_id))) {
		issues_add(e, NULL, "the new owner is outside the people whose deals you manage");
		st = ST_FORBIDDEN;
		goto out;
	}
	st = deal_update(c, who->org, who->sub, &cur, in, &x.rs, out, e);
out:
	free(x.people);
	return st;
}

enum status
deals_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int if_match, struct issues *e)
{
	struct deal_current cur;
	enum status st = lock_for_change(c, who, id, if_match, &cur, e);

	if (st == ST_OK && !cur.owner_writable) {
		issues_add(e, NULL, SPLIT_ONLY, "deleting it");
		return ST_FORBIDDEN;
	}
	return st == ST_OK ? deal_delete(c, who->org, who->sub, &cur) : st;
}

/* ---- bulk sync ---------------------------------------------------------------------- */

/* What an accepted item still has to be checked for once every item is read. */
struct item_refs {
	int64_t owner_id;
	size_t split_off; /* into split_people */
	size_t nsplits;
};

/* external_ids seen in this call: open addressing over an arena of strings. */
#define SEEN_SLOTS (1u << 18) /* > 2 × DEAL_BULK_MAX */

struct seen_slot {
	size_t off; /* into names, + 1; 0 = empty */
	int index;  /* the item that has it */
};

struct deals_sync {
	struct deals_sync_refusals to;
	struct stage_list stages;
	struct deal_bulk batch;
	struct item_refs *refs; /* owned, parallel to batch.lines */
	int64_t *split_people;  /* owned */
	size_t nsplit_people;
	size_t split_cap;
	struct seen_slot *seen; /* owned, SEEN_SLOTS */
	struct buf names;       /* owned: NUL-separated external_ids */
	size_t nrefused;
	bool oom;
};

enum status
deals_service_sync_open(struct db_conn *c, const struct caller *who, const struct deals_sync_refusals *to,
                        struct deals_sync **out)
{
	struct deals_sync *s = calloc(1, sizeof *s);
	enum status st;

	if (!s || !(s->seen = calloc(SEEN_SLOTS, sizeof *s->seen))) {
		free(s);
		return ST_NOMEM;
	}
	s->to = *to;
	if ((st = stages_load(c, who->org, &s->stages)) != ST_OK) {
		deals_service_sync_free(s);
		return st;
	}
	*out = s;
	return ST_OK;
}

void
deals_service_sync_free(struct deals_sync *s)
{
	if (!s)
		return;
	deal_bulk_clear(&s->batch);
	free(s->refs);
	free(s->split_people);
	free(s->seen);
	buf_clear(&s->names);
	free(s);
}

static void
refuse(struct deals_sync *s, int index, struct issues *e)
{
	s->to.refuse(s->to.ctx, index, e);
	s->nrefused++;
}

static uint32_t
fnv(const char *str)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)str; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* The item that already used external_id in this call, or -1 (and it is noted for `index`). */
static int
seen_before(struct deals_sync *s, const char *external_id, int index)
{
	uint32_t slot = fnv(external_id) & (SEEN_SLOTS - 1);

	for (;; slot = (slot + 1) & (SEEN_SLOTS - 1)) {
		struct seen_slot *x = &s->seen[slot];
		if (x->off == 0)
			break;
		if (strcmp(s->names.data + x->off - 1, external_id) == 0)
			return x->index;
	}
	size_t off = s->names.len;
	buf_append(&s->names, external_id, strlen(external_id) + 1);
	if (s->names.oom) {
		s->oom = true;
		return -1;
	}
	s->seen[slot] = (struct seen_slot){.off = off + 1, .index = index};
	return -1;
}

/* Keep what the people check needs of an accepted item (the batch's last line). */
static void
note_refs(struct deals_sync *s, const struct deal_input *in)
{
	size_t line = s->batch.nlines - 1;

	if (line == 0 || (line & (line - 1)) == 0) { /* grow at powers of two */
		struct item_refs *v = realloc(s->refs, (line ? 2 * line : 1) * sizeof *v);
		if (!v) {
			s->oom = true;
			return;
		}
		s->refs = v;
	}
	if (s->nsplit_people + in->nsplits > s->split_cap) {
		size_t cap = s->split_cap ? 2 * s->split_cap : 1024;
		while (cap < s->nsplit_people + in->nsplits)
			cap *= 2;
		int64_t *v = realloc(s->split_people, cap * sizeof *v);
		if (!v) {
			s->oom = true;
			return;
		}
		s->split_people = v;
		s->split_cap = cap;
	}
	s->refs[line] = (struct item_refs){
	    .owner_id = in->owner_id, .split_off = s->nsplit_people, .nsplits = in->nsplits};
	for (size_t i = 0; i < in->nsplits; i++)
		s->split_people[s->nsplit_people++] = in->splits[i].person_id;
}

void
deals_service_sync_add(struct deals_sync *s, int index, const struct deal_input *in, struct issues *e)
{
	struct deal_resolved rs;

	if (in) {
		bool shaped = !issues_any(e);
		bool resolved = !in->stage || deal_resolve(in, NULL, &s->stages, &rs, e) == ST_OK;
		int first = shaped && resolved ? seen_before(s, in->external_id, index) : -1;
		if (first >= 0)
			issues_add(e, "external_id", "appears again in this call (first at index %d)", first);
	}
	if (!in || issues_any(e) || e->oom) {
		refuse(s, index, e);
		return;
	}
	if (deal_bulk_add(&s->batch, index, in) != ST_OK)
		s->oom = true;
	else
		note_refs(s, in);
}

static int
by_id(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The people the kept items name (owners and split holders), each once, in
 * a malloc'd *out (deal_people_load).
 */
static enum status
load_people(struct db_conn *c, const char *org, const struct deals_sync *s, struct deal_person **out,
            size_t *nout)
{
	size_t n = 0, total = s->batch.nlines + s->nsplit_people, distinct = 0;
	int64_t *ids = malloc((total ? total : 1) * sizeof *ids);
	enum status st;

	if (!ids)
		return ST_NOMEM;
	for (size_t i = 0; i < s->batch.nlines; i++)
		ids[n++] = s->refs[i].owner_id;
	if (s->nsplit_people) {
		memcpy(ids + n, s->split_people, s->nsplit_people * sizeof *ids);
		n += s->nsplit_people;
	}
	if (n > 1)
		qsort(ids, n, sizeof *ids, by_id);
	for (size_t i = 0; i < n; i++)
		if (distinct == 0 || ids[distinct - 1] != ids[i])
			ids[distinct++] = ids[i];
	st = distinct ? deal_people_load(c, org, ids, distinct, out, nout) : ST_OK;
	free(ids);
	return st;
}

/*
 * Owners and split holders of the kept items must be people of the org,
 * and the owner one the caller may give deals to; refuse the others.
 */
static enum status
check_people(struct db_conn *c, const struct caller *who, struct deals_sync *s)
{
	struct deal_person *people = NULL;
	size_t npeople = 0;
	char field[48];
	enum status st = load_people(c, who->org, s, &people, &npeople);

	if (st != ST_OK)
		return st;
	for (size_t i = 0; i < s->batch.nlines; i++) {
		const struct item_refs *ref = &s->refs[i];
		const struct deal_person *owner = deal_person_find(people, npeople, ref->owner_id);
		struct issues e = {0};

		if (!owner)
			issues_add(&e, "owner_id", "no such person");
		else if (!may_own(who->scope, owner))
			issues_add(&e, "owner_id", "outside the people whose deals you may sync");
		for (size_t k = 0; k < ref->nsplits; k++)
			if (!deal_person_find(people, npeople, s->split_people[ref->split_off + k])) {
				snprintf(field, sizeof field, "splits[%zu].person_id", k);
				issues_add(&e, field, "no such person");
			}
		if (issues_any(&e)) {
			s->batch.lines[i].rejected = true;
			refuse(s, s->batch.lines[i].index, &e);
		}
	}
	free(people);
	return ST_OK;
}

/* The issue of each refusal of the database side (enum deal_bulk_refusal). */
static const struct {
	const char *field;
	const char *message;
} refusals[] = {
    [DEAL_BULK_OUT_OF_SCOPE] = {"external_id",
                                "the existing deal with this external_id is outside your scope"},
    [DEAL_BULK_NO_SEGMENT] = {"segment", DEAL_SEGMENT_REQUIRED},
    [DEAL_BULK_CLOSE_BEFORE_CREATED] = {"close_date", "must not be before the stored created_on"},
};

enum status
deals_service_sync_run(struct db_conn *c, const struct caller *who, struct deals_sync *s, bool atomic,
                       struct deal_bulk_counts *out)
{
	struct deal_bulk_result res = {0};
	struct scope_rows ds = { 0 };
	enum status st;

	*out = (struct deal_bulk_counts){0};
	if (s->oom)
		return ST_NOMEM;
	if ((st = check_people(c, who, s)) != ST_OK)
		return st;
	if (atomic && s->nrefused)
		return ST_INVALID;
	if ((st = scope_rows_of(who->scope, true, &ds)) == ST_OK)
		st = deal_bulk_run(c, who->org, who->sub, &ds, &s->batch, atomic, &res);
	for (size_t i = 0; (st == ST_OK || st == ST_INVALID) && i < res.nrejects; i++) {
		struct issues e = {0};
		issues_add(&e, refusals[res.rejects[i].why].field, "%s",
		           refusals[res.rejects[i].why].message);
		refuse(s, res.rejects[i].index, &e);
	}
	if (st == ST_OK)
		*out = res.counts;
	deal_bulk_result_clear(&res);
	scope_rows_clear(&ds);
	return st;
}
