"""Grades that agree with the evidence on leads that carry only attributes (issue 12, item 1): the
rules' fields are all missing, so the model carries the score; the grade cut-offs come from the
training's own score distribution; a lead twice as likely as the segment to convert is never
suggested disqualified."""

import json
import math
import uuid

from lead_training import train
from contract import ok

TIERS = {"gold": 2.6, "silver": 1.6, "bronze": 0.7, "none": 0.0}


def attribute_only_leads(n, prefix):
    """
    n closed b2c leads with attributes only (no budget, authority, need, timeline or engagement),
    deterministic: the tier and the visits carry the signal, the region is noise; about 1 in 5
    converts.
    """
    out, x = [], 20261206
    for i in range(n):
        x = (x * 6364136223846793005 + 1442695040888963407) % 2 ** 64
        tier = ("gold", "silver", "bronze", "none", "none", "bronze", "none", "none")[(x >> 33) % 8]
        visits = (x >> 40) % 30
        region = ("north", "south", "east", "west")[(x >> 50) % 4]
        z = -3.2 + TIERS[tier] + 0.07 * visits
        u = ((x >> 12) % 100000) / 100000
        out.append({"external_id": f"{prefix}-{i}", "segment": "b2c",
                    "attributes": {"tier": tier, "visits": visits, "region": region},
                    "status": "converted" if u < 1 / (1 + math.exp(-z)) else "disqualified"})
    return out


def all_leads(api, **params):
    out, cursor = [], None
    while True:
        page = ok(api.get("/v1/leads", params={"limit": 1000, **params, **({"cursor": cursor} if cursor else {})}))
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_attribute_only_segment_grades_spread_and_agree(scratch_admin):
    """
    The holdout is drawn by a hash of the lead ids, which differ from run to run; with 6,000 leads
    the expected conversion of neighbouring grades (about 66, 37, 18 and 8 %) lies 4 standard
    errors of the holdout or more apart: their order does not hang on the draw.
    """
    api = scratch_admin
    items = attribute_only_leads(6000, "g-" + uuid.uuid4().hex[:8])
    body = "".join(json.dumps(x) + "\n" for x in items)
    assert ok(api.post("/v1/leads/bulk?atomic=true", data=body,
                       headers={"Content-Type": "application/x-ndjson"}, timeout=1800))["rejected"] == 0
    open_ids = [ok(api.post("/v1/leads", json={"segment": "b2c", "attributes": {"tier": t, "visits": 15}}),
                   201)["id"] for t in TIERS]

    ev = train(api)
    base = ev["base_rate_pct"]
    assert 10 < base < 35
    # scores are 100 x p and bunch low: the fixed 80/60/40 cannot spread them, the training's
    # quantiles do
    cut = ev["grade_cutoffs"]
    assert cut["derived"] and 100 >= cut["A"] > cut["B"] > cut["C"] >= 1
    grades = {g["grade"]: g for g in ev["by_grade"]}
    assert all(grades[g]["count"] > 0 for g in "ABCD"), ev["by_grade"]
    rates = [grades[g]["conversion_rate_pct"] for g in "ABCD"]
    assert all(a >= b for a, b in zip(rates, rates[1:])), rates
    assert rates[0] > 2 * rates[3], rates

    leads = all_leads(api, segment="b2c")
    assert len(leads) == 6000 + len(open_ids)
    assert {x["grade"] for x in leads} == set("ABCD")
    for lead in leads:
        bd = lead["score_breakdown"]
        assert bd["fit_coverage"] == 0 and bd["rules"] == [] and bd["predicted"]["weight"] == 1, lead
        assert abs(lead["score"] - lead["probability"]) <= 0.505, lead
        g = lead["score"]
        assert lead["grade"] == ("A" if g >= cut["A"] else "B" if g >= cut["B"] else "C" if g >= cut["C"]
                                 else "D"), lead
        # the evidence wins over a low score: twice the base rate is never "disqualified"
        # (probabilities are shown to 1/100 of a percent; the rule is on the exact value)
        if lead["probability"] >= 2 * base + 0.01:
            assert lead["suggested_status"] != "disqualified", lead
    by_id = {x["id"]: x for x in leads}
    gold, silver, bronze, none = (by_id[i] for i in open_ids)
    assert gold["score"] > silver["score"] > bronze["score"] > none["score"]
    assert gold["grade"] <= silver["grade"] <= bronze["grade"] <= none["grade"]
    # a preview of the same lead agrees with the stored one
    preview = ok(api.post("/v1/leads/score", json={"segment": "b2c", "attributes": {"tier": "gold", "visits": 15}}))
    assert (preview["score"], preview["grade"], preview["suggested_status"]) == \
        (gold["score"], gold["grade"], gold["suggested_status"])
