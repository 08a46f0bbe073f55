"""API-wide conventions (DESIGN §5): media types, strict bodies and queries, limits."""

import uuid

import pytest

from contract import ok, problem


def uid():
    return uuid.uuid4().hex[:10]


def team_names(api, q):
    return [t["name"] for t in ok(api.get("/v1/teams", params={"q": q, "limit": 1000}))["items"]]


def problem_any(r, status, fields):
    body = problem(r, status)
    named = [e["field"] for e in body.get("errors") or []]
    assert set(named) & set(fields), f"expected errors[] to name one of {fields}, got {named}"
    return body


# -- media types ----------------------------------------------------------------------------

@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "application/xml", "multipart/form-data; boundary=x", None])
def test_post_body_must_be_json(admin, ctype):
    name = "ctype " + uid()
    headers = {"Content-Type": ctype} if ctype else {}
    r = admin.post("/v1/teams", data=('{"name": "%s"}' % name).encode(), headers=headers)
    problem(r, 415)
    assert team_names(admin, name) == []


@pytest.mark.parametrize("ctype", ["text/plain", None])
def test_patch_body_must_be_json(admin, ctype):
    before = ok(admin.get("/v1/org"))
    headers = {"Content-Type": ctype} if ctype else {}
    problem(admin.patch("/v1/org", data=b'{"name": "plain"}', headers=headers), 415)
    assert ok(admin.get("/v1/org")) == before


def test_json_with_charset_is_accepted(admin):
    name = "charset " + uid()
    r = admin.post("/v1/teams", data=('{"name": "%s"}' % name).encode(),
                   headers={"Content-Type": "application/json; charset=utf-8"})
    ok(r, 201)


def test_responses_are_json(admin):
    r = admin.get("/v1/org")
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    r = admin.get("/v1/teams/999999999999")
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/problem+json"


# -- strict bodies ----------------------------------------------------------------------------

@pytest.mark.parametrize("path,body,field", [
    ("/v1/teams", {"name": 12}, "name"),
    ("/v1/teams", {"name": True}, "name"),
    ("/v1/teams", {"name": {"first": "x"}}, "name"),
    ("/v1/teams", {"name": "ok", "parent_id": 1}, "parent_id"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "ramp_months": "3"}, "ramp_months"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "ramp_months": 3.0}, "ramp_months"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "ramp_months": 1e2}, "ramp_months"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "active": "false"}, "active"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "active": 0}, "active"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "segment": "B2C"}, "segment"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "hired_on": 1}, "hired_on"),
    ("/v1/people", {"name": "n", "email": "e@example.com", "extra": None}, "extra"),
])
def test_wrong_types_are_400_naming_the_field(scratch_admin, path, body, field):
    api = scratch_admin
    problem(api.post(path, json=body), 400, field)
    assert ok(api.get(path, params={"limit": 1000}))["items"] == []


@pytest.mark.parametrize("raw", [
    b'{"name": "n", "email": "e@example.com", "ramp_months": 99999999999999999999999}',
    b'{"name": "n", "email": "e@example.com", "ramp_months": 1e400}',
])
def test_huge_numbers_are_400(scratch_admin, raw):
    r = scratch_admin.post("/v1/people", data=raw, headers={"Content-Type": "application/json"})
    problem_any(r, 400, ["ramp_months", "body"])


@pytest.mark.parametrize("raw", [b"NaN", b'{"ramp_curve": [NaN]}', b'{"ramp_curve": [Infinity]}',
                                 b"{'name': 'single quotes'}", b'{"name": "x",}',
                                 b"[" * 5000 + b"]" * 5000])
def test_not_json_is_400_body(admin, raw):
    before = ok(admin.get("/v1/org"))
    r = admin.patch("/v1/org", data=raw, headers={"Content-Type": "application/json"})
    problem(r, 400, "body")
    assert ok(admin.get("/v1/org")) == before


