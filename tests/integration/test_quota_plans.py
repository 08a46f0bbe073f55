"""Planning quotas: a team's quota and its roll-up, allocation (equal, historical, weighted,
capacity), seasonal splits, suggestions and coverage — figures, validation and roles."""

from fractions import Fraction

import pytest

from contract import ok, problem
from quota_support import (MISSING, build_tree, mk_person, mk_quota, mk_team, open_deal, person, ref,
                           team, uid, won_deal)


@pytest.fixture(scope="module")
def t(admin, client, tokens, org, other_org):
    return build_tree(admin, client, tokens, org, other_org)


def managed_team(api, parent=None):
    """A team with its manager as a member; returns (team, manager)."""
    tm = mk_team(api, parent_id=parent["id"]) if parent else mk_team(api)
    mgr = mk_person(api, tm["id"])
    ok(api.patch(f"/v1/teams/{tm['id']}", json={"manager_id": mgr["id"]}))
    return tm, mgr


def amounts(result):
    return {ref(a["assignee"]): a["amount"] for a in result["allocations"]}


def team_quotas(api, tm, period):
    return ok(api.get("/v1/quotas", params={"team_id": tm["id"], "period": period, "limit": 1000}))["items"]


# -- GET /v1/teams/{team_id}/quota --------------------------------------------------------

@pytest.fixture
def rollup_org(scratch_admin):
    """
    T (manager mgr, a member of T) ─┬─ s1 (100), s2 (200, ramping from July), s3 (none)
                                    ├─ C (no quota) ── c1 (300)
                                    └─ D (1000) ── d1 (50)
    mgr carries 999 of their own. Quotas for FY2026 revenue.
    """
    api = scratch_admin
    ok(api.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))
    tm, mgr = managed_team(api)
    s1 = mk_person(api, tm["id"])
    s2 = mk_person(api, tm["id"], hired_on="2026-07-01", ramp_months=3)
    s3 = mk_person(api, tm["id"])
    c = mk_team(api, "C " + uid(), parent_id=tm["id"])
    d = mk_team(api, "D " + uid(), parent_id=tm["id"])
    c1 = mk_person(api, c["id"])
    d1 = mk_person(api, d["id"])
    q = {k: mk_quota(api, a, "FY2026", amount) for k, a, amount in
         [("mgr", person(mgr), 999), ("s1", person(s1), 100), ("s2", person(s2), 200),
          ("c1", person(c1), 300), ("D", team(d), 1000), ("d1", person(d1), 50)]}
    return {"api": api, "T": tm, "mgr": mgr, "s1": s1, "s2": s2, "s3": s3, "C": c, "D": d, "c1": c1,
            "d1": d1, "q": q}


def test_team_quota_rolls_up_its_parts(rollup_org):
    x, api = rollup_org, rollup_org["api"]
    got = ok(api.get(f"/v1/teams/{x['T']['id']}/quota", params={"period": "FY2026"}))
    assert (got["source"], got["amount"], got["quota_id"]) == ("rolled_up", 1600, None)
    assert got["parts_total"] == 1600
    assert (got["period"], got["period_start"], got["period_end"]) == ("FY2026", "2026-01-01", "2026-12-31")
    assert got["metric"] == "revenue" and got["filter"] == {"type": None, "segment": None}
    parts = [(ref(p["assignee"]), p["amount"], p["source"]) for p in got["parts"]]
    assert parts == [(ref(person(x["s1"])), 100, "explicit"), (ref(person(x["s2"])), 200, "explicit"),
                     (ref(person(x["s3"])), None, "none"), (ref(team(x["C"])), 300, "rolled_up"),
                     (ref(team(x["D"])), 1000, "explicit")]
    assert got["parts"][4]["quota_id"] == x["q"]["D"]["id"] and got["parts"][3]["quota_id"] is None
    # a child team answers for itself too
    c = ok(api.get(f"/v1/teams/{x['C']['id']}/quota", params={"period": "FY2026", "metric": "revenue"}))
    assert (c["source"], c["amount"]) == ("rolled_up", 300)
    # an explicit team quota wins over its parts
    tq = mk_quota(api, team(x["T"]), "FY2026", 2000)
    got = ok(api.get(f"/v1/teams/{x['T']['id']}/quota", params={"period": "FY2026"}))
    assert (got["source"], got["amount"], got["quota_id"], got["parts_total"]) == ("explicit", 2000, tq["id"], 1600)
    # nothing for another metric or filter
    for params in ({"period": "FY2026", "metric": "deal_count"}, {"period": "FY2026", "type": "renewal"},
                   {"period": "FY2026-Q1"}):
        none = ok(api.get(f"/v1/teams/{x['T']['id']}/quota", params=params))
        assert (none["source"], none["amount"], none["parts_total"]) == ("none", None, None)
        assert {p["source"] for p in none["parts"]} == {"none"}


