#!/usr/bin/env python3
"""
bench/availability.py — the availability attacks of issue 13 against a live
attaind on loopback, each for a bounded time, printing attaind's RSS and the
latency of /healthz probes (new connections from 127.0.0.1) during each:

  uploads    N concurrent 32 MiB POST /v1/deals/bulk, anonymous or with a
             valid token, each sent as fast as the server takes it
  slowloris  N half-open requests from 127.0.0.2, one header byte every
             20 s, held past the 60 s idle timeout

  bench/availability.py [--uploads 1000] [--slow 1100] [--slow-seconds 70] [--build build-bench]
                        [--only uploads,slowloris,stall]

Starts its own PostgreSQL cluster (scripts/pg) and a release attaind with
the default settings and ATTAIN_THREADS=4; stops both whatever happens.
"""

import argparse
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

BODY_MB = 32
CHUNK = b"[" + b" " * ((1 << 20) - 1)


def rss_kb(pid):
    vals = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                vals[k] = int(v.split()[0])
    return vals


def upload(port, token, results, lock):
    s = socket.socket()
    s.settimeout(120)
    try:
        s.connect(("127.0.0.1", port))
        head = (f"POST /v1/deals/bulk HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {BODY_MB << 20}\r\n")
        if token:
            head += f"Authorization: Bearer {token}\r\n"
        s.sendall((head + "\r\n").encode())
        status = "closed"
        try:
            for _ in range(BODY_MB):
                s.sendall(CHUNK)
        except OSError:
            pass  # answered early and closed: the rest of the body is not wanted
        try:
            data = s.recv(256)
            if data.startswith(b"HTTP/1.1 "):
                status = data[9:12].decode()
        except OSError:
            pass
    except OSError as e:
        status = type(e).__name__
    finally:
        s.close()
    with lock:
        results[status] = results.get(status, 0) + 1


def slowloris(port, drip, stop, opened, lock):
    s = socket.socket()
    s.settimeout(5)
    try:
        s.bind(("127.0.0.2", 0))
        s.connect(("127.0.0.1", port))
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        with lock:
            opened["open"] += 1
        while not stop.wait(drip):
            s.sendall(b"a")
        with lock:
            opened["held"] += 1
    except OSError:
        with lock:
            opened["dropped"] += 1
    finally:
        s.close()


def probe(port):
    t0 = time.monotonic()
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        ok = s.recv(64).startswith(b"HTTP/1.1 200")
        s.close()
    except OSError:
        ok = False
    return ok, (time.monotonic() - t0) * 1000.0


def attack(kind, port, pid, count, seconds, drip=20.0, token=""):
    threading.stack_size(256 << 10)
    lock = threading.Lock()
    stop = threading.Event()
    results = {}
    opened = {"open": 0, "held": 0, "dropped": 0}
    before = rss_kb(pid)
    workers = []
    for _ in range(count):
        if kind == "uploads":
            t = threading.Thread(target=upload, args=(port, token, results, lock), daemon=True)
        else:
            t = threading.Thread(target=slowloris, args=(port, drip, stop, opened, lock), daemon=True)
        t.start()
        workers.append(t)

    lat, fails, peak = [], 0, 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        peak = max(peak, rss_kb(pid)["VmRSS"])
        ok, ms = probe(port)
        lat.append(ms)
        fails += not ok
        if kind == "uploads" and not any(t.is_alive() for t in workers):
            break
        time.sleep(0.2)
    stop.set()
    for t in workers:
        t.join(timeout=30)
    after = rss_kb(pid)
    lat.sort()
    what = f"{count} {'authenticated' if token else 'anonymous'} 32 MiB uploads" if kind == "uploads" \
        else f"{count} slowloris connections from 127.0.0.2 (a byte every {drip:g} s, {seconds:g} s)"
    print(f"attack: {what}")
    print(f"  RSS before {before['VmRSS'] / 1024:.0f} MB, peak sampled {peak / 1024:.0f} MB, "
          f"VmHWM so far {after['VmHWM'] / 1024:.0f} MB, after {after['VmRSS'] / 1024:.0f} MB")
    print(f"  /healthz from 127.0.0.1: {len(lat)} probes, {fails} failed, "
          f"p50 {statistics.median(lat):.1f} ms, max {lat[-1]:.1f} ms")
    if kind == "uploads":
        print(f"  answers to the uploads: {dict(sorted(results.items()))}")
    else:
        print(f"  attack connections: {opened['open']} opened, {opened['held']} still open at the end, "
              f"{opened['dropped']} dropped by the server")
    sys.stdout.flush()


def get(port, token, path, keep=None):
    """GET path with a bearer token; (status, ms). `keep`: a kept-alive http.client connection."""
    import http.client
    t0 = time.monotonic()
    c = keep or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        c.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        r = c.getresponse()
        r.read()
        status = r.status
    except OSError:
        status = 0
    if keep is None:
        c.close()
    return status, (time.monotonic() - t0) * 1000.0


