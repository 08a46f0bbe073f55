#include "seed/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "db/row.h"

/*
 * The seeded hash, pg_temp.seed_u(n, k): a uniform double in [0, 1) of a
 * row number n and a salt k, 53 bits of hashint8extended (stable across
 * PostgreSQL versions: it places rows in hash partitions). The planner
 * inlines it (an immutable SQL body). Salts: 1-19 a deal's choices, 101-104
 * a deal owner's.
 */
#define SQL_HASH                                                                                             \
	"CREATE FUNCTION pg_temp.seed_u(n bigint, k int) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL "    \
	"SAFE"                                                                                               \
	" AS $$SELECT ((hashint8extended(n, %u::bigint * 1000 + k) >> 11) & 9007199254740991)::float8"       \
	" / 9007199254740992$$"

static const char *const scratch_sql[] = {
    "CREATE TEMP TABLE seed_stages (idx int PRIMARY KEY, key text NOT NULL, probability int NOT NULL,"
    " forecast_category text NOT NULL, status text NOT NULL)",
    "CREATE TEMP TABLE seed_reps (r int PRIMARY KEY, h int NOT NULL UNIQUE, id bigint NOT NULL,"
    " team_id bigint, hired date NOT NULL, segment text NOT NULL, win float8 NOT NULL, size float8 NOT NULL,"
    " target float8 NOT NULL)",
    "CREATE TEMP TABLE seed_cfg (anchor date NOT NULL, horizon date NOT NULL, tz text NOT NULL,"
    " k int NOT NULL, amt_stage int NOT NULL, nreps int NOT NULL, hires date[] NOT NULL)",
    /* The deals of a batch before their path: who, what, how much, when it closes, how it ends. */
    "CREATE TEMP TABLE seed_d (n bigint PRIMARY KEY, id bigint NOT NULL, owner_id bigint NOT NULL,"
    " segment text NOT NULL, type text NOT NULL, account text NOT NULL, amount numeric(14,2) NOT NULL,"
    " a0 numeric(14,2) NOT NULL, status text NOT NULL, close_date date NOT NULL,"
    " split_ids bigint[] NOT NULL, split_pcts numeric(5,2)[] NOT NULL)",
    /*
     * Each deal's path, a function of its row number: it enters at stage s0
     * (an index into seed_stages' open stages), climbs to `top` (the last
     * open stage for a won deal), is pushed `pushes` times; nn changes after
     * its creation (climbs and pushes), then the close (won or lost). Its
     * created_on leaves every event a day of its own (>= 2 days apart).
     */
    "CREATE TEMP VIEW seed_v AS"
    " SELECT d.*, s.s0, t.top, p.pushes, t.top - s.s0 + p.pushes AS nn,"
    "  CASE WHEN d.status = 'open'"
    "   THEN cfg.anchor - greatest(2 * (t.top - s.s0 + p.pushes + 1),"
    "                              10 + floor(140 * pg_temp.seed_u(d.n, 4))::int)"
    "   ELSE d.close_date - greatest(2 * (t.top - s.s0 + p.pushes + 1),"
    "                                10 + floor(170 * power(pg_temp.seed_u(d.n, 4), 2))::int)"
    "  END AS created_on,"
    "  CASE d.status WHEN 'won' THEN cfg.k + 1 WHEN 'lost' THEN cfg.k + 2 ELSE t.top END AS final_idx,"
    "  CASE WHEN d.status <> 'open' OR t.top >= cfg.amt_stage THEN d.amount ELSE d.a0 END AS final_amount,"
    "  t.top - s.s0 + p.pushes + CASE WHEN d.status = 'open' THEN 1 ELSE 2 END AS nrows"
    " FROM seed_d d CROSS JOIN seed_cfg cfg"
    " CROSS JOIN LATERAL (SELECT CASE WHEN cfg.k >= 2 AND pg_temp.seed_u(d.n, 8) < 0.2 THEN 2 ELSE 1 END"
    "   AS s0) s"
    " CROSS JOIN LATERAL (SELECT CASE d.status WHEN 'won' THEN cfg.k"
    "   WHEN 'lost' THEN s.s0 + floor(pg_temp.seed_u(d.n, 9) * (cfg.k - s.s0 + 1))::int"
    "   ELSE s.s0 + floor(power(pg_temp.seed_u(d.n, 9), 1.3) * (cfg.k - s.s0 + 1))::int END AS top) t"
    " CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.seed_u(d.n, 10) < 0.18"
    "   THEN 1 + floor(pg_temp.seed_u(d.n, 11) * 3)::int ELSE 0 END AS pushes) p",
};

