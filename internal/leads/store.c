#include "leads/store.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "deals/deal.h"
#include "deals/stage.h"
#include "deals/store.h"
#include "leads/lead.h"
#include "leads/model.h"

/* The day a lead arrived, in the org's time zone. */
#define CREATED_ON DB_DAY("(l.created_at AT TIME ZONE " DB_ORG_TZ ")::date")

#define JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

#define LEAD_JSON                                                                                         \
	"json_build_object('id', l.id::text, 'external_id', l.external_id, 'company', l.company,             \
	 'contact_name', l.contact_name, 'email', l.email, 'segment', l.segment, 'source', l.source,         \
	 'budget', l.budget, 'authority', l.authority, 'need', l.need, 'timeline', " DB_DAY("l.timeline") ",    \
	 'employees', l.employees, 'industry', l.industry, 'engagement', l.engagement,                       \
	 'attributes', l.attributes, 'owner_id', l.owner_id::text, 'status', l.status,                       \
	 'converted_deal_id', l.converted_deal_id::text, 'score', l.score, 'grade', l.grade,                 \
	 'probability', l.probability, 'suggested_status', l.suggested_status, 'bant', l.bant,               \
	 'score_breakdown', l.score_breakdown, 'version', l.version,                                         \
	 'created_at', " DB_TS("l.created_at") ", 'updated_at', " DB_TS("l.updated_at") ")::text, l.id, l.version"

/* The fields a write may give, as the API names them: the base a change is merged into. */
#define LEAD_INPUT_JSON                                                                                   \
	"json_build_object('external_id', l.external_id, 'company', l.company,                               \
	 'contact_name', l.contact_name, 'email', l.email, 'segment', l.segment, 'source', l.source,         \
	 'budget', l.budget, 'authority', l.authority, 'need', l.need, 'timeline', " DB_DAY("l.timeline") ",    \
	 'employees', l.employees, 'industry', l.industry, 'engagement', l.engagement,                       \
	 'attributes', l.attributes, 'owner_id', l.owner_id::text, 'status', l.status,                       \
	 'converted_deal_id', l.converted_deal_id::text)::text"

/* The stored columns of a lead, in the order of struct lead_row. */
#define LEAD_COLUMNS                                                                                      \
	"external_id, company, contact_name, email, segment, source, budget, authority, need, timeline,       \
	 employees, industry, engagement, attributes, owner_id, status, converted_deal_id, score, grade,     \
	 probability, suggested_status, bant, score_breakdown"
#define LEAD_EXCLUDED                                                                                     \
	"EXCLUDED.company, EXCLUDED.contact_name, EXCLUDED.email, EXCLUDED.segment, EXCLUDED.source,          \
	 EXCLUDED.budget, EXCLUDED.authority, EXCLUDED.need, EXCLUDED.timeline, EXCLUDED.employees,           \
	 EXCLUDED.industry, EXCLUDED.engagement, EXCLUDED.attributes, EXCLUDED.owner_id, EXCLUDED.status,    \
	 EXCLUDED.converted_deal_id, EXCLUDED.score, EXCLUDED.grade, EXCLUDED.probability,                   \
	 EXCLUDED.suggested_status, EXCLUDED.bant, EXCLUDED.score_breakdown"
#define LEAD_STORED                                                                                       \
	"l.company, l.contact_name, l.email, l.segment, l.source, l.budget, l.authority, l.need, l.timeline, \
	 l.employees, l.industry, l.engagement, l.attributes, l.owner_id, l.status, l.converted_deal_id,     \
	 l.score, l.grade, l.probability, l.suggested_status, l.bant, l.score_breakdown"
#define LEAD_VALUES                                                                                       \
	"$2, $3, $4, $5, $6, $7, $8::numeric, $9, $10, $11::date, $12::int, $13, $14::int, $15::jsonb,      \
	 $16::bigint, $17, $18::bigint, $19::int, $20, $21::numeric, $22, $23::jsonb, $24::jsonb"

/*
 * The scope predicate on `l` (store.h): $all, $self and $teams are the
 * parameter numbers of lead_scope's fields.
 */
#define IN_SCOPE(all, self, teams)                                                                        \
	"(" all "::bool OR l.owner_id = " self "::bigint OR l.owner_id IN (SELECT p.id FROM people p"       \
	" WHERE p.org_id = $1 AND p.team_id = ANY(" teams "::bigint[])))"

enum { NCOLS = 23 };

static void
scope_params(const struct lead_scope *s, char *self, size_t len, const char **out)
{
	out[0] = s->all ? "true" : "false";
	out[1] = row_id_param(s->person_id, self, len);
	out[2] = s->teams ? s->teams : "{}";
}

/* Name the field behind a constraint failure of the leads table. */
static const struct row_constraint constraints[] = {
	{ "leads_owner_fk", "owner_id", "no such person" },
	{ "leads_deal_fk", "converted_deal_id", "no such deal" },
	{ "leads_external_id", "external_id", "another lead has this external_id" },
	{ "leads_converted_deal", "converted_deal_id", "only a converted lead links a deal" },
};

static enum status
explain_failure(struct db_conn *c, enum status st, struct issues *e)
{
	return row_explain(c, st, constraints, sizeof constraints / sizeof constraints[0], e);
}

/* A text value in COPY's text format (backslash escapes); NULL is \N. */
static void
copy_text(struct buf *b, const char *s)
{
	if (!s) {
		buf_puts(b, "\\N");
		return;
	}
	for (const char *p = s; *p; p++) {
		switch (*p) {
		case '\\': buf_puts(b, "\\\\"); break;
		case '\t': buf_puts(b, "\\t"); break;
		case '\n': buf_puts(b, "\\n"); break;
		case '\r': buf_puts(b, "\\r"); break;
		default: buf_putc(b, *p);
		}
	}
}

/* Send b through an open COPY when it holds about 1 MB (or `last`). */
static enum status
copy_flush(struct db_conn *c, struct buf *b, bool last)
{
	enum status st = ST_OK;

	if (b->oom)
		return ST_NOMEM;
	if (b->len && (last || b->len >= (1u << 20))) {
		st = db_copy_put(c, b->data, b->len);
		b->len = 0;
	}
	return st;
}

/* ---- scoring models ---------------------------------------------------------------- */

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
/* The same without a lock, for a training's long read phase (store.h). */
DB_STMT(stmt_model_peek, MODEL_HEAD);
DB_STMT(stmt_model_predictive,
	"SELECT m.predictive::text FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2"
	" AND m.predictive IS NOT NULL AND " TRAINED_KEY " = $3");
DB_STMT(stmt_model_lock, "SELECT m.version, m.predictive::text FROM lead_scoring_models m"
			 " WHERE m.org_id = $1 AND m.segment = $2 FOR UPDATE");
DB_STMT(stmt_model_seed, "SELECT leads_seed_models($1)");

#define MODEL_JSON                                                                                        \
	"(m.definition || jsonb_build_object('segment', m.segment, 'predictive', CASE WHEN m.predictive IS    \
	 NULL THEN NULL ELSE jsonb_build_object('version', m.predictive_version, 'trained_at', "             \
	DB_TS("m.trained_at") ", 'auc', m.evaluation->'auc', 'n_train', m.evaluation->'n_train',               \
	 'n_holdout', m.evaluation->'n_holdout', 'columns', m.evaluation->'columns') END,                    \
	 'version', m.version, 'updated_at', " DB_TS("m.updated_at") "))::text, 0, m.version"
#define EVALUATION_JSON                                                                                   \
	"(m.evaluation || jsonb_build_object('segment', m.segment, 'version', m.predictive_version,          \
	 'trained_at', " DB_TS("m.trained_at") "))::text, 0, m.predictive_version"

