/*
 * accuracy.h — how good the calls were (issue 11 item 5), pure: the moment
 * of a period a call is read at (`week:N`, `day:N`), which call stood then,
 * and the error figures of calls against what closed. No database, no HTTP.
 *
 * Money is in cents (int64); a percentage is a double (50.05 = 50.05 %).
 * The figures of a set of rows (each a period of a person or a team):
 * - error = call − actual (per row; the call is the commit figure);
 * - APE = |call − actual| / actual × 100 (per row; none when actual is 0);
 * - WAPE = Σ|call − actual| / Σ actual × 100 over the rows with a call;
 * - MAPE = the mean APE over the rows with a call and an APE;
 * - bias = Σ(actual − call) / rows with a call (the mean miss, money) and
 *   bias_pct = (Σ actual − Σ call) / Σ call × 100: positive when more closed
 *   than was called (sandbagging), negative when less (over-calling). The
 *   bias-adjusted call is call × (1 + bias_pct / 100) = call × Σ actual / Σ call.
 * A row without a call is missing: counted, never an error of zero. The raw
 * figures (the deals alone: the commit forecast standing then) are taken
 * over the same rows with a call, so the two compare like for like.
 */
#ifndef ATTAIN_FORECAST_ACCURACY_H
#define ATTAIN_FORECAST_ACCURACY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"

/* The point of a period a call is read at. */
enum acc_unit { ACC_WEEK, ACC_DAY };
struct acc_at {
	enum acc_unit unit;
	int n; /* week 1..ACC_WEEK_MAX, day 1..ACC_DAY_MAX */
};
#define ACC_WEEK_MAX 53
#define ACC_DAY_MAX 366

/* "week:N" or "day:N" into *out; false for anything else (N out of range too). */
bool acc_at_parse(const char *s, struct acc_at *out);

/* at as text ("week:4") into buf. */
void acc_at_format(struct acc_at at, char *buf, size_t len);

/*
 * The day whose end a call of period p is read at: the last day of week N
 * (p->start + 7N − 1) or day N (p->start + N − 1), at most p->end.
 */
cal_date acc_at_day(const struct period *p, struct acc_at at);

/* The weeks of p (the last one may be short): ceil(days / 7). */
int acc_weeks(const struct period *p);

/* One stored call: an owner's submission or a manager's adjustment. */
struct acc_call {
	bool adjustment;
	bool team; /* of a team (else of a person) */
	int64_t scope_id;
	int period;     /* index into the caller's list of periods */
	int64_t commit; /* cents */
	cal_date day;   /* the day (org time zone) it was made */
	int64_t id;
};

/*
 * The call of (team, scope_id) for period index `period` standing at the
 * end of `day`, from calls ordered by when they were made (oldest first):
 * the latest adjustment made by then when with_adjustments and there is
 * one, else the latest submission made by then. NULL when none.
 */
const struct acc_call *acc_standing(const struct acc_call *calls, size_t n, bool team, int64_t scope_id,
                                    int period, cal_date day, bool with_adjustments);

/* The sums of one side (the calls, or the raw commits) over the rows with a call. */
struct acc_side {
	int64_t sum, abs_err; /* Σ figure, Σ|figure − actual|, cents */
	double ape_sum;       /* Σ APE over the rows with actual ≠ 0 */
	int64_t ape_rows;
};

/* The sums behind the figures of a set of rows. */
struct acc_sum {
	int64_t rows, called;      /* rows; those with a call (missing = rows − called) */
	int64_t actual;            /* Σ actual over the rows with a call, cents */
	struct acc_side call, raw; /* the calls; the raw commits of the same rows */
};

/* Add a row: what closed, the call standing (NULL: missing) and the raw commit then. */
void acc_add(struct acc_sum *s, int64_t actual, const int64_t *call, int64_t raw);

/* APE of one row; false when actual is 0. */
bool acc_ape_pct(int64_t actual, int64_t figure, double *out);

/* The figures of side (s->call or s->raw) of s; each false when it cannot be computed (a ratio over zero, no
 * call). */
bool acc_wape_pct(const struct acc_sum *s, const struct acc_side *side, double *out);
bool acc_mape_pct(const struct acc_side *side, double *out);
bool acc_bias_pct(const struct acc_sum *s, const struct acc_side *side, double *out);
/* The mean miss of the calls, Σ(actual − call) / called, in cents rounded half away from zero. */
bool acc_bias(const struct acc_sum *s, int64_t *out);

/*
 * A call adjusted by the bias of s: call × Σ actual / Σ call, rounded to
 * the cent; false when s has fewer than min_called rows with a call or
 * Σ call is 0.
 */
bool acc_bias_adjust(const struct acc_sum *s, int64_t min_called, int64_t call, int64_t *out);

#endif
