/*
 * scope.h — what part of the org a caller may see and change; the one place
 * that decides it (DESIGN §4).
 *
 * admin: everything. exec and service: read everything. manager: the subtree
 * of the teams whose manager_id is their person_id. rep: their own person.
 * The subtree is loaded from the database once per request
 * (org/service.c, org_service_scope_load); the decisions below are pure.
 */
#ifndef ATTAIN_AUTH_SCOPE_H
#define ATTAIN_AUTH_SCOPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/principal.h"
#include "core/status.h"

struct scope {
	unsigned roles;
	int64_t person_id; /* the caller's person, 0 when none */
	int64_t *roots;    /* owned, sorted: teams the caller manages directly */
	size_t nroots;
	int64_t *teams;    /* owned, sorted: roots and every team below them */
	size_t nteams;
};

/*
 * Who runs an operation, as every service function takes it: the tenant,
 * the subject (for audit rows) and the scope (roles, person, subtree).
 * Borrowed: the request owns what it points to.
 */
struct caller {
	const char *org;
	const char *sub;
	const struct scope *scope;
};

/* True when the caller reads every row of the org (admin, exec, service). */
bool scope_reads_all(const struct scope *s);
struct buf;
/*
 * What decides which rows the caller sees, appended to b as part of a
 * cached answer's key: one key for the roles that read everything, else
 * the roles and the person ("all|" or "r<roles>:p<person>|").
 */
void scope_key(const struct scope *s, struct buf *b);
/* True when the caller writes every row of the org (admin). */
bool scope_writes_all(const struct scope *s);
/*
 * True when the caller writes every deal and lead of the org: admins, and
 * services (the CRM sync). Others write those of their own and, for a
 * manager, of their subtree.
 */
bool scope_writes_all_pipeline(const struct scope *s);
/* Team `id` is in the managed subtree (a root or below one). */
bool scope_has_team(const struct scope *s, int64_t id);
/*
 * Team `id` (whose parent is `parent_id`, 0 for none) hangs below a team of
 * the subtree, so a manager may edit it; the teams they manage themselves
 * are their own manager's call.
 */
bool scope_below_root(const struct scope *s, int64_t id, int64_t parent_id);
/* True when a caller with `roles` has a subtree to load (managers). */
bool scope_has_subtree(unsigned roles);
/*
 * The caller may put a team or a person under team `team_id` (0: none,
 * i.e. a top-level team or a person without a team): admins anywhere,
 * managers under a team of their subtree.
 */
bool scope_may_write_in(const struct scope *s, int64_t team_id);
/*
 * The caller may change or delete team `id`, whose parent is `parent_id`
 * (0 for none): admins any, managers those below the teams they manage
 * (scope_below_root), never those themselves.
 */
bool scope_may_write_team(const struct scope *s, int64_t id, int64_t parent_id);
/*
 * Person `id` is the caller's own record and the caller is no admin: a
 * manager's own record is their manager's call.
 */
bool scope_is_own_record(const struct scope *s, int64_t id);
/*
 * The rows a caller reaches, as the parameters of a store's scope
 * predicate: every row of the org, or those of the caller's person and of
 * the managed subtree (each store says what "of" means for its rows).
 */
struct scope_rows {
	bool all;          /* every row of the org */
	int64_t person_id; /* the caller's person; 0 = none */
	char *teams;       /* owned: the managed subtree as an array literal "{1,2}"; "{}" = none */
};
/*
 * The rows the caller reads (write false: admins, execs and services read
 * every row) or writes in the pipeline (write true: admins and services
 * write every deal and lead) into *out (scope_rows_clear). ST_NOMEM.
 */
enum status scope_rows_of(const struct scope *s, bool write, struct scope_rows *out);
/* Free what r owns; accepts a zeroed struct. */
void scope_rows_clear(struct scope_rows *r);
/*
 * The subtree as a PostgreSQL array literal "{1,2,3}" (malloc'd; NULL on
 * OOM), for `team_id = ANY($n)` filters.
 */
char *scope_teams_literal(const struct scope *s);
/* Take ownership of sorted copies; used by the loader. */
void scope_clear(struct scope *s);

/* ---- quotas (DESIGN §4) ---- */

/* The caller manages team `id` directly (a root of their subtree). */
bool scope_manages_team(const struct scope *s, int64_t id);
/* Person `person_id` (> 0) is the caller themself. */
bool scope_is_self(const struct scope *s, int64_t person_id);

/* What a caller may do with a record: nothing, read it, or also change it. */
enum scope_access { SCOPE_NONE = 0, SCOPE_READ, SCOPE_WRITE };
/*
 * The caller's access to the quotas of person `person_id`, a member of team
 * `team_id` (0 = none): admins write them; the managers of a subtree that
 * holds the team write them, except their own quota, which they only read
 * (it is their manager's call); a person reads their own; execs and
 * services read every one; anyone else nothing.
 */
enum scope_access scope_quota_person(const struct scope *s, int64_t person_id, int64_t team_id);
/*
 * The caller's access to the quotas of team `team_id`: admins write them;
 * a manager writes those of the teams of their subtree except the teams
 * they manage themselves, which they only read (their manager's call);
 * execs and services read every one; anyone else nothing.
 */
enum scope_access scope_quota_team(const struct scope *s, int64_t team_id);
/*
 * The caller may adjust the forecast call of a person (member of team
 * `team_id`) or of a team (is_team; team_id is the team): they are a
 * manager above it — the person is in their subtree and not themself, the
 * team is strictly below a team they manage. Roles alone (admin, exec,
 * service) do not make anyone a manager above.
 */
bool scope_forecast_adjusts(const struct scope *s, bool is_team, int64_t id, int64_t team_id);

/*
 * The caller may plan inside team `team_id` (split its number across its
 * parts): admins, and the managers of the team or of a team above it. Each
 * part's quota still needs write access (scope_quota_person/_team).
 */
bool scope_quota_plans(const struct scope *s, int64_t team_id);

#endif