DB_STMT(stmt_model_get, "SELECT " MODEL_JSON " FROM lead_scoring_models m WHERE m.org_id = $1 AND m.segment = $2");
DB_STMT(stmt_model_replace,
	"UPDATE lead_scoring_models m SET definition = $3::jsonb, version = m.version + 1, updated_at = now()"
	" WHERE m.org_id = $1 AND m.segment = $2 RETURNING " MODEL_JSON);
DB_STMT(stmt_model_trained,
	"UPDATE lead_scoring_models m SET predictive = $3::jsonb, evaluation = $4::jsonb,"
	" predictive_version = m.predictive_version + 1, trained_at = clock_timestamp(), version = m.version + 1,"
	" updated_at = now() WHERE m.org_id = $1 AND m.segment = $2 RETURNING " EVALUATION_JSON);
DB_STMT(stmt_model_evaluation, "SELECT " EVALUATION_JSON " FROM lead_scoring_models m"
			       " WHERE m.org_id = $1 AND m.segment = $2 AND m.evaluation IS NOT NULL");

/*
 * The connection's memo of trained models (db_memo): the last few read,
 * each under "org \x1f segment \x1f version@trained_at". A trained model is
 * tens of kilobytes of JSON; parsing it took most of a POST /v1/leads/score.
 */
#define MODEL_MEMO_SIZE 4
struct model_memo {
	struct {
		char *key;              /* owned */
		struct lr_model *model; /* one reference */
	} e[MODEL_MEMO_SIZE];
	unsigned next; /* the entry to replace */
};

static void
model_memo_free(void *p)
{
	struct model_memo *mm = p;

	for (int i = 0; i < MODEL_MEMO_SIZE; i++) {
		free(mm->e[i].key);
		lr_model_free(mm->e[i].model);
	}
	free(mm);
}

/*
 * The trained model `trained` (version@trained_at) of org's segment, from
 * the memo or read and remembered: *out is a new reference. ST_NOT_FOUND
 * when the row no longer has that version (a training committed meanwhile).
 */
static enum status
predictive_load(struct db_conn *c, const char *org, const char *segment, const char *trained, struct lr_model **out)
{
	struct model_memo *mm = db_memo(c, DB_MEMO_LEAD_MODELS);
	size_t len = strlen(org) + strlen(segment) + strlen(trained) + 3;
	char *key = malloc(len);
	enum status st = ST_NOMEM;
	json_t *j = NULL;
	PGresult *r = NULL;

	if (!key)
		return ST_NOMEM;
	snprintf(key, len, "%s\x1f%s\x1f%s", org, segment, trained);
	for (int i = 0; mm && i < MODEL_MEMO_SIZE; i++)
		if (mm->e[i].key && strcmp(mm->e[i].key, key) == 0) {
			*out = lr_model_ref(mm->e[i].model);
			free(key);
			return ST_OK;
		}
	r = db_exec(c, &stmt_model_predictive, 3, (const char *[]){ org, segment, trained });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) != 1) {
		st = ST_NOT_FOUND;
		goto out;
	}
	if (!(j = json_loads(PQgetvalue(r, 0, 0), 0, NULL)) || lr_model_from_json(j, out) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	if (!mm && (mm = calloc(1, sizeof *mm)) != NULL)
		db_memo_set(c, DB_MEMO_LEAD_MODELS, mm, model_memo_free);
	if (mm) { /* remembering is best effort */
		unsigned at = mm->next++ % MODEL_MEMO_SIZE;
		free(mm->e[at].key);
		lr_model_free(mm->e[at].model);
		mm->e[at].key = key;
		mm->e[at].model = lr_model_ref(*out);
		key = NULL;
	}
	st = ST_OK;
out:
	free(key);
	json_decref(j);
	PQclear(r);
	return st;
}

