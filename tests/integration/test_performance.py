"""GET /v1/performance: every figure of a person, a team and the org to the cent, as of a day
(from the deals' history), with the deals behind them, the role matrix and the CSV row. The
expected figures are recomputed here from the deals with fractions, independently of the
service's arithmetic."""

import csv
import io
from datetime import date
from fractions import Fraction

import pytest

from conftest import psql
from contract import ok, problem
from quota_support import mk_person, mk_quota, mk_team, person, uid

PERIOD = "FY2025-Q1"  # 2025-01-01 .. 2025-03-31 with the fiscal year starting in January
AS_OF = "2025-02-14"


def r2(x):
    """Round a Fraction half away from zero to 2 decimals, as a float (the JSON number)."""
    x = Fraction(x) * 100
    n = (abs(x.numerator) * 2 + x.denominator) // (2 * x.denominator)
    return float((n if x >= 0 else -n)) / 100


def deal(api, owner, amount, stage, close, type_="new_business", segment="b2b", created="2025-01-02", splits=None):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": stage,
            "close_date": close, "created_on": created, "type": type_, "segment": segment}
    if splits:
        body["splits"] = [{"person_id": p["id"], "percent": pct} for p, pct in splits]
    return ok(api.post("/v1/deals", json=body), 201)


@pytest.fixture
def world(scratch_admin, client, tokens):
    """
    Team T (manager M) with reps A and B; team U (a child of T) with rep C; team X apart with rep Z.
    A carries a 10,000.00 quota for the quarter.
    """
    api = scratch_admin
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    org = ok(api.get("/v1/org"))["id"]
    t = mk_team(api, "T " + uid())
    u = mk_team(api, "U " + uid(), parent_id=t["id"])
    x = mk_team(api, "X " + uid())
    m, a, b = mk_person(api, t["id"]), mk_person(api, t["id"]), mk_person(api, t["id"])
    c, z = mk_person(api, u["id"]), mk_person(api, x["id"])
    ok(api.patch(f"/v1/teams/{t['id']}", json={"manager_id": m["id"]}))
    quota = mk_quota(api, person(a), PERIOD, 10000)
    d = {
        "won": deal(api, a, 3000, "closed_won", "2025-01-20"),
        # 100.01 three ways: 33.33 / 33.33 / 33.35 (the left-over cent to the largest remainder)
        "split": deal(api, a, 100.01, "closed_won", "2025-02-10", "upsell",
                      splits=[(a, 33.33), (b, 33.33), (m, 33.34)]),
        "lost": deal(api, a, 2000, "closed_lost", "2025-02-01"),
        "open": deal(api, a, 5000, "proposal", "2025-03-20", "renewal"),
        "later": deal(api, a, 1000, "closed_won", "2025-02-20", "renewal", "b2c"),  # won after AS_OF
        "before": deal(api, a, 700, "closed_won", "2024-12-15", created="2024-11-01"),  # outside the period
        "b_won": deal(api, b, 250.5, "closed_won", "2025-01-31", "cross_sell"),
        "c_won": deal(api, c, 400, "closed_won", "2025-03-01"),                   # after AS_OF: open then
        "z_won": deal(api, z, 999, "closed_won", "2025-01-15"),
    }
    roles = {
        "admin": api,
        "exec": client(tokens.token(org, ["exec"])),
        "manager": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "rep_a": client(tokens.token(org, ["rep"], person_id=a["id"])),
        "rep_z": client(tokens.token(org, ["rep"], person_id=z["id"])),
    }
    return {"org": org, "T": t, "U": u, "X": x, "M": m, "A": a, "B": b, "C": c, "Z": z, "deals": d,
            "quota": quota, "as": roles, "api": api}


def perf(api, scope, **q):
    params = {"scope": scope, "period": PERIOD, "as_of": AS_OF, **q}
    return ok(api.get("/v1/performance", params=params))


