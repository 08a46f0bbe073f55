"""POST /v1/deals/bulk: the CRM sync. Created/updated/unchanged/rejected, per-item and atomic
modes, JSON arrays and NDJSON, scope, idempotent retries, history and pushes, and a call of
100,000 deals in bounded time."""

import json
import time
import uuid

import pytest

from conftest import psql
from contract import ok, problem

MISSING = "999999999999"
BIG = 100_000


def uid():
    return uuid.uuid4().hex[:10]


def mk_team(api, **fields):
    return ok(api.post("/v1/teams", json={"name": "team " + uid(), **fields}), 201)


def mk_person(api, team_id, **fields):
    u = uid()
    return ok(api.post("/v1/people", json={"name": "p " + u, "email": f"{u}@example.com",
                                           "team_id": team_id, **fields}), 201)


def item(owner, ext=None, **fields):
    body = {"external_id": ext or "crm-" + uid(), "name": "deal " + uid(), "owner_id": owner["id"],
            "amount": 100, "stage": "prospecting", "close_date": "2027-03-31"}
    body.update(fields)
    return body


def bulk(api, items, status=200, timeout=30, **params):
    r = api.post("/v1/deals/bulk", json=items, params=params, timeout=timeout)
    return ok(r, status) if status < 400 else problem(r, status)


def ndjson(api, text, **kw):
    return api.post("/v1/deals/bulk", data=text.encode(),
                    headers={"Content-Type": "application/x-ndjson", **kw.pop("headers", {})}, **kw)


def by_ext(api, ext):
    items = ok(api.get("/v1/deals", params={"external_id": ext}))["items"]
    return items[0] if items else None


def history(api, deal):
    return ok(api.get(f"/v1/deals/{deal['id']}/history", params={"limit": 1000}))["items"]


@pytest.fixture(scope="module")
def t(admin, client, tokens, org):
    """R ─┬─ A (manager M; members rep, nos = no segment)  └─ B (member rep2)."""
    r = mk_team(admin)
    a = mk_team(admin, parent_id=r["id"])
    b = mk_team(admin, parent_id=r["id"])
    m = mk_person(admin, a["id"], segment="b2b")
    rep = mk_person(admin, a["id"], segment="b2c")
    nos = mk_person(admin, a["id"])
    rep2 = mk_person(admin, b["id"], segment="b2b")
    ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    return {
        "A": a, "B": b, "M": m, "rep": rep, "nos": nos, "rep2": rep2,
        "service": client(tokens.token(org, ["service"], sub="crm-sync")),
        "manager": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "rep_api": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "exec": client(tokens.token(org, ["exec"])),
    }


@pytest.fixture(scope="module")
def db(database):
    return lambda sql: psql(database, sql)


def counts(db, org):
    """(deals, history rows, sum of versions) of the org: any write moves one of them."""
    return db(f"SELECT (SELECT count(*) FROM deals WHERE org_id = '{org}'),"
              f" (SELECT count(*) FROM deal_history WHERE org_id = '{org}'),"
              f" (SELECT coalesce(sum(version), 0) FROM deals WHERE org_id = '{org}')")


# -- the sync cycle ---------------------------------------------------------------------------

def test_create_then_unchanged_then_updated(t, db, org):
    svc = t["service"]
    items = [item(t["rep"], amount=10.5 * i, stage="qualification") for i in range(5)]
    res = bulk(svc, items)
    assert res == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    d0 = by_ext(svc, items[0]["external_id"])
    assert d0["segment"] == "b2c"  # the owner's
    assert d0["type"] == "new_business" and d0["probability"] == 20 and d0["version"] == 1
    h = history(svc, d0)
    assert [(e["kind"], e["sub"]) for e in h] == [("created", "crm-sync")]

    before = counts(db, org)
    assert bulk(svc, items) == {"created": 0, "updated": 0, "unchanged": 5, "rejected": 0,
                                "errors": []}
    assert counts(db, org) == before
    assert by_ext(svc, items[0]["external_id"]) == d0

    items[0]["stage"] = "negotiation"          # stage: history, new defaults
    items[1]["close_date"] = "2027-05-31"      # later: a push
    items[2]["close_date"] = "2027-01-31"      # earlier: no push
    items[3]["amount"] = 999.99                # amount: history
    items[4]["name"] = "renamed"               # name only: a new version, no history
    res = bulk(svc, items + [item(t["rep"])])
    assert res == {"created": 1, "updated": 5, "unchanged": 0, "rejected": 0, "errors": []}
    d = [by_ext(svc, it["external_id"]) for it in items]
    assert (d[0]["stage"], d[0]["probability"], d[0]["forecast_category"]) == ("negotiation", 80,
                                                                              "commit")
    assert d[1]["pushes"] == 1 and d[2]["pushes"] == 0
    assert all(x["version"] == 2 for x in d)
    hist = [history(svc, x) for x in d]
    assert [len(x) for x in hist] == [2, 2, 2, 2, 1]
    assert (hist[0][1]["stage_from"], hist[0][1]["stage_to"]) == ("qualification", "negotiation")
    assert hist[1][1]["pushed"] is True and hist[2][1]["pushed"] is False
    assert (hist[1][1]["close_date_from"], hist[1][1]["close_date_to"]) == ("2027-03-31",
                                                                           "2027-05-31")
    assert (hist[3][1]["amount_from"], hist[3][1]["amount_to"]) == (31.5, 999.99)
    assert all(x[-1]["kind"] == "changed" and x[-1]["version"] == 2 for x in hist[:4])


