/*
 * quota_plans.c — planning quotas (DESIGN §7 "Quotas"): a team's quota and
 * its roll-up, allocating a team number across its parts, splitting a
 * quota across its child periods, suggestions, and coverage. Each handler
 * reads its request and hands it to the quota service.
 */
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/quotas.h"
#include "api/respond.h"
#include "core/money.h"

#define MAX_LOOKBACK 24

/* The service's result *out (set by the call that gave st) with ok_status, or its failure. */
static void
answer(struct req *r, enum status st, struct issues *e, json_t **out, int ok_status)
{
	if (st == ST_OK)
		respond_json(r, ok_status, *out);
	else
		respond_store_error(r, st, e);
}

/* ---- GET /v1/teams/{team_id}/quota and /quota-coverage -------------------------------- */

typedef enum status (*team_read_fn)(struct db_conn *c, const struct caller *who, int64_t team_id,
                                    const struct quota_spec *spec, json_t **out, struct issues *e);

static void
team_read(struct req *r, team_read_fn op)
{
	struct quota_spec spec;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;
	int64_t team_id;

	quota_query_spec(r, &e, &spec);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_path_id(r, 0, &team_id) && req_caller(r, &who))
		answer(r, op(r->conn, &who, team_id, &spec, &out, &e), &e, &out, 200);
}

void
handle_team_quota(struct req *r)
{
	team_read(r, quota_service_team);
}

void
handle_quota_coverage(struct req *r)
{
	team_read(r, quota_service_coverage);
}

/* ---- POST /v1/teams/{team_id}/quota-allocations -------------------------------------- */

/* A percentage field (at most 2 decimals) in hundredths into *bp, within lo..hi (hundredths). */
static enum field_state
parse_pct(json_t *body, const char *k, int64_t lo, int64_t hi, struct issues *e, int64_t *bp)
{
	enum field_state fs = parse_money(body, k, true, e, bp);

	if (fs == FIELD_SET && (*bp < lo || *bp > hi)) {
		issues_add(e, k, "must be between %lld and %lld", (long long)(lo / 100),
		           (long long)(hi / 100));
		return FIELD_BAD;
	}
	return fs;
}

/* An optional JSON value that must not be null to count (borrowed from body). */
static json_t *
present(json_t *body, const char *k)
{
	json_t *v = json_object_get(body, k);

	return v && !json_is_null(v) ? v : NULL;
}

/* The allocation body into *q; false with the problems in e. */
static bool
alloc_read(json_t *body, struct quota_alloc_input *q, struct issues *e)
{
	static const char *const allowed[] = {"period",           "metric",    "filter",     "total",
	                                      "method",           "weights",   "uplift_pct", "rounding",
	                                      "lookback_periods", "floor_pct", "dry_run",    NULL};
	static const char *const required[] = {"period", "method", NULL};
	static const char *const methods[] = {"equal", "historical", "weighted", "capacity", NULL};
	const char *metric = "revenue", *method = NULL;
	long long lookback = 4;
	bool filter_set;

	*q = (struct quota_alloc_input){.floor_bp = 1000};
	quota_body_fields(body, allowed, required, e);
	if (parse_string(body, "period", 1, 16, e, &q->spec.period) == FIELD_SET)
		quota_period_read(q->spec.period, "period", e);
	parse_enum(body, "metric", quota_metrics, e, &metric);
	q->spec.metric = quota_metric_from_name(metric);
	quota_filter_read(body, e, &q->spec.filter_type, &q->spec.filter_segment, &filter_set);
	if (parse_enum(body, "method", methods, e, &method) == FIELD_SET)
		for (int i = 0; methods[i]; i++)
			if (methods[i] == method)
				q->method = (enum quota_method)i;
	q->has_total = parse_money(body, "total", false, e, &q->total) == FIELD_SET;
	parse_pct(body, "uplift_pct", -9999, 100000, e, &q->uplift_bp);
	q->unit = quota_metric_unit(q->spec.metric);
	if (parse_money(body, "rounding", false, e, &q->unit) == FIELD_SET && q->unit < 1)
		issues_add(e, "rounding", "must be greater than 0");
	if (parse_int(body, "lookback_periods", 1, MAX_LOOKBACK, e, &lookback) == FIELD_SET &&
	    q->method != QUOTA_METHOD_HISTORICAL)
		issues_add(e, "lookback_periods", "applies to the historical method only");
	q->lookback = (int)lookback;
	if (parse_pct(body, "floor_pct", 0, 10000, e, &q->floor_bp) == FIELD_SET &&
	    q->method != QUOTA_METHOD_HISTORICAL)
		issues_add(e, "floor_pct", "applies to the historical method only");
	parse_bool(body, "dry_run", e, &q->dry_run);
	q->weights = present(body, "weights");
	if (q->method == QUOTA_METHOD_WEIGHTED && !q->weights && method)
		issues_add(e, "weights", "is required for the weighted method");
	if (q->weights && method && q->method != QUOTA_METHOD_WEIGHTED)
		issues_add(e, "weights", "applies to the weighted method only");
	if (q->weights && !json_is_object(q->weights))
		issues_add(e, "weights", "must be an object {\"person:ID\" | \"team:ID\": number}");
	if (q->spec.metric == QUOTA_DEAL_COUNT) {
		if (q->has_total && q->total % 100 != 0)
			issues_add(e, "total", "a deal_count total is a whole number of deals");
		if (q->unit % 100 != 0)
			issues_add(e, "rounding", "a deal_count rounding is a whole number of deals");
	}
	return !issues_any(e);
}