def expected(won, lost, opened, cycles, quota=None, elapsed=45, days=90):
    """The figures from credited (amount, count-share) lists, exactly; cycles are days, or
    (days, share) for a deal credited in part (its cycle weighs that share)."""
    cycles = [c if isinstance(c, tuple) else (c, 1) for c in cycles]
    cw = sum(Fraction(w) for _, w in cycles)
    cwd = sum(Fraction(w) * d for d, w in cycles)
    wa, wc = sum(a for a, _ in won), sum(c for _, c in won)
    la, lc = sum(a for a, _ in lost), sum(c for _, c in lost)
    oa, oc = sum(a for a, _ in opened), sum(c for _, c in opened)
    # counts are published in hundredths, rounded once
    wc, lc, oc = Fraction(round(wc * 100), 100), Fraction(round(lc * 100), 100), Fraction(round(oc * 100), 100)
    f = {"achieved": r2(wa), "won_amount": r2(wa), "lost_amount": r2(la), "open_pipeline": r2(oa),
         "won_count": r2(wc), "lost_count": r2(lc), "open_count": r2(oc),
         "win_rate_count_pct": r2(wc / (wc + lc) * 100) if wc + lc else None,
         "win_rate_value_pct": r2(wa / (wa + la) * 100) if wa + la else None,
         "avg_deal_size": r2(wa / wc) if wc else None,
         "avg_cycle_days": r2(cwd / cw) if cw else None}
    if cw and wc + lc and cwd:
        f["velocity"] = r2(oc * wa * cw / ((wc + lc) * cwd))
    if quota is not None:
        q = Fraction(quota)
        f["attainment_pct"] = r2(wa / q * 100)
        f["gap"] = r2(q - wa)
        exp = Fraction(round(q * elapsed / days * 100), 100)
        f["expected_to_date"] = r2(exp)
        f["pace_pct"] = r2(wa / exp * 100)
        f["coverage"] = r2(oa / (q - wa)) if q > wa else None
        f["pipeline_needed"] = r2((q - wa) * (wa + la) / wa) if q > wa else 0
    return f


def check(body, want):
    for k, v in want.items():
        assert body[k] == v, (k, body[k], v)


D = Fraction  # money literals as exact fractions


def test_person_figures_to_the_cent(world):
    body = perf(world["api"], f"person:{world['A']['id']}")
    assert body["period"] == {"id": PERIOD, "start": "2025-01-01", "end": "2025-03-31"}
    assert body["scope"] == {"type": "person", "id": world["A"]["id"]}
    assert (body["period_days"], body["elapsed_days"], body["as_of"]) == (90, 45, AS_OF)
    assert body["quota"] == 10000 and body["effective_quota"] == 10000 and body["quota_source"] == "explicit"
    won = [(D(3000), 1), (D("33.33"), D("0.3333"))]
    lost = [(D(2000), 1)]
    opened = [(D(5000), 1), (D(1000), 1)]  # "later" closed after AS_OF: open on AS_OF
    # the split deal's 39 days weigh A's third of it: (18 + 39 × 0.3333) / 1.3333 days on
    # average, and the weighted median is the whole 18-day deal
    check(body, expected(won, lost, opened, [18, (39, D("0.3333"))], quota=10000))
    assert body["median_cycle_days"] == 18
    assert body["expansion_share_pct"] == r2(D("33.33") / D("3033.33") * 100)
    assert body["renewal_rate_pct"] is None
    # Stage win rates by AS_OF: the deals closed by then passed through closed_won (2, both won)
    # and closed_lost (1, lost); none through proposal. So "later" (open on AS_OF, but at
    # closed_won) counts in full and the 5,000 at proposal not at all.
    assert body["projections"] == {"linear": r2(D("3033.33") * 90 / 45), "seasonal": None,
                                   "pipeline": 4033.33}
    assert body["seasonal_basis"] is None and body["expected_to_date_seasonal"] is None
    bt = body["by_type"]
    assert (bt["new_business"]["achieved"], bt["upsell"]["achieved"], bt["renewal"]["open_pipeline"]) == \
        (3000, 33.33, 6000)
    assert bt["cross_sell"]["achieved"] == 0 and bt["cross_sell"]["win_rate_count_pct"] is None
    assert body["by_segment"]["b2c"]["open_pipeline"] == 1000
    assert body["by_segment"]["b2b"]["achieved"] == 3033.33


