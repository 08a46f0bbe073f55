/*
 * seed.h — deterministic org data: a realistic demo org, and benchmark-sized
 * trees (attainctl seed). Same arguments, same rows. Both write in the
 * caller's transaction (on failure the caller rolls back what was written)
 * into an org that exists (org_service_ensure).
 */
#ifndef ATTAIN_ORG_SEED_H
#define ATTAIN_ORG_SEED_H

#include "db/db.h"

/*
 * The demo org: a global sales team with regions, enterprise / mid-market /
 * inside-sales teams, their managers and reps. ST_CONFLICT when the org
 * already has teams (nothing is written); the store's failures otherwise.
 */
enum status org_seed_demo(struct db_conn *c, const char *org);
/*
 * `teams` teams in a 10-ary tree and `people` people spread over them (each
 * team managed by its first person), in four statements. ST_CONFLICT when
 * the org has teams (nothing is written); the store's failures otherwise.
 */
enum status org_seed_bench(struct db_conn *c, const char *org, int teams, int people);

#endif
