"""/v1/teams: CRUD, the tree, validation, ETag, idempotency, pagination, CSV, roles."""

import uuid

import pytest

from contract import ok, parse_csv, problem

TEAM_FIELDS = {"id", "name", "parent_id", "manager_id", "external_id", "version",
               "created_at", "updated_at"}
MISSING = "999999999999"


def uid():
    return uuid.uuid4().hex[:10]


def mk_team(api, name=None, **fields):
    body = {"name": name or "team " + uid(), **fields}
    return ok(api.post("/v1/teams", json=body), 201)


def mk_person(api, team_id=None, **fields):
    u = uid()
    body = {"name": "person " + u, "email": f"{u}@example.com", **fields}
    if team_id is not None:
        body["team_id"] = team_id
    return ok(api.post("/v1/people", json=body), 201)


def all_teams(api, **params):
    return ok(api.get("/v1/teams", params={"limit": 1000, **params}))["items"]


@pytest.fixture(scope="module")
def tree(admin, client, tokens, org, other_org):
    """
    R (top level) ─┬─ A (managed by M) ── A1
                   └─ B (managed by M2)
    M is a member of A, M2 of B. Clients for every role of the matrix.
    """
    r = mk_team(admin, "R " + uid())
    a = mk_team(admin, "A " + uid(), parent_id=r["id"])
    b = mk_team(admin, "B " + uid(), parent_id=r["id"])
    a1 = mk_team(admin, "A1 " + uid(), parent_id=a["id"])
    m = mk_person(admin, a["id"])
    m2 = mk_person(admin, b["id"])
    rep = mk_person(admin, a1["id"])
    a = ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    b = ok(admin.patch(f"/v1/teams/{b['id']}", json={"manager_id": m2["id"]}))
    roles = {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "manager_in": client(tokens.token(org, ["manager"], person_id=m["id"])),
        "manager_out": client(tokens.token(org, ["manager"], person_id=m2["id"])),
        "rep": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "service": client(tokens.token(org, ["service"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }
    return {"R": r, "A": a, "B": b, "A1": a1, "M": m, "M2": m2, "rep": rep, "as": roles}


# -- create and read ------------------------------------------------------------------

def test_create_minimal(admin):
    name = "minimal " + uid()
    r = admin.post("/v1/teams", json={"name": name})
    t = ok(r, 201)
    assert set(t) == TEAM_FIELDS
    assert t["name"] == name
    assert t["parent_id"] is None and t["manager_id"] is None and t["external_id"] is None
    assert t["version"] == 1
    assert t["created_at"] == t["updated_at"]
    assert r.headers["Location"] == f"/v1/teams/{t['id']}"
    assert r.headers["ETag"] == '"1"'
    got = admin.get(r.headers["Location"])
    assert ok(got) == t
    assert got.headers["ETag"] == '"1"'


def test_create_with_every_field(admin, tree):
    ext = "crm-" + uid()
    t = mk_team(admin, "Ünïcode ✓ " + uid(), parent_id=tree["R"]["id"],
                manager_id=tree["M"]["id"], external_id=ext)
    assert t["parent_id"] == tree["R"]["id"]
    assert t["manager_id"] == tree["M"]["id"]
    assert t["external_id"] == ext
    assert ok(admin.get(f"/v1/teams/{t['id']}")) == t


def test_create_with_explicit_nulls(admin):
    t = mk_team(admin, parent_id=None, manager_id=None, external_id=None)
    assert t["parent_id"] is None and t["manager_id"] is None and t["external_id"] is None


def test_name_of_200_characters(admin):
    assert mk_team(admin, "n" * 200)["name"] == "n" * 200


def test_get_unknown_is_404(admin):
    problem(admin.get(f"/v1/teams/{MISSING}"), 404)
    problem(admin.get("/v1/teams/abc"), 404)
    problem(admin.get("/v1/teams/99999999999999999999999"), 404)


INVALID_CREATE = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": None}, "name"),
    ({"name": 5}, "name"),
    ({"name": "ok", "parent_id": MISSING}, "parent_id"),
    ({"name": "ok", "parent_id": "abc"}, "parent_id"),
    ({"name": "ok", "parent_id": 5}, "parent_id"),
    ({"name": "ok", "manager_id": MISSING}, "manager_id"),
    ({"name": "ok", "manager_id": True}, "manager_id"),
    ({"name": "ok", "external_id": ""}, "external_id"),
    ({"name": "ok", "external_id": "e" * 256}, "external_id"),
    ({"name": "ok", "external_id": 12}, "external_id"),
    ({"name": "ok", "colour": "red"}, "colour"),
    ({"name": "ok", "id": "5"}, "id"),
    ({"name": "ok", "version": 1}, "version"),
]


@pytest.mark.parametrize("body,field", INVALID_CREATE,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_CREATE)])
def test_invalid_create_names_the_field_and_writes_nothing(scratch_admin, body, field):
    api = scratch_admin
    mk_team(api)
    before = all_teams(api)
    problem(api.post("/v1/teams", json=body), 400, field)
    assert all_teams(api) == before


