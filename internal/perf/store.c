#include "perf/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
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
 * it had then.
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
	"  c.person_id, c.percent, c.credit"                                                                         \
	"  FROM state s CROSS JOIN LATERAL deal_credit_rows(s.amount, s.owner_id, s.split_person_ids,"              \
	"   s.split_percents) c"                                                                                     \
	"  WHERE s.kind IS DISTINCT FROM 'deleted' AND s.close_date BETWEEN $4::date AND $5::date"                  \
	"  AND c.person_id IN (SELECT id FROM inscope)) "

/*
 * PERF_FACTS for one person as the deals stand now (as_of today or later:
 * no history to read), without the scope's team tree. Parameters: $1 org,
 * $2 the person, $3 and $4 the period, $5 as_of. A deal closed after as_of
 * counts as open, as in PERF_FACTS. A deal without splits is its owner's
 * whole (deal_credit_rows's first branch, read straight from the owner's
 * index range); a split deal is credited by deal_credit_rows.
 */
#define PERSON_FACTS                                                                                            \
	"WITH facts AS (SELECT d.id, d.type, d.segment, d.stage, d.close_date, d.created_on,"                       \
	"  CASE WHEN d.status <> 'open' AND d.close_date > $5::date THEN 'open' ELSE d.status END AS status,"       \
	"  d.owner_id AS person_id, 100.00::numeric AS percent, d.amount::numeric AS credit"                        \
	"  FROM deals d WHERE d.org_id = $1 AND d.owner_id = $2::bigint AND d.split_person_ids = '{}'"              \
	"  AND d.close_date BETWEEN $3::date AND $4::date AND d.created_on <= $5::date"                             \
	"  UNION ALL SELECT d.id, d.type, d.segment, d.stage, d.close_date, d.created_on,"                          \
	"  CASE WHEN d.status <> 'open' AND d.close_date > $5::date THEN 'open' ELSE d.status END,"                 \
	"  c.person_id, c.percent::numeric, c.credit::numeric"                                                      \
	"  FROM deal_splits s JOIN deals d ON d.org_id = $1 AND d.id = s.deal_id"                                   \
	"  CROSS JOIN LATERAL deal_credit_rows(d.amount, d.owner_id, d.split_person_ids, d.split_percents) c"        \
	"  WHERE s.org_id = $1 AND s.person_id = $2::bigint AND s.close_date BETWEEN $3::date AND $4::date"         \
	"  AND d.created_on <= $5::date AND d.close_date BETWEEN $3::date AND $4::date AND c.person_id = $2::bigint) "

/*
 * The eleven columns of struct perf_sums over facts f: the won deals'
 * cycles as two arrays in one order, days and weights (the credited
 * percent in hundredths: a whole deal 10000).
 */
#define SUMS_COLS                                                                                               \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'won'), 0),"                                              \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'won')), 0),"                                      \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'lost'), 0),"                                             \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'lost')), 0),"                                     \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'open'), 0),"                                             \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'open')), 0),"                                     \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'won' AND f.type = 'renewal')), 0),"               \
	" coalesce(round(sum(f.percent) FILTER (WHERE f.status = 'lost' AND f.type = 'renewal')), 0),"              \
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'won' AND f.type IN ('upsell', 'cross_sell')), 0),"       \
	" coalesce(array_agg(f.close_date - f.created_on ORDER BY f.id, f.person_id) FILTER (WHERE f.status = 'won'), '{}'),"\
	" coalesce(array_agg((f.percent * 100)::bigint ORDER BY f.id, f.person_id) FILTER (WHERE f.status = 'won'), '{}')"

/* One row per grouping set: all, each type, each segment, each stage (open only matters there). */
DB_STMT(stmt_perf_facts,
	PERF_FACTS
	"SELECT grouping(f.type), grouping(f.segment), grouping(f.stage), f.type, f.segment, f.stage,"
	SUMS_COLS " FROM facts f GROUP BY GROUPING SETS ((), (f.type), (f.segment), (f.stage))");

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

/*
 * What a forecast call is measured on, per person of the scope with
 * credited business: the closed (won) amount and the commit forecast
 * (won, and open deals in the commit category: stmt_perf_categories's
 * 'closed' + 'commit'), as of $6.
 */
DB_STMT(stmt_perf_call_amounts,
	PERF_FACTS
	" SELECT f.person_id, coalesce(sum(f.credit) FILTER (WHERE f.status = 'won'), 0),"
	" coalesce(sum(f.credit) FILTER (WHERE f.status = 'won' OR (f.status = 'open' AND f.fc IN ('closed', 'commit'))), 0)"
	" FROM facts f GROUP BY f.person_id");

/* One row per person of the scope with credited business. */
DB_STMT(stmt_perf_by_person,
	PERF_FACTS "SELECT f.person_id," SUMS_COLS " FROM facts f GROUP BY f.person_id ORDER BY f.person_id");

/*
 * One row per child team of team $3 (the scope) with credited business in
 * its subtree: br maps each team below $3 to the child it is under; a deal
 * held by two people under one child counts once there (its shares add up).
 */
