#include "org/service.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/hash.h"
#include "org/currency.h"
#include "org/store.h"

/* ---- the caller and the org ------------------------------------------------- */

enum status
org_service_ensure(struct db_conn *c, const char *org)
{
	return org_ensure(c, org);
}

enum status
org_service_scope_load(struct db_conn *c, const char *org, unsigned roles, int64_t person_id,
                       struct scope *out)
{
	out->roles = roles;
	out->person_id = person_id;
	return scope_has_subtree(roles) ? org_scope_load(c, org, out) : ST_OK;
}

/*
 * The settings last read per org, for the next guess (org_service_settings_guess):
 * a direct-mapped table by a hash of the org id; an org whose id does not fit
 * is not remembered. Always checked against a fresh read by the caller.
 */
#define MEMO_SLOTS 256
static struct {
	char org[64];
	struct org_settings s;
	char version[ORG_VERSION_MAX]; /* the data version read with them ("" when not read) */
} memo[MEMO_SLOTS];
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t
memo_slot(const char *org)
{
	return (size_t)(hash_string(org) % MEMO_SLOTS);
}

static void
remember(const char *org, const struct org_settings *s, const char *version)
{
	if (strlen(org) >= sizeof memo[0].org)
		return;
	size_t i = memo_slot(org);
	pthread_mutex_lock(&memo_lock);
	snprintf(memo[i].org, sizeof memo[i].org, "%s", org);
	memo[i].s = *s;
	snprintf(memo[i].version, sizeof memo[i].version, "%s", version ? version : "");
	pthread_mutex_unlock(&memo_lock);
}

bool
org_service_settings_guess(const struct caller *who, struct org_settings *out, char version[ORG_VERSION_MAX])
{
	size_t i = memo_slot(who->org);
	bool found;

	pthread_mutex_lock(&memo_lock);
	if ((found = strcmp(memo[i].org, who->org) == 0)) {
		*out = memo[i].s;
		memcpy(version, memo[i].version, ORG_VERSION_MAX);
	}
	pthread_mutex_unlock(&memo_lock);
	if (!found)
		version[0] = '\0';
	return found;
}

bool
org_settings_same(const struct org_settings *a, const struct org_settings *b)
{
	if (a->fiscal_year_start_month != b->fiscal_year_start_month || a->today != b->today ||
	    a->ramp_len != b->ramp_len || strcmp(a->currency, b->currency) != 0 ||
	    strcmp(a->timezone, b->timezone) != 0)
		return false;
	for (int i = 0; i < a->ramp_len; i++)
		if (a->ramp[i] != b->ramp[i])
			return false;
	return true;
}

enum status
org_service_settings(struct db_conn *c, const struct caller *who, struct org_settings *out)
{
	enum status st = org_settings_get(c, who->org, out);

	if (st == ST_OK)
		remember(who->org, out, NULL);
	return st;
}

void
org_service_settings_queue(struct db_batch *b, const struct caller *who, struct org_settings_call *call)
{
	org_settings_queue(b, who->org, call);
}

enum status
org_service_settings_take(struct db_conn *c, const struct caller *who, const struct db_batch *b,
                          const struct org_settings_call *call, struct org_settings *out,
                          char version[ORG_VERSION_MAX])
{
	enum status st = org_settings_take(c, b, call, out, version, ORG_VERSION_MAX);

	if (st == ST_OK)
		remember(who->org, out, version);
	return st;
}

enum status
org_service_settings_versioned(struct db_conn *c, const struct caller *who, int64_t team_id,
                               struct org_settings *out, char version[ORG_VERSION_MAX], bool *team_found)
{
	enum status st = org_settings_versioned_get(c, who->org, team_id, out, version, ORG_VERSION_MAX, team_found);

	if (st == ST_OK)
		remember(who->org, out, version);
	return st;
}

enum status
org_service_today(struct db_conn *c, const struct caller *who, cal_date *out)
{
	return org_today_get(c, who->org, out);
}

enum status
org_service_get(struct db_conn *c, const struct caller *who, struct rowjson *out)
{
	return org_get(c, who->org, out);
}

/* Add the issues of the settings p changes: an unknown currency or time zone. */
static enum status
check_settings(struct db_conn *c, const struct org_patch *p, struct issues *e)
{
	bool known = false;
	enum status st;

	if (p->currency && !currency_known(p->currency))
		issues_add(e, "currency", "must be an ISO 4217 code such as USD or EUR");
	if (p->timezone) {
		if ((st = org_timezone_known(c, p->timezone, &known)) != ST_OK) {
			issues_clear(e); /* the answer is the database's failure alone */
			return st;
		}
		if (!known)
			issues_add(e, "timezone", "must be an IANA time zone such as Europe/Paris");
	}
	return issues_any(e) ? ST_INVALID : ST_OK;
}

enum status
org_service_patch(struct db_conn *c, const struct caller *who, const struct org_patch *p, int expect_version,
                  struct rowjson *out, struct issues *e)
{
	enum status st = check_settings(c, p, e);

	return st == ST_OK ? org_update(c, who->org, p, expect_version, out) : st;
}

enum status
org_service_periods(struct db_conn *c, const struct caller *who, const struct period_query *q,
		    struct period_list *out, struct issues *e)
{
	struct org_settings s;
	enum status st = org_settings_get(c, who->org, &s);

	if (st != ST_OK)
		return st;
	return org_periods_list(q, s.fiscal_year_start_month, cal_date_from_unix(time(NULL)), out, e);
}

