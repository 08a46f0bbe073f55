"""/v1/lead-scoring/models/{segment}: the default models, replacing a model (every problem named
by its path, the segment's open leads re-scored in the same transaction), training from the
org's closed leads through the API, its evaluation, the blended scores, and who may do what."""

import csv
import io
import json
import math
import subprocess
import time
import uuid

import pytest

from conftest import Api, psql
from lead_training import start, train, train_job, wait
from contract import ok, problem

MODEL_FIELDS = {"segment", "rules", "group_caps", "thresholds", "bant", "predicted_weight", "predictive",
                "version", "updated_at"}
EVALUATION_FIELDS = {"segment", "trained_version", "trained_at", "auc", "brier", "log_loss", "base_rate_pct",
                     "n_train", "n_holdout", "n_converted", "n_unconverted", "alpha", "columns",
                     "calibration", "by_grade", "grade_cutoffs", "learner", "learners", "serving_reason"}
BANT = {"required": ["budget", "authority"],
        "budget": {"yes": 10000, "partial": 1000},
        "authority": {"yes": ["decision_maker", "economic_buyer"], "partial": ["influencer"]},
        "need": {"yes": ["high"], "partial": ["medium"]},
        "timeline": {"yes_within_days": 30, "partial_within_days": 90}}


def uid():
    return uuid.uuid4().hex[:10]


def model(rules, **extra):
    return {"rules": rules, "thresholds": {"qualified": 50, "nurture": 20}, "bant": BANT, **extra}


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


def parts_sum(breakdown):
    s = sum(r["points"] for r in breakdown["rules"])
    if breakdown["predicted"] is not None:
        s += breakdown["predicted"]["points"]
    return round(s, 2)