/* The definition from its JSON text into *out (no trained part yet). */
static enum status
model_from_text(const char *definition, struct score_model *out)
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
model_head(struct db_conn *c, const char *org, const char *segment, bool peek, PGresult **out)
{
	PGresult *r = NULL;
	enum status st = ST_OK;

	for (int attempt = 0; attempt < 2; attempt++) {
		PQclear(r);
		r = db_exec(c, peek ? &stmt_model_peek : &stmt_model_load, 2, (const char *[]){ org, segment });
		if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK || PQntuples(r) == 1)
			break;
		/* an org older than the models: give it the defaults now */
		PGresult *s = db_exec(c, &stmt_model_seed, 1, (const char *[]){ org });
		st = db_check(c, s, PGRES_TUPLES_OK);
		PQclear(s);
		if (st != ST_OK)
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

/* lead_model_load (FOR SHARE unless `peek`), also giving the model's version. */
static enum status
model_load(struct db_conn *c, const char *org, const char *segment, bool peek, struct score_model *out,
	   cal_date *today, int *version)
{
	PGresult *r = NULL;
	enum status st;

	/* without the lock a training may commit between the two reads: then read again */
	for (int attempt = 0;; attempt++) {
		PQclear(r);
		if ((st = model_head(c, org, segment, peek, &r)) != ST_OK)
			break;
		if (cal_date_parse(PQgetvalue(r, 0, 3), today) != ST_OK) {
			st = ST_INTERNAL;
			break;
		}
		if (version)
			*version = atoi(PQgetvalue(r, 0, 2));
		if ((st = model_from_text(PQgetvalue(r, 0, 0), out)) != ST_OK)
			break;
		const char *trained = PQgetvalue(r, 0, 1);
		if (strncmp(trained, "0@", 2) == 0) /* never trained */
			break;
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
lead_model_load(struct db_conn *c, const char *org, const char *segment, struct score_model *out, cal_date *today)
{
	return model_load(c, org, segment, false, out, today, NULL);
}

enum status
lead_model_get(struct db_conn *c, const char *org, const char *segment, struct rowjson *out)
{
	enum status st = row_exec(c, &stmt_model_get, 2, (const char *[]){ org, segment }, out);

	if (st == ST_NOT_FOUND) {
		/* an org older than the models */
		PGresult *s = db_exec(c, &stmt_model_seed, 1, (const char *[]){ org });
		st = db_check(c, s, PGRES_TUPLES_OK);
		PQclear(s);
		if (st == ST_OK)
			st = row_exec(c, &stmt_model_get, 2, (const char *[]){ org, segment }, out);
	}
	return st;
}

enum status
lead_model_evaluation(struct db_conn *c, const char *org, const char *segment, struct rowjson *out)
{
	return row_exec(c, &stmt_model_evaluation, 2, (const char *[]){ org, segment }, out);
}

/* ---- scoring a lead ------------------------------------------------------------------ */

/* The parameters of one stored lead, in LEAD_COLUMNS order. */
struct lead_row {
	const char *v[NCOLS];
	char budget[32], timeline[16], employees[24], engagement[24], score[24], grade[2], probability[32];
	char *attributes; /* owned */
	char *bant;       /* owned */
	char *breakdown;  /* owned */
};

static void
lead_row_clear(struct lead_row *row)
{
	free(row->attributes);
	free(row->bant);
	free(row->breakdown);
	memset(row, 0, sizeof *row);
}

static const char *
text_of(const json_t *obj, const char *k)
{
	return json_string_value(json_object_get(obj, k));
}

static char *
dump(json_t *v)
{
	char *s = v ? json_dumps(v, JSON_FLAGS) : NULL;

	json_decref(v);
	return s;
}

/* Fill row from the merged lead l (read from `merged`) and its score. */
static enum status
lead_row_fill(struct lead_row *row, const json_t *merged, const struct lead *l, const struct score_model *m,
	      const struct score_result *res)
{
	json_t *empty = json_object();

	memset(row, 0, sizeof *row);
	if (l->has_budget)
		money_format(l->budget, row->budget, sizeof row->budget);
	if (l->has_timeline)
		cal_date_format(l->timeline, row->timeline, sizeof row->timeline);
	if (l->has_employees)
		row_int_param(l->employees, row->employees, sizeof row->employees);
	if (l->has_engagement)
		row_int_param(l->engagement, row->engagement, sizeof row->engagement);
	row_int_param(res->score, row->score, sizeof row->score);
	row->grade[0] = res->grade;
	if (res->has_probability)
		snprintf(row->probability, sizeof row->probability, "%.2f", round(res->probability * 10000) / 100);
	row->attributes = json_dumps(l->attributes ? l->attributes : empty, JSON_FLAGS);
	json_decref(empty);
	row->bant = dump(score_bant_json(res));
	row->breakdown = dump(score_breakdown_json(m, res));
	if (!row->attributes || !row->bant || !row->breakdown) {
		lead_row_clear(row);
		return ST_NOMEM;
	}
	const char *v[NCOLS] = {
		text_of(merged, "external_id"),
		l->company,
		l->contact_name,
		l->email,
		l->segment,
		l->source,
		l->has_budget ? row->budget : NULL,
		l->authority >= 0 ? lead_authorities[l->authority] : NULL,
		l->need >= 0 ? lead_needs[l->need] : NULL,
		l->has_timeline ? row->timeline : NULL,
		l->has_employees ? row->employees : NULL,
		l->industry,
		l->has_engagement ? row->engagement : NULL,
		row->attributes,
		text_of(merged, "owner_id"),
		l->status ? l->status : "new",
		text_of(merged, "converted_deal_id"),
		row->score,
		row->grade,
		res->has_probability ? row->probability : NULL,
		res->suggested_status,
		row->bant,
		row->breakdown,
	};
	memcpy(row->v, v, sizeof v);
	return ST_OK;
}

/* A change applied to base (NULL for a new lead): given fields replace, null clears. New reference. */
static json_t *
merge(const json_t *base, const json_t *body)
{
	json_t *m = base ? json_deep_copy(base) : json_object();

	if (m && json_object_update(m, (json_t *)body) != 0) {
		json_decref(m);
		return NULL;
	}
	return m;
}

/* Score the merged lead with model m as of today: it arrived on created_on (NULL: today). Fills row. */
static enum status
score_with(const struct score_model *m, cal_date today, const json_t *merged, int64_t id, const char *created_on,
	   struct lead_row *row)
{
	struct score_result *res = malloc(sizeof *res);
	struct lead l;
	enum status st = ST_INVALID;

	if (!res)
		return ST_NOMEM;
	if (lead_from_json(merged, &l) == ST_OK) {
		l.id = id;
		if (!created_on || cal_date_parse(created_on, &l.created_on) != ST_OK)
			l.created_on = today;
		score_lead(m, &l, today, res);
		st = lead_row_fill(row, merged, &l, m, res);
	}
	free(res);
	return st;
}

/* score_with the model of the merged lead's segment (which is set). */
static enum status
score_merged(struct db_conn *c, const char *org, const json_t *merged, int64_t id, const char *created_on,
	     struct lead_row *row)
{
	struct score_model m = { 0 };
	cal_date today;
	enum status st = lead_model_load(c, org, text_of(merged, "segment"), &m, &today);

	if (st == ST_OK)
		st = score_with(&m, today, merged, id, created_on, row);
	score_model_clear(&m);
	return st;
}

/* ---- owners ------------------------------------------------------------------------ */

DB_STMT(stmt_owner,
	"SELECT coalesce(p.segment, ''), ($3::bool OR p.id = $4::bigint OR p.team_id = ANY($5::bigint[]))"
	" FROM people p WHERE p.org_id = $1 AND p.id = $2::bigint");

/*
 * The owner a write names (NULL: none) must be a person of the org within
 * s; their segment (or "") goes to segment (>= 4 bytes).
 */
static enum status
owner_check(struct db_conn *c, const char *org, const struct lead_scope *s, const char *owner, char *segment,
	    struct issues *e)
{
	char self[24];
	const char *sp[3];
	PGresult *r;
	enum status st;

	segment[0] = '\0';
	if (!owner) {
		if (s->all)
			return ST_OK;
		issues_add(e, NULL, "%s", "only admins and services keep leads without an owner");
		return ST_FORBIDDEN;
	}
	scope_params(s, self, sizeof self, sp);
	r = db_exec(c, &stmt_owner, 5, (const char *[]){ org, owner, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) != 1) {
		issues_add(e, "owner_id", "%s", "no such person");
		st = ST_INVALID;
	} else if (PQgetvalue(r, 0, 1)[0] != 't') {
		issues_add(e, NULL, "%s", "the owner is outside the people whose leads you manage");
		st = ST_FORBIDDEN;
	} else
		snprintf(segment, 4, "%s", PQgetvalue(r, 0, 0));
out:
	PQclear(r);
	return st;
}

/* A lead without a segment takes its owner's, else b2b. */
static enum status
default_segment(json_t *merged, const char *owner_segment)
{
	const char *seg = text_of(merged, "segment");

	if (seg)
		return ST_OK;
	seg = *owner_segment ? owner_segment : "b2b";
	return json_object_set_new(merged, "segment", json_string(seg)) == 0 ? ST_OK : ST_NOMEM;
}

/* ---- leads ------------------------------------------------------------------------- */

DB_STMT(stmt_lead_get, "SELECT " LEAD_JSON " FROM leads l WHERE l.org_id = $1 AND l.id = $2::bigint AND "
		       IN_SCOPE("$3", "$4", "$5"));
DB_STMT(stmt_lead_lock,
	"SELECT " LEAD_INPUT_JSON ", l.version, " CREATED_ON ", l.status FROM leads l"
	" WHERE l.org_id = $1 AND l.id = $2::bigint AND " IN_SCOPE("$3", "$4", "$5") " FOR UPDATE OF l");
DB_STMT(stmt_lead_list,
	"SELECT " LEAD_JSON " FROM leads l WHERE l.org_id = $1 AND " IN_SCOPE("$2", "$3", "$4")
	" AND l.id > $5::bigint AND ($6::text IS NULL OR l.status = $6) AND ($7::text IS NULL OR l.grade = $7)"
	" AND ($8::text IS NULL OR l.segment = $8) AND ($9::text IS NULL OR l.source = $9)"
	" AND ($10::bigint IS NULL OR l.owner_id = $10) AND ($11::int IS NULL OR l.score >= $11)"
	" AND ($12::int IS NULL OR l.score <= $12) AND ($13::timestamptz IS NULL OR l.updated_at >= $13)"
	" AND ($14::text IS NULL OR l.external_id = $14) ORDER BY l.id LIMIT $15");
DB_STMT(stmt_lead_insert,
	"INSERT INTO leads AS l (org_id, " LEAD_COLUMNS ") VALUES ($1, " LEAD_VALUES ") RETURNING " LEAD_JSON);
DB_STMT(stmt_lead_update,
	"UPDATE leads l SET (" LEAD_COLUMNS ") = (" LEAD_VALUES "), version = l.version + 1, updated_at = now()"
	" WHERE l.org_id = $1 AND l.id = $25::bigint RETURNING " LEAD_JSON);
DB_STMT(stmt_lead_delete, "DELETE FROM leads WHERE org_id = $1 AND id = $2::bigint");

enum status
lead_get(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, struct rowjson *out)
{
	char idb[24], self[24];
	const char *sp[3];

	scope_params(s, self, sizeof self, sp);
	return row_exec(c, &stmt_lead_get, 5, (const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] },
			out);
}

enum status
lead_list(struct db_conn *c, const char *org, const struct lead_scope *s, const struct lead_filter *f,
	  struct page *out)
{
	char self[24], after[24], owner[24], smin[24], smax[24], lim[24];
	const char *sp[3];

	scope_params(s, self, sizeof self, sp);
	const char *params[] = {
		org,
		sp[0],
		sp[1],
		sp[2],
		row_int_param(f->after, after, sizeof after),
		f->status,
		f->grade,
		f->segment,
		f->source,
		row_id_param(f->owner_id, owner, sizeof owner),
		f->score_min >= 0 ? row_int_param(f->score_min, smin, sizeof smin) : NULL,
		f->score_max >= 0 ? row_int_param(f->score_max, smax, sizeof smax) : NULL,
		f->updated_since,
		f->external_id,
		row_int_param(f->limit + 1, lim, sizeof lim),
	};
	PGresult *r = db_exec(c, &stmt_lead_list, 15, params);
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK)
		page_fill(out, r, f->limit);
	PQclear(r);
	return st;
}

/* The stored lead `id` in scope, locked: its input JSON, version, arrival day and status. */
struct locked {
	json_t *input; /* owned */
	int version;
	char created_on[16];
	char status[16];
};

static enum status
lead_lock(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, struct locked *out)
{
	char idb[24], self[24];
	const char *sp[3];
	PGresult *r;
	enum status st;

	scope_params(s, self, sizeof self, sp);
	r = db_exec(c, &stmt_lead_lock, 5, (const char *[]){ org, row_id_param(id, idb, sizeof idb), sp[0], sp[1], sp[2] });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	if (PQntuples(r) != 1) {
		st = ST_NOT_FOUND;
		goto out;
	}
	if (!(out->input = json_loads(PQgetvalue(r, 0, 0), 0, NULL))) {
		st = ST_NOMEM;
		goto out;
	}
	out->version = atoi(PQgetvalue(r, 0, 1));
	snprintf(out->created_on, sizeof out->created_on, "%s", PQgetvalue(r, 0, 2));
	snprintf(out->status, sizeof out->status, "%s", PQgetvalue(r, 0, 3));
out:
	PQclear(r);
	return st;
}

static enum status
write_row(struct db_conn *c, struct db_stmt *stmt, const char *org, const char *id, const struct lead_row *row,
	  struct rowjson *out, struct issues *e)
{
	const char *params[NCOLS + 2];

	params[0] = org;
	memcpy(params + 1, row->v, sizeof row->v);
	params[NCOLS + 1] = id;
	enum status st = row_exec(c, stmt, id ? NCOLS + 2 : NCOLS + 1, params, out);
	return st == ST_OK ? st : explain_failure(c, st, e);
}

enum status
lead_create(struct db_conn *c, const char *org, const struct lead_scope *s, const json_t *body, struct rowjson *out,
	    struct issues *e)
{
	struct lead_row row = { 0 };
	char owner_segment[4];
	json_t *merged = merge(NULL, body);
	enum status st = ST_NOMEM;

	if (!merged)
		goto out;
	if ((st = owner_check(c, org, s, text_of(merged, "owner_id"), owner_segment, e)) != ST_OK ||
	    (st = default_segment(merged, owner_segment)) != ST_OK ||
	    (st = score_merged(c, org, merged, 0, NULL, &row)) != ST_OK)
		goto out;
	st = write_row(c, &stmt_lead_insert, org, NULL, &row, out, e);
out:
	lead_row_clear(&row);
	json_decref(merged);
	return st;
}

enum status
lead_update(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, const json_t *body,
	    int expect_version, struct rowjson *out, struct issues *e)
{
	struct locked cur = { 0 };
	struct lead_row row = { 0 };
	json_t *merged = NULL;
	char owner_segment[4], idb[24];
	enum status st;

	if ((st = lead_lock(c, org, s, id, &cur)) != ST_OK)
		goto out;
	if (expect_version >= 0 && cur.version != expect_version) {
		st = ST_STALE;
		goto out;
	}
	if (!(merged = merge(cur.input, body))) {
		st = ST_NOMEM;
		goto out;
	}
	const json_t *owner = json_object_get(body, "owner_id");
	const char *was = text_of(cur.input, "owner_id");
	if (owner && !(json_is_string(owner) && was && strcmp(was, json_string_value(owner)) == 0) &&
	    (st = owner_check(c, org, s, json_string_value(owner), owner_segment, e)) != ST_OK)
		goto out;
	if ((st = score_merged(c, org, merged, id, cur.created_on, &row)) != ST_OK)
		goto out;
	st = write_row(c, &stmt_lead_update, org, row_id_param(id, idb, sizeof idb), &row, out, e);
out:
	lead_row_clear(&row);
	json_decref(merged);
	json_decref(cur.input);
	return st;
}

enum status
lead_delete(struct db_conn *c, const char *org, const struct lead_scope *s, int64_t id, int expect_version)
{
	struct locked cur = { 0 };
	char idb[24];
	enum status st;

	if ((st = lead_lock(c, org, s, id, &cur)) != ST_OK)
		goto out;
	if (expect_version >= 0 && cur.version != expect_version) {
		st = ST_STALE;
		goto out;
	}
	PGresult *r = db_exec(c, &stmt_lead_delete, 2, (const char *[]){ org, row_id_param(id, idb, sizeof idb) });
	st = db_check(c, r, PGRES_COMMAND_OK);
	PQclear(r);
out:
	json_decref(cur.input);
	return st;
}

static json_t *
percent_or_null(const char *text)
{
	return text ? json_real(strtod(text, NULL)) : json_null();
}

enum status
lead_score_preview(struct db_conn *c, const char *org, const json_t *body, json_t **out, struct issues *e)
{
	struct lead_scope all = { .all = true };
	struct lead_row row = { 0 };
	struct score_model m = { 0 };
	char owner_segment[4];
	cal_date today;
	int version = 0;
	json_t *merged = merge(NULL, body);
	enum status st = ST_NOMEM;

	if (!merged)
		goto out;
	if ((st = owner_check(c, org, &all, text_of(merged, "owner_id"), owner_segment, e)) != ST_OK ||
	    (st = default_segment(merged, owner_segment)) != ST_OK ||
	    (st = model_load(c, org, text_of(merged, "segment"), false, &m, &today, &version)) != ST_OK ||
	    (st = score_with(&m, today, merged, 0, NULL, &row)) != ST_OK)
		goto out;
	json_t *v = json_pack("{s:s,s:i,s:s,s:o,s:s,s:o,s:o,s:i}", "segment", text_of(merged, "segment"), "score",
			      atoi(row.v[17]), "grade", row.v[18], "probability", percent_or_null(row.v[19]),
			      "suggested_status", row.v[20], "bant", json_loads(row.bant, 0, NULL), "score_breakdown",
			      json_loads(row.breakdown, 0, NULL), "model_version", version);
	st = v ? ST_OK : ST_NOMEM;
	if (v)
		*out = v;
out:
	score_model_clear(&m);
	lead_row_clear(&row);
	json_decref(merged);
	return st;
}

/* ---- conversion ------------------------------------------------------------------- */

DB_STMT(stmt_today, "SELECT " DB_DAY(DB_ORG_TODAY));

static enum status
org_today(struct db_conn *c, const char *org, cal_date *today)
{
	PGresult *r = db_exec(c, &stmt_today, 1, (const char *[]){ org });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK && (PQntuples(r) != 1 || cal_date_parse(PQgetvalue(r, 0, 0), today) != ST_OK))
		st = ST_INTERNAL;
	PQclear(r);
	return st;
}

