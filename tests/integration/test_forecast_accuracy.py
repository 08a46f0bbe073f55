"""GET /v1/forecasts/accuracy and GET /v1/forecasts?bias_adjusted=true: calls made at known moments
of closed quarters against what closed (the org of test_performance.py, its `world` fixture).

Submissions and adjustments are made through the API, then moved back to a known instant of
FY2025-Q1 with psql (triggers off for that one session: the tables are append-only), as
test_performance.py moves deal history back. Expected figures are recomputed here with fractions.

Q1 actuals (split credit, everything closed): A 3,000 + 33.33 + 1,000 = 4,033.33; B 33.33 + 250.50
= 283.83; M 33.35; C 400; team T (subtree) 4,750.51. FY2025-Q2: nothing. Week 4 of FY2025-Q1 ends
on 2025-01-28.
"""

import csv
import io
from fractions import Fraction

import pytest

from conftest import psql
from contract import ok, problem
from test_leads_stateless import logged_attaind  # noqa: F401 (a fixture)
from test_performance import PERIOD, D, r2, world  # noqa: F401 (world is a fixture)

Q2 = "FY2025-Q2"
A_ACT, B_ACT = D("4033.33"), D("283.83")


def backdate(database, org, table, row_id, when):
    column = "submitted_at" if table == "forecast_submissions" else "made_at"
    psql(database, f"SET session_replication_role = replica; UPDATE {table} SET {column} = '{when}'"
                   f" WHERE org_id = '{org}' AND id = {row_id}")


def submit(database, org, api, scope, commit, when, period=PERIOD):
    s = ok(api.post("/v1/forecasts/submissions", json={
        "scope": scope, "period": period, "commit": commit, "best_case": commit}), 201)
    backdate(database, org, "forecast_submissions", s["id"], when)
    return s["id"]


@pytest.fixture
def called(world, database, client, tokens):
    """A calls 4,000 in week 2, M cuts it to 3,000 in week 3, A calls 4,500 in week 6; B calls 300 in
    week 4; C calls 500 in week 7; M calls team T at 5,000 in week 1. M never calls for themself."""
    org, who = world["org"], dict(world["as"])
    who["rep_b"] = client(tokens.token(org, ["rep"], person_id=world["B"]["id"]))
    who["rep_c"] = client(tokens.token(org, ["rep"], person_id=world["C"]["id"]))
    who["service"] = client(tokens.token(org, ["service"], sub="crm-sync"))
    a, b, c = (f"person:{world[k]['id']}" for k in "ABC")
    ids = {"a1": submit(database, org, who["rep_a"], a, 4000, "2025-01-10T12:00:00Z"),
           "a2": submit(database, org, who["rep_a"], a, 4500, "2025-02-10T12:00:00Z"),
           "b": submit(database, org, who["rep_b"], b, 300, "2025-01-25T12:00:00Z"),
           "c": submit(database, org, who["rep_c"], c, 500, "2025-02-15T12:00:00Z"),
           "t": submit(database, org, who["manager"], f"team:{world['T']['id']}", 5000, "2025-01-05T12:00:00Z")}
    adj = ok(who["manager"].put("/v1/forecasts/adjustments", json={
        "scope": a, "period": PERIOD, "commit": 3000, "best_case": 3000}))
    backdate(database, org, "forecast_adjustments", adj["id"], "2025-01-20T12:00:00Z")
    ids["adj"] = adj["id"]
    return {**world, "as": who, "ids": ids}


def accuracy(api, scope, **q):
    return ok(api.get("/v1/forecasts/accuracy", params={"scope": scope, "from": PERIOD, "to": Q2, **q}))


def pct(num, den):
    return r2(Fraction(num) / Fraction(den) * 100)


