"""Idempotency-Key (DESIGN §5): a retry by the same caller to the same route and query returns
the first response and writes nothing new; a stored answer is never replayed to another caller."""

import pytest

from conftest import psql
from contract import ok, problem
from quota_support import mk_person, mk_team, uid


@pytest.fixture(scope="module")
def t(admin, client, tokens, org):
    """Team A (rep) and team B (rep2)."""
    a = mk_team(admin)
    b = mk_team(admin)
    rep = mk_person(admin, a["id"])
    rep2 = mk_person(admin, b["id"])
    return {"rep": rep, "rep2": rep2,
            "rep_api": client(tokens.token(org, ["rep"], person_id=rep["id"])),
            "rep2_api": client(tokens.token(org, ["rep"], person_id=rep2["id"]))}


@pytest.fixture(scope="module")
def db(database):
    return lambda sql: psql(database, sql)


def deal_count(db, org):
    return int(db(f"SELECT count(*) FROM deals WHERE org_id = '{org}'"))


def deal_body(owner):
    return {"name": "deal " + uid(), "owner_id": owner["id"], "amount": 100,
            "stage": "prospecting", "close_date": "2027-03-31"}


def test_another_callers_key_is_not_replayed(admin, t, db, org):
    key = "k-" + uid()
    body = deal_body(t["rep2"])  # rep2's deal, written by an admin
    first = ok(admin.post("/v1/deals", json=body, headers={"Idempotency-Key": key}), 201)
    before = deal_count(db, org)
    # rep (another caller) sends the admin's key and body: no replay of the admin's answer;
    # the request is rep's own, and rep may not give a deal to rep2
    r = t["rep_api"].post("/v1/deals", json=body, headers={"Idempotency-Key": key})
    problem(r, 403)
    assert r.headers.get("Idempotent-Replayed") is None and "owner_id" not in r.json()
    problem(t["rep_api"].get(f"/v1/deals/{first['id']}"), 404)
    assert deal_count(db, org) == before
    # the admin's own retry still replays
    again = admin.post("/v1/deals", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == first and again.headers["Idempotent-Replayed"] == "true"
    # and rep's key is rep's: their own deal under the same key is a new write, then a replay
    mine = deal_body(t["rep"])
    r = t["rep_api"].post("/v1/deals", json=mine, headers={"Idempotency-Key": key})
    d = ok(r, 201)
    assert r.headers.get("Idempotent-Replayed") is None and d["id"] != first["id"]
    r = t["rep_api"].post("/v1/deals", json=mine, headers={"Idempotency-Key": key})
    assert ok(r, 201) == d and r.headers["Idempotent-Replayed"] == "true"


def test_same_subject_with_other_roles_is_another_caller(client, tokens, org, t, db):
    sub = "sub-" + uid()
    as_admin = client(tokens.token(org, ["admin"], sub=sub))
    as_rep = client(tokens.token(org, ["rep"], sub=sub, person_id=t["rep"]["id"]))
    key = "k-" + uid()
    body = deal_body(t["rep2"])
    ok(as_admin.post("/v1/deals", json=body, headers={"Idempotency-Key": key}), 201)
    r = as_rep.post("/v1/deals", json=body, headers={"Idempotency-Key": key})
    problem(r, 403)
    assert r.headers.get("Idempotent-Replayed") is None


def test_converted_lead_is_not_replayed_to_another_rep(admin, t):
    lead = ok(admin.post("/v1/leads", json={"company": "Conv " + uid(), "owner_id": t["rep2"]["id"],
                                            "budget": 500}), 201)
    key = "k-" + uid()
    path = f"/v1/leads/{lead['id']}/convert"
    out = ok(t["rep2_api"].post(path, json={}, headers={"Idempotency-Key": key}), 201)
    r = t["rep_api"].post(path, json={}, headers={"Idempotency-Key": key})
    problem(r, 404)  # as a direct call: not rep's lead
    assert r.headers.get("Idempotent-Replayed") is None and "deal" not in r.json()


def test_the_query_string_is_part_of_the_request(admin, t, db, org):
    key = "k-" + uid()
    items = [{"external_id": "q-" + uid(), "name": "bulk " + uid(), "owner_id": t["rep"]["id"],
              "amount": 1, "stage": "prospecting", "close_date": "2027-03-31"}]
    ok(admin.post("/v1/deals/bulk", json=items, headers={"Idempotency-Key": key}), 200)
    before = deal_count(db, org)
    r = admin.post("/v1/deals/bulk", json=items, params={"atomic": "true"},
                   headers={"Idempotency-Key": key})
    problem(r, 422)
    assert r.headers.get("Idempotent-Replayed") is None
    r = admin.post("/v1/deals/bulk", json=items, headers={"Idempotency-Key": key})
    assert ok(r, 200)["created"] == 1 and r.headers["Idempotent-Replayed"] == "true"
    assert deal_count(db, org) == before


def test_another_teams_allocation_is_not_replayed_to_a_manager(admin, client, tokens, org):
    target = mk_team(admin)
    mk_person(admin, target["id"])
    mk_person(admin, target["id"])
    theirs = mk_team(admin)
    m = mk_person(admin, theirs["id"])
    ok(admin.patch(f"/v1/teams/{theirs['id']}", json={"manager_id": m["id"]}))
    manager = client(tokens.token(org, ["manager"], person_id=m["id"]))
    path = f"/v1/teams/{target['id']}/quota-allocations"
    body = {"period": "FY2026", "method": "equal", "total": 1000}
    key = "k-" + uid()
    ok(admin.post(path, json=body, headers={"Idempotency-Key": key}), 201)
    problem(manager.post(path, json=body), 403)  # the direct call
    r = manager.post(path, json=body, headers={"Idempotency-Key": key})
    problem(r, 403)
    assert r.headers.get("Idempotent-Replayed") is None
