#include "leads/model_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "leads/model.h"

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/*
 * The trained part is named by its version and training time (unique even
 * if the database is replaced under a running attaind) and fetched only when
 * the connection's memo does not hold it already.
 */
#define TRAINED_KEY "m.predictive_version || '@' || coalesce(m.trained_at::text, '')"
#define MODEL_HEAD                                                                                        \
	"SELECT m.definition::text, " TRAINED_KEY ", m.version, " DB_DAY(DB_ORG_TODAY)                            \
	" FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2"
DB_STMT(stmt_model_load, MODEL_HEAD " FOR SHARE");
/* The same without a lock, for a training's long read phase (model_store.h). */
DB_STMT(stmt_model_peek, MODEL_HEAD);
DB_STMT(stmt_model_predictive,
	"SELECT m.predictive::text FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2"
	" AND m.predictive IS NOT NULL AND " TRAINED_KEY " = $3");
DB_STMT(stmt_model_lock, "SELECT m.version, m.predictive::text, " DB_DAY(DB_ORG_TODAY) ", m.predictive_version"
			 " FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2 FOR UPDATE");
DB_STMT(stmt_model_seed, "SELECT leads_seed_models($1)");

/*
 * Two numbers, two names: `version` is the rules' (the resource's ETag, what
 * If-Match on PUT checks; only a PUT that changes the definition bumps it),
 * `trained_version` numbers the trainings (predictive_version).
 */
#define MODEL_JSON                                                                                        \
	"(m.definition || jsonb_build_object('segment', m.segment, 'predictive', CASE WHEN m.predictive IS    \
	 NULL THEN NULL ELSE jsonb_build_object('trained_version', m.predictive_version, 'trained_at', "     \
	DB_TS("m.trained_at") ", 'learner', coalesce(m.evaluation->>'learner', 'logistic_regression'),      \
	 'auc', m.evaluation->'auc', 'n_train', m.evaluation->'n_train',               \
	 'n_holdout', m.evaluation->'n_holdout', 'columns', m.evaluation->'columns') END,                    \
	 'version', m.version, 'updated_at', " DB_TS("m.updated_at") "))::text, 0, m.version"
#define EVALUATION_JSON                                                                                   \
	"(m.evaluation || jsonb_build_object('segment', m.segment, 'trained_version', m.predictive_version,  \
	 'trained_at', " DB_TS("m.trained_at") "))::text, 0, m.predictive_version"

DB_STMT(stmt_model_get, "SELECT " MODEL_JSON " FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2");
/* A changed definition bumps the rules' version; updated_at never goes before trained_at (0009). */
DB_STMT(stmt_model_replace,
	"UPDATE lead_scoring_models m SET definition = $3::jsonb,"
	" version = m.version + (m.definition IS DISTINCT FROM $3::jsonb)::int,"
	" updated_at = CASE WHEN m.definition IS DISTINCT FROM $3::jsonb THEN greatest(now(), m.trained_at)"
	" ELSE m.updated_at END WHERE m.org_id = $1 AND m.segment = $2 RETURNING " MODEL_JSON);
/* A training leaves the rules' version alone; its time is the row's updated_at too. */
DB_STMT(stmt_model_trained,
	"UPDATE lead_scoring_models m SET predictive = $3::jsonb, evaluation = $4::jsonb,"
	" predictive_version = m.predictive_version + 1, trained_at = t.at, updated_at = t.at"
	" FROM (SELECT clock_timestamp() AS at) t WHERE m.org_id = $1 AND m.segment = $2 RETURNING " EVALUATION_JSON);
DB_STMT(stmt_model_evaluation, "SELECT " EVALUATION_JSON " FROM lead_scoring_models m"
			       " WHERE m.org_id = $1 AND m.segment = $2 AND m.evaluation IS NOT NULL");

