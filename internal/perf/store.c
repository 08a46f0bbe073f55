#include "perf/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/money.h"
#include "db/row.h"

static const char *const type_names[PERF_TYPES] = {"new_business", "upsell", "cross_sell", "renewal"};
static const char *const segment_names[PERF_SEGMENTS] = {"b2b", "b2c"};

const char *
perf_type_name(int i)
{
	return type_names[i];
}

const char *
perf_segment_name(int i)
{
	return segment_names[i];
}

/*
 * The credited deals of a scope, as they stood on a day. Parameters: $1
 * org, $2 scope kind ('person', 'team', 'org'), $3 its id, $4 and $5 the
 * period, $6 the day (as_of), $7 whether it is in the past.
 *
 * people: the scope's people (a team: everyone whose team is in its
 * subtree). cand: their deals (owned without splits, or split) created by
 * as_of that close in the period, and, for a day in the past, also those
 * changed since (their close date may have been in the period then).
 * state: each deal as it stood at the end of as_of in the org's time zone:
 * its last history row by then (none for the current state, or for a deal
 * loaded later with an earlier created_on). facts: one row per credited
 * holder in scope of each deal closing in the period, its status as of the
 * day (closed after as_of: open), credit by deal_credit_rows on the amount
 * it had then, nth = 1 for one holder per deal (per-deal figures).
 */
#define AS_OF_END "((($6::date + 1)::timestamp) AT TIME ZONE " DB_ORG_TZ ")"
#define PERF_FACTS                                                                                              \
	"WITH RECURSIVE sub(id) AS (SELECT t.id FROM teams t WHERE t.org_id = $1 AND $2::text = 'team'"             \
	"  AND t.id = $3::bigint UNION SELECT t.id FROM teams t JOIN sub ON t.parent_id = sub.id"                    \
	"  WHERE t.org_id = $1),"                                                                                    \
	" inscope AS (SELECT p.id FROM people p WHERE p.org_id = $1 AND ($2::text = 'org'"                           \
	"  OR ($2::text = 'person' AND p.id = $3::bigint) OR ($2::text = 'team' AND p.team_id IN (SELECT id FROM sub)))),"\
	" cand AS (SELECT d.id FROM inscope x JOIN deals d ON d.org_id = $1 AND d.owner_id = x.id"                   \
	"  WHERE d.split_person_ids = '{}' AND d.created_on <= $6::date"                                            \
	"  AND (d.close_date BETWEEN $4::date AND $5::date OR ($7::bool AND d.updated_at >= " AS_OF_END "))"         \
	"  UNION SELECT s.deal_id FROM inscope x JOIN deal_splits s ON s.org_id = $1 AND s.person_id = x.id"         \
	"  JOIN deals d ON d.org_id = $1 AND d.id = s.deal_id WHERE d.created_on <= $6::date"                       \
	"  AND (s.close_date BETWEEN $4::date AND $5::date OR ($7::bool AND d.updated_at >= " AS_OF_END "))),"       \
	" state AS (SELECT d.id, d.name, d.type, d.segment, d.created_on, d.split_person_ids, d.split_percents,"      \
	"  coalesce(h.owner_id, d.owner_id) AS owner_id, coalesce(h.stage_to, d.stage) AS stage,"                   \
	"  coalesce(h.amount_to, d.amount) AS amount, coalesce(h.close_date_to, d.close_date) AS close_date,"        \
	"  coalesce(h.status, d.status) AS status0, h.kind, coalesce(h.forecast_category, d.forecast_category) AS fc,"\
	"  coalesce(h.probability, d.probability) AS prob, d.pushes"                                                \
	"  FROM cand JOIN deals d ON d.org_id = $1 AND d.id = cand.id"                                               \
	"  LEFT JOIN LATERAL (SELECT h.owner_id, h.stage_to, h.amount_to, h.close_date_to, h.status, h.kind,"        \
	"   h.forecast_category, h.probability"                                                                      \
	"   FROM deal_history h WHERE h.org_id = $1 AND h.deal_id = d.id AND h.at < " AS_OF_END                      \
	"   ORDER BY h.version DESC LIMIT 1) h ON $7::bool),"                                                        \
	" facts AS (SELECT s.id, s.name, s.type, s.segment, s.stage, s.close_date, s.created_on, s.amount,"        \
	"  s.fc, s.prob, s.pushes,"                                                                                  \
	"  CASE WHEN s.status0 <> 'open' AND s.close_date > $6::date THEN 'open' ELSE s.status0 END AS status,"     \
	"  c.person_id, c.percent, c.credit, row_number() OVER (PARTITION BY s.id ORDER BY c.person_id) AS nth"      \
	"  FROM state s CROSS JOIN LATERAL deal_credit_rows(s.amount, s.owner_id, s.split_person_ids,"              \
	"   s.split_percents) c"                                                                                     \
	"  WHERE s.kind IS DISTINCT FROM 'deleted' AND s.close_date BETWEEN $4::date AND $5::date"                  \
	"  AND c.person_id IN (SELECT id FROM inscope)) "