DB_STMT(stmt_perf_by_child_team,
	PERF_FACTS
	", br(id, top) AS (SELECT t.id, t.id FROM teams t WHERE t.org_id = $1 AND t.parent_id IS NOT DISTINCT FROM $3::bigint"
	" UNION ALL SELECT t.id, br.top FROM teams t JOIN br ON t.parent_id = br.id WHERE t.org_id = $1),"
	" g AS (SELECT f.*, br.top"
	" FROM facts f JOIN people p ON p.org_id = $1 AND p.id = f.person_id JOIN br ON br.id = p.team_id)"
	" SELECT f.top," SUMS_COLS " FROM g f GROUP BY f.top ORDER BY f.top");

/*
 * A person's credited rows (PERSON_FACTS), one per deal, for sums made in C
 * (person_sums): type, segment, stage, status as of $5, cycle days, the
 * credited percent in hundredths and the credit in cents.
 */
DB_STMT(stmt_perf_person_rows,
	PERSON_FACTS
	"SELECT f.type, f.segment, f.stage, f.status, f.close_date - f.created_on, (f.percent * 100)::bigint,"
	" (f.credit * 100)::bigint FROM facts f ORDER BY f.id");

/* A person's credited won value per day of the period, as the deals stand. */
DB_STMT(stmt_perf_person_won_by_day,
	PERSON_FACTS
	"SELECT " DB_DAY("f.close_date") ", sum(f.credit), round(sum(f.percent)) FROM facts f"
	" WHERE f.status = 'won' GROUP BY f.close_date ORDER BY f.close_date");

/* A person's credited won value per month of $3..$4 (whole months), as the deals stand (perf_people, 0013). */
DB_STMT(stmt_perf_person_won_by_month,
	"SELECT " DB_DAY("r.month") ", (r.won_cents / 100.0)::numeric(20, 2), round(r.won_weight / 100.0) FROM perf_people r"
	" WHERE r.org_id = $1 AND r.person_id = $2::bigint AND r.month BETWEEN $3::date AND $4::date"
	" AND r.won_weight <> 0 ORDER BY r.month");

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
 * the stage, how many closed and how many won; the whole months before
 * $2's month from their sums (stage_outcome_months, 0015).
 */
DB_STMT(stmt_perf_stage_rates,
	"SELECT x.stage, sum(x.won), sum(x.closed) FROM ("
	" SELECT m.stage, m.won, m.closed FROM stage_outcome_months m WHERE m.org_id = $1"
	"  AND m.month < date_trunc('month', $2::date)::date"
	" UNION ALL SELECT o.stage, o.won, o.closed FROM stage_outcomes o WHERE o.org_id = $1"
	"  AND o.day >= date_trunc('month', $2::date)::date AND o.day <= $2::date) x GROUP BY x.stage");

void
perf_facts_clear(struct perf_facts *f)
{
	free(f->all.cycles);
	for (int i = 0; i < PERF_TYPES; i++)
		free(f->by_type[i].cycles);
	for (int i = 0; i < PERF_SEGMENTS; i++)
		free(f->by_segment[i].cycles);
	free(f->stages);
	memset(f, 0, sizeof *f);
}

/* The seven parameters of PERF_FACTS into params (texts in the buffers given). */
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

