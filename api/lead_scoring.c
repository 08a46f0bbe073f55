/*
 * lead_scoring.c — /v1/lead-scoring/models/{segment}: each segment's scoring
 * model (rules, caps, thresholds, BANT criteria, blend weight), its training
 * from the org's closed leads, and the evaluation of that training
 * (DESIGN §7 "Leads"; leads/score.h, leads/model.h and leads/training.h say how scores are made,
 * leads/service.h what each operation does).
 */
#include <stdio.h>
#include <string.h>

#include "api/handlers.h"
#include "api/lead_jobs.h"
#include "api/parse.h"
#include "api/respond.h"
#include "api/write.h"
#include "leads/lead.h"
#include "leads/service.h"

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
	struct issues e = { 0 };
	struct caller who;
	const char *segment = path_segment(r);

	if (!segment)
		return;
	req_caller_unscoped(r, &who);
	respond_outcome(r, leads_service_model_get(r->conn, &who, segment, &row, &e), &e, &row, 200, NULL);
	rowjson_clear(&row);
}

void
handle_lead_models_put(struct req *r)
{
	struct body_write w = { 0 };
	const char *segment = path_segment(r);

	if (segment && body_write_begin(r, false, &w) && body_write_ready(r, &w, true))
		body_write_answer(r, &w,
				  leads_service_model_put(r->conn, &w.who, segment, w.body, req_if_match(r), &w.row, &w.e),
				  200, NULL);
	body_write_clear(&w);
}

/*
 * POST .../train: queue a training job (or find the one in flight for the
 * segment) and answer 202 with its Location to poll. The job's thread takes
 * it once this request's transaction has committed (leads/service.h).
 */
void
handle_lead_models_train(struct req *r)
{
	static const char *const none[] = { NULL };
	struct rowjson row = { 0 };
	struct issues e = { 0 };
	struct caller who;
	const char *segment = path_segment(r);
	json_t *body = NULL;
	bool created = false;
	char location[64];
	enum status st;
	size_t len;

	if (!segment)
		return;
	/* no options yet: the body is empty or {} */
	req_body(r, &len);
	if (len && !(body = parse_body_object(r)))
		return;
	if (body)
		parse_only(body, none, &e);
	json_decref(body);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	req_caller_unscoped(r, &who);
	if ((st = leads_service_train_submit(r->conn, &who, segment, &row, &created, &e)) == ST_OK && created &&
	    !lead_jobs_submit(r->app->jobs, who.org, row.id))
		st = ST_UNAVAILABLE;
	if (st != ST_OK)
		respond_store_error(r, st, &e);
	else {
		snprintf(location, sizeof location, "/v1/lead-scoring/jobs/%lld", (long long)row.id);
		respond_header(r, "Location", location);
		respond_json_text(r, 202, row.json);
		row.json = NULL;
	}
	rowjson_clear(&row);
}

/* GET /v1/lead-scoring/jobs/{id}: a training job's state. */
void
handle_lead_jobs_get(struct req *r)
{
	struct rowjson row = { 0 };
	struct issues e = { 0 };
	struct caller who;
	int64_t id;
	enum status st;

	if (!req_path_id(r, 0, &id))
		return;
	req_caller_unscoped(r, &who);
	if ((st = leads_service_job_get(r->conn, &who, id, &row, &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else {
		respond_json_text(r, 200, row.json);
		row.json = NULL;
	}
	rowjson_clear(&row);
}

/*
 * The evaluation as one CSV table for BI: a row per calibration decile and
 * per grade, each with the training's version, the serving learner (empty
 * for a training before the trees) and its headline metrics.
 */
static void
evaluation_csv(struct req *r, const char *text)
{
	static const char *const columns[] = { "segment", "trained_version", "trained_at", "learner", "auc", "brier",
					       "log_loss", "section", "bucket", "count", "predicted_pct", "observed_pct",
					       "converted", "conversion_rate_pct", NULL };
	static const char *const head[] = { "segment", "trained_version", "trained_at", "learner", "auc", "brier",
					    "log_loss", NULL };
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
	struct issues e = { 0 };
	struct caller who;
	const char *segment = path_segment(r);
	enum status st;

	if (!segment)
		return;
	req_caller_unscoped(r, &who);
	if ((st = leads_service_model_evaluation(r->conn, &who, segment, &row, &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else if (respond_wants_csv(r))
		evaluation_csv(r, row.json);
	else {
		respond_json_text(r, 200, row.json);
		row.json = NULL;
	}
	rowjson_clear(&row);
}
