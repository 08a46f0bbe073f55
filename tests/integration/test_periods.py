"""/v1/periods: fiscal calendar arithmetic, ranges, defaults, validation, CSV."""

import datetime as dt
import uuid

import pytest

from contract import ok, parse_csv, problem

PERIOD_FIELDS = {"id", "grain", "fiscal_year", "number", "start", "end"}


# -- a reference fiscal calendar (DESIGN §6) ----------------------------------------------

def add_months(d, n):
    m = d.month - 1 + n
    return dt.date(d.year + m // 12, m % 12 + 1, 1)


def fy_of(d, s):
    """The fiscal year (named by the calendar year it ends in) holding date d."""
    start_year = d.year if d.month >= s else d.year - 1
    return start_year if s == 1 else start_year + 1


def fy_start(fy, s):
    return dt.date(fy if s == 1 else fy - 1, s, 1)


def period(pid, grain, fy, number, start, end):
    return {"id": pid, "grain": grain, "fiscal_year": fy, "number": number,
            "start": start.isoformat(), "end": end.isoformat()}


def month(y, m, s):
    start = dt.date(y, m, 1)
    end = add_months(start, 1) - dt.timedelta(days=1)
    return period(f"{y:04d}-{m:02d}", "month", fy_of(start, s), m, start, end)


def quarter(fy, q, s):
    start = add_months(fy_start(fy, s), 3 * (q - 1))
    end = add_months(start, 3) - dt.timedelta(days=1)
    return period(f"FY{fy}-Q{q}", "quarter", fy, q, start, end)


def year(fy, s):
    start = fy_start(fy, s)
    end = add_months(start, 12) - dt.timedelta(days=1)
    return period(f"FY{fy}", "year", fy, fy, start, end)


def expected_range(frm, to, grain, s):
    """Every period of grain overlapping frm..to."""
    out = []
    if grain == "month":
        d = dt.date(frm.year, frm.month, 1)
        while d <= to:
            out.append(month(d.year, d.month, s))
            d = add_months(d, 1)
    elif grain == "quarter":
        fy = fy_of(frm, s)
        q = (frm.year * 12 + frm.month - (fy_start(fy, s).year * 12 + s)) // 3 + 1
        while True:
            p = quarter(fy, q, s)
            if p["start"] > to.isoformat():
                break
            out.append(p)
            fy, q = (fy, q + 1) if q < 4 else (fy + 1, 1)
    else:
        fy = fy_of(frm, s)
        while year(fy, s)["start"] <= to.isoformat():
            out.append(year(fy, s))
            fy += 1
    return out


def test_reference_calendar_matches_design():
    # DESIGN §6: start month 2: FY2026 runs 2025-02-01 to 2026-01-31.
    assert year(2026, 2)["start"] == "2025-02-01" and year(2026, 2)["end"] == "2026-01-31"
    assert year(2026, 1)["start"] == "2026-01-01" and year(2026, 1)["end"] == "2026-12-31"


# -- fixtures ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fy2(admin):
    """This module's org, with fiscal years starting in February (time zone UTC)."""
    ok(admin.patch("/v1/org", json={"fiscal_year_start_month": 2, "timezone": "UTC"}))
    return admin


@pytest.fixture(scope="module")
def fy1(client, tokens):
    """A fresh org with the default calendar (fiscal year = calendar year)."""
    return client(tokens.token("it-fy1-" + uuid.uuid4().hex[:10], ["rep"]))


@pytest.fixture(scope="module")
def fy12(client, tokens):
    api = client(tokens.token("it-fy12-" + uuid.uuid4().hex[:10], ["admin"]))
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 12}))
    return api


# -- single periods -----------------------------------------------------------------------

@pytest.mark.parametrize("pid", ["FY2026", "FY2026-Q1", "FY2026-Q3", "FY2026-Q4", "2026-07",
                                 "2026-01", "2026-02", "2024-02", "2025-12", "FY2000"])
def test_get_period_fy_feb(fy2, pid):
    s = 2
    if pid.startswith("FY"):
        fy = int(pid[2:6])
        want = quarter(fy, int(pid[-1]), s) if "-Q" in pid else year(fy, s)
    else:
        want = month(int(pid[:4]), int(pid[5:]), s)
    assert ok(fy2.get(f"/v1/periods/{pid}")) == want


