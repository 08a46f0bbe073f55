/*
 * service.h — the operations on leads and their scoring models (DESIGN §7
 * "Leads"), one function per operation a handler performs. Each takes the
 * caller (org, subject, scope), the parsed input and out-parameters, runs
 * in the caller's transaction (the dispatcher opens one for every write
 * request), and returns enum status; results are written only on ST_OK.
 * What goes wrong is added to e: a field issue for a refused input, or an
 * issue without a field carrying the sentence the client sees (for
 * ST_NOT_FOUND, ST_FORBIDDEN, ST_UNPROCESSABLE).
 *
 * The scoring of a payload and the scoring-model operations act on the
 * whole org: they use who->org only (who->scope may be NULL, as
 * req_caller_unscoped gives it; the route table says who may call them).
 *
 * Who sees and changes which lead: store.h (struct scope_rows). Every write
 * sends the whole lead after the change through its segment's scoring model
 * (record.h); a client never writes a score.
 */
#ifndef ATTAIN_LEADS_SERVICE_H
#define ATTAIN_LEADS_SERVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "auth/scope.h"
#include "core/issue.h"
#include "db/db.h"
#include "db/row.h"
#include "leads/batch.h"
#include "leads/store.h"

/* A list page of the leads the caller reads that pass f (release with page_clear). */
enum status leads_service_list(struct db_conn *c, const struct caller *who, const struct lead_filter *f,
                               struct page *out, struct issues *e);

/* Lead `id` as the caller reads it. ST_NOT_FOUND ("no such lead") when absent or out of reach. */
enum status leads_service_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                              struct issues *e);

/*
 * Create a lead from a checked body (the API's field names; what it leaves
 * out is null). A caller who may not keep unowned leads owns it unless the
 * body names an owner (ST_FORBIDDEN when their token names no person). The
 * owner must be a person of the org (ST_INVALID naming owner_id) whose leads
 * the caller manages (ST_FORBIDDEN); a null segment becomes the owner's, else
 * b2b. ST_CONFLICT naming external_id when another lead has it. *out is the
 * new lead.
 */
enum status leads_service_create(struct db_conn *c, const struct caller *who, const json_t *body,
                                 struct rowjson *out, struct issues *e);

/*
 * Change lead `id` by a checked body: given fields replace the stored ones,
 * null clears. ST_NOT_FOUND ("no such lead") when out of reach; ST_STALE when
 * expect_version >= 0 differs; a new owner is checked as by create. *out is
 * the lead after the change.
 */
enum status leads_service_patch(struct db_conn *c, const struct caller *who, int64_t id, const json_t *body,
                                int expect_version, struct rowjson *out, struct issues *e);

/* Delete lead `id`. ST_NOT_FOUND ("no such lead") when out of reach; ST_STALE when expect_version >= 0
 * differs. */
enum status leads_service_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                                 struct issues *e);

/*
 * Score a checked lead body without storing it, as create would (an owner
 * it names must be a person of the org): *out = {segment, score, grade,
 * probability, suggested_status, bant, score_breakdown, rules_version,
 * trained_version} (new reference).
 */
enum status leads_service_score(struct db_conn *c, const struct caller *who, const json_t *body, json_t **out,
                                struct issues *e);

/*
 * The funnel of the leads the caller reads, created between from and to
 * ("YYYY-MM-DD", inclusive, in the org's time zone; NULL = open), grouped by
 * `by` (source, segment, grade or owner): *out = {"items": [...], "total":
 * {...}} as malloc'd JSON text (the caller frees).
 */
enum status leads_service_funnel(struct db_conn *c, const struct caller *who, const char *from,
                                 const char *to, const char *by, char **out, struct issues *e);

/* One item a bulk call refused, and why. */
struct leads_bulk_reject {
	int index;            /* in the request */
	struct issues issues; /* owned */
};

/* What a bulk call did. */
struct leads_bulk_result {
	long created;
	long updated;
	long unchanged;
	struct leads_bulk_reject *rejects; /* owned, in no particular order */
	size_t nrejects;
};
/* Free the rejections; the result is left empty. Accepts an empty one. */
void leads_service_bulk_result_clear(struct leads_bulk_result *r);

/*
 * Upsert the checked items of in by external_id (the CRM sync): an existing
 * lead keeps the fields an item leaves out, and one whose stored state would
 * not change is left alone (counted unchanged). Refused, each with its
 * reason in out->rejects: an external_id given again (every item after the
 * first), an owner who is no person of the org or outside the caller's
 * reach, an existing lead outside it, a new lead without an owner for a
 * caller who may not keep unowned leads, an unknown deal, a deal on a lead
 * that is not converted. With `atomic`, any of them (or `rejected_before`,
 * the caller's own rejections) makes it ST_INVALID with nothing written (the
 * rejections still in *out). On ST_OK and ST_INVALID *out is filled (release
 * with leads_service_bulk_result_clear).
 */
