"""/v1/quotas: create/read/change/replace/delete, validation, periods, ramp, filters, CSV,
the audit trail, and who may read and write which quota."""

import pytest

from conftest import psql
from contract import ok, parse_csv, problem
from quota_support import (MISSING, build_tree, mk_person, mk_quota, mk_team, person, ref, team,
                           uid)

QUOTA_FIELDS = {"id", "assignee", "period", "grain", "period_start", "period_end", "metric", "filter",
                "amount", "effective_amount", "ramp_factor_pct", "notes", "version", "created_at",
                "updated_at"}


@pytest.fixture(scope="module")
def t(admin, client, tokens, org, other_org):
    return build_tree(admin, client, tokens, org, other_org)


@pytest.fixture(scope="module")
def db(database):
    return lambda sql: psql(database, sql)


def count_quotas(db, org):
    return int(db(f"SELECT count(*) FROM quotas WHERE org_id = '{org}'"))


# -- create and read ----------------------------------------------------------------------

def test_create_person_quota(admin, t):
    p = mk_person(admin, t["A"]["id"])
    r = admin.post("/v1/quotas", json={"assignee": person(p), "period": "2026-07", "metric": "revenue",
                                       "amount": 12500.55, "notes": "July target"})
    q = ok(r, 201)
    assert set(q) == QUOTA_FIELDS
    assert r.headers["Location"] == f"/v1/quotas/{q['id']}"
    assert r.headers["ETag"] == '"1"'
    assert q["assignee"] == {"type": "person", "id": p["id"]}
    assert (q["period"], q["grain"], q["period_start"], q["period_end"]) == \
        ("2026-07", "month", "2026-07-01", "2026-07-31")
    assert q["metric"] == "revenue" and q["filter"] == {"type": None, "segment": None}
    assert q["amount"] == 12500.55 and q["effective_amount"] == 12500.55
    assert q["ramp_factor_pct"] == 100 and q["notes"] == "July target" and q["version"] == 1
    assert ok(admin.get(r.headers["Location"])) == q


def test_create_team_quota_does_not_ramp(admin, t):
    tm = mk_team(admin, parent_id=t["R"]["id"])
    q = mk_quota(admin, team(tm), "FY2026-Q3", 999999999999.99)
    assert q["amount"] == 999999999999.99 and q["effective_amount"] == 999999999999.99
    assert q["ramp_factor_pct"] is None
    assert (q["grain"], q["period_start"], q["period_end"]) == ("quarter", "2026-07-01", "2026-09-30")


def test_fiscal_periods_follow_the_org(scratch_admin):
    ok(scratch_admin.patch("/v1/org", json={"fiscal_year_start_month": 2}))
    p = mk_person(scratch_admin)
    y = mk_quota(scratch_admin, person(p), "FY2026", 100)
    assert (y["grain"], y["period_start"], y["period_end"]) == ("year", "2025-02-01", "2026-01-31")
    q = mk_quota(scratch_admin, person(p), "FY2026-Q1", 100)
    assert (q["period_start"], q["period_end"]) == ("2025-02-01", "2025-04-30")
    m = mk_quota(scratch_admin, person(p), "2026-01", 100)
    assert (m["grain"], m["period_start"], m["period_end"]) == ("month", "2026-01-01", "2026-01-31")
    # the list's period filter reads the id with the same calendar
    got = ok(scratch_admin.get("/v1/quotas", params={"period": "FY2026-Q1"}))["items"]
    assert [x["id"] for x in got] == [q["id"]]


