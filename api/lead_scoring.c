/*
 * lead_scoring.c — /v1/lead-scoring/models/{segment}: each segment's scoring
 * model (rules, caps, thresholds, BANT criteria, blend weight), its training
 * from the org's closed leads, and the evaluation of that training
 * (DESIGN §7 "Leads"; leads/score.h and leads/model.h say how scores are made).
 */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/respond.h"
#include "leads/lead.h"
#include "leads/score.h"
#include "leads/store.h"

/* Closed leads of each class a training needs at least. */
#define TRAIN_MIN_PER_CLASS 50

/* The {segment} of the path; NULL (404 answered) when it is not b2b or b2c. */
static const char *
path_segment(struct req *r)
{
	int k = lead_enum_index(lead_segments, r->params[0]);

	if (k < 0) {
		respond_problem(r, 404, "no such segment: use b2b or b2c", NULL);
		return NULL;
	}
	return lead_segments[k];
}

void
handle_lead_models_get(struct req *r)
{
	struct rowjson row = { 0 };
	const char *segment = path_segment(r);

	if (!segment)
		return;
	enum status st = lead_model_get(r->conn, r->who.org, segment, &row);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_row(r, 200, &row, NULL);
	rowjson_clear(&row);
}

/*
 * A PUT body as the model parser takes it: a model read with GET may be
 * sent back whole (its read-only parts are dropped; a `segment` must be the
 * path's), and what the body leaves out of thresholds, bant (each part) and
 * predicted_weight keeps its current value. ST_INVALID with e filled, or
 * the status of reading the current model.
 */
static enum status
put_body(struct req *r, const char *segment, json_t *body, struct issues *e)
{
	static const char *const read_only[] = { "version", "predictive", "updated_at", NULL };
	static const char *const kept[] = { "thresholds", "bant", "predicted_weight", NULL };
	const json_t *seg = json_object_get(body, "segment");
	struct rowjson row = { 0 };
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
	if ((st = lead_model_get(r->conn, r->who.org, segment, &row)) != ST_OK)
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
		json_object_foreach(json_object_get(current, "bant"), key, v) {
			if (!json_object_get(bant, key))
				json_object_set((json_t *)bant, key, v);
		}
	}
	json_decref(current);
	rowjson_clear(&row);
	return ST_OK;
}

void
handle_lead_models_put(struct req *r)
{
	struct score_model m = { 0 };
	struct rowjson row = { 0 };
	struct issues e = { 0 };
	const char *segment = path_segment(r);
	json_t *body;

	if (!segment || !(body = parse_body_object(r)))
		return;
	enum status pst = put_body(r, segment, body, &e);
	if (pst == ST_INVALID) {
		respond_errors(r, &e);
		goto out;
	}
	if (pst != ST_OK) {
		respond_status(r, pst, NULL);
		goto out;
	}
	enum status mst = score_model_parse(body, &m, &e);
	if (mst == ST_INVALID) {
		respond_errors(r, &e);
		goto out;
	}
	if (mst != ST_OK) {
		respond_status(r, mst, NULL);
		goto out;
	}
	enum status st = lead_model_replace(r->conn, r->who.org, segment, &m, req_if_match(r), &row);
	if (st != ST_OK)
		respond_status(r, st, NULL);
	else
		respond_row(r, 200, &row, NULL);
out:
	issues_clear(&e);
	score_model_clear(&m);
	rowjson_clear(&row);
	json_decref(body);
}

void
handle_lead_models_train(struct req *r)
{
	struct rowjson row = { 0 };
	struct issues e = { 0 };
	const char *segment = path_segment(r);
	char why[256] = "";
	size_t len;
	json_t *body = NULL;

	if (!segment)
		return;
	/* no options yet: the body is empty or {} */
	req_body(r, &len);
	if (len) {
		static const char *const none[] = { NULL };
		if (!(body = parse_body_object(r)))
			return;
		parse_only(body, none, &e);
		json_decref(body);
		if (issues_any(&e)) {
			respond_errors(r, &e);
			return;
		}
	}
	enum status st = lead_model_train(r->conn, r->who.org, segment, TRAIN_MIN_PER_CLASS, &row, why, sizeof why);
	if (st != ST_OK)
		respond_status(r, st, st == ST_UNPROCESSABLE ? why : NULL);
	else
		respond_json_text(r, 200, row.json);
	row.json = NULL;
	rowjson_clear(&row);
}

/*
 * The evaluation as one CSV table for BI: a row per calibration decile and
 * per grade, each with the model's version and headline metrics.
 */
static void
evaluation_csv(struct req *r, const char *text)
{
	static const char *const columns[] = { "segment", "version", "trained_at", "auc", "brier", "log_loss",
					       "section", "bucket", "count", "predicted_pct", "observed_pct",
					       "converted", "conversion_rate_pct", NULL };
	static const char *const head[] = { "segment", "version", "trained_at", "auc", "brier", "log_loss", NULL };
	json_t *ev = json_loads(text, 0, NULL), *rows = json_array();
	size_t i;
	json_t *item;

	if (!ev || !rows) {
		json_decref(ev);
		json_decref(rows);
		respond_status(r, ST_NOMEM, NULL);
		return;
	}
	/* each row is a copy of its bin, named by its section and bucket; the columns pick the fields */
	static const struct {
		const char *section, *array, *bucket;
	} parts[] = { { "calibration", "calibration", "decile" }, { "grade", "by_grade", "grade" } };
	for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
		json_array_foreach(json_object_get(ev, parts[p].array), i, item) {
			json_t *row = json_copy(item);
			if (!row)
				continue;
			json_object_set_new(row, "section", json_string(parts[p].section));
			json_object_set(row, "bucket", json_object_get(item, parts[p].bucket));
			for (int k = 0; head[k]; k++)
				if (json_object_get(ev, head[k]))
					json_object_set(row, head[k], json_object_get(ev, head[k]));
			json_array_append_new(rows, row);
		}
	respond_csv(r, rows, columns);
	json_decref(rows);
	json_decref(ev);
}

void
handle_lead_models_evaluation(struct req *r)
{
	struct rowjson row = { 0 };
	const char *segment = path_segment(r);

	if (!segment)
		return;
	enum status st = lead_model_evaluation(r->conn, r->who.org, segment, &row);
	if (st == ST_NOT_FOUND)
		respond_status(r, st, "the model of this segment has not been trained yet");
	else if (st != ST_OK)
		respond_status(r, st, NULL);
	else if (respond_wants_csv(r))
		evaluation_csv(r, row.json);
	else {
		respond_json_text(r, 200, row.json);
		row.json = NULL;
	}
	rowjson_clear(&row);
}