def test_error_ape_wape_and_bias_per_person_and_rolled_up(called):
    w = called
    body = accuracy(w["as"]["manager"], f"team:{w['T']['id']}")
    assert (body["at"], body["grain"], body["from"], body["to"]) == ("week:4", "quarter", PERIOD, Q2)
    assert [(p["id"], p["at"], p["weeks"]) for p in body["periods"]] == \
        [(PERIOD, "2025-01-28", 13), (Q2, "2025-04-28", 13)]
    assert body["open_periods"] == []
    rows = {(r["key"], r["period"]): r for r in body["rows"]}
    key = {k: f"person:{w[k]['id']}" for k in "ABCM"}
    # A: the manager sees their own cut (3,000, made in week 3) above A's 4,000
    ra = rows[(key["A"], PERIOD)]
    assert (ra["actual"], ra["call"], ra["call_source"], ra["call_id"]) == (4033.33, 3000, "adjustment",
                                                                          w["ids"]["adj"])
    assert ra["error"] == -1033.33 and ra["ape_pct"] == pct(D("1033.33"), A_ACT)
    rb = rows[(key["B"], PERIOD)]
    assert (rb["call"], rb["call_source"], rb["error"], rb["ape_pct"]) == (300, "owner", 16.17,
                                                                          pct(D("16.17"), B_ACT))
    # C calls in week 7, M never: missing, not an error of zero
    for k in "CM":
        r = rows[(key[k], PERIOD)]
        assert (r["call"], r["error"], r["ape_pct"], r["call_source"]) == (None, None, None, None)
    assert rows[(key["C"], PERIOD)]["actual"] == 400 and rows[(key["M"], PERIOD)]["actual"] == 33.35
    # Q2: nothing closed, nobody called
    q2 = rows[(key["A"], Q2)]
    assert (q2["actual"], q2["call"], q2["ape_pct"], q2["raw_ape_pct"]) == (0, None, None, None)
    # the raw commit is the roll-up's commit forecast standing on the at day
    raw = ok(w["as"]["manager"].get("/v1/forecasts", params={"scope": key["A"], "period": PERIOD,
                                                             "as_of": "2025-01-28"}))
    assert ra["raw_commit"] == raw["commit_forecast"]
    assert ra["raw_error"] == r2(D(str(raw["commit_forecast"])) - A_ACT)

    people = {p["key"]: p["accuracy"] for p in body["people"]}
    assert set(people) == set(key.values())
    a = people[key["A"]]
    assert (a["periods"], a["called"], a["missing"], a["actual"], a["call"], a["error"]) == \
        (2, 1, 1, 4033.33, 3000, -1033.33)
    assert a["wape_pct"] == pct(D("1033.33"), A_ACT) and a["bias"] == 1033.33
    # positive bias: more closed than was called (sandbagging)
    assert a["bias_pct"] == pct(D("1033.33"), 3000) and a["bias_pct"] > 0
    assert people[key["M"]] == {**people[key["M"]], "called": 0, "missing": 2, "wape_pct": None,
                                "bias_pct": None, "bias": None}

    roll = body["rollup"]
    assert (roll["periods"], roll["called"], roll["missing"]) == (8, 2, 6)
    assert (roll["actual"], roll["call"]) == (r2(A_ACT + B_ACT), 3300)
    assert roll["wape_pct"] == pct(D("1033.33") + D("16.17"), A_ACT + B_ACT)
    assert roll["mape_pct"] == r2((Fraction(D("1033.33")) / A_ACT + Fraction(D("16.17")) / B_ACT) * 50)
    assert roll["bias_pct"] == pct(A_ACT + B_ACT - 3300, 3300)
    assert roll["bias"] == r2((A_ACT + B_ACT - 3300) / 2)

    # the team's own call (M's, week 1) against the subtree's number
    teams = {t["key"]: t["accuracy"] for t in body["teams"]}
    tt = teams[f"team:{w['T']['id']}"]
    assert (tt["called"], tt["call"], tt["actual"], tt["error"]) == (1, 5000, 4750.51, 249.49)
    assert tt["bias_pct"] < 0  # over-called
    assert teams[f"team:{w['U']['id']}"]["called"] == 0


