"""/v1/leads: create/read/update/delete, scoring on every write, validation, scope by role,
filters, CSV, the bulk CRM sync (JSON array and NDJSON, atomic), conversion into a deal,
the funnel, and scoring without storing."""

import datetime
import json
import uuid

import pytest

from contract import ok, parse_csv, problem

LEAD_FIELDS = {"id", "external_id", "company", "contact_name", "email", "segment", "source", "budget",
               "authority", "need", "timeline", "employees", "industry", "engagement", "attributes",
               "owner_id", "status", "converted_deal_id", "score", "grade", "probability",
               "suggested_status", "bant", "score_breakdown", "forced_conversion", "version", "created_at",
               "updated_at"}
MISSING = "999999999999"


def uid():
    return uuid.uuid4().hex[:10]


def days(n):
    return (datetime.date.today() + datetime.timedelta(days=n)).isoformat()


def mk_team(api, **fields):
    return ok(api.post("/v1/teams", json={"name": "team " + uid(), **fields}), 201)


def mk_person(api, team_id=None, **fields):
    u = uid()
    body = {"name": "person " + u, "email": f"{u}@example.com", **fields}
    if team_id is not None:
        body["team_id"] = team_id
    return ok(api.post("/v1/people", json=body), 201)


def mk_lead(api, **fields):
    return ok(api.post("/v1/leads", json={"company": "co " + uid(), **fields}), 201)


def all_leads(api, **params):
    out, cursor = [], None
    while True:
        p = {"limit": 1000, **params}
        if cursor:
            p["cursor"] = cursor
        page = ok(api.get("/v1/leads", params=p))
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def ids(leads):
    return {x["id"] for x in leads}


def parts_sum(breakdown):
    s = sum(r["points"] for r in breakdown["rules"])
    if breakdown["predicted"] is not None:
        s += breakdown["predicted"]["points"]
    return round(s, 2)


def assert_explained(lead):
    """The score is the sum of its parts, and the grade follows the score."""
    assert parts_sum(lead["score_breakdown"]) == lead["score"], lead
    g = lead["score"]
    assert lead["grade"] == ("A" if g >= 80 else "B" if g >= 60 else "C" if g >= 40 else "D")


