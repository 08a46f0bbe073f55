"""The kept performance sums (migration 0013_perf_rollup): after every kind of write they equal a
full recount from the deals, and the reads they serve (a team's or the org's figures, the
leaderboards, for today and whole months) equal the exact path that counts from the deals and
their history (as of a past day on which nothing has changed since)."""

import random
import threading
from datetime import date, timedelta

import pytest

from conftest import psql
from contract import ok
from quota_support import mk_person, mk_quota, mk_team, person, uid

PERIOD = "FY2025-Q1"

# Every kept row recounted from the deals (deal_credits: the one split rule) and the team tree
# (walked here, not read from team_closure); each line: table, rows expected, missing, extra.
RECOUNT = """
WITH RECURSIVE up(team_id, ancestor_id) AS (
  SELECT id, id FROM teams WHERE org_id = '{org}'
  UNION SELECT up.team_id, t.parent_id FROM up JOIN teams t ON t.org_id = '{org}' AND t.id = up.ancestor_id
  WHERE t.parent_id IS NOT NULL),
c AS (SELECT d.type, d.segment, d.status, d.close_date, date_trunc('month', d.close_date)::date AS month,
        CASE WHEN d.status = 'open' THEN d.stage ELSE '' END AS stage, d.close_date - d.created_on AS days,
        k.person_id, (k.percent * 100)::bigint AS weight, (k.credit * 100)::bigint AS cents
      FROM deals d JOIN deal_credits k ON k.org_id = d.org_id AND k.deal_id = d.id WHERE d.org_id = '{org}'),
u AS (SELECT c.*, 0::bigint AS unit FROM c
      UNION ALL SELECT c.*, -up.ancestor_id FROM c JOIN people p ON p.org_id = '{org}' AND p.id = c.person_id
      JOIN up ON up.team_id = p.team_id),
checks AS (
  SELECT 'rollup' AS t,
    ARRAY(SELECT concat_ws(' ', unit, month, type, segment, status, stage, sum(cents), sum(weight)) FROM u
          GROUP BY unit, month, type, segment, status, stage) AS want,
    ARRAY(SELECT concat_ws(' ', unit, month, type, segment, status, stage, cents, weight) FROM perf_rollup
          WHERE org_id = '{org}' AND (cents <> 0 OR weight <> 0)) AS have
  UNION ALL SELECT 'cycles',
    ARRAY(SELECT concat_ws(' ', unit, month, type, segment, days, sum(weight)) FROM u WHERE status = 'won'
          GROUP BY unit, month, type, segment, days),
    ARRAY(SELECT concat_ws(' ', unit, month, type, segment, days, weight) FROM perf_cycles
          WHERE org_id = '{org}' AND weight <> 0)
  UNION ALL SELECT 'closed_days',
    ARRAY(SELECT concat_ws(' ', unit, close_date, status, sum(cents), sum(weight)) FROM u WHERE status <> 'open'
          GROUP BY unit, close_date, status),
    ARRAY(SELECT concat_ws(' ', unit, day, status, cents, weight) FROM perf_closed_days
          WHERE org_id = '{org}' AND (cents <> 0 OR weight <> 0))
  UNION ALL SELECT 'people',
    ARRAY(SELECT concat_ws(' ', person_id, month,
                           coalesce(sum(cents) FILTER (WHERE status = 'won'), 0),
                           coalesce(sum(weight) FILTER (WHERE status = 'won'), 0),
                           coalesce(sum(cents) FILTER (WHERE status = 'lost'), 0),
                           coalesce(sum(weight) FILTER (WHERE status = 'lost'), 0),
                           coalesce(sum(cents) FILTER (WHERE status = 'open'), 0),
                           coalesce(sum(weight) FILTER (WHERE status = 'open'), 0),
                           coalesce(sum(weight) FILTER (WHERE status = 'won' AND type = 'renewal'), 0),
                           coalesce(sum(weight) FILTER (WHERE status = 'lost' AND type = 'renewal'), 0),
                           coalesce(sum(cents) FILTER (WHERE status = 'won' AND type IN ('upsell', 'cross_sell')), 0))
          FROM c GROUP BY person_id, month),
    ARRAY(SELECT concat_ws(' ', person_id, month, won_cents, won_weight, lost_cents, lost_weight, open_cents,
                           open_weight, renewal_won_weight, renewal_lost_weight, expansion_won_cents)
          FROM perf_people WHERE org_id = '{org}'
          AND (won_weight <> 0 OR lost_weight <> 0 OR open_weight <> 0 OR won_cents <> 0 OR lost_cents <> 0
               OR open_cents <> 0))
  UNION ALL SELECT 'people_cycles',
    ARRAY(SELECT concat_ws(' ', person_id, month, days, sum(weight)) FROM c WHERE status = 'won'
          GROUP BY person_id, month, days),
    ARRAY(SELECT concat_ws(' ', person_id, month, days, weight) FROM perf_people_cycles
          WHERE org_id = '{org}' AND weight <> 0)
  UNION ALL SELECT 'closure',
    ARRAY(SELECT concat_ws(' ', team_id, ancestor_id) FROM up),
    ARRAY(SELECT concat_ws(' ', team_id, ancestor_id) FROM team_closure WHERE org_id = '{org}'))
SELECT t, cardinality(want), (SELECT count(*) FROM (SELECT unnest(want) EXCEPT ALL SELECT unnest(have)) x),
       (SELECT count(*) FROM (SELECT unnest(have) EXCEPT ALL SELECT unnest(want)) x) FROM checks
"""


