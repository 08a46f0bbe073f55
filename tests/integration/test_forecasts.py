"""GET /v1/forecasts: the roll-up by forecast category of a person, a team (with its members and
child teams) and the org, as of a day, to the cent; risk signals; roles; CSV. Built on the org of
test_performance.py (its `world` fixture)."""

import csv
import io

from contract import ok, problem
from test_performance import AS_OF, PERIOD, D, deal, r2, world  # noqa: F401 (world is a fixture)


def rollup(api, scope, **q):
    return ok(api.get("/v1/forecasts", params={"scope": scope, "period": PERIOD, "as_of": AS_OF, **q}))


def cats(node):
    return {k: v["amount"] for k, v in node["categories"].items()}


def test_team_rollup_by_category_with_children(world):
    api, t = world["api"], world["T"]
    body = rollup(api, f"team:{t['id']}")
    assert body["key"] == f"team:{t['id']}" and body["name"] == t["name"]
    # On AS_OF: won 3,000 + 100.01 (split, all three holders in T) + 250.50 -> closed; "later" (won
    # on 02-20) and C's (won on 03-01) are still open and their category is closed -> commit; the
    # 5,000 at proposal -> best_case; the lost 2,000 -> omitted.
    assert cats(body) == {"closed": 3350.51, "commit": 1400, "best_case": 5000, "pipeline": 0, "omitted": 2000}
    assert body["categories"]["closed"]["count"] == 3
    assert (body["commit_forecast"], body["best_case_forecast"], body["open_pipeline"]) == (4750.51, 9750.51, 6400)
    # weighted: commit at probability 100, proposal at 60
    assert body["weighted_pipeline"] == 1400 + 3000
    assert (body["quota"], body["gap"], body["commit_gap"]) == (10000, 6649.49, 5249.49)
    # no deal is past its close date on AS_OF; none has a stage change in history by then (every
    # history row here was written after AS_OF), so all three open deals count as stale
    assert body["risk"] == {"pushed_twice": 0, "past_close_date": 0, "no_stage_change_30d": 3}
    kids = {c["key"]: c for c in body["children"]}
    ids = {f"person:{world[k]['id']}": k for k in "MAB"} | {f"team:{world['U']['id']}": "U"}
    assert set(kids) == set(ids)
    by = {ids[k]: cats(v) for k, v in kids.items()}
    assert by["A"] == {"closed": 3033.33, "commit": 1000, "best_case": 5000, "pipeline": 0, "omitted": 2000}
    assert by["B"]["closed"] == 283.83 and by["M"]["closed"] == 33.35
    assert by["U"] == {"closed": 0, "commit": 400, "best_case": 0, "pipeline": 0, "omitted": 0}
    assert r2(sum(D(str(v["closed"])) for v in by.values())) == 3350.51
    assert kids[f"person:{world['A']['id']}"]["quota"] == 10000
    assert kids[f"team:{world['U']['id']}"]["quota"] is None


def test_org_person_and_after_the_quarter(world):
    api = world["api"]
    org = rollup(api, "org")
    assert org["key"] == "org" and org["name"] is None
    assert cats(org)["closed"] == r2(D("3350.51") + 999)
    assert {c["key"] for c in org["children"]} == {f"team:{world['T']['id']}", f"team:{world['X']['id']}"}
    a = rollup(api, f"person:{world['A']['id']}")
    assert a["children"] == [] and cats(a)["closed"] == 3033.33
    done = rollup(api, f"team:{world['T']['id']}", as_of="2025-04-15")
    # everything that closed in the quarter has closed; the 5,000 at proposal is past its close date
    assert cats(done) == {"closed": 4750.51, "commit": 0, "best_case": 5000, "pipeline": 0, "omitted": 2000}
    assert done["risk"]["past_close_date"] == 1


def test_pushes_count_as_a_risk(world):
    api, a = world["api"], world["A"]
    d = deal(api, a, 300, "qualification", "2025-03-01")
    v = d["version"]
    for close in ("2025-03-10", "2025-03-20"):
        v = ok(api.patch(f"/v1/deals/{d['id']}", json={"close_date": close}, headers={"If-Match": f'"{v}"'}))["version"]
    body = ok(api.get("/v1/forecasts", params={"scope": f"person:{a['id']}", "period": PERIOD}))
    assert body["risk"]["pushed_twice"] == 1
    assert body["categories"]["pipeline"]["amount"] == 300