/* The ten columns of struct perf_sums over facts f; `once` picks one row per deal for the cycles. */
#define SUMS_COLS(once)                                                                                         \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'won'), 0),"                                              \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'won')), 0),"                                      \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'lost'), 0),"                                             \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'lost')), 0),"                                     \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'open'), 0),"                                             \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'open')), 0),"                                     \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'won' AND f.type = 'renewal')), 0),"               \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'lost' AND f.type = 'renewal')), 0),"              \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'won' AND f.type IN ('upsell', 'cross_sell')), 0),"       \
	" coalesce(array_agg(f.close_date - f.created_on) FILTER (WHERE f.status = 'won' AND " once "), '{}')"

/* One row per grouping set: all, each type, each segment, each stage (open only matters there). */
DB_STMT(stmt_perf_facts,
	PERF_FACTS
	"SELECT grouping(f.type), grouping(f.segment), grouping(f.stage), f.type, f.segment, f.stage,"
	SUMS_COLS("f.nth = 1") " FROM facts f GROUP BY GROUPING SETS ((), (f.type), (f.segment), (f.stage))");

/*
 * The forecast roll-up of the scope: per forecast category (won: closed;
 * lost: omitted; a deal open on as_of whose category is still 'closed'
 * counts as commit), its credited
 * amount and count, the probability-weighted amount, and the risk signals
 * of its open deals; for the whole scope (child NULL) and for each direct
 * child of a team scope (a member: 'person:ID'; a child team, with its
 * subtree: 'team:ID'; the org's children are its root teams).
 */
DB_STMT(stmt_perf_categories,
	PERF_FACTS
	", br(id, top) AS (SELECT t.id, t.id FROM teams t WHERE t.org_id = $1 AND $2::text <> 'person'"
	" AND t.parent_id IS NOT DISTINCT FROM $3::bigint"
	" UNION ALL SELECT t.id, br.top FROM teams t JOIN br ON t.parent_id = br.id WHERE t.org_id = $1),"
	" g AS (SELECT f.*, CASE WHEN f.status = 'won' THEN 'closed' WHEN f.status = 'lost' THEN 'omitted'"
	"   WHEN f.fc = 'closed' THEN 'commit' ELSE f.fc END AS cat,"
	"  CASE WHEN $2::text = 'team' AND p.team_id = $3::bigint THEN 'person:' || f.person_id"
	"   WHEN br.top IS NOT NULL THEN 'team:' || br.top END AS child"
	"  FROM facts f JOIN people p ON p.org_id = $1 AND p.id = f.person_id LEFT JOIN br ON br.id = p.team_id),"
	" r AS (SELECT g.*, g.status = 'open' AND g.close_date < $6::date AS overdue,"
	"  g.status = 'open' AND NOT EXISTS (SELECT 1 FROM deal_history h WHERE h.org_id = $1 AND h.deal_id = g.id"
	"   AND (h.kind = 'created' OR h.stage_from IS DISTINCT FROM h.stage_to)"
	"   AND h.at >= " AS_OF_END " - interval '30 days' AND h.at < " AS_OF_END ") AS stale"
	"  FROM g)"
	" SELECT grouping(r.child), r.child, r.cat, coalesce(sum(r.credit), 0), coalesce(round(sum(r.percent)), 0),"
	" coalesce(round(sum(r.credit * r.prob) / 100, 2), 0),"
	" count(DISTINCT r.id) FILTER (WHERE r.status = 'open' AND r.pushes >= 2),"
	" count(DISTINCT r.id) FILTER (WHERE r.overdue), count(DISTINCT r.id) FILTER (WHERE r.stale)"
	" FROM r GROUP BY GROUPING SETS ((r.cat), (r.child, r.cat))");

/* One row per person of the scope with credited business. */
DB_STMT(stmt_perf_by_person,
	PERF_FACTS "SELECT f.person_id," SUMS_COLS("true") " FROM facts f GROUP BY f.person_id");

/*
 * One row per child team of team $3 (the scope) with credited business in
 * its subtree: br maps each team below $3 to the child it is under; a deal
 * held by two people under one child counts once there for its cycle.
 */
