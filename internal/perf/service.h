/*
 * service.h — the performance operations (DESIGN §7 "Performance"): a
 * scope's figures for a period as of a day.
 *
 * Access (the rule of quota reads, auth/scope.h scope_quota_*): a rep sees
 * their own figures, a manager those of the people and teams of their
 * subtree, execs, admins and services everything; the org's figures need
 * read access to everything. A person or team that is not in the org is
 * ST_NOT_FOUND ("no such person" / "no such team"); one outside what the
 * caller may see ST_FORBIDDEN.
 */
#ifndef ATTAIN_PERF_SERVICE_H
#define ATTAIN_PERF_SERVICE_H

#include <jansson.h>
#include <stdbool.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"
#include "db/db.h"
#include "perf/store.h"
#include "quota/quota.h"

struct perf_query {
	struct perf_scope scope;
	const char *period; /* a period id; checked here (issue on "period") */
	enum quota_metric metric;
	bool has_as_of;
	cal_date as_of; /* with has_as_of; else today in the org's time zone */
	bool explain;   /* list the deals behind achieved and open_pipeline */
};

/*
 * The caller may see the figures of scope s: ST_OK; ST_NOT_FOUND ("no such
 * person" / "no such team") or ST_FORBIDDEN otherwise, with the reason in e.
 */
enum status perf_service_may_see(struct db_conn *c, const struct caller *who, const struct perf_scope *s,
                                 struct issues *e);

/* At most this many deals in an explanation (explain_truncated beyond). */
#define PERF_EXPLAIN_MAX 5000

/*
 * The result cache (internal/cache): a team's or the org's figures (not a
 * person's, nor an explanation), leaderboards, distributions, trends and
 * scorecards are kept under the org's data version (0017_data_versions),
 * today, the caller's visibility and the query, after the access checks.
 * Each of these operations takes `text`: NULL, or where an answer from the
 * cache is given as its JSON text (malloc'd; then *out is NULL), for a
 * caller that only renders it as JSON; *text is left alone otherwise (set it
 * to NULL first).
 */

/*
 * The figures of q as JSON into *out (json_decref): the shape of
 * openapi.yaml's Performance. Errors as above; ST_INVALID naming "period".
 */
enum status perf_service_get(struct db_conn *c, const struct caller *who, const struct perf_query *q, json_t **out,
                             char **text, struct issues *e);

/* GET /v1/performance/leaderboard and /distribution: a team's (or the org's) people or child teams. */
struct perf_board_query {
	struct perf_scope scope; /* a team (its whole subtree) or the org */
	const char *period;
	enum quota_metric metric;
	bool has_as_of;
	cal_date as_of;
	bool teams;       /* rank the child teams (the org: its root teams) instead of the people */
	const char *sort; /* a figure of perf_board_figures; NULL = attainment_pct */
	bool ascending;   /* lowest first (default: highest first) */
	int limit;
	int64_t offset; /* rows before the page */
	/* NULL, or how the offset of the next page is written as next_cursor (a leaderboard's answer) */
	void (*cursor)(int64_t next, char *buf, size_t len);
};

/* The figures a leaderboard may be sorted by (NULL-terminated). */
extern const char *const perf_board_figures[];

/*
 * The ranked page of q as JSON into *out (json_decref): {period, metric,
 * as_of, level, sort, order, total, items: [{rank, person|team, figures…}]}
 * and the offset of the next page into *next (-1 when this is the last),
 * also as next_cursor (null on the last page) when q->cursor is set.
 * Ties keep the id order; rank is 1 + the rows strictly ahead. Errors as
 * perf_service_get.
 */
enum status perf_service_leaderboard(struct db_conn *c, const struct caller *who, const struct perf_board_query *q,
                                     json_t **out, char **text, int64_t *next, struct issues *e);

/*
 * The attainment distribution of q's people who have a quota (effective
 * quota above 0) as JSON into *out: buckets, the share at or above quota,
 * quartiles and median (perf_compute_distribution). q->sort, teams, limit
 * and offset are not used.
 */
