/*
 * forecasts.c — /v1/forecasts (DESIGN §7 "Forecasts"): the roll-up with the
 * owners' calls, and the calls (submissions). Each handler reads its request
 * and hands it to the forecast service.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/quotas.h"
#include "api/respond.h"
#include "api/write.h"
#include "forecast/service.h"

/* The roll-up as rows for CSV: the scope, then each child (key, name, then the figures). */
static json_t *
forecast_rows(json_t *out)
{
	static const char *const skip[] = {"scope", "period", "as_of", "children", "person", "team", NULL};
	json_t *rows = json_array(), *children = json_object_get(out, "children");
	size_t n = json_array_size(children);

	if (!rows)
		return NULL;
	for (size_t i = 0; i <= n; i++) {
		json_t *o = i == 0 ? out : json_array_get(children, i - 1), *row = json_object(), *v;
		const char *k;
		if (!row || json_array_append_new(rows, row) != 0) {
			json_decref(rows);
			return NULL;
		}
		json_object_foreach(o, k, v) {
			bool skipped = false;
			for (int s = 0; skip[s]; s++)
				skipped = skipped || strcmp(k, skip[s]) == 0;
			if (!skipped)
				json_object_set(row, k, v);
		}
	}
	return rows;
}

void
handle_forecasts(struct req *r)
{
	struct perf_query q;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;
	bool bias_adjusted = false;

	perf_query_read(r, &e, &q);
	query_bool(r, "bias_adjusted", &e, &bias_adjusted);
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = forecast_service_rollup(r->conn, &who, &q, bias_adjusted, &out, &e);
	if (st == ST_OK && respond_wants_csv(r)) {
		json_t *rows = forecast_rows(out);
		json_decref(out);
		out = rows ? json_pack("{s:o}", "rows", rows) : NULL;
		st = out ? ST_OK : ST_NOMEM;
	}
	respond_read(r, st, &e, out, "rows");
}

/* ---- POST /v1/forecasts/submissions ------------------------------------------------------------ */

static bool
call_read(json_t *body, struct forecast_call *in, struct issues *e)
{
	static const char *const allowed[] = {"scope", "period", "commit", "best_case", "notes", NULL};
	const char *scope = NULL;

	*in = (struct forecast_call){0};
	parse_only(body, allowed, e);
	parse_require(body, "scope", e);
	parse_require(body, "period", e);
	parse_require(body, "commit", e);
	parse_require(body, "best_case", e);
	if (parse_string(body, "scope", 1, 40, e, &scope) == FIELD_SET)
		scope_read(scope, e, &in->scope);
	if (parse_string(body, "period", 1, 16, e, &in->period) == FIELD_SET)
		quota_period_read(in->period, "period", e);
	parse_money(body, "commit", false, e, &in->commit);
	parse_money(body, "best_case", false, e, &in->best_case);
	parse_string(body, "notes", 0, 2000, e, &in->notes);
	return !issues_any(e);
}

void
handle_forecast_submit(struct req *r)
{
	struct body_write w;
	struct forecast_call in;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, call_read(w.body, &in, &w.e)))
		body_write_answer(r, &w, forecast_service_submit(r->conn, &w.who, &in, &w.row, &w.e), 201, NULL);
	body_write_clear(&w);
}

/* ---- PUT /v1/forecasts/adjustments, GET /v1/forecasts/adjustments ---------------------------------- */

void
handle_forecast_adjust(struct req *r)
{
	struct body_write w;
	struct forecast_call in;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, call_read(w.body, &in, &w.e)))
		body_write_answer(r, &w, forecast_service_adjust(r->conn, &w.who, &in, &w.row, &w.e), 200, NULL);
	body_write_clear(&w);
}

typedef enum status (*list_fn)(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                               const char *period, int64_t before, int limit, struct page *out, struct issues *e);