/* The deal a conversion creates, from the lead and the request. */
static enum status
conversion_input(const json_t *lead, int64_t id, const struct lead_conversion *in, const struct stage_list *stages,
		 cal_date today, struct deal_input *d, char *name, size_t namelen, struct issues *e)
{
	struct lead l;
	int64_t owner = 0;
	const char *owner_text = text_of(lead, "owner_id");

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
	d->type = in->type ? in->type : "new_business";
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

enum status
lead_convert(struct db_conn *c, const char *org, const char *sub, const struct lead_scope *s, int64_t id,
	     const struct lead_conversion *in, struct rowjson *lead_out, struct rowjson *deal_out, struct issues *e)
{
	struct locked cur = { 0 };
	struct stage_list *stages = malloc(sizeof *stages);
	struct deal_input *d = malloc(sizeof *d);
	struct deal_resolved rs;
	struct deal_issue issues[4];
	struct lead_row row = { 0 };
	json_t *merged = NULL;
	char name[256], idb[24], deal_id[24];
	cal_date today;
	enum status st = ST_NOMEM;

	if (!stages || !d)
		goto out;
	if ((st = lead_lock(c, org, s, id, &cur)) != ST_OK)
		goto out;
	if (strcmp(cur.status, "converted") == 0) {
		issues_add(e, "status", "%s", "the lead is already converted");
		st = ST_CONFLICT;
		goto out;
	}
	if ((st = org_today(c, org, &today)) != ST_OK || (st = stages_load(c, org, stages)) != ST_OK ||
	    (st = conversion_input(cur.input, id, in, stages, today, d, name, sizeof name, e)) != ST_OK)
		goto out;
	if (deal_resolve(d, NULL, stages, &rs, issues, 4) > 0) {
		issues_add(e, strcmp(issues[0].field, "close_date") == 0 || strcmp(issues[0].field, "stage") == 0 ||
				   strcmp(issues[0].field, "amount") == 0
			       ? issues[0].field
			       : "body", "%s", issues[0].message);
		st = ST_INVALID;
		goto out;
	}
	if ((st = deal_create(c, org, sub, d, &rs, deal_out, e)) != ST_OK)
		goto out;
	if (!(merged = json_deep_copy(cur.input)) ||
	    json_object_set_new(merged, "status", json_string("converted")) != 0 ||
	    json_object_set_new(merged, "converted_deal_id", json_string(row_id_param(deal_out->id, deal_id, sizeof deal_id))) !=
		    0) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = score_merged(c, org, merged, id, cur.created_on, &row)) != ST_OK)
		goto out;
	st = write_row(c, &stmt_lead_update, org, row_id_param(id, idb, sizeof idb), &row, lead_out, e);
