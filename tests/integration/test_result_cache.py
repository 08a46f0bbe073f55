"""The result cache of the costly performance reads (issue 10 "Speed and scale"; internal/cache,
migration 0017_data_versions): an answer is kept under the org's data version, which every
committed write of the org's data raises, so a read after a write is never an answer from before
it: after each kind of write the session's attaind (cache on) answers what an attaind without a
cache answers, and another attaind on the same database sees a write made through this one."""

import uuid

import pytest

from conftest import psql
from contract import ok
from quota_support import mk_person, mk_quota, mk_team, person, team, uid
from test_ops import metric, scrape

PERIOD = "FY2025-Q1"

# Tables with an org_id that need no version trigger, each with why. Every other table with an
# org_id must raise the version on INSERT, UPDATE and DELETE (TRUNCATE: not covered, see 0017).
EXEMPT = {
    "perf_rollup": "kept by 0013's triggers on deals, people and teams, in the same statement",
    "perf_cycles": "kept by 0013's triggers on deals, people and teams, in the same statement",
    "perf_closed_days": "kept by 0013's triggers on deals, people and teams, in the same statement",
    "perf_people": "kept by 0013's triggers on deals, people and teams, in the same statement",
    "perf_people_cycles": "kept by 0013's triggers on deals, people and teams, in the same statement",
    "perf_marks": "kept by 0013's trigger on deals, in the same statement",
    "stage_outcome_months": "kept by 0015's trigger on stage_outcomes, in the same statement",
    "org_data_versions": "the versions themselves",
    "quota_history": "the audit trail: written with quotas, read only by the quota history",
    "idempotency_keys": "not read by the performance reads",
    "leads": "not read by the performance reads",
    "lead_scoring_models": "not read by the performance reads",
    "lead_training_jobs": "not read by the performance reads",
    "forecast_submissions": "not read by the performance reads",
    "forecast_adjustments": "not read by the performance reads",
    "forecast_snapshots": "not read by the performance reads",
}

# pg_trigger.tgtype bits
ROW, INSERT, DELETE, UPDATE = 1, 4, 8, 16