void
handle_quota_allocations(struct req *r)
{
	struct quota_alloc_input in;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL, *body = parse_body_object(r);
	int64_t team_id;

	if (!body)
		return;
	if (!alloc_read(body, &in, &e))
		respond_errors(r, &e);
	else if (req_path_id(r, 0, &team_id) && req_caller(r, &who))
		answer(r, quota_service_allocate(r->conn, &who, team_id, &in, &out, &e), &e, &out,
		       in.dry_run ? 200 : 201);
	json_decref(body);
}

/* ---- POST /v1/quotas/{quota_id}/split ------------------------------------------------ */

/* The split body into *q; false with the problems in e. */
static bool
split_read(json_t *body, struct quota_split_input *q, struct issues *e)
{
	static const char *const allowed[] = {"grain", "method", "percentages", NULL};
	static const char *const required[] = {"grain", "method", NULL};
	static const char *const grains[] = {"quarter", "month", NULL};
	static const char *const methods[] = {"even", "historical", "percentages", NULL};
	const char *grain = NULL, *method = NULL;

	*q = (struct quota_split_input){0};
	quota_body_fields(body, allowed, required, e);
	if (parse_enum(body, "grain", grains, e, &grain) == FIELD_SET)
		period_grain_parse(grain, &q->grain);
	if (parse_enum(body, "method", methods, e, &method) == FIELD_SET)
		q->method = strcmp(method, "historical") == 0    ? QUOTA_SPLIT_HISTORICAL
		            : strcmp(method, "percentages") == 0 ? QUOTA_SPLIT_PERCENTAGES
		                                                 : QUOTA_SPLIT_EVEN;
	q->percentages = present(body, "percentages");
	if (method && q->method == QUOTA_SPLIT_PERCENTAGES && !q->percentages)
		issues_add(e, "percentages", "is required for the percentages method");
	if (method && q->method != QUOTA_SPLIT_PERCENTAGES && q->percentages)
		issues_add(e, "percentages", "applies to the percentages method only");
	return !issues_any(e);
}

void
handle_quotas_split(struct req *r)
{
	struct quota_split_input in;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL, *body = NULL;
	int64_t id;

	if (!req_path_id(r, 0, &id) || !(body = parse_body_object(r)))
		return;
	if (!split_read(body, &in, &e))
		respond_errors(r, &e);
	else if (req_caller(r, &who))
		answer(r, quota_service_split(r->conn, &who, id, &in, &out, &e), &e, &out, 201);
	json_decref(body);
}

/* ---- GET /v1/quota-suggestions -------------------------------------------------------- */

/* growth: a percentage with at most 2 decimals, > -100 and <= 1000; hundredths into *bp. */
static void
query_growth(struct req *r, struct issues *e, int64_t *bp)
{
	const char *v = req_query(r, "growth");

	*bp = 0;
	if (!v)
		return;
	if (money_parse_text(v, bp) != ST_OK || strlen(v) > 16)
		issues_add(e, "growth", "must be a percentage with at most 2 decimals");
	else if (*bp <= -10000 || *bp > 100000)
		issues_add(e, "growth", "must be greater than -100 and at most 1000");
}

void
handle_quota_suggestions(struct req *r)
{
	struct quota_suggest_query q = {0};
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;
	const char *assignee = NULL;

	quota_query_spec(r, &e, &q.spec);
	if (query_string(r, "assignee", 40, &e, &assignee) == FIELD_ABSENT)
		issues_add(&e, "assignee", "is required");
	else if (assignee && quota_ref_parse(assignee, &q.assignee) != ST_OK)
		issues_add(&e, "assignee", "must be person:ID or team:ID");
	query_growth(r, &e, &q.growth_bp);
	if (issues_any(&e))
		respond_errors(r, &e);
	else if (req_caller(r, &who))
		answer(r, quota_service_suggest(r->conn, &who, &q, &out, &e), &e, &out, 200);
}