def test_roles_bad_queries_and_csv(world):
    who = world["as"]
    ok(who["rep_a"].get("/v1/forecasts", params={"scope": f"person:{world['A']['id']}", "period": PERIOD}))
    problem(who["rep_a"].get("/v1/forecasts", params={"scope": f"team:{world['T']['id']}", "period": PERIOD}), 403)
    problem(who["manager"].get("/v1/forecasts", params={"scope": "org", "period": PERIOD}), 403)
    problem(who["admin"].get("/v1/forecasts", params={"scope": "team:999999999", "period": PERIOD}), 404)
    problem(who["admin"].get("/v1/forecasts", params={"period": PERIOD}), 400, "scope")
    problem(who["admin"].get("/v1/forecasts", params={"scope": "org"}), 400, "period")
    problem(who["admin"].get("/v1/forecasts", params={"scope": "org", "period": PERIOD, "metric": "x"}), 400,
            "metric")
    r = who["manager"].get("/v1/forecasts", params={"scope": f"team:{world['T']['id']}", "period": PERIOD,
                                                    "as_of": AS_OF}, headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["key"] for x in rows][0] == f"team:{world['T']['id']}" and len(rows) == 5
    assert float(rows[0]["categories.closed.amount"]) == 3350.51 and "risk.pushed_twice" in rows[0]


# -- submissions: the owner layer ---------------------------------------------------------------

def test_owners_submit_calls_and_the_rollup_shows_them(world, client, tokens):
    who, t, a = world["as"], world["T"], world["A"]
    # a rep calls their own number; the manager of T calls the team's
    mine = ok(who["rep_a"].post("/v1/forecasts/submissions", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 4000, "best_case": 6500.5,
        "notes": "two in legal"}), 201)
    assert (mine["commit"], mine["best_case"], mine["notes"]) == (4000, 6500.5, "two in legal")
    assert mine["scope"] == {"type": "person", "id": a["id"]} and mine["period"] == PERIOD
    team = ok(who["manager"].post("/v1/forecasts/submissions", json={
        "scope": f"team:{t['id']}", "period": PERIOD, "commit": 5000, "best_case": 9000}), 201)
    # a later call replaces the earlier as the owner's call; both are kept
    later = ok(who["rep_a"].post("/v1/forecasts/submissions", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 4200, "best_case": 6500}), 201)
    body = ok(who["manager"].get("/v1/forecasts", params={"scope": f"team:{t['id']}", "period": PERIOD}))
    assert body["calls"]["owner"]["submission_id"] == team["id"]
    assert body["calls"]["raw"] == {"commit": body["commit_forecast"], "best_case": body["best_case_forecast"]}
    kids = {c["key"]: c for c in body["children"]}
    assert kids[f"person:{a['id']}"]["calls"]["owner"]["commit"] == 4200
    assert kids[f"person:{world['B']['id']}"]["calls"]["owner"] is None
    # as of a day before the calls were made, there was no call
    old = ok(who["manager"].get("/v1/forecasts", params={"scope": f"team:{t['id']}", "period": PERIOD,
                                                         "as_of": AS_OF}))
    assert old["calls"]["owner"] is None
    listed = ok(who["rep_a"].get("/v1/forecasts/submissions", params={"scope": f"person:{a['id']}"}))
    assert [x["id"] for x in listed["items"]] == [later["id"], mine["id"]]
    page = ok(who["rep_a"].get("/v1/forecasts/submissions", params={"scope": f"person:{a['id']}", "limit": 1}))
    assert [x["id"] for x in page["items"]] == [later["id"]] and page["next_cursor"]
    rest = ok(who["rep_a"].get("/v1/forecasts/submissions", params={"scope": f"person:{a['id']}", "limit": 1,
                                                                     "cursor": page["next_cursor"]}))
    assert [x["id"] for x in rest["items"]] == [mine["id"]]