/* A list of calls (submissions or adjustments) of ?scope=&period=, newest first. */
static void
calls_list(struct req *r, list_fn op, const char *const *columns)
{
	struct perf_scope scope = {.kind = PERF_ORG};
	struct issues e = {0};
	struct caller who;
	struct page p = {0};
	const char *text = NULL, *period = NULL;
	int limit;
	int64_t before;
	enum status st;

	if (query_string(r, "scope", 40, &e, &text) == FIELD_ABSENT)
		issues_add(&e, "scope", "is required");
	else if (text)
		scope_read(text, &e, &scope);
	if (query_string(r, "period", 16, &e, &period) == FIELD_SET)
		quota_period_read(period, "period", &e);
	query_page(r, &e, &limit, &before);
	if (issues_any(&e)) {
		respond_errors(r, &e);
		return;
	}
	if (!req_caller(r, &who))
		return;
	if ((st = op(r->conn, &who, &scope, period, before, limit, &p, &e)) != ST_OK)
		respond_store_error(r, st, &e);
	else
		respond_page(r, &p, columns);
	page_clear(&p);
	issues_clear(&e);
}

void
handle_forecast_adjustments(struct req *r)
{
	static const char *const columns[] = {"id", "scope", "period", "commit", "best_case", "notes", "sub",
	                                      "by_person", "made_at", NULL};
	calls_list(r, forecast_service_adjustments, columns);
}

void
handle_forecast_submissions(struct req *r)
{
	static const char *const columns[] = {"id", "scope", "period", "commit", "best_case", "notes", "sub",
	                                      "submitted_at", NULL};
	calls_list(r, forecast_service_submissions, columns);
}

/* ---- POST /v1/forecasts/snapshots, GET /v1/forecasts/snapshots ---------------------------------------- */

static bool
snapshot_read(json_t *body, struct perf_query *q, struct issues *e)
{
	static const char *const allowed[] = {"scope", "period", NULL};
	const char *scope = NULL;

	*q = (struct perf_query){.scope = {.kind = PERF_ORG}};
	parse_only(body, allowed, e);
	parse_require(body, "scope", e);
	parse_require(body, "period", e);
	if (parse_string(body, "scope", 1, 40, e, &scope) == FIELD_SET)
		scope_read(scope, e, &q->scope);
	if (parse_string(body, "period", 1, 16, e, &q->period) == FIELD_SET)
		quota_period_read(q->period, "period", e);
	return !issues_any(e);
}

void
handle_forecast_snapshot(struct req *r)
{
	struct body_write w;
	struct perf_query q;

	if (body_write_begin(r, false, &w) && body_write_ready(r, &w, snapshot_read(w.body, &q, &w.e)))
		body_write_answer(r, &w, forecast_service_snapshot(r->conn, &w.who, &q, &w.row, &w.e), 201, NULL);
	body_write_clear(&w);
}

void
handle_forecast_snapshots(struct req *r)
{
	static const char *const columns[] = {"id", "scope", "period", "sub", "taken_at", "rollup", NULL};
	calls_list(r, forecast_service_snapshots, columns);
}

/* ---- GET /v1/forecasts/accuracy ------------------------------------------------------------------ */

void
handle_forecast_accuracy(struct req *r)
{
	struct forecast_accuracy_query q = {.scope = {.kind = PERF_ORG}, .at = {.unit = ACC_WEEK, .n = 4}};
	struct issues e = {0};
	struct caller who;
	const char *scope = NULL, *at = NULL;
	json_t *out = NULL;

	if (query_string(r, "scope", 40, &e, &scope) == FIELD_ABSENT)
		issues_add(&e, "scope", "is required");
	else if (scope)
		scope_read(scope, &e, &q.scope);
	if (query_string(r, "from", 16, &e, &q.from) == FIELD_ABSENT)
		issues_add(&e, "from", "is required");
	else if (q.from)
		quota_period_read(q.from, "from", &e);
	if (query_string(r, "to", 16, &e, &q.to) == FIELD_ABSENT)
		issues_add(&e, "to", "is required");
	else if (q.to)
		quota_period_read(q.to, "to", &e);
	if (query_string(r, "at", 16, &e, &at) == FIELD_SET && !acc_at_parse(at, &q.at))
		issues_add(&e, "at", "must be week:N (1..%d) or day:N (1..%d) of the period", ACC_WEEK_MAX, ACC_DAY_MAX);
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = forecast_service_accuracy(r->conn, &who, &q, &out, &e);
	respond_read(r, st, &e, out, "rows");
}