def test_team_rolls_up_the_subtree_and_counts_a_split_deal_once(world):
    api = world["api"]
    t = perf(api, f"team:{world['T']['id']}")
    # T: A, B and M (the split in full, once), B's cross-sell, and C below (won after AS_OF: open)
    won = [(D(3000), 1), (D("100.01"), 1), (D("250.5"), 1)]
    opened = [(D(5000), 1), (D(1000), 1), (D(400), 1)]
    check(t, expected(won, [(D(2000), 1)], opened, [18, 39, 29]))
    # no team quota of its own: the sum of its parts (A's)
    assert t["quota"] == 10000 and t["quota_source"] == "rolled_up"
    u = perf(api, f"team:{world['U']['id']}")
    assert (u["achieved"], u["open_pipeline"], u["quota"], u["attainment_pct"]) == (0, 400, None, None)
    org = perf(api, "org")
    assert org["achieved"] == r2(D(3000) + D("100.01") + D("250.5") + D(999))
    assert org["scope"] == {"type": "org", "id": None}
    # after the quarter: everything that closed in it has closed
    end = perf(api, f"team:{world['T']['id']}", as_of="2025-04-30")
    assert end["achieved"] == r2(D(3000) + D("100.01") + D("250.5") + D(1000) + D(400))
    assert end["elapsed_days"] == 90 and end["open_pipeline"] == 5000


def test_seasonal_pace_by_last_year_then_by_the_quota_split(world):
    api = world["api"]
    p = mk_person(api, world["X"]["id"])
    q = mk_quota(api, person(p), PERIOD, 8000)
    deal(api, p, 1000, "closed_won", "2024-01-10", created="2023-12-01")
    deal(api, p, 3000, "closed_won", "2024-02-20", created="2023-12-01")
    deal(api, p, 2000, "closed_won", "2025-01-15")
    # last year's Q1: 1,000 in January, 3,000 in February, nothing in March. On Feb 14 the
    # elapsed share is (1,000 + 3,000 x 14/28) / 4,000 = 0.625
    body = perf(api, f"person:{p['id']}")
    assert body["seasonal_basis"] == "last_year"
    assert (body["expected_to_date_seasonal"], body["pace_seasonal_pct"], body["projections"]["seasonal"]) == \
        (5000, 40, 3200)
    # split 20 / 30 / 50 %: 1,600, 2,400 and 4,000; the share is (1,600 + 2,400 x 14/28) / 8,000 = 0.35
    ok(api.post(f"/v1/quotas/{q['id']}/split", json={"grain": "month", "method": "percentages",
                                                     "percentages": [20, 30, 50]}), 201)
    body = perf(api, f"person:{p['id']}")
    assert body["seasonal_basis"] == "quota_split"
    assert (body["expected_to_date_seasonal"], body["pace_seasonal_pct"], body["projections"]["seasonal"]) == \
        (2800, r2(D(2000) / 2800 * 100), r2(D(2000) / D("0.35")))
    # the linear pace does not change
    assert body["expected_to_date"] == 4000


def test_as_of_reads_each_deal_as_it_stood(world, database):
    api, a = world["api"], world["A"]
    d = deal(api, a, 800, "proposal", "2025-03-10", created="2025-01-05")
    ok(api.patch(f"/v1/deals/{d['id']}", json={"amount": 1200, "stage": "closed_won", "close_date": "2025-03-05"},
                 headers={"If-Match": f'"{d["version"]}"'}))
    # the creation happened on 2025-01-05, the win on 2025-03-05 (backdated history)
    psql(database, f"UPDATE deal_history SET at = CASE version WHEN 1 THEN '2025-01-05T10:00:00Z'"
                   f" ELSE '2025-03-05T10:00:00Z' END::timestamptz WHERE deal_id = {d['id']}")
    before = perf(api, f"person:{a['id']}", as_of="2025-03-01")
    after = perf(api, f"person:{a['id']}", as_of="2025-03-06")
    # on 2025-03-01 it was open at 800; on 2025-03-06 won at 1200
    base = perf(api, f"person:{a['id']}", as_of="2025-03-01", explain="true")
    mine = [x for x in base["explain"]["open_pipeline"] if x["deal_id"] == d["id"]]
    assert [(x["amount"], x["stage"], x["status"]) for x in mine] == [(800, "proposal", "open")]
    assert r2(D(str(after["achieved"])) - D(str(before["achieved"]))) == 1200
    assert r2(D(str(before["open_pipeline"])) - D(str(after["open_pipeline"]))) == 800
    # On 2025-03-01 no deal had passed through proposal and closed: the pipeline adds nothing.
    # By 2025-03-06 this one had (and was won): proposal's rate is 100 %, and the 5,000 still
    # open at proposal counts in full.
    assert before["projections"]["pipeline"] == before["achieved"]
    assert after["projections"]["pipeline"] == r2(D(str(after["achieved"])) + 5000)
    # before the deals existed there is nothing
    empty = perf(api, f"person:{a['id']}", as_of="2024-06-30")
    assert (empty["achieved"], empty["open_pipeline"], empty["won_count"], empty["elapsed_days"]) == (0, 0, 0, 0)