def test_every_org_table_raises_the_version(server, database):
    tables = psql(database, "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped"
                            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY 1").split()
    assert "deals" in tables and "quotas" in tables
    rows = psql(database, "SELECT c.relname, t.tgtype FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                          " JOIN pg_proc p ON p.oid = t.tgfoid WHERE NOT t.tgisinternal"
                          " AND p.proname = 'org_data_changed'").splitlines()
    events = {}
    for line in rows:
        name, tgtype = line.split("|")
        assert not int(tgtype) & ROW, name  # statement-level
        events[name] = events.get(name, 0) | int(tgtype)
    missing = {}
    for t in tables:
        if t in EXEMPT:
            continue
        have = events.get(t, 0)
        lacking = [n for n, bit in (("INSERT", INSERT), ("UPDATE", UPDATE), ("DELETE", DELETE)) if not have & bit]
        if lacking:
            missing[t] = lacking
    assert not missing, f"tables without the version trigger (add it, or exempt them with a reason): {missing}"
    # the exemptions are tables that exist
    assert set(EXEMPT) <= set(tables), set(EXEMPT) - set(tables)


@pytest.fixture(scope="module")
def cold(start_attaind):
    """An attaind on the same database without a result cache: every read computed."""
    return start_attaind(env={"ATTAIN_RESULT_CACHE_MB": "0"})


@pytest.fixture(scope="module")
def warm2(start_attaind):
    """Another attaind with a cache on the same database (a replica behind a load balancer)."""
    return start_attaind()


def reads(tree):
    """Every cached read of the tree's org: path -> params."""
    a1 = tree["a1"]
    return [
        ("/v1/performance", {"scope": "org", "period": PERIOD}),
        ("/v1/performance", {"scope": f"team:{tree['R']['id']}", "period": PERIOD}),
        ("/v1/performance", {"scope": f"team:{tree['A']['id']}", "period": PERIOD, "metric": "deal_count"}),
        ("/v1/performance/leaderboard", {"period": PERIOD}),
        ("/v1/performance/leaderboard", {"period": PERIOD, "limit": 2, "sort": "achieved"}),
        ("/v1/performance/leaderboard", {"period": PERIOD, "level": "teams"}),
        ("/v1/performance/leaderboard", {"period": PERIOD, "team": tree["R"]["id"], "sort": "median_cycle_days"}),
        ("/v1/performance/distribution", {"period": PERIOD}),
        ("/v1/performance/trend", {"scope": "org", "from": "2025-01-01", "to": "2025-03-31", "grain": "month"}),
        ("/v1/performance/trend", {"scope": f"team:{tree['A']['id']}", "from": "2025-01-01", "to": "2025-06-30"}),
        ("/v1/performance/scorecard", {"person": a1["id"], "from": "2025-01-01", "to": "2025-06-30"}),
        # a person's read is not kept whole, but the org's stage rates it projects with are (by version)
        ("/v1/performance", {"scope": f"person:{tree['b1']['id']}", "period": PERIOD}),
        ("/v1/performance", {"scope": f"person:{a1['id']}", "period": PERIOD, "metric": "deal_count"}),
        # the forecast roll-up's raw layer (the deals alone), kept; its calls are read every time
        ("/v1/forecasts", {"scope": f"team:{tree['R']['id']}", "period": PERIOD}),
        ("/v1/forecasts", {"scope": "org", "period": PERIOD}),
        # pages of deals, kept whole
        ("/v1/deals", {"team_id": tree["R"]["id"], "limit": 3}),
        ("/v1/deals", {"team_id": tree["A"]["id"], "close_from": "2025-01-01", "close_to": "2025-03-31"}),
        ("/v1/deals", {"owner_id": a1["id"], "status": "won"}),
    ]


def answers(api, tree):
    out = []
    for path, params in reads(tree):
        r = api.get(path, params=params)
        out.append((path, params, ok(r), r.text, r.headers.get("X-Next-Cursor")))
    return out


def cache_counts(srv):
    samples, _ = scrape(srv.api())
    return (metric(samples, "attain_result_cache_hits_total"), metric(samples, "attain_result_cache_misses_total"))


@pytest.fixture
def tree(scratch_admin, cold, warm2, tokens):
    """Root R with child A (reps a1, a2) and A's child A1 (rep b1); team X apart (rep x1); quotas;
    the same admin on the session's attaind (api), on one without a cache (cold) and on another
    with one (warm2)."""
    api = scratch_admin
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    org = ok(api.get("/v1/org"))["id"]
    token = tokens.token(org, ["admin"], sub="admin-" + org)
    r = mk_team(api, "R " + uid())
    a = mk_team(api, "A " + uid(), parent_id=r["id"])
    a1 = mk_team(api, "A1 " + uid(), parent_id=a["id"])
    x = mk_team(api, "X " + uid())
    people = {"a1": mk_person(api, a["id"], hired_on="2020-01-01"),
              "a2": mk_person(api, a["id"], hired_on="2020-01-01"),
              "b1": mk_person(api, a1["id"], hired_on="2020-01-01"),
              "x1": mk_person(api, x["id"], hired_on="2020-01-01")}
    for p in people.values():
        mk_quota(api, person(p), PERIOD, 3000)
    return {"api": api, "org": org, "cold": cold.api(token), "warm2": warm2.api(token), "warm2_srv": warm2,
            "R": r, "A": a, "A1": a1, "X": x, **people}


def deal(api, owner, amount, stage, close, created="2025-01-02", splits=None, **extra):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": stage,
            "close_date": close, "created_on": created, "segment": "b2b", **extra}
    if splits:
        body["splits"] = [{"person_id": p["id"], "percent": pct} for p, pct in splits]
    return ok(api.post("/v1/deals", json=body), 201)


def patch(api, d, **fields):
    return ok(api.patch(f"/v1/deals/{d['id']}", json=fields, headers={"If-Match": f'"{d["version"]}"'}))


