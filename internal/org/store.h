/*
 * store.h — the SQL of the org structure: org settings, teams, people, and
 * the manager scope loader. Rows come back as ready JSON text built by
 * PostgreSQL (struct rowjson), so a read costs one statement and no re-encoding.
 */
#ifndef ATTAIN_ORG_STORE_H
#define ATTAIN_ORG_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/principal.h"
#include "auth/scope.h"
#include "core/buf.h"
#include "db/db.h"
#include "db/row.h"

/* Org settings that the domain logic needs. */
struct org_settings {
	int fiscal_year_start_month;
	char currency[4];
	char timezone[64];
	int ramp_len;
	double ramp[24]; /* percent per month of ramp */
};

/* Create org `org` with defaults unless it exists (idempotent). */
enum status org_ensure(struct db_conn *c, const char *org);
enum status org_get(struct db_conn *c, const char *org, struct rowjson *out);
enum status org_settings_get(struct db_conn *c, const char *org, struct org_settings *out);

struct org_patch {
	const char *name;          /* NULL = unchanged */
	int fiscal_year_start_month; /* 0 = unchanged */
	const char *currency;      /* NULL = unchanged */
	const char *timezone;      /* NULL = unchanged */
	const char *ramp_curve;    /* PostgreSQL array literal, NULL = unchanged */
};
/* ST_STALE when expect_version >= 0 differs from the stored version. */
enum status org_update(struct db_conn *c, const char *org, const struct org_patch *p,
		       int expect_version, struct rowjson *out);
enum status org_timezone_known(struct db_conn *c, const char *tz, bool *known);

/* Load the caller's manager subtree into s (roles/person_id set by caller). */
enum status org_scope_load(struct db_conn *c, const char *org, struct scope *s);

struct team_input {
	const char *name;        /* NULL = unchanged (PATCH) */
	bool set_parent;
	int64_t parent_id;       /* 0 = null */
	bool set_manager;
	int64_t manager_id;      /* 0 = null */
	bool set_external_id;
	const char *external_id; /* NULL = null */
};
struct team_filter {
	int64_t parent_id;   /* 0 = any */
	bool root_only;      /* parent_id is null */
	int64_t manager_id;  /* 0 = any */
	const char *q;       /* NULL = any; case-insensitive substring of name */
	int64_t after;       /* cursor: ids greater than this */
	int limit;
};
enum status team_create(struct db_conn *c, const char *org, const struct team_input *in,
			struct rowjson *out, struct issues *e);
enum status team_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out);
/* The team's parent (0 = none); ST_NOT_FOUND when absent. */
enum status team_parent(struct db_conn *c, const char *org, int64_t id, int64_t *parent_id);
enum status team_list(struct db_conn *c, const char *org, const struct team_filter *f, struct page *out);
/* ST_CONFLICT with e->field "parent_id" when the change would make a cycle. */
enum status team_update(struct db_conn *c, const char *org, int64_t id, const struct team_input *in,
			int expect_version, struct rowjson *out, struct issues *e);
/* ST_CONFLICT when the team has members or child teams. */
enum status team_delete(struct db_conn *c, const char *org, int64_t id, int expect_version,
			struct issues *e);

struct person_input {
	const char *name;  /* NULL = unchanged */
	const char *email; /* NULL = unchanged */
	bool set_team;
	int64_t team_id;   /* 0 = null */
	bool set_title;
	const char *title; /* NULL = null */
	bool set_segment;
	const char *segment;
	bool set_hired_on;
	const char *hired_on; /* "YYYY-MM-DD" or NULL = null */
	int ramp_months;   /* -1 = unchanged */
	int active;        /* -1 = unchanged, 0, 1 */
	bool set_external_id;
	const char *external_id;
};
struct person_filter {
	int64_t team_id;   /* 0 = any */
	bool subtree;      /* with team_id: the whole subtree */
	int active;        /* -1 any, 0, 1 */
	const char *segment;
	const char *q;
	const char *external_id;
	int64_t after;
	int limit;
};
enum status person_create(struct db_conn *c, const char *org, const struct person_input *in,
			  struct rowjson *out, struct issues *e);
enum status person_get(struct db_conn *c, const char *org, int64_t id, struct rowjson *out);
/* The person's team (0 = none); ST_NOT_FOUND when absent. */
enum status person_team(struct db_conn *c, const char *org, int64_t id, int64_t *team_id);
enum status person_list(struct db_conn *c, const char *org, const struct person_filter *f,
			struct page *out);
enum status person_update(struct db_conn *c, const char *org, int64_t id, const struct person_input *in,
			  int expect_version, struct rowjson *out, struct issues *e);
/* ST_CONFLICT when the person manages a team. */
enum status person_delete(struct db_conn *c, const char *org, int64_t id, int expect_version,
			  struct issues *e);

#endif
