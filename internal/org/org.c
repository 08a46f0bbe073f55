#include "org/org.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum status
org_ramp_month_check(size_t month, int64_t pct, int64_t *prev, struct issues *e)
{
	char field[48];

	snprintf(field, sizeof field, "ramp_curve[%zu]", month);
	if (pct <= 0 || pct > 10000) {
		issues_add(e, field, "must be greater than 0 and at most 100");
		return ST_INVALID;
	}
	bool falls = pct < *prev;
	*prev = pct;
	if (falls) {
		issues_add(e, field, "must not be below the month before");
		return ST_INVALID;
	}
	return ST_OK;
}

enum status
org_periods_list(const struct period_query *q, int fy_start, cal_date today, struct period_list *out,
		 struct issues *e)
{
	struct period fy, p;
	cal_date from = q->from, to = q->to;

	period_containing(today, GRAIN_YEAR, fy_start, &fy);
	if (!q->set_from)
		from = q->set_to ? cal_date_add_months(to, -11) : fy.start;
	if (!q->set_to)
		to = q->set_from ? cal_date_add_months(from, 12) - 1 : fy.end;
	if (to < from) {
		issues_add(e, "to", "must not be before from");
		return ST_INVALID;
	}
	struct period *items = malloc(ORG_PERIODS_MAX * sizeof *items);
	size_t n = 0;
	if (!items)
		return ST_NOMEM;
	for (period_containing(from, q->grain, fy_start, &p); p.start <= to; period_next(&p, fy_start, &p)) {
		if (n == ORG_PERIODS_MAX) {
			free(items);
			issues_add(e, "to", "the range holds more than %d periods", ORG_PERIODS_MAX);
			return ST_INVALID;
		}
		items[n++] = p;
	}
	*out = (struct period_list){ .fy_start = fy_start, .items = items, .n = n };
	return ST_OK;
}

void
period_list_clear(struct period_list *l)
{
	free(l->items);
	memset(l, 0, sizeof *l);
}