DB_STMT(stmt_perf_by_child_team,
	PERF_FACTS
	", br(id, top) AS (SELECT t.id, t.id FROM teams t WHERE t.org_id = $1 AND t.parent_id IS NOT DISTINCT FROM $3::bigint"
	" UNION ALL SELECT t.id, br.top FROM teams t JOIN br ON t.parent_id = br.id WHERE t.org_id = $1),"
	" g AS (SELECT f.*, br.top, row_number() OVER (PARTITION BY f.id, br.top ORDER BY f.person_id) AS once"
	" FROM facts f JOIN people p ON p.org_id = $1 AND p.id = f.person_id JOIN br ON br.id = p.team_id)"
	" SELECT f.top," SUMS_COLS("f.once = 1") " FROM g f GROUP BY f.top");

DB_STMT(stmt_perf_won_by_day,
	PERF_FACTS
	"SELECT " DB_DAY("f.close_date") ", sum(f.credit), round(sum(f.percent)) FROM facts f"
	" WHERE f.status = 'won' GROUP BY f.close_date ORDER BY f.close_date");

DB_STMT(stmt_perf_explain,
	PERF_FACTS
	"SELECT f.status, json_build_object('deal_id', f.id::text, 'name', f.name, 'stage', f.stage,"
	" 'status', f.status, 'type', f.type, 'segment', f.segment, 'close_date', " DB_DAY("f.close_date") ","
	" 'amount', f.amount, 'person_id', f.person_id::text, 'percent', f.percent, 'credit', f.credit)::text"
	" FROM facts f WHERE f.status IN ('won', 'open') ORDER BY f.status DESC, f.close_date, f.id, f.person_id"
	" LIMIT $8::int");

/*
 * Every stage's historical win rate as of $2 (stage_outcomes, migration
 * 0008): of the deals that closed by then (close date) and passed through
 * the stage, how many closed and how many won.
 */
DB_STMT(stmt_perf_stage_rates,
	"SELECT o.stage, sum(o.won), sum(o.closed) FROM stage_outcomes o WHERE o.org_id = $1 AND o.day <= $2::date"
	" GROUP BY o.stage");

void
perf_facts_clear(struct perf_facts *f)
{
	free(f->all.cycle_days);
	for (int i = 0; i < PERF_TYPES; i++)
		free(f->by_type[i].cycle_days);
	for (int i = 0; i < PERF_SEGMENTS; i++)
		free(f->by_segment[i].cycle_days);
	free(f->stages);
	memset(f, 0, sizeof *f);
}

/* The seven parameters of PERF_FACTS into params (texts in the buffers given). */
struct facts_params {
	char id[24], start[16], end[16], as_of[16];
	const char *v[8];
};

static void
facts_params(const char *org, const struct perf_scope *s, cal_date start, cal_date end, cal_date as_of,
	     bool historic, struct facts_params *p)
{
	static const char *const kinds[] = {"person", "team", "org"};

	snprintf(p->id, sizeof p->id, "%lld", (long long)s->id);
	cal_date_format(start, p->start, sizeof p->start);
	cal_date_format(end, p->end, sizeof p->end);
	cal_date_format(as_of, p->as_of, sizeof p->as_of);
	p->v[0] = org;
	p->v[1] = kinds[s->kind];
	p->v[2] = s->kind == PERF_ORG ? NULL : p->id;
	p->v[3] = p->start;
	p->v[4] = p->end;
	p->v[5] = p->as_of;
	p->v[6] = historic ? "t" : "f";
	p->v[7] = NULL;
}

static enum status
run(struct db_conn *c, struct db_stmt *s, int n, const char *const *params, PGresult **out)
{
	*out = db_exec(c, s, n, params);
	enum status st = db_check(c, *out, PGRES_TUPLES_OK);
	if (st != ST_OK) {
		PQclear(*out);
		*out = NULL;
	}
	return st;
}

static enum status
money_at(const PGresult *r, int i, int col, int64_t *out)
{
	return money_parse_text(PQgetvalue(r, i, col), out) == ST_OK ? ST_OK : ST_INTERNAL;
}

static int64_t
int_at(const PGresult *r, int i, int col)
{
	return strtoll(PQgetvalue(r, i, col), NULL, 10);
}