def test_accuracy_by_week_of_the_period(called):
    w = called
    weeks = {x["week"]: x for x in accuracy(w["as"]["manager"], f"team:{w['T']['id']}")["by_week"]}
    assert sorted(weeks) == list(range(1, 14))
    # week 1: nobody had called; week 2: A's 4,000; week 3: the manager's 3,000; week 4: + B;
    # week 7: + C's 500 (A's later 4,500 does not replace the manager's layer)
    assert (weeks[1]["called"], weeks[1]["missing"], weeks[1]["wape_pct"]) == (0, 8, None)
    assert (weeks[2]["called"], weeks[2]["wape_pct"]) == (1, pct(D("33.33"), A_ACT))
    assert weeks[2]["bias_pct"] == pct(D("33.33"), 4000)
    assert (weeks[3]["called"], weeks[3]["wape_pct"]) == (1, pct(D("1033.33"), A_ACT))
    assert (weeks[4]["called"], weeks[4]["wape_pct"]) == (2, pct(D("1049.50"), A_ACT + B_ACT))
    assert weeks[6]["called"] == 2
    assert (weeks[7]["called"], weeks[7]["wape_pct"]) == (3, pct(D("1149.50"), A_ACT + B_ACT + 400))
    assert weeks[13] == {**weeks[7], "week": 13}


def test_at_day_and_who_sees_which_layer(called):
    w = called
    a = f"person:{w['A']['id']}"
    # day 10: A's own call made at noon that day stands; the cut (day 20) not yet
    early = accuracy(w["as"]["exec"], a, at="day:10")
    r = [x for x in early["rows"] if x["period"] == PERIOD][0]
    assert (r["at"], r["call"], r["call_source"]) == ("2025-01-10", 4000, "owner")
    assert accuracy(w["as"]["exec"], a, at="day:9")["rows"][0]["call"] is None
    # the rep does not see the manager's layer: their own 4,000 at week 4
    mine = accuracy(w["as"]["rep_a"], a)
    r = [x for x in mine["rows"] if x["period"] == PERIOD][0]
    assert (r["call"], r["call_source"], r["error"]) == (4000, "owner", -33.33)
    assert [p["key"] for p in mine["people"]] == [a] and mine["teams"] == []
    # execs, admins and services see it
    for role in ("exec", "admin", "service"):
        r = [x for x in accuracy(w["as"][role], a)["rows"] if x["period"] == PERIOD][0]
        assert (r["call"], r["call_source"]) == (3000, "adjustment")
    # the org: every team and person; Z never called
    assert accuracy(w["as"]["service"], "org")["rollup"]["called"] == 2
    org = accuracy(w["as"]["exec"], "org")
    assert org["scope"] == {"type": "org", "id": None}
    keys = {p["key"] for p in org["people"]}
    assert f"person:{w['Z']['id']}" in keys and len(keys) == 5
    assert {t["key"] for t in org["teams"]} == {f"team:{w[k]['id']}" for k in "TUX"}
    assert org["rollup"]["called"] == 2