def test_explain_lists_the_deals_and_credits(world):
    body = perf(world["api"], f"person:{world['A']['id']}", explain="true")
    dd = world["deals"]
    got = {(x["deal_id"], x["credit"], x["percent"]) for x in body["explain"]["achieved"]}
    assert got == {(dd["won"]["id"], 3000, 100), (dd["split"]["id"], 33.33, 33.33)}
    assert {x["deal_id"] for x in body["explain"]["open_pipeline"]} == {dd["open"]["id"], dd["later"]["id"]}
    assert body["explain"]["truncated"] is False
    assert sum(D(str(x["credit"])) for x in body["explain"]["achieved"]) == D(str(body["achieved"]))
    team = perf(world["api"], f"team:{world['T']['id']}", explain="true")
    split = [x for x in team["explain"]["achieved"] if x["deal_id"] == dd["split"]["id"]]
    assert sorted(x["credit"] for x in split) == [33.33, 33.33, 33.35]


def test_deal_count_metric_counts_shares(world):
    body = perf(world["api"], f"person:{world['A']['id']}", metric="deal_count")
    assert (body["metric"], body["achieved"], body["open_pipeline"], body["quota"]) == ("deal_count", 1.33, 2, None)
    assert body["won_amount"] == 3033.33


def test_ramped_quota_is_what_attainment_is_measured_against(world):
    api = world["api"]
    p = mk_person(api, world["T"]["id"], hired_on="2025-01-01", ramp_months=3)
    q = mk_quota(api, person(p), PERIOD, 9000)
    body = perf(api, f"person:{p['id']}")
    assert body["quota"] == 9000 and body["effective_quota"] == q["effective_amount"] < 9000
    deal(api, p, 1500, "closed_won", "2025-01-30")
    body = perf(api, f"person:{p['id']}")
    assert body["attainment_pct"] == r2(D(1500) / D(str(q["effective_amount"])) * 100)


def test_a_settings_change_is_seen_by_the_next_read(world):
    """A person's read runs on the settings this process last saw for the org, checked in the same
    round trip: a new fiscal year start or ramp curve shows in the very next read."""
    api = world["api"]
    p = mk_person(api, world["T"]["id"], hired_on="2025-01-01", ramp_months=2)
    mk_quota(api, person(p), PERIOD, 9000)
    scope = f"person:{p['id']}"
    first = perf(api, scope)
    assert first["period"]["start"] == "2025-01-01"
    ok(api.patch("/v1/org", json={"ramp_curve": [10, 20]}))
    ramped = perf(api, scope)
    assert ramped["effective_quota"] != first["effective_quota"]
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 4}))
    moved = ok(api.get("/v1/performance", params={"scope": scope, "period": PERIOD, "as_of": AS_OF}))
    want = ok(api.get(f"/v1/periods/{PERIOD}"))
    assert (moved["period"]["start"], moved["period"]["end"]) == (want["start"], want["end"])
    assert moved["period"]["start"] != "2025-01-01"
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    assert perf(api, scope)["period"]["start"] == "2025-01-01"


