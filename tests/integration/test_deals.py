"""/v1/deals: create/read/update/delete, validation, scope by role, filters, CSV, history,
pushes, and the split-credit rule checked between C (credit_tool) and SQL (deal_credits)."""

import datetime
import os
import random
import subprocess
import uuid

import pytest

from conftest import ATTAIND, psql
from contract import ROOT, ok, parse_csv, problem

DEAL_FIELDS = {"id", "external_id", "name", "account", "owner_id", "segment", "type", "amount",
               "stage", "probability", "forecast_category", "status", "close_date", "created_on",
               "splits", "pushes", "version", "created_at", "updated_at"}
MISSING = "999999999999"


def uid():
    return uuid.uuid4().hex[:10]


def mk_team(api, name=None, **fields):
    return ok(api.post("/v1/teams", json={"name": name or "team " + uid(), **fields}), 201)


def mk_person(api, team_id=None, **fields):
    u = uid()
    body = {"name": "person " + u, "email": f"{u}@example.com", **fields}
    if team_id is not None:
        body["team_id"] = team_id
    return ok(api.post("/v1/people", json=body), 201)


def deal_body(owner, **fields):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": 1000,
            "stage": "prospecting", "close_date": "2027-03-31", "segment": "b2b"}
    body.update(fields)
    return body


def mk_deal(api, owner, **fields):
    return ok(api.post("/v1/deals", json=deal_body(owner, **fields)), 201)


def all_deals(api, **params):
    out, cursor = [], None
    while True:
        p = {"limit": 1000, **params}
        if cursor:
            p["cursor"] = cursor
        page = ok(api.get("/v1/deals", params=p))
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def ids(deals):
    return {d["id"] for d in deals}


