/*
 * service.h — the forecast operations (DESIGN §7 "Forecasts"): the roll-up
 * of a scope with the owners' calls, and the calls themselves.
 *
 * Layers: every call is given `raw` (the deals alone: the roll-up's commit
 * and best-case forecasts, perf_service_forecast_rollup), `owner` (the
 * scope owner's latest submission made by the end of as_of; null when
 * none) and `final` (the latest adjustment by a manager above, made by the
 * end of as_of, when the caller may see it; else the owner's call).
 *
 * Who calls: a person for themself, a manager for a team they lead (its
 * manager). Who reads: as /v1/performance (auth/scope.h scope_quota_*).
 */
#ifndef ATTAIN_FORECAST_SERVICE_H
#define ATTAIN_FORECAST_SERVICE_H

#include <jansson.h>

#include "auth/scope.h"
#include "core/issue.h"
#include "core/status.h"
#include "db/db.h"
#include "db/row.h"
#include "forecast/accuracy.h"
#include "forecast/engine.h"
#include "perf/service.h"

/* A call as a request makes it. Strings borrowed. */
struct forecast_call {
	struct perf_scope scope; /* a person or a team */
	const char *period;
	int64_t commit, best_case; /* cents */
	const char *notes;         /* NULL = none */
};

/*
 * The roll-up of q (perf_service_forecast_rollup) with a `calls` object
 * {raw, owner, final} on the scope and on each child, as JSON into *out.
 * With bias_adjusted, each call also has `bias_adjusted`: the final commit
 * times the bias measured for that person or team (forecast_service_accuracy
 * at FORECAST_BIAS_AT over the FORECAST_BIAS_PERIODS periods of q's grain
 * before q's period, those closed by today; none with fewer than
 * FORECAST_BIAS_MIN_CALLS of them called).
 */
enum status forecast_service_rollup(struct db_conn *c, const struct caller *who, const struct perf_query *q,
                                    bool bias_adjusted, json_t **out, struct issues *e);

#define FORECAST_BIAS_PERIODS 4
#define FORECAST_BIAS_MIN_CALLS 2
#define FORECAST_BIAS_AT ((struct acc_at){.unit = ACC_WEEK, .n = 4})

/*
 * Submit call `in` (kept forever, with the snapshot of the scope's roll-up
 * at this moment) into *out. ST_NOT_FOUND for an unknown person or team;
 * ST_FORBIDDEN unless the caller owns the scope; ST_INVALID naming "scope"
 * for the org, "period" for a bad period, "best_case" below commit.
 */
enum status forecast_service_submit(struct db_conn *c, const struct caller *who, const struct forecast_call *in,
                                    struct rowjson *out, struct issues *e);

/*
 * A page of the submissions of `scope` (person or team) for `period` (NULL
 * = any), newest first, ids below `before` (0 = from the newest), into
 * *out. Read access to the scope's figures is needed (403 / 404 as
 * /v1/performance).
 */
enum status forecast_service_submissions(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                                         const char *period, int64_t before, int limit, struct page *out,
                                         struct issues *e);

/*
 * Adjust the call of `in`'s scope (a new layer, kept forever with who made
 * it) into *out. Only a manager above the scope (auth/scope.h
 * scope_forecast_adjusts): ST_FORBIDDEN otherwise; errors otherwise as
 * forecast_service_submit.
 */
enum status forecast_service_adjust(struct db_conn *c, const struct caller *who, const struct forecast_call *in,
                                    struct rowjson *out, struct issues *e);

/*
 * A page of the adjustments of `scope` for `period` (NULL = any), newest
 * first. Execs, admins, services and the managers above the scope see them;
 * the scope's owner does not (ST_FORBIDDEN).
 */
enum status forecast_service_adjustments(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                                         const char *period, int64_t before, int limit, struct page *out,
                                         struct issues *e);

/*
 * Freeze the roll-up of q's scope and period (as getForecastRollup answers
 * it now, calls included) into *out. Anyone who may read the scope's
 * figures may; errors as perf_service_forecast_rollup.
 */
enum status forecast_service_snapshot(struct db_conn *c, const struct caller *who, const struct perf_query *q,
                                      struct rowjson *out, struct issues *e);

/* A page of the snapshots of `scope` (the org too) for `period` (NULL = any), newest first. Read access as above. */
enum status forecast_service_snapshots(struct db_conn *c, const struct caller *who, const struct perf_scope *scope,
                                       const char *period, int64_t before, int limit, struct page *out,
                                       struct issues *e);

/* ---- accuracy (accuracy.h) ------------------------------------------------------------------ */

/* GET /v1/forecasts/accuracy. */
struct forecast_accuracy_query {
	struct perf_scope scope;
	const char *from, *to; /* period ids of one grain, from <= to */
	struct acc_at at;
};

/* At most this many periods from `from` to `to`. */
#define FORECAST_ACCURACY_MAX_PERIODS 24

/*
 * The calls of q's scope against what closed, for the periods from q->from
 * to q->to that are closed by today (the org's day): for each person and
 * team of the scope (a person; a team with its subtree; the org: every
 * team) and period, what closed (achieved, split credit, as today), the
 * final call standing at the end of q->at's day (the latest adjustment the
 * caller may see, else the owner's latest submission; none: missing) and
 * the raw commit forecast standing then; the figures of accuracy.h per
 * person, per team, rolled up over the people, and the people's by week
 * of the period. As JSON into *out (openapi.yaml ForecastAccuracy). Access
 * as /v1/performance; ST_INVALID naming "from" or "to" for bad periods.
 */
enum status forecast_service_accuracy(struct db_conn *c, const struct caller *who,
                                      const struct forecast_accuracy_query *q, json_t **out, struct issues *e);

/* ---- projections (engine.h) ---------------------------------------------------------------- */

/*
 * The projection of `res` as JSON: {method, method_asked, note, seasonal,
 * backtest: {smape, mase} | null, points: [{step, mean, lo80, hi80, lo95,
 * hi95}]}; each point's `period` from labels[i] when labels is given.
 * NULL on OOM.
 */
json_t *forecast_projection_json(const struct fc_result *res, enum fc_method asked, const char *const *labels);

/* GET /v1/forecasts/projection: the next periods of a scope's won business. */
struct forecast_projection_query {
	struct perf_scope scope;
	enum quota_metric metric;
	enum period_grain grain;
	size_t horizon;
	enum fc_method method;
};

/*
 * Project q's scope: its credited won value (or deals) per period of
 * q->grain, from its first won period to the last complete one before
 * today (at most 10 years), then q->horizon periods ahead, as JSON into
 * *out: {scope, metric, grain, history: [{period, value}], projection}.
 * Read access as /v1/performance. ST_UNPROCESSABLE when there is no
 * complete period with history.
 */
enum status forecast_service_projection(struct db_conn *c, const struct caller *who,
                                        const struct forecast_projection_query *q, json_t **out, struct issues *e);

#endif
