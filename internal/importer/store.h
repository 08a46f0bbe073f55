/*
 * store.h — what `attainctl import` reads of the database besides the
 * services: which orgs there are, and the keys of an org's people and teams
 * (to resolve references and to tell a create from an update), and the
 * quota an import row names by its natural key.
 */
#ifndef ATTAIN_IMPORTER_STORE_H
#define ATTAIN_IMPORTER_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/status.h"
#include "db/db.h"

/* The ids of the orgs, at most `max` of them, into out[] (each malloc'd; caller frees), *n of them. */
enum status imp_store_orgs(struct db_conn *c, char **out, size_t max, size_t *n);

/* Whether org exists: ST_OK, or ST_NOT_FOUND. */
enum status imp_store_org_exists(struct db_conn *c, const char *org);

/*
 * Each person (people != 0) or team of org: each(ctx, id, version,
 * external_id or NULL, email or NULL (teams: NULL)).
 */
enum status imp_store_keys(struct db_conn *c, const char *org, int people,
                           void (*each)(void *ctx, int64_t id, int version, const char *external_id,
                                        const char *email),
                           void *ctx);

/*
 * The quota of org for the assignee ("person"/"team", id), period, metric
 * and filter (NULL = none) into *id and *version; ST_NOT_FOUND when none.
 */
enum status imp_store_quota_find(struct db_conn *c, const char *org, const char *assignee_type,
                                 int64_t assignee_id, const char *period, const char *metric,
                                 const char *filter_type, const char *filter_segment, int64_t *id,
                                 int *version);

#endif