def test_deal_count_quota_and_filters(admin, t):
    p = mk_person(admin, t["A"]["id"])
    plain = mk_quota(admin, person(p), "FY2026", 20, metric="deal_count")
    assert plain["amount"] == 20 and plain["metric"] == "deal_count"
    nb = mk_quota(admin, person(p), "FY2026", 10, metric="deal_count", filter={"type": "new_business"})
    assert nb["filter"] == {"type": "new_business", "segment": None}
    b2c = mk_quota(admin, person(p), "FY2026", 5, metric="deal_count", filter={"segment": "b2c"})
    assert b2c["filter"] == {"type": None, "segment": "b2c"}
    both = mk_quota(admin, person(p), "FY2026", 1000.5, filter={"type": "renewal", "segment": "b2b"})
    assert both["filter"] == {"type": "renewal", "segment": "b2b"}
    # a null filter is no filter
    rev = mk_quota(admin, person(p), "FY2026", 1, filter=None)
    assert rev["filter"] == {"type": None, "segment": None}


def test_one_quota_per_assignee_period_metric_and_filter(admin, t, db, org):
    p = mk_person(admin, t["A"]["id"])
    mk_quota(admin, person(p), "FY2026-Q2", 100)
    before = count_quotas(db, org)
    problem(admin.post("/v1/quotas", json={"assignee": person(p), "period": "FY2026-Q2",
                                           "metric": "revenue", "amount": 5}), 409, "assignee")
    # an explicitly empty filter is the same filter
    problem(admin.post("/v1/quotas", json={"assignee": person(p), "period": "FY2026-Q2",
                                           "metric": "revenue", "amount": 5, "filter": {}}), 409,
            "assignee")
    assert count_quotas(db, org) == before
    mk_quota(admin, person(p), "FY2026-Q2", 100, metric="deal_count")
    mk_quota(admin, person(p), "FY2026-Q2", 100, filter={"segment": "b2b"})
    mk_quota(admin, person(p), "FY2026-Q3", 100)


# -- bad input -------------------------------------------------------------------------------