@pytest.fixture(scope="module")
def org_tree(admin, client, tokens, org, other_org):
    """
    R ─┬─ A (managed by M) ── A1 (rep, rep_split)
       └─ B (managed by M2, member rep2)
    `outsider` is a member of R itself. Clients for each role.
    """
    r = mk_team(admin, "R " + uid())
    a = mk_team(admin, "A " + uid(), parent_id=r["id"])
    b = mk_team(admin, "B " + uid(), parent_id=r["id"])
    a1 = mk_team(admin, "A1 " + uid(), parent_id=a["id"])
    m = mk_person(admin, a["id"], segment="b2b")
    m2 = mk_person(admin, b["id"], segment="b2b")
    rep = mk_person(admin, a1["id"], segment="b2b")
    rep_split = mk_person(admin, a1["id"], segment="b2c")
    rep2 = mk_person(admin, b["id"], segment="b2c")
    outsider = mk_person(admin, r["id"])
    ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    ok(admin.patch(f"/v1/teams/{b['id']}", json={"manager_id": m2["id"]}))
    people = {"M": m, "M2": m2, "rep": rep, "rep_split": rep_split, "rep2": rep2,
              "outsider": outsider}
    roles = {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "service": client(tokens.token(org, ["service"], sub="crm-sync")),
        "manager": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "manager2": client(tokens.token(org, ["manager"], person_id=m2["id"])),
        "rep": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "rep_split": client(tokens.token(org, ["rep"], person_id=rep_split["id"])),
        "rep2": client(tokens.token(org, ["rep"], person_id=rep2["id"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }
    return {"R": r, "A": a, "B": b, "A1": a1, **people, "as": roles}


@pytest.fixture(scope="module")
def db(database):
    """psql against the session database."""
    return lambda sql: psql(database, sql)


def org_count(db, org, table):
    return int(db(f"SELECT count(*) FROM {table} WHERE org_id = '{org}'"))


# -- create and read ------------------------------------------------------------------

def test_create_minimal_takes_defaults(admin, org_tree):
    owner = org_tree["rep"]
    r = admin.post("/v1/deals", json={"name": "Minimal", "owner_id": owner["id"], "amount": 12.5,
                                      "stage": "proposal", "close_date": "2099-12-31"})
    d = ok(r, 201)
    assert set(d) == DEAL_FIELDS
    assert r.headers["Location"] == f"/v1/deals/{d['id']}"
    assert r.headers["ETag"] == '"1"'
    assert d["segment"] == "b2b"  # the owner's
    assert d["type"] == "new_business"
    assert d["amount"] == 12.5
    assert d["probability"] == 60 and d["forecast_category"] == "best_case"
    assert d["status"] == "open"
    assert d["created_on"] == datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    assert d["splits"] == [] and d["pushes"] == 0 and d["version"] == 1
    assert d["external_id"] is None and d["account"] is None
    assert ok(admin.get(r.headers["Location"])) == d


def test_create_every_field(admin, org_tree):
    ext = "crm-" + uid()
    d = mk_deal(admin, org_tree["rep"], external_id=ext, account="Acme Ünïcode ✓", segment="b2c",
                type="renewal", amount=999999999999.99, stage="negotiation", probability=55,
                forecast_category="best_case", close_date="2027-06-30", created_on="2026-01-15",
                splits=[{"person_id": org_tree["rep_split"]["id"], "percent": 40.5},
                        {"person_id": org_tree["rep"]["id"], "percent": 59.5}])
    assert d["external_id"] == ext and d["account"] == "Acme Ünïcode ✓"
    assert d["segment"] == "b2c" and d["type"] == "renewal"
    assert d["amount"] == 999999999999.99
    assert d["probability"] == 55 and d["forecast_category"] == "best_case"
    assert d["created_on"] == "2026-01-15" and d["close_date"] == "2027-06-30"
    # stored ordered by person id
    want = sorted([{"person_id": org_tree["rep_split"]["id"], "percent": 40.5},
                   {"person_id": org_tree["rep"]["id"], "percent": 59.5}],
                  key=lambda s: int(s["person_id"]))
    assert d["splits"] == want
    assert ok(admin.get(f"/v1/deals/{d['id']}")) == d
    got = ok(admin.get("/v1/deals", params={"external_id": ext}))["items"]
    assert got == [d]


def test_created_on_defaults_to_close_date_when_earlier(admin, org_tree):
    d = mk_deal(admin, org_tree["rep"], close_date="2020-02-29")
    assert d["created_on"] == "2020-02-29"


def test_closed_stages_set_status(admin, org_tree):
    won = mk_deal(admin, org_tree["rep"], stage="closed_won")
    assert (won["status"], won["probability"], won["forecast_category"]) == ("won", 100, "closed")
    lost = mk_deal(admin, org_tree["rep"], stage="closed_lost")
    assert (lost["status"], lost["probability"], lost["forecast_category"]) == ("lost", 0, "omitted")


def test_owner_without_segment_needs_one(admin, org_tree):
    problem(admin.post("/v1/deals", json=deal_body(org_tree["outsider"], segment=None)), 400,
            "segment")
    body = deal_body(org_tree["outsider"])
    del body["segment"]
    problem(admin.post("/v1/deals", json=body), 400, "segment")
    assert mk_deal(admin, org_tree["outsider"], segment="b2c")["segment"] == "b2c"


def test_get_unknown_is_404(admin, org_tree):
    problem(admin.get(f"/v1/deals/{MISSING}"), 404)
    problem(admin.get("/v1/deals/abc"), 404)
    d = mk_deal(admin, org_tree["rep"])
    problem(org_tree["as"]["other_org"].get(f"/v1/deals/{d['id']}"), 404)
    problem(org_tree["as"]["other_org"].patch(f"/v1/deals/{d['id']}", json={"name": "x"}), 404)
    problem(org_tree["as"]["other_org"].get(f"/v1/deals/{d['id']}/history"), 404)


def test_duplicate_external_id_is_409(admin, org_tree):
    ext = "dup-" + uid()
    mk_deal(admin, org_tree["rep"], external_id=ext)
    problem(admin.post("/v1/deals", json=deal_body(org_tree["rep"], external_id=ext)), 409,
            "external_id")
    other = mk_deal(admin, org_tree["rep"])
    problem(admin.patch(f"/v1/deals/{other['id']}", json={"external_id": ext}), 409, "external_id")


# -- bad input: 400 naming the field, nothing written ------------------------------------

def bad_cases(t):
    rep, split = t["rep"], t["rep_split"]
    sp = lambda *pairs: [{"person_id": p, "percent": c} for p, c in pairs]  # noqa: E731
    return [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 5}, "name"),
        ({"owner_id": None}, "owner_id"),
        ({"owner_id": 5}, "owner_id"),
        ({"owner_id": "abc"}, "owner_id"),
        ({"owner_id": MISSING}, "owner_id"),
        ({"amount": None}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": -0.01}, "amount"),
        ({"amount": "10"}, "amount"),
        ({"amount": 1.005}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"amount": True}, "amount"),
        ({"stage": None}, "stage"),
        ({"stage": "nope"}, "stage"),
        ({"stage": 3}, "stage"),
        ({"stage": "Proposal"}, "stage"),
        ({"close_date": None}, "close_date"),
        ({"close_date": "2027-02-30"}, "close_date"),
        ({"close_date": "31/12/2027"}, "close_date"),
        ({"close_date": "2027-1-1"}, "close_date"),
        ({"close_date": 20270101}, "close_date"),
        ({"created_on": "2027-13-01"}, "created_on"),
        ({"created_on": None}, "created_on"),
        ({"close_date": "2026-01-01", "created_on": "2026-01-02"}, "close_date"),
        ({"segment": "b2g"}, "segment"),
        ({"type": "expansion"}, "type"),
        ({"type": None}, "type"),
        ({"probability": 101}, "probability"),
        ({"probability": -1}, "probability"),
        ({"probability": 50.5}, "probability"),
        ({"probability": "50"}, "probability"),
        ({"stage": "closed_won", "probability": 90}, "probability"),
        ({"stage": "closed_lost", "probability": 10}, "probability"),
        ({"forecast_category": "maybe"}, "forecast_category"),
        ({"external_id": ""}, "external_id"),
        ({"external_id": 7}, "external_id"),
        ({"account": ""}, "account"),
        ({"status": "won"}, "status"),
        ({"pushes": 3}, "pushes"),
        ({"id": "1"}, "id"),
        ({"colour": "red"}, "colour"),
        ({"splits": {}}, "splits"),
        ({"splits": [5]}, "splits[0]"),
        ({"splits": sp((rep["id"], 50), (split["id"], 49.99))}, "splits"),
        ({"splits": sp((rep["id"], 50), (split["id"], 50.01))}, "splits"),
        ({"splits": sp((rep["id"], 50), (rep["id"], 50))}, "splits[1].person_id"),
        ({"splits": sp((rep["id"], 100), (split["id"], 0))}, "splits[1].percent"),
        ({"splits": sp((rep["id"], 99.995), (split["id"], 0.005))}, "splits[0].percent"),
        ({"splits": sp((rep["id"], 101))}, "splits[0].percent"),
        ({"splits": sp((rep["id"], -10), (split["id"], 110))}, "splits[0].percent"),
        ({"splits": sp((rep["id"], "50"), (split["id"], 50))}, "splits[0].percent"),
        ({"splits": sp((MISSING, 50), (split["id"], 50))}, "splits[0].person_id"),
        ({"splits": sp((5, 50), (split["id"], 50))}, "splits[0].person_id"),
        ({"splits": [{"person_id": rep["id"]}]}, "splits[0].percent"),
        ({"splits": [{"person_id": rep["id"], "percent": 100, "role": "x"}]}, "splits[0].role"),
        ({"splits": [{"person_id": str(i + 1), "percent": 1} for i in range(51)]}, "splits"),
    ]


def test_bad_create_names_the_field_and_writes_nothing(admin, org_tree, db, org):
    before = org_count(db, org, "deals"), org_count(db, org, "deal_history")
    for change, field in bad_cases(org_tree):
        body = deal_body(org_tree["rep"], **change)
        problem(admin.post("/v1/deals", json=body), 400, field)
    for missing in ("name", "owner_id", "amount", "stage", "close_date"):
        body = deal_body(org_tree["rep"])
        del body[missing]
        problem(admin.post("/v1/deals", json=body), 400, missing)
    assert (org_count(db, org, "deals"), org_count(db, org, "deal_history")) == before


def test_bad_patch_names_the_field_and_writes_nothing(admin, org_tree):
    d = mk_deal(admin, org_tree["rep"], created_on="2026-06-01", close_date="2026-12-31")
    path = f"/v1/deals/{d['id']}"
    for change, field in bad_cases(org_tree):
        if "close_date" in change and "created_on" in change:
            continue
        problem(admin.patch(path, json=change), 400, field)
    problem(admin.patch(path, json={"close_date": "2026-05-31"}), 400, "close_date")
    problem(admin.patch(path, json={"created_on": "2027-01-01"}), 400, "created_on")
    problem(admin.patch(path, json={"segment": None}), 400, "segment")
    assert ok(admin.get(path)) == d
    assert len(ok(admin.get(path + "/history"))["items"]) == 1


@pytest.mark.parametrize("raw,field", [(b'{"name": "a"', "body"), (b"[]", "body"), (b"", "body"),
                                       (b'{"name": "a", "name": "b"}', "name")])
def test_malformed_body(admin, raw, field):
    problem(admin.post("/v1/deals", data=raw, headers={"Content-Type": "application/json"}),
            400, field)


def test_wrong_media_type_is_415(admin, org_tree):
    problem(admin.post("/v1/deals", data="name=x", headers={"Content-Type": "text/plain"}), 415)


# -- change, push, history -------------------------------------------------------------

def history(api, deal):
    return ok(api.get(f"/v1/deals/{deal['id']}/history", params={"limit": 1000}))["items"]


def test_patch_stage_change_takes_new_defaults_and_records_history(admin, org_tree, org):
    d = mk_deal(admin, org_tree["rep"], stage="prospecting", close_date="2027-03-31",
                amount=100)
    path = f"/v1/deals/{d['id']}"
    r = admin.patch(path, json={"stage": "negotiation"}, headers={"If-Match": '"1"'})
    u = ok(r)
    assert r.headers["ETag"] == '"2"'
    assert (u["stage"], u["probability"], u["forecast_category"]) == ("negotiation", 80, "commit")
    # an explicit probability wins, and stays while the stage stays
    u = ok(admin.patch(path, json={"probability": 65}))
    assert u["probability"] == 65 and u["forecast_category"] == "commit"
    u = ok(admin.patch(path, json={"name": "renamed"}))
    assert u["probability"] == 65
    # null resets to the stage's default
    u = ok(admin.patch(path, json={"probability": None, "forecast_category": "best_case"}))
    assert u["probability"] == 80 and u["forecast_category"] == "best_case"
    # close date later: a push; earlier: no push
    u = ok(admin.patch(path, json={"close_date": "2027-04-30"}))
    assert u["pushes"] == 1
    u = ok(admin.patch(path, json={"close_date": "2027-04-15"}))
    assert u["pushes"] == 1
    u = ok(admin.patch(path, json={"close_date": "2027-06-30", "amount": 150.25}))
    assert u["pushes"] == 2 and u["amount"] == 150.25
    u = ok(admin.patch(path, json={"stage": "closed_won"}))
    assert (u["status"], u["probability"], u["forecast_category"]) == ("won", 100, "closed")

    h = history(admin, d)
    assert [e["kind"] for e in h] == ["created"] + ["changed"] * 7
    assert all(e["sub"] == "admin-" + org for e in h)
    first = h[0]
    assert first["stage_from"] is None and first["stage_to"] == "prospecting"
    assert first["close_date_from"] is None and first["close_date_to"] == "2027-03-31"
    assert first["amount_from"] is None and first["amount_to"] == 100
    assert first["status"] == "open" and first["owner_id"] == org_tree["rep"]["id"]
    assert (h[1]["stage_from"], h[1]["stage_to"], h[1]["probability"]) == \
        ("prospecting", "negotiation", 80)
    assert h[2]["probability"] == 65  # probability alone changed
    # the rename made no history entry: versions skip it
    assert [e["version"] for e in h] == [1, 2, 3, 5, 6, 7, 8, 9]
    pushes = [(e["close_date_from"], e["close_date_to"], e["pushed"]) for e in h[4:7]]
    assert pushes == [("2027-03-31", "2027-04-30", True), ("2027-04-30", "2027-04-15", False),
                      ("2027-04-15", "2027-06-30", True)]
    assert (h[6]["amount_from"], h[6]["amount_to"]) == (100, 150.25)
    assert (h[7]["stage_to"], h[7]["status"]) == ("closed_won", "won")
    at = [e["at"] for e in h]
    assert at == sorted(at)


def test_history_pages_and_csv(admin, org_tree):
    d = mk_deal(admin, org_tree["rep"], close_date="2027-01-01")
    for i in range(4):
        ok(admin.patch(f"/v1/deals/{d['id']}", json={"close_date": f"2027-0{i + 2}-01"}))
    page = ok(admin.get(f"/v1/deals/{d['id']}/history", params={"limit": 2}))
    assert [e["version"] for e in page["items"]] == [1, 2]
    page2 = ok(admin.get(f"/v1/deals/{d['id']}/history",
                         params={"limit": 2, "cursor": page["next_cursor"]}))
    assert [e["version"] for e in page2["items"]] == [3, 4]
    r = admin.get(f"/v1/deals/{d['id']}/history", headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert len(rows) == 5 and rows[-1]["pushed"] == "true" and rows[0]["kind"] == "created"
    assert ok(admin.get(f"/v1/deals/{d['id']}"))["pushes"] == 4


def test_if_match(admin, org_tree):
    d = mk_deal(admin, org_tree["rep"])
    path = f"/v1/deals/{d['id']}"
    problem(admin.patch(path, json={"name": "stale"}, headers={"If-Match": '"7"'}), 412)
    problem(admin.patch(path, json={"name": "bogus"}, headers={"If-Match": "junk"}), 412)
    assert ok(admin.get(path)) == d
    assert ok(admin.patch(path, json={"name": "fresh"}, headers={"If-Match": '"1"'}))["version"] == 2
    problem(admin.delete(path, headers={"If-Match": '"1"'}), 412)
    assert ok(admin.patch(path, json={"name": "star"}, headers={"If-Match": "*"}))["version"] == 3


def test_delete_keeps_history_rows(admin, org_tree, db, org):
    d = mk_deal(admin, org_tree["rep"])
    r = admin.delete(f"/v1/deals/{d['id']}")
    assert r.status_code == 204 and r.content == b""
    problem(admin.get(f"/v1/deals/{d['id']}"), 404)
    problem(admin.get(f"/v1/deals/{d['id']}/history"), 404)
    problem(admin.delete(f"/v1/deals/{d['id']}"), 404)
    kinds = db(f"SELECT string_agg(kind, ',' ORDER BY version) FROM deal_history "
               f"WHERE org_id = '{org}' AND deal_id = {d['id']}")
    assert kinds == "created,deleted"


def test_split_holder_cannot_be_deleted(admin, org_tree):
    team = mk_team(admin)
    holder = mk_person(admin, team["id"])
    d = mk_deal(admin, org_tree["rep"], splits=[{"person_id": holder["id"], "percent": 100}])
    problem(admin.delete(f"/v1/people/{holder['id']}"), 409)
    ok(admin.patch(f"/v1/deals/{d['id']}", json={"splits": None}))
    assert ok(admin.get(f"/v1/deals/{d['id']}"))["splits"] == []
    ok(admin.delete(f"/v1/people/{holder['id']}"), 204)


def test_idempotent_create(admin, org_tree):
    key = "deal-" + uid()
    body = deal_body(org_tree["rep"])
    first = admin.post("/v1/deals", json=body, headers={"Idempotency-Key": key})
    d = ok(first, 201)
    again = admin.post("/v1/deals", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == d and again.headers["Idempotent-Replayed"] == "true"
    assert [x["id"] for x in all_deals(admin, owner_id=org_tree["rep"]["id"])
            if x["name"] == body["name"]] == [d["id"]]


# -- lists -------------------------------------------------------------------------------

def test_filters(admin, org_tree):
    t = org_tree
    tag = uid()
    a = mk_deal(admin, t["rep"], name=f"f-{tag}-a", close_date="2030-01-15", type="upsell",
                segment="b2b", stage="proposal")
    b = mk_deal(admin, t["rep2"], name=f"f-{tag}-b", close_date="2030-02-15", type="renewal",
                segment="b2c", stage="closed_won")
    c = mk_deal(admin, t["M2"], name=f"f-{tag}-c", close_date="2030-03-15",
                splits=[{"person_id": t["rep_split"]["id"], "percent": 10},
                        {"person_id": t["M2"]["id"], "percent": 90}])
    mine = {a["id"], b["id"], c["id"]}

    def sel(**params):
        return ids(all_deals(admin, **params)) & mine

    assert sel() == mine
    assert sel(owner_id=t["rep"]["id"]) == {a["id"]}
    # team A's subtree: a (owner in A1) and c (split holder in A1)
    assert sel(team_id=t["A"]["id"]) == {a["id"], c["id"]}
    assert sel(team_id=t["A1"]["id"]) == {a["id"], c["id"]}
    assert sel(team_id=t["B"]["id"]) == {b["id"], c["id"]}
    assert sel(team_id=t["R"]["id"]) == mine
    assert sel(team_id=MISSING) == set()
    assert sel(status="won") == {b["id"]}
    assert sel(status="open") == {a["id"], c["id"]}
    assert sel(stage="proposal") == {a["id"]}
    assert sel(type="renewal") == {b["id"]}
    assert sel(segment="b2c") == {b["id"]}
    assert sel(close_from="2030-02-15") == {b["id"], c["id"]}
    assert sel(close_to="2030-02-15") == {a["id"], b["id"]}
    assert sel(close_from="2030-01-16", close_to="2030-03-14") == {b["id"]}
    assert sel(team_id=t["A"]["id"], close_from="2030-02-01", close_to="2030-03-31") == {c["id"]}
    since = c["updated_at"]
    assert c["id"] in ids(all_deals(admin, updated_since=since))
    assert sel(updated_since="2999-01-01") == set()
    assert sel(updated_since="2999-01-01T00:00:00+02:00") == set()
    assert sel(updated_since="2000-01-01T00:00:00Z") == mine
    assert sel(updated_since="2000-01-01T00:00:00.5-05:00") == mine
    assert sel(updated_since="2000-01-01T00:00:00-15:59") == mine


@pytest.mark.parametrize("params,field", [
    ({"owner_id": "x"}, "owner_id"), ({"team_id": "-1"}, "team_id"), ({"status": "closed"}, "status"),
    ({"stage": "nope"}, "stage"), ({"type": "x"}, "type"), ({"segment": "b2g"}, "segment"),
    ({"close_from": "2026-02-30"}, "close_from"), ({"close_to": "x"}, "close_to"),
    ({"close_from": "2026-02-01", "close_to": "2026-01-31"}, "close_to"),
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"updated_since": "2026-01-01T00:00:00+23:59"}, "updated_since"),  # PostgreSQL's bound is 15:59
    ({"updated_since": "2026-01-01T25:00:00Z"}, "updated_since"),
    ({"updated_since": "2026-01-01T10:00:00"}, "updated_since"),
    ({"limit": "0"}, "limit"), ({"cursor": "@@"}, "cursor"), ({"colour": "red"}, "colour")])
def test_bad_filters(admin, params, field):
    problem(admin.get("/v1/deals", params=params), 400, field)


def test_pagination_and_csv(admin, org_tree):
    team = mk_team(admin)
    owner = mk_person(admin, team["id"], segment="b2b")
    made = [mk_deal(admin, owner, name=f"p,\"q\" {i}")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"owner_id": owner["id"], "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = ok(admin.get("/v1/deals", params=params))
        seen += [d["id"] for d in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made
    r = admin.get("/v1/deals", params={"owner_id": owner["id"], "limit": 3},
                  headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == DEAL_FIELDS
    assert [row["id"] for row in rows] == made[:3]
    assert rows[0]["name"] == 'p,"q" 0' and rows[0]["splits"] == "[]"
    assert r.headers["X-Next-Cursor"]


# -- roles and scope ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scoped(admin, org_tree):
    """One deal per situation the scope rules distinguish."""
    t = org_tree
    return {
        "rep_own": mk_deal(admin, t["rep"]),
        "rep_split": mk_deal(admin, t["rep2"], splits=[{"person_id": t["rep"]["id"], "percent": 50},
                                                       {"person_id": t["rep2"]["id"], "percent": 50}]),
        "a1_other": mk_deal(admin, t["rep_split"]),
        "manager_own": mk_deal(admin, t["M"]),
        "b": mk_deal(admin, t["rep2"]),
        "outsider": mk_deal(admin, t["outsider"], segment="b2b"),
    }


# which of `scoped` each role reads (and, but for exec, writes)
VISIBLE = {
    "admin": {"rep_own", "rep_split", "a1_other", "manager_own", "b", "outsider"},
    "exec": {"rep_own", "rep_split", "a1_other", "manager_own", "b", "outsider"},
    "service": {"rep_own", "rep_split", "a1_other", "manager_own", "b", "outsider"},
    "manager": {"rep_own", "rep_split", "a1_other", "manager_own"},
    "manager2": {"rep_split", "b"},
    "rep": {"rep_own", "rep_split"},
    "rep_split": {"a1_other"},
    "other_org": set(),
}


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_read_scope(org_tree, scoped, role):
    api = org_tree["as"][role]
    listed = ids(all_deals(api)) & {d["id"] for d in scoped.values()}
    assert listed == {scoped[k]["id"] for k in VISIBLE[role]}
    for name, d in scoped.items():
        if name in VISIBLE[role]:
            assert ok(api.get(f"/v1/deals/{d['id']}"))["id"] == d["id"]
            ok(api.get(f"/v1/deals/{d['id']}/history"))
        else:
            problem(api.get(f"/v1/deals/{d['id']}"), 404)
            problem(api.get(f"/v1/deals/{d['id']}/history"), 404)


@pytest.mark.parametrize("role", ["admin", "service", "manager", "manager2", "rep", "rep_split"])
def test_write_scope(org_tree, scoped, role):
    api = org_tree["as"][role]
    for name, d in scoped.items():
        path = f"/v1/deals/{d['id']}"
        if name in VISIBLE[role]:
            u = ok(api.patch(path, json={"account": f"{role} was here"}))
            assert u["account"] == f"{role} was here"
        else:
            problem(api.patch(path, json={"account": "no"}), 404)
            problem(api.delete(path), 404)


def test_a_split_holder_reads_but_does_not_control_the_deal(admin, org_tree):
    t = org_tree
    holder, manager = t["as"]["rep_split"], t["as"]["manager"]
    # rep2 (team B) owns it; rep_split (team A1, the manager's subtree) holds 10 %
    d = mk_deal(admin, t["rep2"], amount=1000,
                splits=[{"person_id": t["rep_split"]["id"], "percent": 10},
                        {"person_id": t["rep2"]["id"], "percent": 90}])
    path = f"/v1/deals/{d['id']}"
    assert ok(holder.get(path))["splits"] == d["splits"]  # reads it and sees the credit
    assert ok(manager.get(path))["id"] == d["id"]
    attacks = [
        (holder, {"owner_id": t["rep_split"]["id"]}),
        (holder, {"splits": [{"person_id": t["rep_split"]["id"], "percent": 100}]}),
        (holder, {"splits": None}),
        (holder, {"amount": 5}),
        (manager, {"owner_id": t["rep"]["id"], "splits": None}),  # into the manager's team
        (manager, {"amount": 1}),
    ]
    for api, body in attacks:
        problem(api.patch(path, json=body), 403)
    problem(holder.delete(path), 403)
    problem(manager.delete(path), 403)
    after = ok(admin.get(path))
    assert (after["owner_id"], after["splits"], after["amount"], after["version"]) == \
        (d["owner_id"], d["splits"], d["amount"], d["version"])
    assert ok(t["as"]["rep2"].get(path))["id"] == d["id"]  # the owner still has it
    # the other fields remain theirs to change, and the owner's scope keeps full control
    assert ok(holder.patch(path, json={"account": "co-sold"}))["account"] == "co-sold"
    assert ok(t["as"]["manager2"].patch(path, json={"amount": 2000}))["amount"] == 2000


def test_exec_never_writes(org_tree, scoped):
    api = org_tree["as"]["exec"]
    problem(api.post("/v1/deals", json=deal_body(org_tree["rep"])), 403)
    problem(api.patch(f"/v1/deals/{scoped['rep_own']['id']}", json={"name": "x"}), 403)
    problem(api.delete(f"/v1/deals/{scoped['rep_own']['id']}"), 403)


# who may create a deal owned by whom
OWNERS = {
    "admin": {"rep", "rep2", "M", "outsider"},
    "service": {"rep", "rep2", "M", "outsider"},
    "manager": {"rep", "M"},
    "manager2": {"rep2"},
    "rep": {"rep"},
    "rep2": {"rep2"},
}


@pytest.mark.parametrize("role", sorted(OWNERS))
def test_create_scope(admin, org_tree, role, db, org):
    api = org_tree["as"][role]
    for owner in ("rep", "rep2", "M", "outsider"):
        body = deal_body(org_tree[owner], name=f"by {role} for {owner} {uid()}")
        if owner in OWNERS[role]:
            d = ok(api.post("/v1/deals", json=body), 201)
            assert d["owner_id"] == org_tree[owner]["id"]
        else:
            before = org_count(db, org, "deals")
            problem(api.post("/v1/deals", json=body), 403)
            assert org_count(db, org, "deals") == before


def test_reowning_outside_scope_is_403(org_tree, scoped, admin):
    api = org_tree["as"]["manager"]
    d = mk_deal(admin, org_tree["rep"])
    problem(api.patch(f"/v1/deals/{d['id']}", json={"owner_id": org_tree["rep2"]["id"]}), 403)
    assert ok(admin.get(f"/v1/deals/{d['id']}"))["owner_id"] == org_tree["rep"]["id"]
    rep = org_tree["as"]["rep"]
    problem(rep.patch(f"/v1/deals/{d['id']}", json={"owner_id": org_tree["M"]["id"]}), 403)


# -- the credit rule: C against SQL ------------------------------------------------------------

def credit_tool():
    path = os.path.join(os.path.dirname(ATTAIND), "tests", "unit", "credit_tool")
    if not os.access(path, os.X_OK):
        pytest.fail(f"credit_tool not built at {path} (meson builds it with the unit tests)",
                    pytrace=False)
    return path


def test_credit_rule_sql_matches_c(admin, org_tree, db, org):
    rng = random.Random(20261128)
    team = mk_team(admin)
    people = [mk_person(admin, team["id"], segment="b2b") for _ in range(6)]
    amounts = [0, 0.01, 0.02, 0.03, 0.1, 1, 99.99, 100, 12345.67, 999999999999.99]
    made = []
    for i in range(60):
        n = rng.choice([0, 1, 2, 3, 3, 4, 6])
        holders = rng.sample(people, n)
        left, splits = 10000, []
        for k, p in enumerate(holders):
            share = left if k == n - 1 else rng.randint(1, left - (n - k - 1))
            left -= share
            splits.append({"person_id": p["id"], "percent": share / 100})
        amount = amounts[i] if i < len(amounts) else round(rng.uniform(0, 100000), 2)
        made.append(mk_deal(admin, people[0], amount=amount, splits=splits))
    lines, want = [], set()
    for d in made:
        cents = round(d["amount"] * 100)
        s = d["splits"]
        lines.append(" ".join([d["id"], str(cents), d["owner_id"], str(len(s))] +
                              [f"{x['person_id']} {round(x['percent'] * 100)}" for x in s]))
    out = subprocess.run([credit_tool()], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True, timeout=30).stdout
    c_rows = {tuple(int(v) for v in line.split()) for line in out.splitlines()}
    id_list = ",".join(d["id"] for d in made)
    sql = db(f"SELECT deal_id, person_id, (percent * 100)::bigint, (credit * 100)::bigint "
             f"FROM deal_credits WHERE org_id = '{org}' AND deal_id IN ({id_list})")
    sql_rows = {tuple(int(v) for v in line.split("|")) for line in sql.splitlines()}
    assert sql_rows == c_rows
    # and every deal's credits sum exactly to its amount
    sums = db(f"SELECT bool_and(s.total = d.amount) FROM deals d JOIN (SELECT deal_id, sum(credit) total "
              f"FROM deal_credits WHERE org_id = '{org}' GROUP BY deal_id) s ON s.deal_id = d.id "
              f"WHERE d.org_id = '{org}'")
    assert sums == "t"
    # a deal without splits credits its owner 100 %
    plain = next(d for d in made if not d["splits"])
    row = db(f"SELECT person_id, percent, credit FROM deal_credits WHERE org_id = '{org}' "
             f"AND deal_id = {plain['id']}")
    assert row.split("|")[0] == plain["owner_id"] and row.split("|")[1] == "100.00"


def test_a_large_team_lists_its_deals_in_pages(scratch_admin, client, tokens):
    """A team with at least 1 % of the org's people and 50 reads the org's deals in id order
    (not its people's deal ids): the same deals, pages and filters as a small team."""
    api = scratch_admin
    org = ok(api.get("/v1/org"))["id"]
    big = mk_team(api, "big " + uid())
    sub = mk_team(api, "sub " + uid(), parent_id=big["id"])
    small = mk_team(api, "small " + uid())
    inside = [mk_person(api, big["id"] if i % 2 else sub["id"]) for i in range(56)]
    outside = [mk_person(api, small["id"]) for _ in range(3)]
    want, won = [], []
    for i in range(40):
        d = mk_deal(api, inside[i % len(inside)], stage="closed_won" if i % 4 == 0 else "proposal")
        want.append(d["id"])
        if i % 4 == 0:
            won.append(d["id"])
    for i in range(12):
        mk_deal(api, outside[i % 3])
    # owned outside, one split held inside: in the team's list
    split = mk_deal(api, outside[0], splits=[{"person_id": outside[0]["id"], "percent": 70},
                                            {"person_id": inside[1]["id"], "percent": 30}])
    want.append(split["id"])

    def pages(who, **params):
        out, cursor = [], None
        while True:
            p = {"limit": 7, "team_id": big["id"], **params}
            if cursor:
                p["cursor"] = cursor
            page = ok(who.get("/v1/deals", params=p))
            assert len(page["items"]) <= 7
            out += [x["id"] for x in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                return out

    assert pages(api) == sorted(want, key=int)
    assert pages(api, status="won") == sorted(won, key=int)
    assert pages(api, team_id=small["id"]) == sorted(set(ids(all_deals(api, team_id=small["id"]))), key=int)
    # a rep of the team sees their own deals only, whatever the list
    rep = inside[3]
    mine = client(tokens.token(org, ["rep"], person_id=rep["id"]))
    assert pages(mine) == sorted([x for x in want if ok(api.get(f"/v1/deals/{x}"))["owner_id"] == rep["id"]], key=int)


def test_team_filter_follows_split_and_close_date_changes(admin, org_tree):
    t = org_tree
    d = mk_deal(admin, t["rep2"], close_date="2031-01-15",
                splits=[{"person_id": t["rep_split"]["id"], "percent": 30},
                        {"person_id": t["rep2"]["id"], "percent": 70}])

    def in_a(frm, to):
        return d["id"] in ids(all_deals(admin, team_id=t["A"]["id"], close_from=frm, close_to=to))

    assert in_a("2031-01-01", "2031-01-31")
    ok(admin.patch(f"/v1/deals/{d['id']}", json={"close_date": "2031-02-15"}))
    assert not in_a("2031-01-01", "2031-01-31") and in_a("2031-02-01", "2031-02-28")
    ok(admin.patch(f"/v1/deals/{d['id']}", json={"splits": None}))
    assert not in_a("2031-02-01", "2031-02-28")
    ok(admin.patch(f"/v1/deals/{d['id']}",
                   json={"splits": [{"person_id": t["rep"]["id"], "percent": 100}]}))
    assert in_a("2031-02-01", "2031-02-28")


def test_deal_splits_mirror_the_split_arrays(admin, org_tree, db, org):
    """deal_splits (kept by triggers) holds exactly the splits of every deal, with its close date."""
    mismatched = db(f"""
        SELECT count(*) FROM (
          (SELECT d.id, p, d.close_date FROM deals d, unnest(d.split_person_ids) p WHERE d.org_id = '{org}'
           EXCEPT SELECT deal_id, person_id, close_date FROM deal_splits WHERE org_id = '{org}')
          UNION ALL
          (SELECT deal_id, person_id, close_date FROM deal_splits WHERE org_id = '{org}'
           EXCEPT SELECT d.id, p, d.close_date FROM deals d, unnest(d.split_person_ids) p
           WHERE d.org_id = '{org}')) x""")
    assert mismatched == "0"
    assert int(db(f"SELECT count(*) FROM deal_splits WHERE org_id = '{org}'")) > 0