/* PERSON_FACTS's five parameters out of PERF_FACTS's seven (a person's scope): org, id, period, as_of. */
static const char *const *
person_params(struct facts_params *p)
{
	p->v[1] = p->v[2];
	p->v[2] = p->v[3];
	p->v[3] = p->v[4];
	p->v[4] = p->v[5];
	return p->v;
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

/* The cycles of two aligned arrays' texts, days and weights, into s->cycles (replacing them). */
static enum status
cycles_of(const char *days, const char *weights, struct perf_sums *s)
{
	int64_t *d = NULL, *w = NULL;
	size_t nd = 0, nw = 0;
	enum status st;

	free(s->cycles);
	s->cycles = NULL;
	s->ncycles = 0;
	if ((st = int_array(days, &d, &nd)) == ST_OK && (st = int_array(weights, &w, &nw)) == ST_OK && nd != nw)
		st = ST_INTERNAL;
	if (st == ST_OK && nd > 0 && !(s->cycles = malloc(nd * sizeof *s->cycles)))
		st = ST_NOMEM;
	for (size_t k = 0; st == ST_OK && k < nd; k++)
		s->cycles[k] = (struct perf_cycle){d[k], w[k]};
	if (st == ST_OK)
		s->ncycles = nd;
	free(d);
	free(w);
	return st;
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
	return cycles_of(PQgetvalue(r, i, b + 9), PQgetvalue(r, i, b + 10), s);
}

static int
name_index(const char *const *names, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

/* Append one cycle to s. */
static enum status
cycle_add(struct perf_sums *s, int64_t days, int64_t weight)
{
	struct perf_cycle *v = realloc(s->cycles, (s->ncycles + 1) * sizeof *v);

	if (!v)
		return ST_NOMEM;
	v[s->ncycles++] = (struct perf_cycle){days, weight};
	s->cycles = v;
	return ST_OK;
}

/* Sums of hundredths of a percent as SUMS_COLS counts them: whole percents, rounded half up (never negative). */
static int64_t
percent_round(int64_t bp)
{
	return (bp + 50) / 100;
}

/* One credited row into s; the weights in hundredths of a percent until person_sums_round. */
static enum status
sums_add(struct perf_sums *s, const char *status, bool renewal, bool expansion, int64_t days, int64_t bp,
	 int64_t cents)
{
	if (strcmp(status, "won") == 0) {
		s->won_amount += cents;
		s->won_count += bp;
		s->renewal_won_count += renewal ? bp : 0;
		s->expansion_won_amount += expansion ? cents : 0;
		return cycle_add(s, days, bp);
	}
	if (strcmp(status, "lost") == 0) {
		s->lost_amount += cents;
		s->lost_count += bp;
		s->renewal_lost_count += renewal ? bp : 0;
	} else {
		s->open_amount += cents;
		s->open_count += bp;
	}
	return ST_OK;
}

static void
sums_round(struct perf_sums *s)
{
	s->won_count = percent_round(s->won_count);
	s->lost_count = percent_round(s->lost_count);
	s->open_count = percent_round(s->open_count);
	s->renewal_won_count = percent_round(s->renewal_won_count);
	s->renewal_lost_count = percent_round(s->renewal_lost_count);
}

/*
 * The rows of stmt_perf_person_rows summed into f as facts_rows reads
 * stmt_perf_facts's grouping sets: all, each type, each segment, and each
 * stage present with its open business.
 */
static enum status
person_sums(const PGresult *r, struct perf_facts *f)
{
	int n = PQntuples(r);
	enum status st = ST_OK;

	if (!(f->stages = calloc((size_t)n + 1, sizeof *f->stages)))
		return ST_NOMEM;
	for (int i = 0; i < n && st == ST_OK; i++) {
		int t = name_index(type_names, PERF_TYPES, PQgetvalue(r, i, 0));
		int g = name_index(segment_names, PERF_SEGMENTS, PQgetvalue(r, i, 1));
		const char *stage = PQgetvalue(r, i, 2), *status = PQgetvalue(r, i, 3);
		int64_t days = int_at(r, i, 4), bp = int_at(r, i, 5), cents = int_at(r, i, 6);
		if (t < 0 || g < 0)
			return ST_INTERNAL;
		bool renewal = t == 3, expansion = t == 1 || t == 2, open = strcmp(status, "open") == 0;
		if ((st = sums_add(&f->all, status, renewal, expansion, days, bp, cents)) != ST_OK ||
		    (st = sums_add(&f->by_type[t], status, renewal, expansion, days, bp, cents)) != ST_OK ||
		    (st = sums_add(&f->by_segment[g], status, renewal, expansion, days, bp, cents)) != ST_OK)
			return st;
		size_t k = 0;
		while (k < f->nstages && strcmp(f->stages[k].stage, stage) != 0)
			k++;
		if (k == f->nstages)
			snprintf(f->stages[f->nstages++].stage, sizeof f->stages[k].stage, "%s", stage);
		f->stages[k].amount += open ? cents : 0;
		f->stages[k].count += open ? bp : 0;
	}
	sums_round(&f->all);
	for (int i = 0; i < PERF_TYPES; i++)
		sums_round(&f->by_type[i]);
	for (int i = 0; i < PERF_SEGMENTS; i++)
		sums_round(&f->by_segment[i]);
	for (size_t k = 0; k < f->nstages; k++)
		f->stages[k].count = percent_round(f->stages[k].count);
	return ST_OK;
}

/* ---- the kept sums (migration 0013_perf_rollup) ------------------------------------ */

/*
 * Whether the kept sums answer w: the current state (as_of today or later)
 * of whole months, with no deal that closed with a close date in the period
 * after as_of (open on as_of) and none created after as_of (not there yet):
 * then they equal what the exact path counts from the deals.
 */
DB_STMT(stmt_perf_kept_ok,
	"SELECT NOT EXISTS (SELECT 1 FROM perf_closed_days d WHERE d.org_id = $1 AND d.unit = 0 AND d.day > $2::date"
	"  AND d.day <= $3::date AND d.weight <> 0)"
	" AND NOT EXISTS (SELECT 1 FROM perf_marks m WHERE m.org_id = $1 AND m.created_max > $2::date)");

/* The columns of a perf_sums from rows r: won, lost, open cents and weights, renewal weights, expansion cents. */
#define KEPT_SUMS                                                                                               \
	" coalesce(sum(r.cents) FILTER (WHERE r.status = 'won'), 0),"                                               \
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'won') / 100.0), 0),"                               \
	" coalesce(sum(r.cents) FILTER (WHERE r.status = 'lost'), 0),"                                              \
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'lost') / 100.0), 0),"                              \
	" coalesce(sum(r.cents) FILTER (WHERE r.status = 'open'), 0),"                                              \
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'open') / 100.0), 0),"

