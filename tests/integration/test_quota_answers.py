"""The exact refusals of the quota operations: status, detail and errors[] of each way a quota
request is turned down (who may not, what does not exist, what does not add up), so that the
layer that decides it can move without the answer changing."""

import pytest

from contract import ok, problem
from quota_support import MISSING, build_tree, mk_person, mk_quota, mk_team, person, ref, team


@pytest.fixture(scope="module")
def t(admin, client, tokens, org, other_org):
    return build_tree(admin, client, tokens, org, other_org)


def refusal(r, status, detail, errors=None):
    """r is a problem with exactly this detail and, when given, exactly these [field, message] errors."""
    body = problem(r, status)
    assert body["detail"] == detail, body
    assert [[e["field"], e["message"]] for e in body.get("errors") or []] == (errors or []), body
    return body


# -- quotas -----------------------------------------------------------------------------------

def test_quota_refusals_by_scope(t):
    admin, mgr = t["as"]["admin"], t["as"]["manager"]
    own = mk_quota(admin, person(t["M"]), "FY2040", 10)
    team_a = mk_quota(admin, team(t["A"]), "FY2040", 10)
    outside = mk_quota(admin, person(t["rep2"]), "FY2040", 10)
    mine = mk_quota(admin, person(t["rep"]), "FY2040", 10)
    refusal(mgr.patch(f"/v1/quotas/{own['id']}", json={"amount": 1}), 403, "your own quota is your manager's call")
    refusal(mgr.delete(f"/v1/quotas/{team_a['id']}"), 403,
            "the quota of a team you manage is your manager's call")
    refusal(mgr.put(f"/v1/quotas/{outside['id']}", json={"assignee": person(t["rep2"]), "period": "FY2040",
                                                          "metric": "revenue", "amount": 1}), 404, "no such quota")
    refusal(mgr.get(f"/v1/quotas/{outside['id']}"), 404, "no such quota")
    refusal(mgr.get(f"/v1/quotas/{outside['id']}/history"), 404, "no such quota")
    refusal(mgr.post("/v1/quotas", json={"assignee": person(t["M"]), "period": "FY2041", "metric": "revenue",
                                         "amount": 1}), 403, "your own quota is your manager's call")
    refusal(mgr.post("/v1/quotas", json={"assignee": person(t["rep2"]), "period": "FY2041", "metric": "revenue",
                                         "amount": 1}), 403,
            "the assignee is outside the people and teams whose quotas you manage")
    refusal(mgr.post("/v1/quotas", json={"assignee": team(t["A"]), "period": "FY2041", "metric": "revenue",
                                         "amount": 1}), 403, "the quota of a team you manage is your manager's call")
    # moving a quota of theirs onto someone outside, or onto nobody
    refusal(mgr.patch(f"/v1/quotas/{mine['id']}", json={"assignee": person(t["rep2"])}), 403,
            "the assignee is outside the people and teams whose quotas you manage")
    refusal(mgr.patch(f"/v1/quotas/{mine['id']}", json={"assignee": {"type": "team", "id": MISSING}}), 400,
            "assignee: no such team", [["assignee", "no such team"]])
    # the manager of R reads their own quota, may not write it
    refusal(t["as"]["manager_r"].patch(f"/v1/quotas/{mk_quota(admin, person(t['MR']), 'FY2040', 1)['id']}",
                                       json={"amount": 2}), 403, "your own quota is your manager's call")


def test_quota_refusals_of_content(admin, t):
    p = mk_person(admin, t["A"]["id"])
    q = mk_quota(admin, person(p), "FY2040", 10.5)
    refusal(admin.patch(f"/v1/quotas/{q['id']}", json={"metric": "deal_count"}), 400,
            "amount: a deal_count quota is a whole number of deals",
            [["amount", "a deal_count quota is a whole number of deals"]])
    refusal(admin.put(f"/v1/quotas/{q['id']}", json={"assignee": person(p), "period": "FY2040",
                                                     "metric": "deal_count", "amount": 2.5}), 400,
            "amount: a deal_count quota is a whole number of deals",
            [["amount", "a deal_count quota is a whole number of deals"]])
    refusal(admin.post("/v1/quotas", json={"assignee": {"type": "person", "id": MISSING}, "period": "FY2040",
                                           "metric": "revenue", "amount": 1}), 400,
            "assignee: no such person", [["assignee", "no such person"]])
    refusal(admin.post("/v1/quotas", json={"assignee": person(p), "period": "FY2040", "metric": "revenue",
                                           "amount": 1}), 409,
            "assignee: already has a quota for this period, metric and filter",
            [["assignee", "already has a quota for this period, metric and filter"]])
    refusal(admin.patch(f"/v1/quotas/{q['id']}", json={"period": "FY2040-Q5", "metric": "x"}), 400,
            "period: must be a period id such as 2026-07, FY2026-Q3 or FY2026",
            [["period", "must be a period id such as 2026-07, FY2026-Q3 or FY2026"],
             ["metric", "must be one of: revenue, deal_count"]])
    refusal(admin.patch(f"/v1/quotas/{q['id']}", json={"amount": 1}, headers={"If-Match": '"9"'}), 412,
            "If-Match does not match the current version")
    refusal(admin.get(f"/v1/quotas/{MISSING}"), 404, "no such quota")
    refusal(admin.delete(f"/v1/quotas/{MISSING}"), 404, "no such quota")