out:
	lead_row_clear(&row);
	json_decref(merged);
	json_decref(cur.input);
	free(stages);
	free(d);
	return st;
}

/* ---- funnel ----------------------------------------------------------------------- */

#define FUNNEL_COUNTS                                                                                     \
	"count(*) AS total, count(*) FILTER (WHERE status = 'new') AS new,                                   \
	 count(*) FILTER (WHERE status = 'qualified') AS qualified,                                          \
	 count(*) FILTER (WHERE status = 'nurture') AS nurture,                                              \
	 count(*) FILTER (WHERE status = 'disqualified') AS disqualified,                                    \
	 count(*) FILTER (WHERE status = 'converted') AS converted"
#define FUNNEL_FIELDS                                                                                     \
	"'total', total, 'new', new, 'qualified', qualified, 'nurture', nurture,                             \
	 'disqualified', disqualified, 'converted', converted, 'closed', converted + disqualified,           \
	 'conversion_closed_pct', round(100.0 * converted / nullif(converted + disqualified, 0), 2),         \
	 'conversion_all_pct', round(100.0 * converted / nullif(total, 0), 2)"

DB_STMT(stmt_funnel,
	"WITH f AS (SELECT CASE $5 WHEN 'source' THEN l.source WHEN 'segment' THEN l.segment"
	"  WHEN 'grade' THEN l.grade ELSE l.owner_id::text END AS key, l.status FROM leads l"
	"  WHERE l.org_id = $1 AND " IN_SCOPE("$2", "$3", "$4")
	"  AND ($6::date IS NULL OR (l.created_at AT TIME ZONE " DB_ORG_TZ ")::date >= $6::date)"
	"  AND ($7::date IS NULL OR (l.created_at AT TIME ZONE " DB_ORG_TZ ")::date <= $7::date)),"
	" g AS (SELECT key, " FUNNEL_COUNTS " FROM f GROUP BY key),"
	" t AS (SELECT " FUNNEL_COUNTS " FROM f)"
	" SELECT json_build_object('items', coalesce((SELECT json_agg(json_build_object('key', key, " FUNNEL_FIELDS ")"
	"  ORDER BY key NULLS LAST) FROM g), '[]'::json),"
	" 'total', (SELECT json_build_object(" FUNNEL_FIELDS ") FROM t))::text");

enum status
lead_funnel(struct db_conn *c, const char *org, const struct lead_scope *s, const char *from, const char *to,
	    const char *by, char **out)
{
	char self[24];
	const char *sp[3];

	scope_params(s, self, sizeof self, sp);
	PGresult *r = db_exec(c, &stmt_funnel, 7, (const char *[]){ org, sp[0], sp[1], sp[2], by, from, to });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	if (st == ST_OK) {
		char *text = PQntuples(r) == 1 ? strdup(PQgetvalue(r, 0, 0)) : NULL;
		if (text)
			*out = text;
		else
			st = PQntuples(r) == 1 ? ST_NOMEM : ST_INTERNAL;
	}
	PQclear(r);
	return st;
}

/* ---- re-scoring a segment ----------------------------------------------------------- */

DB_STMT(stmt_open_leads,
	"SELECT l.id, " LEAD_INPUT_JSON ", " CREATED_ON " FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 AND l.status IN ('new', 'qualified', 'nurture') ORDER BY l.id");
DB_STMT(stmt_rescore,
	"UPDATE leads l SET score = r.score, grade = r.grade, probability = r.probability,"
	" suggested_status = r.suggested_status, bant = r.bant, score_breakdown = r.score_breakdown,"
	" version = l.version + 1, updated_at = now() FROM lead_rescore_in r"
	" WHERE l.org_id = $1 AND l.id = r.id AND (l.score, l.grade, l.probability, l.suggested_status, l.bant,"
	" l.score_breakdown) IS DISTINCT FROM (r.score, r.grade, r.probability, r.suggested_status, r.bant,"
	" r.score_breakdown)");

#define RESCORE_TABLE                                                                                     \
	"DROP TABLE IF EXISTS pg_temp.lead_rescore_in; CREATE TEMP TABLE lead_rescore_in (id bigint NOT NULL, \
	 score int NOT NULL, grade text NOT NULL, probability numeric(5, 2), suggested_status text NOT NULL, \
	 bant jsonb NOT NULL, score_breakdown jsonb NOT NULL) ON COMMIT DROP"

/* One COPY line of lead_rescore_in for the lead of row i of an open-leads result. */
static enum status
rescore_line(const PGresult *r, int i, const struct score_model *m, cal_date today, struct score_result *res,
	     struct buf *b)
{
	struct lead_row row;
	struct lead l;
	json_t *input = json_loads(PQgetvalue(r, i, 1), 0, NULL);
	enum status st = ST_NOMEM;