enum status leads_service_bulk(struct db_conn *c, const struct caller *who, const struct lead_batch *in,
                               bool atomic, bool rejected_before, struct leads_bulk_result *out);

/* What a conversion takes from the request; NULL / unset = the default. */
struct lead_conversion {
	const char *name; /* default: company, contact_name, or "Lead <id>" */
	bool set_amount;
	int64_t amount;    /* cents; default: the lead's budget */
	const char *stage; /* default: the org's first open stage */
	const char *type;  /* default: new_business */
	bool set_close_date;
	cal_date close_date; /* default: the timeline when not past, else today + 30 days */
	bool force;          /* convert a disqualified lead (recorded on it: who and when) */
};

/*
 * Create the deal of lead `id` (through the deals domain), owned by the
 * lead's owner, link it and mark the lead converted (re-scored), in the
 * caller's transaction. ST_NOT_FOUND ("no such lead") when out of reach;
 * ST_CONFLICT naming status when the lead is already converted or is
 * disqualified without in->force (with it, who->sub and the time are recorded
 * on the lead), or owner_id when it has no owner; ST_INVALID naming amount when neither the request nor
 * the lead gives one, stage when the org has no open stage, or the field of
 * the deal at fault (close_date, stage, amount, else body). *lead_out is the
 * lead, *deal_out the deal (as GET /v1/deals/{id} shows it).
 */
enum status leads_service_convert(struct db_conn *c, const struct caller *who, int64_t id,
                                  const struct lead_conversion *in, struct rowjson *lead_out,
                                  struct rowjson *deal_out, struct issues *e);

/* The scoring model of `segment` (b2b or b2c) as GET /v1/lead-scoring/models/{segment} shows it. */
enum status leads_service_model_get(struct db_conn *c, const struct caller *who, const char *segment,
                                    struct rowjson *out, struct issues *e);

/*
 * Replace the model of `segment` by a PUT body (changed in place): a model
 * read with GET may be sent back whole (its read-only parts are dropped; a
 * `segment` must be the path's), and what the body leaves out of thresholds,
 * bant (each part) and predicted_weight keeps its current value. Every
 * problem of the definition is a field issue (ST_INVALID). Then the
 * segment's open leads are re-scored. ST_STALE when expect_version >= 0
 * differs. *out is the model after the change.
 */
enum status leads_service_model_put(struct db_conn *c, const struct caller *who, const char *segment,
                                    json_t *body, int expect_version, struct rowjson *out, struct issues *e);

/*
 * Training runs as a job (0014_lead_training_jobs.sql). train_submit queues
 * one for `segment` in the caller's transaction (*created), or finds the
 * one already queued or running for it (!*created); *out is the job: {id,
 * segment, state (queued, running, succeeded, failed), progress (0..100),
 * step (queued, reading, fitting, storing, done, failed), error,
 * trained_version, created_at, started_at, finished_at}. Whoever gets a
 * created job hands its org and id to leads_service_train_job on a thread of its
 * own.
 */
enum status leads_service_train_submit(struct db_conn *c, const struct caller *who, const char *segment,
                                       struct rowjson *out, bool *created, struct issues *e);

/* The job `id` of the caller's org; ST_NOT_FOUND ("no such training job"). */
enum status leads_service_job_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                                  struct issues *e);

/*
 * Run job `id` on c, which must be in no transaction and is kept for the
 * whole job: take it (waiting for the transaction that made it to end; a
 * job no longer queued is left alone, ST_OK), read the segment's rules and
 * closed leads (store.h: in pages, no transaction), fit the model in
 * memory (training.h), then in one short transaction check that the rules
 * are those the model was graded with (else the job fails: "the segment's
 * rules changed during the training") and store the model and its
 * evaluation; then re-score every lead of the segment (closed ones too) a
 * page at a time, each page a short transaction of its own, and mark the
 * job succeeded with its trained_version. Any failure marks the job failed
 * with a sentence; before the model is stored, the model before it stays.
 * *taken says whether the job was taken; a status other than ST_OK then
 * means its end could not be recorded (see leads_service_job_abandon).
 */
enum status leads_service_train_job(struct db_conn *c, const char *org, int64_t id, bool *taken);

/* Mark running job `id` of org failed: the connection that ran it was lost before its end was recorded. */
enum status leads_service_job_abandon(struct db_conn *c, const char *org, int64_t id);

/*
 * At start-up: mark failed every job queued or running that no live
 * attaind holds (its attaind stopped mid-job); *swept their number.
 */
enum status leads_service_jobs_sweep(struct db_conn *c, long *swept);

/*
 * The evaluation of the segment's latest training. ST_NOT_FOUND ("the model
 * of this segment has not been trained yet") before the first.
 */
enum status leads_service_model_evaluation(struct db_conn *c, const struct caller *who, const char *segment,
                                           struct rowjson *out, struct issues *e);

#endif