def test_role_matrix(world):
    who = world["as"]
    a, z, c = world["A"], world["Z"], world["C"]
    ok(who["rep_a"].get("/v1/performance", params={"scope": f"person:{a['id']}", "period": PERIOD}))
    for api, scope, status in [
        (who["rep_a"], f"person:{z['id']}", 403),
        (who["rep_a"], f"team:{world['T']['id']}", 403),
        (who["rep_a"], "org", 403),
        (who["manager"], f"person:{z['id']}", 403),
        (who["manager"], f"team:{world['X']['id']}", 403),
        (who["manager"], "org", 403),
        (who["rep_z"], f"person:{a['id']}", 403),
        (who["admin"], "person:999999999", 404),
        (who["admin"], "team:999999999", 404),
    ]:
        problem(api.get("/v1/performance", params={"scope": scope, "period": PERIOD}), status)
    for scope in [f"person:{c['id']}", f"team:{world['U']['id']}", f"team:{world['T']['id']}"]:
        ok(who["manager"].get("/v1/performance", params={"scope": scope, "period": PERIOD}))
    ok(who["exec"].get("/v1/performance", params={"scope": "org", "period": PERIOD}))


def test_bad_queries_name_the_field(world):
    api = world["api"]
    for params, field in [({"period": PERIOD}, "scope"), ({"scope": "x:1", "period": PERIOD}, "scope"),
                          ({"scope": "org"}, "period"), ({"scope": "org", "period": "2025-13"}, "period"),
                          ({"scope": "org", "period": PERIOD, "as_of": "2025-02-30"}, "as_of"),
                          ({"scope": "org", "period": PERIOD, "metric": "profit"}, "metric"),
                          ({"scope": "org", "period": PERIOD, "explain": "maybe"}, "explain"),
                          ({"scope": "org", "period": PERIOD, "team": "1"}, "team")]:
        problem(api.get("/v1/performance", params=params), 400, field)