	if (!input)
		return ST_NOMEM;
	if (lead_from_json(input, &l) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	l.id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	if (cal_date_parse(PQgetvalue(r, i, 2), &l.created_on) != ST_OK)
		l.created_on = today;
	score_lead(m, &l, today, res);
	if ((st = lead_row_fill(&row, input, &l, m, res)) != ST_OK)
		goto out;
	buf_puts(b, PQgetvalue(r, i, 0));
	for (int k = 17; k < NCOLS; k++) {
		buf_putc(b, '\t');
		copy_text(b, row.v[k]);
	}
	buf_putc(b, '\n');
	lead_row_clear(&row);
out:
	json_decref(input);
	return st;
}

/* Re-score the open leads of `segment` with m. */
static enum status
rescore(struct db_conn *c, const char *org, const char *segment, const struct score_model *m, cal_date today)
{
	struct score_result *res = malloc(sizeof *res);
	struct buf b = { 0 };
	PGresult *r = db_exec(c, &stmt_open_leads, 2, (const char *[]){ org, segment });
	enum status st = db_check(c, r, PGRES_TUPLES_OK), st2;

	if (st != ST_OK || PQntuples(r) == 0)
		goto out;
	if (!res) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = row_exec_raw(c, RESCORE_TABLE)) != ST_OK ||
	    (st = db_copy_start(c, "COPY lead_rescore_in FROM STDIN")) != ST_OK)
		goto out;
	for (int i = 0; i < PQntuples(r) && st == ST_OK; i++)
		if ((st = rescore_line(r, i, m, today, res, &b)) == ST_OK)
			st = copy_flush(c, &b, i == PQntuples(r) - 1);
	st2 = db_copy_end(c);
	if (st == ST_OK)
		st = st2;
	if (st != ST_OK)
		goto out;
	PQclear(r);
	r = db_exec(c, &stmt_rescore, 1, (const char *[]){ org });
	st = db_check(c, r, PGRES_COMMAND_OK);
out:
	PQclear(r);
	buf_clear(&b);
	free(res);
	return st;
}

enum status
lead_model_replace(struct db_conn *c, const char *org, const char *segment, const struct score_model *m,
		   int expect_version, struct rowjson *out)
{
	struct score_model full = *m;
	char *def = NULL;
	cal_date today;
	PGresult *r = db_exec(c, &stmt_model_lock, 2, (const char *[]){ org, segment });
	enum status st = db_check(c, r, PGRES_TUPLES_OK);

	full.predictive = NULL;
	if (st != ST_OK)
		goto out;
	if (PQntuples(r) != 1) {
		st = ST_NOT_FOUND;
		goto out;
	}
	if (expect_version >= 0 && atoi(PQgetvalue(r, 0, 0)) != expect_version) {
		st = ST_STALE;
		goto out;
	}
	if (!PQgetisnull(r, 0, 1)) {
		json_t *pred = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
		st = pred ? lr_model_from_json(pred, &full.predictive) : ST_NOMEM;
		json_decref(pred);
		if (st != ST_OK)
			goto out;
	}
	if (!(def = dump(score_model_to_json(m)))) {
		st = ST_NOMEM;
		goto out;
	}
	if ((st = row_exec(c, &stmt_model_replace, 3, (const char *[]){ org, segment, def }, out)) != ST_OK ||
	    (st = org_today(c, org, &today)) != ST_OK)
		goto out;
	st = rescore(c, org, segment, &full, today);
out:
	lr_model_free(full.predictive);
	free(def);
	PQclear(r);
	return st;
}

/* ---- training ------------------------------------------------------------------------- */

DB_STMT(stmt_closed_leads,
	"SELECT l.id, " LEAD_INPUT_JSON ", " CREATED_ON ", l.status = 'converted' FROM leads l"
	" WHERE l.org_id = $1 AND l.segment = $2 AND l.status IN ('converted', 'disqualified') ORDER BY l.id");

/* The closed leads of a result, for lead_train. */
struct closed_leads {
	const PGresult *r;
	json_t **docs;            /* owned: the parsed row while it is in use */
	int64_t *ids;             /* owned */
	unsigned char *converted; /* owned */
};

static enum status
closed_get(void *ctx, size_t i, struct lead *out)
{
	struct closed_leads *cl = ctx;
	json_t *doc = json_loads(PQgetvalue(cl->r, (int)i, 1), 0, NULL);

	if (!doc)
		return ST_NOMEM;
	if (lead_from_json(doc, out) != ST_OK) {
		json_decref(doc);
		return ST_INTERNAL;
	}
	json_decref(cl->docs[i]);
	cl->docs[i] = doc;
	out->id = strtoll(PQgetvalue(cl->r, (int)i, 0), NULL, 10);
	if (cal_date_parse(PQgetvalue(cl->r, (int)i, 2), &out->created_on) != ST_OK)
		out->created_on = 0;
	return ST_OK;
}

static void
closed_release(void *ctx, size_t i)
{
	struct closed_leads *cl = ctx;

	json_decref(cl->docs[i]);
	cl->docs[i] = NULL;
}

enum status
lead_model_train(struct db_conn *c, const char *org, const char *segment, int min_per_class, struct rowjson *out,
		 char *why, size_t whylen)
{
	struct score_model m = { 0 }, now = { 0 };
	struct closed_leads cl = { 0 };
	struct lr_model *learned = NULL;
	json_t *evaluation = NULL;
	char *pred = NULL, *eval = NULL;
	cal_date today;
	PGresult *r = NULL;
	enum status st;

	/* The long part reads without locks: lead writes and model changes go on meanwhile. */
	if ((st = model_load(c, org, segment, true, &m, &today, NULL)) != ST_OK)
		goto out;
	r = db_exec(c, &stmt_closed_leads, 2, (const char *[]){ org, segment });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	size_t n = (size_t)PQntuples(r);
	cl.r = r;
	cl.docs = calloc(n + 1, sizeof *cl.docs);
	cl.ids = calloc(n + 1, sizeof *cl.ids);
	cl.converted = calloc(n + 1, 1);
	if (!cl.docs || !cl.ids || !cl.converted) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cl.ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		cl.converted[i] = PQgetvalue(r, (int)i, 3)[0] == 't';
	}
	struct lead_source src = { .n = n, .ctx = &cl, .get = closed_get, .release = closed_release,
				   .ids = cl.ids, .converted = cl.converted };
	struct train_options o = { .min_per_class = min_per_class, .holdout_pct = 20 };
	if ((st = lead_train(&m, &src, &o, today, &learned, &evaluation, why, whylen)) != ST_OK)
		goto out;
	if (!(pred = dump(lr_model_to_json(learned))) || !(eval = dump(json_incref(evaluation)))) {
		st = ST_NOMEM;
		goto out;
	}
	/* The short part: store it (the row is now ours until commit) and re-score with the current rules. */
	if ((st = row_exec(c, &stmt_model_trained, 4, (const char *[]){ org, segment, pred, eval }, out)) != ST_OK ||
	    (st = lead_model_load(c, org, segment, &now, &today)) != ST_OK)
		goto out;
	st = rescore(c, org, segment, &now, today);
out:
	for (size_t i = 0; cl.docs && i < (size_t)PQntuples(r); i++)
		json_decref(cl.docs[i]);
	free(cl.docs);
	free(cl.ids);
	free(cl.converted);
	PQclear(r);
	score_model_clear(&m);
	score_model_clear(&now);
	lr_model_free(learned);
	json_decref(evaluation);
	free(pred);
	free(eval);
	return st;
}

