#include "quota/quota.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

const char *
quota_assignee_name(enum quota_assignee_type t)
{
	return t == QUOTA_TEAM ? "team" : "person";
}

const char *
quota_metric_name(enum quota_metric m)
{
	return m == QUOTA_DEAL_COUNT ? "deal_count" : "revenue";
}

enum quota_metric
quota_metric_from_name(const char *name)
{
	return strcmp(name, "deal_count") == 0 ? QUOTA_DEAL_COUNT : QUOTA_REVENUE;
}

int64_t
quota_metric_unit(enum quota_metric m)
{
	return m == QUOTA_DEAL_COUNT ? 100 : 1;
}

enum status
quota_ref_parse(const char *s, struct quota_ref *out)
{
	enum quota_assignee_type type;
	const char *digits;
	char *end;

	if (strncmp(s, "person:", 7) == 0) {
		type = QUOTA_PERSON;
		digits = s + 7;
	} else if (strncmp(s, "team:", 5) == 0) {
		type = QUOTA_TEAM;
		digits = s + 5;
	} else
		return ST_INVALID;
	if (*digits < '1' || *digits > '9' || strlen(digits) > 18)
		return ST_INVALID;
	errno = 0;
	long long v = strtoll(digits, &end, 10);
	if (*end || errno || v <= 0)
		return ST_INVALID;
	out->type = type;
	out->id = v;
	return ST_OK;
}

bool
quota_period_id_valid(const char *id)
{
	struct period p;

	return period_parse(id, 1, &p) == ST_OK;
}

enum status
quota_period_place(const char *id, int fy_start, const char *field, struct issues *e, struct period *out)
{
	if (period_parse(id, fy_start, out) == ST_OK)
		return ST_OK;
	issues_add(e, field, "must be a period id such as 2026-07, FY2026-Q3 or FY2026");
	return ST_INVALID;
}

enum status
quota_write_check(const struct quota_write *w, struct issues *e)
{
	if (w->key.metric == QUOTA_DEAL_COUNT && w->amount % 100 != 0) {
		issues_add(e, "amount", "a deal_count quota is a whole number of deals");
		return ST_INVALID;
	}
	return ST_OK;
}