/* ---- GET and POST /v1/forecasts/projection ---------------------------------------------------------- */

static const char *const methods[] = {"auto", "naive", "seasonal_naive", "ses", "holt", "damped", "theta", "comb",
                                      "weighted_comb", NULL};

void
handle_forecast_projection(struct req *r)
{
	static const char *const grains[] = {"month", "quarter", "year", NULL};
	struct forecast_projection_query q = {.scope = {.kind = PERF_ORG}, .grain = GRAIN_QUARTER, .horizon = 4};
	struct issues e = {0};
	struct caller who;
	const char *scope = NULL, *metric = "revenue", *grain = "quarter", *method = "auto";
	long long horizon = 4;
	json_t *out = NULL;

	if (query_string(r, "scope", 40, &e, &scope) == FIELD_ABSENT)
		issues_add(&e, "scope", "is required");
	else if (scope)
		scope_read(scope, &e, &q.scope);
	query_enum(r, "metric", quota_metrics, &e, &metric);
	query_enum(r, "grain", grains, &e, &grain);
	query_enum(r, "method", methods, &e, &method);
	query_int(r, "horizon", 1, FC_MAX_HORIZON, &e, &horizon);
	q.metric = quota_metric_from_name(metric);
	period_grain_parse(grain, &q.grain);
	fc_method_parse(method, &q.method);
	q.horizon = (size_t)horizon;
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = forecast_service_projection(r->conn, &who, &q, &out, &e);
	respond_read(r, st, &e, out, NULL);
}

void
handle_forecast_project(struct req *r)
{
	static const char *const allowed[] = {"values", "frequency", "horizon", "method", NULL};
	struct issues e = {0};
	json_t *body = parse_body_object(r), *values, *v, *out = NULL;
	const char *method = "auto";
	long long frequency = 0, horizon = 0;
	enum fc_method m = FC_AUTO;
	double *y = NULL;
	size_t i, n = 0;

	if (!body)
		return;
	parse_only(body, allowed, &e);
	parse_require(body, "values", &e);
	parse_require(body, "frequency", &e);
	parse_require(body, "horizon", &e);
	if (parse_int(body, "frequency", 1, 12, &e, &frequency) == FIELD_SET && frequency != 1 && frequency != 4 &&
	    frequency != 12)
		issues_add(&e, "frequency", "must be 1 (yearly), 4 (quarterly) or 12 (monthly)");
	parse_int(body, "horizon", 1, FC_MAX_HORIZON, &e, &horizon);
	if (parse_enum(body, "method", methods, &e, &method) == FIELD_SET)
		fc_method_parse(method, &m);
	values = json_object_get(body, "values");
	if (values && !json_is_null(values)) {
		n = json_array_size(values);
		if (!json_is_array(values) || n == 0 || n > FC_MAX_N)
			issues_add(&e, "values", "must be an array of 1 to %d numbers", FC_MAX_N);
		else if (!(y = calloc(n, sizeof *y)))
			issues_add(&e, "values", "%s", "too large");
		else
			json_array_foreach(values, i, v) {
				double d = json_number_value(v);
				if (!json_is_number(v) || !isfinite(d) || fabs(d) > 1e15) {
					issues_add(&e, "values", "item %zu: must be a number (at most 1e15 in size)", i);
					break;
				}
				y[i] = d;
			}
	}
	if (issues_any(&e)) {
		respond_errors(r, &e);
		goto out;
	}
	struct fc_result res;
	enum status st = fc_forecast(y, n, (int)frequency, (size_t)horizon, m, &res);
	if (st == ST_OK && !(out = forecast_projection_json(&res, m, NULL)))
		st = ST_NOMEM;
	if (st == ST_INVALID)
		issues_add(&e, "values", "%s", "cannot be projected");
	respond_read(r, st, &e, out, NULL);
out:
	free(y);
	json_decref(body);
	issues_clear(&e);
}
