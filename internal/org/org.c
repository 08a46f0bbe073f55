#include "org/org.h"

#include <stdio.h>

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