def assert_kept(database, org, at_least=1):
    rows = [line.split("|") for line in psql(database, RECOUNT.format(org=org)).splitlines()]
    got = {t: (int(n), int(missing), int(extra)) for t, n, missing, extra in rows}
    assert all(m == 0 and e == 0 for _, m, e in got.values()), got
    assert got["rollup"][0] >= at_least, got


@pytest.fixture
def tree(scratch_admin):
    """Root R with child A (reps a1, a2) and A's child A1 (rep b1); team X apart (rep x1)."""
    api = scratch_admin
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    org = ok(api.get("/v1/org"))["id"]
    r = mk_team(api, "R " + uid())
    a = mk_team(api, "A " + uid(), parent_id=r["id"])
    a1 = mk_team(api, "A1 " + uid(), parent_id=a["id"])
    x = mk_team(api, "X " + uid())
    people = {"a1": mk_person(api, a["id"]), "a2": mk_person(api, a["id"]),
              "b1": mk_person(api, a1["id"]), "x1": mk_person(api, x["id"])}
    return {"api": api, "org": org, "R": r, "A": a, "A1": a1, "X": x, **people}


def run_together(*fns):
    """Run fns at once, each on its own thread; fail with what any of them raised."""
    errors = []

    def guard(fn):
        def run():
            try:
                fn()
            except Exception as e:  # reported below: a thread's assertion does not fail the test itself
                errors.append(e)
        return run

    threads = [threading.Thread(target=guard(f)) for f in fns]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def deal(api, owner, amount, stage, close, created="2025-01-02", type_="new_business", segment="b2b",
         splits=None):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": stage,
            "close_date": close, "created_on": created, "type": type_, "segment": segment}
    if splits:
        body["splits"] = [{"person_id": p["id"], "percent": pct} for p, pct in splits]
    return ok(api.post("/v1/deals", json=body), 201)


def patch(api, d, **fields):
    return ok(api.patch(f"/v1/deals/{d['id']}", json=fields, headers={"If-Match": f'"{d["version"]}"'}))