def test_csv_is_one_flat_row(world):
    r = world["api"].get("/v1/performance", params={"scope": f"person:{world['A']['id']}", "period": PERIOD,
                                                    "as_of": AS_OF}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["scope.type"] == "person" and row["period.id"] == PERIOD
    assert float(row["achieved"]) == 3033.33 and float(row["by_type.renewal.open_pipeline"]) == 6000
    assert float(row["projections.linear"]) == 6066.66
    assert "explain" not in "".join(row)


def test_credit_function_matches_the_view(world, database):
    """deal_credit_rows (per deal, 0007) and deal_credits (every deal, 0002) are the same rule."""
    org = world["org"]
    diff = psql(database, f"""
        SELECT count(*) FROM (
          (SELECT d.id, c.person_id, c.percent, c.credit FROM deals d,
             deal_credit_rows(d.amount, d.owner_id, d.split_person_ids, d.split_percents) c
           WHERE d.org_id = '{org}'
           EXCEPT SELECT deal_id, person_id, percent, credit FROM deal_credits WHERE org_id = '{org}')
          UNION ALL
          (SELECT deal_id, person_id, percent, credit FROM deal_credits WHERE org_id = '{org}'
           EXCEPT SELECT d.id, c.person_id, c.percent, c.credit FROM deals d,
             deal_credit_rows(d.amount, d.owner_id, d.split_person_ids, d.split_percents) c
           WHERE d.org_id = '{org}')) x""")
    assert diff == "0"
    n = psql(database, f"SELECT count(*) FROM deals WHERE org_id = '{org}' AND split_person_ids <> '{{}}'")
    assert int(n) >= 1


# -- leaderboard and distribution -----------------------------------------------------------------

def board(api, path="/v1/performance/leaderboard", status=200, **q):
    return ok(api.get(path, params={"period": PERIOD, "as_of": AS_OF, **q}), status)


def test_leaderboard_ranks_pages_and_levels(world):
    api, t = world["api"], world["T"]
    ids = {world[k]["id"]: k for k in "MABC"}
    by_achieved = board(api, team=t["id"], sort="achieved")
    assert by_achieved["total"] == 4 and by_achieved["level"] == "people"
    assert [(ids[x["person"]["id"]], x["achieved"], x["rank"]) for x in by_achieved["items"]] == \
        [("A", 3033.33, 1), ("B", 283.83, 2), ("M", 33.35, 3), ("C", 0, 4)]
    # the same figures as /v1/performance for each person: the board reads the kept sums (0013), a
    # person's read sums their deals' credited rows itself
    for row in by_achieved["items"]:
        single = perf(api, f"person:{row['person']['id']}")
        for k in ("quota", "attainment_pct", "gap", "pace_pct", "open_pipeline", "coverage", "win_rate_count_pct",
                  "win_rate_value_pct", "avg_deal_size", "avg_cycle_days", "median_cycle_days", "velocity",
                  "achieved", "won_count", "lost_count", "won_amount", "lost_amount", "renewal_rate_pct",
                  "expansion_share_pct", "pipeline_needed", "effective_quota"):
            assert row[k] == single[k], (ids[row["person"]["id"]], k)
    # attainment: only A has a quota; the rest (null) follow in id order, all ranked 2
    by_att = board(api, team=t["id"])
    assert by_att["sort"] == "attainment_pct" and by_att["order"] == "desc"
    assert [x["rank"] for x in by_att["items"]] == [1, 2, 2, 2]
    rest = [x["person"]["id"] for x in by_att["items"][1:]]
    assert rest == sorted(rest, key=int)
    # pages of 2
    p1 = board(api, team=t["id"], sort="achieved", limit=2)
    assert [ids[x["person"]["id"]] for x in p1["items"]] == ["A", "B"] and p1["next_cursor"]
    p2 = board(api, team=t["id"], sort="achieved", limit=2, cursor=p1["next_cursor"])
    assert [ids[x["person"]["id"]] for x in p2["items"]] == ["M", "C"] and p2["next_cursor"] is None
    asc = board(api, team=t["id"], sort="achieved", order="asc")
    assert [ids[x["person"]["id"]] for x in asc["items"]] == ["C", "M", "B", "A"]
    # child teams: T has U; the org has its root teams T and X
    teams = board(api, team=t["id"], level="teams", sort="open_pipeline")
    assert [(x["team"]["id"], x["open_pipeline"]) for x in teams["items"]] == [(world["U"]["id"], 400)]
    roots = board(api, level="teams", sort="achieved")
    assert [(x["team"]["id"], x["achieved"]) for x in roots["items"]] == \
        [(t["id"], r2(D(3000) + D("100.01") + D("250.5"))), (world["X"]["id"], 999)]
    csv_r = api.get("/v1/performance/leaderboard", params={"team": t["id"], "period": PERIOD, "as_of": AS_OF},
                    headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(csv_r.text)))
    assert len(rows) == 4 and "person.name" in rows[0] and "attainment_pct" in rows[0]


def test_leaderboard_and_distribution_refusals(world):
    who = world["as"]
    problem(who["rep_a"].get("/v1/performance/leaderboard", params={"team": world["T"]["id"], "period": PERIOD}), 403)
    problem(who["manager"].get("/v1/performance/leaderboard", params={"period": PERIOD}), 403)
    problem(who["manager"].get("/v1/performance/distribution", params={"team": world["X"]["id"],
                                                                        "period": PERIOD}), 403)
    problem(who["admin"].get("/v1/performance/leaderboard", params={"team": 999999999, "period": PERIOD}), 404)
    for params, field in [({"period": PERIOD, "sort": "luck"}, "sort"), ({"period": PERIOD, "level": "x"}, "level"),
                          ({"period": PERIOD, "limit": 0}, "limit"), ({"period": PERIOD, "cursor": "zz"}, "cursor"),
                          ({}, "period")]:
        problem(who["admin"].get("/v1/performance/leaderboard", params=params), 400, field)
    ok(who["manager"].get("/v1/performance/leaderboard", params={"team": world["T"]["id"], "period": PERIOD}))


