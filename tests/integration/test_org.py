"""GET/PATCH /v1/org: defaults, settings validation, ETag, roles."""

import uuid

import pytest

from contract import ok, problem

DEFAULTS = {"fiscal_year_start_month": 1, "currency": "USD", "timezone": "UTC",
            "ramp_curve": [25, 50, 75]}


def test_new_org_has_defaults(client, tokens):
    org = "it-new-" + uuid.uuid4().hex[:12]
    api = client(tokens.token(org, ["rep"]))
    r = api.get("/v1/org")
    body = ok(r)
    assert body["id"] == org
    assert body["name"] == org
    for k, v in DEFAULTS.items():
        assert body[k] == v, k
    assert body["version"] == 1
    assert r.headers["ETag"] == '"1"'
    assert body["created_at"] <= body["updated_at"]
    # Seen again: the same org, not a second one.
    again = ok(api.get("/v1/org"))
    assert again == body


def test_patch_every_setting(admin, org):
    before = ok(admin.get("/v1/org"))
    change = {"name": "Acme Ünïcode ✓", "fiscal_year_start_month": 2, "currency": "EUR",
              "timezone": "Europe/Paris", "ramp_curve": [12.5, 50, 50, 100]}
    r = admin.patch("/v1/org", json=change)
    body = ok(r)
    for k, v in change.items():
        assert body[k] == v, k
    assert body["id"] == org
    assert body["version"] == before["version"] + 1
    assert r.headers["ETag"] == f'"{body["version"]}"'
    assert body["created_at"] == before["created_at"]
    assert body["updated_at"] >= before["updated_at"]
    got = admin.get("/v1/org")
    assert ok(got) == body
    assert got.headers["ETag"] == r.headers["ETag"]


def test_patch_subset_keeps_the_rest(admin):
    before = ok(admin.get("/v1/org"))
    body = ok(admin.patch("/v1/org", json={"timezone": "America/New_York"}))
    assert body["timezone"] == "America/New_York"
    for k in ("name", "fiscal_year_start_month", "currency", "ramp_curve"):
        assert body[k] == before[k], k
    assert body["version"] == before["version"] + 1


def test_empty_ramp_curve_is_allowed(admin):
    assert ok(admin.patch("/v1/org", json={"ramp_curve": []}))["ramp_curve"] == []
    assert ok(admin.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))["ramp_curve"] == [25, 50, 75]


def test_ramp_curve_of_24_months(admin):
    curve = [round(4 * (i + 1), 2) for i in range(24)]
    assert ok(admin.patch("/v1/org", json={"ramp_curve": curve}))["ramp_curve"] == curve
    ok(admin.patch("/v1/org", json={"ramp_curve": [25, 50, 75]}))


@pytest.mark.parametrize("tz", ["UTC", "Europe/Paris", "America/Los_Angeles", "Asia/Kolkata"])
def test_known_timezones(admin, tz):
    assert ok(admin.patch("/v1/org", json={"timezone": tz}))["timezone"] == tz


@pytest.mark.parametrize("cur", ["EUR", "JPY", "GBP", "USD"])
def test_known_currencies(admin, cur):
    assert ok(admin.patch("/v1/org", json={"currency": cur}))["currency"] == cur


INVALID = [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": None}, "name"),
    ({"name": 5}, "name"),
    ({"name": ["a"]}, "name"),
    ({"fiscal_year_start_month": 0}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": 13}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": "2"}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": 2.5}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": 2.0}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": True}, "fiscal_year_start_month"),
    ({"fiscal_year_start_month": None}, "fiscal_year_start_month"),
    ({"currency": "eur"}, "currency"),
    ({"currency": "EURO"}, "currency"),
    ({"currency": "QQQ"}, "currency"),
    ({"currency": 978}, "currency"),
    ({"currency": None}, "currency"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": 1}, "timezone"),
    ({"ramp_curve": [25, 50, 0]}, "ramp_curve[2]"),
    ({"ramp_curve": [25, 101]}, "ramp_curve[1]"),
    ({"ramp_curve": [50, 25]}, "ramp_curve[1]"),
    ({"ramp_curve": [-5]}, "ramp_curve[0]"),
    ({"ramp_curve": [25, "50"]}, "ramp_curve[1]"),
    ({"ramp_curve": [25, None]}, "ramp_curve[1]"),
    ({"ramp_curve": [33.333]}, "ramp_curve[0]"),
    ({"ramp_curve": "abc"}, "ramp_curve"),
    ({"ramp_curve": {"0": 25}}, "ramp_curve"),
    ({"ramp_curve": None}, "ramp_curve"),
    ({"ramp_curve": [50] * 25}, "ramp_curve"),
    ({"colour": "red"}, "colour"),
    ({"id": "other"}, "id"),
    ({"version": 7}, "version"),
    ({"created_at": "2026-01-01T00:00:00.000Z"}, "created_at"),
]