def test_kept_sums_follow_every_kind_of_write(tree, database):
    api, org = tree["api"], tree["org"]
    a1, a2, b1, x1 = tree["a1"], tree["a2"], tree["b1"], tree["x1"]
    won = deal(api, a1, 1000, "closed_won", "2025-01-20")
    split = deal(api, a1, 100.01, "closed_won", "2025-02-10", type_="upsell",
                 splits=[(a1, 33.33), (b1, 33.33), (x1, 33.34)])
    lost = deal(api, a2, 500, "closed_lost", "2025-02-01", type_="renewal", segment="b2c")
    opn = deal(api, b1, 700, "proposal", "2025-03-20")
    assert_kept(database, org)

    won = patch(api, won, amount=1234.56)                                   # amount
    assert_kept(database, org)
    won = patch(api, won, owner_id=x1["id"])                                # re-owning
    assert_kept(database, org)
    won = patch(api, won, stage="proposal")                                 # won -> open
    assert_kept(database, org)
    won = patch(api, won, stage="closed_won", close_date="2025-03-02")      # close date, won again
    assert_kept(database, org)
    split = patch(api, split, splits=[{"person_id": a2["id"], "percent": 60},
                                      {"person_id": b1["id"], "percent": 40}])  # split change
    assert_kept(database, org)
    split = patch(api, split, splits=[])                                    # split removed
    assert_kept(database, org)
    lost = patch(api, lost, type="new_business", segment="b2b")             # type and segment
    assert_kept(database, org)
    ok(api.delete(f"/v1/deals/{opn['id']}", headers={"If-Match": f'"{opn["version"]}"'}), 204)
    assert_kept(database, org)

    # bulk: created, updated, unchanged in one call, then again
    svc_items = [{"external_id": f"crm-{i}", "name": f"bulk {i}", "owner_id": [a1, a2, b1, x1][i % 4]["id"],
                  "amount": 100 + i, "stage": ["closed_won", "closed_lost", "proposal"][i % 3],
                  "close_date": f"2025-0{1 + i % 3}-1{i % 10}", "created_on": "2024-12-01",
                  "type": ["new_business", "upsell", "cross_sell", "renewal"][i % 4]} for i in range(60)]
    ok(api.post("/v1/deals/bulk", json=svc_items))
    assert_kept(database, org)
    for it in svc_items[::2]:
        it["amount"] += 1
        it["owner_id"] = [a1, a2, b1, x1][(svc_items.index(it) + 1) % 4]["id"]
    body = ok(api.post("/v1/deals/bulk", json=svc_items))
    assert (body["updated"], body["unchanged"]) == (30, 30)
    assert_kept(database, org)

    # a person changes team; a team changes parent; a team is created and removed
    ok(api.patch(f"/v1/people/{b1['id']}", json={"team_id": tree["X"]["id"]}))
    assert_kept(database, org)
    ok(api.patch(f"/v1/teams/{tree['A1']['id']}", json={"parent_id": tree["X"]["id"]}))
    assert_kept(database, org)
    ok(api.patch(f"/v1/teams/{tree['A']['id']}", json={"parent_id": None}))
    assert_kept(database, org)
    t = mk_team(api, "T " + uid(), parent_id=tree["R"]["id"])
    ok(api.delete(f"/v1/teams/{t['id']}"), 204)
    assert_kept(database, org)


def test_two_writers_on_one_person(tree, database):
    api, org, a1 = tree["api"], tree["org"], tree["a1"]
    deals = [deal(api, a1, 100, "proposal", "2025-02-15") for _ in range(8)]

    def writer(mine, stage):
        def run():
            st = stage
            for d in mine:
                for _ in range(3):
                    cur = ok(api.get(f"/v1/deals/{d['id']}"))
                    r = api.patch(f"/v1/deals/{d['id']}", json={"stage": st, "amount": cur["amount"] + 1},
                                  headers={"If-Match": f'"{cur["version"]}"'})
                    assert r.status_code == 200, r.text
                    st = "closed_won" if st != "closed_won" else "proposal"
        return run

    run_together(writer(deals[0::2], "closed_won"), writer(deals[1::2], "closed_lost"))
    assert_kept(database, org)


def yesterday():
    return (date.today() - timedelta(days=2)).isoformat()


def without_as_of(body):
    body = dict(body)
    body.pop("as_of", None)
    return body