def test_only_owners_call_and_bad_calls_write_nothing(world, database):
    from conftest import psql
    who, t, a, z = world["as"], world["T"], world["A"], world["Z"]
    before = psql(database, f"SELECT count(*) FROM forecast_submissions WHERE org_id = '{world['org']}'")
    body = {"period": PERIOD, "commit": 1, "best_case": 2}
    for api, scope, status in [(who["rep_a"], f"person:{z['id']}", 403), (who["admin"], f"person:{a['id']}", 403),
                               (who["rep_a"], f"team:{t['id']}", 403), (who["manager"], f"team:{world['U']['id']}", 403),
                               (who["manager"], "person:999999999", 404)]:
        problem(api.post("/v1/forecasts/submissions", json={"scope": scope, **body}), status)
    for extra, field in [({"best_case": 0.5}, "best_case"), ({"commit": -1}, "commit"), ({"period": "2025-13"}, "period"),
                         ({"scope": "org"}, "scope"), ({"color": "red"}, "color"), ({"notes": "x" * 2001}, "notes")]:
        problem(who["rep_a"].post("/v1/forecasts/submissions", json={"scope": f"person:{a['id']}", **body, **extra}),
                400, field)
    problem(who["rep_a"].post("/v1/forecasts/submissions", json={"scope": f"person:{a['id']}", "period": PERIOD}),
            400, "commit")
    assert psql(database, f"SELECT count(*) FROM forecast_submissions WHERE org_id = '{world['org']}'") == before
    # reading another's calls follows the figures' rule
    problem(who["rep_z"].get("/v1/forecasts/submissions", params={"scope": f"person:{a['id']}"}), 403)
    ok(who["manager"].get("/v1/forecasts/submissions", params={"scope": f"person:{a['id']}"}))


def test_a_submission_keeps_its_snapshot(world, database):
    from conftest import psql
    who, a = world["as"], world["A"]
    s = ok(who["rep_a"].post("/v1/forecasts/submissions", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 1, "best_case": 1}), 201)
    snap = psql(database, f"SELECT snapshot->'categories'->'closed'->>'amount' FROM forecast_submissions"
                          f" WHERE org_id = '{world['org']}' AND id = {s['id']}")
    now = ok(who["rep_a"].get("/v1/forecasts", params={"scope": f"person:{a['id']}", "period": PERIOD}))
    assert float(snap) == now["categories"]["closed"]["amount"]
    problem_text = psql(database, f"DO $$ BEGIN UPDATE forecast_submissions SET commit_amount = 2 WHERE org_id ="
                                  f" '{world['org']}' AND id = {s['id']}; EXCEPTION WHEN restrict_violation THEN"
                                  f" RAISE NOTICE 'kept'; END $$")
    assert psql(database, f"SELECT commit_amount FROM forecast_submissions WHERE org_id = '{world['org']}'"
                          f" AND id = {s['id']}") == "1.00"


# -- adjustments: the final layer ---------------------------------------------------------------

