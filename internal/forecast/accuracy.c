#include "forecast/accuracy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
acc_at_parse(const char *s, struct acc_at *out)
{
	enum acc_unit unit;
	int max;
	const char *num;

	if (!s)
		return false;
	if (strncmp(s, "week:", 5) == 0) {
		unit = ACC_WEEK;
		max = ACC_WEEK_MAX;
		num = s + 5;
	} else if (strncmp(s, "day:", 4) == 0) {
		unit = ACC_DAY;
		max = ACC_DAY_MAX;
		num = s + 4;
	} else
		return false;
	size_t len = strlen(num);
	if (len == 0 || len > 3 || num[0] == '0' || strspn(num, "0123456789") != len)
		return false;
	int n = atoi(num);
	if (n < 1 || n > max)
		return false;
	*out = (struct acc_at){.unit = unit, .n = n};
	return true;
}

void
acc_at_format(struct acc_at at, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%d", at.unit == ACC_WEEK ? "week" : "day", at.n);
}

cal_date
acc_at_day(const struct period *p, struct acc_at at)
{
	cal_date d = p->start + (at.unit == ACC_WEEK ? 7 * at.n : at.n) - 1;

	return d > p->end ? p->end : d;
}

int
acc_weeks(const struct period *p)
{
	return (int)((p->end - p->start + 1 + 6) / 7);
}

const struct acc_call *
acc_standing(const struct acc_call *calls, size_t n, bool team, int64_t scope_id, int period, cal_date day,
             bool with_adjustments)
{
	const struct acc_call *sub = NULL, *adj = NULL;

	for (size_t i = 0; i < n; i++) {
		const struct acc_call *k = &calls[i];
		if (k->team != team || k->scope_id != scope_id || k->period != period || k->day > day)
			continue;
		if (k->adjustment)
			adj = with_adjustments ? k : adj;
		else
			sub = k;
	}
	return adj ? adj : sub;
}

bool
acc_ape_pct(int64_t actual, int64_t figure, double *out)
{
	if (actual == 0)
		return false;
	*out = fabs((double)(figure - actual)) / fabs((double)actual) * 100.0;
	return true;
}

static void
side_add(struct acc_side *side, int64_t actual, int64_t figure)
{
	double ape;

	side->sum += figure;
	side->abs_err += llabs(figure - actual);
	if (acc_ape_pct(actual, figure, &ape)) {
		side->ape_sum += ape;
		side->ape_rows++;
	}
}

void
acc_add(struct acc_sum *s, int64_t actual, const int64_t *call, int64_t raw)
{
	s->rows++;
	if (!call)
		return;
	s->called++;
	s->actual += actual;
	side_add(&s->call, actual, *call);
	side_add(&s->raw, actual, raw);
}

static bool
ratio_pct(int64_t num, int64_t den, double *out)
{
	if (den == 0)
		return false;
	*out = (double)num / (double)den * 100.0;
	return true;
}

bool
acc_wape_pct(const struct acc_sum *s, const struct acc_side *side, double *out)
{
	return s->called > 0 && ratio_pct(side->abs_err, s->actual, out);
}

bool
acc_mape_pct(const struct acc_side *side, double *out)
{
	if (side->ape_rows == 0)
		return false;
	*out = side->ape_sum / (double)side->ape_rows;
	return true;
}

bool
acc_bias_pct(const struct acc_sum *s, const struct acc_side *side, double *out)
{
	return s->called > 0 && ratio_pct(s->actual - side->sum, side->sum, out);
}

bool
acc_bias(const struct acc_sum *s, int64_t *out)
{
	if (s->called == 0)
		return false;
	int64_t miss = s->actual - s->call.sum, q = llabs(miss) / s->called, r = llabs(miss) % s->called;
	if (2 * r >= s->called)
		q++;
	*out = miss < 0 ? -q : q;
	return true;
}

bool
acc_bias_adjust(const struct acc_sum *s, int64_t min_called, int64_t call, int64_t *out)
{
	if (s->called < min_called || s->called == 0 || s->call.sum == 0)
		return false;
	/* call × Σactual / Σcall in long double: exact to the cent for amounts below 10^12 */
	long double v = (long double)call * (long double)s->actual / (long double)s->call.sum;
	*out = (int64_t)llroundl(v);
	return true;
}