enum status perf_service_distribution(struct db_conn *c, const struct caller *who,
                                      const struct perf_board_query *q, json_t **out, char **text,
                                      struct issues *e);

/*
 * GET /v1/forecasts (the raw layer: the deals alone): q's pipeline by
 * forecast category with the cumulative views, the probability-weighted
 * pipeline, the quota and the gaps, the risk signals, and the same for
 * each direct child, as JSON into *out. q->metric, explain unused.
 */
enum status perf_service_forecast_rollup(struct db_conn *c, const struct caller *who, const struct perf_query *q,
                                         json_t **out, struct issues *e);

/* A team or person whose forecast calls are measured (perf_service_call_figures). */
struct perf_call_entity {
	bool team;
	int64_t id;
	int64_t team_of; /* a person's team, when met as a member of the walk's team (else 0) */
	char *name;      /* owned; NULL when none */
	int64_t *closed; /* per period: credited won amount as of today, cents (owned) */
	int64_t *called; /* per period: the commit forecast (closed + commit) as of that period's at day (owned) */
};
void perf_call_entities_free(struct perf_call_entity *v, size_t n);
/*
 * What forecast accuracy measures, for a team or the org (not a person):
 * the teams and people of scope s in the order a walk of the tree meets
 * them (a team, its members by id, then its child teams by id, each
 * walked; the org: its root teams), or with `shallow` the scope and its
 * direct children only (a child team with its subtree's figures), each with,
 * per period pi of the np (at least one), its closed amount as of today and
 * its commit forecast as of at[pi], as perf_service_forecast_rollup gives
 * them; into *out (perf_call_entities_free) and *n. Two statements per
 * period, whatever the size of the tree. Read access as perf_service_get.
 */
enum status perf_service_call_figures(struct db_conn *c, const struct caller *who, const struct perf_scope *s,
                                      bool shallow, const struct period *periods, const cal_date *at, size_t np,
                                      struct perf_call_entity **out, size_t *n, struct issues *e);

/*
 * The credited won value (metric units: cents, or hundredths of a deal) of
 * scope s per period of `grain`, for the complete periods before today (at
 * most PERF_SERIES_MAX, the latest), starting at its first period with any:
 * *periods and *values (malloc'd, free both; NULL and 0 when none) and *n.
 * Read access as perf_service_get.
 */
enum status perf_service_won_series(struct db_conn *c, const struct caller *who, const struct perf_scope *s,
                                    enum period_grain grain, enum quota_metric metric, struct period **periods,
                                    int64_t **values, size_t *n, struct issues *e);

/* GET /v1/performance/trend and /scorecard: a series of periods. */
struct perf_series_query {
	struct perf_scope scope; /* trend: any scope; scorecard: a person */
	cal_date from, to;       /* the periods of `grain` containing from .. to */
	enum period_grain grain;
	enum quota_metric metric;
};

/* At most this many periods in a series. */
#define PERF_SERIES_MAX 120

/*
 * Quota against achieved per period of q, as JSON into *out: {scope,
 * metric, grain, points: [{period, quota, effective_quota, achieved,
 * attainment_pct, won_count}]}, achieved as of today. Errors as
 * perf_service_get; ST_INVALID naming "to" for to < from or more than
 * PERF_SERIES_MAX periods.
 */
enum status perf_service_trend(struct db_conn *c, const struct caller *who, const struct perf_series_query *q,
                               json_t **out, char **text, struct issues *e);

/*
 * A person's figures per period of q beside their team: for each period the
 * person's leaderboard row, the team's median attainment, the person's rank
 * by attainment among the team's people with a quota and how many they are.
 * Access: the person's figures (the team's aggregates come with them).
 */
enum status perf_service_scorecard(struct db_conn *c, const struct caller *who, const struct perf_series_query *q,
                                   json_t **out, char **text, struct issues *e);

#endif