/* The org's open stages in order (idx 1..k), then its first won (k+1) and lost (k+2) stage. */
DB_STMT(
    stmt_stages,
    "INSERT INTO seed_stages"
    " SELECT (row_number() OVER (ORDER BY position, key))::int, key, probability, forecast_category, 'open'"
    " FROM stages WHERE org_id = $1 AND NOT is_won AND NOT is_lost"
    " UNION ALL (SELECT (SELECT count(*) FROM stages WHERE org_id = $1 AND NOT is_won AND NOT is_lost)::int"
    "   + 1, key, probability, forecast_category, 'won' FROM stages WHERE org_id = $1 AND is_won"
    "   ORDER BY position LIMIT 1)"
    " UNION ALL (SELECT (SELECT count(*) FROM stages WHERE org_id = $1 AND NOT is_won AND NOT is_lost)::int"
    "   + 2, key, probability, forecast_category, 'lost' FROM stages WHERE org_id = $1 AND is_lost"
    "   ORDER BY position LIMIT 1)");

/*
 * The deal owners (the active people who manage no team; every active
 * person when all do), numbered r = 0.. by team and id and h = 0.. by
 * hire date (none: first) and id, each with a win
 * rate (20-42 % of their closed deals), a deal size factor (0.6-1.6) and
 * the attainment their quotas are sized for: a tenth far under (40-60 %),
 * some under (60-85 %), most near (85-115 %), some over (115-140 %).
 */
DB_STMT(stmt_reps,
        "WITH m AS (SELECT manager_id AS id FROM teams WHERE org_id = $1 AND manager_id IS NOT NULL),"
        " c AS (SELECT p.id, p.team_id, coalesce(p.hired_on, date '1900-01-01') AS hired,"
        "   coalesce(p.segment, 'b2b') AS segment FROM people p"
        "  WHERE p.org_id = $1 AND p.active AND (p.id NOT IN (SELECT id FROM m) OR NOT EXISTS"
        "   (SELECT 1 FROM people q WHERE q.org_id = $1 AND q.active AND q.id NOT IN (SELECT id FROM m)))),"
        " r AS (SELECT (row_number() OVER (ORDER BY team_id NULLS LAST, id) - 1)::int AS r,"
        "   (row_number() OVER (ORDER BY hired, id) - 1)::int AS h, * FROM c),"
        " u AS (SELECT r.*, pg_temp.seed_u(r.r, 103) AS band, pg_temp.seed_u(r.r, 104) AS at FROM r)"
        " INSERT INTO seed_reps"
        " SELECT u.r, u.h, u.id, u.team_id, u.hired, u.segment, 0.20 + 0.22 * pg_temp.seed_u(u.r, 101),"
        "  0.6 + pg_temp.seed_u(u.r, 102),"
        "  CASE WHEN u.band < 0.1 THEN 0.40 + 0.2 * u.at WHEN u.band < 0.25 THEN 0.6 + 0.25 * u.at"
        "   WHEN u.band < 0.85 THEN 0.85 + 0.3 * u.at ELSE 1.15 + 0.25 * u.at END"
        " FROM u ORDER BY u.r");

DB_STMT(stmt_cfg,
        "INSERT INTO seed_cfg SELECT $2::date, $3::date, o.timezone, s.k, greatest(2, s.k - 1), r.n, r.hires"
        " FROM orgs o, (SELECT count(*) FILTER (WHERE status = 'open')::int AS k,"
        "   count(*) FILTER (WHERE status <> 'open')::int AS closing FROM seed_stages) s,"
        "  (SELECT count(*)::int AS n, array_agg(hired ORDER BY h) AS hires FROM seed_reps) r"
        " WHERE o.org_id = $1 AND s.k > 0 AND s.closing = 2 AND r.n > 0");

/*
 * A batch of new business, upsell and cross-sell deals, numbered $1..$2:
 * those up to $3 closed in the window (the month by its seasonal weight:
 * width_bucket over the months' cumulative shares $4, starting on $5 with
 * $6 days), the others open, closing after the anchor up to the horizon;
 * owned by one of the owners hired 90 days or more before it closes (any
 * owner when none was).
 * Amounts are log-normal (b2b median 24,000, b2c 2,500) times the owner's
 * size; 23 % of these deals are split two or three ways with the owner's
 * next colleagues, percents in id order.
 */