def test_absent_fields_keep_stored_values(t):
    svc = t["service"]
    ext = "keep-" + uid()
    first = item(t["rep"], ext, account="Acme", type="renewal", segment="b2b", probability=33,
                 forecast_category="commit", created_on="2026-01-02",
                 splits=[{"person_id": t["rep"]["id"], "percent": 60},
                         {"person_id": t["rep2"]["id"], "percent": 40}])
    bulk(svc, [first])
    d = by_ext(svc, ext)
    slim = {k: first[k] for k in ("external_id", "name", "owner_id", "amount", "stage",
                                  "close_date")}
    assert bulk(svc, [slim])["unchanged"] == 1
    assert by_ext(svc, ext) == d
    # null clears the nullable ones; null probability is the stage's default again
    res = bulk(svc, [dict(slim, account=None, splits=None, probability=None)])
    assert res["updated"] == 1
    u = by_ext(svc, ext)
    assert u["account"] is None and u["splits"] == [] and u["probability"] == 10
    assert u["forecast_category"] == "commit" and u["type"] == "renewal"
    assert u["created_on"] == "2026-01-02"
    # a new stage without probability takes the stage's defaults
    u = (bulk(svc, [dict(slim, stage="proposal")]), by_ext(svc, ext))[1]
    assert (u["probability"], u["forecast_category"]) == (60, "best_case")


def test_new_deal_created_on_defaults(t):
    svc = t["service"]
    old = item(t["rep"], close_date="2019-05-05")
    bulk(svc, [old])
    assert by_ext(svc, old["external_id"])["created_on"] == "2019-05-05"


# -- rejections -------------------------------------------------------------------------------

def bad_items(t):
    rep = t["rep"]
    return [
        ({"amount": -1}, "amount"),
        ({"amount": "12"}, "amount"),
        ({"amount": 0.001}, "amount"),
        ({"stage": "nope"}, "stage"),
        ({"owner_id": MISSING}, "owner_id"),
        ({"owner_id": 12}, "owner_id"),
        ({"close_date": "2027-02-30"}, "close_date"),
        ({"close_date": "2026-01-01", "created_on": "2026-02-01"}, "close_date"),
        ({"created_on": "yesterday"}, "created_on"),
        ({"external_id": None}, "external_id"),
        ({"external_id": ""}, "external_id"),
        ({"name": None}, "name"),
        ({"type": "expansion"}, "type"),
        ({"segment": "b2g"}, "segment"),
        ({"probability": 120}, "probability"),
        ({"stage": "closed_won", "probability": 50}, "probability"),
        ({"forecast_category": "maybe"}, "forecast_category"),
        ({"splits": [{"person_id": rep["id"], "percent": 60}]}, "splits"),
        ({"splits": [{"person_id": MISSING, "percent": 100}]}, "splits[0].person_id"),
        ({"splits": [{"person_id": rep["id"], "percent": 50},
                     {"person_id": rep["id"], "percent": 50}]}, "splits[1].person_id"),
        ({"version": 3}, "version"),
    ]