# -- planning ------------------------------------------------------------------------------------

def test_planning_refusals(admin, t):
    mgr = t["as"]["manager"]
    body = {"period": "FY2040", "method": "equal", "total": 100, "dry_run": True}
    refusal(mgr.get(f"/v1/teams/{t['B']['id']}/quota", params={"period": "FY2040"}), 403,
            "the team is outside the teams whose quotas you may see")
    refusal(admin.get(f"/v1/teams/{MISSING}/quota-coverage", params={"period": "FY2040"}), 404, "no such team")
    refusal(t["as"]["exec"].post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 403,
            "your roles do not allow this operation")
    refusal(mgr.post(f"/v1/teams/{t['R']['id']}/quota-allocations", json=body), 403,
            "the team is outside the teams whose quotas you may see")
    refusal(t["as"]["manager_r"].post(f"/v1/teams/{t['R']['id']}/quota-allocations",
                                      json={**body, "method": "weighted",
                                            "weights": {"team:" + t["A"]["id"]: "1", "person:" + MISSING: 1}}),
            400, f"weights: team:{t['A']['id']}: must be a number from 0 to 1000000000",
            [["weights", f"team:{t['A']['id']}: must be a number from 0 to 1000000000"],
             ["weights", f"person:{MISSING} is not a part of the team (its active members and child teams)"],
             ["weights", f"team:{t['A']['id']} has no weight"],
             ["weights", f"team:{t['B']['id']} has no weight"]])
    refusal(admin.post(f"/v1/teams/{t['A']['id']}/quota-allocations", json={"period": "FY2043", "method": "equal"}),
            400, "total: is required: the team has no quota for this period, metric and filter",
            [["total", "is required: the team has no quota for this period, metric and filter"]])
    # a manager who also manages a child team may not allocate onto it
    sub = mk_team(admin, parent_id=t["A"]["id"])
    mk_person(admin, sub["id"])
    ok(admin.patch(f"/v1/teams/{sub['id']}", json={"manager_id": t["M"]["id"]}))
    refusal(mgr.post(f"/v1/teams/{t['A']['id']}/quota-allocations", json=body), 403,
            f"you may not set the quota of team:{sub['id']}")
    ok(admin.patch(f"/v1/teams/{sub['id']}", json={"manager_id": None}))
    empty = mk_team(admin)
    refusal(admin.post(f"/v1/teams/{empty['id']}/quota-allocations", json=body), 409,
            "the team has no active members (besides its manager) and no child teams")


