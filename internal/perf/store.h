/*
 * store.h — what performance figures are computed from, read from the deals
 * (DESIGN §7 "Performance"): the credited won, lost and open business of a
 * scope in a period as of a day, split by type, segment and stage; the
 * historical win rate of each stage; the credited won value per day of a
 * period (seasonal shape); and the deals behind the figures (explain).
 *
 * Credit is the one split-credit rule (SQL deal_credit_rows, migration
 * 0007_perf) applied to the amount a deal had on the day asked about.
 * Amounts are int64 cents; counts hundredths of a deal (a third of a deal
 * credited is 33). SQL only: the figures are perf/formulas.h's.
 */
#ifndef ATTAIN_PERF_STORE_H
#define ATTAIN_PERF_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/status.h"
#include "db/db.h"
#include "perf/formulas.h"

/* Whose figures: one person, a team's whole subtree, or the whole org. */
enum perf_scope_kind { PERF_PERSON, PERF_TEAM, PERF_ORG };

struct perf_scope {
	enum perf_scope_kind kind;
	int64_t id; /* person or team id; 0 for the org */
};

/* What is read: a period, a day, and whether that day is in the past (the deals' state then, from history). */
struct perf_when {
	cal_date start, end; /* the period, inclusive */
	cal_date as_of;
	bool historic; /* as_of before today: each deal as it stood at the end of as_of */
};

#define PERF_TYPES 4    /* new_business, upsell, cross_sell, renewal */
#define PERF_SEGMENTS 2 /* b2b, b2c */

/* "new_business", ... (static); i < PERF_TYPES. */
const char *perf_type_name(int i);
/* "b2b", "b2c" (static); i < PERF_SEGMENTS. */
const char *perf_segment_name(int i);

/*
 * Sums over the credited deals of a scope closing in the period: won and
 * lost are those closed by as_of (a deal that closed after as_of is open
 * then), open those still open with a close date in the period.
 */
struct perf_sums {
	int64_t won_amount, won_count;
	int64_t lost_amount, lost_count;
	int64_t open_amount, open_count;
	int64_t renewal_won_count, renewal_lost_count;
	int64_t expansion_won_amount; /* upsell + cross_sell */
	struct perf_cycle *cycles;    /* the won deals' cycles, each weighing its credited share (owned) */
	size_t ncycles;
};

/* Open business at one stage. */
struct perf_stage_open {
	char stage[48];
	int64_t amount, count;
};

struct perf_facts {
	struct perf_sums all;
	struct perf_sums by_type[PERF_TYPES];
	struct perf_sums by_segment[PERF_SEGMENTS];
	struct perf_stage_open *stages; /* owned */
	size_t nstages;
};

/* Free what f owns and zero it. */
void perf_facts_clear(struct perf_facts *f);

/*
 * The facts of scope s at w into *out (perf_facts_clear): a team's or the
 * org's for the current state of whole months from the kept sums (migration
 * 0013_perf_rollup), anything else counted from the deals and their history.
 */
enum status perf_store_facts(struct db_conn *c, const char *org, const struct perf_scope *s,
			     const struct perf_when *w, struct perf_facts *out);

/* The sums of one person, or of one child team's subtree. */
struct perf_group {
	int64_t key; /* person id, or child team id */
	struct perf_sums sums;
};

/* The group of key in g[0..n) sorted by key, or NULL. */
struct perf_group *perf_group_find(struct perf_group *g, size_t n, int64_t key);

/* Free n groups and what they own. */
void perf_groups_free(struct perf_group *g, size_t n);

/*
 * The sums of scope s at w per person of the scope (child_teams false), or
 * per child team of team scope s (each with its whole subtree), for those
 * with credited business in the period, sorted by key, into *out
 * (perf_groups_free) and *n. For the current state of whole months they are
 * read from the kept sums (migration 0013), else counted from the deals.
 * *cycles says whether the cycles are wanted; on return, whether they were
 * read (always but for people from the kept sums when not wanted: then
 * perf_store_people_cycles adds them for the people shown).
 */
enum status perf_store_groups(struct db_conn *c, const char *org, const struct perf_scope *s,
			      const struct perf_when *w, bool child_teams, bool *cycles, struct perf_group **out,
			      size_t *n);
/*
 * Add the kept won cycles at w of the people ids[0..nids) to their groups in
 * g[0..n) (sorted by key; an id without a group is skipped).
 */
enum status perf_store_people_cycles(struct db_conn *c, const char *org, const struct perf_when *w,
				     const int64_t *ids, size_t nids, struct perf_group *g, size_t n);