def test_ramp_curve_numbers_are_exact(admin):
    curve = [0.01, 12.5, 33.33, 99.99, 100]
    assert ok(admin.patch("/v1/org", json={"ramp_curve": curve}))["ramp_curve"] == curve
    assert ok(admin.get("/v1/org"))["ramp_curve"] == curve
    ok(admin.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))


def test_unicode_round_trips(admin):
    name = "Zoë – 東京 ✓ " + uid()
    t = ok(admin.post("/v1/teams", json={"name": name}), 201)
    assert t["name"] == name
    assert ok(admin.get(f"/v1/teams/{t['id']}"))["name"] == name
    assert team_names(admin, name) == [name]


def test_q_is_a_literal_substring(admin):
    u = uid()
    ok(admin.post("/v1/teams", json={"name": f"lit{u}a_b"}), 201)
    ok(admin.post("/v1/teams", json={"name": f"lit{u}aXb"}), 201)
    ok(admin.post("/v1/teams", json={"name": f"lit{u}100%"}), 201)
    ok(admin.post("/v1/teams", json={"name": f"lit{u}1000"}), 201)
    assert team_names(admin, f"{u}a_b") == [f"lit{u}a_b"]
    assert team_names(admin, f"{u}100%") == [f"lit{u}100%"]
    assert all("%" in n for n in team_names(admin, "%"))
    assert all("_" in n for n in team_names(admin, "_"))
    assert team_names(admin, f"lit{u}\\") == []


# -- strict query parameters -----------------------------------------------------------------

@pytest.mark.parametrize("limit", ["1", "1000"])
def test_limit_bounds_accepted(admin, limit):
    page = ok(admin.get("/v1/teams", params={"limit": limit}))
    assert len(page["items"]) <= int(limit)


@pytest.mark.parametrize("limit", ["0", "1001", "abc", "-1", "1e2", "2.0", " 5", "5 ", "0x10",
                                   "99999999999999999999"])
@pytest.mark.parametrize("path", ["/v1/teams", "/v1/people"])
def test_limit_out_of_bounds(admin, path, limit):
    problem(admin.get(path, params={"limit": limit}), 400, "limit")


def test_repeated_query_parameter_is_400(admin):
    problem(admin.get("/v1/teams?limit=1&limit=2"), 400, "limit")


def test_limit_one_pages(admin):
    for i in range(2):
        ok(admin.post("/v1/teams", json={"name": f"one-{i}-{uid()}"}), 201)
    page = ok(admin.get("/v1/teams", params={"limit": 1}))
    assert len(page["items"]) == 1 and page["next_cursor"] is not None
    nxt = ok(admin.get("/v1/teams", params={"limit": 1, "cursor": page["next_cursor"]}))
    assert len(nxt["items"]) == 1
    assert int(nxt["items"][0]["id"]) > int(page["items"][0]["id"])


@pytest.mark.parametrize("path,param", [
    ("/v1/org", "expand"),
    ("/v1/teams", "colour"),
    ("/v1/teams", "sort"),
    ("/v1/people", "foo"),
    ("/v1/periods", "bar"),
    ("/v1/periods/2026-07", "x"),
])
def test_unknown_query_parameter_is_400_naming_it(admin, path, param):
    problem(admin.get(path, params={param: "1"}), 400, param)


def test_unknown_query_parameter_on_a_resource(admin):
    t = ok(admin.post("/v1/teams", json={"name": "qp " + uid()}), 201)
    problem(admin.get(f"/v1/teams/{t['id']}", params={"fields": "name"}), 400, "fields")
    problem(admin.patch(f"/v1/teams/{t['id']}", params={"dry_run": "true"},
                        json={"name": "x"}), 400, "dry_run")
    assert ok(admin.get(f"/v1/teams/{t['id']}")) == t


# -- idempotency key bounds ---------------------------------------------------------------------