/* "{3,10,7}" into a malloc'd array (NULL and 0 when empty). */
static enum status
int_array(const char *text, int64_t **out, size_t *n)
{
	size_t cap = 1;
	const char *p;

	*out = NULL;
	*n = 0;
	if (strcmp(text, "{}") == 0)
		return ST_OK;
	for (p = text; *p; p++)
		cap += *p == ',';
	if (!(*out = malloc(cap * sizeof **out)))
		return ST_NOMEM;
	for (p = text + 1; *p && *p != '}';) {
		char *end;
		long long v = strtoll(p, &end, 10);
		if (end == p)
			return ST_INTERNAL;
		(*out)[(*n)++] = v;
		p = *end == ',' ? end + 1 : end;
	}
	return ST_OK;
}

/* SUMS_COLS of row i, from column b on, into *s. */
static enum status
sums_row(const PGresult *r, int i, int b, struct perf_sums *s)
{
	enum status st;

	if ((st = money_at(r, i, b, &s->won_amount)) != ST_OK || (st = money_at(r, i, b + 2, &s->lost_amount)) != ST_OK ||
	    (st = money_at(r, i, b + 4, &s->open_amount)) != ST_OK ||
	    (st = money_at(r, i, b + 8, &s->expansion_won_amount)) != ST_OK)
		return st;
	s->won_count = int_at(r, i, b + 1);
	s->lost_count = int_at(r, i, b + 3);
	s->open_count = int_at(r, i, b + 5);
	s->renewal_won_count = int_at(r, i, b + 6);
	s->renewal_lost_count = int_at(r, i, b + 7);
	free(s->cycle_days);
	return int_array(PQgetvalue(r, i, b + 9), &s->cycle_days, &s->ncycles);
}

static int
name_index(const char *const *names, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

enum status
perf_store_facts(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		 struct perf_facts *out)
{
	struct facts_params p;
	struct perf_facts f = {0};
	PGresult *r;
	enum status st;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	if ((st = run(c, &stmt_perf_facts, 7, p.v, &r)) != ST_OK)
		return st;
	int n = PQntuples(r);
	if (!(f.stages = calloc((size_t)n + 1, sizeof *f.stages)))
		st = ST_NOMEM;
	for (int i = 0; i < n && st == ST_OK; i++) {
		bool all_types = PQgetvalue(r, i, 0)[0] == '1', all_segments = PQgetvalue(r, i, 1)[0] == '1',
		     all_stages = PQgetvalue(r, i, 2)[0] == '1';
		if (all_types && all_segments && all_stages) {
			st = sums_row(r, i, 6, &f.all);
		} else if (!all_types) {
			int k = name_index(type_names, PERF_TYPES, PQgetvalue(r, i, 3));
			st = k < 0 ? ST_INTERNAL : sums_row(r, i, 6, &f.by_type[k]);
		} else if (!all_segments) {
			int k = name_index(segment_names, PERF_SEGMENTS, PQgetvalue(r, i, 4));
			st = k < 0 ? ST_INTERNAL : sums_row(r, i, 6, &f.by_segment[k]);
		} else {
			struct perf_stage_open *o = &f.stages[f.nstages++];
			snprintf(o->stage, sizeof o->stage, "%s", PQgetvalue(r, i, 5));
			o->count = int_at(r, i, 11);
			st = money_at(r, i, 10, &o->amount);
		}
	}
	PQclear(r);
	if (st != ST_OK) {
		perf_facts_clear(&f);
		return st;
	}
	*out = f;
	return ST_OK;
}

enum status
perf_store_stage_rates(struct db_conn *c, const char *org, const struct perf_when *w, struct perf_stage_rate **out,
		       size_t *n)
{
	char day[16];
	PGresult *r;
	enum status st;

	cal_date_format(w->as_of, day, sizeof day);
	const char *params[] = {org, day};
	if ((st = run(c, &stmt_perf_stage_rates, 2, params, &r)) != ST_OK)
		return st;
	int rows = PQntuples(r);
	struct perf_stage_rate *v = calloc((size_t)rows + 1, sizeof *v);
	if (!v) {
		PQclear(r);
		return ST_NOMEM;
	}
	for (int i = 0; i < rows; i++) {
		snprintf(v[i].stage, sizeof v[i].stage, "%s", PQgetvalue(r, i, 0));
		v[i].won = int_at(r, i, 1);
		v[i].closed = int_at(r, i, 2);
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return ST_OK;
}

enum status
perf_store_won_by_day(struct db_conn *c, const char *org, const struct perf_scope *s, cal_date start, cal_date end,
		      struct perf_day **out, size_t *n)
{
	struct facts_params p;
	PGresult *r;
	enum status st = ST_OK;

	facts_params(org, s, start, end, end, false, &p);
	if ((st = run(c, &stmt_perf_won_by_day, 7, p.v, &r)) != ST_OK)
		return st;
	int rows = PQntuples(r);
	struct perf_day *v = calloc((size_t)rows + 1, sizeof *v);
	if (!v)
		st = ST_NOMEM;
	for (int i = 0; i < rows && st == ST_OK; i++) {
		if (cal_date_parse(PQgetvalue(r, i, 0), &v[i].day) != ST_OK)
			st = ST_INTERNAL;
		else
			st = money_at(r, i, 1, &v[i].amount);
		v[i].count = int_at(r, i, 2);
	}
	PQclear(r);
	if (st != ST_OK) {
		free(v);
		return st;
	}
	*out = v;
	*n = (size_t)rows;
	return ST_OK;
}

enum status
perf_store_explain(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		   int max, json_t **achieved, json_t **open, bool *truncated)
{
	struct facts_params p;
	char lim[16];
	PGresult *r;
	enum status st;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	snprintf(lim, sizeof lim, "%d", max + 1);
	p.v[7] = lim;
	if ((st = run(c, &stmt_perf_explain, 8, p.v, &r)) != ST_OK)
		return st;
	json_t *won = json_array(), *opn = json_array();
	int rows = PQntuples(r);
	st = won && opn ? ST_OK : ST_NOMEM;
	for (int i = 0; i < rows && i < max && st == ST_OK; i++) {
		json_t *item = json_loads(PQgetvalue(r, i, 1), JSON_DECODE_ANY, NULL);
		json_t *into = strcmp(PQgetvalue(r, i, 0), "won") == 0 ? won : opn;
		if (!item || json_array_append_new(into, item) != 0)
			st = ST_NOMEM;
	}
	PQclear(r);
	if (st != ST_OK) {
		json_decref(won);
		json_decref(opn);
		return st;
	}
	*achieved = won;
	*open = opn;
	*truncated = rows > max;
	return ST_OK;
}

void
perf_groups_free(struct perf_group *g, size_t n)
{
	for (size_t i = 0; g && i < n; i++)
		free(g[i].sums.cycle_days);
	free(g);
}

enum status
perf_store_groups(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		  bool child_teams, struct perf_group **out, size_t *n)
{
	struct facts_params p;
	PGresult *r;
	enum status st;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	if ((st = run(c, child_teams ? &stmt_perf_by_child_team : &stmt_perf_by_person, 7, p.v, &r)) != ST_OK)
		return st;
	int rows = PQntuples(r);
	struct perf_group *g = calloc((size_t)rows + 1, sizeof *g);
	if (!g)
		st = ST_NOMEM;
	for (int i = 0; i < rows && st == ST_OK; i++) {
		g[i].key = int_at(r, i, 0);
		st = sums_row(r, i, 1, &g[i].sums);
	}
	PQclear(r);
	if (st != ST_OK) {
		perf_groups_free(g, (size_t)rows);
		return st;
	}
	*out = g;
	*n = (size_t)rows;
	return ST_OK;
}

void
perf_pipeline_free(struct perf_pipeline_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].child);
	free(v);
}

