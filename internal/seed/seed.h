/*
 * seed.h — three years of generated pipeline for an org that has its teams
 * and people (attainctl seed): deals (seasonal, all four types, renewals
 * of won deals, splits, pushes, lost deals) with their history backdated,
 * quotas for every person and team, and for the demo closed and open leads.
 * Deterministic: the same org contents, options and seed give the same
 * rows. Writes in the caller's transaction.
 */
#ifndef ATTAIN_SEED_SEED_H
#define ATTAIN_SEED_SEED_H

#include <stdbool.h>

#include "calendar/calendar.h"
#include "db/db.h"

/* The seed when none is given. */
#define SEED_DEFAULT 20261

struct seed_options {
	long deals;     /* deals in all (>= 1) */
	unsigned seed;  /* everything random follows from it */
	bool set_today; /* the anchor day given; else today in the org's time zone */
	cal_date today;
	bool leads; /* also the demo's leads (SEED_LEADS_CLOSED + _OPEN per segment) */
};

/* What a seeding wrote, for the report. */
struct seed_result {
	cal_date today; /* the anchor day used */
	long deals, history, quotas, leads;
};

/*
 * Seed org `org` (its teams and people already written) by o. ST_INVALID
 * when o->deals < 1; ST_UNPROCESSABLE when the org has no person or its
 * stages lack an open, a won or a lost one; the store's failures otherwise.
 */
enum status seed_pipeline(struct db_conn *c, const char *org, const struct seed_options *o,
                          struct seed_result *out);

#endif