/* ---- bulk sync ------------------------------------------------------------------------ */

DB_STMT(stmt_bulk_lock_org, "SELECT pg_advisory_xact_lock(hashtextextended('leads:' || $1, 0))");
DB_STMT(stmt_bulk_existing,
	"SELECT k.idx, " LEAD_INPUT_JSON ", " CREATED_ON ", " IN_SCOPE("$2", "$3", "$4") " FROM lead_bulk_keys k"
	" JOIN leads l ON l.org_id = $1 AND l.external_id = k.external_id FOR UPDATE OF l");
DB_STMT(stmt_bulk_people,
	"SELECT p.id, coalesce(p.segment, ''), ($3::bool OR p.id = $4::bigint OR p.team_id = ANY($5::bigint[]))"
	" FROM people p WHERE p.org_id = $1 AND p.id = ANY($2::bigint[]) ORDER BY p.id");
DB_STMT(stmt_bulk_deals,
	"SELECT d.id, '', true FROM deals d WHERE d.org_id = $1 AND d.id = ANY($2::bigint[]) ORDER BY d.id");
DB_STMT(stmt_bulk_upsert,
	"WITH up AS (INSERT INTO leads AS l (org_id, " LEAD_COLUMNS ")"
	"  SELECT $1, " LEAD_COLUMNS " FROM lead_bulk_in ORDER BY idx"
	"  ON CONFLICT (org_id, external_id) WHERE external_id IS NOT NULL DO UPDATE SET"
	"  (company, contact_name, email, segment, source, budget, authority, need, timeline, employees, industry,"
	"  engagement, attributes, owner_id, status, converted_deal_id, score, grade, probability, suggested_status,"
	"  bant, score_breakdown) = (" LEAD_EXCLUDED "), version = l.version + 1, updated_at = now()"
	"  WHERE (" LEAD_STORED ") IS DISTINCT FROM (" LEAD_EXCLUDED ")"
	"  RETURNING l.xmax = 0 AS created)"
	" SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM up");

#define BULK_KEYS_TABLE                                                                                   \
	"DROP TABLE IF EXISTS pg_temp.lead_bulk_keys; CREATE TEMP TABLE lead_bulk_keys (idx int NOT NULL,    \
	 external_id text NOT NULL) ON COMMIT DROP"
#define BULK_TABLE                                                                                        \
	"DROP TABLE IF EXISTS pg_temp.lead_bulk_in; CREATE TEMP TABLE lead_bulk_in (idx int NOT NULL,        \
	 external_id text NOT NULL, company text, contact_name text, email text, segment text NOT NULL,      \
	 source text, budget numeric(14, 2), authority text, need text, timeline date, employees int,        \
	 industry text, engagement int, attributes jsonb NOT NULL, owner_id bigint, status text NOT NULL,    \
	 converted_deal_id bigint, score int NOT NULL, grade text NOT NULL, probability numeric(5, 2),       \
	 suggested_status text NOT NULL, bant jsonb NOT NULL, score_breakdown jsonb NOT NULL) ON COMMIT DROP"

void
lead_bulk_result_clear(struct lead_bulk_result *r)
{
	free(r->rejects);
	memset(r, 0, sizeof *r);
}

/* Ids found in the database (sorted), each with a segment and whether it is in the caller's scope. */
struct idset {
	int64_t *ids;      /* owned */
	char (*segment)[4]; /* owned */
	bool *in_scope;    /* owned */
	size_t n;
};

static void
idset_clear(struct idset *s)
{
	free(s->ids);
	free(s->segment);
	free(s->in_scope);
	memset(s, 0, sizeof *s);
}