def test_a_read_after_each_kind_of_write_is_the_new_answer(tree, server, database):
    api, cold = tree["api"], tree["cold"]
    a1, a2, b1, x1 = tree["a1"], tree["a2"], tree["b1"], tree["x1"]
    won = deal(api, a1, 1000, "closed_won", "2025-01-20")
    split = deal(api, a1, 100.01, "closed_won", "2025-02-10", type="upsell",
                 splits=[(a1, 33.33), (b1, 33.33), (x1, 33.34)])
    opn = deal(api, b1, 700, "proposal", "2025-03-20")
    team_q = mk_quota(api, team(tree["R"]), PERIOD, 20000)

    before = answers(api, tree)
    hits0, _ = cache_counts(server)
    again = answers(api, tree)
    hits1, _ = cache_counts(server)
    assert again == before
    assert hits1 - hits0 >= len(before), "the second round of reads is answered from the cache"
    assert answers(cold, tree) == before

    def check(what):
        nonlocal before
        now = answers(api, tree)
        assert now == answers(cold, tree), what
        assert now != before, f"{what}: the write changes some answer"
        before = now

    deal(api, a2, 500, "closed_won", "2025-02-01")
    check("deal created")
    won = patch(api, won, amount=1234.56)
    check("amount changed")
    won = patch(api, won, owner_id=x1["id"])
    check("re-owned")
    won = patch(api, won, stage="proposal")
    check("won -> open (stage reversal)")
    won = patch(api, won, stage="closed_won", close_date="2025-03-02")
    check("won again, close date moved")
    split = patch(api, split, splits=[{"person_id": a2["id"], "percent": 60}, {"person_id": b1["id"], "percent": 40}])
    check("split changed")
    ok(api.delete(f"/v1/deals/{opn['id']}", headers={"If-Match": f'"{opn["version"]}"'}), 204)
    check("deal deleted")
    items = [{"external_id": f"crm-{i}", "name": f"bulk {i}", "owner_id": [a1, a2, b1, x1][i % 4]["id"],
              "amount": 100 + i, "stage": ["closed_won", "closed_lost", "proposal"][i % 3],
              "close_date": f"2025-0{1 + i % 3}-1{i % 10}", "created_on": "2024-12-01"} for i in range(12)]
    ok(api.post("/v1/deals/bulk", json=items))
    check("bulk created")
    for it in items:
        it["amount"] += 7
    ok(api.post("/v1/deals/bulk", json=items))
    check("bulk updated")
    ok(api.patch(f"/v1/people/{b1['id']}", json={"team_id": tree["X"]["id"]}))
    check("person re-teamed")
    ok(api.patch(f"/v1/teams/{tree['A']['id']}", json={"parent_id": tree["X"]["id"]}))
    check("team re-parented")
    mk_quota(api, team(tree["A"]), PERIOD, 9000)
    check("quota created")
    q = ok(api.get("/v1/quotas", params={"assignee": f"person:{a1['id']}", "period": PERIOD}))["items"][0]
    ok(api.patch(f"/v1/quotas/{q['id']}", json={"amount": 4500}, headers={"If-Match": f'"{q["version"]}"'}))
    check("quota changed")
    ok(api.post(f"/v1/quotas/{team_q['id']}/split", json={"grain": "month", "method": "percentages",
                                                          "percentages": [20, 30, 50]}), 201)
    check("quota split")
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 2}))
    check("settings changed")
    # a write outside attaind (psql): the triggers raise the version all the same
    psql(database, f"UPDATE deals SET amount = amount + 1 WHERE org_id = '{tree['org']}' AND status = 'won'")
    check("deals updated by SQL")


