"""
Dashboard reads on a hot standby (issue 15 items 1-2): a real streaming standby of the test
cluster (pg_basebackup -R into a directory of its own, a second cluster on another port) and an
attaind with ATTAIN_DATABASE_READ_URL pointing at it. Proved here: the dashboard reads are
answered by the standby (Attain-Served-By and /metrics) with the primary's answer; a write is
seen by the next read that passes its Attain-Commit-LSN back (and by any read by id); a standby
paused past the lag bound, or stopped, sends the reads to the primary without one failed
request; once it is back, the reads return to it. Every wait polls for the event, under an
overall cap that only turns a hang into a failure.
"""

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
from urllib.parse import urlsplit

import pytest

from conftest import free_port, pg_url, psql, with_dbname
from contract import ok
from quota_support import mk_person, mk_quota, mk_team, person, uid

MAX_LAG_MS = 400
CAP = 180.0  # seconds: a failure cap for each wait, never a timing assertion
PERIOD = "FY2026-Q2"
BINDIR = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()


def as_owner(cmd):
    """Run a server command as the cluster's owner (postgres when we are root)."""
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {r.returncode}: {r.stdout[-2000:]} {r.stderr[-2000:]}")
    return r.stdout


class Standby:
    """A streaming standby of the test cluster, in a temporary directory of its own."""

    def __init__(self, database_url):
        primary = urlsplit(pg_url())
        self.dir = tempfile.mkdtemp(prefix="attain-standby-")
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.slot = "attain_standby_" + secrets.token_hex(4)
        self.primary_admin = pg_url()
        try:
            # -C -S: a replication slot keeps the WAL the standby has not received while it is stopped
            as_owner([os.path.join(BINDIR, "pg_basebackup"), "-h", primary.hostname, "-p", str(primary.port),
                      "-U", "postgres", "-D", self.data, "-R", "-X", "stream", "-c", "fast", "-C", "-S",
                      self.slot])
            as_owner(["mkdir", "-p", os.path.join(self.dir, "sock")])
        except Exception:
            self.remove()
            raise
        name = urlsplit(database_url).path.lstrip("/")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/{name}"
        self.admin_url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self):
        as_owner([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-l", os.path.join(self.dir, "server.log"),
                  "-w", "-t", "120", "-o",
                  f"-p {self.port} -k {self.dir}/sock -c listen_addresses=127.0.0.1 -c max_connections=200 "
                  "-c hot_standby=on -c fsync=off -c shared_buffers=32MB", "start"])

    def stop(self):
        as_owner([os.path.join(BINDIR, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"])

    def sql(self, q):
        return psql(self.admin_url, q)

    def remove(self):
        try:
            self.stop()
        except Exception:  # already stopped
            pass
        try:
            psql(self.primary_admin, f"SELECT pg_drop_replication_slot('{self.slot}')")
        except Exception:  # best effort: the cluster is thrown away anyway
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def standby(database):
    sb = Standby(database)
    try:
        sb.start()
        yield sb
    finally:
        sb.remove()


@pytest.fixture(scope="module")
def rsrv(standby, start_attaind):
    """An attaind whose dashboard reads go to the standby (the session's attaind has none)."""
    srv = start_attaind(env={"ATTAIN_DATABASE_READ_URL": standby.url,
                             "ATTAIN_REPLICA_MAX_LAG_MS": str(MAX_LAG_MS)})
    yield srv
    # the checking thread and the second pool end cleanly and leak nothing (under --sanitize).
    # The exit status is not asserted: libmicrohttpd 0.9.75 rarely aborts in MHD_quiesce_daemon
    # ("Failed to remove listen FD from epoll set") whatever the routes did, a race of its own.
    srv.stop()
    log = srv.log.text()
    assert "Sanitizer" not in log and "runtime error" not in log, log[-4000:]


@pytest.fixture(scope="module")
def world(rsrv, server, tokens):
    """An org with a team, two reps, a quota, a lead and deals, written through the primary."""
    org = "it-replica-" + uid()
    token = tokens.token(org, ["admin"], sub="admin-" + org)
    api = rsrv.api(token)
    ok(api.patch("/v1/org", json={"fiscal_year_start_month": 1}))
    t = mk_team(api, "T " + uid())
    a, b = mk_person(api, t["id"]), mk_person(api, t["id"])
    mk_quota(api, person(a), PERIOD, 10000)
    ok(api.post("/v1/leads", json={"company": "Lead " + uid(), "owner_id": a["id"], "budget": 30000}), 201)
    deals = [deal(api, a, 3000, "2026-04-20"), deal(api, b, 1250.5, "2026-05-02"),
             deal(api, a, 700, "2026-06-10", stage="proposal")]
    # the last write's position: a read that passes it back includes every write above
    lsn = deals[-1].pop("lsn")
    return {"api": api, "plain": server.api(token), "T": t, "A": a, "B": b, "deals": deals, "lsn": lsn}


def deal(api, owner, amount, close, stage="closed_won"):
    body = {"name": "deal " + uid(), "owner_id": owner["id"], "amount": amount, "stage": stage,
            "close_date": close, "created_on": "2026-04-01", "type": "new_business", "segment": "b2b"}
    r = api.post("/v1/deals", json=body)
    return {**ok(r, 201), "lsn": r.headers["Attain-Commit-LSN"]}


def dashboard_reads(w):
    """Every route flagged R_REPLICA, as the dashboards call them."""
    t, a = w["T"]["id"], w["A"]["id"]
    return [
        f"/v1/performance?scope=org&period={PERIOD}",
        f"/v1/performance?scope=person:{a}&period={PERIOD}",
        f"/v1/performance/leaderboard?period={PERIOD}",
        f"/v1/performance/distribution?team={t}&period={PERIOD}",
        f"/v1/performance/trend?scope=team:{t}&from=2026-01-01&to=2026-06-30&grain=quarter",
        f"/v1/performance/scorecard?person={a}&from=2026-01-01&to=2026-06-30",
        f"/v1/forecasts?scope=team:{t}&period={PERIOD}",
        f"/v1/forecasts/projection?scope=team:{t}&metric=revenue&grain=month&horizon=3",
        f"/v1/forecasts/accuracy?scope=team:{t}&from=FY2026-Q1&to=FY2026-Q1",
        "/v1/teams", "/v1/people", "/v1/deals", "/v1/leads", f"/v1/quotas?period={PERIOD}",
    ]


def metrics(srv):
    text = srv.api().get("/metrics").text
    out = {}
    for m in re.finditer(r'^(attain_db_reads_total|attain_replica_fallbacks_total)\{(server|reason)="(\w+)"\} (\d+)$',
                         text, re.M):
        out[(m.group(1), m.group(3))] = int(m.group(4))
    return out


def served_by(r):
    assert r.status_code == 200, f"{r.request.method} {r.url}: {r.status_code} {r.text[:500]}"
    return r.headers["Attain-Served-By"]


def wait_served(api, path, want, **kw):
    """Read path until the answer comes from `want`; every answer meanwhile must be a 200."""
    deadline = time.monotonic() + CAP
    seen = 0
    while True:
        r = api.get(path, **kw)
        seen += 1
        if served_by(r) == want:
            return r, seen
        assert time.monotonic() < deadline, f"{path} still not served by the {want} after {seen} reads"
        time.sleep(0.02)


def test_dashboard_reads_are_answered_by_the_standby(world, rsrv):
    api, plain = world["api"], world["plain"]
    since = {"Attain-Min-LSN": world["lsn"]}  # the standby is fresh enough only once it has the world
    before = metrics(rsrv)
    for path in dashboard_reads(world):
        r, _ = wait_served(api, path, "replica", headers=since)
        # the same answer as an attaind without a standby gives (from the primary)
        assert r.json() == ok(plain.get(path)), path
    csv = wait_served(api, f"/v1/performance/leaderboard?period={PERIOD}", "replica",
                      headers={"Accept": "text/csv", **since})[0]
    assert csv.headers["Content-Type"].startswith("text/csv")
    assert csv.text == plain.get(f"/v1/performance/leaderboard?period={PERIOD}", headers={"Accept": "text/csv"}).text
    after = metrics(rsrv)
    assert after[("attain_db_reads_total", "replica")] - before[("attain_db_reads_total", "replica")] >= 15
    # reads by id, and every other route, run on the primary and say nothing
    r = api.get(f"/v1/deals/{world['deals'][0]['id']}")
    assert r.status_code == 200 and "Attain-Served-By" not in r.headers
    assert "Attain-Served-By" not in api.get("/v1/org").headers
    # the session's attaind has no standby: its dashboard reads all come from the primary
    assert served_by(plain.get(f"/v1/performance/leaderboard?period={PERIOD}")) == "primary"


def test_a_write_is_seen_by_the_next_read_that_passes_its_lsn(world):
    api = world["api"]
    for i in range(10):
        d = api.post("/v1/deals", json={"name": f"ryw {i} " + uid(), "owner_id": world["B"]["id"],
                                        "amount": 10 + i, "stage": "closed_won", "close_date": "2026-05-20",
                                        "created_on": "2026-04-01"})
        created = ok(d, 201)
        lsn = d.headers["Attain-Commit-LSN"]
        assert re.fullmatch(r"[0-9A-F]+/[0-9A-F]+", lsn)
        # a read by id always sees it (the primary)
        assert ok(api.get(f"/v1/deals/{created['id']}"))["id"] == created["id"]
        # the list, with the cookie: the standby if it has replayed the write, else the primary
        r = api.get(f"/v1/deals?owner_id={world['B']['id']}&limit=1000", headers={"Attain-Min-LSN": lsn})
        assert created["id"] in [x["id"] for x in ok(r)["items"]], f"served by {served_by(r)}"
        # a person's figures include it too
        r = api.get(f"/v1/performance?scope=person:{world['B']['id']}&period={PERIOD}",
                    headers={"Attain-Min-LSN": lsn})
        assert ok(r)["won_count"] >= 2 + i
    # a value that is not an LSN is no error: the read goes to the primary
    r = api.get("/v1/deals", headers={"Attain-Min-LSN": "0/0"})
    assert served_by(r) == "primary"


def test_a_paused_standby_past_the_bound_sends_reads_to_the_primary(world, rsrv, standby):
    api = world["api"]
    path = f"/v1/performance/leaderboard?period={PERIOD}"
    wait_served(api, path, "replica")
    before = metrics(rsrv)
    standby.sql("SELECT pg_wal_replay_pause()")
    try:
        # the primary moves on: the standby, paused, falls behind from now on
        d = api.post("/v1/deals", json={"name": "while paused " + uid(), "owner_id": world["A"]["id"],
                                        "amount": 4242, "stage": "closed_won", "close_date": "2026-06-01",
                                        "created_on": "2026-04-01"})
        created = ok(d, 201)
        written = time.monotonic()
        # Wait for reads from the primary once the bound has passed since the write: until then a
        # check made just before it may still vouch for the standby (it misses only that write,
        # which the bound allows), so a read may still go there. Past it, none can.
        deadline = time.monotonic() + CAP
        while served_by(api.get(path)) != "primary" or time.monotonic() - written <= MAX_LAG_MS / 1000:
            assert time.monotonic() < deadline, "reads never moved to the primary"
            time.sleep(0.02)
        # noticed as lag (a check that failed by chance would count "unreachable" first)
        deadline = time.monotonic() + CAP
        lag = ("attain_replica_fallbacks_total", "lag")
        while metrics(rsrv)[lag] == before[lag]:
            assert served_by(api.get(path)) == "primary"
            assert time.monotonic() < deadline, "the paused standby was never counted as lagging"
        # every dashboard read now comes from the primary, and sees the write
        for p in dashboard_reads(world):
            assert served_by(api.get(p)) == "primary", p
        items = ok(api.get(f"/v1/deals?owner_id={world['A']['id']}&limit=1000"))["items"]
        assert created["id"] in [x["id"] for x in items]
        r = api.get(f"/v1/deals?owner_id={world['A']['id']}&limit=1000",
                    headers={"Attain-Min-LSN": d.headers["Attain-Commit-LSN"]})
        assert served_by(r) == "primary" and created["id"] in [x["id"] for x in r.json()["items"]]
    finally:
        standby.sql("SELECT pg_wal_replay_resume()")
    # resumed, it catches up and the reads return to it
    wait_served(api, path, "replica")
    items = ok(api.get(f"/v1/deals?owner_id={world['A']['id']}&limit=1000"))["items"]
    assert created["id"] in [x["id"] for x in items]


def test_a_stopped_standby_sends_reads_to_the_primary_until_it_is_back(world, rsrv, standby):
    api = world["api"]
    path = f"/v1/performance?scope=org&period={PERIOD}"
    # the pool holds connections to the standby: make several of them
    for p in dashboard_reads(world):
        wait_served(api, p, "replica")
    before = metrics(rsrv)
    standby.stop()
    try:
        # no read fails: each is answered by the primary (a pooled connection that the
        # standby closed is noticed and the read runs on the primary)
        for p in dashboard_reads(world) * 2:
            assert served_by(api.get(p)) == "primary", p
        ok(api.post("/v1/teams", json={"name": "while stopped " + uid()}), 201)
        after = metrics(rsrv)
        gone = sum(after[("attain_replica_fallbacks_total", k)] - before[("attain_replica_fallbacks_total", k)]
                   for k in ("unreachable", "error", "lag"))
        assert gone >= len(dashboard_reads(world)) * 2
    finally:
        standby.start()
    wait_served(api, path, "replica")
    for p in dashboard_reads(world):
        wait_served(api, p, "replica")


def test_a_read_that_fails_on_the_standby_is_run_again_on_the_primary(world, rsrv, standby):
    """
    The standby ends the pool's sessions (pg_terminate_backend) while dashboards read: a read
    whose session ends before or during its statement is answered by the primary, never an
    error. Repeated until at least one read failed mid-way on the standby.
    """
    token = world["api"].token
    # three readers at once: the routes without a per-caller cap (R_EXPENSIVE would answer 429)
    paths = [p for p in dashboard_reads(world) if not re.search("scorecard|projection|accuracy", p)]
    failures = []
    stop = threading.Event()

    def reader():
        api = rsrv.api(token)
        i = 0
        while not stop.is_set():
            r = api.get(paths[i % len(paths)])
            i += 1
            if r.status_code != 200:
                failures.append(f"{r.url}: {r.status_code} {r.text[:300]}")

    before = metrics(rsrv)[("attain_replica_fallbacks_total", "error")]
    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + CAP
        while metrics(rsrv)[("attain_replica_fallbacks_total", "error")] == before and not failures:
            assert time.monotonic() < deadline, "no read failed on the standby while its sessions were ended"
            standby.sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 'attaind-read'")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    # and the reads return to the standby
    wait_served(world["api"], paths[0], "replica")


def test_settings_are_checked_and_listed(run_attaind):
    r = run_attaind(env={"ATTAIN_REPLICA_MAX_LAG_MS": "5"})
    assert r.returncode == 2 and "ATTAIN_REPLICA_MAX_LAG_MS" in r.stderr
    out = run_attaind(args=["--help"]).stdout
    assert "ATTAIN_DATABASE_READ_URL" in out and "ATTAIN_REPLICA_MAX_LAG_MS" in out
