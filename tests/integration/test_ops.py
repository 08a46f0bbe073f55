"""Operations: health, readiness, metrics, the served document, request ids, logs, limits."""

import re
import time
import uuid

import requests
import yaml

from contract import SPEC_PATH, ok, problem

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


# -- health and readiness ----------------------------------------------------------

def test_healthz(anon):
    r = anon.get("/healthz")
    assert ok(r) == {"status": "ok"}
    assert r.headers["Content-Type"].startswith("application/json")


def test_healthz_needs_no_token_and_ignores_a_bad_one(anon):
    ok(anon.get("/healthz", token="not-a-token"))


def test_readyz(anon):
    body = ok(anon.get("/readyz"))
    assert body["status"] == "ready"
    assert body["database"] == "ok"
    m = body["migrations"]
    assert m["applied"] == m["expected"] >= 1


# -- metrics -------------------------------------------------------------------------

SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] and {name: type} of a Prometheus text page."""
    samples, types = [], {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            types[name] = kind.strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL_RE.findall(m.group(2) or ""))
        samples.append((m.group(1), labels, float(m.group(3))))
    return samples, types


def metric(samples, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 when none)."""
    return sum(v for n, l, v in samples
               if n == name and all(l.get(k) == want for k, want in labels.items()))


def scrape(anon):
    r = anon.get("/metrics")
    ok(r)
    assert r.headers["Content-Type"].startswith("text/plain")
    return parse_metrics(r.text)


def test_metrics_has_the_named_series(anon):
    anon.get("/healthz")
    samples, types = scrape(anon)
    names = {n for n, _, _ in samples}
    for name in ("attain_http_requests_total",
                 "attain_http_request_duration_seconds_bucket",
                 "attain_http_request_duration_seconds_sum",
                 "attain_http_request_duration_seconds_count",
                 "attain_db_pool_in_use", "attain_db_pool_idle", "attain_db_pool_waiting",
                 "attain_db_errors_total"):
        assert name in names, f"{name} missing from /metrics"
    assert types.get("attain_http_requests_total") == "counter"
    assert types.get("attain_http_request_duration_seconds") == "histogram"
    for g in ("attain_db_pool_in_use", "attain_db_pool_idle", "attain_db_pool_waiting"):
        assert types.get(g) == "gauge", g
    assert types.get("attain_db_errors_total") == "counter"
    for n, labels, _ in samples:
        if n == "attain_http_requests_total":
            assert {"route", "method", "status"} <= set(labels), labels
        if n == "attain_http_request_duration_seconds_bucket":
            assert "route" in labels and "le" in labels, labels
    assert any(n == "attain_http_request_duration_seconds_bucket" and l.get("le") == "+Inf"
               for n, l, _ in samples)


def test_metrics_count_requests(anon):
    key = dict(route="/healthz", method="GET", status="200")
    samples, _ = scrape(anon)
    before = metric(samples, "attain_http_requests_total", **key)
    before_count = metric(samples, "attain_http_request_duration_seconds_count", route="/healthz")
    for _ in range(3):
        ok(anon.get("/healthz"))
    deadline = time.monotonic() + 2
    while True:
        samples, _ = scrape(anon)
        after = metric(samples, "attain_http_requests_total", **key)
        if after >= before + 3 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert after == before + 3
    assert metric(samples, "attain_http_request_duration_seconds_count",
                  route="/healthz") >= before_count + 3
    inf = metric(samples, "attain_http_request_duration_seconds_bucket", route="/healthz", le="+Inf")
    count = metric(samples, "attain_http_request_duration_seconds_count", route="/healthz")
    assert inf == count


def test_metrics_label_routes_by_template(admin, anon):
    ok(admin.get("/v1/periods/2026-07"))
    samples, _ = scrape(anon)
    assert metric(samples, "attain_http_requests_total", route="/v1/periods/{period_id}",
                  method="GET", status="200") >= 1
    assert not any(l.get("route") == "/v1/periods/2026-07" for _, l, _ in samples)


# -- the document and its page ---------------------------------------------------------

def test_openapi_yaml_is_served(anon):
    r = anon.get("/openapi.yaml")
    assert r.status_code == 200
    served = yaml.safe_load(r.content)
    with open(SPEC_PATH, encoding="utf-8") as f:
        assert served == yaml.safe_load(f), "served /openapi.yaml differs from openapi.yaml"
    assert served["openapi"].startswith("3.1")