/* An org older than the models: give it the defaults now. */
static enum status
seed(struct db_conn *c, const char *org)
{
	PGresult *r = db_exec(c, &stmt_model_seed, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	PQclear(r);
	return st;
}

/*
 * A stored trained part (its JSON text) into *out (free with model_free);
 * ST_INVALID when malformed, logged with what is wrong.
 */
static enum status
predictive_parse(const char *text, struct model **out)
{
	json_t *j = json_loads(text, 0, NULL);
	char why[256];
	enum status st = j ? model_read(j, out, why, sizeof why) : ST_NOMEM;

	if (st == ST_INVALID)
		log_msg(LOG_ERROR, "the stored trained lead model cannot be read: %s", why);
	json_decref(j);
	return st;
}

/*
 * The connection's memo of trained models (db_memo): the last few read,
 * each under "org \x1f segment \x1f version@trained_at". A trained model is
 * tens of kilobytes of JSON; parsing it took most of a POST /v1/leads/score.
 */
#define MODEL_MEMO_SIZE 4
struct memo {
	struct {
		char *key;              /* owned */
		struct model *model; /* one reference */
	} e[MODEL_MEMO_SIZE];
	unsigned next; /* the entry to replace */
};

static void
memo_free(void *p)
{
	struct memo *mm = p;

	for (int i = 0; i < MODEL_MEMO_SIZE; i++) {
		free(mm->e[i].key);
		model_free(mm->e[i].model);
	}
	free(mm);
}

/*
 * The trained model `trained` (version@trained_at) of org's segment, from
 * the memo or read and remembered: *out is a new reference. ST_NOT_FOUND
 * when the row no longer has that version (a training committed meanwhile).
 */
static enum status
predictive_load(struct db_conn *c, const char *org, const char *segment, const char *trained,
		struct model **out)
{
	struct memo *mm = db_memo(c, DB_MEMO_LEAD_MODELS);
	size_t len = strlen(org) + strlen(segment) + strlen(trained) + 3;
	char *key = malloc(len);
	enum status st = ST_NOMEM;
	PGresult *r = NULL;

	if (!key)
		return ST_NOMEM;
	snprintf(key, len, "%s\x1f%s\x1f%s", org, segment, trained);
	for (int i = 0; mm && i < MODEL_MEMO_SIZE; i++)
		if (mm->e[i].key && strcmp(mm->e[i].key, key) == 0) {
			*out = model_ref(mm->e[i].model);
			free(key);
			return ST_OK;
		}
	if ((st = row_exec_one(c, &stmt_model_predictive, 3, (const char *[]){ org, segment, trained }, &r)) != ST_OK)
		goto out;
	if ((st = predictive_parse(PQgetvalue(r, 0, 0), out)) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	if (!mm && (mm = calloc(1, sizeof *mm)) != NULL)
		db_memo_set(c, DB_MEMO_LEAD_MODELS, mm, memo_free);
	if (mm) { /* remembering is best effort */
		unsigned at = mm->next++ % MODEL_MEMO_SIZE;
		free(mm->e[at].key);
		model_free(mm->e[at].model);
		mm->e[at].key = key;
		mm->e[at].model = model_ref(*out);
		key = NULL;
	}
	st = ST_OK;
out:
	free(key);
	PQclear(r);
	return st;
}

/* The definition from its JSON text into *out (no trained part yet). */
static enum status
definition_from_text(const char *definition, struct score_model *out)
{
	struct issues e = { 0 };
	json_t *def = json_loads(definition, 0, NULL);
	enum status st;

	if (!def)
		return ST_INTERNAL;
	st = score_model_parse(def, out, &e);
	if (st == ST_INVALID)
		st = ST_INTERNAL;
	issues_clear(&e);
	json_decref(def);
	return st;
}

/*
 * The model row's head (definition, version@trained_at, version, the org's
 * today), FOR SHARE unless `peek`; an org older than the models gets the
 * defaults first. *out is the result (PQclear it) on ST_OK.
 */
static enum status
read_head(struct db_conn *c, const char *org, const char *segment, bool peek, PGresult **out)
{
	PGresult *r = NULL;
	enum status st = ST_OK;

	for (int attempt = 0; attempt < 2; attempt++) {
		PQclear(r);
		r = db_exec(c, peek ? &stmt_model_peek : &stmt_model_load, 2, (const char *[]){ org, segment });
		if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK || PQntuples(r) == 1)
			break;
		if ((st = seed(c, org)) != ST_OK)
			break;
	}
	if (st == ST_OK && PQntuples(r) != 1)
		st = ST_INTERNAL;
	if (st != ST_OK) {
		PQclear(r);
		r = NULL;
	}
	*out = r;
	return st;
}

enum status
model_store_load(struct db_conn *c, const char *org, const char *segment, bool peek, struct score_model *out,
		 cal_date *today, int *version)
{
	PGresult *r = NULL;
	enum status st;

	/* without the lock a training may commit between the two reads: then read again */
	for (int attempt = 0;; attempt++) {
		PQclear(r);
		if ((st = read_head(c, org, segment, peek, &r)) != ST_OK)
			break;
		if (cal_date_parse(PQgetvalue(r, 0, 3), today) != ST_OK) {
			st = ST_INTERNAL;
			break;
		}
		if (version)
			*version = atoi(PQgetvalue(r, 0, 2));
		if ((st = definition_from_text(PQgetvalue(r, 0, 0), out)) != ST_OK)
			break;
		const char *trained = PQgetvalue(r, 0, 1);
		if (strncmp(trained, "0@", 2) == 0) /* never trained */
			break;
		out->trained_version = atoi(trained);
		if ((st = predictive_load(c, org, segment, trained, &out->predictive)) == ST_OK)
			break;
		score_model_clear(out);
		if (st != ST_NOT_FOUND || attempt == 2) {
			st = st == ST_NOT_FOUND ? ST_INTERNAL : st;
			break;
		}
	}
	PQclear(r);
	return st;
}

enum status
model_store_get(struct db_conn *c, const char *org, const char *segment, struct rowjson *out)
{
	enum status st = row_exec(c, &stmt_model_get, 2, (const char *[]){ org, segment }, out);

	if (st == ST_NOT_FOUND && (st = seed(c, org)) == ST_OK)
		st = row_exec(c, &stmt_model_get, 2, (const char *[]){ org, segment }, out);
	return st;
}

enum status
model_store_evaluation(struct db_conn *c, const char *org, const char *segment, struct rowjson *out)
{
	return row_exec(c, &stmt_model_evaluation, 2, (const char *[]){ org, segment }, out);
}

/* The JSON text of v (reference stolen); NULL when v is NULL or out of memory. */
static char *
dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_FLAGS) : NULL;

	json_decref(v);
	return s;
}