enum status
perf_store_pipeline(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		    struct perf_pipeline_row **out, size_t *n)
{
	struct facts_params p;
	PGresult *r;
	enum status st;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	if ((st = run(c, &stmt_perf_categories, 7, p.v, &r)) != ST_OK)
		return st;
	int rows = PQntuples(r);
	struct perf_pipeline_row *v = calloc((size_t)rows + 1, sizeof *v);
	if (!v)
		st = ST_NOMEM;
	for (int i = 0; i < rows && st == ST_OK; i++) {
		struct perf_pipeline_row *x = &v[i];
		if (PQgetvalue(r, i, 0)[0] == '0' && !PQgetisnull(r, i, 1) && !(x->child = strdup(PQgetvalue(r, i, 1))))
			st = ST_NOMEM;
		x->whole = PQgetvalue(r, i, 0)[0] == '1';
		snprintf(x->category, sizeof x->category, "%s", PQgetvalue(r, i, 2));
		x->count = int_at(r, i, 4);
		x->pushed = int_at(r, i, 6);
		x->overdue = int_at(r, i, 7);
		x->stale = int_at(r, i, 8);
		if (st == ST_OK && ((st = money_at(r, i, 3, &x->amount)) != ST_OK || (st = money_at(r, i, 5, &x->weighted)) != ST_OK))
			break;
	}
	PQclear(r);
	if (st != ST_OK) {
		perf_pipeline_free(v, (size_t)rows);
		return st;
	}
	*out = v;
	*n = (size_t)rows;
	return ST_OK;
}
