/*
 * quota.h — what a quota is (DESIGN §7 "Quotas"): its assignee, the key
 * that identifies it (assignee, period, metric, filter), what a write
 * carries, and the rules a quota obeys on its own. Pure: no I/O. Shared by
 * the domain's files (store, service, rules) and by the handlers that read
 * requests into them.
 */
#ifndef ATTAIN_QUOTA_QUOTA_H
#define ATTAIN_QUOTA_QUOTA_H

#include <stdbool.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"

enum quota_assignee_type { QUOTA_PERSON = 0, QUOTA_TEAM };
enum quota_metric { QUOTA_REVENUE = 0, QUOTA_DEAL_COUNT };

/* "person" / "team" (static). */
const char *quota_assignee_name(enum quota_assignee_type t);
/* "revenue" / "deal_count" (static). */
const char *quota_metric_name(enum quota_metric m);
/* "deal_count" gives QUOTA_DEAL_COUNT, anything else (the enum's only other value) QUOTA_REVENUE. */
enum quota_metric quota_metric_from_name(const char *name);

/* The step of a metric's figures in cents: 100 (a whole deal) for deal_count, 1 for revenue. */
int64_t quota_metric_unit(enum quota_metric m);

/* Who carries a quota. */
struct quota_ref {
	enum quota_assignee_type type;
	int64_t id;
};
/*
 * "person:12" or "team:7" into *out (a positive id of at most 18 digits,
 * no sign, no leading zero). ST_INVALID, *out untouched, for anything else.
 */
enum status quota_ref_parse(const char *s, struct quota_ref *out);

/* What identifies a quota: one per assignee, period, metric and filter. */
struct quota_key {
	struct quota_ref assignee;
	struct period period; /* id, grain, start and end are used */
	enum quota_metric metric;
	const char *filter_type;    /* NULL = every deal type; borrowed */
	const char *filter_segment; /* NULL = every segment; borrowed */
};

/* One quota's period and amount. */
struct quota_period_amount {
	cal_date start, end;
	int64_t amount; /* cents, or whole deals x 100 */
};

/* A quota to write. */
struct quota_write {
	struct quota_key key;
	int64_t amount;    /* cents (deal_count: whole deals × 100) */
	const char *notes; /* NULL = none; borrowed */
};

/*
 * Whether `id` is a period id ("2026-07", "FY2026-Q3", "FY2026"). Whether
 * an id is valid does not depend on the org's fiscal year start, only the
 * dates it stands for do (quota_period_place).
 */
bool quota_period_id_valid(const char *id);
/*
 * Period id `id` in the calendar of an org whose fiscal year starts in
 * month fy_start, into *out. ST_INVALID, with an issue naming `field`, when
 * it is not a period id.
 */
enum status quota_period_place(const char *id, int fy_start, const char *field, struct issues *e,
                               struct period *out);

/*
 * The rules a quota to write obeys on its own: a deal_count quota is a
 * whole number of deals. ST_INVALID, with an issue naming `amount`, when
 * it breaks one; ST_OK otherwise.
 */
enum status quota_write_check(const struct quota_write *w, struct issues *e);

#endif