DB_STMT(
    stmt_draft,
    "INSERT INTO seed_d"
    " SELECT g.n, nextval(pg_get_serial_sequence('deals', 'id')), o.id, o.segment, x.type, x.account,"
    "  x.amount,"
    "  CASE WHEN pg_temp.seed_u(g.n, 12) < 0.35"
    "   THEN round(x.amount * (0.7 + 0.6 * pg_temp.seed_u(g.n, 13))::numeric, -2) ELSE x.amount END,"
    "  CASE WHEN g.n > $3 THEN 'open' WHEN pg_temp.seed_u(g.n, 5) < o.win THEN 'won' ELSE 'lost' END,"
    "  cd.close_date,"
    "  CASE s.ways WHEN 2 THEN ARRAY[least(o.id, p1.id), greatest(o.id, p1.id)]"
    "   WHEN 3 THEN ARRAY[least(o.id, p1.id, p2.id), o.id + p1.id + p2.id - least(o.id, p1.id, p2.id)"
    "    - greatest(o.id, p1.id, p2.id), greatest(o.id, p1.id, p2.id)] ELSE '{}' END,"
    "  (CASE s.ways WHEN 2 THEN (ARRAY['{50,50}', '{60,40}', '{70,30}', '{66.67,33.33}'])[s.j]"
    "   WHEN 3 THEN (ARRAY['{33.34,33.33,33.33}', '{50,25,25}', '{40,30,30}', '{45.5,30.25,24.25}'])[s.j]"
    "   ELSE '{}' END)::numeric(5,2)[]"
    " FROM generate_series($1::bigint, $2::bigint) g (n) CROSS JOIN seed_cfg cfg"
    " CROSS JOIN LATERAL (SELECT width_bucket(pg_temp.seed_u(g.n, 2), $4::float8[]) AS i) m"
    " CROSS JOIN LATERAL (SELECT CASE WHEN g.n > $3"
    "   THEN cfg.anchor + 1 + floor(pg_temp.seed_u(g.n, 3) * (cfg.horizon - cfg.anchor))::int"
    "   ELSE ($5::date[])[m.i] + floor(pg_temp.seed_u(g.n, 3) * ($6::int[])[m.i])::int END AS close_date) cd"
    " CROSS JOIN LATERAL (SELECT width_bucket(cd.close_date - 90, cfg.hires) AS hired) e"
    " JOIN seed_reps o ON o.h = floor(pg_temp.seed_u(g.n, 1)"
    "   * CASE WHEN e.hired > 0 THEN e.hired ELSE cfg.nreps END)::int"
    " LEFT JOIN seed_reps p1 ON p1.r = (o.r + 1) % cfg.nreps"
    " LEFT JOIN seed_reps p2 ON p2.r = (o.r + 2) % cfg.nreps"
    " CROSS JOIN LATERAL (SELECT CASE WHEN pg_temp.seed_u(g.n, 6) < 0.66 THEN 'new_business'"
    "   WHEN pg_temp.seed_u(g.n, 6) < 0.86 THEN 'upsell' ELSE 'cross_sell' END AS type) t"
    " CROSS JOIN LATERAL (SELECT t.type,"
    "   (ARRAY['Acme', 'Globex', 'Initech', 'Umbrella', 'Stark', 'Wayne', 'Hooli', 'Vandelay', 'Soylent',"
    "     'Tyrell', 'Cyberdyne', 'Aperture', 'Gringotts', 'Wonka', 'Oscorp', 'Massive', 'Pied Piper',"
    "     'Monarch', 'Nakatomi', 'Sirius', 'Zorg', 'Virtucon', 'Dunder', 'Bluth', 'Prestige', 'Ollivander',"
    "     'Krusty', 'Gekko', 'Duff', 'Octan'])[1 + floor(pg_temp.seed_u(g.n, 17) * 30)::int] || ' ' ||"
    "   (ARRAY['Corp', 'Labs', 'Group', 'Systems', 'Industries', 'Holdings', 'Retail', 'Health',"
    "     'Logistics', 'Energy', 'Media', 'Foods'])[1 + floor(pg_temp.seed_u(g.n, 18) * 12)::int] AS account,"
    "   greatest(100, round((CASE o.segment WHEN 'b2c' THEN 2500 ELSE 24000 END * o.size"
    "    * CASE t.type WHEN 'upsell' THEN 0.5 WHEN 'cross_sell' THEN 0.6 ELSE 1 END"
    "    * exp(0.75 * sqrt(-2 * ln(1 - pg_temp.seed_u(g.n, 7))) * cos(2 * pi() * pg_temp.seed_u(g.n, 19))))"
    "    ::numeric, 2)) AS amount) x"
    " CROSS JOIN LATERAL (SELECT CASE WHEN cfg.nreps >= 3 AND pg_temp.seed_u(g.n, 14) < 0.23"
    "   THEN CASE WHEN pg_temp.seed_u(g.n, 15) < 0.65 THEN 2 ELSE 3 END ELSE 0 END AS ways,"
    "   1 + floor(pg_temp.seed_u(g.n, 16) * 4)::int AS j) s"
    " ORDER BY g.n");

