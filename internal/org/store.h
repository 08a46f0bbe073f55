/*
 * store.h — the SQL of the org structure: org settings, teams, people, and
 * the manager scope loader. Rows come back as ready JSON text built by
 * PostgreSQL (struct rowjson), so a read costs one statement and no
 * re-encoding. No rule lives here: org/service.c decides who may do what
 * and checks what a write says; the store only names the constraint a
 * failed write broke. Every function runs in the caller's transaction (if
 * any) on c; strings are borrowed; ST_UNAVAILABLE / ST_INTERNAL are the
 * database's failures as db_check maps them.
 */
#ifndef ATTAIN_ORG_STORE_H
#define ATTAIN_ORG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "db/row.h"
#include "org/org.h"

/* ---- the org ---------------------------------------------------------------- */

/* Create org `org` with the default settings unless it exists (idempotent). */
enum status org_ensure(struct db_conn *c, const char *org);
/* The org as JSON into *out (rowjson_clear); ST_NOT_FOUND when it does not exist. */
enum status org_get(struct db_conn *c, const char *org, struct rowjson *out);
/* The org's settings into *out; ST_NOT_FOUND when it does not exist. */
enum status org_settings_get(struct db_conn *c, const char *org, struct org_settings *out);
/*
 * The same and, read in the same statement (one snapshot), the org's data
 * version into version: "<orgs.created_at in µs>.<sum of its
 * org_data_versions>.<p|s>" (s: read on a standby), which changes with every
 * committed write of the org's data (0017_data_versions); and whether team
 * team_id (0: none) is one of the org's into *team_found (may be NULL).
 */
enum status org_settings_versioned_get(struct db_conn *c, const char *org, int64_t team_id, struct org_settings *out,
				       char *version, size_t size, bool *team_found);
/*
 * The versioned settings read (org_settings_versioned_get, no team) queued
 * in a batch (org_settings_queue), taken after it ran (org_settings_take).
 */
struct org_settings_call {
	const char *params[2];
	int at; /* its index in the batch; -1: the batch was full */
};
void org_settings_queue(struct db_batch *b, const char *org, struct org_settings_call *call);
enum status org_settings_take(struct db_conn *c, const struct db_batch *b, const struct org_settings_call *call,
			      struct org_settings *out, char *version, size_t size);
/* Today's date in the org's time zone into *out; ST_NOT_FOUND when the org does not exist. */
enum status org_today_get(struct db_conn *c, const char *org, cal_date *out);
/*
 * Apply p (already checked) to the org and return the new row into *out
 * (rowjson_clear). ST_STALE when expect_version >= 0 differs from the
 * stored version; ST_NOT_FOUND when the org does not exist.
 */
enum status org_update(struct db_conn *c, const char *org, const struct org_patch *p, int expect_version,
		       struct rowjson *out);
/* *known = whether PostgreSQL knows time zone `tz` (IANA name). */
enum status org_timezone_known(struct db_conn *c, const char *tz, bool *known);

/*
 * Load the subtree managed by person s->person_id into s->teams / s->roots
 * (sorted, owned by s: scope_clear). Nothing is loaded when person_id <= 0
 * or the person manages no team. ST_NOMEM leaves s without a subtree.
 */
enum status org_scope_load(struct db_conn *c, const char *org, struct scope *s);

/* ---- teams ------------------------------------------------------------------ */

/*
 * Insert a team and return its row into *out (rowjson_clear). A broken
 * reference or uniqueness (parent_id, manager_id, external_id) adds an
 * issue about that field to e, with ST_INVALID or ST_CONFLICT.
 */
enum status team_create(struct db_conn *c, const char *org, const struct team_input *in, struct rowjson *out,
			struct issues *e);
/* Team `id` as JSON into *out (rowjson_clear); ST_NOT_FOUND when absent. */
enum status team_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out);
/* The team's parent into *parent_id (0 = none); ST_NOT_FOUND when absent. */
enum status team_parent(struct db_conn *c, const char *org, int64_t id, int64_t *parent_id);
/* One page of teams matching f, ordered by id, into *out (page_clear). */
enum status team_list(struct db_conn *c, const char *org, const struct team_filter *f, struct page *out);
/*
 * Change team `id` and return the new row into *out (rowjson_clear).
 * ST_CONFLICT with an issue about "parent_id" when the change would make a
 * cycle; ST_NOT_FOUND when absent; ST_STALE when expect_version >= 0
 * differs; broken references as team_create.
 */
enum status team_update(struct db_conn *c, const char *org, int64_t id, const struct team_input *in,
			int expect_version, struct rowjson *out, struct issues *e);
/*
 * Delete team `id`. ST_NOT_FOUND when absent; ST_STALE when expect_version
 * >= 0 differs; ST_CONFLICT, with an issue about the request, when the team
 * has members or child teams or is still referenced.
 */
enum status team_delete(struct db_conn *c, const char *org, int64_t id, int expect_version, struct issues *e);

/* ---- people ----------------------------------------------------------------- */

/*
 * Insert a person and return the row into *out (rowjson_clear). A broken
 * reference or uniqueness (team_id, email, external_id) adds an issue about
 * that field to e, with ST_INVALID or ST_CONFLICT.
 */
enum status person_create(struct db_conn *c, const char *org, const struct person_input *in,
			  struct rowjson *out, struct issues *e);
/* Person `id` as JSON into *out (rowjson_clear); ST_NOT_FOUND when absent. */
enum status person_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out);
/* The person's team into *team_id (0 = none); ST_NOT_FOUND when absent. */
enum status person_team(struct db_conn *c, const char *org, int64_t id, int64_t *team_id);
/* One page of people matching f, ordered by id, into *out (page_clear). */
enum status person_list(struct db_conn *c, const char *org, const struct person_filter *f, struct page *out);
/*
 * Change person `id` and return the new row into *out (rowjson_clear).
 * ST_NOT_FOUND when absent; ST_STALE when expect_version >= 0 differs;
 * broken references as person_create.
 */
enum status person_update(struct db_conn *c, const char *org, int64_t id, const struct person_input *in,
			  int expect_version, struct rowjson *out, struct issues *e);
/*
 * Delete person `id`. ST_NOT_FOUND when absent; ST_STALE when
 * expect_version >= 0 differs; ST_CONFLICT, with an issue about the
 * request, when the person manages a team or is still referenced.
 */
enum status person_delete(struct db_conn *c, const char *org, int64_t id, int expect_version,
			  struct issues *e);

#endif