@pytest.fixture(scope="module")
def tree(admin, client, tokens, org, other_org):
    """
    R ─┬─ A (managed by M) ── A1 (rep; rep_b2c of segment b2c)
       └─ B (managed by M2, member rep2)
    """
    r = mk_team(admin)
    a = mk_team(admin, parent_id=r["id"])
    b = mk_team(admin, parent_id=r["id"])
    a1 = mk_team(admin, parent_id=a["id"])
    m = mk_person(admin, a["id"])
    m2 = mk_person(admin, b["id"])
    rep = mk_person(admin, a1["id"], segment="b2b")
    rep_b2c = mk_person(admin, a1["id"], segment="b2c")
    rep2 = mk_person(admin, b["id"])
    ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    ok(admin.patch(f"/v1/teams/{b['id']}", json={"manager_id": m2["id"]}))
    roles = {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "service": client(tokens.token(org, ["service"], sub="crm-sync")),
        "manager": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "manager2": client(tokens.token(org, ["manager"], person_id=m2["id"])),
        "rep": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "rep2": client(tokens.token(org, ["rep"], person_id=rep2["id"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }
    return {"A": a, "B": b, "A1": a1, "M": m, "M2": m2, "rep": rep, "rep_b2c": rep_b2c,
            "rep2": rep2, "as": roles}


# -- create and read ------------------------------------------------------------------------

def test_create_minimal_is_scored(admin):
    r = admin.post("/v1/leads", json={})
    lead = ok(r, 201)
    assert set(lead) == LEAD_FIELDS
    assert r.headers["Location"] == f"/v1/leads/{lead['id']}"
    assert r.headers["ETag"] == '"1"'
    assert lead["segment"] == "b2b" and lead["status"] == "new" and lead["attributes"] == {}
    assert lead["score"] == 0 and lead["grade"] == "D" and lead["probability"] is None
    assert lead["suggested_status"] == "disqualified"
    assert lead["bant"] == {"budget": "unknown", "authority": "unknown", "need": "unknown",
                            "timeline": "unknown", "passes": False}
    assert lead["score_breakdown"] == {"fit": 0, "fit_coverage": 0, "rules": [], "predicted": None}
    got = admin.get(f"/v1/leads/{lead['id']}")
    assert ok(got) == lead and got.headers["ETag"] == '"1"'


def test_create_with_every_field(admin, tree):
    body = {"external_id": "crm-" + uid(), "company": "Zoë Ünïcode GmbH", "contact_name": "Ann Lee",
            "email": "ann@acme.example", "segment": "b2b", "source": "webinar", "budget": 30000.55,
            "authority": "decision_maker", "need": "high", "timeline": days(45), "employees": 120,
            "industry": "software", "engagement": 60,
            "attributes": {"plan": "pro", "seats": 20, "ratio": 0.25, "trial": True},
            "owner_id": tree["rep"]["id"], "status": "qualified"}
    lead = mk_lead(admin, **body)
    for k, v in body.items():
        assert lead[k] == v, k
    # default b2b model: budget 10+10 (>= 5k, >= 25k), decision maker 25, need high 20,
    # timeline within 90 days 10 (+5 within 180, capped at 10), employees >= 50: 5, engagement >= 50: 5
    assert lead["score"] == 85 and lead["grade"] == "A"
    assert lead["bant"] == {"budget": "yes", "authority": "yes", "need": "yes", "timeline": "yes",
                            "passes": True}
    assert lead["suggested_status"] == "qualified"
    assert_explained(lead)
    rules = {r["rule_id"]: r for r in lead["score_breakdown"]["rules"]}
    assert rules["timeline_90d"]["raw_points"] == 10 and rules["timeline_180d"]["raw_points"] == 5
    assert round(rules["timeline_90d"]["points"] + rules["timeline_180d"]["points"], 2) == 10  # the cap
    assert rules["authority_decision_maker"]["group"] == "authority"
    assert ok(admin.get(f"/v1/leads/{lead['id']}")) == lead


def test_segment_defaults_to_the_owners(admin, tree):
    assert mk_lead(admin, owner_id=tree["rep_b2c"]["id"])["segment"] == "b2c"
    assert mk_lead(admin, owner_id=tree["rep_b2c"]["id"], segment="b2b")["segment"] == "b2b"
    assert mk_lead(admin, owner_id=tree["M"]["id"])["segment"] == "b2b"  # no segment: b2b


def test_bant_gate_keeps_a_high_score_in_nurture(admin):
    # economic buyer 30, need high 20, timeline 10 (capped), employees 5, engagement 5: 70 without budget
    lead = mk_lead(admin, authority="economic_buyer", need="high", timeline=days(10), employees=60,
                   engagement=90, budget=None)
    assert lead["score"] == 70
    assert lead["bant"]["budget"] == "unknown" and lead["bant"]["passes"] is False
    assert lead["suggested_status"] == "nurture"  # 70 reaches "qualified", the gate does not pass
    lead = ok(admin.patch(f"/v1/leads/{lead['id']}", json={"budget": 200000}))
    assert lead["score"] == 100 and lead["suggested_status"] == "qualified" and lead["bant"]["passes"]
    assert_explained(lead)


def test_get_unknown_is_404(admin):
    problem(admin.get(f"/v1/leads/{MISSING}"), 404)
    problem(admin.get("/v1/leads/abc"), 404)


INVALID = [
    ({"colour": "red"}, "colour"),
    ({"score": 50}, "score"),
    ({"grade": "A"}, "grade"),
    ({"company": ""}, "company"),
    ({"company": 5}, "company"),
    ({"company": "x" * 201}, "company"),
    ({"email": "nope"}, "email"),
    ({"email": 3}, "email"),
    ({"segment": "enterprise"}, "segment"),
    ({"segment": "B2B"}, "segment"),
    ({"budget": -1}, "budget"),
    ({"budget": 10.001}, "budget"),
    ({"budget": "100"}, "budget"),
    ({"budget": 1e15}, "budget"),
    ({"authority": "ceo"}, "authority"),
    ({"authority": 1}, "authority"),
    ({"need": "urgent"}, "need"),
    ({"timeline": "2026-02-30"}, "timeline"),
    ({"timeline": "soon"}, "timeline"),
    ({"employees": -1}, "employees"),
    ({"employees": 1.5}, "employees"),
    ({"employees": "10"}, "employees"),
    ({"engagement": 101}, "engagement"),
    ({"engagement": -1}, "engagement"),
    ({"attributes": []}, "attributes"),
    ({"attributes": "x"}, "attributes"),
    ({"attributes": {"a": {"b": 1}}}, "attributes.a"),
    ({"attributes": {"a": [1, 2]}}, "attributes.a"),
    ({"attributes": {"a": None}}, "attributes.a"),
    ({"attributes": {"a": "x" * 1001}}, "attributes.a"),
    ({"attributes": {f"k{i}": i for i in range(101)}}, "attributes"),
    ({"attributes": {"k" * 101: 1}}, "attributes." + "k" * 100),
    ({"owner_id": 7}, "owner_id"),
    ({"owner_id": "x"}, "owner_id"),
    ({"owner_id": MISSING}, "owner_id"),
    ({"status": "won"}, "status"),
    ({"status": None}, "status"),
    ({"converted_deal_id": MISSING, "status": "converted"}, "converted_deal_id"),
    ({"converted_deal_id": "1"}, "converted_deal_id"),
    ({"external_id": ""}, "external_id"),
]


@pytest.mark.parametrize("body,field", INVALID, ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID)])
def test_invalid_create_names_the_field_and_writes_nothing(scratch_admin, body, field):
    mk_lead(scratch_admin)
    before = all_leads(scratch_admin)
    problem(scratch_admin.post("/v1/leads", json=body), 400, field)
    assert all_leads(scratch_admin) == before


def test_malformed_bodies(admin):
    problem(admin.post("/v1/leads", data="{", headers={"Content-Type": "application/json"}), 400, "body")
    problem(admin.post("/v1/leads", data="[]", headers={"Content-Type": "application/json"}), 400, "body")
    problem(admin.post("/v1/leads", data='{"company":"a","company":"b"}',
                       headers={"Content-Type": "application/json"}), 400, "company")
    problem(admin.post("/v1/leads", data="{}", headers={"Content-Type": "text/plain"}), 415)


def test_duplicate_external_id_is_409(admin):
    lead = mk_lead(admin, external_id="dup-" + uid())
    before = all_leads(admin)
    problem(admin.post("/v1/leads", json={"external_id": lead["external_id"]}), 409, "external_id")
    assert all_leads(admin) == before


def test_idempotency_key_replays(admin):
    key = "lead-" + uid()
    body = {"company": "idem " + uid()}
    first = admin.post("/v1/leads", json=body, headers={"Idempotency-Key": key})
    lead = ok(first, 201)
    again = admin.post("/v1/leads", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == lead and again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert len([x for x in all_leads(admin) if x["company"] == body["company"]]) == 1
    problem(admin.post("/v1/leads", json={"company": "other"}, headers={"Idempotency-Key": key}), 422)


# -- update and delete ------------------------------------------------------------------------

def test_patch_rescores(admin):
    lead = mk_lead(admin, budget=1000)
    assert lead["score"] == 0 and lead["bant"]["budget"] == "no"
    r = admin.patch(f"/v1/leads/{lead['id']}", json={"budget": 30000, "authority": "economic_buyer",
                                                     "attributes": {"x": 1}})
    u = ok(r)
    assert u["score"] == 50 and u["version"] == 2 and r.headers["ETag"] == '"2"'
    assert u["bant"]["budget"] == "yes" and u["bant"]["authority"] == "yes"
    assert u["company"] == lead["company"] and u["created_at"] == lead["created_at"]
    assert u["attributes"] == {"x": 1}
    assert_explained(u)
    u = ok(admin.patch(f"/v1/leads/{lead['id']}", json={"budget": None, "attributes": None,
                                                        "company": None}))
    assert u["budget"] is None and u["attributes"] == {} and u["company"] is None
    assert u["score"] == 30 and u["version"] == 3
    assert ok(admin.get(f"/v1/leads/{lead['id']}")) == u


INVALID_PATCH = [
    ({"segment": None}, "segment"),
    ({"status": None}, "status"),
    ({"status": "lost"}, "status"),
    ({"budget": -5}, "budget"),
    ({"attributes": {"a": {}}}, "attributes.a"),
    ({"owner_id": MISSING}, "owner_id"),
    ({"converted_deal_id": MISSING, "status": "converted"}, "converted_deal_id"),
    ({"id": "5"}, "id"),
    ({"version": 3}, "version"),
]


@pytest.mark.parametrize("body,field", INVALID_PATCH,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_PATCH)])
def test_invalid_patch_writes_nothing(admin, body, field):
    lead = mk_lead(admin, budget=100)
    problem(admin.patch(f"/v1/leads/{lead['id']}", json=body), 400, field)
    assert ok(admin.get(f"/v1/leads/{lead['id']}")) == lead