/*
 * Renewals of won deals (ids $4..$5, closing a year and more before the
 * horizon), numbered from $2, at most $3: the same owner and account,
 * about the amount, closing a year after (open when that is after the
 * anchor); 72 % of the closed ones are won.
 */
DB_STMT(stmt_renewals,
        "INSERT INTO seed_d"
        " SELECT b.n, nextval(pg_get_serial_sequence('deals', 'id')), b.owner_id, b.segment, 'renewal',"
        "  b.account, x.amount, x.amount,"
        "  CASE WHEN x.close_date > cfg.anchor THEN 'open' WHEN pg_temp.seed_u(b.n, 5) < 0.72 THEN 'won'"
        "   ELSE 'lost' END,"
        "  x.close_date, '{}', '{}'"
        " FROM (SELECT d.*, $2::bigint + row_number() OVER (ORDER BY d.id) - 1 AS n"
        "  FROM (SELECT id, owner_id, segment, account, amount, close_date FROM deals"
        "   WHERE org_id = $1 AND id BETWEEN $4::bigint AND $5::bigint AND status = 'won'"
        "    AND type <> 'renewal' AND close_date <= (SELECT horizon FROM seed_cfg) - 375"
        "   ORDER BY id LIMIT $3::bigint) d) b"
        " CROSS JOIN seed_cfg cfg"
        " CROSS JOIN LATERAL (SELECT round(b.amount * (0.95 + 0.15 * pg_temp.seed_u(b.n, 7))::numeric, 2)"
        "   AS amount, b.close_date + 355 + floor(pg_temp.seed_u(b.n, 3) * 21)::int AS close_date) x"
        " ORDER BY b.n");

/*
 * The batch's deals as they stand after their last event (event e of a
 * deal happens on created_on + span * e / (nn + 1), span running to the
 * close date, or to the anchor for an open deal).
 */
DB_STMT(stmt_deals,
        "INSERT INTO deals (org_id, id, name, account, owner_id, segment, type, amount, stage, probability,"
        " forecast_category, status, close_date, created_on, split_person_ids, split_percents, pushes,"
        " version, created_at, updated_at)"
        " SELECT $1, v.id, v.account || ' ' || CASE v.type WHEN 'new_business' THEN 'new business'"
        "   WHEN 'upsell' THEN 'upsell' WHEN 'cross_sell' THEN 'cross-sell' ELSE 'renewal' END,"
        "  v.account, v.owner_id, v.segment, v.type, v.final_amount, st.key, st.probability,"
        "  st.forecast_category, v.status, v.close_date, v.created_on, v.split_ids, v.split_pcts, v.pushes,"
        "  v.nrows, (v.created_on + time '09:00') AT TIME ZONE cfg.tz,"
        "  CASE WHEN v.status = 'open'"
        "   THEN (v.created_on + ((cfg.anchor - v.created_on) * v.nn) / (v.nn + 1) + time '09:00'"
        "         + v.nn * interval '7 minutes') AT TIME ZONE cfg.tz"
        "   ELSE (v.close_date + time '17:00') AT TIME ZONE cfg.tz END"
        " FROM seed_v v JOIN seed_stages st ON st.idx = v.final_idx CROSS JOIN seed_cfg cfg ORDER BY v.id");

/*
 * Every event of the batch's deals as a history row, backdated: event e
 * (0 = created) on its day at 09:00 + 7 e minutes, the close at 17:00 of
 * the close date. pd = the pushes done by event e (push j is event
 * floor(j (nn + 1) / (pushes + 1))); the other events climb one stage
 * each. Before push j + 1 the close date was that push's day; after the
 * last, the deal's. The amount is a0 below stage amt_stage and the final
 * one from it on (and at the close).
 */
