"""One JSON style on the wire (issue 14 item 4): every JSON body is compact, whether jansson
wrote it or PostgreSQL did (json_build_object writes {"id" : 1, "a" : 2})."""

from contract import ok, problem
from quota_support import mk_person, mk_quota, mk_team, open_deal, person, uid

WHITESPACE = " \t\r\n"


def outside_strings(raw):
    """The characters of JSON text that are not inside a string literal."""
    out, in_string, escaped = [], False, False
    for ch in raw:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        else:
            out.append(ch)
    return "".join(out)


def assert_compact(r):
    assert r.headers["Content-Type"].split(";")[0].endswith("json"), r.headers["Content-Type"]
    raw = r.content.decode("utf-8")
    assert raw and not any(c in WHITESPACE for c in outside_strings(raw)), (r.request.method, r.url, raw[:300])
    return raw


def test_the_outside_strings_helper_sees_only_structure():
    assert outside_strings('{"a : b, c":"x \\" , y", "n" : [1, 2]}') == '{:,  : [1, 2]}'


def test_every_json_body_is_compact(admin, anon):
    # names with the separators inside them: those spaces are data and stay
    team = mk_team(admin, name=f"a : b, c {uid()}")
    rep = mk_person(admin, team_id=team["id"], name=f'rep "x" : y, {uid()}')
    deal = open_deal(admin, rep, 1234.5, "2026-11-15")
    mk_quota(admin, person(rep), period="FY2026", amount=5000)
    samples = [
        anon.get("/healthz"),
        anon.get("/readyz"),
        admin.get("/v1/org"),
        admin.get(f"/v1/teams/{team['id']}"),
        admin.get("/v1/teams?limit=2"),
        admin.get(f"/v1/people/{rep['id']}"),
        admin.get("/v1/people?limit=2"),
        admin.get(f"/v1/deals/{deal['id']}"),
        admin.get(f"/v1/deals?owner_id={rep['id']}"),
        admin.get(f"/v1/deals/{deal['id']}/history"),
        admin.get("/v1/stages"),
        admin.get("/v1/quotas?limit=5"),
        admin.get("/v1/periods?limit=3"),
        admin.get(f"/v1/performance?scope=person:{rep['id']}&period=FY2026"),
        admin.post("/v1/deals/bulk", json=[
            {"external_id": "js-" + uid(), "name": "bulk", "owner_id": rep["id"], "amount": 10,
             "stage": "proposal", "close_date": "2026-11-20"},
            {"external_id": "js-" + uid(), "name": "bad"}]),
        admin.post("/v1/teams", json={"name": ""}),
        admin.get("/v1/nowhere"),
    ]
    for r in samples:
        assert r.status_code < 500, (r.url, r.text[:300])
        assert_compact(r)
    assert " : " in team["name"] and ", " in team["name"]
    assert ok(admin.get(f"/v1/teams/{team['id']}"))["name"] == team["name"]
    problem(samples[-2], 400, "name")
