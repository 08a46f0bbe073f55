/*
 * plan.h — planning quotas (pure: no I/O).
 *
 * A team's subtree loaded with the quotas of one period, metric and filter
 * (struct quota_tree) gives the team roll-up, the parts of a team, capacity
 * and history per part; quota_allocate splits a team total across parts,
 * quota_split a yearly or quarterly quota across its child periods. Amounts
 * are int64 cents (deal counts in hundredths of a deal); every split sums
 * exactly to its total (quota_apportion).
 *
 * The parts of a team are its direct sellers and its child teams. A seller
 * of team T is a person whose team is T and who is not T's manager: a
 * manager's own quota is an overlay of the team number, not a share of it.
 * The manager of a child team who sits in the parent team is a seller of
 * the parent.
 */
#ifndef ATTAIN_QUOTA_PLAN_H
#define ATTAIN_QUOTA_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"
#include "quota/quota.h"

/* Where a team's (or a part's) figure comes from. */
enum quota_source {
	QUOTA_SOURCE_NONE = 0,  /* no quota here nor anywhere below */
	QUOTA_SOURCE_EXPLICIT,  /* its own quota */
	QUOTA_SOURCE_ROLLED_UP, /* the sum of its parts */
};
/* "none", "explicit", "rolled_up" (static). */
const char *quota_source_name(enum quota_source s);

struct quota_tree_team {
	int64_t id;
	int64_t parent_id;  /* 0 = none (or outside the loaded subtree for the root) */
	int64_t manager_id; /* 0 = none */
	int depth;          /* 0 for the root of the loaded subtree */
	char *name;         /* owned */
	bool has_quota;
	int64_t quota_id;
	int64_t amount;     /* the explicit quota when has_quota */
	/* computed by quota_tree_roll */
	int64_t parts_sum;  /* sum of the parts' figures */
	bool parts_any;     /* some part has a figure */
	int64_t heads_bp;   /* capacity: active sellers' ramp factors, whole subtree (10000 = one head) */
	int64_t history;    /* sum of the history of everyone in the subtree */
};

struct quota_tree_person {
	int64_t id;
	int64_t team_id;
	char *name;         /* owned */
	bool active;
	cal_date hired_on;  /* -1 = unknown (fully ramped) */
	int ramp_months;
	bool has_quota;
	int64_t quota_id;
	int64_t amount;
	int64_t history;    /* set by the caller (e.g. won over a lookback); 0 by default */
	int64_t ramp_bp;    /* computed by quota_tree_roll: ramp factor over the period */
};

struct quota_tree {
	int64_t root;
	struct quota_tree_team *teams;    /* owned, sorted by id */
	size_t nteams;
	struct quota_tree_person *people; /* owned, sorted by id */
	size_t npeople;
};

/* Free what t owns and zero it; accepts a zeroed tree. */
void quota_tree_clear(struct quota_tree *t);
/* Sort teams and people by id (loaders may fill them in any order). */
void quota_tree_sort(struct quota_tree *t);
/* Team `id` of t (sorted: quota_tree_sort), by binary search; NULL when absent. */
struct quota_tree_team *quota_tree_team_find(const struct quota_tree *t, int64_t id);
/* Person `id` of t (sorted: quota_tree_sort), by binary search; NULL when absent. */
struct quota_tree_person *quota_tree_person_find(const struct quota_tree *t, int64_t id);
/* True when p is a seller of their team (their team is in t and they do not manage it). */
bool quota_tree_is_seller(const struct quota_tree *t, const struct quota_tree_person *p);

/*
 * Compute every person's ramp factor over [start, end] (quota_ramp_factor_bp
 * with the org's curve in basis points) and every team's parts_sum,
 * parts_any, heads_bp and history, bottom-up. A part's figure is its
 * explicit quota, else (teams) the sum of its parts' figures when any has
 * one; a seller counts when active or holding a quota; capacity counts
 * active sellers only.
 */
void quota_tree_roll(struct quota_tree *t, const int64_t *curve_bp, int ncurve, cal_date start, cal_date end);
/* A team's figure after quota_tree_roll: explicit, rolled up, or none (*amount 0). */
enum quota_source quota_tree_team_value(const struct quota_tree_team *tm, int64_t *amount);

struct quota_part {
	bool is_team;
	size_t index; /* into t->teams or t->people */
};
/*
 * The direct parts of team `team_id`: its sellers by id (active ones; with
 * with_quota_holders also inactive ones holding a quota), then its child
 * teams by id. Writes at most max into out (may be NULL when max is 0) and
 * how many parts there are into *n (which may exceed max). ST_NOT_FOUND,
 * *n untouched, when the team is not in t.
 */
enum status quota_tree_parts(const struct quota_tree *t, int64_t team_id, bool with_quota_holders,
			     struct quota_part *out, int max, int *n);
/*
 * The direct parts of t's root (quota_tree_parts) into *out, malloc'd (the
 * caller frees it; NULL when there is none), and their count into *n.
 * ST_NOMEM; ST_NOT_FOUND when the root is not in t.
 */
