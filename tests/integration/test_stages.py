"""/v1/stages: the default list, replacing it (validation, If-Match, stages in use), roles,
CSV, and deals keeping their probability when a stage's default changes."""

import copy
import uuid

import pytest

from contract import ok, parse_csv, problem

DEFAULT = [
    ("prospecting", "Prospecting", 10, "pipeline", False, False),
    ("qualification", "Qualification", 20, "pipeline", False, False),
    ("needs_analysis", "Needs Analysis", 40, "pipeline", False, False),
    ("proposal", "Proposal", 60, "best_case", False, False),
    ("negotiation", "Negotiation", 80, "commit", False, False),
    ("closed_won", "Closed Won", 100, "closed", True, False),
    ("closed_lost", "Closed Lost", 0, "omitted", False, True),
]
STAGE_FIELDS = {"key", "name", "probability", "forecast_category", "is_won", "is_lost"}


def uid():
    return uuid.uuid4().hex[:10]


def as_items(rows):
    return [dict(zip(("key", "name", "probability", "forecast_category", "is_won", "is_lost"), r))
            for r in rows]


def put_items(items):
    """A PUT body from GET items."""
    return {"items": copy.deepcopy(items)}


@pytest.fixture(scope="module")
def fresh(client, tokens):
    """An admin of an org nobody has touched yet."""
    org = "it-stages-" + uid()
    return client(tokens.token(org, ["admin"], sub="admin-" + org))


@pytest.fixture(scope="module")
def people(admin):
    team = ok(admin.post("/v1/teams", json={"name": "stages " + uid()}), 201)
    u = uid()
    owner = ok(admin.post("/v1/people", json={"name": "owner", "email": f"{u}@example.com",
                                              "team_id": team["id"], "segment": "b2b"}), 201)
    return {"team": team, "owner": owner}


def current(api):
    r = api.get("/v1/stages")
    body = ok(r)
    assert r.headers["ETag"] == f'"{body["version"]}"'
    return body


def test_default_list_from_first_use(fresh):
    body = current(fresh)
    assert body["items"] == as_items(DEFAULT)
    assert body["version"] == 1 and body["next_cursor"] is None
    assert all(set(s) == STAGE_FIELDS for s in body["items"])


def test_csv(fresh):
    r = fresh.get("/v1/stages", headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == STAGE_FIELDS
    assert [row["key"] for row in rows] == [s[0] for s in DEFAULT]
    assert rows[5]["is_won"] == "true" and rows[5]["probability"] == "100"


@pytest.mark.parametrize("role", ["exec", "manager", "rep", "service"])
def test_every_role_reads_only_admin_replaces(client, tokens, org, admin, role):
    api = client(tokens.token(org, [role], person_id="1"))
    before = current(admin)
    assert current(api) == before
    problem(api.put("/v1/stages", json=put_items(before["items"])), 403)
    assert current(admin) == before


def test_replace_reorders_renames_and_versions(admin):
    before = current(admin)
    items = before["items"]
    new = [dict(items[1], name="Qualify"), items[0], dict(items[2], probability=45)] + items[3:] + [
        {"key": "on_hold", "name": "On hold", "probability": 5, "forecast_category": "omitted"}]
    r = admin.put("/v1/stages", json={"items": new}, headers={"If-Match": f'"{before["version"]}"'})
    after = ok(r)
    assert after["version"] == before["version"] + 1
    assert r.headers["ETag"] == f'"{after["version"]}"'
    assert [s["key"] for s in after["items"]] == [s["key"] for s in new]
    assert after["items"][0]["name"] == "Qualify"
    assert after["items"][-1] == {"key": "on_hold", "name": "On hold", "probability": 5,
                                  "forecast_category": "omitted", "is_won": False,
                                  "is_lost": False}
    assert current(admin) == after
    # the same list again is accepted and changes nothing: the same version (DESIGN §5)
    again = ok(admin.put("/v1/stages", json=put_items(after["items"])))
    assert again == after
    # one stage fewer is a change
    fewer = ok(admin.put("/v1/stages", json=put_items(after["items"][:-1])))
    assert fewer["version"] == after["version"] + 1


def test_stale_if_match_is_412(admin):
    before = current(admin)
    problem(admin.put("/v1/stages", json=put_items(before["items"]),
                      headers={"If-Match": f'"{before["version"] + 5}"'}), 412)
    assert current(admin) == before


def invalid_lists():
    base = as_items(DEFAULT)

    def change(i, **kw):
        items = copy.deepcopy(base)
        items[i].update(kw)
        return {"items": items}

    def drop(i, key):
        items = copy.deepcopy(base)
        del items[i][key]
        return {"items": items}

    return [
        (change(1, key="prospecting"), "items[1].key"),
        (change(0, key="Prospecting"), "items[0].key"),
        (change(0, key="1st"), "items[0].key"),
        (change(0, key="a-b"), "items[0].key"),
        (change(0, key="k" * 41), "items[0].key"),
        (change(0, key=""), "items[0].key"),
        (change(0, name=""), "items[0].name"),
        (change(0, name=None), "items[0].name"),
        (change(0, probability=101), "items[0].probability"),
        (change(0, probability=-1), "items[0].probability"),
        (change(0, probability=10.5), "items[0].probability"),
        (change(0, probability="10"), "items[0].probability"),
        (change(0, forecast_category="maybe"), "items[0].forecast_category"),
        (change(0, is_won="yes"), "items[0].is_won"),
        (change(0, is_lost=None), "items[0].is_lost"),
        (change(0, colour="red"), "items[0].colour"),
        (change(5, probability=90), "items[5].probability"),
        (change(6, probability=5), "items[6].probability"),
        (change(5, is_lost=True), "items[5].is_lost"),
        (change(5, is_won=False), "items"),
        (change(6, is_lost=False), "items"),
        (drop(0, "key"), "items[0].key"),
        (drop(0, "probability"), "items[0].probability"),
        (drop(0, "forecast_category"), "items[0].forecast_category"),
        ({"items": []}, "items"),
        ({"items": base + [dict(base[0], key=f"k{i}") for i in range(44)]}, "items"),
        ({"items": "stages"}, "items"),
        ({"items": [5]}, "items[0]"),
        ({}, "items"),
        ({"items": base, "version": 3}, "version"),
    ]


@pytest.mark.parametrize("body,field", invalid_lists(),
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(invalid_lists())])
def test_invalid_list_names_the_field_and_changes_nothing(admin, body, field):
    before = current(admin)
    problem(admin.put("/v1/stages", json=body), 400, field)
    assert current(admin) == before