DB_STMT(
    stmt_history,
    "INSERT INTO deal_history (org_id, deal_id, version, at, sub, kind, stage_from, stage_to,"
    " close_date_from, close_date_to, amount_from, amount_to, probability, forecast_category, status,"
    " owner_id, pushed)"
    " SELECT $1, v.id, e + 1,"
    "  CASE WHEN p.closing THEN (v.close_date + time '17:00') AT TIME ZONE cfg.tz"
    "   ELSE (v.created_on + (x.span * e) / (v.nn + 1) + time '09:00' + e * interval '7 minutes')"
    "    AT TIME ZONE cfg.tz END,"
    "  'seed', CASE WHEN e = 0 THEN 'created' ELSE 'changed' END, sf.key, st.key,"
    "  CASE WHEN e > 0 THEN c.close_from END, c.close_to,"
    "  CASE WHEN e > 0 THEN CASE WHEN s.idx_prev >= cfg.amt_stage THEN v.amount ELSE v.a0 END END,"
    "  CASE WHEN p.closing OR s.idx >= cfg.amt_stage THEN v.amount ELSE v.a0 END,"
    "  st.probability, st.forecast_category, st.status, v.owner_id,"
    "  e > 0 AND NOT p.closing AND p.pd > p.pd_prev"
    " FROM seed_v v CROSS JOIN seed_cfg cfg CROSS JOIN LATERAL generate_series(0, v.nrows - 1) e"
    " CROSS JOIN LATERAL (SELECT (CASE WHEN v.status = 'open' THEN cfg.anchor ELSE v.close_date END)"
    "   - v.created_on AS span) x"
    " CROSS JOIN LATERAL (SELECT e > v.nn AS closing,"
    "   least(v.pushes, ((e + 1) * (v.pushes + 1) + v.nn) / (v.nn + 1) - 1) AS pd,"
    "   CASE WHEN e > 0 THEN least(v.pushes, (e * (v.pushes + 1) + v.nn) / (v.nn + 1) - 1) END AS pd_prev) p"
    " CROSS JOIN LATERAL (SELECT CASE WHEN p.closing THEN v.final_idx ELSE v.s0 + e - p.pd END AS idx,"
    "   CASE WHEN e > 0 THEN v.s0 + e - 1 - p.pd_prev END AS idx_prev) s"
    " CROSS JOIN LATERAL (SELECT"
    "   CASE WHEN p.pd < v.pushes"
    "    THEN v.created_on + (x.span * ((p.pd + 1) * (v.nn + 1) / (v.pushes + 1))) / (v.nn + 1)"
    "    ELSE v.close_date END AS close_to,"
    "   CASE WHEN p.pd_prev < v.pushes"
    "    THEN v.created_on + (x.span * ((p.pd_prev + 1) * (v.nn + 1) / (v.pushes + 1))) / (v.nn + 1)"
    "    ELSE v.close_date END AS close_from) c"
    " JOIN seed_stages st ON st.idx = s.idx LEFT JOIN seed_stages sf ON sf.idx = s.idx_prev"
    " ORDER BY v.id, e");

DB_STMT(stmt_first_id, "SELECT min(id) FROM seed_d");

DB_STMT(stmt_author,
        "SELECT set_config('attain.sub', 'attainctl-seed', true), set_config('attain.source', 'api', true)");

/*
 * Quotas. A deal owner's revenue (deal_count) quota of a quarter is their
 * won credit (credited deals) per unit of seasonal weight in its fiscal
 * year (inside the window; the whole window's when the window holds less
 * than a quarter of that year's weight) x the quarter's weight, divided by
 * the attainment drawn for them (revenue rounded to 1,000, at least one
 * deal when they won any): so a year's attainment is the drawn one, its quarters' vary around
 * it. A team's is the sum of the owners' below it; anyone else's 0 (a
 * manager sells nothing themself: their number is their team's, and a
 * personal quota of it would show them at 0 % on every leaderboard). A fiscal year's is the sum
 * of its quarters. $4.. are the plan's quarters: id, year id, first and
 * last day, seasonal weight, the weight inside the window.
 */
