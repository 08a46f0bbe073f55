"""/v1/people: CRUD, validation, uniqueness, ETag, idempotency, pagination, CSV, filters, roles."""

import uuid

import pytest

from contract import ok, parse_csv, problem

PERSON_FIELDS = {"id", "name", "email", "team_id", "title", "segment", "hired_on", "ramp_months",
                 "active", "external_id", "version", "created_at", "updated_at"}
MISSING = "999999999999"


def uid():
    return uuid.uuid4().hex[:10]


def mk_team(api, **fields):
    return ok(api.post("/v1/teams", json={"name": "team " + uid(), **fields}), 201)


def person_body(**fields):
    u = uid()
    return {"name": "person " + u, "email": f"p-{u}@example.com", **fields}


def mk_person(api, **fields):
    return ok(api.post("/v1/people", json=person_body(**fields)), 201)


def all_people(api, **params):
    return ok(api.get("/v1/people", params={"limit": 1000, **params}))["items"]


@pytest.fixture(scope="module")
def tree(admin, client, tokens, org, other_org):
    """
    R ─┬─ A (managed by M, a member of A) ── A1 (member P1)
       └─ B (managed by M2, a member of B; member P2)
    """
    r = mk_team(admin)
    a = mk_team(admin, parent_id=r["id"])
    b = mk_team(admin, parent_id=r["id"])
    a1 = mk_team(admin, parent_id=a["id"])
    m = mk_person(admin, team_id=a["id"])
    m2 = mk_person(admin, team_id=b["id"])
    p1 = mk_person(admin, team_id=a1["id"])
    p2 = mk_person(admin, team_id=b["id"])
    ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    ok(admin.patch(f"/v1/teams/{b['id']}", json={"manager_id": m2["id"]}))
    rep = mk_person(admin, team_id=a1["id"])
    roles = {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "manager_in": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "manager_out": client(tokens.token(org, ["manager"], person_id=m2["id"])),
        "rep": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "service": client(tokens.token(org, ["service"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }
    return {"R": r, "A": a, "B": b, "A1": a1, "M": m, "M2": m2, "P1": p1, "P2": p2, "rep": rep,
            "as": roles}


# -- create and read ------------------------------------------------------------------------

def test_create_minimal_has_defaults(admin):
    body = person_body()
    r = admin.post("/v1/people", json=body)
    p = ok(r, 201)
    assert set(p) == PERSON_FIELDS
    assert p["name"] == body["name"] and p["email"] == body["email"]
    for k in ("team_id", "title", "segment", "hired_on", "external_id"):
        assert p[k] is None, k
    assert p["ramp_months"] == 0 and p["active"] is True and p["version"] == 1
    assert r.headers["Location"] == f"/v1/people/{p['id']}"
    assert r.headers["ETag"] == '"1"'
    got = admin.get(f"/v1/people/{p['id']}")
    assert ok(got) == p and got.headers["ETag"] == '"1"'


def test_create_with_every_field(admin, tree):
    fields = {"team_id": tree["A1"]["id"], "title": "Account Executive", "segment": "b2c",
              "hired_on": "2024-02-29", "ramp_months": 24, "active": False,
              "external_id": "hris-" + uid()}
    p = mk_person(admin, name="Zoë Ünïcode " + uid(), **fields)
    for k, v in fields.items():
        assert p[k] == v, k
    assert ok(admin.get(f"/v1/people/{p['id']}")) == p


def test_create_with_explicit_nulls(admin):
    p = mk_person(admin, team_id=None, title=None, segment=None, hired_on=None, external_id=None)
    assert p["team_id"] is None and p["segment"] is None


def test_get_unknown_is_404(admin):
    problem(admin.get(f"/v1/people/{MISSING}"), 404)
    problem(admin.get("/v1/people/x"), 404)


INVALID_CREATE = [
    ({"email": "a@example.com"}, "name"),
    ({"name": "n"}, "email"),
    ({"name": "", "email": "a@example.com"}, "name"),
    ({"name": "x" * 201, "email": "a@example.com"}, "name"),
    ({"name": None, "email": "a@example.com"}, "name"),
    ({"name": 1, "email": "a@example.com"}, "name"),
    ({"name": "n", "email": "not-an-email"}, "email"),
    ({"name": "n", "email": "a@"}, "email"),
    ({"name": "n", "email": "@example.com"}, "email"),
    ({"name": "n", "email": "a b@example.com"}, "email"),
    ({"name": "n", "email": ""}, "email"),
    ({"name": "n", "email": None}, "email"),
    ({"name": "n", "email": 5}, "email"),
    ({"name": "n", "email": "a" * 250 + "@example.com"}, "email"),
    ({"team_id": MISSING}, "team_id"),
    ({"team_id": "abc"}, "team_id"),
    ({"team_id": 7}, "team_id"),
    ({"title": ""}, "title"),
    ({"title": "t" * 201}, "title"),
    ({"title": 3}, "title"),
    ({"segment": "b2x"}, "segment"),
    ({"segment": "B2B"}, "segment"),
    ({"segment": 1}, "segment"),
    ({"hired_on": "2026-02-30"}, "hired_on"),
    ({"hired_on": "2026/01/01"}, "hired_on"),
    ({"hired_on": "20260101"}, "hired_on"),
    ({"hired_on": "2026-01-01T00:00:00Z"}, "hired_on"),
    ({"hired_on": 20260101}, "hired_on"),
    ({"ramp_months": 25}, "ramp_months"),
    ({"ramp_months": -1}, "ramp_months"),
    ({"ramp_months": 1.5}, "ramp_months"),
    ({"ramp_months": 2.0}, "ramp_months"),
    ({"ramp_months": "3"}, "ramp_months"),
    ({"ramp_months": None}, "ramp_months"),
    ({"active": "true"}, "active"),
    ({"active": 1}, "active"),
    ({"active": None}, "active"),
    ({"external_id": ""}, "external_id"),
    ({"external_id": 9}, "external_id"),
    ({"colour": "red"}, "colour"),
    ({"id": "1"}, "id"),
    ({"version": 2}, "version"),
]


@pytest.mark.parametrize("fields,field", INVALID_CREATE,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_CREATE)])
def test_invalid_create_names_the_field_and_writes_nothing(scratch_admin, fields, field):
    api = scratch_admin
    body = fields if "name" in fields or "email" in fields else person_body(**fields)
    mk_person(api)
    before = all_people(api)
    problem(api.post("/v1/people", json=body), 400, field)
    assert all_people(api) == before


def test_duplicate_email_is_409_case_insensitive(admin):
    p = mk_person(admin)
    before = all_people(admin)
    problem(admin.post("/v1/people", json={"name": "dup", "email": p["email"]}), 409, "email")
    problem(admin.post("/v1/people", json={"name": "dup", "email": p["email"].upper()}), 409,
            "email")
    assert all_people(admin) == before
    q = mk_person(admin)
    problem(admin.patch(f"/v1/people/{q['id']}", json={"email": p["email"]}), 409, "email")
    assert ok(admin.get(f"/v1/people/{q['id']}")) == q


def test_duplicate_external_id_is_409(admin):
    p = mk_person(admin, external_id="ext-" + uid())
    before = all_people(admin)
    problem(admin.post("/v1/people", json=person_body(external_id=p["external_id"])), 409,
            "external_id")
    assert all_people(admin) == before


def test_same_email_in_another_org_is_fine(admin, other_admin):
    p = mk_person(admin)
    ok(other_admin.post("/v1/people", json={"name": "twin", "email": p["email"]}), 201)


# -- update -------------------------------------------------------------------------------

def test_patch(admin, tree):
    p = mk_person(admin, team_id=tree["A1"]["id"], title="SDR", segment="b2b")
    r = admin.patch(f"/v1/people/{p['id']}",
                    json={"title": "AE", "segment": "b2c", "active": False, "ramp_months": 3,
                          "hired_on": "2026-01-15", "team_id": tree["B"]["id"]})
    u = ok(r)
    assert (u["title"], u["segment"], u["active"], u["ramp_months"], u["hired_on"],
            u["team_id"]) == ("AE", "b2c", False, 3, "2026-01-15", tree["B"]["id"])
    assert u["name"] == p["name"] and u["email"] == p["email"]
    assert u["version"] == 2 and r.headers["ETag"] == '"2"'
    assert u["created_at"] == p["created_at"] and u["updated_at"] >= p["updated_at"]
    assert ok(admin.get(f"/v1/people/{p['id']}")) == u

    u = ok(admin.patch(f"/v1/people/{p['id']}", json={"team_id": None, "title": None,
                                                     "segment": None, "hired_on": None}))
    assert u["team_id"] is None and u["title"] is None and u["segment"] is None
    assert u["hired_on"] is None and u["version"] == 3


def test_patch_email_case_of_self_is_fine(admin):
    p = mk_person(admin)
    assert ok(admin.patch(f"/v1/people/{p['id']}",
                          json={"email": p["email"].upper()}))["email"] == p["email"].upper()


INVALID_PATCH = [
    ({"name": None}, "name"),
    ({"email": None}, "email"),
    ({"email": "nope"}, "email"),
    ({"ramp_months": None}, "ramp_months"),
    ({"ramp_months": 30}, "ramp_months"),
    ({"active": None}, "active"),
    ({"team_id": MISSING}, "team_id"),
    ({"segment": "enterprise"}, "segment"),
    ({"hired_on": "yesterday"}, "hired_on"),
    ({"colour": "red"}, "colour"),
]


@pytest.mark.parametrize("body,field", INVALID_PATCH,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_PATCH)])
def test_invalid_patch_writes_nothing(admin, body, field):
    p = mk_person(admin)
    problem(admin.patch(f"/v1/people/{p['id']}", json=body), 400, field)
    assert ok(admin.get(f"/v1/people/{p['id']}")) == p