/* The credited deals of one forecast category, of the whole scope or of one direct child. */
struct perf_pipeline_row {
	bool whole;        /* the whole scope (child is NULL) */
	char *child;       /* "person:ID" or "team:ID" (owned); NULL with whole, or a holder outside every child */
	char category[16]; /* closed, commit, best_case, pipeline, omitted */
	int64_t amount;    /* credited, cents */
	int64_t count;     /* hundredths of a deal */
	int64_t weighted;  /* credited amount x probability, cents */
	int64_t pushed;    /* open deals pushed 2 times or more */
	int64_t overdue;   /* open deals past their close date on as_of */
	int64_t stale;     /* open deals without a stage change in the 30 days up to as_of */
};

/* Free n rows and what they own. */
void perf_pipeline_free(struct perf_pipeline_row *v, size_t n);

/* A person's amounts a forecast call is measured on (perf_store_call_amounts). */
struct perf_call_amounts {
	int64_t person_id;
	int64_t closed;          /* credited won amount, cents */
	int64_t commit_forecast; /* closed + open deals in the commit category, cents */
};
/*
 * The closed amount and the commit forecast of every person of scope s with
 * credited business in w's period as of w->as_of (the history when
 * w->historic), into *out (malloc'd; free it) and *n.
 */
enum status perf_store_call_amounts(struct db_conn *c, const char *org, const struct perf_scope *s,
				    const struct perf_when *w, struct perf_call_amounts **out, size_t *n);

/*
 * The forecast roll-up of scope s at w: per category, the whole scope's
 * rows and each direct child's (a team's members and child teams; the
 * org's root teams), into *out (perf_pipeline_free) and *n. Closed is what
 * was won by as_of, lost deals are omitted, open deals count under their
 * category then (one still open whose category is closed: commit).
 */
enum status perf_store_pipeline(struct db_conn *c, const char *org, const struct perf_scope *s,
				const struct perf_when *w, struct perf_pipeline_row **out, size_t *n);

/*
 * A stage's historical win rate: of the deals that closed by as_of (their
 * close date) and whose history passed through the stage, the share won.
 */
struct perf_stage_rate {
	char stage[48];
	int64_t won, closed; /* deals */
};

/* Every stage's rate as of w->as_of, over the whole org, into *out (free) and *n. */
enum status perf_store_stage_rates(struct db_conn *c, const char *org, const struct perf_when *w,
				   struct perf_stage_rate **out, size_t *n);

/* Credited won value on one day. */
struct perf_day {
	cal_date day;
	int64_t amount, count;
};

/*
 * The credited won value of scope s per day of [start, end] (the deals as
 * they stand now), days without any left out, into *out (free) and *n.
 */
enum status perf_store_won_by_day(struct db_conn *c, const char *org, const struct perf_scope *s, cal_date start,
				  cal_date end, struct perf_day **out, size_t *n);

/*
 * The deals behind scope s's achieved (won in the period by as_of) and
 * open pipeline at w, each credited holder of the scope once, as JSON
 * arrays into *achieved and *open (json_decref): {deal_id, name, stage,
 * status, type, segment, close_date, amount, person_id, percent, credit}.
 * At most `max` entries in all; *truncated says whether some were left out.
 */
enum status perf_store_explain(struct db_conn *c, const char *org, const struct perf_scope *s,
			       const struct perf_when *w, int max, json_t **achieved, json_t **open,
			       bool *truncated);

/* What a person's figures read (perf_store_person_take, _history); perf_person_read_clear frees it. */
struct perf_person_read {
	struct perf_facts facts;
	struct perf_stage_rate *rates; /* every stage's rate as of as_of (none when not asked) */
	size_t nrates;
	struct perf_day *days; /* won by day of the year-ago period ly */
	size_t ndays;
};
void perf_person_read_clear(struct perf_person_read *r);

/*
 * Person s's facts at w (the current state: w not historic), the org's stage
 * rates as of w->as_of when `rates`, and their credited won value per day
 * of ly (as perf_store_facts, perf_store_stage_rates and perf_store_won_by_day
 * give them; for a quarter or a year per month instead, each month's on its
 * first day, from the kept sums), queued in a batch with other reads
 * (perf_store_person_queue; *call must outlive the run) and taken from it
 * after it ran (perf_store_person_take) into *out.
 */
struct facts_params {
	char id[24], start[16], end[16], as_of[16];
	const char *v[8];
};
struct perf_person_call {
	struct facts_params fp, lp;
	char day[16];
	const char *rates[2];
	bool with_rates; /* the stage rates are read too (else out->rates is left empty) */
	int at; /* the first statement's index in the batch; -1: the batch was full */
};
void perf_store_person_queue(struct db_batch *b, const char *org, const struct perf_scope *s,
			     const struct perf_when *w, const struct period *ly, bool rates,
			     struct perf_person_call *call);
enum status perf_store_person_take(struct db_conn *c, const struct db_batch *b, const struct perf_person_call *call,
				   struct perf_person_read *out);
/* The same as of a day in the past (w historic): the history, one statement after another. */
enum status perf_store_person_history(struct db_conn *c, const char *org, const struct perf_scope *s,
				      const struct perf_when *w, const struct period *ly, struct perf_person_read *out);

#endif