def test_if_match(admin):
    lead = mk_lead(admin)
    path = f"/v1/leads/{lead['id']}"
    problem(admin.patch(path, json={"need": "low"}, headers={"If-Match": '"2"'}), 412)
    assert ok(admin.get(path)) == lead
    u = ok(admin.patch(path, json={"need": "low"}, headers={"If-Match": '"1"'}))
    assert u["version"] == 2
    problem(admin.delete(path, headers={"If-Match": '"1"'}), 412)
    assert ok(admin.get(path)) == u
    assert admin.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    problem(admin.get(path), 404)
    problem(admin.delete(path), 404)
    problem(admin.patch(path, json={"need": "low"}), 404)


def test_deleting_an_owner_of_leads_is_409(admin, tree):
    p = mk_person(admin, tree["A1"]["id"])
    lead = mk_lead(admin, owner_id=p["id"])
    problem(admin.delete(f"/v1/people/{p['id']}"), 409)
    assert admin.delete(f"/v1/leads/{lead['id']}").status_code == 204
    assert admin.delete(f"/v1/people/{p['id']}").status_code == 204


# -- lists ---------------------------------------------------------------------------------------

def test_list_filters_and_pages(scratch_admin):
    api = scratch_admin
    owner = mk_person(api, segment="b2c")
    hot = mk_lead(api, segment="b2c", source="ads", timeline=days(5), engagement=90, need="high",
                  owner_id=owner["id"], external_id="hot-" + uid())
    cold = mk_lead(api, segment="b2b", source="fair", status="nurture")
    mid = mk_lead(api, segment="b2b", source="ads", budget=30000, authority="decision_maker")
    assert hot["score"] == 85 and cold["score"] == 0 and mid["score"] == 45
    assert ids(all_leads(api)) == {hot["id"], cold["id"], mid["id"]}
    assert ids(all_leads(api, segment="b2c")) == {hot["id"]}
    assert ids(all_leads(api, source="ads")) == {hot["id"], mid["id"]}
    assert ids(all_leads(api, status="nurture")) == {cold["id"]}
    assert ids(all_leads(api, grade="A")) == {hot["id"]}
    assert ids(all_leads(api, grade="C")) == {mid["id"]}
    assert ids(all_leads(api, owner_id=owner["id"])) == {hot["id"]}
    assert ids(all_leads(api, score_min=45)) == {hot["id"], mid["id"]}
    assert ids(all_leads(api, score_max=45)) == {cold["id"], mid["id"]}
    assert ids(all_leads(api, score_min=1, score_max=50)) == {mid["id"]}
    assert ids(all_leads(api, external_id=hot["external_id"])) == {hot["id"]}
    assert ids(all_leads(api, updated_since="2000-01-01")) == {hot["id"], cold["id"], mid["id"]}
    assert ids(all_leads(api, updated_since="2999-01-01T00:00:00Z")) == set()
    page = ok(api.get("/v1/leads", params={"limit": 2}))
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = ok(api.get("/v1/leads", params={"limit": 2, "cursor": page["next_cursor"]}))
    assert [x["id"] for x in page["items"] + rest["items"]] == sorted(
        [hot["id"], cold["id"], mid["id"]], key=int)
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("params,field", [
    ({"colour": "red"}, "colour"),
    ({"status": "won"}, "status"),
    ({"grade": "E"}, "grade"),
    ({"segment": "b2x"}, "segment"),
    ({"owner_id": "x"}, "owner_id"),
    ({"score_min": "101"}, "score_min"),
    ({"score_max": "-1"}, "score_max"),
    ({"score_min": "50", "score_max": "40"}, "score_max"),
    ({"updated_since": "yesterday"}, "updated_since"),
    ({"updated_since": "2026-01-01T25:00:00Z"}, "updated_since"),
    ({"updated_since": "2026-01-01T00:00:00+23:59"}, "updated_since"),  # PostgreSQL's bound is 15:59
    ({"limit": "0"}, "limit"),
    ({"cursor": "!!"}, "cursor"),
])
def test_list_rejects_bad_query(admin, params, field):
    problem(admin.get("/v1/leads", params=params), 400, field)