def test_per_item_rejections_name_index_and_field(t, db, org):
    svc = t["service"]
    cases = bad_items(t)
    good = [item(t["rep"]) for _ in range(3)]
    items = [good[0]]
    for change, _ in cases:
        items.append(item(t["rep"], **change))
    items += good[1:]
    before = counts(db, org)
    res = bulk(svc, items)
    assert res["created"] == 3 and res["updated"] == 0 and res["unchanged"] == 0
    assert res["rejected"] == len(cases)
    assert [e["index"] for e in res["errors"]] == list(range(1, len(cases) + 1))
    for e, (_, field) in zip(res["errors"], cases):
        assert field in [x["field"] for x in e["errors"]], (field, e)
    assert all(by_ext(svc, g["external_id"]) for g in good)
    for it in items[1:-2]:
        if isinstance(it.get("external_id"), str) and it["external_id"]:
            assert by_ext(svc, it["external_id"]) is None
    n0, h0, _ = before.split("|")
    n1, h1, _ = counts(db, org).split("|")
    assert (int(n1) - int(n0), int(h1) - int(h0)) == (3, 3)


def test_atomic_rejects_everything(t, db, org):
    svc = t["service"]
    items = [item(t["rep"]), item(t["rep"], amount=-5, stage="nope"), item(t["rep"])]
    before = counts(db, org)
    r = svc.post("/v1/deals/bulk", json=items, params={"atomic": "true"})
    body = problem(r, 400, "[1].amount")
    assert "[1].stage" in [e["field"] for e in body["errors"]]
    assert body["bulk"]["rejected"] == 1 and body["bulk"]["created"] == 0
    assert body["bulk"]["errors"][0]["index"] == 1
    assert counts(db, org) == before
    assert by_ext(svc, items[0]["external_id"]) is None
    # all good: written
    res = bulk(svc, [items[0], items[2]], atomic="true")
    assert res["created"] == 2 and res["rejected"] == 0


def test_atomic_rejects_what_the_database_refuses(t, db, org):
    svc = t["service"]
    items = [item(t["rep"]), item(t["nos"])]  # nos has no segment, the item gives none
    before = counts(db, org)
    body = problem(svc.post("/v1/deals/bulk", json=items, params={"atomic": "true"}), 400,
                   "[1].segment")
    assert body["bulk"]["rejected"] == 1
    assert counts(db, org) == before
    res = bulk(svc, items)
    assert res["created"] == 1 and res["rejected"] == 1
    assert res["errors"][0]["index"] == 1 and res["errors"][0]["errors"][0]["field"] == "segment"


def test_close_date_before_stored_created_on(t):
    svc = t["service"]
    it = item(t["rep"], created_on="2026-06-01", close_date="2026-12-31")
    bulk(svc, [it])
    slim = {k: v for k, v in it.items() if k != "created_on"}
    res = bulk(svc, [dict(slim, close_date="2026-05-01")])
    assert res["rejected"] == 1 and res["errors"][0]["errors"][0]["field"] == "close_date"
    assert by_ext(svc, it["external_id"])["close_date"] == "2026-12-31"


def test_duplicate_external_id_in_one_call(t):
    svc = t["service"]
    a = item(t["rep"])
    b = dict(item(t["rep"]), external_id=a["external_id"], name="second")
    res = bulk(svc, [a, b])
    assert res["created"] == 1 and res["rejected"] == 1
    assert res["errors"][0]["index"] == 1
    assert res["errors"][0]["errors"][0]["field"] == "external_id"
    assert by_ext(svc, a["external_id"])["name"] == a["name"]


# -- scope ---------------------------------------------------------------------------------------

def test_manager_scope(t, admin):
    mgr = t["manager"]
    outside = item(t["rep2"])          # owner outside the manager's subtree
    inside = item(t["rep"])
    res = bulk(mgr, [outside, inside])
    assert res["created"] == 1 and res["rejected"] == 1
    assert res["errors"][0] == {"index": 0, "errors": [
        {"field": "owner_id", "message": "outside the people whose deals you may sync"}]}
    # an existing deal of someone outside the subtree is never re-owned
    theirs = item(t["rep2"])
    bulk(t["service"], [theirs])
    stolen = dict(theirs, owner_id=t["rep"]["id"], name="stolen")
    res = bulk(mgr, [stolen])
    assert res["rejected"] == 1 and res["errors"][0]["errors"][0]["field"] == "external_id"
    d = by_ext(admin, theirs["external_id"])
    assert d["owner_id"] == t["rep2"]["id"] and d["name"] == theirs["name"]
    # a deal of the subtree can be updated
    assert bulk(mgr, [dict(inside, amount=5)])["updated"] == 1