/* A unit's sums in months $3..$4: all, each type, each segment, each stage (open). */
DB_STMT(stmt_perf_kept_facts,
	"SELECT grouping(r.type), grouping(r.segment), grouping(r.stage), r.type, r.segment, r.stage," KEPT_SUMS
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'won' AND r.type = 'renewal') / 100.0), 0),"
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'lost' AND r.type = 'renewal') / 100.0), 0),"
	" coalesce(sum(r.cents) FILTER (WHERE r.status = 'won' AND r.type IN ('upsell', 'cross_sell')), 0)"
	" FROM perf_rollup r WHERE r.org_id = $1 AND r.unit = $2::bigint AND r.month BETWEEN $3::date AND $4::date"
	" GROUP BY GROUPING SETS ((), (r.type), (r.segment), (r.stage))");

/* A unit's won cycles in months $3..$4 by type, segment and length. */
DB_STMT(stmt_perf_kept_cycles,
	"SELECT r.type, r.segment, r.days, sum(r.weight) FROM perf_cycles r WHERE r.org_id = $1 AND r.unit = $2::bigint"
	" AND r.month BETWEEN $3::date AND $4::date GROUP BY r.type, r.segment, r.days HAVING sum(r.weight) <> 0");

/* The sums of each person of the scope ($2 'team' and $5 its id, or the org) in months $3..$4. */
#define KEPT_PEOPLE_IN                                                                                          \
	" r.org_id = $1 AND r.month BETWEEN $3::date AND $4::date AND ($2::text = 'org' OR r.person_id IN"         \
	"  (SELECT p.id FROM people p JOIN team_closure a ON a.org_id = p.org_id AND a.team_id = p.team_id"         \
	"   WHERE p.org_id = $1 AND a.ancestor_id = $5::bigint))"
/*
 * Their rows, from perf_people_cover alone (migration 0018) in its order
 * (month, person): sorted by person and summed in C (kept_people_groups),
 * which for a 10,000-person org's quarter (27,000 rows) takes a fraction of
 * what PostgreSQL's GROUP BY with ten numeric sums took (25 of the 40 ms),
 * and of its sort by person (~15 ms).
 */
DB_STMT(stmt_perf_kept_people_rows,
	"SELECT r.person_id, r.won_cents, r.won_weight, r.lost_cents, r.lost_weight, r.open_cents, r.open_weight,"
	" r.renewal_won_weight, r.renewal_lost_weight, r.expansion_won_cents"
	" FROM perf_people r WHERE" KEPT_PEOPLE_IN);
DB_STMT(stmt_perf_kept_people_cycles,
	"SELECT r.person_id, r.days, sum(r.weight) FROM perf_people_cycles r WHERE" KEPT_PEOPLE_IN
	" GROUP BY r.person_id, r.days HAVING sum(r.weight) <> 0 ORDER BY r.person_id");
/* The won cycles of the people $2 (an array) in months $3..$4. */
DB_STMT(stmt_perf_kept_some_cycles,
	"SELECT r.person_id, r.days, sum(r.weight) FROM perf_people_cycles r WHERE r.org_id = $1"
	" AND r.month BETWEEN $3::date AND $4::date AND r.person_id = ANY($2::bigint[])"
	" GROUP BY r.person_id, r.days HAVING sum(r.weight) <> 0 ORDER BY r.person_id");

/* The sums of each child team of team $5 (0: the org's root teams), with its subtree, in months $3..$4. */
#define KEPT_CHILDREN_IN                                                                                        \
	" r.org_id = $1 AND r.month BETWEEN $3::date AND $4::date AND $2::text <> '' AND r.unit IN"                \
	"  (SELECT -t.id FROM teams t WHERE t.org_id = $1 AND t.parent_id IS NOT DISTINCT FROM nullif($5::bigint, 0))"
DB_STMT(stmt_perf_kept_children,
	"SELECT -r.unit," KEPT_SUMS
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'won' AND r.type = 'renewal') / 100.0), 0),"
	" coalesce(round(sum(r.weight) FILTER (WHERE r.status = 'lost' AND r.type = 'renewal') / 100.0), 0),"
	" coalesce(sum(r.cents) FILTER (WHERE r.status = 'won' AND r.type IN ('upsell', 'cross_sell')), 0)"
	" FROM perf_rollup r WHERE" KEPT_CHILDREN_IN
	" GROUP BY r.unit HAVING sum(r.weight) <> 0 OR sum(r.cents) <> 0 ORDER BY -r.unit");
DB_STMT(stmt_perf_kept_children_cycles,
	"SELECT -r.unit, r.days, sum(r.weight) FROM perf_cycles r WHERE" KEPT_CHILDREN_IN
	" GROUP BY r.unit, r.days HAVING sum(r.weight) <> 0 ORDER BY -r.unit");

/* A unit's credited won value per day of $3..$4 (the deals as they stand). */
DB_STMT(stmt_perf_kept_won_by_day,
	"SELECT " DB_DAY("r.day") ", (r.cents / 100.0)::numeric(20, 2), round(r.weight / 100.0) FROM perf_closed_days r WHERE r.org_id = $1"
	" AND r.unit = $2::bigint AND r.day BETWEEN $3::date AND $4::date AND r.status = 'won' AND r.weight <> 0"
	" ORDER BY r.day");

/* The unit of scope s: a team's subtree is -id, the org 0. */
static int64_t
unit_of(const struct perf_scope *s)
{
	return s->kind == PERF_TEAM ? -s->id : 0;
}

