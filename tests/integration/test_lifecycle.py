"""
attaind's process life: a fixed pool of HTTP worker threads (not a thread per
connection), and a graceful stop on SIGTERM that finishes the requests in
flight, refuses new connections and exits 0.
"""

import os
import signal
import socket
import threading

import requests

from conftest import psql
from test_pool import ORGS_LOCKS, hold_lock, release, wait_until


def thread_count(pid):
    return len(os.listdir(f"/proc/{pid}/task"))


def test_fixed_worker_pool_not_a_thread_per_connection(start_attaind, tokens, org):
    srv = start_attaind(env={"ATTAIN_THREADS": "3", "ATTAIN_DB_POOL": "3"})
    api = srv.api(tokens.token(org, ["admin"]))
    assert api.get("/v1/org").status_code == 200
    before = thread_count(srv.proc.pid)
    socks = []
    try:
        for _ in range(60):  # idle keep-alive connections
            s = socket.create_connection(("127.0.0.1", srv.port))
            socks.append(s)
        results = []

        def hit():
            results.append(requests.get(srv.base_url + "/healthz", timeout=10).status_code)

        workers = [threading.Thread(target=hit) for _ in range(30)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        assert results == [200] * 30
        assert thread_count(srv.proc.pid) == before
    finally:
        for s in socks:
            s.close()
    assert srv.stop() == 0


def test_sigterm_finishes_in_flight_requests(start_attaind, database, tokens, org):
    srv = start_attaind()
    api = srv.api(tokens.token(org, ["admin"]))
    assert api.get("/v1/org").status_code == 200
    locker = hold_lock(database, "LOCK TABLE orgs IN ACCESS EXCLUSIVE MODE;")
    done = {}
    try:
        wait_until("the lock is held", lambda: psql(database, ORGS_LOCKS.format(granted="true")) != "0")
        t = threading.Thread(target=lambda: done.update(r=api.get("/v1/org", timeout=60)))
        t.start()
        # the request is in flight: attaind's statement waits on the lock
        wait_until("the request waits on the lock", lambda: psql(database, ORGS_LOCKS.format(granted="false")) != "0")
        srv.proc.send_signal(signal.SIGTERM)

        # No new connections are taken while draining (once the signal is handled, the listener is closed).
        def refused():
            try:
                requests.get(srv.base_url + "/healthz", timeout=2)
                return False
            except requests.ConnectionError:
                return True

        wait_until("new connections are refused", refused)
        assert srv.proc.poll() is None, "attaind exited with a request in flight"
        assert "r" not in done, "the request finished while its statement waited on the lock"
    finally:
        release(locker)
    t.join(timeout=60)
    assert done["r"].status_code == 200, done["r"].text
    assert srv.proc.wait(timeout=20) == 0
