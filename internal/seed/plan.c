#include "seed/plan.h"

#include <string.h>

double
seed_month_weight(int month, int fy_start_month, double years_in)
{
	static const double in_quarter[3] = {1.0, 1.15, 1.6};
	int fm = ((month - fy_start_month) % 12 + 12) % 12; /* 0 = the fiscal year's first month */
	double w = in_quarter[fm % 3];

	if (fm / 3 == 3)
		w *= 1.3;
	if (years_in < 0)
		years_in = 0;
	return w * (1.0 + 0.1 * years_in);
}

/* Years from `first` to `d`. */
static double
years_since(cal_date first, cal_date d)
{
	return (double)(d - first) / 365.25;
}

/* The months of the window [first, today], their weights and cumulative shares. */
static void
plan_months(struct seed_plan *pl, cal_date today, int fy)
{
	struct period m;
	double total = 0;

	pl->nmonths = 0;
	period_containing(pl->first, GRAIN_MONTH, fy, &m);
	while (m.start <= today && pl->nmonths < SEED_MONTHS_MAX) {
		struct seed_month *sm = &pl->months[pl->nmonths++];
		cal_date from = m.start < pl->first ? pl->first : m.start;
		cal_date to = m.end > today ? today : m.end;
		sm->first = from;
		sm->days = (int)(to - from + 1);
		sm->weight = seed_month_weight(m.number, fy, years_since(pl->first, m.start)) * sm->days;
		total += sm->weight;
		struct period next;
		period_next(&m, fy, &next);
		m = next;
	}
	double run = 0;
	for (int i = 0; i < pl->nmonths; i++) {
		pl->months[i].cum_before = run / total;
		run += pl->months[i].weight;
	}
}

/* The quarters of every fiscal year from the window's first to the horizon's, and their weights. */
static void
plan_quarters(struct seed_plan *pl, cal_date today, int fy)
{
	struct period y, last, q;

	pl->nquarters = 0;
	period_containing(pl->first, GRAIN_YEAR, fy, &y);
	period_containing(pl->horizon, GRAIN_YEAR, fy, &last);
	period_containing(y.start, GRAIN_QUARTER, fy, &q);
	while (q.start <= last.end && pl->nquarters < SEED_QUARTERS_MAX) {
		struct seed_quarter *sq = &pl->quarters[pl->nquarters++];
		struct period m, ym, next;

		memset(sq, 0, sizeof *sq);
		sq->q = q;
		period_containing(q.start, GRAIN_YEAR, fy, &ym);
		memcpy(sq->year_id, ym.id, sizeof sq->year_id);
		period_containing(q.start, GRAIN_MONTH, fy, &m);
		for (int k = 0; k < 3; k++) {
			double w = seed_month_weight(m.number, fy, years_since(pl->first, m.start));
			cal_date from = m.start < pl->first ? pl->first : m.start, to = m.end > today ? today : m.end;
			sq->weight += w * (m.end - m.start + 1);
			if (to >= from)
				sq->covered += w * (to - from + 1);
			period_next(&m, fy, &next);
			m = next;
		}
		period_next(&q, fy, &next);
		q = next;
	}
}

enum status
seed_plan_make(const struct seed_params *p, struct seed_plan *out)
{
	struct seed_plan pl;
	struct period q;

	if (p->deals < 1 || p->fy_start_month < 1 || p->fy_start_month > 12)
		return ST_INVALID;
	memset(&pl, 0, sizeof pl);
	pl.renewal = p->deals * SEED_RENEWAL_PCT / 100;
	pl.open = p->deals * SEED_OPEN_PCT / 100;
	pl.closed = p->deals - pl.renewal - pl.open;
	pl.first = cal_date_add_months(p->today, -36) + 1;
	period_containing(p->today, GRAIN_QUARTER, p->fy_start_month, &q);
	for (int i = 0; i < 2; i++) {
		struct period next;
		period_next(&q, p->fy_start_month, &next);
		q = next;
	}
	pl.horizon = q.end;
	plan_months(&pl, p->today, p->fy_start_month);
	plan_quarters(&pl, p->today, p->fy_start_month);
	*out = pl;
	return ST_OK;
}