def test_a_persons_projection_uses_the_stage_rates_of_now(tree):
    """A person's read takes the org's stage rates kept at the data version it last saw when its
    batch reads that version again: the first read after a deal closes must not project the open
    pipeline with the rates from before."""
    api, cold, b1, x1 = tree["api"], tree["cold"], tree["b1"], tree["x1"]
    deal(api, b1, 700, "proposal", "2025-03-20")
    q = {"scope": f"person:{b1['id']}", "period": PERIOD}
    first = ok(api.get("/v1/performance", params=q))
    assert ok(api.get("/v1/performance", params=q)) == first == ok(cold.get("/v1/performance", params=q))
    for stage in ("closed_won", "closed_lost"):
        z = deal(api, x1, 300, "proposal", "2025-03-10")
        patch(api, z, stage=stage)  # a deal that passed through proposal closes: proposal's rate moves
        now = ok(api.get("/v1/performance", params=q))
        assert now == ok(cold.get("/v1/performance", params=q)), stage
        assert now["projections"] != first["projections"], stage
        first = now


def test_another_attaind_sees_a_write_made_through_this_one(tree):
    api, warm2, cold = tree["api"], tree["warm2"], tree["cold"]
    deal(api, tree["a1"], 1000, "closed_won", "2025-01-20")
    q = {"period": PERIOD}
    first = ok(warm2.get("/v1/performance/leaderboard", params=q))
    hits0, _ = cache_counts(tree["warm2_srv"])
    assert ok(warm2.get("/v1/performance/leaderboard", params=q)) == first
    assert cache_counts(tree["warm2_srv"])[0] == hits0 + 1
    deal(api, tree["a1"], 250, "closed_won", "2025-01-21")  # through the session's attaind
    after = ok(warm2.get("/v1/performance/leaderboard", params=q))
    assert after != first
    assert after == ok(cold.get("/v1/performance/leaderboard", params=q))
    top = {i["person"]["id"]: i for i in after["items"]}[tree["a1"]["id"]]
    assert top["achieved"] == 1250


def test_an_answer_is_kept_per_visibility_and_access_is_checked_first(tree, client, tokens):
    """A manager of A may read A's board but not R's, before and after R's board is kept; a rep
    reads their own scorecard, never another's, though an admin's read of it is kept."""
    api, org = tree["api"], tree["org"]
    deal(api, tree["a1"], 1000, "closed_won", "2025-01-20")
    ok(api.patch(f"/v1/teams/{tree['A']['id']}", json={"manager_id": tree["a2"]["id"]}))
    mgr = client(tokens.token(org, ["manager"], person_id=tree["a2"]["id"]))
    rep = client(tokens.token(org, ["rep"], person_id=tree["b1"]["id"]))
    for _ in range(2):
        ok(api.get("/v1/performance/leaderboard", params={"period": PERIOD, "team": tree["R"]["id"]}))
        ok(api.get("/v1/performance", params={"scope": f"team:{tree['R']['id']}", "period": PERIOD}))
        ok(api.get("/v1/performance/scorecard", params={"person": tree["a1"]["id"], "from": "2025-01-01",
                                                        "to": "2025-03-31"}))
    assert mgr.get("/v1/performance/leaderboard", params={"period": PERIOD, "team": tree["R"]["id"]}).status_code == 403
    assert mgr.get("/v1/performance", params={"scope": f"team:{tree['R']['id']}", "period": PERIOD}).status_code == 403
    assert mgr.get("/v1/performance/leaderboard", params={"period": PERIOD}).status_code == 403
    mine = ok(mgr.get("/v1/performance/leaderboard", params={"period": PERIOD, "team": tree["A"]["id"]}))
    assert mine == ok(api.get("/v1/performance/leaderboard", params={"period": PERIOD, "team": tree["A"]["id"]}))
    sc = {"from": "2025-01-01", "to": "2025-03-31"}
    assert rep.get("/v1/performance/scorecard", params={"person": tree["a1"]["id"], **sc}).status_code == 403
    ok(rep.get("/v1/performance/scorecard", params={"person": tree["b1"]["id"], **sc}))


