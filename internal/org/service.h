/*
 * service.h — the operations on the org structure (DESIGN §4, §6, §7 "Org
 * structure"): the org's settings, teams and people, and the manager scope
 * every request's caller carries. One function per operation a handler
 * performs; each resolves, checks the caller's scope (auth/scope.h) and
 * the input, and runs the store in the caller's transaction. Other domains
 * reach the org through this header, never through org/store.h.
 *
 * Common contract: `who` is borrowed; rows and pages come back through
 * out-parameters written only on ST_OK (rowjson_clear / page_clear free
 * them). A refusal adds to e an issue whose field is NULL and whose message
 * is the problem's detail: ST_FORBIDDEN (outside the caller's scope) or
 * ST_NOT_FOUND ("no such team" / "no such person"). Invalid input is
 * ST_INVALID with issues about fields; ST_CONFLICT and ST_STALE as the
 * store says; ST_UNAVAILABLE / ST_INTERNAL / ST_NOMEM for the database and
 * memory. The caller frees e (issues_clear) in every case.
 */
#ifndef ATTAIN_ORG_SERVICE_H
#define ATTAIN_ORG_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/scope.h"
#include "calendar/calendar.h"
#include "core/issue.h"
#include "db/row.h"
#include "org/org.h"
#include "org/store.h"

/* ---- the caller and the org ------------------------------------------------- */

/*
 * Bring org `org` into being with the default settings unless it exists
 * (an org comes into being on its first request). Idempotent.
 */
enum status org_service_ensure(struct db_conn *c, const char *org);
/*
 * The scope of a caller of org `org` with `roles` and person `person_id`
 * (0 when none) into *out, which must be zeroed: roles and person, and for
 * a manager the subtree of the teams they manage (one statement; no
 * statement for the other roles). The caller frees it with scope_clear,
 * also after a failure.
 */
enum status org_service_scope_load(struct db_conn *c, const char *org, unsigned roles, int64_t person_id,
                                   struct scope *out);
/* The org's settings (fiscal year start, currency, time zone, ramp curve). */
enum status org_service_settings(struct db_conn *c, const struct caller *who, struct org_settings *out);
/*
 * The settings and, in the same snapshot, the org's data version (a string
 * of at most ORG_VERSION_MAX bytes that changes with every committed write
 * of the org's data: the key of a cached answer; org/store.h), and whether
 * team team_id (0: none asked) is one of the org's into *team_found (may be
 * NULL): one statement.
 */
#define ORG_VERSION_MAX 64
enum status org_service_settings_versioned(struct db_conn *c, const struct caller *who, int64_t team_id,
                                           struct org_settings *out, char version[ORG_VERSION_MAX],
                                           bool *team_found);
/*
 * The org's settings read together with other reads (one round trip), on a
 * guess of them: org_service_settings_guess gives the settings this process
 * last read for the caller's org (false when it has none: read them with
 * org_service_settings); the caller computes its reads from the guess,
 * queues the settings with them (org_service_settings_queue), runs the
 * batch, takes the settings (org_service_settings_take) and, when they are
 * not the guess (org_settings_same), reads again with the ones taken. The
 * settings come with the org's data version (as org_service_settings_versioned).
 * Every settings read is remembered for the next guess, with the data
 * version read with them ("" when none was).
 */
bool org_service_settings_guess(const struct caller *who, struct org_settings *out, char version[ORG_VERSION_MAX]);
void org_service_settings_queue(struct db_batch *b, const struct caller *who, struct org_settings_call *call);
enum status org_service_settings_take(struct db_conn *c, const struct caller *who, const struct db_batch *b,
                                      const struct org_settings_call *call, struct org_settings *out,
                                      char version[ORG_VERSION_MAX]);
/* a and b are the same settings, today included. */
bool org_settings_same(const struct org_settings *a, const struct org_settings *b);
/* Today's date in the org's time zone. */
enum status org_service_today(struct db_conn *c, const struct caller *who, cal_date *out);
/* The org as a resource (GET /v1/org) into *out. */
enum status org_service_get(struct db_conn *c, const struct caller *who, struct rowjson *out);
/*
 * Change the org's settings (PATCH /v1/org) and return the new row. The
 * currency must be an ISO 4217 code and the time zone one PostgreSQL knows
 * (IANA). e may already hold the issues of the caller's own reading of the
 * request: this adds its own after them, and returns ST_INVALID (writing
 * nothing) when e then holds any, so one answer names every problem; a
 * failure of the database empties e, so that failure alone is the answer.
 * ST_STALE when expect_version >= 0 differs.
 */
