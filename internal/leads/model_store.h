/*
 * model_store.h — the SQL of lead-scoring models (DESIGN §7 "Leads"): each
 * segment's definition (rules, caps, thresholds, BANT, blend weight), its
 * trained part and the evaluation of its latest training, with the
 * connection's memo of parsed trained parts (db_memo), so that a score does
 * not parse tens of kilobytes of JSON each time.
 *
 * A lead write reads its segment's model FOR SHARE and a model change takes
 * the row FOR UPDATE (and re-scores the segment's open leads in the same
 * transaction): no lead keeps a score of a model that is no longer current.
 * An org older than the models gets the defaults on first use.
 */
#ifndef ATTAIN_LEADS_MODEL_STORE_H
#define ATTAIN_LEADS_MODEL_STORE_H

#include <stdbool.h>

#include <jansson.h>

#include "db/db.h"
#include "db/row.h"
#include "leads/score.h"

/*
 * Load the model of `segment`, with its trained part, into *out (release with
 * score_model_clear; out->trained_version numbers its training), and today in
 * the org's time zone into *today; the rules' version into *version unless
 * NULL. The row is read FOR SHARE (until the transaction ends), or without a
 * lock when `peek` (a training's long read phase, or a read outside any
 * transaction such as POST /v1/leads/score: a training may commit between
 * its statements, then it reads again).
 */
enum status model_store_load(struct db_conn *c, const char *org, const char *segment, bool peek,
                             struct score_model *out, cal_date *today, int *version);

/* The model resource: the definition plus segment, predictive summary, version, updated_at. */
enum status model_store_get(struct db_conn *c, const char *org, const char *segment, struct rowjson *out);

/* The evaluation of the latest training; ST_NOT_FOUND before the first. */
enum status model_store_evaluation(struct db_conn *c, const char *org, const char *segment,
                                   struct rowjson *out);

/*
 * Replace the definition of `segment` by m's (m as score_model_parse made it,
 * without a trained part), the row locked FOR UPDATE until the transaction
 * ends. ST_NOT_FOUND when the org has no such model; ST_STALE when
 * expect_version >= 0 differs from its version. On ST_OK, *out is the model
 * as model_store_get shows it, m->predictive the stored trained part (NULL
 * when never trained; m owns it) with m->trained_version, and *today the
 * org's day: what re-scoring the segment takes.
 */
enum status model_store_replace(struct db_conn *c, const char *org, const char *segment,
                                struct score_model *m, int expect_version, struct rowjson *out,
                                cal_date *today);

/*
 * Store what a training learned and its evaluation (training.h) as the
 * segment's trained part (the next trained_version; the rules' version and
 * so the ETag stay), the row locked FOR UPDATE until the transaction ends.
 * *out is the evaluation as model_store_evaluation shows it.
 */
enum status model_store_trained(struct db_conn *c, const char *org, const char *segment,
                                const struct model *learned, const json_t *evaluation, struct rowjson *out);

#endif
