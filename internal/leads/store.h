/*
 * store.h — the SQL of leads (DESIGN §7 "Leads"): read, list, lock, write
 * and delete a lead, the owner a write names, the funnel, the open leads a
 * model change re-scores and the closed leads a training learns from. Rows
 * come back as JSON text built by PostgreSQL (struct rowjson, struct page of
 * db/row.h); what is written comes as a struct lead_record (record.h), its
 * score already computed in C.
 *
 * Who sees a lead (struct scope_rows): admins, execs and services every
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
#include "auth/scope.h"
#include "db/row.h"
#include "leads/lead.h"
#include "leads/record.h"

struct lead_filter {
	const char *status; /* NULL = any */
	const char *grade;
	const char *segment;
	const char *source;
	int64_t owner_id;          /* 0 = any */
	int score_min;             /* -1 = none */
	int score_max;             /* -1 = none */
	const char *updated_since; /* RFC 3339 instant or date; NULL = any */
	const char *external_id;
	int64_t after; /* cursor: ids greater than this */
	int limit;
};

/* Lead `id` within s as GET /v1/leads/{id} shows it. ST_NOT_FOUND when absent or outside s. */
enum status lead_store_get(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
                           struct rowjson *out);
/* A page of the leads within s that pass f, by id (release with page_clear). */
enum status lead_store_list(struct db_conn *c, const char *org, const struct scope_rows *s,
                            const struct lead_filter *f, struct page *out);

/* The stored state of a lead a change starts from. */
struct lead_current {
	json_t *input; /* owned: the fields a write may give, as the API names them */
	int version;
	bool has_created_on;
	cal_date created_on; /* the day the lead arrived, in the org's time zone */
	char status[16];
};
/* Release what cur owns; it is left empty. Accepts an empty one. */
void lead_store_current_clear(struct lead_current *cur);
/*
 * Lock lead `id` within s (FOR UPDATE, until the transaction ends) and read
 * its stored state into *out (release with lead_store_current_clear).
 * ST_NOT_FOUND when absent or outside s.
 */
enum status lead_store_lock(struct db_conn *c, const char *org, const struct scope_rows *s, int64_t id,
                            struct lead_current *out);

/* What the store knows of the owner a write names. */
struct lead_owner {
	char segment[4]; /* "b2b", "b2c", or "" for none */
	bool in_scope;   /* within the scope_rows asked about */
};
/* Person `owner_id` (decimal text) of the org into *out; ST_NOT_FOUND when no person of the org has it. */
enum status lead_store_owner(struct db_conn *c, const char *org, const struct scope_rows *s,
                             const char *owner_id, struct lead_owner *out);

/*
 * Insert the lead of record r; *out is the new lead as lead_store_get shows
 * it. A constraint it breaks is named in e: ST_INVALID naming owner_id (no
 * such person) or converted_deal_id, ST_CONFLICT naming external_id.
 */
enum status lead_store_insert(struct db_conn *c, const char *org, const struct lead_record *r,
                              struct rowjson *out, struct issues *e);
/* Replace every stored column of lead `id` by record r (a new version); as lead_store_insert otherwise. */
enum status lead_store_update(struct db_conn *c, const char *org, int64_t id, const struct lead_record *r,
                              struct rowjson *out, struct issues *e);
/*
 * Record on lead `id` (locked by lead_store_lock) that `by` (a token's sub)
 * forced its conversion past `disqualified`, now; *out is the lead after it.
 */
enum status lead_store_forced(struct db_conn *c, const char *org, int64_t id, const char *by, struct rowjson *out);
/* Delete lead `id` (locked by lead_store_lock). */
enum status lead_store_delete(struct db_conn *c, const char *org, int64_t id);

/*
 * The funnel of the leads within s created between from and to (inclusive
 * "YYYY-MM-DD" dates in the org's time zone; NULL = open), grouped by `by`
 * (source, segment, grade or owner): *out = {"items": [...], "total": {...}}
 * as malloc'd text (the caller frees).
 */
enum status lead_store_funnel(struct db_conn *c, const char *org, const struct scope_rows *s,
                              const char *from, const char *to, const char *by, char **out);


/*
 * Score open lead `id` (its stored input fields as JSON, borrowed; it arrived
 * on *created_on, NULL when unknown) into *out, which the store releases.
 */
typedef enum status (*lead_store_scorer)(void *ctx, int64_t id, const json_t *input,
                                         const cal_date *created_on, struct lead_record *out);
/*
 * Re-score the open leads (new, qualified, nurture) of `segment`, and its
 * closed ones (converted, disqualified) too when `closed_too`, through
 * `score`, in the caller's transaction: a lead whose score columns change
 * gets a new version. The first error of `score` stops it.
 */
enum status lead_store_rescore(struct db_conn *c, const char *org, const char *segment, bool closed_too,
                               lead_store_scorer score, void *ctx);
/*
 * The same for every lead of `segment`, a page at a time: the at most
 * `limit` with the lowest ids above `after`, locked FOR UPDATE until the
 * caller's transaction ends (so no write of theirs is lost). *n is their
 * number, *last the highest id (untouched when *n is 0).
 */
enum status lead_store_rescore_page(struct db_conn *c, const char *org, const char *segment, int64_t after,
                                    int limit, lead_store_scorer score, void *ctx, int64_t *last, int *n);

/* The closed leads (converted or disqualified) of a segment, for a training. */
struct lead_closed;
/*
 * Read the closed leads of `segment` (without a lock) into *out (free with
 * lead_store_closed_free) and make *src read them, in id order, until then.
 * They are read 5,000 at a time by id, each page a statement of its own
 * (no transaction): no statement has to read a large segment whole.
 */
enum status lead_store_closed(struct db_conn *c, const char *org, const char *segment,
                              struct lead_closed **out, struct lead_source *src);
/* Free closed leads; accepts NULL. */
void lead_store_closed_free(struct lead_closed *cl);

#endif