def test_coverage(rollup_org):
    x, api = rollup_org, rollup_org["api"]
    path = f"/v1/teams/{x['T']['id']}/quota-coverage"
    cov = ok(api.get(path, params={"period": "FY2026"}))
    assert cov["team_quota"] is None and cov["over_assignment_pct"] is None
    assert cov["parts_total"] == 1600
    # sellers of the subtree: s1 + s2 ramped at 37.5 % over the year + c1 + d1; not the manager's overlay
    assert cov["street_quota_full"] == 650
    assert cov["street_quota"] == 100 + 75 + 300 + 50
    assert [p["id"] for p in cov["people_without_quota"]] == [x["s3"]["id"]]
    assert cov["people_without_quota"][0]["team_id"] == x["T"]["id"]
    assert [(tm["id"], tm["rolled_up"]) for tm in cov["teams_without_quota"]] == [(x["C"]["id"], 300)]
    assert len(cov["parts"]) == 5
    mk_quota(api, team(x["T"]), "FY2026", 2000)
    cov = ok(api.get(path, params={"period": "FY2026"}))
    assert cov["team_quota"] == 2000 and cov["over_assignment_pct"] == -20
    mk_quota(api, person(x["s3"]), "FY2026", 900)
    cov = ok(api.get(path, params={"period": "FY2026"}))
    assert cov["over_assignment_pct"] == 25 and cov["people_without_quota"] == []
    # a zero team quota has no ratio
    zero = mk_quota(api, team(x["T"]), "FY2026", 0, metric="deal_count")
    assert ok(api.get(path, params={"period": "FY2026", "metric": "deal_count"}))["over_assignment_pct"] is None
    assert zero["amount"] == 0


def test_team_quota_bad_input(admin, t):
    for path in (f"/v1/teams/{t['A']['id']}/quota", f"/v1/teams/{t['A']['id']}/quota-coverage"):
        problem(admin.get(path), 400, "period")
        problem(admin.get(path, params={"period": "FY2026-Q0"}), 400, "period")
        problem(admin.get(path, params={"period": "FY2026", "metric": "margin"}), 400, "metric")
        problem(admin.get(path, params={"period": "FY2026", "type": "x"}), 400, "type")
        problem(admin.get(path, params={"period": "FY2026", "segment": "x"}), 400, "segment")
        problem(admin.get(path, params={"period": "FY2026", "team_id": "1"}), 400, "team_id")
    for path in (f"/v1/teams/{MISSING}/quota", f"/v1/teams/{MISSING}/quota-coverage", "/v1/teams/x/quota"):
        problem(admin.get(path, params={"period": "FY2026"}), 404)


@pytest.mark.parametrize("path", ["quota", "quota-coverage"])
def test_team_quota_roles(t, path):
    can = {"admin": {"R", "A", "B", "A1"}, "exec": {"R", "A", "B", "A1"}, "service": {"R", "A", "B", "A1"},
           "manager": {"A", "A1"}, "manager_r": {"R", "A", "B", "A1"}, "manager2": {"B"}, "rep": set()}
    for role, teams in can.items():
        for k in ("R", "A", "B", "A1"):
            r = t["as"][role].get(f"/v1/teams/{t[k]['id']}/{path}", params={"period": "FY2026"})
            if k in teams:
                ok(r)
            else:
                problem(r, 403)
    problem(t["as"]["other_org"].get(f"/v1/teams/{t['A']['id']}/{path}", params={"period": "FY2026"}), 404)


# -- POST /v1/teams/{team_id}/quota-allocations ---------------------------------------------

@pytest.fixture
def alloc_org(scratch_admin):
    """
    T (manager mgr) ─┬─ a (hired 2026-01-01, 3-month ramp), b
                     └─ C ─ c1, c2 (hired 2026-02-15, no ramp)
    """
    api = scratch_admin
    ok(api.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))
    tm, mgr = managed_team(api)
    a = mk_person(api, tm["id"], hired_on="2026-01-01", ramp_months=3)
    b = mk_person(api, tm["id"])
    mk_person(api, tm["id"], active=False)  # an inactive member takes no part
    c = mk_team(api, "C " + uid(), parent_id=tm["id"])
    c1 = mk_person(api, c["id"])
    c2 = mk_person(api, c["id"], hired_on="2026-02-15")
    return {"api": api, "T": tm, "mgr": mgr, "a": a, "b": b, "C": c, "c1": c1, "c2": c2,
            "path": f"/v1/teams/{tm['id']}/quota-allocations"}


