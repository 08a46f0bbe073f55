/*
 * store.h — the SQL of leads and lead-scoring models (DESIGN §7 "Leads").
 * Rows come back as JSON text built by PostgreSQL (struct rowjson and struct
 * page of org/store.h).
 *
 * Every write computes the lead's score in C (leads/score.c) from the whole
 * lead after the change and the segment's model, read FOR SHARE so that a
 * model change (which takes the row FOR UPDATE and re-scores the open leads
 * of its segment) and lead writes serialise: no lead keeps a score of a
 * model that is no longer current.
 *
 * Who sees a lead (struct lead_scope): admins, execs and services every
 * lead of the org; a manager the leads owned by a person of a team of their
 * managed subtree, and their own; a rep their own. Writes: admins and
 * services every lead, managers and reps as they read. Outside the scope a
 * lead does not exist (ST_NOT_FOUND).
 */
#ifndef ATTAIN_LEADS_STORE_H
#define ATTAIN_LEADS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db/db.h"
#include "leads/score.h"
#include "db/row.h"

#define LEAD_BULK_MAX 100000

struct lead_scope {
	bool all;          /* every lead of the org */
	int64_t person_id; /* the caller's person; 0 = none */
	const char *teams; /* managed subtree as an array literal "{1,2}"; NULL or "{}" = none */
};

struct lead_filter {
	const char *status;        /* NULL = any */
	const char *grade;
	const char *segment;
	const char *source;
	int64_t owner_id;          /* 0 = any */
	int score_min;             /* -1 = none */
	int score_max;             /* -1 = none */
	const char *updated_since; /* RFC 3339 instant or date; NULL = any */
	const char *external_id;
	int64_t after;             /* cursor: ids greater than this */
	int limit;
};

/* ---- leads -------------------------------------------------------------------- */

enum status lead_get(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, struct rowjson *out);
enum status lead_list(struct db_conn *c, const char *org, const struct lead_scope *s, const struct lead_filter *f,
		      struct page *out);
/*
 * Create a lead from a checked body (the API's field names; absent fields
 * null; a null segment becomes the owner's segment, else b2b). The owner
 * must be a person of the org (ST_INVALID naming owner_id) within s
 * (ST_FORBIDDEN). ST_CONFLICT naming external_id when another lead has it.
 */
enum status lead_create(struct db_conn *c, const char *org, const struct lead_scope *s, const json_t *body,
			struct rowjson *out, struct issues *e);
/*
 * Change lead `id` (within s) by a checked body: given fields replace the
 * stored ones, null clears. ST_STALE when expect_version >= 0 differs;
 * a new owner must be within s (ST_FORBIDDEN).
 */
enum status lead_update(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, const json_t *body,
			int expect_version, struct rowjson *out, struct issues *e);
enum status lead_delete(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id,
			int expect_version);
/*
 * Score a checked lead body without storing it, as lead_create would:
 * *out = {segment, score, grade, probability, suggested_status, bant,
 * score_breakdown, model_version} (new reference).
 */
enum status lead_score_preview(struct db_conn *c, const char *org, const json_t *body, json_t **out,
			       struct issues *e);

/* What a conversion takes from the request; NULL / unset = the default. */
struct lead_conversion {
	const char *name;       /* default: company, contact_name, or "Lead <id>" */
	bool set_amount;
	int64_t amount;         /* cents; default: the lead's budget */
	const char *stage;      /* default: the org's first open stage */
	const char *type;       /* default: new_business */
	bool set_close_date;
	cal_date close_date;    /* default: the timeline when not past, else today + 30 days */
};
/*
 * Create the deal of lead `id` (within s) owned by the lead's owner, link
 * it, and mark the lead converted, in the caller's transaction. ST_CONFLICT
 * when the lead is already converted (e->field "status") or has no owner
 * (e->field "owner_id"); ST_INVALID naming amount when neither the request
 * nor the lead gives one, or the deal field at fault. *lead_out is the
 * lead, *deal_out the deal (as GET /v1/deals/{id} shows it).
 */