@pytest.fixture(scope="module")
def roles(admin, client, tokens, org, other_org):
    return {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "manager": client(tokens.token(org, ["manager"])),
        "rep": client(tokens.token(org, ["rep"])),
        "service": client(tokens.token(org, ["service"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }


def closed_leads(n, seed=1, prefix=None):
    """
    n closed b2c leads whose conversion depends on their channel and visits (deterministic):
    web converts most, then ads, then fair; more visits help.
    """
    prefix = prefix or "t-" + uid()
    out, x = [], seed
    for i in range(n):
        x = (x * 1103515245 + 12345) % 2 ** 31
        channel = ("web", "ads", "fair")[i % 3]
        visits = (x >> 8) % 20
        base = {"web": 0.75, "ads": 0.45, "fair": 0.15}[channel] + (visits - 10) * 0.02
        u = ((x >> 4) % 1000) / 1000
        out.append({"external_id": f"{prefix}-{i}", "segment": "b2c",
                    "attributes": {"channel": channel, "visits": visits, "newsletter": i % 2 == 0},
                    "status": "converted" if u < base else "disqualified"})
    return out


def wide_leads(n, seed=1):
    """
    n closed b2c leads with many attributes (twelve categories of eight levels, four numbers), a
    signal in a few of them: a model with a few hundred columns, slow to fit.
    """
    out, x = [], seed
    for i in range(n):
        attributes, z = {}, -0.5
        for k in range(12):
            x = (x * 6364136223846793005 + 1442695040888963407) % 2 ** 64
            level = (x >> 33) % 8
            attributes[f"cat{k}"] = f"v{level}"
            z += (0.4 if level < 3 else -0.3) if k < 3 else 0
        for k in range(4):
            x = (x * 6364136223846793005 + 1442695040888963407) % 2 ** 64
            attributes[f"num{k}"] = (x >> 40) % 100
        z += 0.02 * (attributes["num0"] - 50)
        u = ((x >> 12) % 100000) / 100000
        out.append({"external_id": f"w{seed}-{i}", "segment": "b2c", "attributes": attributes,
                    "status": "converted" if u < 1 / (1 + math.exp(-z)) else "disqualified"})
    return out


def bulk(api, items):
    body = "".join(json.dumps(x) + "\n" for x in items)
    res = ok(api.post("/v1/leads/bulk?atomic=true", data=body,
                      headers={"Content-Type": "application/x-ndjson"}, timeout=1800))
    assert res["rejected"] == 0
    return res


# -- the defaults ------------------------------------------------------------------------------

def test_default_models(admin):
    r = admin.get("/v1/lead-scoring/models/b2b")
    b2b = ok(r)
    assert set(b2b) == MODEL_FIELDS and r.headers["ETag"] == f'"{b2b["version"]}"'
    assert b2b["segment"] == "b2b" and b2b["predictive"] is None and b2b["predicted_weight"] == 0.5
    assert b2b["group_caps"]["budget"] == 30 and b2b["group_caps"]["authority"] == 30
    assert sum(b2b["group_caps"].values()) == 100
    assert b2b["bant"]["required"] == ["budget", "authority", "need"]
    assert b2b["thresholds"] == {"qualified": 70, "nurture": 40, "disqualified": 40}
    b2c = ok(admin.get("/v1/lead-scoring/models/b2c"))
    assert b2c["group_caps"]["timeline"] == 35 and b2c["group_caps"]["engagement"] == 35
    assert sum(b2c["group_caps"].values()) == 100
    assert b2c["bant"]["required"] == ["need", "timeline"]
    # the defaults are valid models: a PUT of them changes nothing, not even the version
    again = ok(admin.put("/v1/lead-scoring/models/b2c",
                         json={k: b2c[k] for k in ("rules", "group_caps", "thresholds", "bant",
                                                   "predicted_weight")}))
    assert again == b2c


@pytest.mark.parametrize("role", ["admin", "exec", "manager", "rep", "service", "other_org"])
def test_every_role_reads(roles, role):
    m = ok(roles[role].get("/v1/lead-scoring/models/b2b"))
    assert m["segment"] == "b2b"
    problem(roles[role].get("/v1/lead-scoring/models/b2b/evaluation"), 404)


@pytest.mark.parametrize("role", ["exec", "manager", "rep", "service"])
def test_only_admins_write(roles, role):
    api = roles[role]
    problem(api.put("/v1/lead-scoring/models/b2b", json=model([])), 403)
    problem(api.post("/v1/lead-scoring/models/b2b/train"), 403)


def test_unknown_segment_is_404(admin):
    problem(admin.get("/v1/lead-scoring/models/b2x"), 404)
    problem(admin.put("/v1/lead-scoring/models/enterprise", json=model([])), 404)
    problem(admin.post("/v1/lead-scoring/models/B2B/train"), 404)
    problem(admin.get("/v1/lead-scoring/models/b2x/evaluation"), 404)


# -- replacing a model ------------------------------------------------------------------------

def test_put_rescores_open_leads_only(scratch_admin):
    api = scratch_admin
    open_lead = ok(api.post("/v1/leads", json={"budget": 30000}), 201)
    closed = ok(api.post("/v1/leads", json={"budget": 30000, "status": "disqualified"}), 201)
    other_segment = ok(api.post("/v1/leads", json={"budget": 30000, "segment": "b2c"}), 201)
    assert open_lead["score"] == 20 and closed["score"] == 20
    current = ok(api.get("/v1/lead-scoring/models/b2b"))
    body = model([{"id": "big", "field": "budget", "op": "gte", "value": 10000, "points": 60},
                  {"id": "src", "field": "attributes.Lead Source", "op": "in", "value": ["Google", "Ads"],
                   "points": 15, "group": "source"}],
                 group_caps={"source": 10}, predicted_weight=0.3)
    r = api.put("/v1/lead-scoring/models/b2b", json=body,
                headers={"If-Match": f'"{current["version"]}"'})
    m = ok(r)
    assert m["version"] == current["version"] + 1 and r.headers["ETag"] == f'"{m["version"]}"'
    assert m["rules"][0] == {**body["rules"][0], "group": None}
    assert m["group_caps"] == {"source": 10} and m["predicted_weight"] == 0.3
    assert ok(api.get("/v1/lead-scoring/models/b2b")) == m
    after = ok(api.get(f"/v1/leads/{open_lead['id']}"))
    # 60 reaches "qualified", but the BANT gate needs an authority: nurture
    assert after["score"] == 60 and after["version"] == 2 and after["suggested_status"] == "nurture"
    assert [x["rule_id"] for x in after["score_breakdown"]["rules"]] == ["big"]
    assert ok(api.get(f"/v1/leads/{closed['id']}")) == closed
    assert ok(api.get(f"/v1/leads/{other_segment['id']}")) == other_segment
    # an unchanged model leaves the leads alone
    ok(api.put("/v1/lead-scoring/models/b2b", json=body))
    assert ok(api.get(f"/v1/leads/{open_lead['id']}"))["version"] == 2
    # a stale If-Match writes nothing
    problem(api.put("/v1/lead-scoring/models/b2b", json=model([]),
                    headers={"If-Match": f'"{current["version"]}"'}), 412)
    assert ok(api.get("/v1/lead-scoring/models/b2b"))["rules"] == m["rules"]
    # the attribute rule: 15 points capped at 10
    lead = ok(api.post("/v1/leads", json={"attributes": {"Lead Source": "ads"}}), 201)
    assert lead["score"] == 10 and lead["score_breakdown"]["rules"][0]["raw_points"] == 15


RULE_OK = {"id": "ok", "field": "budget", "op": "gte", "value": 1, "points": 1}

INVALID_MODELS = [
    (model([RULE_OK, {**RULE_OK, "id": "b", "field": "budgett"}]), "rules[1].field"),
    (model([RULE_OK, {**RULE_OK, "id": "b", "field": "status"}]), "rules[1].field"),
    (model([RULE_OK, {**RULE_OK, "id": "b", "field": "attributes."}]), "rules[1].field"),
    (model([RULE_OK, RULE_OK, RULE_OK, {**RULE_OK, "id": "d", "op": "contains", "value": "x"}]),
     "rules[3].op"),
    (model([{**RULE_OK, "field": "company", "op": "gt", "value": "m"}]), "rules[0].op"),
    (model([{**RULE_OK, "field": "budget", "op": "within_days", "value": 3}]), "rules[0].op"),
    (model([{**RULE_OK, "op": "matches"}]), "rules[0].op"),
    (model([{**RULE_OK, "value": "1000"}]), "rules[0].value"),
    (model([{**RULE_OK, "value": -5}]), "rules[0].value"),
    (model([{**RULE_OK, "field": "authority", "op": "eq", "value": "ceo"}]), "rules[0].value"),
    (model([{**RULE_OK, "field": "timeline", "op": "gt", "value": 5}]), "rules[0].value"),
    (model([{**RULE_OK, "field": "timeline", "op": "within_days", "value": 5000}]), "rules[0].value"),
    (model([{**RULE_OK, "op": "between", "value": [10, 1]}]), "rules[0].value"),
    (model([{**RULE_OK, "op": "in", "value": []}]), "rules[0].value"),
    (model([{**RULE_OK, "op": "exists", "value": "yes"}]), "rules[0].value"),
    (model([{**RULE_OK, "field": "attributes.x", "op": "gte", "value": "a"}]), "rules[0].value"),
    (model([{**RULE_OK, "points": 500}]), "rules[0].points"),
    (model([RULE_OK, RULE_OK]), "rules[1].id"),
    (model([{**RULE_OK, "weight": 2}]), "rules[0].weight"),
    (model([{"id": "x", "field": "budget", "op": "gte", "points": 1}]), "rules[0].value"),
    (model([RULE_OK], group_caps={"nope": 5}), "group_caps.nope"),
    (model([], predicted_weight=1.5), "predicted_weight"),
    ({**model([]), "thresholds": {"qualified": 40, "nurture": 40}}, "thresholds.nurture"),
    ({**model([]), "thresholds": {"qualified": 101, "nurture": 40}}, "thresholds.qualified"),
    ({**model([]), "thresholds": {"qualified": 60}}, "thresholds.nurture"),
    ({**model([]), "bant": {**BANT, "budget": {"yes": 10, "partial": 20}}}, "bant.budget.partial"),
    ({**model([]), "bant": {**BANT, "required": ["money"]}}, "bant.required[0]"),
    ({**model([]), "bant": {**BANT, "need": {"yes": ["high"], "partial": ["high"]}}}, "bant.need.partial"),
    ({**model([]), "bant": {**BANT, "timeline": {"yes_within_days": 90, "partial_within_days": 30}}},
     "bant.timeline.partial_within_days"),
    ({**model([]), "thresholds": {"qualified": 60, "nurture": 30, "disqualified": 31}}, "thresholds.disqualified"),
    ({**model([]), "thresholds": {"qualified": 60, "nurture": 30, "disqualified": -1}}, "thresholds.disqualified"),
    ({"rules": [], "bant": {"required": ["money"]}}, "bant.required[0]"),
    ({"rules": [], "bant": {"need": {"yes": ["urgent"], "partial": []}}}, "bant.need.yes[0]"),
    ({**model([]), "segment": "b2c"}, "segment"),
    ({"thresholds": {"qualified": 60, "nurture": 30}}, "rules"),
    (model([{"field": "budget", "op": "gte", "value": 1}]), "rules[0].points"),
    ({**model([]), "colour": "red"}, "colour"),
]


@pytest.mark.parametrize("body,field", INVALID_MODELS,
                         ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID_MODELS)])
def test_invalid_model_names_the_rule_and_writes_nothing(admin, body, field):
    before = ok(admin.get("/v1/lead-scoring/models/b2b"))
    problem(admin.put("/v1/lead-scoring/models/b2b", json=body), 400, field)
    assert ok(admin.get("/v1/lead-scoring/models/b2b")) == before


def test_a_model_read_can_be_written_back(scratch_admin):
    """GET, change a threshold, PUT the whole answer back: the read-only parts are ignored."""
    api = scratch_admin
    current = ok(api.get("/v1/lead-scoring/models/b2b"))
    body = {**current, "thresholds": {**current["thresholds"], "qualified": current["thresholds"]["qualified"] + 5}}
    m = ok(api.put("/v1/lead-scoring/models/b2b", json=body))
    assert m["version"] == current["version"] + 1
    assert m["thresholds"]["qualified"] == current["thresholds"]["qualified"] + 5
    assert {k: v for k, v in m.items() if k not in ("thresholds", "version", "updated_at")} == \
        {k: v for k, v in current.items() if k not in ("thresholds", "version", "updated_at")}
    # the same again, but with a stale version in the body: it is ignored (If-Match guards
    # writes), and the same model is no change (the version stays)
    assert ok(api.put("/v1/lead-scoring/models/b2b", json={**body, "version": 1})) == m


def test_a_short_model_keeps_what_it_leaves_out(scratch_admin):
    """The rules alone (without ids; exists without a value): thresholds, BANT and the weight stay."""
    api = scratch_admin
    current = ok(api.get("/v1/lead-scoring/models/b2b"))
    m = ok(api.put("/v1/lead-scoring/models/b2b", json={"rules": [
        {"field": "budget", "op": "gte", "value": 10000, "points": 40},
        {"field": "email", "op": "exists", "points": 10},
        {"id": "rule_1", "field": "need", "op": "eq", "value": "high", "points": 20}]}))
    assert [r["id"] for r in m["rules"]] == ["rule_1_2", "rule_2", "rule_1"]
    assert m["rules"][1]["value"] is True
    assert m["thresholds"] == current["thresholds"] and m["bant"] == current["bant"]
    assert m["predicted_weight"] == current["predicted_weight"] and m["group_caps"] == {}
    lead = ok(api.post("/v1/leads", json={"budget": 20000, "email": "a@b.example"}), 201)
    assert lead["score"] == 50
    assert sorted(x["rule_id"] for x in lead["score_breakdown"]["rules"]) == ["rule_1_2", "rule_2"]
    # one BANT part alone: the others stay
    m2 = ok(api.put("/v1/lead-scoring/models/b2b", json={"rules": [], "bant": {"required": ["need"]}}))
    assert m2["bant"] == {**current["bant"], "required": ["need"]}


def test_three_thresholds(scratch_admin):
    api = scratch_admin
    m = ok(api.put("/v1/lead-scoring/models/b2c", json={
        "rules": [{"field": "engagement", "op": "gte", "value": 1, "points": 25},
                  {"field": "engagement", "op": "gte", "value": 50, "points": 25},
                  {"field": "engagement", "op": "gte", "value": 80, "points": 30}],
        "thresholds": {"qualified": 80, "nurture": 50, "disqualified": 20},
        "bant": {"required": []}}))
    assert m["thresholds"] == {"qualified": 80, "nurture": 50, "disqualified": 20}
    suggested = {e: ok(api.post("/v1/leads/score", json={"segment": "b2c", "engagement": e}))["suggested_status"]
                 for e in (0, 1, 50, 80)}
    assert suggested == {0: "disqualified", 1: "new", 50: "nurture", 80: "qualified"}
    stored = ok(api.post("/v1/leads", json={"segment": "b2c", "engagement": 1}), 201)
    assert stored["suggested_status"] == "new" and stored["status"] == "new"
    # without it, every score below nurture is disqualified
    m = ok(api.put("/v1/lead-scoring/models/b2c", json={**m, "thresholds": {"qualified": 80, "nurture": 50}}))
    assert m["thresholds"]["disqualified"] == 50
    assert ok(api.post("/v1/leads/score", json={"segment": "b2c", "engagement": 1}))["suggested_status"] == \
        "disqualified"
    assert ok(api.get(f"/v1/leads/{stored['id']}"))["suggested_status"] == "disqualified"  # re-scored


def test_model_body_must_be_json(admin):
    problem(admin.put("/v1/lead-scoring/models/b2b", data="[]", headers={"Content-Type": "application/json"}),
            400, "body")
    problem(admin.put("/v1/lead-scoring/models/b2b", data="x", headers={"Content-Type": "text/plain"}), 415)


# -- training ------------------------------------------------------------------------------------

def test_training_needs_enough_closed_leads(scratch_admin):
    api = scratch_admin
    items = closed_leads(150)
    for x in items:
        if x["status"] == "converted":
            x["status"] = "disqualified"
    items += [{"external_id": "c-" + uid(), "segment": "b2c", "status": "converted"} for _ in range(10)]
    bulk(api, items)
    job = train_job(api)
    assert job["state"] == "failed" and job["trained_version"] is None and job["finished_at"], job
    assert "50 converted" in job["error"] and "there are 10 and 150" in job["error"]
    problem(api.get("/v1/lead-scoring/models/b2c/evaluation"), 404)
    assert ok(api.get("/v1/lead-scoring/models/b2c"))["predictive"] is None
    assert train_job(api, "b2b")["state"] == "failed"  # no b2b leads at all
    problem(api.post("/v1/lead-scoring/models/b2c/train", json={"holdout": 10}), 400, "holdout")


def test_a_model_with_nothing_to_learn_from_is_refused(scratch_admin):
    """Closed leads that carry no field that varies: 422 saying so, and nothing is stored."""
    api = scratch_admin
    bulk(api, [{"external_id": f"f-{i}", "segment": "b2c", "attributes": {"same": "x"},
                "status": "converted" if i % 2 else "disqualified"} for i in range(200)])
    before = ok(api.get("/v1/lead-scoring/models/b2c"))
    job = train_job(api)
    assert job["state"] == "failed" and "nothing to learn from" in job["error"], job
    assert ok(api.get("/v1/lead-scoring/models/b2c")) == before
    problem(api.get("/v1/lead-scoring/models/b2c/evaluation"), 404)


def test_train_evaluate_and_blend(scratch_admin):
    api = scratch_admin
    bulk(api, closed_leads(600))
    open_ids = [ok(api.post("/v1/leads", json={"segment": "b2c", "engagement": 60,
                                               "attributes": {"channel": ch, "visits": v}}), 201)["id"]
                for ch, v in (("web", 19), ("fair", 0), ("ads", 10))]
    before_model = ok(api.get("/v1/lead-scoring/models/b2c"))
    ev = train(api)
    assert set(ev) == EVALUATION_FIELDS
    assert ev["segment"] == "b2c" and ev["trained_version"] == 1
    assert ev["n_train"] + ev["n_holdout"] == 600 and 60 < ev["n_holdout"] < 180
    assert ev["n_converted"] + ev["n_unconverted"] == 600
    # The holdout follows the lead ids, which depend on what the session created before: a noisy
    # ~120 leads. Even the true probabilities rank a random 120 of these leads at AUC 0.80 on
    # average but 0.68 at worst (2,000 draws); a fitted model spreads wider (0.68 seen in CI). A
    # model that learned nothing sits at 0.5, so the bar is set well below the noise: 0.6.
    assert ev["auc"] > 0.6 and 0 < ev["brier"] < 0.25 and ev["columns"] > 0 and ev["alpha"] > 0
    assert len(ev["calibration"]) == 10
    assert sum(b["count"] for b in ev["calibration"]) == ev["n_holdout"]
    assert [b["decile"] for b in ev["calibration"]] == list(range(1, 11))
    assert [g["grade"] for g in ev["by_grade"]] == ["A", "B", "C", "D"]
    assert sum(g["count"] for g in ev["by_grade"]) == ev["n_holdout"]
    assert ok(api.get("/v1/lead-scoring/models/b2c/evaluation")) == ev
    # the same as one CSV table
    r = api.get("/v1/lead-scoring/models/b2c/evaluation", headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [x["bucket"] for x in rows] == [str(d) for d in range(1, 11)] + ["A", "B", "C", "D"]
    assert {x["auc"] for x in rows} == {str(ev["auc"])} and {x["trained_version"] for x in rows} == {"1"}
    assert [int(x["count"]) for x in rows[:10]] == [b["count"] for b in ev["calibration"]]
    assert [float(x["observed_pct"]) for x in rows[:10]] == [b["observed_pct"] for b in ev["calibration"]]
    assert [x["converted"] for x in rows[10:]] == [str(g["converted"]) for g in ev["by_grade"]]

    m = ok(api.get("/v1/lead-scoring/models/b2c"))
    # a training numbers its model apart: the rules' version (the ETag) stays
    assert m["version"] == before_model["version"]
    assert m["predictive"]["trained_version"] == 1 and m["predictive"]["auc"] == ev["auc"]
    assert m["predictive"]["trained_at"] == ev["trained_at"] and m["updated_at"] >= m["predictive"]["trained_at"]
    assert m["predictive"]["n_train"] == ev["n_train"]

    # every lead of the segment is re-scored with the blend, the closed ones too
    leads = {x["id"]: x for x in all_leads(api, segment="b2c")}
    web, fair, ads = (leads[i] for i in open_ids)
    for lead in (web, fair, ads):
        assert lead["probability"] is not None and lead["version"] == 2
        pred = lead["score_breakdown"]["predicted"]
        # only the engagement rules (35 of the b2c rules' 108 points) can be judged: the model
        # takes its weight 0.5 and the other half of what the rules could not say
        assert lead["score_breakdown"]["fit_coverage"] == round(35 / 108, 4)
        assert pred["weight"] == round(1 - 0.5 * 35 / 108, 4) and pred["probability"] == lead["probability"]
        assert 1 <= len(pred["top_factors"]) <= 5
        assert parts_sum(lead["score_breakdown"]) == lead["score"]
    assert web["probability"] > ads["probability"] > fair["probability"]
    factors = {f["feature"]: f for f in web["score_breakdown"]["predicted"]["top_factors"]}
    assert factors["attributes.channel"]["value"] == "web" and factors["attributes.channel"]["contribution"] > 0
    closed = [x for x in leads.values() if x["status"] != "new"]
    assert len(closed) == 600
    for lead in closed:
        assert lead["probability"] is not None and lead["version"] == 2, lead
        assert lead["score_breakdown"]["predicted"]["probability"] == lead["probability"]
        assert lead["score_breakdown"]["predicted"]["trained_version"] == 1

    # new writes and previews use the model
    preview = ok(api.post("/v1/leads/score", json={"segment": "b2c", "attributes": {"channel": "web",
                                                                                     "visits": 19}}))
    assert preview["probability"] == web["probability"] and preview["rules_version"] == m["version"]
    assert preview["trained_version"] == 1 and preview["score_breakdown"]["predicted"]["trained_version"] == 1
    # a model whose score is the probability alone
    only = ok(api.put("/v1/lead-scoring/models/b2c", json=model([], predicted_weight=1)))
    assert only["predictive"] == m["predictive"]
    again = ok(api.get(f"/v1/leads/{web['id']}"))
    assert abs(again["score"] - again["probability"]) <= 0.505 and again["score_breakdown"]["rules"] == []
    # training again is version 2
    ev2 = train(api, body={})
    assert ev2["trained_version"] == 2 and ev2["auc"] == ev["auc"]  # same leads, same model


def test_scores_follow_a_retrained_model(scratch_admin):
    """Each database connection remembers the trained models it read; a new training must take over
    on every one of them at once."""
    api = scratch_admin
    items = closed_leads(600, seed=3)
    bulk(api, items)
    train(api)
    web = {"segment": "b2c", "attributes": {"channel": "web", "visits": 19}}
    first = {ok(api.post("/v1/leads/score", json=web))["probability"] for _ in range(16)}
    assert len(first) == 1 and first.pop() > 60
    # the outcomes flip: the web leads now convert least
    for x in items:
        x["status"] = "disqualified" if x["status"] == "converted" else "converted"
    assert bulk(api, items)["updated"] == len(items)
    ev = train(api)
    assert ev["trained_version"] == 2
    after = [ok(api.post("/v1/leads/score", json=web)) for _ in range(16)]
    assert {x["probability"] for x in after} == {after[0]["probability"]} and after[0]["probability"] < 40
    assert {x["trained_version"] for x in after} == {2}
    assert {x["rules_version"] for x in after} == {ok(api.get("/v1/lead-scoring/models/b2c"))["version"]}


LOCK_WAIT = ("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
             " AND wait_event_type = 'Lock' AND query ILIKE '%lead_scoring_models%'")


class RowHolder:
    """A psql session that holds an org's b2c model row FOR UPDATE until let go (an event to wait on)."""

    def __init__(self, database, org):
        self.p = subprocess.Popen(["psql", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.send(f"BEGIN;\nSELECT 'locked ' || count(*) FROM (SELECT 1 FROM lead_scoring_models"
                  f" WHERE org_id = '{org}' AND segment = 'b2c' FOR UPDATE) x;\n")
        assert self.p.stdout.readline().strip() == "locked 1"

    def send(self, sql):
        self.p.stdin.write(sql)
        self.p.stdin.flush()

    def end(self, sql="COMMIT;"):
        self.send(sql + "\n")
        self.p.stdin.close()
        assert self.p.wait() == 0, self.p.stderr.read()

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def wait_for_lock_wait(database, api, location):
    """Poll until the job waits for the model row (it has read and fitted): the job then."""
    while psql(database, LOCK_WAIT) == "0":
        job = ok(api.get(location))
        assert job["state"] in ("queued", "running"), f"the job ended without waiting for the row: {job}"
        time.sleep(0.05)
    job = ok(api.get(location))
    assert job["state"] == "running" and job["step"] == "storing" and job["progress"] == 90, job
    assert job["started_at"] and job["finished_at"] is None, job
    return job


def test_training_does_not_block_other_requests(scratch_admin, database):
    """
    A training runs as a job beside the requests. Proved by events, not by
    timing: the b2c model row is locked from outside, so the job, once it has
    read and fitted, waits to store its model; while it waits (seen in
    pg_stat_activity and in the job's own step), other requests are answered,
    a second POST of the same training gets the same job, and the job is
    still running. Then the lock is let go and the job succeeds.
    """
    api = scratch_admin
    org = ok(api.get("/v1/org"))["id"]
    bulk(api, closed_leads(3000, seed=7))
    probe = ok(api.post("/v1/leads", json={"segment": "b2b"}), 201)
    others = [Api(api.base_url, api.token) for _ in range(16)]  # kept-alive connections, opened before
    for other in others:
        ok(other.get("/v1/org"))
    holder = RowHolder(database, org)
    try:
        job, location = start(api)
        assert job["state"] in ("queued", "running") and job["trained_version"] is None
        wait_for_lock_wait(database, api, location)
        for _ in range(3):
            assert ok(api.get(f"/v1/leads/{probe['id']}"))["id"] == probe["id"]
        for other in others:
            assert ok(other.get(f"/v1/leads/{probe['id']}"))["id"] == probe["id"]
        ok(api.get("/v1/lead-scoring/models/b2b"))
        again, location2 = start(api)
        assert again["id"] == job["id"] and location2 == location
        assert ok(api.get(location))["state"] == "running"
        holder.end()
    finally:
        holder.kill()
    done = wait(api, location)
    assert done["state"] == "succeeded" and done["trained_version"] == 1 and done["progress"] == 100, done
    assert done["step"] == "done" and done["error"] is None and done["finished_at"] >= done["started_at"]


def test_rules_changed_during_a_training_fail_its_job(scratch_admin, database):
    """The model is graded with the rules it read; if they change before it is stored, the job fails
    saying so, and nothing is stored."""
    api = scratch_admin
    org = ok(api.get("/v1/org"))["id"]
    bulk(api, closed_leads(600, seed=11))
    holder = RowHolder(database, org)
    try:
        _, location = start(api)
        wait_for_lock_wait(database, api, location)
        # what a PUT does to the rules, made by the holder of the row
        holder.send(f"UPDATE lead_scoring_models SET version = version + 1 WHERE org_id = '{org}'"
                    f" AND segment = 'b2c';\n")
        holder.end()
    finally:
        holder.kill()
    job = wait(api, location)
    assert job["state"] == "failed" and "rules changed during the training" in job["error"], job
    assert ok(api.get("/v1/lead-scoring/models/b2c"))["predictive"] is None
    problem(api.get("/v1/lead-scoring/models/b2c/evaluation"), 404)
    assert train(api)["trained_version"] == 1  # again, it succeeds


def test_jobs_belong_to_their_org(scratch_admin, client, tokens):
    api = scratch_admin
    bulk(api, closed_leads(300, seed=5))
    job = train_job(api)
    assert job["state"] == "succeeded"
    stranger = client(tokens.token("it-scratch-" + uid(), ["admin"]))
    assert problem(stranger.get(f"/v1/lead-scoring/jobs/{job['id']}"), 404)["detail"] == "no such training job"
    problem(client(tokens.token(ok(api.get("/v1/org"))["id"], ["rep"])).get(f"/v1/lead-scoring/jobs/{job['id']}"),
            403)
    problem(api.get("/v1/lead-scoring/jobs/0"), 404)


def test_a_training_outlasts_a_short_statement_timeout(start_attaind, tokens):
    """
    With ATTAIN_STATEMENT_TIMEOUT_MS=1000 (PostgreSQL ends a transaction idle for
    that long), a segment whose fit takes longer trains: the fit holds no
    transaction. (Before, the training failed with 503: its request's
    transaction sat idle during the fit.)
    """
    srv = start_attaind(env={"ATTAIN_STATEMENT_TIMEOUT_MS": "1000"})
    org = "it-scratch-" + uid()
    api = srv.api(tokens.token(org, ["admin"], sub="admin-" + org))
    items = wide_leads(6000, seed=17)
    for i in range(0, len(items), 500):  # each call well inside the 1 s, even on a sanitizer build
        bulk(api, items[i:i + 500])
    job = train_job(api)
    assert job["state"] == "succeeded", job
    ev = ok(api.get("/v1/lead-scoring/models/b2c/evaluation"))
    assert ev["n_train"] + ev["n_holdout"] == 6000 and ev["auc"] > 0.6


def test_a_restart_mid_job_fails_it_and_keeps_the_model(start_attaind, tokens, database):
    """
    attaind stops (SIGKILL) while a job waits to store its model: the next
    start-up marks the job failed (no live attaind holds it), the model
    before it stays whole, and a new training works.
    """
    srv = start_attaind()
    org = "it-scratch-" + uid()
    token = tokens.token(org, ["admin"], sub="admin-" + org)
    api = srv.api(token)
    bulk(api, closed_leads(600, seed=13))
    first = train(api)
    model_before = ok(api.get("/v1/lead-scoring/models/b2c"))
    holder = RowHolder(database, org)
    try:
        job, location = start(api)
        job = wait_for_lock_wait(database, api, location)
        srv.proc.kill()
        srv.proc.wait()
        holder.end("ROLLBACK;")
    finally:
        holder.kill()
    # the killed attaind's session ends once PostgreSQL notices; its job lock goes with it
    held = ("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 1279938370"
            f" AND objid = {job['id'] % 2147483647} AND objsubid = 2")
    while psql(database, held) != "0":
        time.sleep(0.05)
    again = start_attaind().api(token)
    job = ok(again.get(location))
    assert job["state"] == "failed" and "attaind stopped" in job["error"] and job["trained_version"] is None, job
    assert ok(again.get("/v1/lead-scoring/models/b2c")) == model_before
    assert ok(again.get("/v1/lead-scoring/models/b2c/evaluation")) == first
    assert train(again)["trained_version"] == first["trained_version"] + 1


# -- the exact answers ---------------------------------------------------------------------------

def test_model_answers(client, tokens):
    api = client(tokens.token("it-scratch-" + uid(), ["admin"]))
    r = api.get("/v1/lead-scoring/models/b2b/evaluation")
    body = problem(r, 404)
    assert body["detail"] == "the model of this segment has not been trained yet"
    assert problem(api.get("/v1/lead-scoring/models/b2x"), 404)["detail"] == "no such segment: use b2b or b2c"
    body = problem(api.put("/v1/lead-scoring/models/b2b", json={**model([]), "segment": "b2c"}), 400)
    assert body["errors"] == [{"field": "segment", "message": "must be b2b, the segment of the path (or left out)"}]
    # every problem is named, the first 50 of them
    bad = [{"id": f"r{i}", "field": "budget", "op": "gte", "value": "x", "points": 1} for i in range(60)]
    body = problem(api.put("/v1/lead-scoring/models/b2b", json=model(bad)), 400)
    assert len(body["errors"]) == 50
    assert body["errors"][0] == {"field": "rules[0].value", "message": body["errors"][0]["message"]}
    assert body["detail"] == "rules[0].value: " + body["errors"][0]["message"]
    current = ok(api.get("/v1/lead-scoring/models/b2b"))
    problem(api.put("/v1/lead-scoring/models/b2b", json=model([]),
                    headers={"If-Match": f'"{current["version"] + 1}"'}), 412)
    body = problem(api.post("/v1/lead-scoring/models/b2b/train", json={"holdout": 10}), 400, "holdout")
