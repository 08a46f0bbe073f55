/*
 * plan.h — the shape of a generated pipeline (attainctl seed): how many
 * deals of each kind, the seasonal weight of each month, the months the
 * closed deals fall in, and the periods that get quotas. Pure: no I/O; the
 * SQL of seed/store.c draws every row from this plan and the seed.
 */
#ifndef ATTAIN_SEED_PLAN_H
#define ATTAIN_SEED_PLAN_H

#include <stddef.h>

#include "calendar/calendar.h"
#include "core/status.h"

/* At most this many months of closed deals (three years and a little). */
#define SEED_MONTHS_MAX 40
/* At most this many fiscal quarters get quotas (five fiscal years). */
#define SEED_QUARTERS_MAX 24
/* Leads the demo loads per segment: closed (converted or disqualified) and open. */
#define SEED_LEADS_CLOSED 700
#define SEED_LEADS_OPEN 60

/* What the caller asks for. */
struct seed_params {
	long deals;         /* deals in all, over the three years and the open pipeline */
	unsigned seed;      /* everything random is a function of it */
	cal_date today;     /* the anchor day: closed deals end on it */
	int fy_start_month; /* the org's fiscal year start (1..12) */
};

/* One month of closed deals: its days inside the three years and its weight. */
struct seed_month {
	cal_date first;    /* first day (the window's first day for the first month) */
	int days;          /* days of it inside the window */
	double weight;     /* seasonal weight x the days it has in the window */
	double cum_before; /* sum of the weights of the months before, as a share of all (0..1) */
};

/* One fiscal quarter that gets quotas. */
struct seed_quarter {
	struct period q;  /* the quarter */
	char year_id[16]; /* its fiscal year's id ("FY2026") */
	double weight;    /* the seasonal weights of its months x their days */
	double covered;   /* the same, of its days inside the window (0 when it lies outside) */
};

/* The plan of one seeding. */
struct seed_plan {
	long closed;      /* new business, upsell and cross-sell deals closed in the window */
	long open;        /* open deals closing after today, up to horizon */
	long renewal;     /* renewals of won deals of a year before (closed or open) */
	cal_date first;   /* the window's first day: today three years back, plus one */
	cal_date horizon; /* last day of the quarter two quarters after today's */
	struct seed_month months[SEED_MONTHS_MAX];
	int nmonths;
	struct seed_quarter quarters[SEED_QUARTERS_MAX];
	int nquarters;
};

/*
 * The seasonal weight of a month: its place in the fiscal quarter (the last
 * month weighs most), fiscal Q4 more than the others, and a growth of the
 * business of about 10 % a year (years_in: years since the window began).
 */
double seed_month_weight(int month, int fy_start_month, double years_in);

/*
 * The plan of p into *out. ST_INVALID when p->deals < 1 or the fiscal year
 * start is outside 1..12.
 */
enum status seed_plan_make(const struct seed_params *p, struct seed_plan *out);

/* The shares of the kinds of deals (renewal, open) out of all, in percent. */
#define SEED_RENEWAL_PCT 12
#define SEED_OPEN_PCT 10

#endif