def test_roles_bad_parameters_open_periods_and_csv(called):
    w = called
    who = w["as"]
    t = f"team:{w['T']['id']}"
    problem(who["rep_a"].get("/v1/forecasts/accuracy", params={"scope": t, "from": PERIOD, "to": Q2}), 403)
    problem(who["rep_z"].get("/v1/forecasts/accuracy", params={"scope": f"person:{w['A']['id']}", "from": PERIOD,
                                                                "to": Q2}), 403)
    problem(who["manager"].get("/v1/forecasts/accuracy", params={"scope": "org", "from": PERIOD, "to": Q2}), 403)
    problem(who["manager"].get("/v1/forecasts/accuracy", params={"scope": f"team:{w['X']['id']}", "from": PERIOD,
                                                                 "to": Q2}), 403)
    problem(who["admin"].get("/v1/forecasts/accuracy", params={"scope": "team:999999999", "from": PERIOD,
                                                               "to": Q2}), 404)
    base = {"scope": t, "from": PERIOD, "to": Q2}
    for change, field in [({"scope": None}, "scope"), ({"from": None}, "from"), ({"to": None}, "to"),
                          ({"from": "2025-13"}, "from"), ({"to": "FY2025-Q5"}, "to"),
                          ({"to": "FY2024-Q4"}, "to"), ({"to": "2025-05"}, "to"),
                          ({"from": "2020-01", "to": "2022-12"}, "to"),
                          ({"at": "week:0"}, "at"), ({"at": "week:54"}, "at"), ({"at": "day:367"}, "at"),
                          ({"at": "month:2"}, "at"), ({"at": "week:x"}, "at"), ({"color": "red"}, "color")]:
        params = {k: v for k, v in {**base, **change}.items() if v is not None}
        problem(who["admin"].get("/v1/forecasts/accuracy", params=params), 400, field)
    # periods not closed yet are named and left out
    future = ok(who["admin"].get("/v1/forecasts/accuracy", params={"scope": t, "from": "FY2040-Q1",
                                                                   "to": "FY2040-Q2"}))
    assert future["open_periods"] == ["FY2040-Q1", "FY2040-Q2"] and future["periods"] == []
    assert future["rows"] == [] and future["rollup"]["wape_pct"] is None
    # CSV: one flat row per person or team and period
    r = who["manager"].get("/v1/forecasts/accuracy", params=base, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == 12  # (M, A, B, C, T, U) x 2 quarters
    mine = [x for x in rows if x["key"] == f"person:{w['A']['id']}" and x["period"] == PERIOD][0]
    assert (float(mine["call"]), mine["call_source"], float(mine["error"])) == (3000, "adjustment", -1033.33)
    assert float(mine["ape_pct"]) == pct(D("1033.33"), A_ACT)


def test_bias_adjusted_call(called, database):
    w = called
    who, org = w["as"], w["org"]
    a, b = f"person:{w['A']['id']}", f"person:{w['B']['id']}"
    # a second measured quarter for A: 1,000 called in week 2 of Q2, nothing closed
    submit(database, org, who["rep_a"], a, 1000, "2025-04-08T12:00:00Z", period=Q2)
    # the current calls, for FY2025-Q3 (measured: the four quarters before it)
    ok(who["rep_a"].post("/v1/forecasts/submissions", json={"scope": a, "period": "FY2025-Q3", "commit": 2000,
                                                             "best_case": 2500}), 201)
    ok(who["rep_b"].post("/v1/forecasts/submissions", json={"scope": b, "period": "FY2025-Q3", "commit": 100,
                                                             "best_case": 100}), 201)
    params = {"scope": f"team:{w['T']['id']}", "period": "FY2025-Q3"}
    plain = ok(who["manager"].get("/v1/forecasts", params=params))
    assert all("bias_adjusted" not in c["calls"] for c in plain["children"])
    body = ok(who["manager"].get("/v1/forecasts", params={**params, "bias_adjusted": "true"}))
    kids = {c["key"]: c["calls"] for c in body["children"]}
    ba = kids[a]["bias_adjusted"]
    # measured over Q1 (the manager's 3,000 vs 4,033.33) and Q2 (1,000 vs 0): x 4,033.33 / 4,000
    assert ba["periods"] == ["FY2024-Q3", "FY2024-Q4", PERIOD, Q2] and ba["at"] == "week:4"
    assert (ba["called"], ba["bias_pct"], ba["note"]) == (2, pct(A_ACT - 4000, 4000), None)
    assert ba["commit"] == r2(Fraction(2000) * A_ACT / 4000) == 2016.67
    # the other layers are untouched
    assert kids[a]["owner"]["commit"] == 2000 and kids[a]["final"]["commit"] == 2000
    # B was measured once: too few, nothing applied
    bb = kids[b]["bias_adjusted"]
    assert (bb["called"], bb["commit"], bb["bias_pct"]) == (1, None, None) and bb["note"]
    # the team's own call was measured once too
    assert body["calls"]["bias_adjusted"]["commit"] is None
    assert body["calls"]["bias_adjusted"]["called"] == 1
    problem(who["manager"].get("/v1/forecasts", params={**params, "bias_adjusted": "maybe"}), 400, "bias_adjusted")


def test_bias_adjusted_child_team_over_called(called, database):
    """Team U (C's 400 in Q1, nothing in Q2), called by the manager above: 500 in Q1, 100 in Q2."""
    w = called
    who, org, u = w["as"], w["org"], f"team:{w['U']['id']}"
    for period, commit, when in ((PERIOD, 500, "2025-01-15T12:00:00Z"), (Q2, 100, "2025-04-05T12:00:00Z")):
        a = ok(who["manager"].put("/v1/forecasts/adjustments", json={"scope": u, "period": period,
                                                                     "commit": commit, "best_case": commit}))
        backdate(database, org, "forecast_adjustments", a["id"], when)
    ok(who["manager"].put("/v1/forecasts/adjustments", json={"scope": u, "period": "FY2025-Q3", "commit": 300,
                                                             "best_case": 300}))
    body = ok(who["manager"].get("/v1/forecasts", params={"scope": f"team:{w['T']['id']}", "period": "FY2025-Q3",
                                                          "bias_adjusted": "true"}))
    ba = {c["key"]: c["calls"] for c in body["children"]}[u]["bias_adjusted"]
    # over-calling: 400 closed of 600 called; 300 x 400 / 600
    assert (ba["called"], ba["bias_pct"], ba["commit"]) == (2, pct(400 - 600, 600), 200)
    assert ba["bias_pct"] < 0


# -- the roll-up reads the calls of all its children in one statement ------------------------------

def test_rollup_reads_every_childs_calls_in_one_statement(logged_attaind, tokens):
    """Before, each child cost a query for its submission and one for its adjustment (N+1): the
    statement log of an attaind of its own says how many reached PostgreSQL for one roll-up."""
    import os
    import uuid

    from quota_support import mk_person, mk_team
    from test_leads_stateless import statements

    srv, log = logged_attaind
    org = "it-fc-n1-" + uuid.uuid4().hex[:10]
    admin = srv.api(tokens.token(org, ["admin"], sub="admin-" + org))
    ok(admin.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    t = mk_team(admin)
    m = mk_person(admin, t["id"])
    ok(admin.patch(f"/v1/teams/{t['id']}", json={"manager_id": m["id"]}))
    kids = [mk_person(admin, t["id"]) for _ in range(6)]
    below = mk_team(admin, parent_id=t["id"])
    manager = srv.api(tokens.token(org, ["manager"], person_id=m["id"]))
    for k, commit in ((kids[0], 10), (kids[3], 30)):
        rep = srv.api(tokens.token(org, ["rep"], person_id=k["id"]))
        ok(rep.post("/v1/forecasts/submissions", json={"scope": f"person:{k['id']}", "period": PERIOD,
                                                        "commit": commit, "best_case": commit}), 201)
    cut = ok(manager.put("/v1/forecasts/adjustments", json={"scope": f"person:{kids[3]['id']}", "period": PERIOD,
                                                             "commit": 25, "best_case": 30}))
    ok(manager.put("/v1/forecasts/adjustments", json={"scope": f"team:{below['id']}", "period": PERIOD,
                                                       "commit": 7, "best_case": 7}))
    start = os.path.getsize(log)
    body = ok(manager.get("/v1/forecasts", params={"scope": f"team:{t['id']}", "period": PERIOD}))
    end = os.path.getsize(log)
    with open(log, "rb") as f:
        f.seek(start)
        sent = statements(f.read(end - start).decode("utf-8", "replace"))
    reads = [s for s in sent if "forecast_submissions" in s or "forecast_adjustments" in s]
    assert len(reads) == 1, reads
    # and each child has its layers as before
    kids_calls = {c["key"]: c["calls"] for c in body["children"]}
    assert len(kids_calls) == 8  # M, six members, the team below
    assert kids_calls[f"person:{kids[0]['id']}"]["owner"]["commit"] == 10
    assert kids_calls[f"person:{kids[0]['id']}"]["final"]["source"] == "owner"
    k3 = kids_calls[f"person:{kids[3]['id']}"]
    assert (k3["owner"]["commit"], k3["final"]["source"], k3["final"]["adjustment_id"]) == (30, "adjustment", cut["id"])
    assert kids_calls[f"team:{below['id']}"]["final"]["commit"] == 7
    assert kids_calls[f"person:{kids[1]['id']}"]["owner"] is None
    assert kids_calls[f"person:{kids[1]['id']}"]["final"] is None
    assert body["calls"]["owner"] is None and body["calls"]["final"] is None