def test_distribution_of_attainment(world):
    api, t = world["api"], world["T"]
    mk_quota(api, person(world["B"]), PERIOD, 200)     # 283.83 / 200 = 141.92 %
    mk_quota(api, person(world["M"]), PERIOD, 33.35)   # exactly 100 %
    mk_quota(api, person(world["C"]), PERIOD, 1000)    # 0 %
    d = board(api, "/v1/performance/distribution", team=t["id"])
    assert d["people"] == 4 and d["people_without_quota"] == 0
    assert d["buckets"] == {"below_50": 2, "50_to_80": 0, "80_to_100": 0, "100_to_120": 1, "120_and_above": 1}
    assert d["at_or_above_quota"] == 2 and d["at_or_above_quota_pct"] == 50
    # sorted: 0, 30.33, 100, 141.92 -> p25 at h = 0.75, median at 1.5, p75 at 2.25
    assert d["median"] == r2((D("30.33") + 100) / 2)
    assert d["p25"] == r2(D("30.33") * D("0.75"))
    assert d["p75"] == r2(100 + (D("141.92") - 100) * D("0.25"))


# -- trend and scorecard -------------------------------------------------------------------------

def test_trend_by_month_and_quarter(world):
    api, a = world["api"], world["A"]
    mk_quota(api, person(a), "2025-01", 2000)
    body = ok(api.get("/v1/performance/trend", params={"scope": f"person:{a['id']}", "from": "2024-12-10",
                                                       "to": "2025-03-31"}))
    assert body["grain"] == "month" and body["scope"] == {"type": "person", "id": a["id"]}
    pts = {p["period"]["id"]: p for p in body["points"]}
    assert list(pts) == ["2024-12", "2025-01", "2025-02", "2025-03"]
    # as of today every deal has closed: "later" (1,000) counts in February
    assert [pts[k]["achieved"] for k in pts] == [700, 3000, r2(D("33.33") + 1000), 0]
    assert pts["2025-01"]["quota"] == 2000 and pts["2025-01"]["attainment_pct"] == 150
    assert pts["2025-02"]["quota"] is None and pts["2025-02"]["attainment_pct"] is None
    assert pts["2025-02"]["won_count"] == 1.33
    q = ok(api.get("/v1/performance/trend", params={"scope": f"team:{world['T']['id']}", "from": "2025-01-01",
                                                    "to": "2025-06-30", "grain": "quarter"}))
    assert [(p["period"]["id"], p["achieved"]) for p in q["points"]] == \
        [("FY2025-Q1", r2(D(3000) + D("100.01") + D("250.5") + D(1000) + D(400))), ("FY2025-Q2", 0)]
    assert q["points"][0]["quota"] == 10000
    rows = list(csv.DictReader(io.StringIO(api.get(
        "/v1/performance/trend", params={"scope": "org", "from": "2025-01-01", "to": "2025-03-31"},
        headers={"Accept": "text/csv"}).text)))
    assert [r["period.id"] for r in rows] == ["2025-01", "2025-02", "2025-03"]
    for params, field in [({"scope": "org", "to": "2025-01-01"}, "from"),
                          ({"scope": "org", "from": "2025-02-01", "to": "2025-01-01"}, "to"),
                          ({"scope": "org", "from": "2000-01-01", "to": "2025-01-01"}, "to"),
                          ({"scope": "org", "from": "2025-01-01", "to": "2025-02-01", "grain": "week"}, "grain")]:
        problem(api.get("/v1/performance/trend", params=params), 400, field)
    problem(world["as"]["rep_a"].get("/v1/performance/trend", params={"scope": "org", "from": "2025-01-01",
                                                                        "to": "2025-02-01"}), 403)


def test_scorecard_beside_the_team(world):
    api, a, b, m = world["api"], world["A"], world["B"], world["M"]
    mk_quota(api, person(b), PERIOD, 200)   # 283.83 / 200 = 141.92 % (as of today)
    mk_quota(api, person(m), PERIOD, 100)   # 33.35 %
    body = ok(world["as"]["rep_a"].get("/v1/performance/scorecard", params={
        "person": a["id"], "from": "2024-10-01", "to": "2025-03-31"}))
    assert body["grain"] == "quarter" and body["person_id"] == a["id"]
    q4, q1 = body["points"]
    assert q4["period"]["id"] == "FY2024-Q4" and q4["person"]["achieved"] == 700
    assert q4["team"]["rank"] is None and q4["team"]["people_with_quota"] == 0
    # FY2025-Q1 as of today: A 4033.33 / 10000 = 40.33 %, B 141.92 %, M 33.35 %
    assert q1["person"]["achieved"] == 4033.33 and q1["person"]["attainment_pct"] == 40.33
    assert q1["team"] == {"id": world["T"]["id"], "people_with_quota": 3, "median_attainment_pct": 40.33,
                          "rank": 2}
    problem(world["as"]["rep_z"].get("/v1/performance/scorecard", params={
        "person": a["id"], "from": "2025-01-01", "to": "2025-03-31"}), 403)
    problem(api.get("/v1/performance/scorecard", params={"from": "2025-01-01", "to": "2025-03-31"}), 400, "person")