def test_list_csv(admin):
    lead = mk_lead(admin, company='Comma, "Quoted"', attributes={"a": 1}, budget=12.5)
    r = admin.get("/v1/leads", params={"external_id": "none-" + uid()}, headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == LEAD_FIELDS and rows == []
    r = admin.get("/v1/leads", params={"limit": 1000}, headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    row = next(x for x in rows if x["id"] == lead["id"])
    assert row["company"] == 'Comma, "Quoted"' and row["budget"] == "12.5"
    assert json.loads(row["attributes"]) == {"a": 1}
    assert json.loads(row["bant"])["budget"] == "no"
    assert row["probability"] == "" and row["score"] == str(lead["score"])


# -- roles and scope -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scoped(tree):
    """One lead owned by each of rep, rep2, M and nobody (created by the admin)."""
    admin = tree["as"]["admin"]
    return {
        "rep": mk_lead(admin, owner_id=tree["rep"]["id"]),
        "rep2": mk_lead(admin, owner_id=tree["rep2"]["id"]),
        "M": mk_lead(admin, owner_id=tree["M"]["id"]),
        "none": mk_lead(admin),
    }


READS = {
    "admin": {"rep", "rep2", "M", "none"},
    "exec": {"rep", "rep2", "M", "none"},
    "service": {"rep", "rep2", "M", "none"},
    "manager": {"rep", "M"},
    "manager2": {"rep2"},
    "rep": {"rep"},
    "rep2": {"rep2"},
    "other_org": set(),
}


@pytest.mark.parametrize("role", sorted(READS))
def test_read_scope(tree, scoped, role):
    api = tree["as"][role]
    mine = {scoped[k]["id"] for k in READS[role]}
    listed = ids(all_leads(api)) & {x["id"] for x in scoped.values()}
    assert listed == mine
    for key, lead in scoped.items():
        r = api.get(f"/v1/leads/{lead['id']}")
        if key in READS[role]:
            assert ok(r)["id"] == lead["id"]
        else:
            problem(r, 404)


WRITES = {  # who may change which lead (exec reads only: 403 by role)
    "admin": {"rep", "rep2", "M", "none"},
    "service": {"rep", "rep2", "M", "none"},
    "manager": {"rep", "M"},
    "manager2": {"rep2"},
    "rep": {"rep"},
    "rep2": {"rep2"},
    "other_org": set(),
}


@pytest.mark.parametrize("role", sorted(WRITES))
def test_write_scope(tree, scoped, role):
    api = tree["as"][role]
    for key, lead in scoped.items():
        r = api.patch(f"/v1/leads/{lead['id']}", json={"industry": "x" + uid()})
        if key in WRITES[role]:
            ok(r)
        else:
            problem(r, 404)


def test_exec_writes_nothing(tree, scoped):
    ex = tree["as"]["exec"]
    problem(ex.post("/v1/leads", json={}), 403)
    problem(ex.patch(f"/v1/leads/{scoped['rep']['id']}", json={"need": "low"}), 403)
    problem(ex.delete(f"/v1/leads/{scoped['rep']['id']}"), 403)
    problem(ex.post(f"/v1/leads/{scoped['rep']['id']}/convert", json={}), 403)
    problem(ex.post("/v1/leads/bulk", json=[]), 403)


def test_rep_creates_own_leads_only(tree):
    rep = tree["as"]["rep"]
    lead = ok(rep.post("/v1/leads", json={"company": "mine"}), 201)
    assert lead["owner_id"] == tree["rep"]["id"] and lead["segment"] == "b2b"
    problem(rep.post("/v1/leads", json={"owner_id": tree["rep2"]["id"]}), 403)
    problem(rep.post("/v1/leads", json={"owner_id": None}), 403)
    problem(rep.patch(f"/v1/leads/{lead['id']}", json={"owner_id": tree["rep2"]["id"]}), 403)
    problem(rep.patch(f"/v1/leads/{lead['id']}", json={"owner_id": None}), 403)
    problem(rep.post("/v1/leads/bulk", json=[]), 403)
    assert rep.delete(f"/v1/leads/{lead['id']}").status_code == 204


def test_manager_assigns_within_the_subtree(tree):
    mgr = tree["as"]["manager"]
    lead = ok(mgr.post("/v1/leads", json={"owner_id": tree["rep"]["id"]}), 201)
    own = ok(mgr.post("/v1/leads", json={}), 201)
    assert own["owner_id"] == tree["M"]["id"]
    problem(mgr.post("/v1/leads", json={"owner_id": tree["rep2"]["id"]}), 403)
    problem(mgr.patch(f"/v1/leads/{lead['id']}", json={"owner_id": tree["rep2"]["id"]}), 403)
    moved = ok(mgr.patch(f"/v1/leads/{lead['id']}", json={"owner_id": tree["rep_b2c"]["id"]}))
    assert moved["owner_id"] == tree["rep_b2c"]["id"] and moved["segment"] == "b2b"  # kept


def test_other_org_sees_nothing(tree, scoped):
    other = tree["as"]["other_org"]
    problem(other.post("/v1/leads", json={"owner_id": tree["rep"]["id"]}), 400, "owner_id")
    assert ids(all_leads(other)) & {x["id"] for x in scoped.values()} == set()


# -- scoring without storing ----------------------------------------------------------------------

def test_score_preview_writes_nothing(scratch_admin):
    api = scratch_admin
    before = all_leads(api)
    r = ok(api.post("/v1/leads/score", json={"segment": "b2c", "engagement": 80, "need": "medium",
                                              "timeline": days(20)}))
    assert set(r) == {"segment", "score", "grade", "probability", "suggested_status", "bant",
                      "score_breakdown", "rules_version", "trained_version"}
    assert r["rules_version"] == ok(api.get("/v1/lead-scoring/models/b2c"))["version"]
    assert r["trained_version"] is None
    # b2c defaults: timeline 15 + 10 + 10, engagement 10 + 10 + 15, need medium 8
    assert r["score"] == 78 and r["grade"] == "B" and r["probability"] is None
    assert r["bant"]["need"] == "partial" and r["bant"]["timeline"] == "yes" and r["bant"]["passes"]
    assert r["suggested_status"] == "qualified"
    assert parts_sum(r["score_breakdown"]) == r["score"]
    assert all_leads(api) == before
    stored = mk_lead(api, segment="b2c", engagement=80, need="medium", timeline=days(20))
    assert stored["score"] == r["score"] and stored["score_breakdown"] == r["score_breakdown"]


def test_score_preview_validates(admin, tree):
    problem(admin.post("/v1/leads/score", json={"budget": -1}), 400, "budget")
    problem(admin.post("/v1/leads/score", json={"attributes": {"x": [1]}}), 400, "attributes.x")
    problem(admin.post("/v1/leads/score", json={"owner_id": MISSING}), 400, "owner_id")
    r = ok(tree["as"]["rep"].post("/v1/leads/score", json={"owner_id": tree["rep_b2c"]["id"]}))
    assert r["segment"] == "b2c"
    ok(tree["as"]["exec"].post("/v1/leads/score", json={}))


# -- bulk ------------------------------------------------------------------------------------------

def test_bulk_creates_updates_and_leaves_unchanged(scratch_admin):
    api = scratch_admin
    owner = mk_person(api, segment="b2c")
    a, b, c = ("ext-" + uid() for _ in range(3))
    items = [{"external_id": a, "company": "A", "budget": 30000, "authority": "decision_maker"},
             {"external_id": b, "company": "B", "owner_id": owner["id"], "engagement": 80},
             {"external_id": c, "company": "C", "attributes": {"k": "v"}}]
    res = ok(api.post("/v1/leads/bulk", json=items))
    assert res == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    by_ext = {x["external_id"]: x for x in all_leads(api)}
    assert by_ext[a]["score"] == 45 and by_ext[a]["segment"] == "b2b"
    assert by_ext[b]["segment"] == "b2c" and by_ext[b]["score"] == 35
    assert_explained(by_ext[b])
    # the same again: unchanged; a change to one: updated, and what it leaves out is kept
    res = ok(api.post("/v1/leads/bulk", json=items))
    assert res == {"created": 0, "updated": 0, "unchanged": 3, "rejected": 0, "errors": []}
    res = ok(api.post("/v1/leads/bulk", json=[{"external_id": a, "need": "high"},
                                              {"external_id": c, "attributes": {"k": "v"}}]))
    assert res == {"created": 0, "updated": 1, "unchanged": 1, "rejected": 0, "errors": []}
    after = {x["external_id"]: x for x in all_leads(api)}
    assert after[a]["company"] == "A" and after[a]["budget"] == 30000 and after[a]["need"] == "high"
    assert after[a]["score"] == 65 and after[a]["version"] == 2
    assert after[c] == by_ext[c]


def test_bulk_ndjson_and_rejections(scratch_admin):
    api = scratch_admin
    dup = "dup-" + uid()
    lines = [json.dumps({"external_id": dup, "company": "first"}),
             "",
             '{"external_id": "bad-json"',
             json.dumps({"external_id": "neg-" + uid(), "budget": -1, "need": "urgent"}),
             json.dumps({"company": "no external id"}),
             json.dumps([1, 2]),
             json.dumps({"external_id": dup, "company": "second"}),
             json.dumps({"external_id": "owner-" + uid(), "owner_id": MISSING}),
             json.dumps({"external_id": "deal-" + uid(), "status": "converted",
                         "converted_deal_id": MISSING}),
             json.dumps({"external_id": "ok-" + uid(), "attributes": {"n": 1.5, "b": False}})]
    r = api.post("/v1/leads/bulk", data="\n".join(lines) + "\n",
                 headers={"Content-Type": "application/x-ndjson"})
    res = ok(r)
    assert res["created"] == 2 and res["updated"] == 0 and res["rejected"] == 7
    errors = {e["index"]: {x["field"] for x in e["errors"]} for e in res["errors"]}
    assert errors == {1: {"item"}, 2: {"budget", "need"}, 3: {"external_id"}, 4: {"item"},
                      5: {"external_id"}, 6: {"owner_id"}, 7: {"converted_deal_id"}}
    assert [e["index"] for e in res["errors"]] == sorted(errors)
    assert {x["company"] for x in all_leads(api) if x["external_id"] == dup} == {"first"}


def test_bulk_atomic_writes_nothing_on_any_rejection(scratch_admin):
    api = scratch_admin
    items = [{"external_id": "x-" + uid()}, {"external_id": "y-" + uid(), "engagement": 500},
             {"external_id": "z-" + uid(), "owner_id": MISSING}]
    r = api.post("/v1/leads/bulk?atomic=true", json=items)
    body = problem(r, 400)
    fields = {e["field"] for e in body["errors"]}
    assert "[1].engagement" in fields
    assert body["bulk"]["rejected"] >= 1 and body["bulk"]["created"] == 0
    assert all_leads(api) == []
    # rejected only by the database side (an unknown owner): still nothing written
    r = api.post("/v1/leads/bulk?atomic=true", json=[items[0], items[2]])
    body = problem(r, 400)
    assert {e["field"] for e in body["errors"]} == {"[1].owner_id"}
    assert all_leads(api) == []
    res = ok(api.post("/v1/leads/bulk?atomic=true", json=[items[0]]))
    assert res["created"] == 1


def test_bulk_body_errors(admin):
    problem(admin.post("/v1/leads/bulk", data="{}", headers={"Content-Type": "application/json"}),
            400, "body")
    problem(admin.post("/v1/leads/bulk", data="[{\"external_id\": \"a\"},",
                       headers={"Content-Type": "application/json"}), 400, "body")
    problem(admin.post("/v1/leads/bulk", data="", headers={"Content-Type": "application/json"}),
            400, "body")
    problem(admin.post("/v1/leads/bulk", data="[]", headers={"Content-Type": "text/csv"}), 415)
    problem(admin.post("/v1/leads/bulk?atomic=maybe", json=[]), 400, "atomic")
    problem(admin.post("/v1/leads/bulk?dry_run=true", json=[]), 400, "dry_run")
    assert ok(admin.post("/v1/leads/bulk", json=[]))["created"] == 0


def test_bulk_over_the_limit_is_413(admin):
    body = "{}\n" * 100001
    problem(admin.post("/v1/leads/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}),
            413, "body")


def test_bulk_scope_of_a_manager(tree):
    admin, mgr = tree["as"]["admin"], tree["as"]["manager"]
    theirs = mk_lead(admin, owner_id=tree["rep2"]["id"], external_id="m2-" + uid())
    res = ok(mgr.post("/v1/leads/bulk", json=[
        {"external_id": "m-" + uid(), "owner_id": tree["rep"]["id"]},
        {"external_id": "m-" + uid(), "owner_id": tree["rep2"]["id"]},
        {"external_id": theirs["external_id"], "company": "taken over"},
        {"external_id": "m-" + uid()}]))
    assert res["created"] == 1 and res["rejected"] == 3
    assert {e["index"]: e["errors"][0]["field"] for e in res["errors"]} == {
        1: "owner_id", 2: "external_id", 3: "owner_id"}
    assert ok(admin.get(f"/v1/leads/{theirs['id']}")) == theirs


def test_a_lead_links_only_a_deal_the_caller_reads(tree):
    admin, rep, mgr = tree["as"]["admin"], tree["as"]["rep"], tree["as"]["manager"]
    body = {"name": "d " + uid(), "amount": 10, "stage": "prospecting", "close_date": days(30),
            "segment": "b2b"}
    mine = ok(admin.post("/v1/deals", json={**body, "owner_id": tree["rep"]["id"]}), 201)
    hidden = ok(admin.post("/v1/deals", json={**body, "owner_id": tree["rep2"]["id"]}), 201)
    problem(rep.get(f"/v1/deals/{hidden['id']}"), 404)
    absent = problem(rep.post("/v1/leads", json={"company": "x", "status": "converted",
                                                 "converted_deal_id": MISSING}), 400, "converted_deal_id")
    # another rep's deal is "no such deal", exactly as an absent one
    for link in [lambda: rep.post("/v1/leads", json={"company": "x", "status": "converted",
                                                     "converted_deal_id": hidden["id"]}),
                 lambda: rep.patch(f"/v1/leads/{lead['id']}", json={"status": "converted",
                                                                   "converted_deal_id": hidden["id"]})]:
        lead = mk_lead(rep)
        got = problem(link(), 400, "converted_deal_id")
        assert got["errors"] == absent["errors"]
        assert ok(admin.get(f"/v1/leads/{lead['id']}"))["version"] == lead["version"]
    # a manager's bulk sync: a deal outside the subtree is no such deal either
    ext = "link-" + uid()
    res = ok(mgr.post("/v1/leads/bulk", json=[
        {"external_id": ext, "owner_id": tree["rep"]["id"], "status": "converted",
         "converted_deal_id": hidden["id"]}]))
    assert res["rejected"] == 1 and res["errors"] == [{"index": 0, "errors": [
        {"field": "converted_deal_id", "message": "no such deal"}]}]
    # a deal they read links as before
    lead = mk_lead(rep)
    linked = ok(rep.patch(f"/v1/leads/{lead['id']}", json={"status": "converted",
                                                          "converted_deal_id": mine["id"]}))
    assert linked["converted_deal_id"] == mine["id"]
    res = ok(mgr.post("/v1/leads/bulk", json=[
        {"external_id": ext, "owner_id": tree["rep"]["id"], "status": "converted",
         "converted_deal_id": mine["id"]}]))
    assert res["created"] == 1


# -- conversion --------------------------------------------------------------------------------------

def test_convert_creates_the_deal(admin, tree):
    lead = mk_lead(admin, company="Convertible", budget=42000.5, owner_id=tree["rep"]["id"],
                   timeline=days(40), need="high")
    r = admin.post(f"/v1/leads/{lead['id']}/convert")
    out = ok(r, 201)
    deal, converted = out["deal"], out["lead"]
    assert r.headers["Location"] == f"/v1/deals/{deal['id']}"
    assert deal["owner_id"] == tree["rep"]["id"] and deal["amount"] == 42000.5
    assert deal["account"] == "Convertible" and deal["name"] == "Convertible"
    assert deal["stage"] == "prospecting" and deal["status"] == "open" and deal["type"] == "new_business"
    # the lead's own timeline, not days(40) again: midnight may have passed meanwhile
    assert deal["segment"] == "b2b" and deal["close_date"] == lead["timeline"]
    assert converted["status"] == "converted" and converted["converted_deal_id"] == deal["id"]
    assert converted["version"] == lead["version"] + 1
    assert ok(admin.get(f"/v1/leads/{lead['id']}")) == converted
    assert ok(admin.get(f"/v1/deals/{deal['id']}"))["id"] == deal["id"]
    problem(admin.post(f"/v1/leads/{lead['id']}/convert", json={}), 409, "status")


def test_convert_with_choices(tree):
    rep = tree["as"]["rep"]
    lead = ok(rep.post("/v1/leads", json={"contact_name": "Bo"}), 201)
    problem(rep.post(f"/v1/leads/{lead['id']}/convert", json={}), 400, "amount")
    problem(rep.post(f"/v1/leads/{lead['id']}/convert", json={"amount": 5, "stage": "nope"}), 400,
            "stage")
    problem(rep.post(f"/v1/leads/{lead['id']}/convert", json={"amount": -5}), 400, "amount")
    problem(rep.post(f"/v1/leads/{lead['id']}/convert", json={"colour": 1}), 400, "colour")
    close = days(10)  # once: midnight may pass before the answer is checked
    out = ok(rep.post(f"/v1/leads/{lead['id']}/convert",
                      json={"amount": 900, "stage": "proposal", "type": "upsell",
                            "close_date": close, "name": "Bo's deal"}), 201)
    d = out["deal"]
    assert (d["amount"], d["stage"], d["type"], d["close_date"], d["name"], d["account"]) == (
        900, "proposal", "upsell", close, "Bo's deal", None)
    assert d["owner_id"] == tree["rep"]["id"]


def test_convert_needs_an_owner_and_scope(admin, tree, scoped):
    lead = mk_lead(admin, budget=10)
    problem(admin.post(f"/v1/leads/{lead['id']}/convert"), 409, "owner_id")
    problem(tree["as"]["rep2"].post(f"/v1/leads/{scoped['rep']['id']}/convert", json={"amount": 1}),
            404)
    problem(admin.post(f"/v1/leads/{MISSING}/convert"), 404)


def test_deleting_the_deal_unlinks_the_lead(admin, tree):
    lead = mk_lead(admin, budget=100, owner_id=tree["rep"]["id"])
    out = ok(admin.post(f"/v1/leads/{lead['id']}/convert"), 201)
    assert admin.delete(f"/v1/deals/{out['deal']['id']}").status_code == 204
    after = ok(admin.get(f"/v1/leads/{lead['id']}"))
    assert after["status"] == "converted" and after["converted_deal_id"] is None


# -- funnel ------------------------------------------------------------------------------------------

def test_funnel(scratch_admin):
    api = scratch_admin
    for status, n in (("new", 3), ("qualified", 2), ("nurture", 1), ("disqualified", 3),
                      ("converted", 1)):
        for _ in range(n):
            mk_lead(api, source="ads", status=status)
    mk_lead(api, source="fair", status="converted")
    mk_lead(api, status="disqualified")
    f = ok(api.get("/v1/leads/funnel"))
    assert f["by"] == "source" and f["from"] is None and f["to"] is None
    rows = {x["key"]: x for x in f["items"]}
    assert [x["key"] for x in f["items"]] == ["ads", "fair", None]
    assert rows["ads"] == {"key": "ads", "total": 10, "new": 3, "qualified": 2, "nurture": 1,
                           "disqualified": 3, "converted": 1, "closed": 4,
                           "conversion_closed_pct": 25, "conversion_all_pct": 10}
    assert rows["fair"]["conversion_closed_pct"] == 100
    assert rows[None]["conversion_all_pct"] == 0
    assert f["total"]["total"] == 12 and f["total"]["converted"] == 2 and f["total"]["closed"] == 6
    grades = ok(api.get("/v1/leads/funnel", params={"by": "grade"}))
    assert sum(x["total"] for x in grades["items"]) == 12
    assert {x["key"] for x in ok(api.get("/v1/leads/funnel", params={"by": "segment"}))["items"]} == {"b2b"}
    assert ok(api.get("/v1/leads/funnel", params={"by": "owner"}))["items"][0]["key"] is None
    # every lead of this org was made today; a day either side keeps midnight out of the answer
    assert ok(api.get("/v1/leads/funnel", params={"from": days(-1), "to": days(1)}))["total"]["total"] == 12
    assert ok(api.get("/v1/leads/funnel", params={"to": days(-2)}))["total"]["total"] == 0
    empty = ok(api.get("/v1/leads/funnel", params={"to": "2000-01-01"}))
    assert empty["items"] == [] and empty["total"]["total"] == 0
    assert empty["total"]["conversion_closed_pct"] is None
    header, csv_rows = parse_csv(api.get("/v1/leads/funnel", headers={"Accept": "text/csv"}))
    assert header[0] == "key" and len(csv_rows) == 3 and csv_rows[0]["total"] == "10"


@pytest.mark.parametrize("params,field", [
    ({"by": "team"}, "by"), ({"from": "2026-13-01"}, "from"),
    ({"from": "2026-02-01", "to": "2026-01-01"}, "to"), ({"group": "x"}, "group")])
def test_funnel_rejects_bad_query(admin, params, field):
    problem(admin.get("/v1/leads/funnel", params=params), 400, field)


def test_funnel_is_scoped(tree, scoped):
    rep = tree["as"]["rep"]
    mine = [x for x in all_leads(rep)]
    f = ok(rep.get("/v1/leads/funnel", params={"by": "owner"}))
    assert f["total"]["total"] == len(mine)
    assert {x["key"] for x in f["items"]} == {tree["rep"]["id"]}


@pytest.mark.parametrize("role", sorted(READS))
def test_funnel_and_score_for_every_role(tree, scoped, role):
    api = tree["as"][role]
    visible = all_leads(api)
    f = ok(api.get("/v1/leads/funnel", params={"by": "segment"}))
    assert f["total"]["total"] == len(visible)
    assert sum(x["total"] for x in f["items"]) == len(visible)
    assert ok(api.post("/v1/leads/score", json={"need": "high"}))["score"] == 20


def test_money_round_trips_exactly(admin):
    lead = mk_lead(admin, budget=999999999999.99)
    assert lead["budget"] == 999999999999.99
    u = ok(admin.patch(f"/v1/leads/{lead['id']}", json={"need": "low"}))
    assert u["budget"] == 999999999999.99 and u["bant"]["budget"] == "yes"
    u = ok(admin.patch(f"/v1/leads/{lead['id']}", json={"budget": 0.07}))
    assert u["budget"] == 0.07 and u["bant"]["budget"] == "no"


# -- the exact answers (each message as a client sees it) ------------------------------------------

def answer(r, status):
    """The problem's status, detail and errors, without what changes from call to call."""
    body = problem(r, status)
    return {k: body[k] for k in ("status", "detail", "errors") if k in body}


def test_a_lead_outside_reach_is_no_such_lead(admin, tree, scoped):
    nothing = {"status": 404, "detail": "no such lead"}
    assert answer(admin.get(f"/v1/leads/{MISSING}"), 404) == nothing
    assert answer(admin.patch(f"/v1/leads/{MISSING}", json={"need": "low"}), 404) == nothing
    assert answer(admin.delete(f"/v1/leads/{MISSING}"), 404) == nothing
    assert answer(admin.post(f"/v1/leads/{MISSING}/convert"), 404) == nothing
    rep2 = tree["as"]["rep2"]
    assert answer(rep2.get(f"/v1/leads/{scoped['rep']['id']}"), 404) == nothing
    assert answer(rep2.patch(f"/v1/leads/{scoped['rep']['id']}", json={"need": "low"}), 404) == nothing


def test_owner_answers(tree, client, tokens, org, admin):
    rep = tree["as"]["rep"]
    outside = {"status": 403, "detail": "the owner is outside the people whose leads you manage"}
    unowned = {"status": 403, "detail": "only admins and services keep leads without an owner"}
    assert answer(rep.post("/v1/leads", json={"owner_id": tree["rep2"]["id"]}), 403) == outside
    assert answer(rep.post("/v1/leads", json={"owner_id": None}), 403) == unowned
    lead = ok(rep.post("/v1/leads", json={}), 201)
    assert answer(rep.patch(f"/v1/leads/{lead['id']}", json={"owner_id": None}), 403) == unowned
    nobody = client(tokens.token(org, ["rep"]))
    assert answer(nobody.post("/v1/leads", json={}), 403) == {
        "status": 403, "detail": "your token names no person_id to own the lead; give owner_id"}
    assert answer(admin.post("/v1/leads", json={"owner_id": MISSING}), 400) == {
        "status": 400, "detail": "owner_id: no such person",
        "errors": [{"field": "owner_id", "message": "no such person"}]}
    assert answer(admin.post("/v1/leads/score", json={"owner_id": MISSING}), 400) == {
        "status": 400, "detail": "owner_id: no such person",
        "errors": [{"field": "owner_id", "message": "no such person"}]}


def test_conversion_answers(admin, tree):
    def refused(lead, body, status, field, message):
        assert answer(admin.post(f"/v1/leads/{lead['id']}/convert", json=body), status) == {
            "status": status, "detail": f"{field}: {message}",
            "errors": [{"field": field, "message": message}]}

    unowned = mk_lead(admin, budget=10)
    refused(unowned, {}, 409, "owner_id", "the lead has no owner to own the deal: set owner_id first")
    penniless = mk_lead(admin, owner_id=tree["rep"]["id"])
    refused(penniless, {}, 400, "amount", "is required: the lead has no budget")
    refused(penniless, {"amount": 5, "stage": "nope"}, 400, "stage", "no such stage (see GET /v1/stages)")
    out = ok(admin.post(f"/v1/leads/{penniless['id']}/convert", json={"amount": 5}), 201)
    assert out["deal"]["amount"] == 5 and out["lead"]["status"] == "converted"
    refused(penniless, {"amount": 5}, 409, "status", "the lead is already converted")
    # a past timeline is no close date: today + 30 days
    # (the service's today, read on either side of the call: midnight may pass in between)
    late = mk_lead(admin, owner_id=tree["rep"]["id"], budget=7, timeline=days(-3))
    before = days(30)
    close = ok(admin.post(f"/v1/leads/{late['id']}/convert"), 201)["deal"]["close_date"]
    assert close in (before, days(30))
    nameless = ok(admin.post("/v1/leads", json={"owner_id": tree["rep"]["id"], "budget": 1}), 201)
    admin.patch(f"/v1/leads/{nameless['id']}", json={"company": None})
    deal = ok(admin.post(f"/v1/leads/{nameless['id']}/convert"), 201)["deal"]
    assert deal["name"] == f"Lead {nameless['id']}" and deal["account"] is None


def test_conversion_needs_an_open_stage(scratch_admin):
    api = scratch_admin
    ok(api.put("/v1/stages", json={"items": [
        {"key": "won", "name": "Won", "probability": 100, "forecast_category": "closed", "is_won": True},
        {"key": "lost", "name": "Lost", "probability": 0, "forecast_category": "omitted", "is_lost": True}]}))
    owner = mk_person(api)
    lead = mk_lead(api, owner_id=owner["id"], budget=100)
    assert answer(api.post(f"/v1/leads/{lead['id']}/convert"), 400) == {
        "status": 400, "detail": "stage: the org has no open stage",
        "errors": [{"field": "stage", "message": "the org has no open stage"}]}
    out = ok(api.post(f"/v1/leads/{lead['id']}/convert", json={"stage": "won"}), 201)
    assert out["deal"]["status"] == "won"


def test_bulk_rejection_messages(tree, scoped):
    admin, mgr = tree["as"]["admin"], tree["as"]["manager"]
    lead = mk_lead(admin, owner_id=tree["rep"]["id"], budget=5)
    deal_id = ok(admin.post(f"/v1/leads/{lead['id']}/convert"), 201)["deal"]["id"]
    theirs = mk_lead(admin, owner_id=tree["rep2"]["id"], external_id="m2-" + uid())
    dup = "dup-" + uid()
    res = ok(mgr.post("/v1/leads/bulk", json=[
        {"external_id": dup, "owner_id": tree["rep"]["id"]},
        {"external_id": dup, "owner_id": tree["rep"]["id"]},
        {"external_id": "a-" + uid(), "owner_id": tree["rep2"]["id"]},
        {"external_id": theirs["external_id"], "company": "taken over"},
        {"external_id": "b-" + uid()},
        {"external_id": "c-" + uid(), "owner_id": MISSING},
        {"external_id": "d-" + uid(), "owner_id": tree["rep"]["id"], "converted_deal_id": deal_id},
        {"external_id": "e-" + uid(), "owner_id": tree["rep"]["id"], "status": "converted",
         "converted_deal_id": MISSING},
        {"external_id": dup, "owner_id": tree["rep"]["id"]}]))
    assert res["created"] == 1 and res["rejected"] == 8
    assert res["errors"] == [
        {"index": 1, "errors": [{"field": "external_id", "message": "appears again in this call (first at index 0)"}]},
        {"index": 2, "errors": [{"field": "owner_id", "message": "outside the people whose leads you manage"}]},
        {"index": 3, "errors": [{"field": "external_id",
                                 "message": "the existing lead with this external_id is outside your scope"}]},
        {"index": 4, "errors": [{"field": "owner_id",
                                 "message": "is required: only admins and services keep leads without an owner"}]},
        {"index": 5, "errors": [{"field": "owner_id", "message": "no such person"}]},
        {"index": 6, "errors": [{"field": "converted_deal_id", "message": "only a converted lead links a deal"}]},
        {"index": 7, "errors": [{"field": "converted_deal_id", "message": "no such deal"}]},
        {"index": 8, "errors": [{"field": "external_id", "message": "appears again in this call (first at index 0)"}]}]
    body = answer(mgr.post("/v1/leads/bulk?atomic=true", json=[
        {"external_id": dup, "need": "high"}, {"external_id": dup}]), 400)
    assert body == {"status": 400, "detail": "1 of 2 leads are invalid; nothing was written (atomic=true)",
                    "errors": [{"field": "[1].external_id",
                                "message": "appears again in this call (first at index 0)"}]}


# -- one lead, whichever way it is written ---------------------------------------------------------

BODIES = [
    {"company": "Acme", "budget": 30000, "authority": "decision_maker", "need": "high", "timeline": days(20)},
    {"contact_name": "Bo", "segment": "b2c", "engagement": 80, "need": "medium", "timeline": days(5),
     "attributes": {"Lead Source": "Google", "n": 1.5, "ok": True}},
    {"company": "Cold", "budget": 0.07, "status": "nurture", "employees": 12, "industry": "retail"},
    {"email": "x@example.com", "source": "fair", "timeline": days(-10)},
]
STORED_ONLY = {"id", "external_id", "version", "created_at", "updated_at"}


def same_lead(a, b):
    diff = {k: (a[k], b[k]) for k in a if k not in STORED_ONLY and a[k] != b[k]}
    assert not diff, diff
    return True


@pytest.mark.parametrize("body", BODIES)
def test_post_patch_bulk_and_a_model_change_store_the_same_lead(scratch_admin, body):
    """POST, PATCH, the bulk sync and the re-scoring after a model change give one lead the same stored state."""
    api = scratch_admin
    owner = mk_person(api, segment="b2c")
    body = {**body, "owner_id": owner["id"]}
    posted = ok(api.post("/v1/leads", json={"external_id": "p-" + uid(), **body}), 201)
    ext = "b-" + uid()
    assert ok(api.post("/v1/leads/bulk", json=[{"external_id": ext, **body}]))["created"] == 1
    synced = all_leads(api, external_id=ext)[0]
    assert same_lead(posted, synced), (posted, synced)
    assert ok(api.post("/v1/leads/score", json=body))["score_breakdown"] == posted["score_breakdown"]

    change = {"need": "low", "budget": None, "industry": "energy"}
    patched = ok(api.patch(f"/v1/leads/{posted['id']}", json=change))
    assert ok(api.post("/v1/leads/bulk", json=[{"external_id": ext, **change}]))["updated"] == 1
    assert same_lead(patched, all_leads(api, external_id=ext)[0])

    # a model change re-scores an open lead as a new write under the new model would score it
    segment = patched["segment"]
    current = ok(api.get(f"/v1/lead-scoring/models/{segment}"))
    rules = [{"id": "need", "field": "need", "op": "in", "value": ["low", "high"], "points": 35},
             {"id": "energy", "field": "industry", "op": "eq", "value": "energy", "points": 30}]
    ok(api.put(f"/v1/lead-scoring/models/{segment}", json={"rules": rules}))
    rescored = ok(api.get(f"/v1/leads/{posted['id']}"))
    fresh = ok(api.post("/v1/leads", json={**body, **change}), 201)
    if patched["status"] in ("new", "qualified", "nurture"):
        assert same_lead(rescored, fresh), (rescored, fresh)
        assert rescored["version"] == patched["version"] + (rescored["score_breakdown"] != patched["score_breakdown"])
    ok(api.put(f"/v1/lead-scoring/models/{segment}", json={k: current[k] for k in ("rules", "group_caps")}))
