"""
PostgreSQL crashes under a running attaind: 503 with Retry-After while it is
down, and service again within 2 s of it coming back. Marked `outage`, so
conftest.py runs it after every other test; the `postgres` fixture leaves the
cluster running whatever happens.
"""

import time

import pytest
import requests

from conftest import pg_url, psql
from contract import ok, problem


@pytest.mark.outage
def test_database_outage_and_recovery(admin, anon, postgres):
    ok(admin.get("/v1/org"))
    ok(admin.post("/v1/teams", json={"name": "before the outage"}), 201)
    ok(anon.get("/readyz"))
    # The test cluster runs with synchronous_commit=off: flush the WAL now
    # (a checkpoint writes it up to here), so the crash loses no committed row.
    psql(pg_url(), "CHECKPOINT")

    postgres.kill()

    r = admin.get("/v1/teams", timeout=15)
    problem(r, 503)
    assert int(r.headers["Retry-After"]) >= 0

    r = admin.get("/v1/org", timeout=15)
    problem(r, 503)
    assert r.headers["Retry-After"].strip().isdigit()

    r = anon.get("/readyz", timeout=15)
    problem(r, 503)
    assert r.headers["Retry-After"].strip().isdigit()

    # Liveness does not depend on the database.
    ok(anon.get("/healthz", timeout=5))

    postgres.start()
    deadline = time.monotonic() + 2.0
    last = None
    while True:
        try:
            last = admin.get("/v1/org", timeout=2)
            if last.status_code == 200:
                break
        except requests.RequestException as e:  # pragma: no cover - reported below
            last = e
        if time.monotonic() >= deadline:
            raise AssertionError(f"no successful /v1 call within 2 s of PostgreSQL's restart: "
                                 f"{getattr(last, 'status_code', last)}")
        time.sleep(0.1)

    # Everything works again, reads and writes.
    ok(admin.post("/v1/teams", json={"name": "after the outage"}), 201)
    ok(anon.get("/readyz"))