DB_STMT(stmt_quotas,
        "WITH RECURSIVE q AS (SELECT * FROM unnest($4::text[], $5::text[], $6::date[], $7::date[],"
        "   $8::float8[], $9::float8[]) AS q (period, fy, ps, pe, wf, wc)),"
        " wd AS MATERIALIZED (SELECT id, close_date FROM deals WHERE org_id = $1 AND status = 'won'"
        "   AND close_date BETWEEN $2::date AND $3::date),"
        " wq AS (SELECT c.person_id, q.fy, sum(c.credit) AS rev, count(*) AS cnt FROM deal_credits c"
        "   JOIN wd ON wd.id = c.deal_id JOIN q ON wd.close_date BETWEEN q.ps AND q.pe WHERE c.org_id = $1"
        "   GROUP BY c.person_id, q.fy),"
        " wall AS (SELECT person_id, sum(rev) AS rev, sum(cnt) AS cnt FROM wq GROUP BY person_id),"
        " fyw AS (SELECT fy, sum(wf) AS wf, sum(wc) AS wc FROM q GROUP BY fy),"
        " tot AS (SELECT sum(wc) AS wc FROM q),"
        " rate AS (SELECT r.id, r.team_id, r.target, f.fy,"
        "   CASE WHEN f.wc >= 0.25 * f.wf THEN coalesce(y.rev, 0)::float8 / f.wc"
        "    ELSE coalesce(a.rev, 0)::float8 / t.wc END AS rev_w,"
        "   CASE WHEN f.wc >= 0.25 * f.wf THEN coalesce(y.cnt, 0)::float8 / f.wc"
        "    ELSE coalesce(a.cnt, 0)::float8 / t.wc END AS cnt_w"
        "   FROM seed_reps r CROSS JOIN fyw f CROSS JOIN tot t"
        "   LEFT JOIN wq y ON y.person_id = r.id AND y.fy = f.fy LEFT JOIN wall a ON a.person_id = r.id),"
        " rq AS (SELECT r.id, r.team_id, q.*, round((r.rev_w * q.wf / r.target)::numeric, -3) AS rev,"
        "   greatest(sign(r.cnt_w), round(r.cnt_w * q.wf / r.target)) AS cnt FROM rate r JOIN q ON q.fy = r.fy),"
        " tree AS (SELECT id AS top, id AS team FROM teams WHERE org_id = $1"
        "   UNION ALL SELECT t.top, c.id FROM tree t JOIN teams c ON c.org_id = $1 AND c.parent_id = t.team),"
        " tsum AS (SELECT tr.top, rq.period, sum(rq.rev) AS rev, sum(rq.cnt) AS cnt FROM tree tr"
        "   JOIN rq ON rq.team_id = tr.team GROUP BY tr.top, rq.period),"
        " tq AS (SELECT t.id, q.*, coalesce(s.rev, 0) AS rev, coalesce(s.cnt, 0) AS cnt FROM teams t"
        "   CROSS JOIN q LEFT JOIN tsum s ON s.top = t.id AND s.period = q.period WHERE t.org_id = $1),"
        " pq AS (SELECT p.id, q.*, coalesce(rq.rev, 0) AS rev, coalesce(rq.cnt, 0) AS cnt"
        "   FROM people p CROSS JOIN q LEFT JOIN rq ON rq.id = p.id AND rq.period = q.period"
        "   WHERE p.org_id = $1),"
        " quarters AS (SELECT 'person' AS kind, id, period, 'quarter' AS grain, ps, pe, rev, cnt FROM pq"
        "   UNION ALL SELECT 'team', id, period, 'quarter', ps, pe, rev, cnt FROM tq),"
        " qrows AS (SELECT * FROM quarters UNION ALL"
        "   SELECT x.kind, x.id, q.fy, 'year', min(x.ps), max(x.pe), sum(x.rev), sum(x.cnt)"
        "   FROM quarters x JOIN q ON q.period = x.period GROUP BY x.kind, x.id, q.fy)"
        " INSERT INTO quotas (org_id, assignee_type, person_id, team_id, period, grain, period_start,"
        "  period_end, metric, amount)"
        " SELECT $1, r.kind, CASE WHEN r.kind = 'person' THEN r.id END,"
        "  CASE WHEN r.kind = 'team' THEN r.id END, r.period, r.grain, r.ps, r.pe, m.metric,"
        "  CASE m.metric WHEN 'revenue' THEN r.rev ELSE r.cnt END"
        " FROM qrows r CROSS JOIN (VALUES ('revenue'), ('deal_count')) m (metric)"
        " ORDER BY r.kind, r.id, r.grain, r.ps, m.metric");

DB_STMT(stmt_leads_dates, "UPDATE leads l SET created_at = (x.c + time '10:00') AT TIME ZONE o.timezone,"
                          " updated_at = (x.u + time '16:00') AT TIME ZONE o.timezone"
                          " FROM unnest($2::text[], $3::date[], $4::date[]) AS x (ext, c, u), orgs o"
                          " WHERE o.org_id = $1 AND l.org_id = $1 AND l.external_id = x.ext");

DB_STMT(stmt_owners, "SELECT coalesce(array_agg(id ORDER BY r), '{}')::text FROM seed_reps"
                     " WHERE $1::text IS NULL OR segment = $1");

DB_STMT(stmt_counts, "SELECT (SELECT count(*) FROM deals WHERE org_id = $1),"
                     " (SELECT count(*) FROM deal_history WHERE org_id = $1), (SELECT count(*) FROM quotas "
                     "WHERE org_id = $1)");