@pytest.mark.parametrize("raw,field", [(b'{"name": "a"', "body"), (b"[]", "body"),
                                       (b'{"name": "a", "name": "b"}', "name"), (b"", "body")])
def test_malformed_create_is_400(admin, raw, field):
    before = all_teams(admin)
    problem(admin.post("/v1/teams", data=raw, headers={"Content-Type": "application/json"}),
            400, field)
    assert all_teams(admin) == before


def test_duplicate_external_id_is_409(admin):
    ext = "dup-" + uid()
    t = mk_team(admin, external_id=ext)
    before = all_teams(admin)
    problem(admin.post("/v1/teams", json={"name": "again", "external_id": ext}), 409,
            "external_id")
    assert all_teams(admin) == before
    other = mk_team(admin)
    problem(admin.patch(f"/v1/teams/{other['id']}", json={"external_id": ext}), 409,
            "external_id")
    assert ok(admin.get(f"/v1/teams/{other['id']}")) == other
    assert ok(admin.get(f"/v1/teams/{t['id']}")) == t


# -- update -----------------------------------------------------------------------------

def test_patch(admin, tree):
    t = mk_team(admin, parent_id=tree["R"]["id"])
    r = admin.patch(f"/v1/teams/{t['id']}", json={"name": "renamed", "manager_id": tree["M2"]["id"],
                                                  "external_id": "ext-" + uid()})
    u = ok(r)
    assert u["name"] == "renamed" and u["manager_id"] == tree["M2"]["id"]
    assert u["parent_id"] == tree["R"]["id"]
    assert u["version"] == 2 and r.headers["ETag"] == '"2"'
    assert u["created_at"] == t["created_at"] and u["updated_at"] >= t["updated_at"]
    assert ok(admin.get(f"/v1/teams/{t['id']}")) == u

    u = ok(admin.patch(f"/v1/teams/{t['id']}",
                       json={"parent_id": None, "manager_id": None, "external_id": None}))
    assert u["parent_id"] is None and u["manager_id"] is None and u["external_id"] is None
    assert u["version"] == 3


INVALID_PATCH = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"name": 1}, "name"),
    ({"parent_id": MISSING}, "parent_id"),
    ({"parent_id": "x"}, "parent_id"),
    ({"manager_id": MISSING}, "manager_id"),
    ({"manager_id": 3}, "manager_id"),
    ({"external_id": ""}, "external_id"),
    ({"colour": "red"}, "colour"),
    ({"version": 9}, "version"),
]


@pytest.mark.parametrize("body,field", INVALID_PATCH,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_PATCH)])
def test_invalid_patch_writes_nothing(admin, body, field):
    t = mk_team(admin)
    problem(admin.patch(f"/v1/teams/{t['id']}", json=body), 400, field)
    assert ok(admin.get(f"/v1/teams/{t['id']}")) == t


def test_patch_unknown_is_404(admin):
    problem(admin.patch(f"/v1/teams/{MISSING}", json={"name": "x"}), 404)


def test_if_match(admin):
    t = mk_team(admin)
    path = f"/v1/teams/{t['id']}"
    problem(admin.patch(path, json={"name": "stale"}, headers={"If-Match": '"7"'}), 412)
    assert ok(admin.get(path)) == t
    u = ok(admin.patch(path, json={"name": "fresh"}, headers={"If-Match": '"1"'}))
    assert u["version"] == 2
    problem(admin.patch(path, json={"name": "stale again"}, headers={"If-Match": '"1"'}), 412)
    assert ok(admin.get(path)) == u
    assert ok(admin.patch(path, json={"name": "star"}, headers={"If-Match": "*"}))["version"] == 3


