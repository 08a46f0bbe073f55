"""A write that changes nothing keeps the version (DESIGN §5): PATCH {} or a PATCH repeating the
stored values answers the resource as it is, with the same version and updated_at, and writes
no audit or history entry."""

import pytest

from contract import ok
from quota_support import uid


def same(before, after):
    assert after["version"] == before["version"]
    assert after["updated_at"] == before["updated_at"]
    assert after == before


@pytest.fixture(scope="module")
def made(admin):
    team = ok(admin.post("/v1/teams", json={"name": "noop " + uid()}), 201)
    u = uid()
    person = ok(admin.post("/v1/people", json={"name": "p " + u, "email": f"{u}@example.com",
                                               "team_id": team["id"], "segment": "b2b"}), 201)
    deal = ok(admin.post("/v1/deals", json={
        "name": "d " + uid(), "owner_id": person["id"], "amount": 1000.5, "stage": "proposal",
        "close_date": "2027-03-31", "splits": [{"person_id": person["id"], "percent": 100}]}), 201)
    lead = ok(admin.post("/v1/leads", json={"company": "c " + uid(), "owner_id": person["id"],
                                            "budget": 5000, "need": "high"}), 201)
    quota = ok(admin.post("/v1/quotas", json={"assignee": {"type": "person", "id": person["id"]},
                                              "period": "FY2026", "metric": "revenue",
                                              "amount": 1000, "notes": "n"}), 201)
    return {"teams": team, "people": person, "deals": deal, "leads": lead, "quotas": quota}


@pytest.mark.parametrize("kind,again", [
    ("teams", lambda x: {"name": x["name"]}),
    ("people", lambda x: {"name": x["name"], "segment": x["segment"], "team_id": x["team_id"]}),
    ("deals", lambda x: {"amount": x["amount"], "stage": x["stage"], "splits": x["splits"]}),
    ("leads", lambda x: {"budget": x["budget"], "need": x["need"]}),
    ("quotas", lambda x: {"amount": x["amount"], "notes": x["notes"]}),
])
def test_a_patch_that_changes_nothing_keeps_the_version(admin, made, kind, again):
    x = made[kind]
    path = f"/v1/{kind}/{x['id']}"
    before = ok(admin.get(path))
    for body in ({}, again(before)):
        r = admin.patch(path, json=body, headers={"If-Match": f'"{before["version"]}"'})
        same(before, ok(r))
        assert r.headers["ETag"] == f'"{before["version"]}"'
    same(before, ok(admin.get(path)))
    # a real change still counts
    changed = ok(admin.patch(path, json={"name": "renamed " + uid()} if kind in ("teams", "people", "deals")
                             else {"budget": 6000} if kind == "leads" else {"amount": 1234}))
    assert changed["version"] == before["version"] + 1


def test_an_unchanged_quota_writes_no_audit_entry(admin, made):
    q = made["quotas"]
    path = f"/v1/quotas/{q['id']}"
    n = len(ok(admin.get(f"{path}/history"))["items"])
    cur = ok(admin.get(path))
    ok(admin.patch(path, json={}))
    ok(admin.patch(path, json={"amount": cur["amount"], "notes": cur["notes"]}))
    assert len(ok(admin.get(f"{path}/history"))["items"]) == n


def test_an_unchanged_deal_writes_no_history(admin, made):
    d = made["deals"]
    path = f"/v1/deals/{d['id']}"
    n = len(ok(admin.get(f"{path}/history"))["items"])
    ok(admin.patch(path, json={}))
    assert len(ok(admin.get(f"{path}/history"))["items"]) == n


def test_org_patch_that_changes_nothing(scratch_admin):
    before = ok(scratch_admin.get("/v1/org"))
    for body in ({}, {"currency": before["currency"], "timezone": before["timezone"]}):
        same(before, ok(scratch_admin.patch("/v1/org", json=body)))
    assert ok(scratch_admin.patch("/v1/org", json={"name": "renamed " + uid()}))["version"] == \
        before["version"] + 1


def test_a_put_that_changes_nothing_keeps_the_version(admin, made):
    q = ok(admin.get(f"/v1/quotas/{made['quotas']['id']}"))
    full = {"assignee": q["assignee"], "period": q["period"], "metric": q["metric"],
            "amount": q["amount"], "notes": q["notes"]}
    same(q, ok(admin.put(f"/v1/quotas/{q['id']}", json=full)))