def test_managers_adjust_below_them_and_owners_do_not_see_it(world, database):
    from conftest import psql
    who, t, a, u = world["as"], world["T"], world["A"], world["U"]
    ok(who["rep_a"].post("/v1/forecasts/submissions", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 4000, "best_case": 6000}), 201)
    adj = ok(who["manager"].put("/v1/forecasts/adjustments", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 3500, "best_case": 5000,
        "notes": "the big one slips"}))
    assert (adj["commit"], adj["best_case"], adj["by_person"]) == (3500, 5000, world["M"]["id"])
    ok(who["manager"].put("/v1/forecasts/adjustments", json={
        "scope": f"team:{u['id']}", "period": PERIOD, "commit": 300, "best_case": 400}))
    # the manager sees the layers of each child: A's final is the adjustment, its owner layer the call
    team = ok(who["manager"].get("/v1/forecasts", params={"scope": f"team:{t['id']}", "period": PERIOD}))
    kids = {c["key"]: c["calls"] for c in team["children"]}
    mine = kids[f"person:{a['id']}"]
    assert mine["owner"]["commit"] == 4000
    assert (mine["final"]["source"], mine["final"]["commit"], mine["final"]["adjustment_id"]) == \
        ("adjustment", 3500, adj["id"])
    assert kids[f"team:{u['id']}"]["final"]["commit"] == 300 and kids[f"team:{u['id']}"]["owner"] is None
    # B has neither a call nor an adjustment
    assert kids[f"person:{world['B']['id']}"]["final"] is None
    # the rep does not see what was decided above them: their final is their own call
    own = ok(who["rep_a"].get("/v1/forecasts", params={"scope": f"person:{a['id']}", "period": PERIOD}))
    assert own["calls"]["final"] == {**own["calls"]["final"], "source": "owner", "commit": 4000}
    assert "adjustment_id" not in own["calls"]["final"]
    problem(who["rep_a"].get("/v1/forecasts/adjustments", params={"scope": f"person:{a['id']}"}), 403)
    # execs see them; the trail lists every adjustment, newest first
    ex = ok(who["exec"].get("/v1/forecasts", params={"scope": f"person:{a['id']}", "period": PERIOD}))
    assert ex["calls"]["final"]["source"] == "adjustment"
    later = ok(who["manager"].put("/v1/forecasts/adjustments", json={
        "scope": f"person:{a['id']}", "period": PERIOD, "commit": 3600, "best_case": 5000}))
    trail = ok(who["exec"].get("/v1/forecasts/adjustments", params={"scope": f"person:{a['id']}",
                                                                     "period": PERIOD}))
    assert [x["id"] for x in trail["items"]] == [later["id"], adj["id"]]
    # as of a day before any of it, there was nothing
    old = ok(who["manager"].get("/v1/forecasts", params={"scope": f"person:{a['id']}", "period": PERIOD,
                                                         "as_of": AS_OF}))
    assert old["calls"]["final"] is None and old["calls"]["owner"] is None
    # kept as made
    n = psql(database, f"SELECT count(*) FROM forecast_adjustments WHERE org_id = '{world['org']}'")
    assert n == "3"


def test_only_managers_above_adjust(world, database):
    from conftest import psql
    who, t, a = world["as"], world["T"], world["A"]
    body = {"period": PERIOD, "commit": 1, "best_case": 2}
    for api, scope, status in [(who["manager"], f"team:{t['id']}", 403),          # their own team
                               (who["manager"], f"person:{world['M']['id']}", 403),  # themself
                               (who["manager"], f"person:{world['Z']['id']}", 403),  # outside
                               (who["rep_a"], f"person:{a['id']}", 403),
                               (who["admin"], f"person:{a['id']}", 403),
                               (who["exec"], f"person:{a['id']}", 403),
                               (who["manager"], "team:999999999", 404)]:
        problem(api.put("/v1/forecasts/adjustments", json={"scope": scope, **body}), status)
    problem(who["manager"].put("/v1/forecasts/adjustments", json={"scope": f"person:{a['id']}", **body,
                                                                  "best_case": 0}), 400, "best_case")
    problem(who["manager"].put("/v1/forecasts/adjustments", json={"scope": "org", **body}), 400, "scope")
    assert psql(database, f"SELECT count(*) FROM forecast_adjustments WHERE org_id = '{world['org']}'") == "0"


# -- snapshots ---------------------------------------------------------------------------------

def test_snapshots_freeze_the_rollup(world):
    who, t, a = world["as"], world["T"], world["A"]
    snap = ok(who["manager"].post("/v1/forecasts/snapshots", json={"scope": f"team:{t['id']}", "period": PERIOD}),
              201)
    assert snap["scope"] == {"type": "team", "id": t["id"]} and snap["period"] == PERIOD
    closed = snap["rollup"]["categories"]["closed"]["amount"]
    # the pipeline moves on; the snapshot does not
    deal(world["api"], a, 777, "closed_won", "2025-02-03")
    now = ok(who["manager"].get("/v1/forecasts", params={"scope": f"team:{t['id']}", "period": PERIOD}))
    assert now["categories"]["closed"]["amount"] == r2(D(str(closed)) + 777)
    later = ok(who["manager"].post("/v1/forecasts/snapshots", json={"scope": f"team:{t['id']}", "period": PERIOD}),
               201)
    listed = ok(who["manager"].get("/v1/forecasts/snapshots", params={"scope": f"team:{t['id']}",
                                                                       "period": PERIOD}))
    assert [x["id"] for x in listed["items"]] == [later["id"], snap["id"]]
    assert listed["items"][1]["rollup"]["categories"]["closed"]["amount"] == closed
    org = ok(who["exec"].post("/v1/forecasts/snapshots", json={"scope": "org", "period": PERIOD}), 201)
    assert org["scope"] == {"type": "org", "id": None}
    assert [x["id"] for x in ok(who["exec"].get("/v1/forecasts/snapshots", params={"scope": "org"}))["items"]] \
        == [org["id"]]
    problem(who["rep_a"].post("/v1/forecasts/snapshots", json={"scope": f"team:{t['id']}", "period": PERIOD}), 403)
    problem(who["rep_a"].get("/v1/forecasts/snapshots", params={"scope": "org"}), 403)
    problem(who["manager"].post("/v1/forecasts/snapshots", json={"scope": f"team:{t['id']}"}), 400, "period")