def test_design_examples(fy2, fy1, fy12):
    p = ok(fy2.get("/v1/periods/FY2026"))
    assert (p["start"], p["end"], p["grain"], p["fiscal_year"]) == ("2025-02-01", "2026-01-31",
                                                                     "year", 2026)
    q3 = ok(fy2.get("/v1/periods/FY2026-Q3"))
    assert (q3["start"], q3["end"], q3["number"]) == ("2025-08-01", "2025-10-31", 3)
    m = ok(fy2.get("/v1/periods/2026-07"))
    assert (m["start"], m["end"], m["fiscal_year"], m["number"]) == ("2026-07-01", "2026-07-31",
                                                                     2027, 7)
    jan = ok(fy2.get("/v1/periods/2026-01"))
    assert jan["fiscal_year"] == 2026
    assert ok(fy2.get("/v1/periods/2024-02"))["end"] == "2024-02-29"

    assert ok(fy1.get("/v1/periods/FY2026")) == year(2026, 1)
    assert ok(fy1.get("/v1/periods/FY2026"))["start"] == "2026-01-01"
    assert ok(fy1.get("/v1/periods/FY2026-Q2")) == quarter(2026, 2, 1)
    assert ok(fy1.get("/v1/periods/2026-07"))["fiscal_year"] == 2026

    assert ok(fy12.get("/v1/periods/FY2026")) == year(2026, 12)
    assert ok(fy12.get("/v1/periods/FY2026"))["start"] == "2025-12-01"
    assert ok(fy12.get("/v1/periods/FY2026-Q1"))["end"] == "2026-02-28"
    assert ok(fy12.get("/v1/periods/2025-12"))["fiscal_year"] == 2026


@pytest.mark.parametrize("pid", ["2026-7", "2026-13", "2026-00", "FY2026-Q5", "FY2026-Q0", "FY26",
                                 "fy2026", "FY2026Q1", "FY2026-q1", "garbage", "2026", "2026-07-01",
                                 "FY2026-Q1x"])
def test_malformed_period_id(fy2, pid):
    problem(fy2.get(f"/v1/periods/{pid}"), 400, "period_id")


def test_changing_the_fiscal_start_changes_periods(client, tokens):
    api = client(tokens.token("it-fychange-" + uuid.uuid4().hex[:10], ["admin"]))
    assert ok(api.get("/v1/periods/FY2026")) == year(2026, 1)
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 7}))
    assert ok(api.get("/v1/periods/FY2026")) == year(2026, 7)
    assert ok(api.get("/v1/periods/FY2026"))["start"] == "2025-07-01"


# -- ranges ------------------------------------------------------------------------------------

RANGES = [
    ("2025-01-15", "2025-03-10", "month"),
    ("2025-02-01", "2026-01-31", "month"),
    ("2025-02-01", "2026-01-31", "quarter"),
    ("2025-03-15", "2025-09-01", "quarter"),
    ("2020-06-01", "2023-01-01", "year"),
    ("2024-02-29", "2024-02-29", "month"),
    ("2024-01-31", "2024-02-01", "quarter"),
]


@pytest.mark.parametrize("frm,to,grain", RANGES)
def test_list_range(fy2, frm, to, grain):
    body = ok(fy2.get("/v1/periods", params={"from": frm, "to": to, "grain": grain}))
    assert body["next_cursor"] is None
    assert body["items"] == expected_range(dt.date.fromisoformat(frm), dt.date.fromisoformat(to),
                                           grain, 2)


def test_list_range_examples(fy2):
    body = ok(fy2.get("/v1/periods", params={"from": "2025-01-15", "to": "2025-03-10"}))
    assert [p["id"] for p in body["items"]] == ["2025-01", "2025-02", "2025-03"]
    body = ok(fy2.get("/v1/periods", params={"from": "2025-02-01", "to": "2026-01-31",
                                             "grain": "quarter"}))
    assert [p["id"] for p in body["items"]] == ["FY2026-Q1", "FY2026-Q2", "FY2026-Q3", "FY2026-Q4"]
    body = ok(fy2.get("/v1/periods", params={"from": "2020-06-01", "to": "2023-01-01",
                                             "grain": "year"}))
    assert [p["id"] for p in body["items"]] == ["FY2021", "FY2022", "FY2023"]


def current_fy_bounds(s):
    today = dt.datetime.now(dt.timezone.utc).date()
    fy = fy_of(today, s)
    y = year(fy, s)
    return fy, dt.date.fromisoformat(y["start"]), dt.date.fromisoformat(y["end"])


