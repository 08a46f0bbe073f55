/*
 * performance.c — GET /v1/performance (DESIGN §7 "Performance"): reads the
 * scope, period, metric, day and explain flag and hands them to the
 * performance service; JSON, or one flat CSV row for BI tools.
 */
#include <stdlib.h>
#include <string.h>

#include "api/handlers.h"
#include "api/parse.h"
#include "api/quotas.h"
#include "api/respond.h"
#include "perf/service.h"

/* "person:ID", "team:ID" or "org" into *s; an issue on "scope" otherwise (api/handlers.h). */
void
scope_read(const char *text, struct issues *e, struct perf_scope *s)
{
	struct quota_ref ref;

	*s = (struct perf_scope){.kind = PERF_ORG};
	if (strcmp(text, "org") == 0)
		return;
	if (quota_ref_parse(text, &ref) != ST_OK) {
		issues_add(e, "scope", "must be person:ID, team:ID or org");
		return;
	}
	s->kind = ref.type == QUOTA_PERSON ? PERF_PERSON : PERF_TEAM;
	s->id = ref.id;
}

/* The query of GET /v1/performance into *q (strings borrowed from the request; api/handlers.h). */
void
perf_query_read(struct req *r, struct issues *e, struct perf_query *q)
{
	const char *scope = NULL, *metric = "revenue";

	*q = (struct perf_query){0};
	if (query_string(r, "scope", 40, e, &scope) == FIELD_ABSENT)
		issues_add(e, "scope", "is required");
	else if (scope)
		scope_read(scope, e, &q->scope);
	if (query_string(r, "period", 16, e, &q->period) == FIELD_ABSENT)
		issues_add(e, "period", "is required");
	else if (q->period)
		quota_period_read(q->period, "period", e);
	query_enum(r, "metric", quota_metrics, e, &metric);
	q->metric = quota_metric_from_name(metric);
	q->has_as_of = query_date(r, "as_of", e, &q->as_of) == FIELD_SET;
	query_bool(r, "explain", e, &q->explain);
}

/*
 * Answer a read: the JSON text of an answer from the result cache as it is
 * (text: a JSON answer only), else out as respond_read renders it.
 */
static void
answer(struct req *r, enum status st, struct issues *e, json_t *out, char *text, const char *rows)
{
	if (st == ST_OK && text) {
		json_decref(out);
		respond_json_text(r, 200, text);
		return;
	}
	free(text);
	respond_read(r, st, e, out, rows);
}

/* Where a service may give an answer from the result cache as text: JSON answers only. */
static char **
text_of(struct req *r, char **text)
{
	*text = NULL;
	return respond_wants_csv(r) ? NULL : text;
}

void
handle_performance(struct req *r)
{
	struct perf_query q;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;
	char *text;

	perf_query_read(r, &e, &q);
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = perf_service_get(r->conn, &who, &q, &out, text_of(r, &text), &e);
	answer(r, st, &e, out, text, NULL);
}

/* ---- GET /v1/performance/leaderboard and /distribution ---------------------------------- */

/* The query both read: team (absent: the org), period, metric, as_of. */
static void
board_read(struct req *r, struct issues *e, struct perf_board_query *q)
{
	const char *metric = "revenue";
	int64_t team = 0;

	*q = (struct perf_board_query){.scope = {.kind = PERF_ORG}, .limit = 50};
	if (query_id(r, "team", e, &team) == FIELD_SET)
		q->scope = (struct perf_scope){.kind = PERF_TEAM, .id = team};
	if (query_string(r, "period", 16, e, &q->period) == FIELD_ABSENT)
		issues_add(e, "period", "is required");
	else if (q->period)
		quota_period_read(q->period, "period", e);
	query_enum(r, "metric", quota_metrics, e, &metric);
	q->metric = quota_metric_from_name(metric);
	q->has_as_of = query_date(r, "as_of", e, &q->as_of) == FIELD_SET;
}