def test_stage_outcomes_equal_a_recount_from_history(world, database):
    """stage_outcomes (0008), kept by a trigger on deal_history, always equals a recount from the
    history: after creates, a reopening (won -> open), a stage walk, a close-date move, a delete and
    a bulk upsert that changes some deals and adds others."""
    api, a, org = world["api"], world["A"], world["org"]
    d = world["deals"]
    ok(api.patch(f"/v1/deals/{d['won']['id']}", json={"stage": "negotiation"},
                 headers={"If-Match": f'"{d["won"]["version"]}"'}))
    walk = deal(api, a, 640, "prospecting", "2025-03-28")
    v = walk["version"]
    for stage in ("qualification", "proposal", "closed_lost"):
        v = ok(api.patch(f"/v1/deals/{walk['id']}", json={"stage": stage}, headers={"If-Match": f'"{v}"'}))["version"]
    ok(api.patch(f"/v1/deals/{d['lost']['id']}", json={"close_date": "2025-03-02"},
                 headers={"If-Match": f'"{d["lost"]["version"]}"'}))
    ok(api.delete(f"/v1/deals/{d['later']['id']}", headers={"If-Match": f'"{d["later"]["version"]}"'}), 204)
    items = [{"external_id": f"so-{i}", "name": f"so {i}", "owner_id": a["id"], "amount": 10 + i,
              "stage": ["proposal", "closed_won", "closed_lost"][i % 3], "close_date": "2025-02-0%d" % (1 + i % 9),
              "created_on": "2025-01-02", "segment": "b2b"} for i in range(30)]
    ok(api.post("/v1/deals/bulk", json=items))
    for it in items[:15]:
        it["stage"] = "closed_won"
    ok(api.post("/v1/deals/bulk", json=items))
    recount = f"""
        SELECT l.org_id, p.stage_to, l.close_date_to, count(*) FILTER (WHERE l.status = 'won'), count(*)
        FROM (SELECT DISTINCT ON (deal_id) org_id, deal_id, status, close_date_to FROM deal_history
              WHERE org_id = '{org}' ORDER BY deal_id, version DESC) l
        JOIN (SELECT DISTINCT org_id, deal_id, stage_to FROM deal_history WHERE org_id = '{org}') p
          ON p.deal_id = l.deal_id
        WHERE l.status IN ('won', 'lost') GROUP BY 1, 2, 3"""
    kept = f"SELECT org_id, stage, day, won, closed FROM stage_outcomes WHERE org_id = '{org}' AND closed <> 0"
    assert psql(database, f"SELECT count(*) FROM (({recount}) EXCEPT ({kept})) x") == "0"
    assert psql(database, f"SELECT count(*) FROM (({kept}) EXCEPT ({recount})) x") == "0"
    assert int(psql(database, f"SELECT count(*) FROM ({kept}) k")) > 5
    # its months (0015) are always the sums of its days
    days = f"""SELECT org_id, stage, date_trunc('month', day)::date, sum(won), sum(closed) FROM stage_outcomes
               WHERE org_id = '{org}' GROUP BY 1, 2, 3 HAVING sum(won) <> 0 OR sum(closed) <> 0"""
    months = f"""SELECT org_id, stage, month, won, closed FROM stage_outcome_months
                 WHERE org_id = '{org}' AND (won <> 0 OR closed <> 0)"""
    assert psql(database, f"SELECT count(*) FROM (({days}) EXCEPT ({months})) x") == "0"
    assert psql(database, f"SELECT count(*) FROM (({months}) EXCEPT ({days})) x") == "0"
    assert int(psql(database, f"SELECT count(*) FROM ({months}) m")) > 2