def test_if_match(admin):
    p = mk_person(admin)
    path = f"/v1/people/{p['id']}"
    problem(admin.patch(path, json={"title": "x"}, headers={"If-Match": '"2"'}), 412)
    assert ok(admin.get(path)) == p
    u = ok(admin.patch(path, json={"title": "y"}, headers={"If-Match": '"1"'}))
    assert u["version"] == 2
    problem(admin.patch(path, json={"title": "z"}, headers={"If-Match": '"1"'}), 412)
    assert ok(admin.get(path)) == u
    assert ok(admin.patch(path, json={"title": "w"}, headers={"If-Match": "*"}))["version"] == 3


def test_patch_unknown_is_404(admin):
    problem(admin.patch(f"/v1/people/{MISSING}", json={"title": "x"}), 404)


# -- delete ---------------------------------------------------------------------------------

def test_delete(admin):
    p = mk_person(admin)
    r = admin.delete(f"/v1/people/{p['id']}")
    assert r.status_code == 204 and r.content == b""
    problem(admin.get(f"/v1/people/{p['id']}"), 404)
    problem(admin.delete(f"/v1/people/{p['id']}"), 404)


def test_delete_a_manager_is_409(admin, tree):
    problem(admin.delete(f"/v1/people/{tree['M']['id']}"), 409)
    assert ok(admin.get(f"/v1/people/{tree['M']['id']}"))["id"] == tree["M"]["id"]
    team = mk_team(admin)
    boss = mk_person(admin)
    ok(admin.patch(f"/v1/teams/{team['id']}", json={"manager_id": boss["id"]}))
    problem(admin.delete(f"/v1/people/{boss['id']}"), 409)
    ok(admin.patch(f"/v1/teams/{team['id']}", json={"manager_id": None}))
    ok(admin.delete(f"/v1/people/{boss['id']}"), 204)