static bool
whole_months(cal_date start, cal_date end)
{
	int y, m, d, y2, m2, d2;

	cal_date_to_ymd(start, &y, &m, &d);
	cal_date_to_ymd(end + 1, &y2, &m2, &d2);
	return d == 1 && d2 == 1;
}

/* Whether the kept sums answer w (see stmt_perf_kept_ok) into *yes. */
static enum status
kept_answers(struct db_conn *c, const char *org, const struct perf_when *w, bool *yes)
{
	char as_of[16], end[16];
	PGresult *r;
	enum status st;

	*yes = false;
	if (w->historic || !whole_months(w->start, w->end))
		return ST_OK;
	cal_date_format(w->as_of, as_of, sizeof as_of);
	cal_date_format(w->end, end, sizeof end);
	const char *params[] = {org, as_of, end};
	if ((st = run(c, &stmt_perf_kept_ok, 3, params, &r)) != ST_OK)
		return st;
	*yes = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	return ST_OK;
}

/* The parameters of the kept statements: org, unit or scope kind, the months, the team. */
struct kept_params {
	char unit[24], start[16], end[16], team[24];
	const char *v[5];
};

static void
kept_params(const char *org, const struct perf_scope *s, const struct perf_when *w, bool by_unit,
	    struct kept_params *p)
{
	static const char *const kinds[] = {"person", "team", "org"};

	snprintf(p->unit, sizeof p->unit, "%lld", (long long)unit_of(s));
	snprintf(p->team, sizeof p->team, "%lld", (long long)(s->kind == PERF_TEAM ? s->id : 0));
	cal_date_format(w->start, p->start, sizeof p->start);
	cal_date_format(w->end, p->end, sizeof p->end);
	p->v[0] = org;
	p->v[1] = by_unit ? p->unit : kinds[s->kind];
	p->v[2] = p->start;
	p->v[3] = p->end;
	p->v[4] = p->team;
}

/* KEPT_SUMS and the three parts after it, from column b of row i, into *s. */
static void
kept_sums_row(const PGresult *r, int i, int b, struct perf_sums *s)
{
	s->won_amount = int_at(r, i, b);
	s->won_count = int_at(r, i, b + 1);
	s->lost_amount = int_at(r, i, b + 2);
	s->lost_count = int_at(r, i, b + 3);
	s->open_amount = int_at(r, i, b + 4);
	s->open_count = int_at(r, i, b + 5);
	s->renewal_won_count = int_at(r, i, b + 6);
	s->renewal_lost_count = int_at(r, i, b + 7);
	s->expansion_won_amount = int_at(r, i, b + 8);
}

/*
 * The rows of a GROUPING SETS ((), (type), (segment), (stage)) result into
 * f: the sums of all, of each type and segment (SUMS_COLS from column 6, or
 * the kept sums' columns), and the open business at each stage.
 */
static enum status
facts_rows(const PGresult *r, bool kept, struct perf_facts *f)
{
	int n = PQntuples(r);
	enum status st = ST_OK;

	if (!(f->stages = calloc((size_t)n + 1, sizeof *f->stages)))
		return ST_NOMEM;
	for (int i = 0; i < n && st == ST_OK; i++) {
		bool all_types = PQgetvalue(r, i, 0)[0] == '1', all_segments = PQgetvalue(r, i, 1)[0] == '1',
		     all_stages = PQgetvalue(r, i, 2)[0] == '1';
		struct perf_sums *t = NULL;
		if (all_types && all_segments && all_stages) {
			t = &f->all;
		} else if (!all_types) {
			int k = name_index(type_names, PERF_TYPES, PQgetvalue(r, i, 3));
			t = k < 0 ? NULL : &f->by_type[k];
			st = k < 0 ? ST_INTERNAL : ST_OK;
		} else if (!all_segments) {
			int k = name_index(segment_names, PERF_SEGMENTS, PQgetvalue(r, i, 4));
			t = k < 0 ? NULL : &f->by_segment[k];
			st = k < 0 ? ST_INTERNAL : ST_OK;
		} else if (!kept || (PQgetvalue(r, i, 5)[0] && int_at(r, i, 11) != 0)) {
			/* a stage (in the kept sums '' holds the won and lost, and a zero row nothing) */
			struct perf_stage_open *o = &f->stages[f->nstages++];
			snprintf(o->stage, sizeof o->stage, "%s", PQgetvalue(r, i, 5));
			o->count = int_at(r, i, 11);
			if (kept)
				o->amount = int_at(r, i, 10);
			else
				st = money_at(r, i, 10, &o->amount);
		}
		if (t && kept)
			kept_sums_row(r, i, 6, t);
		else if (t)
			st = sums_row(r, i, 6, t);
	}
	return st;
}

static enum status
kept_facts(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
	   struct perf_facts *out)
{
	struct kept_params p;
	struct perf_facts f = {0};
	PGresult *r;
	enum status st;