/* Text of a PostgreSQL array literal of the plan's months or quarters, one field each. */
enum array_field { A_CUM, A_FIRST, A_DAYS, A_QID, A_YID, A_QSTART, A_QEND, A_WEIGHT, A_COVERED };

static char *
plan_array(const struct seed_plan *pl, enum array_field f)
{
	struct buf b = {0};
	int n = f <= A_DAYS ? pl->nmonths : pl->nquarters;
	char day[16];

	buf_putc(&b, '{');
	for (int i = 0; i < n; i++) {
		const struct seed_month *m = &pl->months[i < pl->nmonths ? i : 0];
		const struct seed_quarter *q = &pl->quarters[i < pl->nquarters ? i : 0];
		if (i)
			buf_putc(&b, ',');
		switch (f) {
		case A_CUM: buf_printf(&b, "%.17g", m->cum_before); break;
		case A_FIRST:
			cal_date_format(m->first, day, sizeof day);
			buf_puts(&b, day);
			break;
		case A_DAYS: buf_printf(&b, "%d", m->days); break;
		case A_QID: buf_puts(&b, q->q.id); break;
		case A_YID: buf_puts(&b, q->year_id); break;
		case A_QSTART:
			cal_date_format(q->q.start, day, sizeof day);
			buf_puts(&b, day);
			break;
		case A_QEND:
			cal_date_format(q->q.end, day, sizeof day);
			buf_puts(&b, day);
			break;
		case A_WEIGHT: buf_printf(&b, "%.17g", q->weight); break;
		case A_COVERED: buf_printf(&b, "%.17g", q->covered); break;
		}
	}
	buf_putc(&b, '}');
	return buf_take(&b); /* NULL when out of memory */
}

enum status
seed_store_setup(struct db_conn *c, const char *org, unsigned seed, const struct seed_plan *pl,
                 cal_date today)
{
	char sql[512], anchor[16], horizon[16];
	enum status st;

	/* The scratch tables have no statistics: large estimates would have every statement JIT-compiled. */
	if ((st = row_exec_raw(c, "SET LOCAL jit = off")) != ST_OK)
		return st;
	snprintf(sql, sizeof sql, SQL_HASH, seed);
	if ((st = row_exec_raw(c, sql)) != ST_OK)
		return st;
	for (size_t i = 0; i < sizeof scratch_sql / sizeof scratch_sql[0]; i++)
		if ((st = row_exec_raw(c, scratch_sql[i])) != ST_OK)
			return st;
	cal_date_format(today, anchor, sizeof anchor);
	cal_date_format(pl->horizon, horizon, sizeof horizon);
	if ((st = row_exec_command(c, &stmt_stages, 1, (const char *[]){org})) != ST_OK ||
	    (st = row_exec_command(c, &stmt_reps, 1, (const char *[]){org})) != ST_OK)
		return st;
	PGresult *r = db_exec(c, &stmt_cfg, 3, (const char *[]){org, anchor, horizon});
	if ((st = db_check(c, r, PGRES_COMMAND_OK)) == ST_OK && strcmp(PQcmdTuples(r), "1") != 0)
		st = ST_UNPROCESSABLE;
	PQclear(r);
	if (st == ST_OK)
		st = row_exec_raw(c, "ANALYZE pg_temp.seed_stages, pg_temp.seed_reps, pg_temp.seed_cfg");
	return st;
}

enum status
seed_store_teardown(struct db_conn *c)
{
	return row_exec_raw(
	    c, "DROP VIEW pg_temp.seed_v; DROP TABLE pg_temp.seed_d, pg_temp.seed_cfg,"
	       " pg_temp.seed_reps, pg_temp.seed_stages; DROP FUNCTION pg_temp.seed_u(bigint, int)");
}

/* Run a statement of the batch with a plan for these parameters; its row count into *n (may be NULL). */
static enum status
run_counted(struct db_conn *c, struct db_stmt *s, int np, const char *const *params, long *n)
{
	PGresult *r = db_exec_planned(c, s, np, params);
	enum status st = db_check(c, r, PGRES_COMMAND_OK);

	if (st == ST_OK && n)
		*n = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return st;
}

/* Insert the deals drafted into seed_d and their history; then empty seed_d. */
static enum status
insert_drafted(struct db_conn *c, const char *org)
{
	enum status st;

	if ((st = run_counted(c, &stmt_deals, 1, (const char *[]){org}, NULL)) != ST_OK ||
	    (st = run_counted(c, &stmt_history, 1, (const char *[]){org}, NULL)) != ST_OK)
		return st;
	return row_exec_raw(c, "TRUNCATE pg_temp.seed_d");
}