enum status lead_convert(struct db_conn *c, const char *org, const char *sub, const struct lead_scope *s, int64_t id,
			 const struct lead_conversion *in, struct rowjson *lead_out, struct rowjson *deal_out,
			 struct issues *e);

/*
 * The funnel of the leads in scope created between from and to (inclusive
 * dates in the org's time zone; NULL = open), grouped by `by` (source,
 * segment, grade or owner): *out = {"items": [...], "total": {...}} text.
 */
enum status lead_funnel(struct db_conn *c, const char *org, const struct lead_scope *s, const char *from,
			const char *to, const char *by, char **out);

/* ---- bulk sync -------------------------------------------------------------------- */

struct lead_bulk_item {
	int index;                 /* in the request */
	const char *json;          /* borrowed: the checked item (external_id set) as JSON text */
	const char *external_id;   /* borrowed */
	int64_t owner_id;          /* the item's owner_id, 0 = not given or null */
	int64_t converted_deal_id; /* the item's converted_deal_id, 0 = not given or null */
};

struct lead_bulk_reject {
	int index;
	const char *field;   /* static */
	const char *message; /* static */
};

struct lead_bulk_result {
	long created;
	long updated;
	long unchanged;
	struct lead_bulk_reject *rejects; /* owned, in item order */
	size_t nrejects;
};
void lead_bulk_result_clear(struct lead_bulk_result *r);

/*
 * Upsert the items (distinct external_ids) by external_id, within the
 * caller's transaction: an existing lead keeps the fields an item leaves
 * out. Items the database side refuses go to out->rejects: an owner who is
 * no person of the org or outside s, an existing lead outside s, a new lead
 * without an owner for a caller who may not keep unowned leads, an unknown
 * deal, a deal on a lead that is not converted. With `atomic`, any of them
 * (or `rejected_before`, the caller's own rejects) makes it ST_INVALID with
 * nothing written. A lead whose stored state would not change is left alone
 * (counted unchanged).
 */
enum status lead_bulk_run(struct db_conn *c, const char *org, const struct lead_scope *s,
			  const struct lead_bulk_item *items, size_t n, bool atomic, bool rejected_before,
			  struct lead_bulk_result *out);

/* ---- scoring models ------------------------------------------------------------------ */

/*
 * Load the model of `segment` (FOR SHARE) with its trained part, and today
 * in the org's time zone. Release with score_model_clear.
 */
enum status lead_model_load(struct db_conn *c, const char *org, const char *segment, struct score_model *out,
			    cal_date *today);
/* The model resource: the definition plus segment, predictive summary, version, updated_at. */
enum status lead_model_get(struct db_conn *c, const char *org, const char *segment, struct rowjson *out);
/*
 * Replace the definition of `segment` by m (checked with score_model_parse)
 * and re-score the segment's open leads. ST_STALE when expect_version >= 0
 * differs. *out as lead_model_get.
 */
enum status lead_model_replace(struct db_conn *c, const char *org, const char *segment, const struct score_model *m,
			       int expect_version, struct rowjson *out);
/*
 * Learn the segment's conversion model from its closed leads (model.h),
 * store it with its evaluation, and re-score the segment's open leads.
 * The leads are read and the model fitted without taking any lock (lead
 * writes and model changes go on meanwhile); only the final write locks the
 * model row, and re-scores with the rules current at that moment.
 * ST_UNPROCESSABLE with a sentence in why when there are too few closed
 * leads of a class. *out as lead_model_evaluation.
 */
enum status lead_model_train(struct db_conn *c, const char *org, const char *segment, int min_per_class,
			     struct rowjson *out, char *why, size_t whylen);
/* The evaluation of the latest training; ST_NOT_FOUND before the first. */
enum status lead_model_evaluation(struct db_conn *c, const char *org, const char *segment, struct rowjson *out);

#endif
