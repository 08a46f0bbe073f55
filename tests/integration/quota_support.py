"""Helpers shared by test_quotas.py and test_quota_plans.py: an org tree with a client per role."""

import uuid

from contract import ok

MISSING = "999999999999"


def uid():
    return uuid.uuid4().hex[:10]


def mk_team(api, name=None, **fields):
    return ok(api.post("/v1/teams", json={"name": name or "team " + uid(), **fields}), 201)


def mk_person(api, team_id=None, **fields):
    u = uid()
    body = {"name": "person " + u, "email": f"{u}@example.com", "segment": "b2b", **fields}
    if team_id is not None:
        body["team_id"] = team_id
    return ok(api.post("/v1/people", json=body), 201)


def person(p):
    return {"type": "person", "id": p["id"]}


def team(t):
    return {"type": "team", "id": t["id"]}


def ref(a):
    """`person:ID` / `team:ID` of an assignee object."""
    return f"{a['type']}:{a['id']}"


def mk_quota(api, assignee, period="FY2026", amount=1000, metric="revenue", status=201, **fields):
    body = {"assignee": assignee, "period": period, "metric": metric, "amount": amount, **fields}
    return ok(api.post("/v1/quotas", json=body), status)


def won_deal(api, owner, amount, close_date, **fields):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": "closed_won",
            "close_date": close_date, "segment": "b2b", **fields}
    return ok(api.post("/v1/deals", json=body), 201)


def open_deal(api, owner, amount, close_date, stage="proposal", **fields):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": stage,
            "close_date": close_date, "segment": "b2b", **fields}
    return ok(api.post("/v1/deals", json=body), 201)


def build_tree(admin, client, tokens, org, other_org):
    """
    R (manager MR, a member of R) ─┬─ A (manager M, a member of A) ─┬─ rep, rep_b
                                   │                                 └─ A1 ── rep_a1
                                   └─ B (manager M2, a member of B) ── rep2
    Clients for each role: admin, exec, service, manager (M), manager_r (MR), manager2 (M2),
    rep, rep2, other_org (an admin of another org).
    """
    r = mk_team(admin, "R " + uid())
    a = mk_team(admin, "A " + uid(), parent_id=r["id"])
    b = mk_team(admin, "B " + uid(), parent_id=r["id"])
    a1 = mk_team(admin, "A1 " + uid(), parent_id=a["id"])
    mr = mk_person(admin, r["id"])
    m = mk_person(admin, a["id"])
    m2 = mk_person(admin, b["id"])
    rep = mk_person(admin, a["id"])
    rep_b = mk_person(admin, a["id"])
    rep_a1 = mk_person(admin, a1["id"])
    rep2 = mk_person(admin, b["id"])
    ok(admin.patch(f"/v1/teams/{r['id']}", json={"manager_id": mr["id"]}))
    ok(admin.patch(f"/v1/teams/{a['id']}", json={"manager_id": m["id"]}))
    ok(admin.patch(f"/v1/teams/{b['id']}", json={"manager_id": m2["id"]}))
    roles = {
        "admin": admin,
        "exec": client(tokens.token(org, ["exec"])),
        "service": client(tokens.token(org, ["service"], sub="crm-sync")),
        "manager": client(tokens.token(org, ["manager"], person_id=m["id"], sub="manager-m")),
        "manager_r": client(tokens.token(org, ["manager"], person_id=mr["id"])),
        "manager2": client(tokens.token(org, ["manager"], person_id=m2["id"])),
        "rep": client(tokens.token(org, ["rep"], person_id=rep["id"])),
        "rep2": client(tokens.token(org, ["rep"], person_id=rep2["id"])),
        "other_org": client(tokens.token(other_org, ["admin"])),
    }
    return {"R": r, "A": a, "B": b, "A1": a1, "MR": mr, "M": m, "M2": m2, "rep": rep, "rep_b": rep_b,
            "rep_a1": rep_a1, "rep2": rep2, "as": roles}