def test_a_forecast_call_shows_at_once_over_a_kept_roll_up(tree, client, tokens):
    """The roll-up's raw layer is kept by the version of the deals' data; the calls (submissions,
    adjustments) are read every time, so a new call shows in the next read."""
    api, cold, org, a1 = tree["api"], tree["cold"], tree["org"], tree["a1"]
    deal(api, a1, 800, "proposal", "2025-03-15")
    q = {"scope": f"person:{a1['id']}", "period": PERIOD}
    first = ok(api.get("/v1/forecasts", params=q))
    assert ok(api.get("/v1/forecasts", params=q)) == first and first["calls"]["owner"] is None
    rep = client(tokens.token(org, ["rep"], person_id=a1["id"]))
    ok(rep.post("/v1/forecasts/submissions", json={"scope": f"person:{a1['id']}", "period": PERIOD,
                                                   "commit": 700, "best_case": 800}), 201)
    now = ok(api.get("/v1/forecasts", params=q))
    assert now["calls"]["owner"]["commit"] == 700
    assert now == ok(cold.get("/v1/forecasts", params=q))


def test_a_page_of_deals_is_kept_per_visibility(tree, client, tokens, cold):
    """A manager's page of deals is what their scope holds, before and after an admin's page with
    the same filters is kept, and the same as an attaind without a cache gives them."""
    api, org = tree["api"], tree["org"]
    deal(api, tree["a1"], 1000, "closed_won", "2025-01-20")
    deal(api, tree["x1"], 400, "closed_won", "2025-01-22")
    ok(api.patch(f"/v1/teams/{tree['A']['id']}", json={"manager_id": tree["a2"]["id"]}))
    token = tokens.token(org, ["manager"], person_id=tree["a2"]["id"])
    mgr, mgr_cold = client(token), cold.api(token)
    q = {"status": "won"}
    everyone = ok(api.get("/v1/deals", params=q))
    assert ok(api.get("/v1/deals", params=q)) == everyone
    mine = ok(mgr.get("/v1/deals", params=q))
    assert ok(mgr.get("/v1/deals", params=q)) == mine == ok(mgr_cold.get("/v1/deals", params=q))
    assert {d["owner_id"] for d in everyone["items"]} > {d["owner_id"] for d in mine["items"]}
    assert tree["x1"]["id"] not in {d["owner_id"] for d in mine["items"]}


def test_metrics_show_the_cache(server, anon):
    samples, types = scrape(anon)
    for name, kind in (("attain_result_cache_hits_total", "counter"), ("attain_result_cache_misses_total", "counter"),
                       ("attain_result_cache_waits_total", "counter"),
                       ("attain_result_cache_entries", "gauge"), ("attain_result_cache_bytes", "gauge")):
        assert types.get(name) == kind, name
        assert any(n == name for n, _, _ in samples), name


def test_csv_is_answered_from_a_kept_answer(tree):
    api = tree["api"]
    deal(api, tree["a1"], 1000, "closed_won", "2025-01-20")
    q = {"period": PERIOD}
    ok(api.get("/v1/performance/leaderboard", params=q))
    r = api.get("/v1/performance/leaderboard", params=q, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv"), r.text
    lines = r.text.strip().splitlines()
    assert "attainment_pct" in lines[0] and len(lines) == 1 + 4
    assert r.headers.get("X-Next-Cursor") is None


def test_a_disabled_cache_keeps_nothing(cold, tokens):
    org = "it-scratch-" + uuid.uuid4().hex[:12]
    api = cold.api(tokens.token(org, ["admin"], sub="admin-" + org))
    for _ in range(2):
        ok(api.get("/v1/performance/leaderboard", params={"period": PERIOD}))
    samples, _ = scrape(cold.api())
    assert metric(samples, "attain_result_cache_hits_total") == 0
    assert metric(samples, "attain_result_cache_entries") == 0


@pytest.mark.parametrize("value", ["-1", "65537", "lots"])
def test_a_bad_cache_size_stops_the_start(run_attaind, value):
    p = run_attaind(env={"ATTAIN_RESULT_CACHE_MB": value})
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "ATTAIN_RESULT_CACHE_MB" in lines[0], p.stderr


def test_help_names_the_cache_size(run_attaind):
    p = run_attaind(args=("--help",))
    assert p.returncode == 0
    assert "ATTAIN_RESULT_CACHE_MB" in p.stdout and "default: 64" in p.stdout.split("ATTAIN_RESULT_CACHE_MB", 1)[1]