def test_malformed_body(admin):
    before = current(admin)
    problem(admin.put("/v1/stages", data=b"[]", headers={"Content-Type": "application/json"}),
            400, "body")
    problem(admin.put("/v1/stages", data=b"{", headers={"Content-Type": "application/json"}),
            400, "body")
    problem(admin.put("/v1/stages", data=b"x", headers={"Content-Type": "text/plain"}), 415)
    assert current(admin) == before


def test_stage_in_use(admin, people):
    base = current(admin)["items"]
    keys = [s["key"] for s in base]
    assert "proposal" in keys
    d = ok(admin.post("/v1/deals", json={"name": "in use", "owner_id": people["owner"]["id"],
                                         "amount": 10, "stage": "proposal",
                                         "close_date": "2027-01-31"}), 201)
    before = current(admin)
    removed = [s for s in base if s["key"] != "proposal"]
    r = admin.put("/v1/stages", json={"items": removed})
    body = problem(r, 409, "items")
    assert "proposal" in body["detail"]
    # ... nor moved between open and won/lost
    flipped = copy.deepcopy(base)
    for s in flipped:
        if s["key"] == "proposal":
            s.update(is_lost=True, probability=0)
    problem(admin.put("/v1/stages", json={"items": flipped}), 409, "items")
    assert current(admin) == before
    # renaming and reordering a used stage is fine
    renamed = copy.deepcopy(base)
    for s in renamed:
        if s["key"] == "proposal":
            s["name"] = "Proposal sent"
    renamed.reverse()
    after = ok(admin.put("/v1/stages", json={"items": renamed}))
    assert [s["key"] for s in after["items"]] == [s["key"] for s in renamed]
    assert ok(admin.get(f"/v1/deals/{d['id']}"))["stage"] == "proposal"
    # once no deal uses it, it can go
    ok(admin.delete(f"/v1/deals/{d['id']}"), 204)
    ok(admin.put("/v1/stages", json={"items": [s for s in renamed if s["key"] != "proposal"]}))
    assert "proposal" not in [s["key"] for s in current(admin)["items"]]
    problem(admin.post("/v1/deals", json={"name": "gone", "owner_id": people["owner"]["id"],
                                          "amount": 10, "stage": "proposal",
                                          "close_date": "2027-01-31"}), 400, "stage")


def test_new_default_probability_does_not_rewrite_deals(admin, people):
    items = current(admin)["items"]
    key = "needs_analysis"
    assert key in [s["key"] for s in items]
    old = ok(admin.post("/v1/deals", json={"name": "before", "owner_id": people["owner"]["id"],
                                           "amount": 10, "stage": key,
                                           "close_date": "2027-01-31"}), 201)
    prob = next(s["probability"] for s in items if s["key"] == key)
    assert old["probability"] == prob
    for s in items:
        if s["key"] == key:
            s.update(probability=prob + 7, forecast_category="commit")
    ok(admin.put("/v1/stages", json={"items": items}))
    kept = ok(admin.get(f"/v1/deals/{old['id']}"))
    assert kept["probability"] == prob and kept["version"] == old["version"]
    assert kept["forecast_category"] == old["forecast_category"]
    new = ok(admin.post("/v1/deals", json={"name": "after", "owner_id": people["owner"]["id"],
                                           "amount": 10, "stage": key,
                                           "close_date": "2027-01-31"}), 201)
    assert new["probability"] == prob + 7 and new["forecast_category"] == "commit"
    # a change that leaves the stage alone keeps the old probability too
    assert ok(admin.patch(f"/v1/deals/{old['id']}", json={"amount": 11}))["probability"] == prob


def test_orgs_do_not_share_stages(admin, other_admin):
    mine = current(admin)
    theirs = current(other_admin)
    items = copy.deepcopy(theirs["items"])
    items[0]["name"] = "Theirs " + uid()
    ok(other_admin.put("/v1/stages", json={"items": items}))
    assert current(admin) == mine