def test_kept_reads_equal_the_exact_path(tree, database):
    """Nothing changed since two days ago: the exact path's answer as of then is today's."""
    api, org = tree["api"], tree["org"]
    a1, a2, b1, x1 = tree["a1"], tree["a2"], tree["b1"], tree["x1"]
    rnd = random.Random(7)
    stages = ["closed_won", "closed_won", "closed_lost", "proposal", "negotiation", "prospecting"]
    for i in range(40):
        owner = rnd.choice([a1, a2, b1, x1])
        splits = None
        if i % 5 == 0:
            other = rnd.choice([p for p in (a1, a2, b1, x1) if p["id"] != owner["id"]])
            splits = [(owner, 66.67), (other, 33.33)]
        day = date(2025, 1, 1) + timedelta(days=rnd.randrange(90))
        created = day - timedelta(days=rnd.randrange(1, 120))
        deal(api, owner, round(rnd.uniform(10, 5000), 2), rnd.choice(stages), day.isoformat(), created.isoformat(),
             rnd.choice(["new_business", "upsell", "cross_sell", "renewal"]), rnd.choice(["b2b", "b2c"]), splits)
    mk_quota(api, person(a1), PERIOD, 20000)
    mk_quota(api, {"type": "team", "id": tree["A"]["id"]}, PERIOD, 50000)
    psql(database, f"UPDATE deal_history SET at = at - interval '3 days' WHERE org_id = '{org}'")
    assert_kept(database, org)
    past = yesterday()
    for scope in (f"team:{tree['R']['id']}", f"team:{tree['A']['id']}", f"team:{tree['A1']['id']}", "org"):
        for metric in ("revenue", "deal_count"):
            q = {"scope": scope, "period": PERIOD, "metric": metric}
            now = ok(api.get("/v1/performance", params=q))
            then = ok(api.get("/v1/performance", params={**q, "as_of": past}))
            assert without_as_of(now) == without_as_of(then), scope
    for q in ({"level": "people"}, {"level": "teams"}, {"level": "people", "team": tree["R"]["id"]},
              {"level": "teams", "team": tree["R"]["id"]}, {"sort": "median_cycle_days"}):
        q = {"period": PERIOD, "limit": 100, **q}
        now = ok(api.get("/v1/performance/leaderboard", params=q))
        then = ok(api.get("/v1/performance/leaderboard", params={**q, "as_of": past}))
        assert without_as_of(now) == without_as_of(then), q
        assert now["items"], q
    now = ok(api.get("/v1/performance/distribution", params={"period": PERIOD}))
    then = ok(api.get("/v1/performance/distribution", params={"period": PERIOD, "as_of": past}))
    assert without_as_of(now) == without_as_of(then)


def test_a_deal_closed_ahead_of_today_is_open_today(tree, database):
    """A deal won with a close date still ahead counts as open on every day before it (the
    exact path); so does a team's or the org's read of today."""
    api = tree["api"]
    # the org's today, as the server sees it; passed back as as_of, so a midnight between the
    # calls turns the read into the exact path with the same answer, not into another day
    today = date.fromisoformat(ok(api.get("/v1/performance", params={"scope": "org", "period": "FY2025"}))["as_of"])
    start = today.replace(day=1)
    ahead = min(today + timedelta(days=1), (start + timedelta(days=32)).replace(day=1) - timedelta(days=1))
    if ahead == today:  # the last day of the month: nothing ahead within it
        pytest.skip("no later day in this month")
    deal(api, tree["a1"], 300, "closed_won", ahead.isoformat(), created=start.isoformat())
    deal(api, tree["a1"], 200, "closed_won", today.isoformat(), created=start.isoformat())
    period = f"{today.year}-{today.month:02d}"
    body = ok(api.get("/v1/performance", params={"scope": "org", "period": period, "as_of": today.isoformat()}))
    assert (body["achieved"], body["open_pipeline"]) == (200, 300)
    team = ok(api.get("/v1/performance", params={"scope": f"team:{tree['A']['id']}", "period": period,
                                                 "as_of": today.isoformat()}))
    assert (team["achieved"], team["open_pipeline"]) == (200, 300)


def test_tree_changes_beside_deal_writes(tree, database):
    """Teams created and a person moved back and forth while deals of that person are written,
    all at once: every call succeeds and the kept rows still equal a recount."""
    api, org = tree["api"], tree["org"]
    b1 = tree["b1"]
    deals = [deal(api, b1, 100, "proposal", "2025-02-15") for _ in range(6)]

    def create_teams():
        for _ in range(4):
            mk_team(api, "T " + uid(), parent_id=tree["R"]["id"])

    def move_person():
        for i in range(6):
            target = tree["X"] if i % 2 == 0 else tree["A1"]
            ok(api.patch(f"/v1/people/{b1['id']}", json={"team_id": target["id"]}))

    def write_deals():
        for d in deals:
            cur = ok(api.get(f"/v1/deals/{d['id']}"))
            ok(api.patch(f"/v1/deals/{d['id']}", json={"stage": "closed_won", "amount": cur["amount"] + 5},
                         headers={"If-Match": f'"{cur["version"]}"'}))

    run_together(create_teams, create_teams, move_person, write_deals)
    assert_kept(database, org)