def test_allocate_equal_dry_run_then_written(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    A, B, C = ref(person(x["a"])), ref(person(x["b"])), ref(team(x["C"]))
    r = ok(api.post(x["path"], json={"period": "FY2026", "method": "equal", "total": 1000, "dry_run": True}))
    assert r["dry_run"] is True and r["total"] == 1000 and r["base_total"] == 1000
    assert amounts(r) == {A: 333.34, B: 333.33, C: 333.33}
    assert [a["share_pct"] for a in r["allocations"]] == [33.33, 33.33, 33.33]
    assert all(a["quota_id"] is None for a in r["allocations"])
    # a ramps over the year: (25 + 50 + 75 + 9 × 100) / 12 = 87.5 %
    assert r["allocations"][0]["explanation"] == {"method": "equal", "parts": 3, "ramp_factor_pct": 87.5}
    assert r["allocations"][1]["explanation"] == {"method": "equal", "parts": 3, "ramp_factor_pct": 100}
    assert "ramp_factor_pct" not in r["allocations"][2]["explanation"]
    assert team_quotas(api, x["T"], "FY2026") == []
    # 10 % uplift, in steps of 100: 1100 = 400 + 400 + 300
    r = ok(api.post(x["path"], json={"period": "FY2026", "method": "equal", "total": 1000, "uplift_pct": 10,
                                     "rounding": 100}), 201)
    assert r["dry_run"] is False and r["total"] == 1100 and r["uplift_pct"] == 10 and r["rounding"] == 100
    assert amounts(r) == {A: 400, B: 400, C: 300}
    written = {ref(q["assignee"]): q for q in team_quotas(api, x["T"], "FY2026")}
    assert {k: q["amount"] for k, q in written.items()} == {A: 400, B: 400, C: 300}
    assert [a["quota_id"] for a in r["allocations"]] == [written[k]["id"] for k in (A, B, C)]
    hist = ok(api.get(f"/v1/quotas/{written[A]['id']}/history"))["items"]
    assert [(h["action"], h["source"]) for h in hist] == [("created", "allocation")]
    # the same allocation again changes nothing (no new version, no audit entry) ...
    ok(api.post(x["path"], json={"period": "FY2026", "method": "equal", "total": 1000, "uplift_pct": 10,
                                 "rounding": 100}), 201)
    assert ok(api.get(f"/v1/quotas/{written[A]['id']}"))["version"] == 1
    # ... another one updates the parts in place
    r = ok(api.post(x["path"], json={"period": "FY2026", "method": "equal", "total": 3}), 201)
    assert amounts(r) == {A: 1, B: 1, C: 1}
    hist = ok(api.get(f"/v1/quotas/{written[A]['id']}/history"))["items"]
    assert [(h["action"], h["source"]) for h in hist] == [("created", "allocation"), ("changed", "allocation")]
    assert hist[1]["before"]["amount"] == 400 and hist[1]["after"]["amount"] == 1


def test_allocate_defaults_to_the_team_quota(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    problem(api.post(x["path"], json={"period": "FY2026-Q1", "method": "equal"}), 400, "total")
    mk_quota(api, team(x["T"]), "FY2026-Q1", 9000)
    r = ok(api.post(x["path"], json={"period": "FY2026-Q1", "method": "equal"}), 201)
    assert r["base_total"] == 9000 and sorted(amounts(r).values()) == [3000, 3000, 3000]
    # the team's own quota stays as it is
    tq = ok(api.get(f"/v1/teams/{x['T']['id']}/quota", params={"period": "FY2026-Q1"}))
    assert (tq["source"], tq["amount"], tq["parts_total"]) == ("explicit", 9000, 9000)


def test_allocate_weighted(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    A, B, C = ref(person(x["a"])), ref(person(x["b"])), ref(team(x["C"]))
    body = {"period": "FY2026", "method": "weighted", "total": 800, "dry_run": True}
    r = ok(api.post(x["path"], json={**body, "weights": {A: 1, B: 3, C: 4}}))
    assert amounts(r) == {A: 100, B: 300, C: 400}
    assert r["allocations"][1]["explanation"]["weight"] == 3
    assert ok(api.post(x["path"], json={**body, "weights": {A: 0.5, B: 0, C: 0.5}}))["allocations"][1]["amount"] == 0
    for weights in ({A: 1, B: 3}, {A: 1, B: 3, C: -1}, {A: 0, B: 0, C: 0}, {A: 1, B: 1, C: 1, "person:" + MISSING: 1},
                    {A: 1, B: 1, C: 1, "robot:1": 1}, {A: 1, B: 1, C: "4"}, [1, 2, 3], "x"):
        problem(api.post(x["path"], json={**body, "weights": weights}), 400, "weights")
    problem(api.post(x["path"], json={**body, "weights": None}), 400, "weights")
    problem(api.post(x["path"], json={**body, "method": "equal", "weights": {A: 1, B: 1, C: 1}}), 400, "weights")
    assert team_quotas(api, x["T"], "FY2026") == []


def test_allocate_historical(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    A, B, C = ref(person(x["a"])), ref(person(x["b"])), ref(team(x["C"]))
    won_deal(api, x["a"], 300, "2025-06-30")
    won_deal(api, x["c1"], 60, "2024-03-01")
    won_deal(api, x["c2"], 40, "2022-01-01")
    won_deal(api, x["b"], 5000, "2021-12-31")  # before the 4-year lookback
    won_deal(api, x["b"], 7000, "2026-01-01")  # in the period itself
    won_deal(api, x["mgr"], 999, "2025-01-01")  # the manager is not a part
    open_deal(api, x["b"], 9000, "2025-05-01")  # not won
    body = {"period": "FY2026", "method": "historical", "total": 1000, "dry_run": True}
    r = ok(api.post(x["path"], json=body))
    got = amounts(r)
    # weights 300 : floor (10 % of 400 / 3) : 100
    w = {A: Fraction(300), B: Fraction(400, 30), C: Fraction(100)}
    for k in w:
        assert abs(Fraction(str(got[k])) - 1000 * w[k] / sum(w.values())) < Fraction(1, 100), (k, got)
    assert sum(Fraction(str(v)) for v in got.values()) == 1000
    ex = {ref(a["assignee"]): a["explanation"] for a in r["allocations"]}
    assert ex[A]["history"] == 300 and ex[A]["floor_applied"] is False
    assert ex[B]["history"] == 0 and ex[B]["floor_applied"] is True
    assert ex[C]["history"] == 100 and ex[C]["fallback_to_equal"] is False
    assert (ex[A]["lookback_periods"], ex[A]["history_from"], ex[A]["history_to"]) == (4, "2022-01-01", "2025-12-31")
    # one period back: only a's deal counts; no floor leaves the others nothing
    r = ok(api.post(x["path"], json={**body, "lookback_periods": 1, "floor_pct": 0}))
    assert amounts(r) == {A: 1000, B: 0, C: 0}
    # a filter picks the deals: no renewals anywhere -> equal, and it says so
    r = ok(api.post(x["path"], json={**body, "filter": {"type": "renewal"}}))
    assert amounts(r) == {A: 333.34, B: 333.33, C: 333.33}
    assert r["allocations"][0]["explanation"]["fallback_to_equal"] is True
    assert r["filter"] == {"type": "renewal", "segment": None}


def test_allocate_capacity(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    A, B, C = ref(person(x["a"])), ref(person(x["b"])), ref(team(x["C"]))
    # Q1: a at (25 + 50 + 75) / 3 = 50 %, b at 100 %, C = c1 (100 %) + c2 (0, 100, 100 = 66.67 %)
    r = ok(api.post(x["path"], json={"period": "FY2026-Q1", "method": "capacity", "total": 1900}), 201)
    assert amounts(r) == {A: 300, B: 599.99, C: 1000.01}
    ex = {ref(a["assignee"]): a["explanation"] for a in r["allocations"]}
    assert ex[A] == {"method": "capacity", "ramp_factor_pct": 50}
    assert ex[C] == {"method": "capacity", "heads": 1.6667}
    # nobody hired yet: no capacity
    later = mk_team(api, parent_id=x["T"]["id"])
    mk_person(api, later["id"], hired_on="2027-01-01")
    problem(api.post(f"/v1/teams/{later['id']}/quota-allocations",
                     json={"period": "FY2026", "method": "capacity", "total": 10}), 400, "method")


def test_allocate_deal_count(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    body = {"period": "FY2026", "metric": "deal_count", "method": "equal", "total": 10, "dry_run": True}
    r = ok(api.post(x["path"], json=body))
    assert sorted(amounts(r).values()) == [3, 3, 4] and r["rounding"] == 1
    assert ok(api.post(x["path"], json={**body, "uplift_pct": 14}))["total"] == 11  # 11.4 -> 11 deals
    problem(api.post(x["path"], json={**body, "total": 10.5}), 400, "total")
    problem(api.post(x["path"], json={**body, "rounding": 0.5}), 400, "rounding")


def test_allocate_bad_input(alloc_org, scratch_admin):
    x, api = alloc_org, alloc_org["api"]
    base = {"period": "FY2026", "method": "equal", "total": 100, "dry_run": True}
    cases = [({"period": None}, "period"), ({"period": "2026-00"}, "period"), ({"method": "magic"}, "method"),
             ({"method": None}, "method"), ({"metric": "margin"}, "metric"), ({"total": -1}, "total"),
             ({"total": 1.001}, "total"), ({"total": "100"}, "total"), ({"uplift_pct": -100}, "uplift_pct"),
             ({"uplift_pct": 1000.01}, "uplift_pct"), ({"uplift_pct": 1.005}, "uplift_pct"),
             ({"rounding": 0}, "rounding"), ({"rounding": -5}, "rounding"), ({"lookback_periods": 4}, "lookback_periods"),
             ({"method": "historical", "lookback_periods": 0}, "lookback_periods"),
             ({"method": "historical", "lookback_periods": 25}, "lookback_periods"),
             ({"method": "historical", "floor_pct": 101}, "floor_pct"), ({"floor_pct": 5}, "floor_pct"),
             ({"dry_run": "yes"}, "dry_run"), ({"filter": {"type": "x"}}, "filter.type"), ({"team": "1"}, "team")]
    for patch, field in cases:
        problem(api.post(x["path"], json={**base, **patch}), 400, field)
    problem(api.post(x["path"], json={k: v for k, v in base.items() if k != "method"}), 400, "method")
    problem(api.post(x["path"], json={k: v for k, v in base.items() if k != "period"}), 400, "period")
    # the uplifted total must stay in range
    problem(api.post(x["path"], json={**base, "total": 999999999999.99, "uplift_pct": 10}), 400, "uplift_pct")
    problem(api.post(f"/v1/teams/{MISSING}/quota-allocations", json=base), 404)
    # a team with no part
    empty, _ = managed_team(api)
    problem(api.post(f"/v1/teams/{empty['id']}/quota-allocations", json=base), 409)
    assert team_quotas(api, x["T"], "FY2026") == []


def test_allocate_idempotent(alloc_org):
    x, api = alloc_org, alloc_org["api"]
    body = {"period": "FY2027", "method": "equal", "total": 90}
    key = "alloc-" + uid()
    first = api.post(x["path"], json=body, headers={"Idempotency-Key": key})
    again = api.post(x["path"], json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    hist = ok(api.get(f"/v1/quotas/{first.json()['allocations'][0]['quota_id']}/history"))["items"]
    assert len(hist) == 1


def test_allocate_roles(t):
    body = {"period": "FY2035", "method": "equal", "total": 100}
    # M manages A: A's parts are rep, rep_b (not M) and A1
    r = ok(t["as"]["manager"].post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 201)
    assert set(amounts(r)) == {ref(person(t["rep"])), ref(person(t["rep_b"])), ref(team(t["A1"]))}
    ok(t["as"]["manager"].post(f"/v1/teams/{t['A1']['id']}/quota-allocations", json=body), 201)
    # R's parts include A, which M manages, and B, which is not theirs
    problem(t["as"]["manager"].post(f"/v1/teams/{t['R']['id']}/quota-allocations", json=body), 403)
    problem(t["as"]["manager2"].post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 403)
    ok(t["as"]["manager_r"].post(f"/v1/teams/{t['R']['id']}/quota-allocations", json=body), 201)
    for role in ("exec", "service", "rep"):
        problem(t["as"][role].post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 403)
    problem(t["as"]["other_org"].post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 404)


# -- POST /v1/quotas/{quota_id}/split -------------------------------------------------------------

def test_split_year_into_months_and_quarters(scratch_admin):
    api = scratch_admin
    p = mk_person(api)
    y = mk_quota(api, person(p), "FY2026", 1200.05)
    r = ok(api.post(f"/v1/quotas/{y['id']}/split", json={"grain": "month", "method": "even"}), 201)
    assert (r["quota_id"], r["grain"], r["method"], r["fallback"], r["note"]) == (y["id"], "month", "even", False, None)
    qs = r["quotas"]
    assert [q["period"] for q in qs] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert sum(Fraction(str(q["amount"])) for q in qs) == Fraction("1200.05")
    assert qs[0]["amount"] == 100.01 and qs[11]["amount"] == 100
    assert all(q["assignee"] == person(p) and q["metric"] == "revenue" for q in qs)
    hist = ok(api.get(f"/v1/quotas/{qs[0]['id']}/history"))["items"]
    assert [(h["action"], h["source"]) for h in hist] == [("created", "split")]
    # quarters by percentages, as an array in order ...
    r = ok(api.post(f"/v1/quotas/{y['id']}/split",
                    json={"grain": "quarter", "method": "percentages", "percentages": [10, 20, 30.5, 39.5]}), 201)
    assert [(q["period"], q["amount"]) for q in r["quotas"]] == \
        [("FY2026-Q1", 120), ("FY2026-Q2", 240.01), ("FY2026-Q3", 366.02), ("FY2026-Q4", 474.02)]
    # ... or by period id; a second split updates the same quotas
    r2 = ok(api.post(f"/v1/quotas/{y['id']}/split",
                     json={"grain": "quarter", "method": "percentages",
                           "percentages": {"FY2026-Q1": 25, "FY2026-Q2": 25, "FY2026-Q3": 25, "FY2026-Q4": 25}}), 201)
    assert [q["id"] for q in r2["quotas"]] == [q["id"] for q in r["quotas"]]
    assert [q["version"] for q in r2["quotas"]] == [2, 2, 2, 2]
    assert sum(Fraction(str(q["amount"])) for q in r2["quotas"]) == Fraction("1200.05")
    # a quarter into its months; a filtered deal-count quota keeps its filter and whole deals
    q = r2["quotas"][1]
    r = ok(api.post(f"/v1/quotas/{q['id']}/split", json={"grain": "month", "method": "even"}), 201)
    assert [x["period"] for x in r["quotas"]] == ["2026-04", "2026-05", "2026-06"]
    dc = mk_quota(api, person(p), "FY2026", 10, metric="deal_count", filter={"type": "upsell"})
    r = ok(api.post(f"/v1/quotas/{dc['id']}/split", json={"grain": "quarter", "method": "even"}), 201)
    assert [x["amount"] for x in r["quotas"]] == [3, 3, 2, 2]
    assert all(x["filter"] == {"type": "upsell", "segment": None} and x["metric"] == "deal_count"
               for x in r["quotas"])


def test_split_by_last_years_shape(scratch_admin):
    api = scratch_admin
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 4}))
    tm = mk_team(api)
    p = mk_person(api, tm["id"])
    other = mk_person(api, tm["id"])
    # FY2026 runs 2025-04..2026-03; last year's FY2025 quarters: Q1 100, Q3 300 (other's, for the team)
    won_deal(api, p, 100, "2024-05-15")
    won_deal(api, other, 300, "2024-11-30")
    won_deal(api, p, 10000, "2025-05-15")  # this year: not last year's shape
    y = mk_quota(api, person(p), "FY2026", 1000)
    r = ok(api.post(f"/v1/quotas/{y['id']}/split", json={"grain": "quarter", "method": "historical"}), 201)
    assert (r["method"], r["fallback"]) == ("historical", False)
    assert [(q["period"], q["period_start"], q["amount"]) for q in r["quotas"]] == \
        [("FY2026-Q1", "2025-04-01", 1000), ("FY2026-Q2", "2025-07-01", 0), ("FY2026-Q3", "2025-10-01", 0),
         ("FY2026-Q4", "2026-01-01", 0)]
    ty = mk_quota(api, team(tm), "FY2026", 1000)
    r = ok(api.post(f"/v1/quotas/{ty['id']}/split", json={"grain": "quarter", "method": "historical"}), 201)
    assert [q["amount"] for q in r["quotas"]] == [250, 0, 750, 0]
    # without any history: even, and the answer says so
    z = mk_quota(api, person(mk_person(api, tm["id"])), "FY2026", 1000)
    r = ok(api.post(f"/v1/quotas/{z['id']}/split", json={"grain": "quarter", "method": "historical"}), 201)
    assert (r["method"], r["fallback"]) == ("even", True) and r["note"]
    assert [q["amount"] for q in r["quotas"]] == [250, 250, 250, 250]


def test_split_bad_input(scratch_admin):
    api = scratch_admin
    p = mk_person(api)
    y = mk_quota(api, person(p), "FY2026", 1000)
    q = mk_quota(api, person(p), "FY2027-Q1", 1000)
    m = mk_quota(api, person(p), "2027-05", 1000)
    path = f"/v1/quotas/{y['id']}/split"
    pct = lambda v: {"grain": "quarter", "method": "percentages", "percentages": v}  # noqa: E731
    cases = [({"grain": "month", "method": "even", "x": 1}, "x"), ({"method": "even"}, "grain"),
             ({"grain": "quarter"}, "method"), ({"grain": "year", "method": "even"}, "grain"),
             ({"grain": "week", "method": "even"}, "grain"), ({"grain": "quarter", "method": "seasonal"}, "method"),
             ({"grain": "quarter", "method": "percentages"}, "percentages"),
             ({"grain": "quarter", "method": "even", "percentages": [25, 25, 25, 25]}, "percentages"),
             (pct([25, 25, 25, 24.99]), "percentages"), (pct([25, 25, 25, 25.01]), "percentages"),
             (pct([25, 25, 50]), "percentages"), (pct([25, 25, 25, 25, 0]), "percentages"),
             (pct([25.001, 24.999, 25, 25]), "percentages"), (pct([-10, 35, 50, 25]), "percentages"),
             (pct([110, -10, 0, 0]), "percentages"), (pct(["25", 25, 25, 25]), "percentages"),
             (pct({"FY2026-Q1": 50, "FY2026-Q2": 50}), "percentages"),
             (pct({"FY2026-Q1": 25, "FY2026-Q2": 25, "FY2026-Q3": 25, "FY2026-Q4": 25, "FY2027-Q1": 0}), "percentages"),
             (pct("25,25,25,25"), "percentages")]
    for body, field in cases:
        problem(api.post(path, json=body), 400, field)
    problem(api.post(f"/v1/quotas/{q['id']}/split", json={"grain": "quarter", "method": "even"}), 400, "grain")
    problem(api.post(f"/v1/quotas/{m['id']}/split", json={"grain": "month", "method": "even"}), 400, "grain")
    problem(api.post(f"/v1/quotas/{MISSING}/split", json={"grain": "month", "method": "even"}), 404)
    assert len(ok(api.get("/v1/quotas", params={"assignee": ref(person(p))}))["items"]) == 3


def test_split_roles(t):
    admin = t["as"]["admin"]
    own = mk_quota(admin, person(t["M"]), "FY2036", 12)
    reps = mk_quota(admin, person(t["rep"]), "FY2036", 12)
    outside = mk_quota(admin, person(t["rep2"]), "FY2036", 12)
    body = {"grain": "quarter", "method": "even"}
    problem(t["as"]["manager"].post(f"/v1/quotas/{own['id']}/split", json=body), 403)
    ok(t["as"]["manager"].post(f"/v1/quotas/{reps['id']}/split", json=body), 201)
    problem(t["as"]["manager"].post(f"/v1/quotas/{outside['id']}/split", json=body), 404)
    for role in ("exec", "service", "rep"):
        problem(t["as"][role].post(f"/v1/quotas/{reps['id']}/split", json=body), 403)
    problem(t["as"]["other_org"].post(f"/v1/quotas/{reps['id']}/split", json=body), 404)


# -- GET /v1/quota-suggestions ------------------------------------------------------------------

@pytest.fixture
def suggest_org(scratch_admin):
    """A person with won business around FY2026-Q3 (calendar fiscal years) and an open deal in it."""
    api = scratch_admin
    tm = mk_team(api)
    p = mk_person(api, tm["id"])
    peer = mk_person(api, tm["id"])
    won_deal(api, p, 1000, "2025-08-10")   # FY2025-Q3: last year, and the oldest trailing quarter
    won_deal(api, p, 400, "2025-11-01")    # FY2025-Q4
    won_deal(api, p, 600, "2026-05-01")    # FY2026-Q2
    won_deal(api, p, 800, "2025-02-01")    # FY2025-Q1: a year before the trailing FY2026-Q1
    won_deal(api, p, 50, "2026-07-15", type="renewal")  # inside the period: not an input
    open_deal(api, p, 5000, "2026-08-15")  # proposal: 60 %
    open_deal(api, p, 100, "2026-10-01")   # after the period
    won_deal(api, peer, 100, "2025-08-01", splits=[{"person_id": p["id"], "percent": 50},
                                                   {"person_id": peer["id"], "percent": 50}])
    return {"api": api, "T": tm, "p": p, "peer": peer}


def test_suggestion_inputs_and_rule(suggest_org):
    x, api = suggest_org, suggest_org["api"]
    s = ok(api.get("/v1/quota-suggestions",
                   params={"assignee": ref(person(x["p"])), "period": "FY2026-Q3", "growth": "10"}))
    assert s["assignee"] == person(x["p"]) and (s["period"], s["period_start"]) == ("FY2026-Q3", "2026-07-01")
    inp = s["inputs"]
    assert inp["last_year"] == {"period": "FY2025-Q3", "period_start": "2025-07-01", "period_end": "2025-09-30",
                                "achieved": 1050}  # 1000 + half of the split deal
    assert [(p["period"], p["achieved"]) for p in inp["trailing"]["periods"]] == \
        [("FY2026-Q2", 600), ("FY2026-Q1", 0), ("FY2025-Q4", 400), ("FY2025-Q3", 1050)]
    assert inp["trailing"]["average"] == 512.5
    # 2050 against 800 a year earlier: +156.25 %, applied as +100 %
    assert inp["trailing"]["growth_pct"] == 156.25 and inp["trailing"]["applied_growth_pct"] == 100
    assert inp["seasonal_naive"] == 2100
    assert inp["open_pipeline"] == {"amount": 5000, "weighted": 3000, "deals": 1}
    assert inp["growth_pct"] == 10
    assert (s["baseline_from"], s["baseline"], s["target"]) == ("seasonal_naive", 2100, 2310)
    assert (s["recommended"], s["decided_by"]) == (3000, "open_pipeline")
    assert "max(" in s["rule"]
    s = ok(api.get("/v1/quota-suggestions",
                   params={"assignee": ref(person(x["p"])), "period": "FY2026-Q3", "growth": "50"}))
    assert (s["target"], s["recommended"], s["decided_by"]) == (3150, 3150, "growth_target")
    # the team sums its people: the split deal counts once
    s = ok(api.get("/v1/quota-suggestions", params={"assignee": ref(team(x["T"])), "period": "FY2026-Q3"}))
    assert s["inputs"]["last_year"]["achieved"] == 1100
    # a filter narrows every input
    s = ok(api.get("/v1/quota-suggestions", params={"assignee": ref(person(x["p"])), "period": "FY2026-Q3",
                                                    "type": "renewal"}))
    assert s["inputs"]["last_year"]["achieved"] == 0 and s["recommended"] == 0
    assert s["baseline_from"] == "trailing_average" and s["filter"]["type"] == "renewal"


def test_suggestion_deal_count_and_months(suggest_org):
    x, api = suggest_org, suggest_org["api"]
    s = ok(api.get("/v1/quota-suggestions", params={"assignee": ref(person(x["p"])), "period": "FY2026-Q3",
                                                    "metric": "deal_count"}))
    assert s["inputs"]["last_year"]["achieved"] == 1.5
    assert s["inputs"]["open_pipeline"] == {"amount": 1, "weighted": 0.6, "deals": 1}
    assert s["recommended"] == int(s["recommended"])
    m = ok(api.get("/v1/quota-suggestions", params={"assignee": ref(person(x["p"])), "period": "2026-08"}))
    assert m["inputs"]["last_year"]["period"] == "2025-08" and m["inputs"]["last_year"]["achieved"] == 1050
    assert [p["period"] for p in m["inputs"]["trailing"]["periods"]] == ["2026-07", "2026-06", "2026-05", "2026-04"]
    assert m["inputs"]["trailing"]["periods"][0]["achieved"] == 50
    y = ok(api.get("/v1/quota-suggestions", params={"assignee": ref(person(x["p"])), "period": "FY2027"}))
    assert y["inputs"]["last_year"]["achieved"] == 650  # FY2026: 600 + 50


def test_suggestion_bad_input(admin, t):
    rep = ref(person(t["rep"]))
    for params, field in [({"period": "FY2026"}, "assignee"), ({"assignee": rep}, "period"),
                          ({"assignee": "rep", "period": "FY2026"}, "assignee"),
                          ({"assignee": "person:" + MISSING, "period": "FY2026"}, "assignee"),
                          ({"assignee": "team:" + MISSING, "period": "FY2026"}, "assignee"),
                          ({"assignee": rep, "period": "FY2026-Q9"}, "period"),
                          ({"assignee": rep, "period": "FY2026", "growth": "abc"}, "growth"),
                          ({"assignee": rep, "period": "FY2026", "growth": "-100"}, "growth"),
                          ({"assignee": rep, "period": "FY2026", "growth": "1000.01"}, "growth"),
                          ({"assignee": rep, "period": "FY2026", "growth": "1.555"}, "growth"),
                          ({"assignee": rep, "period": "FY2026", "metric": "x"}, "metric"),
                          ({"assignee": rep, "period": "FY2026", "colour": "red"}, "colour")]:
        problem(admin.get("/v1/quota-suggestions", params=params), 400, field)
    ok(admin.get("/v1/quota-suggestions", params={"assignee": rep, "period": "FY2026", "growth": "-99.99"}))


def test_suggestion_roles(t):
    params = lambda k: {"assignee": ref(person(t[k])), "period": "FY2026"}  # noqa: E731
    for role in ("admin", "exec", "service", "manager", "manager_r"):
        ok(t["as"][role].get("/v1/quota-suggestions", params=params("rep")))
    ok(t["as"]["rep"].get("/v1/quota-suggestions", params=params("rep")))
    ok(t["as"]["manager"].get("/v1/quota-suggestions", params={"assignee": ref(team(t["A"])), "period": "FY2026"}))
    problem(t["as"]["rep"].get("/v1/quota-suggestions", params=params("rep_b")), 403)
    problem(t["as"]["manager2"].get("/v1/quota-suggestions", params=params("rep")), 403)
    problem(t["as"]["manager"].get("/v1/quota-suggestions", params={"assignee": ref(team(t["R"])),
                                                                     "period": "FY2026"}), 403)
    problem(t["as"]["other_org"].get("/v1/quota-suggestions", params=params("rep")), 400, "assignee")