	kept_params(org, s, w, true, &p);
	if ((st = run(c, &stmt_perf_kept_facts, 4, p.v, &r)) != ST_OK)
		return st;
	st = facts_rows(r, true, &f);
	PQclear(r);
	if (st == ST_OK && (st = run(c, &stmt_perf_kept_cycles, 4, p.v, &r)) == ST_OK) {
		for (int i = 0; i < PQntuples(r) && st == ST_OK; i++) {
			int t = name_index(type_names, PERF_TYPES, PQgetvalue(r, i, 0));
			int g = name_index(segment_names, PERF_SEGMENTS, PQgetvalue(r, i, 1));
			int64_t days = int_at(r, i, 2), weight = int_at(r, i, 3);
			if (t < 0 || g < 0)
				st = ST_INTERNAL;
			else if ((st = cycle_add(&f.all, days, weight)) == ST_OK &&
				 (st = cycle_add(&f.by_type[t], days, weight)) == ST_OK)
				st = cycle_add(&f.by_segment[g], days, weight);
		}
		PQclear(r);
	}
	if (st != ST_OK) {
		perf_facts_clear(&f);
		return st;
	}
	*out = f;
	return ST_OK;
}

struct perf_group *
perf_group_find(struct perf_group *g, size_t n, int64_t key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g[mid].key == key)
			return &g[mid];
		if (g[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Attach the cycle rows of r (key, days, weight) to the groups g[0..n) sorted by key. */
static enum status
cycles_attach(const PGresult *r, struct perf_group *g, size_t n)
{
	enum status st = ST_OK;

	for (int i = 0; i < PQntuples(r) && st == ST_OK; i++) {
		struct perf_group *x = perf_group_find(g, n, int_at(r, i, 0));
		if (x)
			st = cycle_add(&x->sums, int_at(r, i, 1), int_at(r, i, 2));
	}
	return st;
}

/* A kept group's row: key, then KEPT_SUMS and its three parts. */
static enum status
kept_group_row(const PGresult *r, int i, void *item)
{
	struct perf_group *g = item;

	g->key = int_at(r, i, 0);
	kept_sums_row(r, i, 1, &g->sums);
	return ST_OK;
}

/* A counted group's row: key, then SUMS_COLS. */
static enum status
group_row(const PGresult *r, int i, void *item)
{
	struct perf_group *g = item;

	g->key = int_at(r, i, 0);
	return sums_row(r, i, 1, &g->sums);
}

static void
groups_clear(void *items, size_t n)
{
	perf_groups_free(items, n);
}

/* round(v / 100.0) as PostgreSQL rounds a numeric: half away from zero. */
static int64_t
hundredths_rounded(int64_t v)
{
	return v >= 0 ? (v + 50) / 100 : -((-v + 50) / 100);
}

/* A row of stmt_perf_kept_people_rows: the person and the nine sums. */
struct kept_person_row {
	int64_t person, v[9];
};

static int
kept_person_cmp(const void *a, const void *b)
{
	const struct kept_person_row *x = a, *y = b;

	return x->person < y->person ? -1 : x->person > y->person;
}

/*
 * The people's kept rows of r (stmt_perf_kept_people_rows, in any order) summed
 * per person, as stmt_perf_kept_children sums per team: the weights to whole
 * deals, rounded once; a person whose weights all sum to 0 left out.
 */
static enum status
kept_people_groups(const PGresult *r, struct perf_group **out, size_t *n)
{
	int rows = PQntuples(r);
	struct kept_person_row *v = calloc((size_t)rows + 1, sizeof *v);
	struct perf_group *g = calloc((size_t)rows + 1, sizeof *g);
	size_t k = 0;

	if (!v || !g) {
		free(v);
		free(g);
		return ST_NOMEM;
	}
	for (int i = 0; i < rows; i++) {
		v[i].person = int_at(r, i, 0);
		for (int col = 0; col < 9; col++)
			v[i].v[col] = int_at(r, i, col + 1);
	}
	qsort(v, (size_t)rows, sizeof *v, kept_person_cmp);
	for (int i = 0; i < rows;) {
		int64_t person = v[i].person, s[9] = {0};
		for (; i < rows && v[i].person == person; i++)
			for (int col = 0; col < 9; col++)
				s[col] += v[i].v[col];
		if (s[1] == 0 && s[3] == 0 && s[5] == 0)
			continue;
		g[k++] = (struct perf_group){
		    .key = person,
		    .sums = {.won_amount = s[0], .won_count = hundredths_rounded(s[1]), .lost_amount = s[2],
			     .lost_count = hundredths_rounded(s[3]), .open_amount = s[4],
			     .open_count = hundredths_rounded(s[5]), .renewal_won_count = hundredths_rounded(s[6]),
			     .renewal_lost_count = hundredths_rounded(s[7]), .expansion_won_amount = s[8]}};
	}
	free(v);
	*out = g;
	*n = k;
	return ST_OK;
}

static enum status
kept_groups(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
	    bool child_teams, bool cycles, struct perf_group **out, size_t *n)
{
	struct kept_params p;
	struct perf_group *g;
	size_t rows;
	PGresult *r;
	enum status st;

	kept_params(org, s, w, false, &p);
	if (child_teams)
		st = row_exec_array(c, &stmt_perf_kept_children, 5, p.v, sizeof *g, kept_group_row, groups_clear,
				    (void **)&g, &rows);
	else if ((st = run(c, &stmt_perf_kept_people_rows, 5, p.v, &r)) == ST_OK) {
		st = kept_people_groups(r, &g, &rows);
		PQclear(r);
	}
	if (st != ST_OK)
		return st;
	if ((cycles || child_teams) &&
	    (st = run(c, child_teams ? &stmt_perf_kept_children_cycles : &stmt_perf_kept_people_cycles, 5, p.v, &r)) ==
		ST_OK) {
		st = cycles_attach(r, g, rows);
		PQclear(r);
	}
	if (st != ST_OK) {
		perf_groups_free(g, rows);
		return st;
	}
	*out = g;
	*n = rows;
	return ST_OK;
}

enum status
perf_store_facts(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		 struct perf_facts *out)
{
	struct facts_params p;
	struct perf_facts f = {0};
	PGresult *r;
	bool kept = false;
	enum status st;

	if (s->kind != PERF_PERSON && (st = kept_answers(c, org, w, &kept)) != ST_OK)
		return st;
	if (kept)
		return kept_facts(c, org, s, w, out);
	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	bool person = s->kind == PERF_PERSON && !w->historic;
	if (person)
		st = run(c, &stmt_perf_person_rows, 5, person_params(&p), &r);
	else
		st = run(c, &stmt_perf_facts, 7, p.v, &r);
	if (st != ST_OK)
		return st;
	st = person ? person_sums(r, &f) : facts_rows(r, false, &f);
	PQclear(r);
	if (st != ST_OK) {
		perf_facts_clear(&f);
		return st;
	}
	*out = f;
	return ST_OK;
}

static enum status
stage_rate_row(const PGresult *r, int i, void *item)
{
	struct perf_stage_rate *v = item;

	snprintf(v->stage, sizeof v->stage, "%s", PQgetvalue(r, i, 0));
	v->won = int_at(r, i, 1);
	v->closed = int_at(r, i, 2);
	return ST_OK;
}

enum status
perf_store_stage_rates(struct db_conn *c, const char *org, const struct perf_when *w, struct perf_stage_rate **out,
		       size_t *n)
{
	char day[16];

	cal_date_format(w->as_of, day, sizeof day);
	const char *params[] = {org, day};
	return row_exec_array(c, &stmt_perf_stage_rates, 2, params, sizeof **out, stage_rate_row, NULL, (void **)out, n);
}

static enum status
day_row(const PGresult *r, int i, void *item)
{
	struct perf_day *v = item;

	v->count = int_at(r, i, 2);
	if (cal_date_parse(PQgetvalue(r, i, 0), &v->day) != ST_OK)
		return ST_INTERNAL;
	return money_at(r, i, 1, &v->amount);
}

enum status
perf_store_won_by_day(struct db_conn *c, const char *org, const struct perf_scope *s, cal_date start, cal_date end,
		      struct perf_day **out, size_t *n)
{
	struct facts_params p;
	struct kept_params k;
	struct perf_when w = {.start = start, .end = end, .as_of = end};

	if (s->kind != PERF_PERSON) {
		kept_params(org, s, &w, true, &k);
		return row_exec_array(c, &stmt_perf_kept_won_by_day, 4, k.v, sizeof **out, day_row, NULL, (void **)out,
				      n);
	}
	facts_params(org, s, start, end, end, false, &p);
	return row_exec_array(c, &stmt_perf_person_won_by_day, 5, person_params(&p), sizeof **out, day_row, NULL,
			      (void **)out, n);
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
		free(g[i].sums.cycles);
	free(g);
}

enum status
perf_store_groups(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		  bool child_teams, bool *cycles, struct perf_group **out, size_t *n)
{
	struct facts_params p;
	bool kept = false;
	enum status st;

	if (s->kind != PERF_PERSON && (st = kept_answers(c, org, w, &kept)) != ST_OK)
		return st;
	if (kept) {
		st = kept_groups(c, org, s, w, child_teams, *cycles, out, n);
		*cycles = *cycles || child_teams;
		return st;
	}
	*cycles = true;
	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	return row_exec_array(c, child_teams ? &stmt_perf_by_child_team : &stmt_perf_by_person, 7, p.v, sizeof **out,
			      group_row, groups_clear, (void **)out, n);
}

void
perf_pipeline_free(struct perf_pipeline_row *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].child);
	free(v);
}