def test_split_refusals(scratch_admin, client, tokens):
    api = scratch_admin
    p = mk_person(api)
    y = mk_quota(api, person(p), "FY2026", 1000)
    pct = {"grain": "quarter", "method": "percentages"}
    refusal(api.post(f"/v1/quotas/{y['id']}/split", json={**pct, "percentages": [25, 25, 50]}), 400,
            "percentages: must have 4 entries, one per child period",
            [["percentages", "must have 4 entries, one per child period"]])
    refusal(api.post(f"/v1/quotas/{y['id']}/split",
                     json={**pct, "percentages": {"FY2026-Q1": 50, "FY2026-Q2": "x", "FY2027-Q1": 1}}), 400,
            "percentages: FY2027-Q1 is not a child period of the quota's period",
            [["percentages", "FY2027-Q1 is not a child period of the quota's period"],
             ["percentages", "FY2026-Q2: must be a number"],
             ["percentages", "FY2026-Q3 has no percentage"],
             ["percentages", "FY2026-Q4 has no percentage"]])
    refusal(api.post(f"/v1/quotas/{y['id']}/split", json={**pct, "percentages": [25, 25, 25, 24]}), 400,
            "percentages: must sum to exactly 100 (they sum to 99.00)",
            [["percentages", "must sum to exactly 100 (they sum to 99.00)"]])
    refusal(api.post(f"/v1/quotas/{mk_quota(api, person(p), '2026-03', 5)['id']}/split",
                     json={"grain": "month", "method": "even"}), 400,
            "grain: a month quota cannot be split", [["grain", "a month quota cannot be split"]])
    refusal(api.post(f"/v1/quotas/{mk_quota(api, person(p), 'FY2026-Q2', 5)['id']}/split",
                     json={"grain": "quarter", "method": "even"}), 400,
            "grain: must be finer than the quota's period (quarter)",
            [["grain", "must be finer than the quota's period (quarter)"]])
    # the org's fiscal year moves by a month: the year no longer divides into its quarters
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 2}))
    refusal(api.post(f"/v1/quotas/{y['id']}/split", json={"grain": "quarter", "method": "even"}), 409,
            "the org's fiscal year start changed since this quota was set: its period no longer divides into the "
            "org's periods")
    refusal(api.post(f"/v1/quotas/{MISSING}/split", json={"grain": "quarter", "method": "even"}), 404,
            "no such quota")


def test_split_and_suggestion_refusals_by_scope(t):
    admin = t["as"]["admin"]
    own = mk_quota(admin, person(t["M"]), "FY2042", 12)
    refusal(t["as"]["manager"].post(f"/v1/quotas/{own['id']}/split", json={"grain": "quarter", "method": "even"}),
            403, "you may not change this assignee's quotas")
    refusal(t["as"]["rep"].get("/v1/quota-suggestions", params={"assignee": ref(person(t["rep_b"])),
                                                                "period": "FY2040"}), 403,
            "the assignee is outside the people and teams whose quotas you may see")
    refusal(admin.get("/v1/quota-suggestions", params={"assignee": "team:" + MISSING, "period": "FY2040"}), 400,
            "assignee: no such team", [["assignee", "no such team"]])
    # a team without people suggests from nothing
    s = ok(admin.get("/v1/quota-suggestions", params={"assignee": ref(team(mk_team(admin))), "period": "FY2040"}))
    assert (s["recommended"], s["baseline_from"]) == (0, "trailing_average")


def test_a_change_answers_who_and_what_before_the_body(t):
    """PUT and PATCH: a quota that is not there, not the caller's or stale is refused as such even when
    the body is bad too; the body's problems come after (and creates, splits and allocations read
    their body first)."""
    admin, mgr = t["as"]["admin"], t["as"]["manager"]
    own = mk_quota(admin, person(t["M"]), "FY2050", 10)
    outside = mk_quota(admin, person(t["rep2"]), "FY2050", 10)
    q = mk_quota(admin, person(t["rep"]), "FY2050", 10)
    bad = {"amount": "x"}
    refusal(mgr.patch(f"/v1/quotas/{own['id']}", json=bad), 403, "your own quota is your manager's call")
    refusal(mgr.patch(f"/v1/quotas/{outside['id']}", json=bad), 404, "no such quota")
    refusal(admin.patch(f"/v1/quotas/{MISSING}", json=bad), 404, "no such quota")
    refusal(admin.put(f"/v1/quotas/{MISSING}", json={"amount": 1}), 404, "no such quota")
    refusal(admin.patch(f"/v1/quotas/{q['id']}", json=bad, headers={"If-Match": '"9"'}), 412,
            "If-Match does not match the current version")
    refusal(mgr.patch(f"/v1/quotas/{own['id']}", json={"metric": "deal_count", "amount": 1.5}), 403,
            "your own quota is your manager's call")
    refusal(mgr.patch(f"/v1/quotas/{q['id']}", json={**bad, "colour": "red"}), 400, "colour: unknown field",
            [["colour", "unknown field"], ["amount", "must be a number"]])
    refusal(mgr.post("/v1/quotas", json={"assignee": person(t["M"]), "period": "FY2051", "metric": "revenue",
                                         "amount": "x"}), 400, "amount: must be a number",
            [["amount", "must be a number"]])
    refusal(mgr.post(f"/v1/quotas/{own['id']}/split", json={"grain": "week", "method": "even"}), 400,
            "grain: must be one of: quarter, month", [["grain", "must be one of: quarter, month"]])