def test_manager_reaching_a_deal_only_through_a_split_cannot_sync_it(t, admin):
    # rep2 (team B, outside the manager's subtree) owns it; rep (team A) holds 10 %
    theirs = item(t["rep2"], splits=[{"person_id": t["rep"]["id"], "percent": 10},
                                     {"person_id": t["rep2"]["id"], "percent": 90}])
    bulk(t["service"], [theirs])
    assert by_ext(t["manager"], theirs["external_id"]) is not None  # the manager reads it
    moved = dict(theirs, owner_id=t["rep"]["id"], name="moved into A")
    res = bulk(t["manager"], [moved])
    assert res["rejected"] == 1 and res["errors"][0] == {"index": 0, "errors": [
        {"field": "external_id",
         "message": "the existing deal with this external_id is outside your scope"}]}
    d = by_ext(admin, theirs["external_id"])
    assert d["owner_id"] == t["rep2"]["id"] and d["name"] == theirs["name"] and d["version"] == 1


@pytest.mark.parametrize("role", ["rep_api", "exec"])
def test_roles_without_bulk(t, role):
    problem(t[role].post("/v1/deals/bulk", json=[item(t["rep"])]), 403)


# -- idempotency -----------------------------------------------------------------------------------

def test_idempotent_retry_writes_nothing_new(t, db, org):
    svc = t["service"]
    key = "bulk-" + uid()
    items = [item(t["rep"]) for _ in range(3)] + [item(t["rep"], amount=-1)]
    first = svc.post("/v1/deals/bulk", json=items, headers={"Idempotency-Key": key})
    res = ok(first)
    assert res["created"] == 3 and res["rejected"] == 1
    before = counts(db, org)
    again = svc.post("/v1/deals/bulk", json=items, headers={"Idempotency-Key": key})
    assert ok(again) == res and again.headers["Idempotent-Replayed"] == "true"
    assert counts(db, org) == before
    # the same key with another body is 422
    problem(svc.post("/v1/deals/bulk", json=items[:1], headers={"Idempotency-Key": key}), 422)
    assert counts(db, org) == before


# -- body formats -------------------------------------------------------------------------------------

def test_ndjson(t):
    svc = t["service"]
    a, b = item(t["rep"]), item(t["rep"])
    text = json.dumps(a) + "\r\n\n   \n" + '{"oops": \n' + json.dumps(b) + "\n" + "[1]"
    res = ok(ndjson(svc, text))
    assert res["created"] == 2 and res["rejected"] == 2
    assert [(e["index"], e["errors"][0]["field"]) for e in res["errors"]] == [(1, "item"),
                                                                            (3, "item")]
    assert by_ext(svc, b["external_id"])["name"] == b["name"]
    assert ok(ndjson(svc, json.dumps(a)))["unchanged"] == 1  # no final newline


def test_non_object_items_are_rejected_alone(t):
    svc = t["service"]
    a = item(t["rep"])
    raw = "[" + json.dumps(a) + ', 5, "x", null, [1, 2], true, {}]'
    res = ok(svc.post("/v1/deals/bulk", data=raw, headers={"Content-Type": "application/json"}))
    assert res["created"] == 1 and res["rejected"] == 6
    assert [e["index"] for e in res["errors"]] == [1, 2, 3, 4, 5, 6]
    assert res["errors"][-1]["errors"][0]["field"] in ("external_id", "name")


@pytest.mark.parametrize("raw", [b'{"external_id": "x"}', b"[{]", b'[{"a": 1} {"b": 2}]',
                                 b"[{}, ", b"[] []", b"", b"   ", b'[{"a": 1, "a": 2}]'])
def test_malformed_bodies_are_400_body(t, db, org, raw):
    before = counts(db, org)
    problem(t["service"].post("/v1/deals/bulk", data=raw,
                              headers={"Content-Type": "application/json"}), 400, "body")
    assert counts(db, org) == before


def test_media_types(t):
    svc = t["service"]
    problem(svc.post("/v1/deals/bulk", data=b"[]", headers={"Content-Type": "text/plain"}), 415)
    problem(svc.post("/v1/deals/bulk", data=b"[]", headers={"Content-Type": "application/jsonx"}),
            415)
    assert ok(svc.post("/v1/deals/bulk", data=b" [ ] ",
                       headers={"Content-Type": "application/json; charset=utf-8"})) == \
        {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}


def test_bad_query(t):
    problem(t["service"].post("/v1/deals/bulk", json=[], params={"atomic": "yes"}), 400, "atomic")
    problem(t["service"].post("/v1/deals/bulk", json=[], params={"dry_run": "true"}), 400,
            "dry_run")