enum status
model_store_replace(struct db_conn *c, const char *org, const char *segment, struct score_model *m,
		    int expect_version, struct rowjson *out, cal_date *today)
{
	struct model *predictive = NULL;
	char *def = NULL;
	PGresult *r = NULL;
	enum status st = row_exec_one(c, &stmt_model_lock, 2, (const char *[]){ org, segment }, &r);

	if (st != ST_OK)
		goto out;
	if (expect_version >= 0 && atoi(PQgetvalue(r, 0, 0)) != expect_version) {
		st = ST_STALE;
		goto out;
	}
	if (!PQgetisnull(r, 0, 1) && (st = predictive_parse(PQgetvalue(r, 0, 1), &predictive)) != ST_OK)
		goto out;
	if (cal_date_parse(PQgetvalue(r, 0, 2), today) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	if (!(def = dump(score_model_to_json(m)))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = row_exec(c, &stmt_model_replace, 3, (const char *[]){ org, segment, def }, out)) != ST_OK)
		goto out;
	m->predictive = predictive;
	m->trained_version = predictive ? atoi(PQgetvalue(r, 0, 3)) : 0;
	predictive = NULL;
out:
	model_free(predictive);
	free(def);
	PQclear(r);
	return st;
}

enum status
model_store_trained(struct db_conn *c, const char *org, const char *segment, const struct model *learned,
		    const json_t *evaluation, struct rowjson *out)
{
	char *pred = dump(model_to_json(learned)), *eval = dump(json_incref((json_t *)evaluation));
	enum status st = ST_NOMEM;

	if (pred && eval)
		st = row_exec(c, &stmt_model_trained, 4, (const char *[]){ org, segment, pred, eval }, out);
	free(pred);
	free(eval);
	return st;
}
