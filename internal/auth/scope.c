#include "auth/scope.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"

bool
scope_reads_all(const struct scope *s)
{
	return (s->roles & (ROLE_ADMIN | ROLE_EXEC | ROLE_SERVICE)) != 0;
}

void
scope_key(const struct scope *s, struct buf *b)
{
	if (scope_reads_all(s))
		buf_puts(b, "all|");
	else
		buf_printf(b, "r%u:p%lld|", s->roles, (long long)s->person_id);
}

bool
scope_writes_all(const struct scope *s)
{
	return (s->roles & ROLE_ADMIN) != 0;
}

bool
scope_writes_all_pipeline(const struct scope *s)
{
	return (s->roles & (ROLE_ADMIN | ROLE_SERVICE)) != 0;
}

static bool
contains(const int64_t *v, size_t n, int64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid] == id)
			return true;
		if (v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
scope_has_team(const struct scope *s, int64_t id)
{
	return (s->roles & ROLE_MANAGER) && contains(s->teams, s->nteams, id);
}

bool
scope_below_root(const struct scope *s, int64_t id, int64_t parent_id)
{
	return parent_id > 0 && scope_has_team(s, parent_id) && scope_has_team(s, id);
}

bool
scope_has_subtree(unsigned roles)
{
	return (roles & ROLE_MANAGER) != 0;
}

bool
scope_may_write_in(const struct scope *s, int64_t team_id)
{
	return scope_writes_all(s) || (team_id > 0 && scope_has_team(s, team_id));
}

bool
scope_may_write_team(const struct scope *s, int64_t id, int64_t parent_id)
{
	return scope_writes_all(s) || scope_below_root(s, id, parent_id);
}

bool
scope_is_own_record(const struct scope *s, int64_t id)
{
	return !scope_writes_all(s) && id == s->person_id;
}

char *
scope_teams_literal(const struct scope *s)
{
	struct buf b = { 0 };

	buf_putc(&b, '{');
	for (size_t i = 0; i < s->nteams; i++)
		buf_printf(&b, i ? ",%lld" : "%lld", (long long)s->teams[i]);
	buf_putc(&b, '}');
	return buf_take(&b);
}

enum status
scope_rows_of(const struct scope *s, bool write, struct scope_rows *out)
{
	char *teams = scope_teams_literal(s);

	if (!teams)
		return ST_NOMEM;
	*out = (struct scope_rows){ .all = write ? scope_writes_all_pipeline(s) : scope_reads_all(s),
				    .person_id = s->person_id,
				    .teams = teams };
	return ST_OK;
}

void
scope_rows_clear(struct scope_rows *r)
{
	free(r->teams);
	r->teams = NULL;
}

void
scope_clear(struct scope *s)
{
	free(s->roots);
	free(s->teams);
	s->roots = s->teams = NULL;
	s->nroots = s->nteams = 0;
}

bool
scope_manages_team(const struct scope *s, int64_t id)
{
	return (s->roles & ROLE_MANAGER) && contains(s->roots, s->nroots, id);
}

bool
scope_is_self(const struct scope *s, int64_t person_id)
{
	return s->person_id > 0 && person_id == s->person_id;
}

enum scope_access
scope_quota_person(const struct scope *s, int64_t person_id, int64_t team_id)
{
	if (scope_writes_all(s))
		return SCOPE_WRITE;
	if (scope_is_self(s, person_id))
		return SCOPE_READ;
	if (team_id > 0 && scope_has_team(s, team_id))
		return SCOPE_WRITE;
	return scope_reads_all(s) ? SCOPE_READ : SCOPE_NONE;
}

enum scope_access
scope_quota_team(const struct scope *s, int64_t team_id)
{
	if (scope_writes_all(s))
		return SCOPE_WRITE;
	if (scope_has_team(s, team_id))
		return scope_manages_team(s, team_id) ? SCOPE_READ : SCOPE_WRITE;
	return scope_reads_all(s) ? SCOPE_READ : SCOPE_NONE;
}

bool
scope_forecast_adjusts(const struct scope *s, bool is_team, int64_t id, int64_t team_id)
{
	if (is_team)
		return scope_has_team(s, id) && !scope_manages_team(s, id);
	return !scope_is_self(s, id) && team_id > 0 && scope_has_team(s, team_id);
}

bool
scope_quota_plans(const struct scope *s, int64_t team_id)
{
	return scope_writes_all(s) || scope_has_team(s, team_id);
}