enum status
org_service_period_get(struct db_conn *c, const struct caller *who, const char *id, struct period *out,
		       int *fy_start, struct issues *e)
{
	struct org_settings s;
	enum status st = org_settings_get(c, who->org, &s);

	if (st != ST_OK)
		return st;
	if (period_parse(id, s.fiscal_year_start_month, out) != ST_OK) {
		issues_add(e, "period_id", "must be a period id such as 2026-07, FY2026-Q3 or FY2026");
		return ST_INVALID;
	}
	*fy_start = s.fiscal_year_start_month;
	return ST_OK;
}

/* ---- refusals --------------------------------------------------------------- */

/* st, with `absent` as the issue when it is ST_NOT_FOUND. */
static enum status
absent_as(enum status st, const char *absent, struct issues *e)
{
	if (st == ST_NOT_FOUND)
		issues_add(e, NULL, "%s", absent);
	return st;
}

/* ST_OK when allowed, else ST_FORBIDDEN with `why` as the issue. */
static enum status
allow(bool allowed, const char *why, struct issues *e)
{
	if (allowed)
		return ST_OK;
	issues_add(e, NULL, "%s", why);
	return ST_FORBIDDEN;
}

/* ---- teams ------------------------------------------------------------------ */

enum status
org_service_teams_list(struct db_conn *c, const struct caller *who, const struct team_filter *f,
                       struct page *out)
{
	return team_list(c, who->org, f, out);
}

enum status
org_service_team_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                     struct issues *e)
{
	return absent_as(team_get(c, who->org, id, out), "no such team", e);
}

/* The caller may hang a team below team `parent` (0: make it top-level). */
static enum status
may_use_parent(const struct caller *who, int64_t parent, struct issues *e)
{
	return allow(scope_may_write_in(who->scope, parent),
	             parent > 0 ? "the parent team is outside the teams you manage"
	                        : "only an admin creates top-level teams",
	             e);
}

/* Team `id` exists and the caller may change or delete it. */
static enum status
may_write_team(struct db_conn *c, const struct caller *who, int64_t id, struct issues *e)
{
	int64_t parent = 0;
	enum status st = absent_as(team_parent(c, who->org, id, &parent), "no such team", e);

	if (st != ST_OK)
		return st;
	return allow(scope_may_write_team(who->scope, id, parent),
	             "this team is outside the teams you manage", e);
}

enum status
org_service_team_create(struct db_conn *c, const struct caller *who, const struct team_input *in,
                        struct rowjson *out, struct issues *e)
{
	enum status st = may_use_parent(who, in->parent_id, e);

	return st == ST_OK ? team_create(c, who->org, in, out, e) : st;
}

enum status
org_service_team_patch(struct db_conn *c, const struct caller *who, int64_t id, const struct team_input *in,
                       int expect_version, struct rowjson *out, struct issues *e)
{
	enum status st = may_write_team(c, who, id, e);

	if (st == ST_OK && in->set_parent)
		st = may_use_parent(who, in->parent_id, e);
	return st == ST_OK ? team_update(c, who->org, id, in, expect_version, out, e) : st;
}

enum status
org_service_team_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                        struct issues *e)
{
	enum status st = may_write_team(c, who, id, e);

	return st == ST_OK ? team_delete(c, who->org, id, expect_version, e) : st;
}

enum status
org_service_team_parent(struct db_conn *c, const struct caller *who, int64_t id, int64_t *parent_id)
{
	return team_parent(c, who->org, id, parent_id);
}

/* ---- people ----------------------------------------------------------------- */

enum status
org_service_people_list(struct db_conn *c, const struct caller *who, const struct person_filter *f,
                        struct page *out)
{
	return person_list(c, who->org, f, out);
}

enum status
org_service_person_get(struct db_conn *c, const struct caller *who, int64_t id, struct rowjson *out,
                       struct issues *e)
{
	return absent_as(person_get(c, who->org, id, out), "no such person", e);
}

/* The caller may place a person in team `team_id` (0: no team). */
static enum status
may_place_in(const struct caller *who, int64_t team_id, struct issues *e)
{
	return allow(scope_may_write_in(who->scope, team_id), "the team is outside the teams you manage", e);
}

/* Person `id` exists and the caller may change or delete them. */
static enum status
may_write_person(struct db_conn *c, const struct caller *who, int64_t id, struct issues *e)
{
	int64_t team = 0;
	enum status st = absent_as(person_team(c, who->org, id, &team), "no such person", e);

	if (st == ST_OK)
		st = allow(!scope_is_own_record(who->scope, id), "your own record is your manager's call", e);
	return st == ST_OK ? may_place_in(who, team, e) : st;
}

enum status
org_service_person_create(struct db_conn *c, const struct caller *who, const struct person_input *in,
                          struct rowjson *out, struct issues *e)
{
	enum status st = may_place_in(who, in->team_id, e);

	return st == ST_OK ? person_create(c, who->org, in, out, e) : st;
}

enum status
org_service_person_patch(struct db_conn *c, const struct caller *who, int64_t id,
                         const struct person_input *in, int expect_version, struct rowjson *out,
                         struct issues *e)
{
	enum status st = may_write_person(c, who, id, e);

	if (st == ST_OK && in->set_team)
		st = may_place_in(who, in->team_id, e);
	return st == ST_OK ? person_update(c, who->org, id, in, expect_version, out, e) : st;
}

enum status
org_service_person_delete(struct db_conn *c, const struct caller *who, int64_t id, int expect_version,
                          struct issues *e)
{
	enum status st = may_write_person(c, who, id, e);

	return st == ST_OK ? person_delete(c, who->org, id, expect_version, e) : st;
}

enum status
org_service_person_team(struct db_conn *c, const struct caller *who, int64_t id, int64_t *team_id)
{
	return person_team(c, who->org, id, team_id);
}