def stall(port, tokens, person, seconds=20):
    """Issue 13 item 3: a rep's 24 and an exec's 16 concurrent quota-suggestion calls (expensive
    routes), again and again for `seconds`, while an admin reads /v1/org on a kept-alive connection
    and /healthz is probed on new connections."""
    path = f"/v1/quota-suggestions?assignee=person:{person}&period=FY2027&metric=revenue"
    stop = threading.Event()
    lock = threading.Lock()
    answers = {}

    def caller(token):
        while not stop.is_set():
            st, _ = get(port, token, path)
            with lock:
                answers[st] = answers.get(st, 0) + 1

    workers = [threading.Thread(target=caller, args=(tokens["rep"],), daemon=True) for _ in range(24)]
    workers += [threading.Thread(target=caller, args=(tokens["exec"],), daemon=True) for _ in range(16)]
    for t in workers:
        t.start()
    import http.client
    keep = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    probes, admin, fails = [], [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ok, ms = probe(port)
        probes.append(ms)
        fails += not ok
        st, ms = get(port, tokens["admin"], "/v1/org", keep)
        admin.append(ms)
        fails += st != 200
        time.sleep(0.1)
    stop.set()
    for t in workers:
        t.join(timeout=60)
    keep.close()
    probes.sort()
    admin.sort()
    print("attack: a rep's 24 and an exec's 16 concurrent GET /v1/quota-suggestions, repeated, "
          f"{seconds:g} s")
    print(f"  /healthz (new connections): {len(probes)} probes, p50 {statistics.median(probes):.1f} ms, "
          f"max {probes[-1]:.1f} ms; an admin's GET /v1/org (kept alive): p50 {statistics.median(admin):.1f} ms, "
          f"max {admin[-1]:.1f} ms; {fails} failed")
    print(f"  answers to the expensive calls: {dict(sorted(answers.items()))}")
    sys.stdout.flush()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description="availability attacks against a live attaind")
    ap.add_argument("--uploads", type=int, default=1000)
    ap.add_argument("--slow", type=int, default=1100)
    ap.add_argument("--slow-seconds", type=float, default=70)
    ap.add_argument("--build", default="build-bench")
    ap.add_argument("--only", default="uploads,slowloris,stall", help="which attacks, comma-separated")
    a = ap.parse_args()
    os.chdir(ROOT)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))  # also attaind's (inherited)

    if not os.path.exists(os.path.join(a.build, "build.ninja")):
        subprocess.run(["meson", "setup", a.build, "-Dbuildtype=release"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", a.build], check=True, stdout=subprocess.DEVNULL)
    bindir = os.path.abspath(a.build)
    pgdir = tempfile.mkdtemp(prefix="attain-bench-pg.")
    log = tempfile.NamedTemporaryFile(prefix="attain-bench-attaind.", suffix=".log", delete=False)
    proc = None
    try:
        pgport = free_port()
        subprocess.run(["scripts/pg", "start", pgdir, str(pgport)], check=True)
        db_url = subprocess.run(["scripts/pg", "url", pgdir, str(pgport)], check=True, capture_output=True,
                                text=True).stdout.strip()
        port = free_port()
        secret = os.urandom(32).hex()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ATTAIN_")}
        env.update({"DATABASE_URL": db_url, "ATTAIN_JWT_HS256_SECRET": secret, "ATTAIN_LISTEN": f"127.0.0.1:{port}",
                    "ATTAIN_THREADS": "4", "ATTAIN_LOG_LEVEL": "warn"})
        token = subprocess.run([f"{bindir}/attainctl", "token", "--sub", "bench", "--org", "bench", "--roles",
                                "service", "--ttl", "86400"], env=env, check=True, capture_output=True,
                               text=True).stdout.strip()
        proc = subprocess.Popen([f"{bindir}/attaind"], env=env, stdout=log, stderr=log)
        for _ in range(100):
            if probe(port)[0]:
                break
            if proc.poll() is not None:
                sys.exit(f"availability.py: attaind exited; see {log.name}")
            time.sleep(0.1)
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        print(f"attaind {rev} ({a.build}/), default settings, ATTAIN_THREADS=4; {os.cpu_count()} CPUs")
        only = set(a.only.split(","))
        if "uploads" in only:
            attack("uploads", port, proc.pid, 20, 60)
            attack("uploads", port, proc.pid, a.uploads, 120)
            attack("uploads", port, proc.pid, 20, 60, token=token)
        if "slowloris" in only:
            attack("slowloris", port, proc.pid, a.slow, a.slow_seconds)
        if "stall" not in only:
            return
        subprocess.run([f"{bindir}/attainctl", "seed", "--org", "bench", "--teams", "10", "--people", "100",
                        "--deals", "20000"], env=env, check=True, stdout=subprocess.DEVNULL)
        person = subprocess.run(["psql", "-X", "-At", db_url, "-c",
                                 "SELECT max(id) FROM people WHERE org_id = 'bench'"],
                                check=True, capture_output=True, text=True).stdout.strip()
        tok = {}
        for role, extra in (("rep", ["--person", person]), ("exec", []), ("admin", [])):
            tok[role] = subprocess.run([f"{bindir}/attainctl", "token", "--sub", f"bench-{role}", "--org", "bench",
                                        "--roles", role, "--ttl", "86400", *extra], env=env, check=True,
                                       capture_output=True, text=True).stdout.strip()
        stall(port, tok, person)
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        subprocess.run(["scripts/pg", "stop", pgdir])
        shutil.rmtree(pgdir, ignore_errors=True)


if __name__ == "__main__":
    main()
