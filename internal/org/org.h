/*
 * org.h — the org structure's own types and pure rules (no I/O): the org's
 * settings, a change of them, and what a write or a list of teams and
 * people takes. Handlers fill these; org/service.c checks and runs them.
 */
#ifndef ATTAIN_ORG_ORG_H
#define ATTAIN_ORG_ORG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar/calendar.h"
#include "core/issue.h"
#include "core/status.h"

/* Most months a ramp curve has. */
#define ORG_RAMP_MAX 24

/* The org's settings that the domain logic needs. */
struct org_settings {
	int fiscal_year_start_month; /* 1..12 */
	char currency[4];            /* ISO 4217 */
	char timezone[64];           /* IANA */
	int ramp_len;
	double ramp[ORG_RAMP_MAX]; /* percent of quota per month of ramp */
	cal_date today;            /* today in the org's time zone, when the settings were read */
};

/* A change of the org's settings (PATCH /v1/org). Borrowed strings. */
struct org_patch {
	const char *name;            /* NULL = unchanged */
	int fiscal_year_start_month; /* 0 = unchanged */
	const char *currency;        /* NULL = unchanged; checked by the service */
	const char *timezone;        /* NULL = unchanged; checked by the service */
	bool set_ramp;               /* ramp_curve given (ramp_len may be 0) */
	size_t ramp_len;
	int64_t ramp[ORG_RAMP_MAX]; /* hundredths of a percent, each checked by org_ramp_month_check */
};

/*
 * Month `month` (0-based) of a ramp curve is `pct` hundredths of a percent,
 * after a month of *prev (0 before the first). Adds an issue about field
 * "ramp_curve[month]" unless 0 < pct <= 100% and pct >= *prev, and returns
 * ST_INVALID then. *prev becomes pct unless pct is out of range (so one bad
 * month does not make the next one fail too).
 */
enum status org_ramp_month_check(size_t month, int64_t pct, int64_t *prev, struct issues *e);

/* Most periods one GET /v1/periods lists. */
#define ORG_PERIODS_MAX 1000

/* What GET /v1/periods asks for: a grain and a range, either end of which may be absent. */
struct period_query {
	enum period_grain grain;
	bool set_from;
	cal_date from;
	bool set_to;
	cal_date to;
};

/* Periods in order, with the fiscal year start they were cut by. */
struct period_list {
	int fy_start;          /* month 1..12 */
	struct period *items; /* owned: period_list_clear */
	size_t n;
};

/*
 * The periods of q->grain that meet q's range, for an org whose fiscal year
 * starts in month fy_start, on day `today`, into *out (period_list_clear).
 * An absent end: with neither, today's fiscal year; with only `to`, from 11
 * months before it; with only `from`, 12 months from it. ST_INVALID with an
 * issue about "to" when to is before from or the range holds more than
 * ORG_PERIODS_MAX periods; ST_NOMEM.
 */
enum status org_periods_list(const struct period_query *q, int fy_start, cal_date today, struct period_list *out,
			     struct issues *e);
/* Free the items; the list is left empty. */
void period_list_clear(struct period_list *l);

/* A team to create, or the change of one (PATCH). Borrowed strings. */
struct team_input {
	const char *name; /* NULL = unchanged (PATCH) */
	bool set_parent;
	int64_t parent_id; /* 0 = null */
	bool set_manager;
	int64_t manager_id; /* 0 = null */
	bool set_external_id;
	const char *external_id; /* NULL = null */
};

/* What GET /v1/teams lists. */
struct team_filter {
	int64_t parent_id;  /* 0 = any */
	bool root_only;     /* parent_id is null */
	int64_t manager_id; /* 0 = any */
	const char *q;      /* NULL = any; case-insensitive substring of name */
	int64_t after;      /* cursor: ids greater than this */
	int limit;
};

/* A person to create, or the change of one (PATCH). Borrowed strings. */
struct person_input {
	const char *name;  /* NULL = unchanged */
	const char *email; /* NULL = unchanged */
	bool set_team;
	int64_t team_id; /* 0 = null */
	bool set_title;
	const char *title; /* NULL = null */
	bool set_segment;
	const char *segment;
	bool set_hired_on;
	const char *hired_on; /* "YYYY-MM-DD" or NULL = null */
	int ramp_months;      /* -1 = unchanged */
	int active;           /* -1 = unchanged, 0, 1 */
	bool set_external_id;
	const char *external_id;
};

/* What GET /v1/people lists. */
struct person_filter {
	int64_t team_id; /* 0 = any */
	bool subtree;    /* with team_id: the whole subtree */
	int active;      /* -1 any, 0, 1 */
	const char *segment;
	const char *q;
	const char *external_id;
	int64_t after;
	int limit;
};

#endif