# -- idempotency --------------------------------------------------------------------------

def test_idempotent_create(admin):
    key = "it-" + uid()
    body = person_body()
    first = admin.post("/v1/people", json=body, headers={"Idempotency-Key": key})
    p = ok(first, 201)
    again = admin.post("/v1/people", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == p
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert [x["id"] for x in all_people(admin, q=body["email"])] == [p["id"]]
    problem(admin.post("/v1/people", json=person_body(), headers={"Idempotency-Key": key}), 422)
    assert [x["id"] for x in all_people(admin, q=body["email"])] == [p["id"]]


# -- lists ------------------------------------------------------------------------------------

def test_pagination_walk(admin):
    prefix = "walk-" + uid()
    created = [mk_person(admin, name=f"{prefix} {i}")["id"] for i in range(7)]
    seen, cursor = [], None
    for _ in range(10):
        params = {"q": prefix, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = ok(admin.get("/v1/people", params=params))
        assert len(page["items"]) <= 3
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(created, key=int)


def test_csv(admin, tree):
    prefix = "csv-" + uid()
    p1 = mk_person(admin, name=f"{prefix} one", team_id=tree["A1"]["id"], segment="b2b",
                   hired_on="2025-06-01", ramp_months=3, title="AE, \"senior\"")
    p2 = mk_person(admin, name=f"{prefix} two", active=False)
    r = admin.get("/v1/people", params={"q": prefix}, headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == PERSON_FIELDS and len(header) == len(PERSON_FIELDS)
    assert [row["id"] for row in rows] == [p1["id"], p2["id"]]
    a, b = rows
    assert a["team_id"] == tree["A1"]["id"] and a["segment"] == "b2b"
    assert a["hired_on"] == "2025-06-01" and a["ramp_months"] == "3" and a["active"] == "true"
    assert a["title"] == "AE, \"senior\"" and a["email"] == p1["email"]
    assert b["team_id"] == "" and b["segment"] == "" and b["hired_on"] == "" and b["title"] == ""
    assert b["active"] == "false" and b["ramp_months"] == "0" and b["external_id"] == ""


def test_filters(admin, tree):
    ids = lambda **params: {p["id"] for p in all_people(admin, **params)}  # noqa: E731
    a, a1 = tree["A"]["id"], tree["A1"]["id"]
    assert tree["M"]["id"] in ids(team_id=a)
    assert all(p["team_id"] == a for p in all_people(admin, team_id=a))
    assert tree["P1"]["id"] not in ids(team_id=a)
    assert tree["P1"]["id"] in ids(team_id=a1)
    sub = ids(team_id=a, subtree="true")
    assert {tree["M"]["id"], tree["P1"]["id"], tree["rep"]["id"]} <= sub
    assert tree["P2"]["id"] not in sub and tree["M2"]["id"] not in sub
    assert ids(team_id=a, subtree="false") == ids(team_id=a)
    assert ids(team_id=MISSING) == set()

    prefix = "flt-" + uid()
    on = mk_person(admin, name=f"{prefix} on", segment="b2b", external_id="flt-" + uid())
    off = mk_person(admin, name=f"{prefix} off", segment="b2c", active=False)
    assert ids(q=prefix, active="true") == {on["id"]}
    assert ids(q=prefix, active="false") == {off["id"]}
    assert ids(q=prefix, segment="b2c") == {off["id"]}
    assert ids(q=prefix.upper()) == {on["id"], off["id"]}
    assert ids(q=on["email"][2:].upper()) == {on["id"]}
    assert ids(external_id=on["external_id"]) == {on["id"]}
    assert ids(external_id="none-" + uid()) == set()
    assert all(p["active"] is False for p in all_people(admin, active="false"))
    assert all(p["segment"] == "b2b" for p in all_people(admin, segment="b2b"))


@pytest.mark.parametrize("params,field", [
    ({"active": "yes"}, "active"),
    ({"segment": "b2x"}, "segment"),
    ({"subtree": "maybe", "team_id": "1"}, "subtree"),
    ({"subtree": "true"}, "subtree"),
    ({"team_id": "abc"}, "team_id"),
    ({"external_id": ""}, "external_id"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1001"}, "limit"),
    ({"cursor": "@@@"}, "cursor"),
    ({"team": "1"}, "team"),
])
def test_bad_filters(admin, params, field):
    problem(admin.get("/v1/people", params=params), 400, field)


# -- another org ----------------------------------------------------------------------------

def test_other_org_sees_nothing(tree, other_admin):
    for key in ("M", "P1", "P2"):
        pid = tree[key]["id"]
        problem(other_admin.get(f"/v1/people/{pid}"), 404)
        problem(other_admin.patch(f"/v1/people/{pid}", json={"title": "mine"}), 404)
        problem(other_admin.delete(f"/v1/people/{pid}"), 404)
    ours = {tree[k]["id"] for k in ("M", "M2", "P1", "P2", "rep")}
    assert not ours & {p["id"] for p in all_people(other_admin)}
    assert all_people(other_admin, team_id=tree["A"]["id"]) == []
    problem(other_admin.post("/v1/people", json=person_body(team_id=tree["A"]["id"])), 400,
            "team_id")
    assert ok(tree["as"]["admin"].get(f"/v1/people/{tree['P1']['id']}")) == tree["P1"]


# -- roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("role,status", [("admin", 200), ("exec", 200), ("manager_in", 200),
                                         ("manager_out", 200), ("rep", 200), ("service", 200),
                                         ("other_org", 404)])
def test_role_read(tree, role, status):
    api = tree["as"][role]
    r = api.get(f"/v1/people/{tree['P1']['id']}")
    listed = {p["id"] for p in all_people(api)}
    if status == 200:
        assert ok(r)["id"] == tree["P1"]["id"]
        assert tree["P1"]["id"] in listed
    else:
        problem(r, status)
        assert tree["P1"]["id"] not in listed


@pytest.mark.parametrize("role,status", [("admin", 201), ("exec", 403), ("manager_in", 201),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 400)])
def test_role_create_in_a1(tree, role, status):
    body = person_body(team_id=tree["A1"]["id"])
    r = tree["as"][role].post("/v1/people", json=body)
    if status == 201:
        assert ok(r, 201)["team_id"] == tree["A1"]["id"]
    else:
        problem(r, status)
        assert all_people(tree["as"]["admin"], q=body["email"]) == []


def test_manager_creates_in_the_managed_team_only(tree):
    mgr = tree["as"]["manager_in"]
    ok(mgr.post("/v1/people", json=person_body(team_id=tree["A"]["id"])), 201)
    problem(mgr.post("/v1/people", json=person_body()), 403)
    problem(mgr.post("/v1/people", json=person_body(team_id=None)), 403)
    problem(mgr.post("/v1/people", json=person_body(team_id=tree["B"]["id"])), 403)
    problem(mgr.post("/v1/people", json=person_body(team_id=tree["R"]["id"])), 403)


@pytest.mark.parametrize("role,status", [("admin", 200), ("exec", 403), ("manager_in", 200),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 404)])
def test_role_patch_in_a1(tree, role, status):
    admin = tree["as"]["admin"]
    p = mk_person(admin, team_id=tree["A1"]["id"])
    r = tree["as"][role].patch(f"/v1/people/{p['id']}", json={"title": f"by {role}"})
    if status == 200:
        assert ok(r)["title"] == f"by {role}"
    else:
        problem(r, status)
        assert ok(admin.get(f"/v1/people/{p['id']}")) == p