def bad_cases(t):
    rep = person(t["rep"])
    return [
        ({"assignee": None}, "assignee"),
        ({"assignee": "person:1"}, "assignee"),
        ({"assignee": {"type": "robot", "id": t["rep"]["id"]}}, "assignee.type"),
        ({"assignee": {"type": "person"}}, "assignee.id"),
        ({"assignee": {"type": "person", "id": 5}}, "assignee.id"),
        ({"assignee": {"type": "person", "id": t["rep"]["id"], "x": 1}}, "assignee.x"),
        ({"assignee": {"type": "person", "id": MISSING}}, "assignee"),
        ({"assignee": {"type": "team", "id": MISSING}}, "assignee"),
        ({"assignee": {"type": "person", "id": t["A"]["id"] + "0" * 8}}, "assignee"),
        ({"period": None}, "period"),
        ({"period": "2026-7"}, "period"),
        ({"period": "2026-13"}, "period"),
        ({"period": "FY2026-Q5"}, "period"),
        ({"period": "FY26"}, "period"),
        ({"period": "fy2026"}, "period"),
        ({"period": "2026"}, "period"),
        ({"period": "1899-12"}, "period"),
        ({"period": 202607}, "period"),
        ({"metric": "margin"}, "metric"),
        ({"metric": None}, "metric"),
        ({"amount": None}, "amount"),
        ({"amount": -1}, "amount"),
        ({"amount": 1.005}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": 1e15}, "amount"),
        ({"amount": True}, "amount"),
        ({"metric": "deal_count", "amount": 2.5}, "amount"),
        ({"filter": "new_business"}, "filter"),
        ({"filter": {"type": "expansion"}}, "filter.type"),
        ({"filter": {"segment": "b2g"}}, "filter.segment"),
        ({"filter": {"stage": "x"}}, "filter.stage"),
        ({"notes": 5}, "notes"),
        ({"notes": "x" * 2001}, "notes"),
        ({"version": 2}, "version"),
        ({"colour": "red"}, "colour"),
    ], rep


def test_bad_create_names_the_field_and_writes_nothing(admin, t, db, org):
    cases, rep = bad_cases(t)
    before = count_quotas(db, org)
    for patch, field in cases:
        body = {"assignee": rep, "period": "FY2026", "metric": "revenue", "amount": 100, **patch}
        problem(admin.post("/v1/quotas", json=body), 400, field)
    for missing in ("assignee", "period", "metric", "amount"):
        body = {"assignee": rep, "period": "FY2026", "metric": "revenue", "amount": 100}
        del body[missing]
        problem(admin.post("/v1/quotas", json=body), 400, missing)
    # a number that is not finite is not JSON: the body is refused as a whole
    r = admin.post("/v1/quotas", data='{"assignee": {"type": "person", "id": "1"}, "period": "FY2026",'
                                      ' "metric": "revenue", "amount": NaN}',
                   headers={"Content-Type": "application/json"})
    problem(r, 400, "body")
    r = admin.post("/v1/quotas", data='{"assignee": {"type": "person", "id": "1"}, "period": "FY2026",'
                                      ' "metric": "revenue", "amount": 1e400}',
                   headers={"Content-Type": "application/json"})
    problem(r, 400)
    problem(admin.post("/v1/quotas", data="[]", headers={"Content-Type": "application/json"}), 400, "body")
    problem(admin.post("/v1/quotas", data="x", headers={"Content-Type": "text/plain"}), 415)
    assert count_quotas(db, org) == before


def test_bad_patch_writes_nothing(admin, t):
    q = mk_quota(admin, person(mk_person(admin, t["A"]["id"])), "FY2026", 100)
    cases, _ = bad_cases(t)
    for patch, field in cases:
        problem(admin.patch(f"/v1/quotas/{q['id']}", json=patch), 400, field)
    problem(admin.patch(f"/v1/quotas/{q['id']}", json={"metric": "deal_count", "amount": 1.5}), 400, "amount")
    # an existing fractional amount cannot become a deal count
    frac = mk_quota(admin, person(mk_person(admin, t["A"]["id"])), "FY2026", 10.5)
    problem(admin.patch(f"/v1/quotas/{frac['id']}", json={"metric": "deal_count"}), 400, "amount")
    assert ok(admin.get(f"/v1/quotas/{q['id']}")) == q


def test_bad_query(admin):
    for params, field in [({"assignee": "person"}, "assignee"), ({"assignee": "user:1"}, "assignee"),
                          ({"assignee": "person:abc"}, "assignee"), ({"period": "2026-00"}, "period"),
                          ({"metric": "x"}, "metric"), ({"team_id": "x"}, "team_id"),
                          ({"limit": 0}, "limit"), ({"cursor": "!!"}, "cursor"), ({"colour": "red"}, "colour")]:
        problem(admin.get("/v1/quotas", params=params), 400, field)


def test_unknown_quota_is_404(admin):
    for path in (f"/v1/quotas/{MISSING}", "/v1/quotas/abc", "/v1/quotas/0", f"/v1/quotas/{MISSING}/history"):
        problem(admin.get(path), 404)
    problem(admin.patch(f"/v1/quotas/{MISSING}", json={"amount": 1}), 404)
    problem(admin.put(f"/v1/quotas/{MISSING}", json={"assignee": {"type": "team", "id": "1"},
                                                      "period": "FY2026", "metric": "revenue", "amount": 1}), 404)
    problem(admin.delete(f"/v1/quotas/{MISSING}"), 404)


# -- change, replace, delete -------------------------------------------------------------------

def test_patch_put_if_match_and_delete(admin, t):
    p = mk_person(admin, t["A"]["id"])
    q = mk_quota(admin, person(p), "FY2026", 100, notes="first")
    r = admin.patch(f"/v1/quotas/{q['id']}", json={"amount": 150.25, "filter": {"type": "upsell"}},
                    headers={"If-Match": '"1"'})
    q2 = ok(r)
    assert r.headers["ETag"] == '"2"'
    assert q2["amount"] == 150.25 and q2["version"] == 2 and q2["notes"] == "first"
    assert q2["filter"] == {"type": "upsell", "segment": None}
    assert q2["created_at"] == q["created_at"]
    # stale If-Match: 412 for PATCH, PUT and DELETE, nothing written
    problem(admin.patch(f"/v1/quotas/{q['id']}", json={"amount": 1}, headers={"If-Match": '"1"'}), 412)
    full = {"assignee": person(p), "period": "FY2026-Q1", "metric": "revenue", "amount": 80}
    problem(admin.put(f"/v1/quotas/{q['id']}", json=full, headers={"If-Match": '"1"'}), 412)
    problem(admin.put(f"/v1/quotas/{q['id']}", json=full, headers={"If-Match": "garbage"}), 412)
    problem(admin.delete(f"/v1/quotas/{q['id']}", headers={"If-Match": '"1"'}), 412)
    assert ok(admin.get(f"/v1/quotas/{q['id']}")) == q2
    # PUT replaces everything: absent filter and notes become none
    q3 = ok(admin.put(f"/v1/quotas/{q['id']}", json=full, headers={"If-Match": '"2"'}))
    assert (q3["period"], q3["amount"], q3["notes"], q3["version"]) == ("FY2026-Q1", 80, None, 3)
    assert q3["filter"] == {"type": None, "segment": None}
    # PUT needs the whole quota
    problem(admin.put(f"/v1/quotas/{q['id']}", json={"amount": 5}), 400, "assignee")
    # null clears notes and filter in a PATCH
    q4 = ok(admin.patch(f"/v1/quotas/{q['id']}", json={"notes": "x", "filter": {"segment": "b2c"}}))
    q5 = ok(admin.patch(f"/v1/quotas/{q['id']}", json={"notes": None, "filter": None}, headers={"If-Match": "*"}))
    assert q4["notes"] == "x" and q5["notes"] is None and q5["filter"]["segment"] is None
    # moving onto an existing key is a conflict
    other = mk_quota(admin, person(p), "FY2026-Q2", 1)
    problem(admin.patch(f"/v1/quotas/{other['id']}", json={"period": "FY2026-Q1"}), 409, "assignee")
    r = admin.delete(f"/v1/quotas/{q['id']}", headers={"If-Match": f'"{q5["version"]}"'})
    assert r.status_code == 204 and not r.content
    problem(admin.get(f"/v1/quotas/{q['id']}"), 404)
    problem(admin.delete(f"/v1/quotas/{q['id']}"), 404)


def test_a_person_with_quotas_cannot_be_deleted(admin, t):
    p = mk_person(admin, t["A"]["id"])
    q = mk_quota(admin, person(p), "FY2026", 1)
    problem(admin.delete(f"/v1/people/{p['id']}"), 409)
    ok(admin.delete(f"/v1/quotas/{q['id']}"), 204)
    ok(admin.delete(f"/v1/people/{p['id']}"), 204)


def test_idempotent_create(admin, t):
    p = mk_person(admin, t["A"]["id"])
    body = {"assignee": person(p), "period": "FY2027", "metric": "revenue", "amount": 10}
    key = "quota-" + uid()
    first = admin.post("/v1/quotas", json=body, headers={"Idempotency-Key": key})
    again = admin.post("/v1/quotas", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json() and again.headers["Location"] == first.headers["Location"]
    items = ok(admin.get("/v1/quotas", params={"assignee": ref(person(p))}))["items"]
    assert len(items) == 1


# -- ramp ----------------------------------------------------------------------------------

def test_ramped_effective_amount(scratch_admin):
    ok(scratch_admin.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))
    p = mk_person(scratch_admin, hired_on="2026-03-10", ramp_months=3)
    cases = [("2026-02", 0), ("2026-03", 25), ("2026-04", 50), ("2026-05", 75), ("2026-06", 100),
             ("FY2026-Q2", 75), ("FY2026-Q1", 8.33)]
    for period, pct in cases:
        q = mk_quota(scratch_admin, person(p), period, 1200)
        assert q["ramp_factor_pct"] == pct, period
        assert q["effective_amount"] == round(1200 * pct / 100, 2), period
    # the year: (0 + 0 + 25 + 50 + 75 + 7 × 100) / 12 = 70.83 %
    y = mk_quota(scratch_admin, person(p), "FY2026", 120000)
    assert y["ramp_factor_pct"] == 70.83 and y["effective_amount"] == 84996
    # a person without hire date is fully ramped; a change of the curve shows at once
    ok(scratch_admin.patch("/v1/org", json={"ramp_curve": [10]}))
    q = ok(scratch_admin.get(f"/v1/quotas/{y['id']}"))
    assert q["ramp_factor_pct"] == 60.83  # (0 + 0 + 10 + 10 + 10 + 7 × 100) / 12
    nohire = mk_person(scratch_admin, ramp_months=3)
    assert mk_quota(scratch_admin, person(nohire), "2026-03", 10)["ramp_factor_pct"] == 100


# -- lists ---------------------------------------------------------------------------------------

def test_list_filters_pages_and_csv(admin, t):
    tm = mk_team(admin, parent_id=t["R"]["id"])
    sub = mk_team(admin, parent_id=tm["id"])
    p1 = mk_person(admin, tm["id"])
    p2 = mk_person(admin, sub["id"])
    outside = mk_person(admin, t["B"]["id"])
    made = [mk_quota(admin, team(tm), "FY2026", 10), mk_quota(admin, team(sub), "FY2026", 10),
            mk_quota(admin, person(p1), "FY2026", 10), mk_quota(admin, person(p2), "FY2026-Q1", 10),
            mk_quota(admin, person(p2), "FY2026", 3, metric="deal_count")]
    mk_quota(admin, person(outside), "FY2026", 10)
    ids = lambda items: [x["id"] for x in items]  # noqa: E731
    got = ok(admin.get("/v1/quotas", params={"team_id": tm["id"], "limit": 1000}))["items"]
    assert ids(got) == [q["id"] for q in made]
    got = ok(admin.get("/v1/quotas", params={"team_id": sub["id"], "period": "FY2026"}))["items"]
    assert ids(got) == [made[1]["id"], made[4]["id"]]
    got = ok(admin.get("/v1/quotas", params={"assignee": ref(person(p2))}))["items"]
    assert ids(got) == [made[3]["id"], made[4]["id"]]
    got = ok(admin.get("/v1/quotas", params={"assignee": ref(team(tm)), "metric": "revenue"}))["items"]
    assert ids(got) == [made[0]["id"]]
    got = ok(admin.get("/v1/quotas", params={"team_id": tm["id"], "metric": "deal_count"}))["items"]
    assert ids(got) == [made[4]["id"]]
    # pages
    seen, cursor = [], None
    while True:
        params = {"team_id": tm["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = ok(admin.get("/v1/quotas", params=params))
        seen += ids(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [q["id"] for q in made]
    # CSV
    r = admin.get("/v1/quotas", params={"team_id": tm["id"], "limit": 2}, headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert header[:3] == ["id", "assignee", "period"]
    assert [row["id"] for row in rows] == [made[0]["id"], made[1]["id"]]
    assert rows[0]["filter"] == '{"type":null,"segment":null}'
    assert r.headers["X-Next-Cursor"]


# -- the audit trail ----------------------------------------------------------------------------

def test_history_records_every_change_and_outlives_the_quota(admin, t, db, org):
    p = mk_person(admin, t["A"]["id"])
    q = mk_quota(admin, person(p), "FY2026", 100)
    ok(admin.patch(f"/v1/quotas/{q['id']}", json={"amount": 200}))
    ok(admin.delete(f"/v1/quotas/{q['id']}"), 204)
    items = ok(admin.get(f"/v1/quotas/{q['id']}/history"))["items"]
    assert [i["action"] for i in items] == ["created", "changed", "deleted"]
    assert {i["source"] for i in items} == {"api"}
    assert {i["sub"] for i in items} == {"admin-" + org}
    assert items[0]["before"] is None and items[0]["after"]["amount"] == 100
    assert items[1]["before"]["amount"] == 100 and items[1]["after"]["amount"] == 200
    assert items[1]["after"]["version"] == 2
    assert items[2]["before"]["amount"] == 200 and items[2]["after"] is None
    assert all(i["quota_id"] == q["id"] for i in items)
    # pages and CSV
    page = ok(admin.get(f"/v1/quotas/{q['id']}/history", params={"limit": 2}))
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = ok(admin.get(f"/v1/quotas/{q['id']}/history", params={"cursor": page["next_cursor"]}))
    assert [i["action"] for i in rest["items"]] == ["deleted"] and rest["next_cursor"] is None
    header, rows = parse_csv(admin.get(f"/v1/quotas/{q['id']}/history", headers={"Accept": "text/csv"}))
    assert [r["action"] for r in rows] == ["created", "changed", "deleted"]
    # the database keeps the trail append-only
    for sql in (f"UPDATE quota_history SET sub = 'x' WHERE org_id = '{org}'",
                f"DELETE FROM quota_history WHERE org_id = '{org}'",
                "TRUNCATE quota_history"):
        with pytest.raises(RuntimeError, match="append-only"):
            db(sql)
    # and refuses a quota write that names no author
    with pytest.raises(RuntimeError, match="author"):
        db(f"UPDATE quotas SET amount = amount WHERE org_id = '{org}'")
    assert len(ok(admin.get(f"/v1/quotas/{q['id']}/history"))["items"]) == 3


def test_history_of_a_deleted_quota_by_role(admin, t):
    q = mk_quota(admin, person(mk_person(admin, t["A"]["id"])), "FY2026", 100)
    ok(admin.delete(f"/v1/quotas/{q['id']}"), 204)
    for role in ("admin", "exec", "service", "manager"):
        assert len(ok(t["as"][role].get(f"/v1/quotas/{q['id']}/history"))["items"]) == 2, role
    for role in ("manager2", "rep", "other_org"):
        problem(t["as"][role].get(f"/v1/quotas/{q['id']}/history"), 404)


# -- roles -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def quotas(admin, t):
    """One quota per assignee of the tree."""
    out = {}
    for k in ("MR", "M", "M2", "rep", "rep_b", "rep_a1", "rep2"):
        out[k] = mk_quota(admin, person(t[k]), "FY2030", 100)
    for k in ("R", "A", "B", "A1"):
        out[k] = mk_quota(admin, team(t[k]), "FY2030", 100)
    return out


READS = {
    "admin": {"MR", "M", "M2", "rep", "rep_b", "rep_a1", "rep2", "R", "A", "B", "A1"},
    "exec": {"MR", "M", "M2", "rep", "rep_b", "rep_a1", "rep2", "R", "A", "B", "A1"},
    "service": {"MR", "M", "M2", "rep", "rep_b", "rep_a1", "rep2", "R", "A", "B", "A1"},
    "manager": {"M", "rep", "rep_b", "rep_a1", "A", "A1"},
    "manager_r": {"MR", "M", "M2", "rep", "rep_b", "rep_a1", "rep2", "R", "A", "B", "A1"},
    "manager2": {"M2", "rep2", "B"},
    "rep": {"rep"},
    "rep2": {"rep2"},
    "other_org": set(),
}
WRITES = {
    "admin": READS["admin"],
    "manager": {"rep", "rep_b", "rep_a1", "A1"},
    "manager_r": {"M", "M2", "rep", "rep_b", "rep_a1", "rep2", "A", "B", "A1"},
    "manager2": {"rep2"},
}


@pytest.mark.parametrize("role", sorted(READS))
def test_read_scope(t, quotas, role):
    api = t["as"][role]
    for k, q in quotas.items():
        r = api.get(f"/v1/quotas/{q['id']}")
        if k in READS[role]:
            assert ok(r)["id"] == q["id"], (role, k)
        else:
            problem(r, 404)
    listed = {x["id"] for x in ok(api.get("/v1/quotas", params={"period": "FY2030", "limit": 1000}))["items"]}
    assert listed == {quotas[k]["id"] for k in READS[role]}


@pytest.mark.parametrize("role", sorted(READS))
def test_write_scope(t, quotas, role):
    api = t["as"][role]
    writes = WRITES.get(role, set())
    for k, q in quotas.items():
        current = ok(t["as"]["admin"].get(f"/v1/quotas/{q['id']}"))
        r = api.patch(f"/v1/quotas/{q['id']}", json={"notes": "by " + role})
        if k in writes:
            assert ok(r)["notes"] == "by " + role
        elif role in ("exec", "service", "rep", "rep2"):
            problem(r, 403)  # these roles never write quotas
        elif k in READS[role]:
            problem(r, 403)  # readable, not theirs to change (own quota, a team they manage)
        else:
            problem(r, 404)
        if k not in writes:
            assert ok(t["as"]["admin"].get(f"/v1/quotas/{q['id']}")) == current


@pytest.mark.parametrize("role", sorted(READS))
def test_create_scope(admin, t, role, db, org):
    api = t["as"][role]
    writes = WRITES.get(role, set())
    for k in ("MR", "M", "M2", "rep", "rep_a1", "rep2", "R", "A", "B", "A1"):
        a = team(t[k]) if k in ("R", "A", "B", "A1") else person(t[k])
        period = "FY2031-Q1"
        before = count_quotas(db, org)
        r = api.post("/v1/quotas", json={"assignee": a, "period": period, "metric": "revenue", "amount": 1,
                                         "notes": role})
        if k in writes:
            q = ok(r, 201)
            ok(admin.delete(f"/v1/quotas/{q['id']}"), 204)
        elif role == "other_org":
            problem(r, 400, "assignee")  # no such person or team in that org
        else:
            problem(r, 403)
            assert count_quotas(db, org) == before


def test_manager_cannot_move_a_quota_out_of_scope(t, quotas):
    mgr = t["as"]["manager"]
    q = mk_quota(t["as"]["admin"], person(t["rep_b"]), "FY2032", 5)
    problem(mgr.patch(f"/v1/quotas/{q['id']}", json={"assignee": person(t["rep2"])}), 403)
    problem(mgr.patch(f"/v1/quotas/{q['id']}", json={"assignee": person(t["M"])}), 403)
    problem(mgr.patch(f"/v1/quotas/{q['id']}", json={"assignee": {"type": "person", "id": MISSING}}), 400,
            "assignee")
    moved = ok(mgr.patch(f"/v1/quotas/{q['id']}", json={"assignee": person(t["rep_a1"])}))
    assert moved["assignee"] == person(t["rep_a1"])
    ok(mgr.delete(f"/v1/quotas/{q['id']}"), 204)
    problem(mgr.delete(f"/v1/quotas/{quotas['M']['id']}"), 403)
    problem(mgr.delete(f"/v1/quotas/{quotas['rep2']['id']}"), 404)


def test_other_org_sees_nothing(t, quotas):
    other = t["as"]["other_org"]
    q = quotas["rep"]
    problem(other.get(f"/v1/quotas/{q['id']}"), 404)
    problem(other.patch(f"/v1/quotas/{q['id']}", json={"amount": 1}), 404)
    problem(other.delete(f"/v1/quotas/{q['id']}"), 404)
    problem(other.get(f"/v1/quotas/{q['id']}/history"), 404)
    assert ok(other.get("/v1/quotas"))["items"] == []