static enum status
pipeline_row(const PGresult *r, int i, void *item)
{
	struct perf_pipeline_row *x = item;
	enum status st;

	x->whole = PQgetvalue(r, i, 0)[0] == '1';
	if (!x->whole && !PQgetisnull(r, i, 1) && !(x->child = strdup(PQgetvalue(r, i, 1))))
		return ST_NOMEM;
	snprintf(x->category, sizeof x->category, "%s", PQgetvalue(r, i, 2));
	x->count = int_at(r, i, 4);
	x->pushed = int_at(r, i, 6);
	x->overdue = int_at(r, i, 7);
	x->stale = int_at(r, i, 8);
	if ((st = money_at(r, i, 3, &x->amount)) != ST_OK)
		return st;
	return money_at(r, i, 5, &x->weighted);
}

static void
pipeline_clear(void *items, size_t n)
{
	perf_pipeline_free(items, n);
}

enum status
perf_store_pipeline(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
		    struct perf_pipeline_row **out, size_t *n)
{
	struct facts_params p;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	return row_exec_array(c, &stmt_perf_categories, 7, p.v, sizeof **out, pipeline_row, pipeline_clear,
			      (void **)out, n);
}

static enum status
call_amount_row(const PGresult *r, int i, void *item)
{
	struct perf_call_amounts *x = item;
	enum status st;

	x->person_id = int_at(r, i, 0);
	if ((st = money_at(r, i, 1, &x->closed)) != ST_OK)
		return st;
	return money_at(r, i, 2, &x->commit_forecast);
}