def test_manager_patches_the_managed_team_but_not_self(tree):
    admin, mgr = tree["as"]["admin"], tree["as"]["manager_in"]
    p = mk_person(admin, team_id=tree["A"]["id"])
    ok(mgr.patch(f"/v1/people/{p['id']}", json={"title": "teammate"}))
    before = ok(admin.get(f"/v1/people/{tree['M']['id']}"))
    problem(mgr.patch(f"/v1/people/{tree['M']['id']}", json={"title": "me"}), 403)
    assert ok(admin.get(f"/v1/people/{tree['M']['id']}")) == before
    problem(mgr.patch(f"/v1/people/{tree['P2']['id']}", json={"title": "not mine"}), 403)


def test_rep_cannot_patch_self(tree):
    rep = tree["as"]["rep"]
    problem(rep.patch(f"/v1/people/{tree['rep']['id']}", json={"title": "me"}), 403)


def test_manager_moves_only_inside_the_subtree(tree):
    admin, mgr, mgr2 = tree["as"]["admin"], tree["as"]["manager_in"], tree["as"]["manager_out"]
    p = mk_person(admin, team_id=tree["A1"]["id"])
    assert ok(mgr.patch(f"/v1/people/{p['id']}", json={"team_id": tree["A"]["id"]}))["team_id"] \
        == tree["A"]["id"]
    before = ok(admin.get(f"/v1/people/{p['id']}"))
    problem(mgr.patch(f"/v1/people/{p['id']}", json={"team_id": tree["B"]["id"]}), 403)
    problem(mgr.patch(f"/v1/people/{p['id']}", json={"team_id": None}), 403)
    assert ok(admin.get(f"/v1/people/{p['id']}")) == before
    # The manager of B cannot pull one of B's people into A1 either.
    q = mk_person(admin, team_id=tree["B"]["id"])
    problem(mgr2.patch(f"/v1/people/{q['id']}", json={"team_id": tree["A1"]["id"]}), 403)
    assert ok(admin.get(f"/v1/people/{q['id']}")) == q


