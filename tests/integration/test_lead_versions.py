"""Issue 12, items 3 and 6: a scoring model's two numbers have two names (`version`: its rules,
the ETag; `trained_version`: its trainings) everywhere and its timestamps are in order; a
training gives every lead of the segment, closed ones too, the new model's probability; a
disqualified lead is converted only with "force": true, which the lead records."""

import csv
import datetime
import io
import json
import uuid

from lead_training import train
from contract import ok, problem
from test_lead_scoring import bulk, closed_leads


def instant(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_rules_version_and_trained_version_are_apart(scratch_admin):
    api = scratch_admin
    bulk(api, closed_leads(400, seed=7))
    r0 = api.get("/v1/lead-scoring/models/b2c")
    m0 = ok(r0)
    assert m0["predictive"] is None

    ev = train(api)
    assert ev["trained_version"] == 1 and "version" not in ev
    r1 = api.get("/v1/lead-scoring/models/b2c")
    m1 = ok(r1)
    # the rules did not change: same version, same ETag
    assert m1["version"] == m0["version"] and r1.headers["ETag"] == r0.headers["ETag"]
    assert set(m1["predictive"]) == {"trained_version", "trained_at", "learner", "auc", "n_train",
                                     "n_holdout", "columns"}
    assert m1["predictive"]["trained_version"] == 1 and m1["predictive"]["trained_at"] == ev["trained_at"]
    assert instant(m1["updated_at"]) >= instant(m1["predictive"]["trained_at"])
    assert instant(m1["updated_at"]) >= instant(m0["updated_at"])
    rows = list(csv.DictReader(io.StringIO(
        api.get("/v1/lead-scoring/models/b2c/evaluation", headers={"Accept": "text/csv"}).text)))
    assert "version" not in rows[0] and {x["trained_version"] for x in rows} == {"1"}

    # every lead, closed ones too, carries the probability of training 1
    leads = ok(api.get("/v1/leads", params={"segment": "b2c", "limit": 1000}))["items"]
    assert len(leads) == 400
    for lead in leads:
        assert lead["probability"] is not None, lead
        assert lead["score_breakdown"]["predicted"]["trained_version"] == 1

    # an If-Match taken before the training still holds: a PUT changes the rules only
    body = {**m0, "thresholds": {**m0["thresholds"], "qualified": m0["thresholds"]["qualified"] + 1}}
    r2 = api.put("/v1/lead-scoring/models/b2c", json=body, headers={"If-Match": r0.headers["ETag"]})
    m2 = ok(r2)
    assert m2["version"] == m0["version"] + 1 and r2.headers["ETag"] == f'"{m2["version"]}"'
    assert m2["predictive"] == m1["predictive"]
    assert instant(m2["updated_at"]) >= instant(m1["updated_at"])
    web = {"segment": "b2c", "attributes": {"channel": "web", "visits": 19}}
    s = ok(api.post("/v1/leads/score", json=web))
    assert "model_version" not in s
    assert s["rules_version"] == m2["version"] and s["trained_version"] == 1
    assert s["score_breakdown"]["predicted"]["trained_version"] == 1

    # a second training: trained_version 2 everywhere, the rules' version still m2's
    ev2 = train(api, body={})
    assert ev2["trained_version"] == 2
    m3 = ok(api.get("/v1/lead-scoring/models/b2c"))
    assert m3["version"] == m2["version"] and m3["predictive"]["trained_version"] == 2
    assert m3["updated_at"] == m3["predictive"]["trained_at"] == ev2["trained_at"]
    assert ok(api.get("/v1/lead-scoring/models/b2c/evaluation"))["trained_version"] == 2
    s = ok(api.post("/v1/leads/score", json=web))
    assert s["rules_version"] == m2["version"] and s["trained_version"] == 2
    lead = ok(api.get(f"/v1/leads/{leads[0]['id']}"))
    assert lead["score_breakdown"]["predicted"]["trained_version"] == 2
    # the stale ETag is the one a PUT bumped, not a training
    problem(api.put("/v1/lead-scoring/models/b2c", json=body, headers={"If-Match": r0.headers["ETag"]}), 412)


def test_converting_a_disqualified_lead_needs_force(client, tokens):
    org = "it-scratch-" + uuid.uuid4().hex[:12]
    api = client(tokens.token(org, ["admin"], sub="boss-" + org))
    owner = ok(api.post("/v1/people", json={"name": "Rep", "email": f"{uuid.uuid4().hex[:8]}@example.com"}), 201)
    lead = ok(api.post("/v1/leads", json={"company": "Lost Co", "budget": 5000, "owner_id": owner["id"],
                                          "status": "disqualified"}), 201)
    assert lead["forced_conversion"] is None
    body = problem(api.post(f"/v1/leads/{lead['id']}/convert", json={}), 409, "status")
    assert "force" in body["errors"][0]["message"]
    problem(api.post(f"/v1/leads/{lead['id']}/convert", json={"force": False}), 409, "status")
    problem(api.post(f"/v1/leads/{lead['id']}/convert", json={"force": "yes"}), 400, "force")
    assert ok(api.get(f"/v1/leads/{lead['id']}")) == lead
    assert ok(api.get("/v1/deals"))["items"] == []

    out = ok(api.post(f"/v1/leads/{lead['id']}/convert", json={"force": True}), 201)
    converted = out["lead"]
    assert converted["status"] == "converted" and converted["converted_deal_id"] == out["deal"]["id"]
    forced = converted["forced_conversion"]
    assert forced["by"] == "boss-" + org
    assert instant(forced["at"]) >= instant(lead["updated_at"])
    assert ok(api.get(f"/v1/leads/{lead['id']}")) == converted
    # it stays with the lead, and shows in the CSV too
    later = ok(api.patch(f"/v1/leads/{lead['id']}", json={"company": "Won Co"}))
    assert later["forced_conversion"] == forced
    rows = list(csv.DictReader(io.StringIO(api.get("/v1/leads", headers={"Accept": "text/csv"}).text)))
    assert [x["forced_conversion"] for x in rows if x["id"] == lead["id"]] != [""]

    # other leads need no force and record none; "force" on them changes nothing
    for status, force in (("new", False), ("nurture", True)):
        other = ok(api.post("/v1/leads", json={"budget": 10, "owner_id": owner["id"], "status": status}), 201)
        done = ok(api.post(f"/v1/leads/{other['id']}/convert", json={"force": force}), 201)["lead"]
        assert done["status"] == "converted" and done["forced_conversion"] is None


def test_a_patch_does_not_convert_a_disqualified_lead(client, tokens):
    """A PATCH does not convert a disqualified lead (409 naming status; POST .../convert with force
    does). The bulk sync, the CRM's record of outcomes, may."""
    org = "it-scratch-" + uuid.uuid4().hex[:12]
    api = client(tokens.token(org, ["admin"], sub="boss-" + org))
    ext = "dq-" + uuid.uuid4().hex[:8]
    lead = ok(api.post("/v1/leads", json={"company": "Lost Co", "status": "disqualified", "external_id": ext}), 201)
    problem(api.patch(f"/v1/leads/{lead['id']}", json={"status": "converted"}), 409, "status")
    body = "".join(json.dumps(x) + "\n" for x in [{"external_id": ext, "company": "Lost Co", "status": "converted"}])
    res = ok(api.post("/v1/leads/bulk", data=body, headers={"Content-Type": "application/x-ndjson"}))
    assert res["rejected"] == 0 and ok(api.get(f"/v1/leads/{lead['id']}"))["status"] == "converted"
    other = ok(api.post("/v1/leads", json={"company": "Lost Too", "status": "disqualified"}), 201)
    # other moves stay open: back to nurture, and from there a PATCH may convert
    ok(api.patch(f"/v1/leads/{other['id']}", json={"status": "nurture"}))
    assert ok(api.patch(f"/v1/leads/{other['id']}", json={"status": "converted"}))["status"] == "converted"