def test_cycles_are_409(admin):
    top = mk_team(admin)
    mid = mk_team(admin, parent_id=top["id"])
    leaf = mk_team(admin, parent_id=mid["id"])
    for team, parent in ((top, top), (top, mid), (top, leaf), (mid, leaf), (leaf, leaf)):
        before = ok(admin.get(f"/v1/teams/{team['id']}"))
        problem(admin.patch(f"/v1/teams/{team['id']}", json={"parent_id": parent["id"]}), 409,
                "parent_id")
        assert ok(admin.get(f"/v1/teams/{team['id']}")) == before
    # Moving a subtree elsewhere is fine.
    other = mk_team(admin)
    assert ok(admin.patch(f"/v1/teams/{mid['id']}",
                          json={"parent_id": other["id"]}))["parent_id"] == other["id"]


# -- delete -----------------------------------------------------------------------------

def test_delete(admin):
    t = mk_team(admin)
    r = admin.delete(f"/v1/teams/{t['id']}")
    assert r.status_code == 204 and r.content == b""
    problem(admin.get(f"/v1/teams/{t['id']}"), 404)
    problem(admin.delete(f"/v1/teams/{t['id']}"), 404)
    assert t["id"] not in {x["id"] for x in all_teams(admin)}


def test_delete_with_children_or_members_is_409(admin):
    parent = mk_team(admin)
    child = mk_team(admin, parent_id=parent["id"])
    problem(admin.delete(f"/v1/teams/{parent['id']}"), 409)
    assert ok(admin.get(f"/v1/teams/{parent['id']}")) == parent

    member = mk_person(admin, child["id"])
    problem(admin.delete(f"/v1/teams/{child['id']}"), 409)
    assert ok(admin.get(f"/v1/teams/{child['id']}")) == child

    ok(admin.delete(f"/v1/people/{member['id']}"), 204)
    ok(admin.delete(f"/v1/teams/{child['id']}"), 204)
    ok(admin.delete(f"/v1/teams/{parent['id']}"), 204)


# -- idempotency ------------------------------------------------------------------------

