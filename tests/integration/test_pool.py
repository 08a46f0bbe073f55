"""
The PostgreSQL side of attaind: a bounded pool (503 + Retry-After when no
connection frees up in time), reconnects after the server dropped its
connections (statements re-prepared), migrations under an advisory lock
(several attaind on one empty database all come up), attainctl migrate.
"""

import os
import secrets
import subprocess
import threading
import time

import pytest

from conftest import ATTAINCTL, pg_url, psql, with_dbname


def hold_lock(url, sql):
    """A psql session that runs `sql` inside an open transaction until closed."""
    proc = subprocess.Popen(["psql", "-q", "-v", "ON_ERROR_STOP=1", url],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    proc.stdin.write("BEGIN;\n" + sql + "\n\\echo locked\n")
    proc.stdin.flush()
    return proc


def release(proc):
    proc.stdin.write("ROLLBACK;\n\\q\n")
    proc.stdin.flush()
    proc.wait(timeout=10)


# Locks on the orgs table: granted (held by the locker) or not (a statement waiting behind it).
ORGS_LOCKS = ("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
              " WHERE c.relname = 'orgs' AND l.granted = {granted}")


def wait_until(what, ready, cap=60):
    """Poll until ready() holds; the cap only turns a hang into a failure."""
    deadline = time.monotonic() + cap
    while not ready():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.05)


def test_pool_exhausted_answers_503_with_retry_after(start_attaind, database, tokens, org):
    srv = start_attaind(env={"ATTAIN_DB_POOL": "1", "ATTAIN_DB_POOL_WAIT_MS": "300",
                             "ATTAIN_THREADS": "4"})
    api = srv.api(tokens.token(org, ["admin"]))
    assert api.get("/v1/org").status_code == 200  # the org exists and is cached
    locker = hold_lock(database, "LOCK TABLE orgs IN ACCESS EXCLUSIVE MODE;")
    slow = {}
    try:
        wait_until("the lock is held", lambda: psql(database, ORGS_LOCKS.format(granted="true")) != "0")
        t = threading.Thread(target=lambda: slow.update(r=api.get("/v1/org", timeout=60)))
        t.start()
        # the slow request holds the only connection: its statement waits on the lock
        wait_until("the request waits on the lock", lambda: psql(database, ORGS_LOCKS.format(granted="false")) != "0")
        started = time.monotonic()
        r = api.get("/v1/teams")
        waited = time.monotonic() - started
        assert r.status_code == 503, r.text
        assert r.headers.get("Retry-After") == "1"
        assert r.headers["Content-Type"].startswith("application/problem+json")
        assert waited >= 0.25, waited  # it waited for a connection (300 ms) before giving up
        assert "r" not in slow
    finally:
        release(locker)
    t.join(timeout=30)
    assert slow["r"].status_code == 200
    assert api.get("/v1/teams").status_code == 200
    metrics = srv.api().get("/metrics").text
    assert "attain_db_pool_waiting 0" in metrics


def test_reconnects_after_backends_are_terminated(start_attaind, database, tokens, org):
    srv = start_attaind(env={"ATTAIN_DB_POOL": "2", "ATTAIN_THREADS": "2"})
    api = srv.api(tokens.token(org, ["admin"]))
    for _ in range(4):
        assert api.get("/v1/teams").status_code == 200
    dbname = database.rsplit("/", 1)[1]
    psql(pg_url(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                   f"WHERE application_name = 'attaind' AND datname = '{dbname}' "
                   f"AND pid <> pg_backend_pid()")
    time.sleep(0.2)
    # The dropped connections are noticed before use: no request fails, and
    # the prepared statements are prepared again on the new connections.
    for _ in range(6):
        r = api.get("/v1/teams")
        assert r.status_code == 200, r.text


def test_two_attaind_migrate_one_empty_database_at_once(start_attaind, tokens, org):
    name = "attain_it_empty_" + secrets.token_hex(4)
    psql(pg_url(), f"CREATE DATABASE {name}")
    url = with_dbname(pg_url(), name)
    try:
        a = start_attaind(env={"DATABASE_URL": url}, wait=False)
        b = start_attaind(env={"DATABASE_URL": url}, wait=False)
        a.wait_healthy()
        b.wait_healthy()
        for srv in (a, b):
            r = srv.api().get("/readyz")
            assert r.status_code == 200, r.text
            assert r.json()["migrations"]["applied"] == r.json()["migrations"]["expected"]
            assert srv.api(tokens.token(org, ["admin"])).get("/v1/org").status_code == 200
        assert a.stop() == 0
        assert b.stop() == 0
    finally:
        psql(pg_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_attainctl_migrate_by_hand_then_attaind_without_migrations(start_attaind):
    name = "attain_it_ctl_" + secrets.token_hex(4)
    psql(pg_url(), f"CREATE DATABASE {name}")
    url = with_dbname(pg_url(), name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ATTAIN_")}
    env["DATABASE_URL"] = url
    try:
        # Before migrating, an attaind that may not migrate is not ready.
        srv = start_attaind(env={"DATABASE_URL": url, "ATTAIN_MIGRATE": "off"})
        r = srv.api().get("/readyz")
        assert r.status_code == 503
        first = subprocess.run([ATTAINCTL, "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        again = subprocess.run([ATTAINCTL, "migrate"], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0 and "applied 0" in again.stdout
        assert srv.api().get("/readyz").status_code == 200
        assert srv.stop() == 0
    finally:
        psql(pg_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