def test_defaults_are_the_current_fiscal_year_by_month(fy2, fy1):
    for api, s in ((fy2, 2), (fy1, 1)):
        _, start, end = current_fy_bounds(s)
        body = ok(api.get("/v1/periods"))
        assert body["items"] == expected_range(start, end, "month", s)
        assert len(body["items"]) == 12


def test_default_range_by_quarter(fy2):
    fy, start, end = current_fy_bounds(2)
    body = ok(fy2.get("/v1/periods", params={"grain": "quarter"}))
    assert [p["id"] for p in body["items"]] == [f"FY{fy}-Q{q}" for q in range(1, 5)]
    body = ok(fy2.get("/v1/periods", params={"grain": "year"}))
    assert [p["id"] for p in body["items"]] == [f"FY{fy}"]


def test_from_alone_gives_twelve_months(fy2):
    body = ok(fy2.get("/v1/periods", params={"from": "2025-09-01"}))
    assert [p["id"] for p in body["items"]] == [f"2025-{m:02d}" for m in range(9, 13)] + \
        [f"2026-{m:02d}" for m in range(1, 9)]
    # A from in mid-month: to = from + 12 months - 1 day, so 13 months overlap.
    body = ok(fy2.get("/v1/periods", params={"from": "2025-09-15"}))
    assert body["items"] == expected_range(dt.date(2025, 9, 15), dt.date(2026, 9, 14), "month", 2)
    assert len(body["items"]) == 13
    body = ok(fy2.get("/v1/periods", params={"from": "2025-08-01", "grain": "quarter"}))
    assert [p["id"] for p in body["items"]] == ["FY2026-Q3", "FY2026-Q4", "FY2027-Q1",
                                                "FY2027-Q2"]


def test_to_alone_gives_twelve_months(fy2):
    body = ok(fy2.get("/v1/periods", params={"to": "2026-03-10"}))
    assert [p["id"] for p in body["items"]] == [f"2025-{m:02d}" for m in range(4, 13)] + \
        ["2026-01", "2026-02", "2026-03"]


def test_one_thousand_periods_is_the_most(fy2):
    body = ok(fy2.get("/v1/periods", params={"from": "1950-01-01", "to": "2033-04-30"}))
    assert len(body["items"]) == 1000
    assert body["items"][0]["id"] == "1950-01" and body["items"][-1]["id"] == "2033-04"
    problem(fy2.get("/v1/periods", params={"from": "1950-01-01", "to": "2033-05-01"}), 400, "to")
    problem(fy2.get("/v1/periods", params={"from": "1900-01-01", "to": "2099-12-31"}), 400, "to")


@pytest.mark.parametrize("params,field", [
    ({"from": "2025-03-01", "to": "2025-02-28"}, "to"),
    ({"grain": "week"}, "grain"),
    ({"grain": "Month"}, "grain"),
    ({"grain": ""}, "grain"),
    ({"from": "2025-13-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"from": "2025-1-1"}, "from"),
    ({"to": "2025-02-30"}, "to"),
    ({"to": "2025-02-28T00:00:00Z"}, "to"),
    ({"limit": "5"}, "limit"),
    ({"cursor": "abc"}, "cursor"),
    ({"period": "2025-01"}, "period"),
])
def test_bad_list_params(fy2, params, field):
    problem(fy2.get("/v1/periods", params=params), 400, field)


def test_csv(fy2):
    r = fy2.get("/v1/periods", params={"from": "2025-02-01", "to": "2026-01-31", "grain": "quarter"},
                headers={"Accept": "text/csv"})
    header, rows = parse_csv(r)
    assert set(header) == PERIOD_FIELDS and len(header) == len(PERIOD_FIELDS)
    want = expected_range(dt.date(2025, 2, 1), dt.date(2026, 1, 31), "quarter", 2)
    assert rows == [{k: str(v) for k, v in p.items()} for p in want]


# -- roles and orgs ----------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["admin", "exec", "manager", "rep", "service"])
def test_every_role_reads_periods(client, tokens, org, fy2, role):
    api = client(tokens.token(org, [role], person_id="1" if role in ("manager", "rep") else None))
    assert ok(api.get("/v1/periods/FY2026")) == year(2026, 2)
    assert len(ok(api.get("/v1/periods"))["items"]) == 12


def test_each_org_has_its_own_calendar(fy2, other_admin):
    assert ok(fy2.get("/v1/periods/FY2026"))["start"] == "2025-02-01"
    assert ok(other_admin.get("/v1/periods/FY2026"))["start"] == "2026-01-01"