def test_idempotency_key_length(admin):
    name = "key " + uid()
    problem(admin.post("/v1/teams", json={"name": name}, headers={"Idempotency-Key": "k" * 256}),
            400, "Idempotency-Key")
    assert team_names(admin, name) == []
    problem(admin.post("/v1/teams", json={"name": name}, headers={"Idempotency-Key": ""}),
            400, "Idempotency-Key")
    assert team_names(admin, name) == []
    key = uid() + "k" * 245
    assert len(key) == 255
    ok(admin.post("/v1/teams", json={"name": name}, headers={"Idempotency-Key": key}), 201)


# -- hardening (issue 13: output and input) ----------------------------------------------------

def test_error_lists_are_capped_with_a_count_of_the_rest(scratch_admin):
    body = {"name": "capped " + uid()}
    body.update({f"junk{i}": i for i in range(5000)})
    r = scratch_admin.post("/v1/teams", json=body)
    p = problem(r, 400)
    assert len(p["errors"]) == 100
    assert p["errors_omitted"] == 4900
    assert all(e["message"] == "unknown field" for e in p["errors"])
    assert len(r.content) < 20000
    assert team_names(scratch_admin, body["name"]) == []


def test_a_short_error_list_has_no_omitted_count(scratch_admin):
    p = problem(scratch_admin.post("/v1/teams", json={"name": "x", "junk": 1}), 400, "junk")
    assert "errors_omitted" not in p


@pytest.mark.parametrize("n, accepted", [(200, True), (201, False)])
def test_length_limits_count_characters_not_bytes(scratch_admin, n, accepted):
    name = "日" * n  # 3 bytes each in UTF-8
    r = scratch_admin.post("/v1/teams", json={"name": name})
    if accepted:
        assert ok(r, 201)["name"] == name
    else:
        problem(r, 400, "name")


def test_query_length_limits_count_characters(scratch_admin):
    ok(scratch_admin.get("/v1/deals", params={"external_id": "日" * 255}))
    problem(scratch_admin.get("/v1/deals", params={"external_id": "日" * 256}), 400, "external_id")


def _cursor(raw):
    import base64
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("raw", [b"id:5\x00junk", b"id: 5", b"id:+5", b"id:-5", b"id:5 ",
                                 b"id:99999999999999999999", b"id:", b"xx:5", b"id:5x"])
def test_malformed_cursors_are_400(admin, raw):
    problem(admin.get("/v1/teams", params={"cursor": _cursor(raw)}), 400, "cursor")


def test_a_well_formed_cursor_is_accepted(admin):
    assert ok(admin.get("/v1/teams", params={"cursor": _cursor(b"id:5")}))["items"] is not None


@pytest.mark.parametrize("text", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_neutralises_formulas(scratch_admin, text):
    from contract import parse_csv
    name = text + " " + uid()
    ok(scratch_admin.post("/v1/teams", json={"name": name}), 201)
    r = scratch_admin.get("/v1/teams", params={"limit": 1000}, headers={"Accept": "text/csv"})
    _, rows = parse_csv(r)
    names = [row["name"] for row in rows]
    assert "'" + name in names
    assert name not in names


def test_csv_numbers_stay_numbers(admin):
    from contract import parse_csv
    header, rows = parse_csv(admin.get("/v1/stages", headers={"Accept": "text/csv"}))
    assert rows and all(row["probability"].isdigit() for row in rows)


@pytest.mark.parametrize("raw, field, message", [
    (b'{"name": "a\\u0000b"}', "name", "must not contain NUL characters"),
    (b'{"name": "ok", "title": "x\\ud800y"}', "title", "is not valid Unicode (a lone surrogate)"),
    (b'{"name": "n", "ramp_months": 1e400}', "ramp_months", "is out of range"),
    (b'{"name": "n", "ramp_months": 99999999999999999999999}', "ramp_months", "is out of range"),
])
def test_values_jansson_refuses_name_their_field(scratch_admin, raw, field, message):
    r = scratch_admin.post("/v1/people", data=raw, headers={"Content-Type": "application/json"})
    p = problem(r, 400, field)
    assert p["errors"][0]["message"] == message
    assert "JSON_" not in r.text