def test_more_than_100000_items_is_413(t, db, org):
    before = counts(db, org)
    raw = ("[" + ",".join(["{}"] * (BIG + 1)) + "]").encode()
    body = problem(t["service"].post("/v1/deals/bulk", data=raw,
                                     headers={"Content-Type": "application/json"}), 413, "body")
    assert "100000" in body["detail"]
    raw = ("\n".join(["{}"] * (BIG + 1))).encode()
    problem(t["service"].post("/v1/deals/bulk", data=raw,
                              headers={"Content-Type": "application/x-ndjson"}), 413, "body")
    assert counts(db, org) == before


def test_100000_deals_in_bounded_time(t, admin, db, org):
    owners = [t["rep"], t["rep2"], t["M"]]
    tag = uid()
    items = []
    for i in range(BIG):
        it = {"external_id": f"big-{tag}-{i}", "name": f"Deal {i}", "owner_id": owners[i % 3]["id"],
              "amount": (i % 100000) + 0.25, "stage": ("prospecting", "proposal", "closed_won")[i % 3],
              "close_date": f"2027-{1 + i % 12:02d}-15", "type": "upsell"}
        if i % 10 == 0:
            it["splits"] = [{"person_id": t["rep"]["id"], "percent": 50},
                            {"person_id": t["rep2"]["id"], "percent": 50}]
        items.append(it)
    raw = json.dumps(items, separators=(",", ":")).encode()
    assert len(raw) < 32 << 20
    # a fresh connection: a pooled one keeps its last request's 30 s socket timeout while the
    # body is sent (urllib3 sets the new timeout only for reading), too short under sanitizers
    t["service"].session.close()
    start = time.monotonic()
    r = t["service"].post("/v1/deals/bulk", data=raw, headers={"Content-Type": "application/json"},
                          timeout=1800)
    took = time.monotonic() - start
    res = ok(r)
    assert res == {"created": BIG, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    print(f"\n100,000 deals created in {took:.2f} s ({BIG / took:,.0f} deals/s)")  # speed: bench/deals_bulk.sh
    n = db(f"SELECT count(*), count(*) FILTER (WHERE split_person_ids <> '{{}}'),"
           f" sum(amount) FROM deals WHERE org_id = '{org}' AND external_id LIKE 'big-{tag}-%'")
    assert n == f"{BIG}|{BIG // 10}|{sum(x['amount'] for x in items):.2f}"
    assert db(f"SELECT count(*) FROM deal_history h JOIN deals d ON d.org_id = h.org_id"
              f" AND d.id = h.deal_id WHERE d.org_id = '{org}'"
              f" AND d.external_id LIKE 'big-{tag}-%'") == str(BIG)
    # the same sync again changes nothing, just as fast
    start = time.monotonic()
    res = ok(t["service"].post("/v1/deals/bulk", data=raw,
                               headers={"Content-Type": "application/json"}, timeout=1800))
    took = time.monotonic() - start
    print(f"100,000 unchanged deals in {took:.2f} s")
    assert res["unchanged"] == BIG


def test_deal_splits_mirror_the_split_arrays(t, db, org):
    """After every sync above, deal_splits (kept by triggers) matches the splits arrays."""
    svc = t["service"]
    it = item(t["rep"], splits=[{"person_id": t["rep"]["id"], "percent": 50},
                                {"person_id": t["rep2"]["id"], "percent": 50}])
    bulk(svc, [it])
    bulk(svc, [dict(it, close_date="2028-01-31")])
    bulk(svc, [dict(it, close_date="2028-01-31",
                    splits=[{"person_id": t["M"]["id"], "percent": 100}])])
    mismatched = db(f"""
        SELECT count(*) FROM (
          (SELECT d.id, p, d.close_date FROM deals d, unnest(d.split_person_ids) p WHERE d.org_id = '{org}'
           EXCEPT SELECT deal_id, person_id, close_date FROM deal_splits WHERE org_id = '{org}')
          UNION ALL
          (SELECT deal_id, person_id, close_date FROM deal_splits WHERE org_id = '{org}'
           EXCEPT SELECT d.id, p, d.close_date FROM deals d, unnest(d.split_person_ids) p
           WHERE d.org_id = '{org}')) x""")
    assert mismatched == "0"
    d = by_ext(svc, it["external_id"])
    assert db(f"SELECT person_id || '|' || close_date FROM deal_splits WHERE org_id = '{org}'"
              f" AND deal_id = {d['id']}") == f"{t['M']['id']}|2028-01-31"