enum status org_service_patch(struct db_conn *c, const struct caller *who, const struct org_patch *p,
                              int expect_version, struct rowjson *out, struct issues *e);

/*
 * The periods GET /v1/periods lists (org_periods_list, cut by the org's
 * fiscal year and today's UTC date) into *out (period_list_clear).
 */
enum status org_service_periods(struct db_conn *c, const struct caller *who, const struct period_query *q,
				struct period_list *out, struct issues *e);
/*
 * Period `id` ("2026-07", "FY2026-Q3", "FY2026") of the org's calendar into
 * *out, and the org's fiscal year start month into *fy_start. ST_INVALID
 * with an issue about "period_id" when id names no period.
 */
enum status org_service_period_get(struct db_conn *c, const struct caller *who, const char *id,
				   struct period *out, int *fy_start, struct issues *e);

/* ---- teams ------------------------------------------------------------------ */

/* One page of the org's teams (every role reads them all; who->scope may be NULL). */
enum status org_service_teams_list(struct db_conn *c, const struct caller *who, const struct team_filter *f,
                                   struct page *out);
/* Team `id` (who->scope may be NULL); ST_NOT_FOUND "no such team". */
enum status org_service_team_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                                 struct issues *e);
/*
 * Create a team. Admins create any; a manager only below a team of their
 * subtree (ST_FORBIDDEN otherwise). Broken references and uniqueness as
 * issues about parent_id / manager_id / external_id.
 */
enum status org_service_team_create(struct db_conn *c, const struct caller *who, const struct team_input *in,
                                    struct rowjson *out, struct issues *e);
/*
 * Change team `id`. Admins change any; a manager the teams below the ones
 * they manage (never those themselves), and may move one only below a team
 * of their subtree (ST_FORBIDDEN). ST_NOT_FOUND "no such team"; ST_CONFLICT
 * about parent_id when the move would make a cycle.
 */
enum status org_service_team_patch(struct db_conn *c, const struct caller *who, int64_t id,
                                   const struct team_input *in, int expect_version, struct rowjson *out,
                                   struct issues *e);
/*
 * Delete team `id`, as org_service_team_patch decides who may. ST_CONFLICT
 * while it has members or child teams or is referenced.
 */
enum status org_service_team_delete(struct db_conn *c, const struct caller *who, int64_t id,
                                    int expect_version, struct issues *e);
/*
 * The parent of team `id` (0 for a top-level team) into *parent_id, for
 * another domain's scope decision. ST_NOT_FOUND (no issue) when absent.
 */
enum status org_service_team_parent(struct db_conn *c, const struct caller *who, int64_t id,
                                    int64_t *parent_id);

/* ---- people ----------------------------------------------------------------- */

/* One page of the org's people (every role reads them all; who->scope may be NULL). */
enum status org_service_people_list(struct db_conn *c, const struct caller *who,
                                    const struct person_filter *f, struct page *out);
/* Person `id` (who->scope may be NULL); ST_NOT_FOUND "no such person". */
enum status org_service_person_get(struct db_conn *c, const struct caller *who, int64_t id,
                                   struct rowjson *out, struct issues *e);
/*
 * Create a person. Admins create any; a manager only in a team of their
 * subtree (ST_FORBIDDEN otherwise). Broken references and uniqueness as
 * issues about team_id / email / external_id.
 */
enum status org_service_person_create(struct db_conn *c, const struct caller *who,
                                      const struct person_input *in, struct rowjson *out, struct issues *e);
/*
 * Change person `id`. Admins change any; a manager the people of their
 * subtree's teams, never their own record, and may move one only into a
 * team of their subtree (ST_FORBIDDEN). ST_NOT_FOUND "no such person".
 */
enum status org_service_person_patch(struct db_conn *c, const struct caller *who, int64_t id,
                                     const struct person_input *in, int expect_version, struct rowjson *out,
                                     struct issues *e);
/*
 * Delete person `id`, as org_service_person_patch decides who may.
 * ST_CONFLICT while they manage a team or are referenced (deals, quotas,
 * leads).
 */
enum status org_service_person_delete(struct db_conn *c, const struct caller *who, int64_t id,
                                      int expect_version, struct issues *e);
/*
 * The team of person `id` (0 for none) into *team_id, for another domain's
 * scope decision. ST_NOT_FOUND (no issue) when absent.
 */
enum status org_service_person_team(struct db_conn *c, const struct caller *who, int64_t id,
                                    int64_t *team_id);

#endif
