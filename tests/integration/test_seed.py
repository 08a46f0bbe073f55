"""
attainctl seed: three years of generated pipeline (deals with their backdated
history, renewals, splits, pushes, lost deals), quotas for every person and
team, closed and open leads; deterministic from --seed and --today. Run on
scratch orgs of the session's database, read back over SQL and the API.
"""
import os
import secrets
import subprocess
import uuid
from decimal import Decimal

import pytest

from conftest import ATTAINCTL, pg_url, psql, with_dbname
from contract import ok
from lead_training import train

TODAY = "2026-12-06"
FIRST = "2023-12-07"    # the window: three years up to TODAY
HORIZON = "2027-06-30"  # the open pipeline closes up to the end of the quarter after next
QUARTERS = 20           # FY2023-Q1 .. FY2027-Q4 (calendar fiscal years)


def attainctl(database, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTAIN_")}
    env["DATABASE_URL"] = database
    return subprocess.run([ATTAINCTL, *args], env=env, capture_output=True, text=True, timeout=900)


def seed(database, org, *args):
    r = attainctl(database, "seed", "--org", org, "--today", TODAY, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def rows(database, sql):
    out = psql(database, sql)
    return [line.split("|") for line in out.splitlines()] if out else []


def one(database, sql):
    return psql(database, sql)


def new_org(prefix):
    return f"it-{prefix}-" + uuid.uuid4().hex[:10]


@pytest.fixture(scope="module")
def demo(database, server):
    """A demo org seeded with the default seed at TODAY (the server has migrated the database)."""
    org = new_org("seed")
    out = seed(database, org)
    assert "seeded demo org" in out and "6000 deals" in out and "1520 leads" in out, out
    return org


def test_the_window_is_three_years_and_the_pipeline_the_next_quarters(database, demo):
    lo, hi = rows(database, f"SELECT min(close_date), max(close_date) FROM deals"
                            f" WHERE org_id = '{demo}' AND status <> 'open'")[0]
    assert FIRST <= lo <= "2024-01-07" and "2026-11-01" <= hi <= TODAY
    lo, hi = rows(database, f"SELECT min(close_date), max(close_date) FROM deals"
                            f" WHERE org_id = '{demo}' AND status = 'open'")[0]
    assert TODAY < lo <= "2027-01-15" and "2027-06-01" <= hi <= HORIZON
    # every month of the window has won deals
    months = one(database, f"SELECT count(DISTINCT date_trunc('month', close_date)) FROM deals"
                           f" WHERE org_id = '{demo}' AND status = 'won'")
    assert int(months) == 37


def test_the_shares_of_types_outcomes_splits_and_pushes(database, demo):
    n, won, lost, split, pushed, renewal, nb, up, cs, three = map(float, rows(database, f"""
        SELECT count(*), count(*) FILTER (WHERE status = 'won'), count(*) FILTER (WHERE status = 'lost'),
               count(*) FILTER (WHERE split_person_ids <> '{{}}'), count(*) FILTER (WHERE pushes > 0),
               count(*) FILTER (WHERE type = 'renewal'), count(*) FILTER (WHERE type = 'new_business'),
               count(*) FILTER (WHERE type = 'upsell'), count(*) FILTER (WHERE type = 'cross_sell'),
               count(*) FILTER (WHERE cardinality(split_person_ids) = 3)
        FROM deals WHERE org_id = '{demo}'""")[0])
    assert n == 6000
    assert 0.25 <= won / (won + lost) <= 0.40
    assert 0.15 <= split / n <= 0.25 and three > 0
    assert 0.10 <= pushed / n <= 0.25
    assert 0.10 <= renewal / n <= 0.14
    assert nb / n > 0.4 and up / n > 0.08 and cs / n > 0.05
    # the win rate differs by person, so leaderboards differ
    rates = [float(r[0]) for r in rows(database, f"""
        SELECT count(*) FILTER (WHERE status = 'won')::float / count(*) FROM deals
        WHERE org_id = '{demo}' AND status <> 'open' GROUP BY owner_id""")]
    assert max(rates) - min(rates) > 0.12
    # splits: percents sum to 100, in person-id order, the owner among the holders, every credit rule sums
    bad = one(database, f"""
        SELECT count(*) FROM deals d WHERE org_id = '{demo}' AND split_person_ids <> '{{}}'
        AND ((SELECT sum(p) FROM unnest(split_percents) p) <> 100 OR NOT owner_id = ANY (split_person_ids)
             OR split_person_ids <> ARRAY(SELECT x FROM unnest(split_person_ids) x ORDER BY x)
             OR (SELECT sum(credit) FROM deal_credits c WHERE c.org_id = d.org_id AND c.deal_id = d.id) <> amount)""")
    assert bad == "0"
    # some split credits leave cents over (33.33 % of an amount in cents)
    uneven = one(database, f"""
        SELECT count(*) FROM deals d, unnest(split_percents) p WHERE org_id = '{demo}'
        AND (amount * 100 * p) % 100 <> 0""")
    assert int(uneven) > 0
    # a few large deals: the biggest are many times the median
    med, top = map(Decimal, rows(database, f"""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY amount), max(amount) FROM deals
        WHERE org_id = '{demo}' AND type = 'new_business'""")[0])
    assert top > 8 * med
    # deals go to people hired 90 days or more before they close
    early = one(database, f"SELECT count(*) FROM deals d JOIN people p ON p.org_id = d.org_id AND p.id = d.owner_id"
                          f" WHERE d.org_id = '{demo}' AND d.close_date < p.hired_on + 90")
    assert early == "0"
    cycles = rows(database, f"SELECT min(close_date - created_on), max(close_date - created_on) FROM deals"
                            f" WHERE org_id = '{demo}' AND status <> 'open'")[0]
    assert 10 <= int(cycles[0]) and int(cycles[1]) <= 180


def test_renewals_resell_won_deals_of_a_year_before(database, demo):
    # each renewal has a won deal of the same owner and account about a year before, about its amount
    orphans = one(database, f"""
        SELECT count(*) FROM deals r WHERE r.org_id = '{demo}' AND r.type = 'renewal' AND NOT EXISTS (
            SELECT 1 FROM deals b WHERE b.org_id = r.org_id AND b.type <> 'renewal' AND b.status = 'won'
            AND b.owner_id = r.owner_id AND b.account = r.account
            AND r.close_date - b.close_date BETWEEN 355 AND 375
            AND r.amount BETWEEN b.amount * 0.95 AND b.amount * 1.10 + 0.01)""")
    assert orphans == "0"
    statuses = {s for (s,) in rows(database, f"SELECT DISTINCT status FROM deals WHERE org_id = '{demo}'"
                                             f" AND type = 'renewal'")}
    assert statuses == {"won", "lost", "open"}


def test_the_season_shows_in_won_value(database, demo):
    # calendar fiscal year: the last month of each quarter, and Q4, carry more won value
    by = {int(m): Decimal(v) for m, v in rows(database, f"""
        SELECT extract(month FROM close_date)::int, sum(amount) FROM deals
        WHERE org_id = '{demo}' AND status = 'won' AND close_date BETWEEN '2024-01-01' AND '2026-11-30'
        GROUP BY 1""")}
    last = sum(by[m] for m in (3, 6, 9))
    first = sum(by[m] for m in (1, 4, 7))
    assert last > Decimal("1.2") * first
    assert by[10] + by[11] > by[1] + by[2]


def test_every_deals_last_history_row_is_its_current_state(database, demo):
    mismatches = one(database, f"""
        SELECT count(*) FROM deals d JOIN LATERAL (SELECT * FROM deal_history h WHERE h.org_id = d.org_id
            AND h.deal_id = d.id ORDER BY version DESC LIMIT 1) h ON true
        WHERE d.org_id = '{demo}' AND (h.stage_to, h.amount_to, h.close_date_to, h.status, h.owner_id,
            h.probability, h.forecast_category, h.version)
            IS DISTINCT FROM (d.stage, d.amount, d.close_date, d.status, d.owner_id, d.probability,
            d.forecast_category, d.version)""")
    assert mismatches == "0"
    # versions run 1..version in time order; the first is 'created' on created_on; from = the row before
    bad = one(database, f"""
        WITH h AS (SELECT h.*, lag(stage_to) OVER w AS prev_stage, lag(close_date_to) OVER w AS prev_close,
                          lag(amount_to) OVER w AS prev_amount, lag(at) OVER w AS prev_at,
                          row_number() OVER w AS rn
                   FROM deal_history h WHERE org_id = '{demo}' WINDOW w AS (PARTITION BY deal_id ORDER BY version))
        SELECT count(*) FROM h JOIN deals d ON d.org_id = h.org_id AND d.id = h.deal_id
        WHERE h.rn <> h.version OR h.at <= h.prev_at
           OR (h.version = 1 AND (h.kind <> 'created' OR (h.at AT TIME ZONE 'UTC')::date <> d.created_on
                                  OR h.stage_from IS NOT NULL))
           OR (h.version > 1 AND (h.kind <> 'changed' OR h.stage_from IS DISTINCT FROM h.prev_stage
                                  OR h.close_date_from IS DISTINCT FROM h.prev_close
                                  OR h.amount_from IS DISTINCT FROM h.prev_amount))
           OR (h.pushed AND NOT h.close_date_to > h.close_date_from)""")
    assert bad == "0"
    # pushes: the count on the deal is its pushed rows; closed deals close on their close date
    bad = one(database, f"""
        SELECT count(*) FROM deals d WHERE org_id = '{demo}' AND (pushes <> (SELECT count(*) FROM deal_history h
            WHERE h.org_id = d.org_id AND h.deal_id = d.id AND h.pushed)
          OR (status <> 'open' AND (SELECT (at AT TIME ZONE 'UTC')::date FROM deal_history h
            WHERE h.org_id = d.org_id AND h.deal_id = d.id AND h.version = d.version) <> close_date)
          OR (SELECT max(at) FROM deal_history h WHERE h.org_id = d.org_id AND h.deal_id = d.id)
             >= timestamptz '{TODAY}' + interval '1 day')""")
    assert bad == "0"
    # a deal's stages climb in the org's order, so the stage-by-stage win rate rises
    rates = rows(database, f"""
        SELECT s.position, count(DISTINCT h.deal_id) FILTER (WHERE d.status = 'won')::float
               / count(DISTINCT h.deal_id)
        FROM deal_history h JOIN deals d ON d.org_id = h.org_id AND d.id = h.deal_id
        JOIN stages s ON s.org_id = h.org_id AND s.key = h.stage_to
        WHERE h.org_id = '{demo}' AND d.status <> 'open' AND NOT s.is_won AND NOT s.is_lost
        GROUP BY s.position ORDER BY s.position""")
    values = [float(r) for _, r in rates]
    assert len(values) == 5 and values == sorted(values) and values[-1] > 2 * values[0]


def test_quotas_for_every_person_and_team_every_quarter(database, demo):
    people = int(one(database, f"SELECT count(*) FROM people WHERE org_id = '{demo}'"))
    teams = int(one(database, f"SELECT count(*) FROM teams WHERE org_id = '{demo}'"))
    assert people == 38 and teams == 8
    per = rows(database, f"""
        SELECT assignee_type, grain, metric, count(DISTINCT coalesce(person_id, team_id)), count(DISTINCT period),
               count(*)
        FROM quotas WHERE org_id = '{demo}' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")
    want = []
    for kind, n in (("person", people), ("team", teams)):
        for grain, periods in (("quarter", QUARTERS), ("year", QUARTERS // 4)):
            for metric in ("deal_count", "revenue"):
                want.append([kind, grain, metric, str(n), str(periods), str(n * periods)])
    assert per == want
    # written as the API writes them: audited
    audited = one(database, f"SELECT count(*) FROM quota_history WHERE org_id = '{demo}' AND action = 'created'"
                            f" AND sub = 'attainctl-seed'")
    assert int(audited) == sum(int(r[5]) for r in per)
    # a year is the sum of its quarters
    bad = one(database, f"""
        SELECT count(*) FROM quotas y WHERE org_id = '{demo}' AND grain = 'year' AND amount <> (
            SELECT sum(amount) FROM quotas q WHERE q.org_id = y.org_id AND q.grain = 'quarter'
            AND q.metric = y.metric AND q.assignee_type = y.assignee_type
            AND q.person_id IS NOT DISTINCT FROM y.person_id AND q.team_id IS NOT DISTINCT FROM y.team_id
            AND q.period_start BETWEEN y.period_start AND y.period_end)""")
    assert bad == "0"
    # attainment of the sellers over FY2025 spreads: some far under, most near, some over (a rep hired
    # after it has no deal in it, and a quota of 0)
    # the org's won credits counted once (a correlated read of the deal_credits view per quota
    # planned it over every org's deals: over a minute once the session's database had grown)
    pct = [float(r[0]) for r in rows(database, f"""
        WITH won AS MATERIALIZED (SELECT c.person_id, d.close_date, c.credit FROM deal_credits c JOIN deals d
            ON d.org_id = c.org_id AND d.id = c.deal_id WHERE c.org_id = '{demo}' AND d.status = 'won')
        SELECT 100 * coalesce((SELECT sum(w.credit) FROM won w WHERE w.person_id = q.person_id
            AND w.close_date BETWEEN q.period_start AND q.period_end), 0) / q.amount
        FROM quotas q WHERE q.org_id = '{demo}' AND q.period = 'FY2025' AND q.metric = 'revenue'
        AND q.amount > 0 AND q.person_id IN (SELECT owner_id FROM deals WHERE org_id = '{demo}')""")]
    assert len(pct) >= 25
    assert min(pct) < 70 and max(pct) > 115
    assert sum(1 for p in pct if 80 <= p <= 125) >= len(pct) / 3


def test_leads_with_outcomes_train_at_once(database, demo, client, tokens):
    counts = {(s, st): int(n) for s, st, n in rows(database, f"""
        SELECT segment, status, count(*) FROM leads WHERE org_id = '{demo}' GROUP BY 1, 2""")}
    for seg in ("b2b", "b2c"):
        assert counts[(seg, "converted")] >= 100 and counts[(seg, "disqualified")] >= 100
        assert counts[(seg, "new")] > 0
    span = rows(database, f"SELECT min(created_at)::date, max(created_at)::date FROM leads WHERE org_id = '{demo}'")
    assert span[0][0] < "2024-02-01" and span[0][1] > "2026-10-01"
    api = client(tokens.token(demo, ["admin"]))
    for seg in ("b2b", "b2c"):
        assert train(api, seg, body={})["auc"] > 0.6


def aggregates(database, org):
    """What two seedings are compared on: sums per seller (by external id) and quarter, counts per stage."""
    per_person = rows(database, f"""
        SELECT p.external_id, date_trunc('quarter', d.close_date)::date, d.status, sum(c.credit), count(*)
        FROM deal_credits c JOIN deals d ON d.org_id = c.org_id AND d.id = c.deal_id
        JOIN people p ON p.org_id = c.org_id AND p.id = c.person_id
        WHERE c.org_id = '{org}' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""")
    per_stage = rows(database, f"SELECT stage, type, count(*), sum(amount), sum(pushes) FROM deals"
                               f" WHERE org_id = '{org}' GROUP BY 1, 2 ORDER BY 1, 2")
    history = rows(database, f"SELECT kind, stage_to, pushed, count(*), min(at), max(at) FROM deal_history"
                             f" WHERE org_id = '{org}' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    quotas = rows(database, f"""
        SELECT coalesce(p.external_id, t.external_id), q.period, q.metric, q.amount FROM quotas q
        LEFT JOIN people p ON p.org_id = q.org_id AND p.id = q.person_id
        LEFT JOIN teams t ON t.org_id = q.org_id AND t.id = q.team_id
        WHERE q.org_id = '{org}' ORDER BY 1, 2, 3""")
    leads = rows(database, f"SELECT external_id, status, budget, authority, need, created_at FROM leads"
                           f" WHERE org_id = '{org}' ORDER BY 1")
    return per_person, per_stage, history, quotas, leads


def test_same_seed_same_rows_another_seed_other_rows(database, demo):
    again = new_org("seed-again")
    seed(database, again)
    other = new_org("seed-other")
    seed(database, other, "--seed", "7")
    a, b, c = aggregates(database, demo), aggregates(database, again), aggregates(database, other)
    assert a == b
    assert a[0] != c[0] and a[1] != c[1] and a[3] != c[3] and a[4] != c[4]
    # ids run in the same order: the n-th deal of each org is the same deal
    def nth(org):
        return rows(database, f"SELECT name, amount, close_date, status FROM deals WHERE org_id = '{org}'"
                              f" ORDER BY id")
    assert nth(demo) == nth(again)


def test_the_api_reads_the_data_back(database, demo, client, tokens):
    api = client(tokens.token(demo, ["admin"]))
    owner = one(database, f"SELECT owner_id FROM deals WHERE org_id = '{demo}' GROUP BY 1 ORDER BY count(*) DESC"
                          f" LIMIT 1")
    items, cursor = [], None
    while True:
        params = {"owner_id": owner, "limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = ok(api.get("/v1/deals", params=params))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    n, total, won = rows(database, f"SELECT count(*), sum(amount), sum(amount) FILTER (WHERE status = 'won')"
                                   f" FROM deals WHERE org_id = '{demo}' AND owner_id = {owner}")[0]
    assert len(items) == int(n)
    assert sum(Decimal(str(d["amount"])) for d in items) == Decimal(total)
    assert sum(Decimal(str(d["amount"])) for d in items if d["status"] == "won") == Decimal(won)
    # a deal's history over the API ends in its current state
    pushed = next(d for d in items if d["pushes"] > 0)
    hist = ok(api.get(f"/v1/deals/{pushed['id']}/history", params={"limit": 1000}))["items"]
    assert sum(1 for h in hist if h["pushed"]) == pushed["pushes"]
    assert hist[0]["kind"] == "created" and hist[-1]["version"] == pushed["version"]
    assert (hist[-1]["stage_to"], hist[-1]["close_date_to"]) == (pushed["stage"], pushed["close_date"])
    # a person's quotas: every quarter and year, both metrics
    quotas = ok(api.get("/v1/quotas", params={"assignee": f"person:{owner}", "limit": 1000}))["items"]
    assert len(quotas) == 2 * (QUARTERS + QUARTERS // 4)
    assert {q["period"] for q in quotas if q["grain"] == "quarter"} >= {"FY2024-Q1", "FY2026-Q4", "FY2027-Q2"}
    assert all(q["assignee"] == {"type": "person", "id": owner} for q in quotas)


def test_a_seeded_org_is_left_alone(database, demo):
    before = aggregates(database, demo)
    r = attainctl(database, "seed", "--org", demo, "--today", TODAY)
    assert r.returncode == 0 and "already has teams; nothing seeded" in r.stdout
    r = attainctl(database, "seed", "--org", demo, "--teams", "2", "--people", "5", "--deals", "10")
    assert r.returncode == 0 and "already has teams; nothing seeded" in r.stdout
    assert aggregates(database, demo) == before


def test_the_benchmark_generator(database, server):
    org = new_org("seed-bench")
    out = seed(database, org, "--teams", "12", "--people", "150", "--deals", "5000", "--seed", "3")
    assert "seeded org" in out and "5000 deals" in out, out
    n, split, renewal, teams_q, people_q = map(int, rows(database, f"""
        SELECT (SELECT count(*) FROM deals WHERE org_id = '{org}'),
               (SELECT count(*) FROM deals WHERE org_id = '{org}' AND split_person_ids <> '{{}}'),
               (SELECT count(*) FROM deals WHERE org_id = '{org}' AND type = 'renewal'),
               (SELECT count(DISTINCT team_id) FROM quotas WHERE org_id = '{org}' AND grain = 'quarter'),
               (SELECT count(DISTINCT person_id) FROM quotas WHERE org_id = '{org}' AND grain = 'quarter')""")[0])
    assert n == 5000 and 0.15 <= split / n <= 0.25 and renewal == 600
    assert teams_q == 12 and people_q == 150
    per = one(database, f"SELECT count(DISTINCT (coalesce(person_id, team_id), assignee_type, period, metric))"
                        f" FROM quotas WHERE org_id = '{org}' AND grain = 'quarter'")
    assert int(per) == (12 + 150) * QUARTERS * 2
    # the history matches, as for the demo
    mismatches = one(database, f"""
        SELECT count(*) FROM deals d JOIN LATERAL (SELECT * FROM deal_history h WHERE h.org_id = d.org_id
            AND h.deal_id = d.id ORDER BY version DESC LIMIT 1) h ON true
        WHERE d.org_id = '{org}' AND (h.stage_to, h.amount_to, h.close_date_to, h.status, h.version)
            IS DISTINCT FROM (d.stage, d.amount, d.close_date, d.status, d.version)""")
    assert mismatches == "0"
    # --teams/--people alone: teams and people, nothing else
    plain = new_org("seed-plain")
    out = seed(database, plain, "--teams", "3", "--people", "9")
    assert "3 teams, 9 people" in out
    assert one(database, f"SELECT count(*) FROM deals WHERE org_id = '{plain}'") == "0"


@pytest.mark.parametrize("args", [["--deals", "10"], ["--teams", "2", "--people", "4", "--deals", "0"],
                                  ["--today", "2026-02-30"], ["--seed", "x"]])
def test_bad_arguments(database, args):
    r = attainctl(database, "seed", "--org", new_org("seed-bad"), *args)
    assert r.returncode == 2 and r.stderr


def test_byte_for_byte_ids_included_on_an_empty_database(server):
    """Two empty databases, the same arguments: the same rows, ids and backdated instants included."""
    dumps = []
    for _ in range(2):
        name = "attain_it_seed_" + secrets.token_hex(4)
        psql(pg_url(), f"CREATE DATABASE {name}")
        url = with_dbname(pg_url(), name)
        try:
            assert attainctl(url, "migrate").returncode == 0
            seed(url, "demo", "--seed", "5")
            dumps.append([one(url, f"SELECT md5(string_agg(t::text, '|' ORDER BY {key})) FROM {table} t")
                          for table, key in (("deals", "id"), ("deal_history", "deal_id, version"),
                                             ("deal_splits", "deal_id, person_id"))]
                         + [one(url, "SELECT md5(string_agg(row(id, person_id, team_id, period, metric, amount)::text,"
                                     " '|' ORDER BY id)) FROM quotas"),
                            one(url, "SELECT md5(string_agg(row(id, external_id, owner_id, status, score, budget,"
                                     " created_at, updated_at)::text, '|' ORDER BY id)) FROM leads"),
                            one(url, "SELECT md5(string_agg(row(id, name, team_id, hired_on)::text, '|' ORDER BY id))"
                                     " FROM people")])
        finally:
            psql(pg_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    assert dumps[0] == dumps[1] and all(dumps[0])


def test_the_orgs_fiscal_year_and_time_zone(database, client, tokens):
    """An org whose fiscal year starts in February, in Los Angeles: its quarters get the quotas, its
    history happens in its working hours, and its anchor day is its own."""
    org = new_org("seed-fy")
    api = client(tokens.token(org, ["admin"]))
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 2, "timezone": "America/Los_Angeles"}))
    seed(database, org, "--teams", "3", "--people", "20", "--deals", "2000")
    periods = rows(database, f"SELECT grain, min(period), max(period), count(DISTINCT period) FROM quotas"
                             f" WHERE org_id = '{org}' GROUP BY 1 ORDER BY 1")
    assert periods == [["quarter", "FY2024-Q1", "FY2028-Q4", "20"], ["year", "FY2024", "FY2028", "5"]]
    starts = one(database, f"SELECT min(period_start) FROM quotas WHERE org_id = '{org}'")
    assert starts == "2023-02-01"
    hours = {h for (h,) in rows(database, f"SELECT DISTINCT to_char(at AT TIME ZONE 'America/Los_Angeles', 'HH24')"
                                          f" FROM deal_history WHERE org_id = '{org}'")}
    assert hours == {"09", "17"}
    hi = one(database, f"SELECT max(close_date) FROM deals WHERE org_id = '{org}'")
    assert "2027-07-01" <= hi <= "2027-07-31"  # the end of FY2028-Q2
    # without --today: today in the org's time zone
    other = new_org("seed-tz")
    ok(client(tokens.token(other, ["admin"])).patch("/v1/org", json={"timezone": "Pacific/Kiritimati"}))
    day = "SELECT (now() AT TIME ZONE 'Pacific/Kiritimati')::date"
    before = one(database, day)
    r = attainctl(database, "seed", "--org", other, "--teams", "1", "--people", "3", "--deals", "50")
    assert r.returncode == 0, r.stderr
    after = one(database, day)  # the same day unless midnight passed there meanwhile
    assert f"up to {before}" in r.stdout or f"up to {after}" in r.stdout
