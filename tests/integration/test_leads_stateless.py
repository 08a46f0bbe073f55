"""POST /v1/leads/score writes nothing and opens no transaction (R_NOTX in api/routes.c).

The proof is PostgreSQL's own statement log: an extra attaind connects as a role of its own
whose sessions log every statement (ALTER ROLE ... SET log_statement = 'all'), so the cluster's
log holds exactly what that attaind sent. A backend writes its log line before it runs the
statement, so once an answer is in, its statements are in the log: no waiting on anything."""

import os
import re
import uuid

import pytest

from conftest import pg_url, psql
from contract import ok

STATEMENT = re.compile(r"LOG:\s+(?:statement|execute [^:]*):\s*(.*)")


def statements(text):
    return [m.group(1).strip() for m in STATEMENT.finditer(text)]


@pytest.fixture
def logged_attaind(server, start_attaind, database):
    """
    (server, log path): an extra attaind whose every SQL statement PostgreSQL logs. The
    session's attaind (`server`) has migrated the database; this one does not.
    """
    pgdir = os.environ.get("ATTAIN_TEST_PG_DIR")
    if not pgdir:
        pytest.fail("ATTAIN_TEST_PG_DIR must be set", pytrace=False)
    log = os.path.join(pgdir, "server.log")
    role = "notx_" + uuid.uuid4().hex[:10]
    psql(pg_url(), f"CREATE ROLE {role} LOGIN SUPERUSER")
    psql(pg_url(), f"ALTER ROLE {role} SET log_statement = 'all'")
    url = database.replace("://postgres@", f"://{role}@", 1)
    assert url != database
    srv = start_attaind(env={"DATABASE_URL": url, "ATTAIN_MIGRATE": "off"})
    try:
        yield srv, log
    finally:
        srv.stop()
        psql(pg_url(), f"DROP ROLE IF EXISTS {role}")


def test_scoring_opens_no_transaction(logged_attaind, tokens):
    srv, log = logged_attaind
    org = "it-notx-" + uuid.uuid4().hex[:10]
    api = srv.api(tokens.token(org, ["admin"], sub="admin-" + org))
    # the org comes into being (and its models are seeded) before we look
    ok(api.get("/v1/leads"))
    ok(api.get("/v1/lead-scoring/models/b2c"))
    start = os.path.getsize(log)
    for i in range(5):
        body = ok(api.post("/v1/leads/score", json={"segment": "b2c", "engagement": 20 * i},
                           headers={"Idempotency-Key": f"k-{i}"}))
        assert body["segment"] == "b2c"
    scored = os.path.getsize(log)
    # the control: a write through the same attaind does open one
    ok(api.post("/v1/leads", json={"segment": "b2c", "company": "control"}), 201)
    with open(log, "rb") as f:
        f.seek(start)
        raw = f.read()
    during = statements(raw[:scored - start].decode("utf-8", "replace"))
    after = statements(raw[scored - start:].decode("utf-8", "replace"))
    # logging works for this attaind's sessions: the reads of the scoring are there
    assert sum("lead_scoring_models" in s for s in during) >= 5, during
    # and none of them ran in a transaction block, nor claimed the Idempotency-Key
    assert not [s for s in during if re.match(r"(?i)(BEGIN|COMMIT|ROLLBACK|SAVEPOINT)\b", s)], during
    assert not [s for s in during if "idempotency" in s.lower()], during
    assert "BEGIN" in after and "COMMIT" in after, after