enum status
perf_store_call_amounts(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
			struct perf_call_amounts **out, size_t *n)
{
	struct facts_params p;

	facts_params(org, s, w->start, w->end, w->as_of, w->historic, &p);
	return row_exec_array(c, &stmt_perf_call_amounts, 7, p.v, sizeof **out, call_amount_row, NULL, (void **)out,
			      n);
}

enum status
perf_store_people_cycles(struct db_conn *c, const char *org, const struct perf_when *w, const int64_t *ids,
			 size_t nids, struct perf_group *g, size_t n)
{
	struct perf_scope org_scope = {.kind = PERF_ORG};
	struct kept_params p;
	struct buf a = {0};
	PGresult *r;
	enum status st = ST_OK;

	if (nids == 0)
		return ST_OK;
	buf_putc(&a, '{');
	for (size_t i = 0; i < nids; i++)
		buf_printf(&a, "%s%lld", i ? "," : "", (long long)ids[i]);
	buf_putc(&a, '}');
	if (a.oom) {
		buf_clear(&a);
		return ST_NOMEM;
	}
	kept_params(org, &org_scope, w, true, &p);
	p.v[1] = a.data;
	if ((st = run(c, &stmt_perf_kept_some_cycles, 4, p.v, &r)) == ST_OK) {
		st = cycles_attach(r, g, n);
		PQclear(r);
	}
	buf_clear(&a);
	return st;
}

void
perf_person_read_clear(struct perf_person_read *r)
{
	perf_facts_clear(&r->facts);
	free(r->rates);
	free(r->days);
	memset(r, 0, sizeof *r);
}

void
perf_store_person_queue(struct db_batch *b, const char *org, const struct perf_scope *s, const struct perf_when *w,
			const struct period *ly, bool rates, struct perf_person_call *call)
{
	facts_params(org, s, w->start, w->end, w->as_of, false, &call->fp);
	cal_date_format(w->as_of, call->day, sizeof call->day);
	call->rates[0] = org;
	call->rates[1] = call->day;
	call->with_rates = rates;
	call->at = db_batch_add(b, &stmt_perf_person_rows, 5, person_params(&call->fp));
	if (call->at >= 0 && rates && db_batch_add(b, &stmt_perf_stage_rates, 2, call->rates) < 0)
		call->at = -1;
	if (call->at < 0)
		return;
	/* a month's shape is by day; a quarter's or a year's by month, kept */
	facts_params(org, s, ly->start, ly->end, ly->end, false, &call->lp);
	bool by_day = ly->grain == GRAIN_MONTH || !whole_months(ly->start, ly->end);
	if (db_batch_add(b, by_day ? &stmt_perf_person_won_by_day : &stmt_perf_person_won_by_month, by_day ? 5 : 4,
			 person_params(&call->lp)) < 0)
		call->at = -1;
}

enum status
perf_store_person_take(struct db_conn *c, const struct db_batch *b, const struct perf_person_call *call,
		       struct perf_person_read *out)
{
	struct perf_person_read v = {0};
	enum status st;

	if (call->at < 0)
		return ST_INTERNAL;
	PGresult *const *r = b->r + call->at;
	int k = 1;
	if ((st = db_check(c, r[0], PGRES_TUPLES_OK)) != ST_OK || (st = person_sums(r[0], &v.facts)) != ST_OK ||
	    (call->with_rates && (st = row_result_array(c, r[k++], sizeof *v.rates, stage_rate_row, NULL,
							(void **)&v.rates, &v.nrates)) != ST_OK))
		goto out;
	st = row_result_array(c, r[k], sizeof *v.days, day_row, NULL, (void **)&v.days, &v.ndays);
out:
	if (st != ST_OK) {
		perf_person_read_clear(&v);
		return st;
	}
	*out = v;
	return ST_OK;
}

enum status
perf_store_person_history(struct db_conn *c, const char *org, const struct perf_scope *s, const struct perf_when *w,
			  const struct period *ly, struct perf_person_read *out)
{
	struct perf_person_read v = {0};
	enum status st;

	/* the history to read: one statement after another */
	if ((st = perf_store_facts(c, org, s, w, &v.facts)) == ST_OK &&
	    (st = perf_store_stage_rates(c, org, w, &v.rates, &v.nrates)) == ST_OK)
		st = perf_store_won_by_day(c, org, s, ly->start, ly->end, &v.days, &v.ndays);
	if (st != ST_OK) {
		perf_person_read_clear(&v);
		return st;
	}
	*out = v;
	return ST_OK;
}