enum status quota_tree_root_parts(const struct quota_tree *t, bool with_quota_holders, struct quota_part **out,
				  int *n);
/* The assignee a part stands for. */
struct quota_ref quota_tree_part_ref(const struct quota_tree *t, const struct quota_part *p);
/*
 * A part's figure: its explicit quota, its roll-up (a team), or none (then
 * *amount is 0). *quota_id is its quota's id, 0 without one.
 */
enum quota_source quota_tree_part_value(const struct quota_tree *t, const struct quota_part *p, int64_t *amount,
					int64_t *quota_id);

/* ---- allocation ------------------------------------------------------------ */

enum quota_method {
	QUOTA_METHOD_EQUAL = 0,
	QUOTA_METHOD_HISTORICAL, /* basis: won over the lookback */
	QUOTA_METHOD_WEIGHTED,   /* basis: the given weight, in millionths */
	QUOTA_METHOD_CAPACITY,   /* basis: ramped heads in basis points */
};
/* "equal", "historical", "weighted", "capacity" (static). */
const char *quota_method_name(enum quota_method m);

struct quota_alloc {
	int64_t basis;  /* in: see enum quota_method (>= 0; ignored for equal) */
	int64_t amount; /* out */
	bool floored;   /* out, historical: had no history and got the floor */
};

/*
 * Split `total` (>= 0) across n parts in steps of `unit` (quota_apportion),
 * proportionally to their basis:
 *   equal       one share each;
 *   historical  each part's history; a part without history gets floor_bp
 *               (hundredths of a percent: 10 % = 1000) of the average
 *               part's history, i.e. of (sum of history) / n; when no part
 *               has history at all, equal shares and *fallback = true;
 *   weighted    the weights (ST_INVALID when all are zero);
 *   capacity    the ramped heads (ST_INVALID when all are zero).
 * ST_INVALID also for n outside 1..QUOTA_MAX_PARTS, a negative basis or
 * floor_bp outside 0..10000, unit < 1. Writes amount/floored of each part
 * and *fallback only on ST_OK. ST_NOMEM on allocation failure.
 */
enum status quota_allocate(enum quota_method m, int64_t total, int64_t unit, int64_t floor_bp,
			   struct quota_alloc *parts, int n, bool *fallback);

/*
 * The total an allocation splits into *total: `given` when has_given, else
 * the quota of the team `root`; raised by uplift_bp (hundredths of a
 * percent); for deal_count, rounded half up to whole deals. *base gets it
 * before the uplift. ST_INVALID with an issue naming "total" when there is
 * neither, or "uplift_pct" when the raised total is beyond MONEY_MAX_CENTS.
 */
enum status quota_alloc_total(bool has_given, int64_t given, const struct quota_tree_team *root, int64_t uplift_bp,
			      enum quota_metric metric, int64_t *base, int64_t *total, struct issues *e);

/*
 * amount / total in hundredths of a percent, rounded half up, into *out.
 * ST_INVALID (no share; *out untouched) when total is not positive.
 */
enum status quota_share_bp(int64_t amount, int64_t total, int64_t *out);
/*
 * The window the historical method reads: the `lookback` periods of p's
 * grain right before p, in the calendar of fiscal year start fy_start:
 * from the first day of the earliest to the day before p starts.
 */
void quota_lookback_window(const struct period *p, int fy_start, int lookback, cal_date *from, cal_date *to);

/* ---- seasonal split ---------------------------------------------------------- */

enum quota_split_method {
	QUOTA_SPLIT_EVEN = 0,
	QUOTA_SPLIT_HISTORICAL,  /* basis: last year's value of each child period */
	QUOTA_SPLIT_PERCENTAGES, /* basis: hundredths of a percent, summing to 10000 */
};
/* "even", "historical", "percentages" (static). */
const char *quota_split_method_name(enum quota_split_method m);

/*
 * The child periods of a quota's period p at `grain` (quarter or month), in
 * the calendar of fiscal year start fy_start, into children (room for max)
 * and their count into *n. ST_INVALID with an issue naming "grain" when p
 * is a month or grain is not finer than p's; ST_CONFLICT with an issue
 * without field when they do not cover p exactly (the org's fiscal year
 * start changed since the quota was set).
 */
enum status quota_split_periods(const struct period *p, enum period_grain grain, int fy_start,
				struct period *children, int max, int *n, struct issues *e);

/*
 * Split `total` into n child periods in steps of `unit`: evenly, in the
 * shape of last year's values (even, with *fallback = true, when they are
 * all zero), or by percentages (each >= 0, summing to exactly 10000, else
 * ST_INVALID). basis may be NULL for even. Writes out[0..n) and *fallback
 * only on ST_OK.
 */
enum status quota_split(int64_t total, enum quota_split_method m, const int64_t *basis, int n, int64_t unit,
			int64_t *out, bool *fallback);

#endif