def test_idempotent_create(admin):
    key = "it-" + uid()
    body = {"name": "idem " + uid()}
    first = admin.post("/v1/teams", json=body, headers={"Idempotency-Key": key})
    t = ok(first, 201)
    assert first.headers.get("Idempotent-Replayed") is None

    again = admin.post("/v1/teams", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == t
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert [x["id"] for x in all_teams(admin, q=body["name"])] == [t["id"]]

    problem(admin.post("/v1/teams", json={"name": "something else"},
                       headers={"Idempotency-Key": key}), 422)
    assert [x["id"] for x in all_teams(admin, q=body["name"])] == [t["id"]]
    assert all_teams(admin, q="something else") == []

    # Another key is another request.
    other = ok(admin.post("/v1/teams", json=body, headers={"Idempotency-Key": key + "-2"}), 201)
    assert other["id"] != t["id"]


def test_idempotency_key_on_another_route_is_422(admin):
    key = "it-" + uid()
    ok(admin.post("/v1/teams", json={"name": "route " + uid()}, headers={"Idempotency-Key": key}),
       201)
    u = uid()
    before = ok(admin.get("/v1/people", params={"limit": 1000}))["items"]
    problem(admin.post("/v1/people", json={"name": "p", "email": f"{u}@example.com"},
                       headers={"Idempotency-Key": key}), 422)
    assert ok(admin.get("/v1/people", params={"limit": 1000}))["items"] == before


def test_failed_request_does_not_burn_the_key(admin):
    key = "it-" + uid()
    problem(admin.post("/v1/teams", json={"name": ""}, headers={"Idempotency-Key": key}), 400,
            "name")
    r = admin.post("/v1/teams", json={"name": "after failure"}, headers={"Idempotency-Key": key})
    ok(r, 201)
    assert r.headers.get("Idempotent-Replayed") is None


def test_idempotency_keys_are_per_org(admin, other_admin):
    key = "it-shared-" + uid()
    body = {"name": "per org " + uid()}
    a = ok(admin.post("/v1/teams", json=body, headers={"Idempotency-Key": key}), 201)
    r = other_admin.post("/v1/teams", json=body, headers={"Idempotency-Key": key})
    b = ok(r, 201)
    assert r.headers.get("Idempotent-Replayed") is None
    assert ok(other_admin.get(f"/v1/teams/{b['id']}")) == b
    if a["id"] != b["id"]:
        problem(other_admin.get(f"/v1/teams/{a['id']}"), 404)


# -- lists ------------------------------------------------------------------------------

def test_pagination_walk(admin):
    prefix = "page-" + uid()
    created = [mk_team(admin, f"{prefix}-{i}")["id"] for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": prefix, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = ok(admin.get("/v1/teams", params=params))
        assert len(page["items"]) <= 3
        seen += [t["id"] for t in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert pages < 10, "pagination does not end"
    assert pages in (3, 4)
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(created, key=int)
    assert [int(i) for i in seen] == sorted(int(i) for i in seen)
    # Stable: the same walk again gives the same order.
    again = ok(admin.get("/v1/teams", params={"q": prefix, "limit": 1000}))
    assert [t["id"] for t in again["items"]] == seen
    assert again["next_cursor"] is None


def test_default_limit_is_100(admin):
    page = ok(admin.get("/v1/teams"))
    assert len(page["items"]) <= 100


@pytest.mark.parametrize("limit", ["0", "1001", "abc", "-1", "1.5", ""])
def test_bad_limit(admin, limit):
    problem(admin.get("/v1/teams", params={"limit": limit}), 400, "limit")


def test_bad_cursor(admin):
    problem(admin.get("/v1/teams", params={"cursor": "@@@not a cursor@@@"}), 400, "cursor")


def test_csv(admin, tree):
    prefix = "csv-" + uid()
    t1 = mk_team(admin, f"{prefix} one, with \"quotes\"", external_id="x-" + uid())
    t2 = mk_team(admin, f"{prefix} two", parent_id=tree["R"]["id"], manager_id=tree["M"]["id"])
    r = admin.get("/v1/teams", params={"q": prefix}, headers={"Accept": "text/csv"})
    assert r.status_code == 200
    header, rows = parse_csv(r)
    assert set(header) == TEAM_FIELDS and len(header) == len(TEAM_FIELDS)
    assert [row["id"] for row in rows] == [t1["id"], t2["id"]]
    assert rows[0]["name"] == t1["name"]
    assert rows[0]["parent_id"] == "" and rows[0]["manager_id"] == ""
    assert rows[0]["external_id"] == t1["external_id"]
    assert rows[1]["parent_id"] == tree["R"]["id"] and rows[1]["manager_id"] == tree["M"]["id"]
    assert rows[1]["external_id"] == ""
    assert rows[0]["version"] == "1"
    assert rows[0]["created_at"] == t1["created_at"]
    assert r.headers.get("X-Next-Cursor") is None


def test_csv_pages(admin):
    prefix = "csvpage-" + uid()
    ids = [mk_team(admin, f"{prefix}-{i}")["id"] for i in range(5)]
    r = admin.get("/v1/teams", params={"q": prefix, "limit": 3}, headers={"Accept": "text/csv"})
    _, rows = parse_csv(r)
    assert [row["id"] for row in rows] == ids[:3]
    cursor = r.headers["X-Next-Cursor"]
    r = admin.get("/v1/teams", params={"q": prefix, "limit": 3, "cursor": cursor},
                  headers={"Accept": "text/csv"})
    _, rows = parse_csv(r)
    assert [row["id"] for row in rows] == ids[3:]
    assert r.headers.get("X-Next-Cursor") is None


def test_empty_csv_has_header(admin):
    r = admin.get("/v1/teams", params={"q": "no-such-team-" + uid()}, headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == TEAM_FIELDS and rows == []


def test_filters(admin, tree):
    top = {t["id"] for t in all_teams(admin, parent_id="root")}
    assert tree["R"]["id"] in top
    assert tree["A"]["id"] not in top and tree["A1"]["id"] not in top
    assert all(t["parent_id"] is None for t in all_teams(admin, parent_id="root"))

    children = {t["id"] for t in all_teams(admin, parent_id=tree["R"]["id"])}
    assert {tree["A"]["id"], tree["B"]["id"]} <= children
    assert tree["A1"]["id"] not in children
    assert [t["id"] for t in all_teams(admin, parent_id=tree["A"]["id"])] == [tree["A1"]["id"]]

    managed = all_teams(admin, manager_id=tree["M2"]["id"])
    assert tree["B"]["id"] in {t["id"] for t in managed}
    assert all(t["manager_id"] == tree["M2"]["id"] for t in managed)

    name = tree["A1"]["name"]
    for q in (name, name.upper(), name.lower(), name[3:]):
        assert tree["A1"]["id"] in {t["id"] for t in all_teams(admin, q=q)}, q
    assert all_teams(admin, q="zz-nothing-" + uid()) == []
    assert all_teams(admin, parent_id=MISSING) == []


@pytest.mark.parametrize("params,field", [({"parent_id": "abc"}, "parent_id"),
                                          ({"manager_id": "x1"}, "manager_id"),
                                          ({"q": ""}, "q"),
                                          ({"colour": "red"}, "colour")])
def test_bad_filters(admin, params, field):
    problem(admin.get("/v1/teams", params=params), 400, field)


# -- another org --------------------------------------------------------------------------

def test_other_org_sees_nothing(tree, other_admin):
    for key in ("R", "A", "A1"):
        tid = tree[key]["id"]
        problem(other_admin.get(f"/v1/teams/{tid}"), 404)
        problem(other_admin.patch(f"/v1/teams/{tid}", json={"name": "mine now"}), 404)
        problem(other_admin.delete(f"/v1/teams/{tid}"), 404)
    ours = {tree[k]["id"] for k in ("R", "A", "B", "A1")}
    theirs = {t["id"] for t in all_teams(other_admin)}
    assert not ours & theirs
    problem(other_admin.post("/v1/teams", json={"name": "x", "parent_id": tree["A"]["id"]}), 400,
            "parent_id")
    problem(other_admin.post("/v1/teams", json={"name": "x", "manager_id": tree["M"]["id"]}), 400,
            "manager_id")
    assert ok(tree["as"]["admin"].get(f"/v1/teams/{tree['A']['id']}")) == tree["A"]


# -- roles --------------------------------------------------------------------------------

ALL_ROLES = ["admin", "exec", "manager_in", "manager_out", "rep", "service", "other_org"]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_role_list(tree, role):
    ids = {t["id"] for t in all_teams(tree["as"][role])}
    if role == "other_org":
        assert tree["A1"]["id"] not in ids
    else:
        assert {tree[k]["id"] for k in ("R", "A", "B", "A1")} <= ids


@pytest.mark.parametrize("role,status", [("admin", 200), ("exec", 200), ("manager_in", 200),
                                         ("manager_out", 200), ("rep", 200), ("service", 200),
                                         ("other_org", 404)])
def test_role_get(tree, role, status):
    r = tree["as"][role].get(f"/v1/teams/{tree['A1']['id']}")
    if status == 200:
        assert ok(r)["id"] == tree["A1"]["id"]
    else:
        problem(r, status)


@pytest.mark.parametrize("role,status", [("admin", 201), ("exec", 403), ("manager_in", 201),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 400)])
def test_role_create_below_a1(tree, role, status):
    admin = tree["as"]["admin"]
    name = f"by {role} {uid()}"
    r = tree["as"][role].post("/v1/teams", json={"name": name, "parent_id": tree["A1"]["id"]})
    if status == 201:
        assert ok(r, 201)["parent_id"] == tree["A1"]["id"]
    else:
        problem(r, status)
        assert all_teams(admin, q=name) == []


@pytest.mark.parametrize("role,status", [("admin", 201), ("manager_in", 201),
                                         ("manager_out", 403)])
def test_role_create_below_the_managed_team(tree, role, status):
    r = tree["as"][role].post("/v1/teams", json={"name": "under A " + uid(),
                                                 "parent_id": tree["A"]["id"]})
    if status == 201:
        assert ok(r, 201)["parent_id"] == tree["A"]["id"]
    else:
        problem(r, status)


def test_manager_cannot_create_top_level_or_elsewhere(tree):
    mgr = tree["as"]["manager_in"]
    problem(mgr.post("/v1/teams", json={"name": "top " + uid()}), 403)
    problem(mgr.post("/v1/teams", json={"name": "top " + uid(), "parent_id": None}), 403)
    problem(mgr.post("/v1/teams", json={"name": "in R " + uid(), "parent_id": tree["R"]["id"]}),
            403)
    problem(mgr.post("/v1/teams", json={"name": "in B " + uid(), "parent_id": tree["B"]["id"]}),
            403)


@pytest.mark.parametrize("role,status", [("admin", 200), ("exec", 403), ("manager_in", 200),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 404)])
def test_role_patch_below(tree, role, status):
    admin = tree["as"]["admin"]
    leaf = mk_team(admin, parent_id=tree["A1"]["id"])
    r = tree["as"][role].patch(f"/v1/teams/{leaf['id']}", json={"name": f"patched by {role}"})
    if status == 200:
        assert ok(r)["name"] == f"patched by {role}"
    else:
        problem(r, status)
        assert ok(admin.get(f"/v1/teams/{leaf['id']}")) == leaf


def test_manager_patches_a1_but_not_the_managed_team(tree):
    admin, mgr = tree["as"]["admin"], tree["as"]["manager_in"]
    a1 = ok(mgr.patch(f"/v1/teams/{tree['A1']['id']}", json={"name": tree["A1"]["name"]}))
    assert a1["id"] == tree["A1"]["id"]
    before = ok(admin.get(f"/v1/teams/{tree['A']['id']}"))
    problem(mgr.patch(f"/v1/teams/{tree['A']['id']}", json={"name": "mine"}), 403)
    problem(mgr.patch(f"/v1/teams/{tree['R']['id']}", json={"name": "mine"}), 403)
    problem(mgr.patch(f"/v1/teams/{tree['B']['id']}", json={"name": "mine"}), 403)
    assert ok(admin.get(f"/v1/teams/{tree['A']['id']}")) == before


def test_manager_moves_only_inside_the_subtree(tree):
    admin, mgr = tree["as"]["admin"], tree["as"]["manager_in"]
    leaf = mk_team(admin, parent_id=tree["A1"]["id"])
    moved = ok(mgr.patch(f"/v1/teams/{leaf['id']}", json={"parent_id": tree["A"]["id"]}))
    assert moved["parent_id"] == tree["A"]["id"]
    problem(mgr.patch(f"/v1/teams/{leaf['id']}", json={"parent_id": tree["B"]["id"]}), 403)
    problem(mgr.patch(f"/v1/teams/{leaf['id']}", json={"parent_id": None}), 403)
    assert ok(admin.get(f"/v1/teams/{leaf['id']}")) == moved


@pytest.mark.parametrize("role,status", [("admin", 204), ("exec", 403), ("manager_in", 204),
                                         ("manager_out", 403), ("rep", 403), ("service", 403),
                                         ("other_org", 404)])
def test_role_delete_below(tree, role, status):
    admin = tree["as"]["admin"]
    leaf = mk_team(admin, parent_id=tree["A1"]["id"])
    r = tree["as"][role].delete(f"/v1/teams/{leaf['id']}")
    if status == 204:
        assert r.status_code == 204
        problem(admin.get(f"/v1/teams/{leaf['id']}"), 404)
    else:
        problem(r, status)
        assert ok(admin.get(f"/v1/teams/{leaf['id']}")) == leaf


def test_manager_cannot_delete_the_managed_team(tree):
    problem(tree["as"]["manager_in"].delete(f"/v1/teams/{tree['A']['id']}"), 403)
    problem(tree["as"]["manager_out"].delete(f"/v1/teams/{tree['A1']['id']}"), 403)


def test_refusals_say_why(tree):
    # The service carries the messages the handlers used to send, to the letter.
    mgr = tree["as"]["manager_in"]
    assert problem(mgr.post("/v1/teams", json={"name": "top " + uid()}), 403)["detail"] \
        == "only an admin creates top-level teams"
    assert problem(mgr.post("/v1/teams", json={"name": "in B " + uid(), "parent_id": tree["B"]["id"]}),
                   403)["detail"] == "the parent team is outside the teams you manage"
    assert problem(mgr.patch(f"/v1/teams/{tree['A']['id']}", json={"name": "mine"}), 403)["detail"] \
        == "this team is outside the teams you manage"
    assert problem(mgr.delete(f"/v1/teams/{tree['A']['id']}"), 403)["detail"] \
        == "this team is outside the teams you manage"
    for r in (mgr.get(f"/v1/teams/{MISSING}"), mgr.patch(f"/v1/teams/{MISSING}", json={"name": "x"}),
              mgr.delete(f"/v1/teams/{MISSING}")):
        assert problem(r, 404)["detail"] == "no such team"