/* The index in s of id, -1 when absent. */
static long
idset_find(const struct idset *s, int64_t id)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->ids[mid] == id)
			return (long)mid;
		if (s->ids[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * The rows of `stmt` (id, segment, in scope) for the ids the items give
 * (deals: want_deals), with the scope parameters as $3..$5.
 */
static enum status
load_ids(struct db_conn *c, const char *org, const char *const *sp, const struct lead_bulk_item *items, size_t n,
	 bool want_deals, struct idset *out)
{
	struct buf lit = { 0 };
	bool any = false;
	PGresult *r = NULL;
	enum status st = ST_OK;

	buf_putc(&lit, '{');
	for (size_t i = 0; i < n; i++) {
		int64_t id = want_deals ? items[i].converted_deal_id : items[i].owner_id;
		if (id > 0) {
			buf_printf(&lit, any ? ",%" PRId64 : "%" PRId64, id);
			any = true;
		}
	}
	buf_putc(&lit, '}');
	if (!any)
		goto out;
	if (lit.oom) {
		st = ST_NOMEM;
		goto out;
	}
	if (want_deals)
		r = db_exec(c, &stmt_bulk_deals, 2, (const char *[]){ org, lit.data });
	else
		r = db_exec(c, &stmt_bulk_people, 5, (const char *[]){ org, lit.data, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK)
		goto out;
	size_t rows = (size_t)PQntuples(r);
	out->ids = malloc((rows + 1) * sizeof *out->ids);
	out->segment = malloc((rows + 1) * sizeof *out->segment);
	out->in_scope = malloc((rows + 1) * sizeof *out->in_scope);
	if (!out->ids || !out->segment || !out->in_scope) {
		st = ST_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < rows; i++) {
		out->ids[i] = strtoll(PQgetvalue(r, (int)i, 0), NULL, 10);
		snprintf(out->segment[i], sizeof out->segment[i], "%s", PQgetvalue(r, (int)i, 1));
		out->in_scope[i] = PQgetvalue(r, (int)i, 2)[0] == 't';
	}
	out->n = rows;
out:
	PQclear(r);
	buf_clear(&lit);
	return st;
}

/* The stored state of the existing leads the items name, by item position. */
struct existing {
	PGresult *r;  /* owned */
	int *row_of;  /* owned: item position -> row of r, -1 = new lead */
};

static enum status
load_existing(struct db_conn *c, const char *org, const char *const *sp, const struct lead_bulk_item *items,
	      size_t n, struct existing *ex)
{
	struct buf b = { 0 };
	enum status st, st2;

	if (!(ex->row_of = malloc((n + 1) * sizeof *ex->row_of)))
		return ST_NOMEM;
	for (size_t i = 0; i < n; i++)
		ex->row_of[i] = -1;
	if ((st = row_exec_raw(c, BULK_KEYS_TABLE)) != ST_OK ||
	    (st = db_copy_start(c, "COPY lead_bulk_keys FROM STDIN")) != ST_OK)
		return st;
	for (size_t i = 0; i < n && st == ST_OK; i++) {
		buf_printf(&b, "%zu\t", i);
		copy_text(&b, items[i].external_id);
		buf_putc(&b, '\n');
		st = copy_flush(c, &b, i == n - 1);
	}
	st2 = db_copy_end(c);
	buf_clear(&b);
	if (st != ST_OK || (st = st2) != ST_OK)
		return st;
	ex->r = db_exec(c, &stmt_bulk_existing, 4, (const char *[]){ org, sp[0], sp[1], sp[2] });
	if ((st = db_check(c, ex->r, PGRES_TUPLES_OK)) != ST_OK)
		return st;
	for (int k = 0; k < PQntuples(ex->r); k++) {
		size_t pos = (size_t)strtoull(PQgetvalue(ex->r, k, 0), NULL, 10);
		if (pos < n)
			ex->row_of[pos] = k;
	}
	return ST_OK;
}

struct bulk_ctx {
	const struct lead_scope *scope;
	struct score_model models[2]; /* b2b, b2c */
	cal_date today;
	struct idset owners;
	struct idset deals;
	struct existing ex;
	struct score_result res;
	struct lead_bulk_result *out;
};

static void
reject(struct bulk_ctx *bc, int index, const char *field, const char *message)
{
	struct lead_bulk_result *out = bc->out;

	out->rejects[out->nrejects++] = (struct lead_bulk_reject){ index, field, message };
}

/* Why the references of item it cannot be written (NULL: they can); *segment is the owner's. */
static bool
refs_refused(struct bulk_ctx *bc, const struct lead_bulk_item *it, int row, const char **segment)
{
	long at;

	*segment = "";
	if (row >= 0 && PQgetvalue(bc->ex.r, row, 3)[0] != 't') {
		reject(bc, it->index, "external_id", "the existing lead with this external_id is outside your scope");
		return true;
	}
	if (it->owner_id > 0) {
		if ((at = idset_find(&bc->owners, it->owner_id)) < 0) {
			reject(bc, it->index, "owner_id", "no such person");
			return true;
		}
		if (!bc->owners.in_scope[at]) {
			reject(bc, it->index, "owner_id", "outside the people whose leads you manage");
			return true;
		}
		*segment = bc->owners.segment[at];
	}
	if (it->converted_deal_id > 0 && idset_find(&bc->deals, it->converted_deal_id) < 0) {
		reject(bc, it->index, "converted_deal_id", "no such deal");
		return true;
	}
	return false;
}

/* Merge, check and score item i; append its COPY line to b, or a reject (then *rejected). */
static enum status
bulk_item(struct bulk_ctx *bc, const struct lead_bulk_item *it, size_t i, struct buf *b, bool *rejected)
{
	int row = bc->ex.row_of[i];
	json_t *body = NULL, *base = NULL, *merged = NULL;
	struct lead_row lr = { 0 };
	struct lead l;
	const char *owner_segment;
	enum status st = ST_NOMEM;

	*rejected = true;
	if (refs_refused(bc, it, row, &owner_segment))
		return ST_OK;
	if (!(body = json_loads(it->json, 0, NULL)) ||
	    (row >= 0 && !(base = json_loads(PQgetvalue(bc->ex.r, row, 1), 0, NULL))))
		goto out;
	if (!(merged = merge(base, body)) || default_segment(merged, owner_segment) != ST_OK)
		goto out;
	st = ST_OK;
	if (!text_of(merged, "owner_id") && !bc->scope->all) {
		reject(bc, it->index, "owner_id", "is required: only admins and services keep leads without an owner");
		goto out;
	}
	if (text_of(merged, "converted_deal_id") &&
	    strcmp(text_of(merged, "status") ? text_of(merged, "status") : "new", "converted") != 0) {
		reject(bc, it->index, "converted_deal_id", "only a converted lead links a deal");
		goto out;
	}
	if (lead_from_json(merged, &l) != ST_OK) {
		st = ST_INTERNAL;
		goto out;
	}
	if (row < 0 || cal_date_parse(PQgetvalue(bc->ex.r, row, 2), &l.created_on) != ST_OK)
		l.created_on = bc->today;
	const struct score_model *m = &bc->models[strcmp(l.segment, "b2c") == 0];
	score_lead(m, &l, bc->today, &bc->res);
	if ((st = lead_row_fill(&lr, merged, &l, m, &bc->res)) != ST_OK)
		goto out;
	buf_printf(b, "%d", it->index);
	for (int k = 0; k < NCOLS; k++) {
		buf_putc(b, '\t');
		copy_text(b, lr.v[k]);
	}
	buf_putc(b, '\n');
	*rejected = false;
	st = b->oom ? ST_NOMEM : ST_OK;
out:
	lead_row_clear(&lr);
	json_decref(body);
	json_decref(base);
	json_decref(merged);
	return st;
}

static enum status
bulk_write(struct db_conn *c, const char *org, struct buf *b, long accepted, struct lead_bulk_result *out)
{
	PGresult *r;
	enum status st, st2;

	if (accepted == 0)
		return ST_OK;
	if ((st = row_exec_raw(c, BULK_TABLE)) != ST_OK || (st = db_copy_start(c, "COPY lead_bulk_in FROM STDIN")) != ST_OK)
		return st;
	for (size_t off = 0; off < b->len && st == ST_OK;) {
		size_t len = b->len - off < (1u << 20) ? b->len - off : (1u << 20);
		/* whole lines only */
		while (off + len < b->len && b->data[off + len - 1] != '\n')
			len++;
		st = db_copy_put(c, b->data + off, len);
		off += len;
	}
	st2 = db_copy_end(c);
	if (st != ST_OK || (st = st2) != ST_OK)
		return st;
	r = db_exec(c, &stmt_bulk_upsert, 1, (const char *[]){ org });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) == ST_OK && PQntuples(r) == 1) {
		out->created = atol(PQgetvalue(r, 0, 0));
		out->updated = atol(PQgetvalue(r, 0, 1));
		out->unchanged = accepted - out->created - out->updated;
	}
	PQclear(r);
	return st;
}

static void
bulk_ctx_free(struct bulk_ctx *bc)
{
	if (!bc)
		return;
	score_model_clear(&bc->models[0]);
	score_model_clear(&bc->models[1]);
	idset_clear(&bc->owners);
	idset_clear(&bc->deals);
	PQclear(bc->ex.r);
	free(bc->ex.row_of);
	free(bc);
}

enum status
lead_bulk_run(struct db_conn *c, const char *org, const struct lead_scope *s, const struct lead_bulk_item *items,
	      size_t n, bool atomic, bool rejected_before, struct lead_bulk_result *out)
{
	struct bulk_ctx *bc = calloc(1, sizeof *bc);
	struct lead_bulk_result res = { 0 };
	struct buf b = { 0 };
	PGresult *r = NULL;
	char self[24];
	const char *sp[3];
	long accepted = 0;
	bool rejected;
	enum status st = ST_NOMEM;

	scope_params(s, self, sizeof self, sp);
	if (!bc || !(res.rejects = calloc(n + 1, sizeof *res.rejects)))
		goto out;
	bc->scope = s;
	bc->out = &res;
	st = ST_OK;
	if (n == 0)
		goto done;
	r = db_exec(c, &stmt_bulk_lock_org, 1, (const char *[]){ org });
	if ((st = db_check(c, r, PGRES_TUPLES_OK)) != ST_OK ||
	    (st = lead_model_load(c, org, "b2b", &bc->models[0], &bc->today)) != ST_OK ||
	    (st = lead_model_load(c, org, "b2c", &bc->models[1], &bc->today)) != ST_OK ||
	    (st = load_ids(c, org, sp, items, n, false, &bc->owners)) != ST_OK ||
	    (st = load_ids(c, org, sp, items, n, true, &bc->deals)) != ST_OK ||
	    (st = load_existing(c, org, sp, items, n, &bc->ex)) != ST_OK)
		goto out;
	for (size_t i = 0; i < n && st == ST_OK; i++) {
		st = bulk_item(bc, &items[i], i, &b, &rejected);
		accepted += !rejected;
	}
	if (st != ST_OK)
		goto out;
done:
	if (atomic && (res.nrejects || rejected_before)) {
		st = ST_INVALID;
		goto out;
	}
	st = bulk_write(c, org, &b, accepted, &res);
out:
	bulk_ctx_free(bc);
	PQclear(r);
	buf_clear(&b);
	if (st == ST_OK || st == ST_INVALID)
		*out = res;
	else
		lead_bulk_result_clear(&res);
	return st;
}
