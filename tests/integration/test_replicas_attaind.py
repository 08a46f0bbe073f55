"""Replicas of attaind (issue 15, item 3; DESIGN §2 "Scaling out"): two attaind on one database,
calls alternating between them as a load balancer would send them. Nothing a client holds from
one replica (an Idempotency-Key's answer, an ETag, a cursor) depends on which replica made it,
and both start together on an empty database (migrations applied once, under the advisory lock)."""

import secrets
import threading

import pytest

from conftest import pg_url, psql, with_dbname
from contract import ok, problem
from quota_support import uid


@pytest.fixture(scope="module")
def pair(start_attaind):
    """A fresh, empty database; two attaind launched at once on it, both migrating at start."""
    name = "attain_it_replicas_" + secrets.token_hex(4)
    psql(pg_url(), f"CREATE DATABASE {name}")
    url = with_dbname(pg_url(), name)
    env = {"DATABASE_URL": url, "ATTAIN_MIGRATE": "on"}
    a = start_attaind(env=env, wait=False)
    b = start_attaind(env=env, wait=False)
    try:
        a.wait_healthy()
        b.wait_healthy()
        yield {"a": a, "b": b, "url": url}
        assert a.stop() == 0, a.log.text()[-4000:]
        assert b.stop() == 0, b.log.text()[-4000:]
    finally:
        psql(pg_url(), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="module")
def apis(pair, tokens, org):
    """The same admin (one token) on replica a and on replica b."""
    token = tokens.token(org, ["admin"], sub="admin-" + org)
    return pair["a"].api(token), pair["b"].api(token)


def team_count(pair, org):
    return int(psql(pair["url"], f"SELECT count(*) FROM teams WHERE org_id = '{org}'"))


def test_both_start_together_on_an_empty_database(pair):
    expected = None
    for srv in (pair["a"], pair["b"]):
        r = srv.api().get("/readyz")
        assert r.status_code == 200, r.text
        m = r.json()["migrations"]
        assert m["applied"] == m["expected"]
        expected = m["expected"]
    # each migration applied once: one row per version, 1..expected, no gap and no repeat
    versions = [int(v) for v in psql(pair["url"], "SELECT version FROM schema_migrations ORDER BY version").split()]
    assert versions == list(range(1, expected + 1))
    # one replica applied them all while the other waited on the advisory lock, then found none left
    applied = []
    for srv in (pair["a"], pair["b"]):
        lines = [e.get("msg", "") for e in srv.log.entries() if "migration" in e.get("msg", "")]
        applied += [int(s.split()[1]) for s in lines if s.startswith("applied ")]
    assert applied == [expected], applied
    # the lock is released: nobody holds it once both are up
    assert psql(pair["url"], "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                             " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                             " AND classid = 0 AND objid = 7291003 AND objsubid = 1") == "0"


def test_an_idempotency_retry_on_the_other_replica_replays_the_first_answer(pair, apis, org):
    a, b = apis
    key = "replica-" + uid()
    body = {"name": "idem " + uid()}
    first = a.post("/v1/teams", json=body, headers={"Idempotency-Key": key})
    created = ok(first, 201)
    assert first.headers.get("Idempotent-Replayed") is None
    before = team_count(pair, org)
    again = b.post("/v1/teams", json=body, headers={"Idempotency-Key": key})
    assert ok(again, 201) == created
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["ETag"] == first.headers["ETag"]
    assert team_count(pair, org) == before
    # the same key with another body, on either replica, is refused
    problem(b.post("/v1/teams", json={"name": "other " + uid()}, headers={"Idempotency-Key": key}), 422)
    problem(a.post("/v1/teams", json={"name": "other " + uid()}, headers={"Idempotency-Key": key}), 422)
    assert team_count(pair, org) == before


def test_one_key_sent_to_both_replicas_at_once_writes_once(pair, apis, org):
    key = "replica-race-" + uid()
    body = {"name": "race " + uid()}
    before = team_count(pair, org)
    answers = [None, None]
    start = threading.Barrier(2)

    def send(i):
        start.wait()
        answers[i] = apis[i].post("/v1/teams", json=body, headers={"Idempotency-Key": key})

    threads = [threading.Thread(target=send, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # the second claim waits for the first's transaction, then replays its answer
    assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
    assert answers[0].json() == answers[1].json()
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in answers) == ["", "true"]
    assert team_count(pair, org) == before + 1


def test_etags_of_one_replica_are_honoured_by_the_other(apis):
    a, b = apis
    t = ok(a.post("/v1/teams", json={"name": "etag " + uid()}), 201)
    path = f"/v1/teams/{t['id']}"
    seen = a.get(path)
    etag = seen.headers["ETag"]
    assert b.get(path).headers["ETag"] == etag
    # a write on b with a's ETag succeeds; a's ETag is then stale on both replicas
    r = b.patch(path, json={"name": "renamed " + uid()}, headers={"If-Match": etag})
    fresh = r.headers["ETag"]
    assert ok(r)["version"] == t["version"] + 1 and fresh != etag
    problem(a.patch(path, json={"name": "stale"}, headers={"If-Match": etag}), 412)
    problem(b.patch(path, json={"name": "stale"}, headers={"If-Match": etag}), 412)
    assert a.get(path).headers["ETag"] == fresh
    # b's new ETag is good on a
    assert ok(a.patch(path, json={"name": "again " + uid()}, headers={"If-Match": fresh}))["version"] == \
        t["version"] + 2


def test_a_list_paged_on_one_replica_continues_on_the_other(apis):
    a, b = apis
    prefix = "pages-" + uid()
    created = [ok(a.post("/v1/teams", json={"name": f"{prefix}-{i}"}), 201)["id"] for i in range(9)]
    seen, cursor, turn = [], None, 0
    while True:
        params = {"q": prefix, "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = ok(apis[turn % 2].get("/v1/teams", params=params))
        seen += [t["id"] for t in page["items"]]
        cursor, turn = page["next_cursor"], turn + 1
        if cursor is None:
            break
        assert turn < 10, "pagination does not end"
    assert turn >= 5  # both replicas served pages
    assert seen == sorted(created, key=int)  # no gap, no repeat, the one order
    assert [t["id"] for t in ok(b.get("/v1/teams", params={"q": prefix, "limit": 1000}))["items"]] == seen