@pytest.mark.parametrize("role,status", [("admin", 204), ("exec", 403), ("manager_in", 204),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 404)])
def test_role_delete_in_a1(tree, role, status):
    admin = tree["as"]["admin"]
    p = mk_person(admin, team_id=tree["A1"]["id"])
    r = tree["as"][role].delete(f"/v1/people/{p['id']}")
    if status == 204:
        assert r.status_code == 204
        problem(admin.get(f"/v1/people/{p['id']}"), 404)
    else:
        problem(r, status)
        assert ok(admin.get(f"/v1/people/{p['id']}")) == p


def test_manager_cannot_delete_self(tree):
    problem(tree["as"]["manager_in"].delete(f"/v1/people/{tree['M']['id']}"), 403)


def test_refusals_say_why(tree):
    # The service carries the messages the handlers used to send, to the letter.
    mgr = tree["as"]["manager_in"]
    outside = "the team is outside the teams you manage"
    assert problem(mgr.post("/v1/people", json=person_body()), 403)["detail"] == outside
    assert problem(mgr.post("/v1/people", json=person_body(team_id=tree["B"]["id"])), 403)["detail"] \
        == outside
    assert problem(mgr.patch(f"/v1/people/{tree['P2']['id']}", json={"title": "x"}), 403)["detail"] \
        == outside
    assert problem(mgr.patch(f"/v1/people/{tree['P1']['id']}", json={"team_id": tree["B"]["id"]}),
                   403)["detail"] == outside
    for r in (mgr.patch(f"/v1/people/{tree['M']['id']}", json={"title": "boss"}),
              mgr.delete(f"/v1/people/{tree['M']['id']}")):
        assert problem(r, 403)["detail"] == "your own record is your manager's call"
    for r in (mgr.get(f"/v1/people/{MISSING}"), mgr.patch(f"/v1/people/{MISSING}", json={"title": "x"}),
              mgr.delete(f"/v1/people/{MISSING}")):
        assert problem(r, 404)["detail"] == "no such person"
