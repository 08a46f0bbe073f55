/*
 * store.h — forecast calls in the database: submissions (append-only, each
 * with the snapshot of its roll-up). SQL only.
 */
#ifndef ATTAIN_FORECAST_STORE_H
#define ATTAIN_FORECAST_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"
#include "db/db.h"
#include "db/row.h"

/* A submission to write. Strings borrowed. */
struct forecast_submission {
	const char *scope_type; /* "person" or "team" */
	int64_t scope_id;
	const struct period *period;
	int64_t commit, best_case; /* cents */
	const char *notes;         /* NULL = none */
	const char *sub;
	const char *snapshot; /* the roll-up JSON text */
};

/* Write s; the stored submission as JSON into *out (rowjson_clear). */
enum status forecast_store_submit(struct db_conn *c, const char *org, const struct forecast_submission *s,
				  struct rowjson *out);

/*
 * A page of submissions, newest first (ids below `before`, 0 = from the
 * newest), of scope (type, id) and period (NULL = any), into *out.
 */
enum status forecast_store_submissions(struct db_conn *c, const char *org, const char *scope_type,
				       int64_t scope_id, const char *period, int64_t before, int limit,
				       struct page *out);

/* An adjustment to write: a submission's fields plus the manager who makes it. */
struct forecast_adjustment {
	struct forecast_submission call; /* snapshot unused */
	int64_t by_person;
};

/* Write a; the stored adjustment as JSON into *out (rowjson_clear). */
enum status forecast_store_adjust(struct db_conn *c, const char *org, const struct forecast_adjustment *a,
				  struct rowjson *out);

/* A page of the adjustments of scope (type, id) for period (NULL = any), newest first, as submissions. */
enum status forecast_store_adjustments(struct db_conn *c, const char *org, const char *scope_type,
				       int64_t scope_id, const char *period, int64_t before, int limit,
				       struct page *out);

/* Freeze `rollup` (JSON text) of scope (type, id; "org" with id 0) for period; the snapshot into *out. */
enum status forecast_store_snapshot(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
				   const char *period, const char *sub, const char *rollup, struct rowjson *out);

/* A page of the snapshots of scope (type, id) for period (NULL = any), newest first, each with its roll-up. */
enum status forecast_store_snapshots(struct db_conn *c, const char *org, const char *scope_type, int64_t scope_id,
				     const char *period, int64_t before, int limit, struct page *out);

/*
 * Every call (submission and adjustment) of the org for the periods
 * `periods` (a PostgreSQL text array literal: "{FY2025-Q1,FY2025-Q2}"),
 * oldest first (made at, then id), as one JSON array text into *out:
 * [{adjustment, scope_type, scope_id, period, commit_cents, day, id}], `day`
 * the day it was made in the org's time zone.
 */
enum status forecast_store_calls(struct db_conn *c, const char *org, const char *periods, struct rowjson *out);

/*
 * The calls standing at the end of day `as_of` (org time zone) for period
 * of each scope asked (`types` and `ids`: PostgreSQL array literals of the
 * same length, "{person,team}" and "{12,3}"), one query for them all, as
 * JSON into *out: {submissions: [...], adjustments: [...]}, the latest of
 * each scope that has one, each with scope_type and scope_id.
 */
enum status forecast_store_standing(struct db_conn *c, const char *org, const char *period, cal_date as_of,
				    const char *types, const char *ids, struct rowjson *out);

#endif