# -- projections ---------------------------------------------------------------------------------

def test_project_any_series(world):
    api = world["api"]
    flat = ok(api.post("/v1/forecasts/projection", json={"values": [100] * 24, "frequency": 12, "horizon": 3,
                                                         "method": "ses"}))
    assert flat["method_asked"] == "ses" and [p["mean"] for p in flat["points"]] == [100, 100, 100]
    assert [p["step"] for p in flat["points"]] == [1, 2, 3]
    trend = ok(api.post("/v1/forecasts/projection", json={"values": [10 + 2 * i for i in range(20)],
                                                          "frequency": 1, "horizon": 2, "method": "holt"}))
    assert [p["mean"] for p in trend["points"]] == [50, 52]
    for p in trend["points"]:
        assert p["lo95"] <= p["lo80"] <= p["mean"] <= p["hi80"] <= p["hi95"]
    zeros = ok(api.post("/v1/forecasts/projection", json={"values": [0] * 12, "frequency": 4, "horizon": 2}))
    assert zeros["note"] and [p["mean"] for p in zeros["points"]] == [0, 0]
    auto = ok(api.post("/v1/forecasts/projection", json={"values": [5, 7, 9, 8, 11, 13, 12, 15], "frequency": 4,
                                                         "horizon": 4}))
    assert auto["method_asked"] == "auto" and len(auto["points"]) == 4
    for body, field in [({"values": [], "frequency": 12, "horizon": 1}, "values"),
                        ({"values": [1, "x"], "frequency": 12, "horizon": 1}, "values"),
                        ({"values": [1] * 10001, "frequency": 12, "horizon": 1}, "values"),
                        ({"values": [1, 2], "frequency": 7, "horizon": 1}, "frequency"),
                        ({"values": [1, 2], "frequency": 12, "horizon": 0}, "horizon"),
                        ({"values": [1, 2], "frequency": 12, "horizon": 121}, "horizon"),
                        ({"values": [1, 2], "frequency": 12, "horizon": 1, "method": "magic"}, "method"),
                        ({"values": [1, 2], "frequency": 12}, "horizon"),
                        ({"values": [1, 2], "frequency": 12, "horizon": 1, "x": 1}, "x")]:
        problem(api.post("/v1/forecasts/projection", json=body), 400, field)


def test_project_a_scopes_won_business(world):
    who, a = world["as"], world["A"]
    body = ok(who["rep_a"].get("/v1/forecasts/projection", params={"scope": f"person:{a['id']}", "grain": "month",
                                                                   "horizon": 2, "method": "naive"}))
    hist = {h["period"]: h["value"] for h in body["history"]}
    # A's won business by month, from the first month with any (December 2024: 700)
    assert body["history"][0] == {"period": "2024-12", "value": 700}
    assert hist["2025-01"] == 3000 and hist["2025-02"] == r2(D("33.33") + 1000)
    assert len(body["projection"]["points"]) == 2 and body["projection"]["points"][0]["period"]
    problem(who["rep_a"].get("/v1/forecasts/projection", params={"scope": "org"}), 403)
    from quota_support import mk_person
    idle = mk_person(world["api"], world["T"]["id"])
    problem(who["admin"].get("/v1/forecasts/projection", params={"scope": f"person:{idle['id']}"}), 422)
    problem(who["admin"].get("/v1/forecasts/projection", params={"scope": "org", "horizon": 0}), 400, "horizon")