def test_docs_page(anon):
    r = anon.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert re.search(r"<html", html, re.I)
    with open(SPEC_PATH, encoding="utf-8") as f:
        title = yaml.safe_load(f)["info"]["title"]
    assert title in html
    # Works offline: no script, style sheet or font from another host.
    assert not re.search(r"<script[^>]*\ssrc=[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"<link[^>]*\shref=[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"@import\s+(url\()?[\"']?(https?:)?//", html, re.I)


# -- request ids ----------------------------------------------------------------------

def test_request_id_is_echoed(anon, admin):
    rid = "it-" + uuid.uuid4().hex + ":a.b_c-d"
    assert anon.get("/healthz", headers={"X-Request-Id": rid}).headers["X-Request-Id"] == rid
    assert admin.get("/v1/org", headers={"X-Request-Id": rid}).headers["X-Request-Id"] == rid
    long_ok = "a" * 128
    assert anon.get("/healthz", headers={"X-Request-Id": long_ok}).headers["X-Request-Id"] == long_ok


def test_request_id_is_generated(anon):
    a = anon.get("/healthz").headers["X-Request-Id"]
    b = anon.get("/healthz").headers["X-Request-Id"]
    assert REQUEST_ID_RE.match(a) and REQUEST_ID_RE.match(b)
    assert a != b


def test_invalid_request_id_is_replaced(anon):
    for bad in ("has space", "a" * 129, "semi;colon", "quote\"d"):
        got = anon.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert got != bad
        assert REQUEST_ID_RE.match(got)


def test_request_id_in_problem(anon):
    rid = "it-" + uuid.uuid4().hex
    r = anon.get("/v1/org", headers={"X-Request-Id": rid})
    body = problem(r, 401)
    assert body["request_id"] == rid


# -- unknown routes and methods ---------------------------------------------------------

def test_unknown_route_is_404_problem(anon, admin):
    problem(anon.get("/nope"), 404)
    problem(admin.get("/v1/nope"), 404)
    problem(admin.get("/v1/teams/1/nope"), 404)


def test_wrong_method_is_405_with_allow(anon, admin):
    r = admin.delete("/v1/org")
    problem(r, 405)
    allow = {m.strip().upper() for m in r.headers["Allow"].split(",")}
    assert {"GET", "PATCH"} <= allow
    assert "DELETE" not in allow

    r = anon.post("/healthz", json={})
    problem(r, 405)
    allow = {m.strip().upper() for m in r.headers["Allow"].split(",")}
    assert "GET" in allow and "POST" not in allow

    r = admin.put("/v1/teams", json={"name": "x"})
    problem(r, 405)
    allow = {m.strip().upper() for m in r.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allow


# -- body size limit -------------------------------------------------------------------

def test_body_over_max_is_413(start_attaind, tokens):
    srv = start_attaind({"ATTAIN_MAX_BODY": "1024"})
    api = srv.api(tokens.token("it-413-" + uuid.uuid4().hex[:12], ["admin"]))
    before = ok(api.get("/v1/org"))

    big = b'{"name": "' + b"x" * 2000 + b'"}'
    problem(api.post("/v1/teams", data=big, headers={"Content-Type": "application/json"}), 413)
    problem(api.patch("/v1/org", data=b'{"name": "' + b"y" * 2000 + b'"}',
                      headers={"Content-Type": "application/json"}), 413)

    # Without Content-Length (chunked): the received length counts too.
    def chunks():
        yield b'{"name": "'
        for _ in range(4):
            yield b"z" * 500
        yield b'"}'
    problem(api.post("/v1/teams", data=chunks(), headers={"Content-Type": "application/json"}), 413)

    # Nothing was written.
    assert ok(api.get("/v1/org")) == before
    assert ok(api.get("/v1/teams"))["items"] == []

    # A body under the limit goes through.
    small = {"name": "n" * 200}
    ok(api.post("/v1/teams", json=small), 201)
    assert srv.stop() == 0


# -- log lines -------------------------------------------------------------------------

LOG_KEYS = {"method", "route", "status", "duration_ms", "request_id", "org", "sub"}


def test_one_json_log_line_per_request(admin, anon, server_log, org):
    team = ok(admin.post("/v1/teams", json={"name": "log test"}), 201)
    rid = "it-log-" + uuid.uuid4().hex
    ok(admin.get(f"/v1/teams/{team['id']}", headers={"X-Request-Id": rid}))
    lines = server_log.wait_request(rid)
    assert len(lines) == 1, lines
    line = lines[0]
    assert LOG_KEYS <= set(line), line
    assert line["method"] == "GET"
    assert line["route"] == "/v1/teams/{team_id}"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert line["org"] == org
    assert line["sub"] == "admin-" + org

    rid = "it-log-" + uuid.uuid4().hex
    ok(anon.get("/healthz", headers={"X-Request-Id": rid}))
    lines = server_log.wait_request(rid)
    assert len(lines) == 1, lines
    assert LOG_KEYS <= set(lines[0])
    assert lines[0]["route"] == "/healthz" and lines[0]["status"] == 200
    assert lines[0]["org"] is None and lines[0]["sub"] is None

    rid = "it-log-" + uuid.uuid4().hex
    problem(anon.get("/v1/org", headers={"X-Request-Id": rid}), 401)
    lines = server_log.wait_request(rid)
    assert len(lines) == 1 and lines[0]["status"] == 401, lines


def test_log_lines_never_hold_the_token(admin, server_log):
    ok(admin.get("/v1/org"))
    time.sleep(0.2)
    assert admin.token not in server_log.text()
    sig = admin.token.rsplit(".", 1)[1]
    assert sig not in server_log.text()


# -- graceful stop ----------------------------------------------------------------------

def test_sigterm_exits_zero(start_attaind, tokens, org):
    srv = start_attaind()
    api = srv.api(tokens.token(org, ["admin"]))
    ok(api.get("/v1/org"))
    assert srv.stop() == 0
    try:
        requests.get(srv.base_url + "/healthz", timeout=1)
        raise AssertionError("attaind still answers after SIGTERM")
    except requests.ConnectionError:
        pass
