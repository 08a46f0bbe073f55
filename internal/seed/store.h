/*
 * store.h — the SQL of the pipeline generator (attainctl seed): scratch
 * tables of the session (pg_temp), the deals and their history drawn in
 * batches by INSERT ... SELECT, renewals of won deals, quotas. Every random
 * choice is pg_temp.seed_u(n, k), a hash of the row number n, the salt k
 * and the seed: the same arguments give the same rows. Nothing else.
 */
#ifndef ATTAIN_SEED_STORE_H
#define ATTAIN_SEED_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "seed/plan.h"

/*
 * Create the session's scratch tables and the seeded hash for org `org`
 * and the plan, and pick the people who own deals (those who manage no
 * team; everyone when all do). ST_UNPROCESSABLE when the org has no active
 * person, no open stage, or no won or lost stage.
 */
enum status seed_store_setup(struct db_conn *c, const char *org, unsigned seed, const struct seed_plan *pl,
                             cal_date today);
/* Drop the scratch tables and the hash. */
enum status seed_store_teardown(struct db_conn *c);
/*
 * Draw the deals numbered lo..hi (1-based; those above `closed` are open)
 * and insert them with their history. *first_id: the id of the first.
 */
enum status seed_store_deals(struct db_conn *c, const char *org, const struct seed_plan *pl, long lo, long hi,
                             int64_t *first_id);
/*
 * Renew up to `limit` won deals of ids from_id..to_id closing early enough
 * to be renewed by the horizon, numbering the renewals from n; the number
 * inserted into *made.
 */
enum status seed_store_renewals(struct db_conn *c, const char *org, long n, long limit, int64_t from_id,
                                int64_t to_id, long *made);
/*
 * Quotas (revenue and deal_count) for every person and team, every quarter
 * of the plan and its fiscal years, sized from the won credit of the
 * window: each deal owner's at the attainment drawn for them, a manager's
 * as their team's, a team's as the sum of the deal owners below it.
 */
enum status seed_store_quotas(struct db_conn *c, const char *org, const struct seed_plan *pl, cal_date today);
/* Backdate the leads with these external ids (n of them) to the given days (created, updated). */
enum status seed_store_leads_dates(struct db_conn *c, const char *org, const char *ext_ids,
                                   const char *created, const char *updated);
/* The ids of the deal owners of segment `segment` (NULL = every one) as text "{1,2}" (malloc'd) into *out. */
enum status seed_store_owners(struct db_conn *c, const char *segment, char **out);
/* The org's counts after a seeding: deals, history rows, quotas. */
enum status seed_store_counts(struct db_conn *c, const char *org, long *deals, long *history, long *quotas);
/* ANALYZE the tables the seeding filled: the deals (before the quotas read them), or the others. */
enum status seed_store_analyze(struct db_conn *c, bool deals);

#endif
