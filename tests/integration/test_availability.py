"""
Availability (issue 13): an anonymous caller must not be able to take the
service down. Each attack is run against an attaind of its own, then the
expected answer is asserted. Nothing here asserts a duration: timeouts on
sockets and joins are hang guards only.
"""

import json
import socket
import threading
import time

import requests

from conftest import psql
from contract import ok, problem
from test_pool import hold_lock, release

HANG = 60  # seconds: a hang guard, never a speed assertion


def raw_head(port, head, source="127.0.0.1"):
    """Connect (from `source`), send a request head only; return the socket."""
    s = socket.socket()
    s.settimeout(HANG)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    s.sendall(head.encode())
    return s


def read_answer(s):
    """Read one HTTP answer (head + Content-Length body): (status, headers, body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise AssertionError(f"connection closed before an answer: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
    if status == 100:
        return status, headers, body
    n = int(headers.get("content-length", "0"))
    while len(body) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def post_head(path, length, token=None, expect=False):
    h = (f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
         f"Content-Length: {length}\r\n")
    if token:
        h += f"Authorization: Bearer {token}\r\n"
    if expect:
        h += "Expect: 100-continue\r\n"
    return h + "\r\n"


def problem_of(status, headers, body, want):
    assert status == want, (status, body[:500])
    assert headers["content-type"].startswith("application/problem+json")
    p = json.loads(body)
    assert p["status"] == want
    return p


# -- item 1: bodies are not buffered before the checks ------------------------------------

def test_declared_oversize_gets_413_before_any_body_byte(start_attaind, tokens, org):
    srv = start_attaind()
    token = tokens.token(org, ["admin"])
    # 2 MiB on a route that is not bulk: over the 1 MiB small-body limit.
    s = raw_head(srv.port, post_head("/v1/teams", 2 << 20, token))
    p = problem_of(*read_answer(s), 413)
    assert "1048576" in p["detail"]
    s.close()
    # The same on a bulk route is over ATTAIN_MAX_BODY only past 32 MiB.
    s = raw_head(srv.port, post_head("/v1/deals/bulk", (32 << 20) + 1, token))
    problem_of(*read_answer(s), 413)
    s.close()
    # Anonymous: still 413 at once (the size check comes first).
    s = raw_head(srv.port, post_head("/v1/deals/bulk", 1 << 30))
    problem_of(*read_answer(s), 413)
    s.close()


def test_small_body_limit_applies_to_non_bulk_routes(start_attaind, tokens, org):
    srv = start_attaind({"ATTAIN_MAX_SMALL_BODY": "4096"})
    api = srv.api(tokens.token(org, ["admin"]))
    big = b'{"name": "' + b"x" * 5000 + b'"}'
    problem(api.post("/v1/teams", data=big, headers={"Content-Type": "application/json"}), 413)

    def chunks():  # no Content-Length: the received length counts
        yield b'{"name": "'
        for _ in range(10):
            yield b"z" * 1000
        yield b'"}'
    problem(api.post("/v1/teams", data=chunks(), headers={"Content-Type": "application/json"}), 413)
    # A bulk route takes more than the small limit (then judges the items).
    items = [{"name": "n" * 50}] * 100
    r = api.post("/v1/deals/bulk", data=json.dumps(items).encode(),
                 headers={"Content-Type": "application/json"})
    assert r.status_code != 413, r.text


def test_anonymous_upload_gets_401_before_its_body(start_attaind):
    srv = start_attaind()
    s = raw_head(srv.port, post_head("/v1/deals/bulk", 16 << 20, expect=True))
    status, headers, body = read_answer(s)
    p = problem_of(status, headers, body, 401)
    assert headers.get("www-authenticate", "").startswith("Bearer")
    assert p["instance"] == "/v1/deals/bulk"
    s.close()
    s = raw_head(srv.port, post_head("/v1/deals/bulk", 16 << 20, "not-a-token"))
    problem_of(*read_answer(s), 401)
    s.close()


def test_bodies_in_flight_are_bounded_503_beyond(start_attaind, tokens, org):
    srv = start_attaind({"ATTAIN_MAX_BODY": "65536", "ATTAIN_MAX_INFLIGHT_BODY_BYTES": "100000"})
    token = tokens.token(org, ["admin"])
    # A is admitted (100 Continue: its 60000 bytes are reserved) and stalls.
    a = raw_head(srv.port, post_head("/v1/deals/bulk", 60000, token, expect=True))
    status, _, _ = read_answer(a)
    assert status == 100
    # B does not fit beside it: 503 + Retry-After before its body.
    b = raw_head(srv.port, post_head("/v1/deals/bulk", 60000, token))
    status, headers, body = read_answer(b)
    problem_of(status, headers, body, 503)
    assert headers["retry-after"] == "1"
    b.close()
    # Anonymous callers reserve nothing: they are turned away at the head.
    for _ in range(5):
        c = raw_head(srv.port, post_head("/v1/deals/bulk", 60000))
        problem_of(*read_answer(c), 401)
        c.close()
    a.close()
    # A's reservation is given back when its connection ends.
    api = srv.api(token)
    deadline = time.monotonic() + HANG
    while True:
        r = api.post("/v1/deals/bulk", data=b"[" + b" " * 50000 + b"]",
                     headers={"Content-Type": "application/json"})
        if r.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status_code != 503, r.text


# -- item 2: slowloris ---------------------------------------------------------------------

def test_slowloris_from_one_address_leaves_healthz_answering(start_attaind):
    srv = start_attaind({"ATTAIN_MAX_CONNECTIONS": "200", "ATTAIN_MAX_CONNECTIONS_PER_IP": "50",
                         "ATTAIN_THREADS": "4", "ATTAIN_HEADER_TIMEOUT": "600"})
    attack = []
    refused = 0
    try:
        for _ in range(250):  # more than the whole connection limit, from 127.0.0.2
            s = raw_head(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n", source="127.0.0.2")
            attack.append(s)
        # Past the per-address cap the connections are closed at once.
        for s in attack[60:]:  # (the first 50 hold the address's slots)
            try:
                if s.recv(1) == b"":
                    refused += 1
            except ConnectionResetError:
                refused += 1
        assert refused == len(attack) - 60, refused
        # A probe from another address still gets in and is answered.
        ok(srv.api().get("/healthz", timeout=HANG))
        ok(srv.api().get("/readyz", timeout=HANG))
    finally:
        for s in attack:
            s.close()


def test_request_head_has_a_deadline(start_attaind):
    srv = start_attaind({"ATTAIN_HEADER_TIMEOUT": "1", "ATTAIN_IDLE_TIMEOUT": "600"})
    s = raw_head(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n")
    # The head never completes: the connection is closed (long before the
    # 600 s idle timeout; the socket timeout is only a hang guard).
    try:
        assert s.recv(1) == b""
    except ConnectionResetError:
        pass
    s.close()
    # A complete request on a connection is answered, and the connection
    # then waits under the idle timeout for the next one.
    s = raw_head(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _ = read_answer(s)
    assert status == 200
    s.close()


def drip_until_closed(s, limit=120.0):
    """Send a header line byte by byte, a byte every 0.2 s (never silent for long), until the
    server closes the connection; True when it did (before `limit` s, a hang guard)."""
    import select
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        r, _, _ = select.select([s], [], [], 0.2)
        if r:
            try:
                if s.recv(1) == b"":
                    return True
            except ConnectionResetError:
                return True
        try:
            s.send(b"X")
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


def test_a_head_dripped_byte_by_byte_is_cut_at_the_deadline(start_attaind):
    # Never silent for more than 0.2 s, so MHD's silence limit never fires: only the deadline
    # for the whole head closes these (ATTAIN_HEADER_TIMEOUT from the connection's start; on a
    # kept-alive connection, from the end of its last answer plus ATTAIN_IDLE_TIMEOUT).
    srv = start_attaind({"ATTAIN_HEADER_TIMEOUT": "2", "ATTAIN_IDLE_TIMEOUT": "2"})
    s = raw_head(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
    assert drip_until_closed(s)
    s.close()
    s = raw_head(srv.port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    status, _, _ = read_answer(s)
    assert status == 200
    s.send(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Drip: ")
    assert drip_until_closed(s)
    s.close()
    assert requests.get(srv.base_url + "/healthz", timeout=HANG).status_code == 200


# -- item 3: one caller cannot stall everyone ----------------------------------------------

def locked(url, table):
    """Wait until a session holds `table` in ACCESS EXCLUSIVE mode (granted)."""
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        if psql(url, "SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' AND granted "
                     f"AND relation = '{table}'::regclass") == "1":
            return
        time.sleep(0.05)
    raise AssertionError(f"{table} was never locked")


def waiting_on_lock(url, n):
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline:
        out = psql(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'attaind' "
                        "AND datname = current_database() AND wait_event_type = 'Lock'")
        if int(out) >= n:
            return
        time.sleep(0.05)
    raise AssertionError(f"{n} requests never blocked on the lock")


def fresh_get(srv, token, path):
    """GET on a new connection: a kept-alive one stays with the worker that
    accepted it, which may be the one blocked on the lock."""
    return srv.api(token).get(path, timeout=HANG)


def test_expensive_routes_are_capped_per_subject_and_org(start_attaind, database, tokens, org):
    srv = start_attaind({"ATTAIN_THREADS": "4", "ATTAIN_MAX_CONCURRENT_PER_SUBJECT": "1",
                         "ATTAIN_MAX_CONCURRENT_PER_ORG": "2", "ATTAIN_DB_POOL_WAIT_MS": "60000"})
    a, b, c = (tokens.token(org, ["admin"], sub=sub) for sub in ("rep-a", "rep-b", "rep-c"))
    ok(fresh_get(srv, a, "/v1/leads"))  # the org exists and is cached
    locker = hold_lock(database, "LOCK TABLE leads IN ACCESS EXCLUSIVE MODE;")
    locked(database, "leads")
    slow = {}
    threads = [threading.Thread(target=lambda k=k: slow.update({k: fresh_get(srv, k, "/v1/leads/funnel")}))
               for k in (a, b)]
    try:
        threads[0].start()
        waiting_on_lock(database, 1)
        # the same subject again: over its cap
        r = fresh_get(srv, a, "/v1/leads/funnel")
        problem(r, 429)
        assert r.headers["Retry-After"] == "1"
        threads[1].start()
        waiting_on_lock(database, 2)
        # another subject of the same org: the org is at its cap
        problem(fresh_get(srv, c, "/v1/leads/funnel"), 429)
        # cheap routes and the probes still answer
        ok(fresh_get(srv, c, "/v1/org"))
        ok(fresh_get(srv, None, "/healthz"))
    finally:
        release(locker)
        for t in threads:
            if t.ident:
                t.join(timeout=HANG)
    assert slow[a].status_code == 200 and slow[b].status_code == 200
    ok(fresh_get(srv, c, "/v1/leads/funnel"))


def test_expensive_work_never_takes_the_last_worker(start_attaind, database, tokens, org, other_org):
    srv = start_attaind({"ATTAIN_THREADS": "2", "ATTAIN_DB_POOL_WAIT_MS": "60000"})
    a = tokens.token(org, ["admin"], sub="exec-a")
    b = tokens.token(other_org, ["admin"], sub="admin-b")
    ok(fresh_get(srv, a, "/v1/leads"))
    ok(fresh_get(srv, b, "/v1/leads"))
    locker = hold_lock(database, "LOCK TABLE leads IN ACCESS EXCLUSIVE MODE;")
    locked(database, "leads")
    slow = {}
    t = threading.Thread(target=lambda: slow.update(r=fresh_get(srv, a, "/v1/leads/funnel")))
    try:
        t.start()
        waiting_on_lock(database, 1)
        # one of the two workers runs expensive work: another org's expensive
        # call is turned away (503 + Retry-After) instead of queueing ...
        r = fresh_get(srv, b, "/v1/leads/funnel")
        problem(r, 503)
        assert r.headers["Retry-After"] == "1"
        # ... and the last worker answers probes and cheap requests
        ok(fresh_get(srv, None, "/healthz"))
        ok(fresh_get(srv, b, "/v1/org"))
    finally:
        release(locker)
        t.join(timeout=HANG)
    assert slow["r"].status_code == 200


# -- the settings ------------------------------------------------------------------------

NEW_SETTINGS = ("ATTAIN_MAX_SMALL_BODY", "ATTAIN_MAX_INFLIGHT_BODY_BYTES", "ATTAIN_MAX_CONNECTIONS_PER_IP",
                "ATTAIN_HEADER_TIMEOUT", "ATTAIN_MAX_CONCURRENT_PER_SUBJECT", "ATTAIN_MAX_CONCURRENT_PER_ORG")


def test_help_lists_the_availability_settings(run_attaind):
    p = run_attaind(args=["--help"])
    assert p.returncode == 0, (p.returncode, p.stderr)
    for name in NEW_SETTINGS:
        assert name in p.stdout


def test_bad_availability_settings_stop_the_start(run_attaind):
    for name, value in (("ATTAIN_MAX_SMALL_BODY", "12"), ("ATTAIN_MAX_CONNECTIONS_PER_IP", "-1"),
                        ("ATTAIN_HEADER_TIMEOUT", "0"), ("ATTAIN_MAX_CONCURRENT_PER_SUBJECT", "x"),
                        ("ATTAIN_MAX_CONCURRENT_PER_ORG", "0"), ("ATTAIN_MAX_INFLIGHT_BODY_BYTES", "2048")):
        p = run_attaind(env={name: value})
        assert p.returncode == 2, (name, p.returncode, p.stderr)
        assert p.stderr.count("\n") == 1 and name in p.stderr, (name, p.stderr)


def test_a_role_that_may_not_call_gets_403_before_its_body(start_attaind, tokens, org):
    srv = start_attaind()
    s = raw_head(srv.port, post_head("/v1/deals/bulk", 16 << 20, tokens.token(org, ["rep"]), expect=True))
    problem_of(*read_answer(s), 403)
    s.close()