@pytest.mark.parametrize("body,field", INVALID, ids=[f"{f}-{i}" for i, (_, f) in enumerate(INVALID)])
def test_invalid_patch_names_the_field_and_writes_nothing(admin, body, field):
    before = ok(admin.get("/v1/org"))
    problem(admin.patch("/v1/org", json=body), 400, field)
    assert ok(admin.get("/v1/org")) == before


def test_one_bad_field_among_good_ones_writes_nothing(admin):
    before = ok(admin.get("/v1/org"))
    problem(admin.patch("/v1/org", json={"name": "Changed", "currency": "QQQ"}), 400, "currency")
    assert ok(admin.get("/v1/org")) == before


def test_one_answer_names_every_bad_setting(admin):
    # The reading's issues and the service's (currency, time zone) come in one 400.
    before = ok(admin.get("/v1/org"))
    body = problem(admin.patch("/v1/org", json={"name": 5, "currency": "QQQ", "timezone": "Mars/Olympus",
                                                "ramp_curve": [50, 25]}), 400)
    fields = {e["field"]: e["message"] for e in body["errors"]}
    assert set(fields) == {"name", "currency", "timezone", "ramp_curve[1]"}
    assert fields["currency"] == "must be an ISO 4217 code such as USD or EUR"
    assert fields["timezone"] == "must be an IANA time zone such as Europe/Paris"
    assert fields["ramp_curve[1]"] == "must not be below the month before"
    assert ok(admin.get("/v1/org")) == before


RAW_INVALID = [
    (b'{"name": ', "body"),
    (b"", "body"),
    (b"[]", "body"),
    (b'"name"', "body"),
    (b"null", "body"),
    (b'{"name": "a"} trailing', "body"),
    (b'{"name": "a", "name": "b"}', "name"),
    (b'{"name": "\xff\xfe"}', "body"),
]


@pytest.mark.parametrize("raw,field", RAW_INVALID)
def test_malformed_body_is_400(admin, raw, field):
    before = ok(admin.get("/v1/org"))
    r = admin.patch("/v1/org", data=raw, headers={"Content-Type": "application/json"})
    problem(r, 400, field)
    assert ok(admin.get("/v1/org")) == before


def test_if_match(admin):
    r = admin.get("/v1/org")
    before = ok(r)
    etag = r.headers["ETag"]
    stale = f'"{before["version"] - 1 if before["version"] > 1 else before["version"] + 5}"'

    problem(admin.patch("/v1/org", json={"name": "stale"}, headers={"If-Match": stale}), 412)
    assert ok(admin.get("/v1/org")) == before

    r = admin.patch("/v1/org", json={"name": "fresh"}, headers={"If-Match": etag})
    body = ok(r)
    assert body["name"] == "fresh" and body["version"] == before["version"] + 1
    # The old ETag is stale now.
    problem(admin.patch("/v1/org", json={"name": "again"}, headers={"If-Match": etag}), 412)
    assert ok(admin.get("/v1/org"))["name"] == "fresh"

    body = ok(admin.patch("/v1/org", json={"name": "star"}, headers={"If-Match": "*"}))
    assert body["name"] == "star" and body["version"] == before["version"] + 2


# -- roles ------------------------------------------------------------------------------

ROLES = ["admin", "exec", "manager", "rep", "service"]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_org(client, tokens, org, role):
    api = client(tokens.token(org, [role], person_id="1" if role in ("manager", "rep") else None))
    assert ok(api.get("/v1/org"))["id"] == org


@pytest.mark.parametrize("role,status", [("admin", 200), ("exec", 403), ("manager", 403),
                                         ("rep", 403), ("service", 403)])
def test_only_admin_patches_the_org(client, tokens, admin, org, role, status):
    api = client(tokens.token(org, [role], person_id="1" if role in ("manager", "rep") else None))
    before = ok(admin.get("/v1/org"))
    r = api.patch("/v1/org", json={"name": f"by {role}"})
    if status == 200:
        assert ok(r)["name"] == f"by {role}"
    else:
        problem(r, status)
        assert ok(admin.get("/v1/org")) == before


def test_other_org_sees_only_its_own(admin, other_admin, org, other_org):
    mine = ok(admin.get("/v1/org"))
    theirs = ok(other_admin.get("/v1/org"))
    assert theirs["id"] == other_org and theirs["id"] != org
    ok(other_admin.patch("/v1/org", json={"name": "theirs", "currency": "JPY"}))
    assert ok(admin.get("/v1/org")) == mine