enum status
seed_store_deals(struct db_conn *c, const char *org, const struct seed_plan *pl, long lo, long hi,
                 int64_t *first_id)
{
	char *cum = plan_array(pl, A_CUM), *firsts = plan_array(pl, A_FIRST), *days = plan_array(pl, A_DAYS);
	char slo[24], shi[24], sclosed[24];
	enum status st = ST_NOMEM;
	PGresult *r = NULL;

	if (!cum || !firsts || !days)
		goto out;
	row_int_param(lo, slo, sizeof slo);
	row_int_param(hi, shi, sizeof shi);
	row_int_param(pl->closed, sclosed, sizeof sclosed);
	if ((st = run_counted(c, &stmt_draft, 6, (const char *[]){slo, shi, sclosed, cum, firsts, days},
	                      NULL)) != ST_OK)
		goto out;
	if ((st = row_exec_one(c, &stmt_first_id, 0, NULL, &r)) != ST_OK)
		goto out;
	*first_id = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	st = insert_drafted(c, org);
out:
	PQclear(r);
	free(cum);
	free(firsts);
	free(days);
	return st;
}

enum status
seed_store_renewals(struct db_conn *c, const char *org, long n, long limit, int64_t from_id, int64_t to_id,
                    long *made)
{
	char sn[24], slimit[24], sfrom[24], sto[24];
	long got = 0;
	enum status st;

	row_int_param(n, sn, sizeof sn);
	row_int_param(limit, slimit, sizeof slimit);
	row_int_param(from_id, sfrom, sizeof sfrom);
	row_int_param(to_id, sto, sizeof sto);
	if ((st = run_counted(c, &stmt_renewals, 5, (const char *[]){org, sn, slimit, sfrom, sto}, &got)) !=
	    ST_OK)
		return st;
	if (got > 0 && (st = insert_drafted(c, org)) != ST_OK)
		return st;
	*made = got;
	return ST_OK;
}

enum status
seed_store_quotas(struct db_conn *c, const char *org, const struct seed_plan *pl, cal_date today)
{
	char *a[6] = {plan_array(pl, A_QID),  plan_array(pl, A_YID),    plan_array(pl, A_QSTART),
	              plan_array(pl, A_QEND), plan_array(pl, A_WEIGHT), plan_array(pl, A_COVERED)};
	char first[16], anchor[16];
	enum status st = ST_NOMEM;

	if (a[0] && a[1] && a[2] && a[3] && a[4] && a[5]) {
		cal_date_format(pl->first, first, sizeof first);
		cal_date_format(today, anchor, sizeof anchor);
		PGresult *r = NULL;
		st = row_exec_one(c, &stmt_author, 0, NULL, &r);
		PQclear(r);
		if (st == ST_OK)
			st = run_counted(
			    c, &stmt_quotas, 9,
			    (const char *[]){org, first, anchor, a[0], a[1], a[2], a[3], a[4], a[5]}, NULL);
	}
	for (int i = 0; i < 6; i++)
		free(a[i]);
	return st;
}

enum status
seed_store_leads_dates(struct db_conn *c, const char *org, const char *ext_ids, const char *created,
                       const char *updated)
{
	return row_exec_command(c, &stmt_leads_dates, 4, (const char *[]){org, ext_ids, created, updated});
}

enum status
seed_store_owners(struct db_conn *c, const char *segment, char **out)
{
	PGresult *r = NULL;
	enum status st = row_exec_one(c, &stmt_owners, 1, (const char *[]){segment}, &r);

	if (st == ST_OK && !(*out = strdup(PQgetvalue(r, 0, 0))))
		st = ST_NOMEM;
	PQclear(r);
	return st;
}

enum status
seed_store_counts(struct db_conn *c, const char *org, long *deals, long *history, long *quotas)
{
	PGresult *r = NULL;
	enum status st = row_exec_one(c, &stmt_counts, 1, (const char *[]){org}, &r);

	if (st == ST_OK) {
		*deals = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		*history = strtol(PQgetvalue(r, 0, 1), NULL, 10);
		*quotas = strtol(PQgetvalue(r, 0, 2), NULL, 10);
	}
	PQclear(r);
	return st;
}

enum status
seed_store_analyze(struct db_conn *c, bool deals)
{
	return row_exec_raw(c, deals ? "ANALYZE deals, deal_splits" : "ANALYZE deal_history, quotas, leads");
}