void
handle_performance_leaderboard(struct req *r)
{
	static const char *const levels[] = {"people", "teams", NULL};
	static const char *const orders[] = {"desc", "asc", NULL};
	const char *level = "people", *order = "desc";
	struct perf_board_query q;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;
	long long limit = 50;
	int64_t next = -1, after = 0;
	const char *cursor;
	char *text;

	board_read(r, &e, &q);
	query_enum(r, "level", levels, &e, &level);
	query_enum(r, "sort", perf_board_figures, &e, &q.sort);
	query_enum(r, "order", orders, &e, &order);
	query_int(r, "limit", 1, 500, &e, &limit);
	if ((cursor = req_query(r, "cursor")) && !cursor_decode(cursor, &after))
		issues_add(&e, "cursor", "malformed cursor; pass next_cursor from the previous page");
	q.teams = strcmp(level, "teams") == 0;
	q.ascending = strcmp(order, "asc") == 0;
	q.limit = (int)limit;
	q.offset = after;
	q.cursor = cursor_encode;
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = perf_service_leaderboard(r->conn, &who, &q, &out, text_of(r, &text), &next, &e);
	if (st == ST_OK && next >= 0) {
		char c[64];
		cursor_encode(next, c, sizeof c);
		respond_header(r, "X-Next-Cursor", c);
	}
	answer(r, st, &e, out, text, "items");
}

void
handle_performance_distribution(struct req *r)
{
	struct perf_board_query q;
	struct issues e = {0};
	struct caller who;
	json_t *out = NULL;

	char *text;

	board_read(r, &e, &q);
	if (!respond_read_ready(r, &e, &who))
		return;
	enum status st = perf_service_distribution(r->conn, &who, &q, &out, text_of(r, &text), &e);
	answer(r, st, &e, out, text, NULL);
}

/* ---- GET /v1/performance/trend and /scorecard ---------------------------------------------- */

/* from, to (required dates), grain (default dflt), metric into *q. */
static void
series_read(struct req *r, struct issues *e, struct perf_series_query *q, const char *dflt)
{
	static const char *const grains[] = {"month", "quarter", "year", NULL};
	const char *metric = "revenue", *grain = dflt;

	if (query_date(r, "from", e, &q->from) == FIELD_ABSENT)
		issues_add(e, "from", "is required");
	if (query_date(r, "to", e, &q->to) == FIELD_ABSENT)
		issues_add(e, "to", "is required");
	query_enum(r, "grain", grains, e, &grain);
	period_grain_parse(grain, &q->grain);
	query_enum(r, "metric", quota_metrics, e, &metric);
	q->metric = quota_metric_from_name(metric);
}

typedef enum status (*series_fn)(struct db_conn *c, const struct caller *who, const struct perf_series_query *q,
                                 json_t **out, char **text, struct issues *e);

/* Run op on q and answer its JSON, or its points as CSV rows. */
static void
series_answer(struct req *r, struct perf_series_query *q, struct issues *e, series_fn op)
{
	struct caller who;
	json_t *out = NULL;
	char *text;

	if (!respond_read_ready(r, e, &who))
		return;
	enum status st = op(r->conn, &who, q, &out, text_of(r, &text), e);
	answer(r, st, e, out, text, "points");
}

void
handle_performance_trend(struct req *r)
{
	struct perf_series_query q = {0};
	struct issues e = {0};
	const char *scope = NULL;
	struct perf_query pq;

	if (query_string(r, "scope", 40, &e, &scope) == FIELD_ABSENT)
		issues_add(&e, "scope", "is required");
	else if (scope) {
		scope_read(scope, &e, &pq.scope);
		q.scope = pq.scope;
	}
	series_read(r, &e, &q, "month");
	series_answer(r, &q, &e, perf_service_trend);
}

void
handle_performance_scorecard(struct req *r)
{
	struct perf_series_query q = {0};
	struct issues e = {0};
	int64_t person = 0;

	if (query_id(r, "person", &e, &person) == FIELD_ABSENT)
		issues_add(&e, "person", "is required");
	q.scope = (struct perf_scope){.kind = PERF_PERSON, .id = person};
	series_read(r, &e, &q, "quarter");
	series_answer(r, &q, &e, perf_service_scorecard);
}
