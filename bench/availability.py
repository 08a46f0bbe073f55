#!/usr/bin/env python3
"""
bench/availability.py — run one attack against a live attaind on loopback for
a bounded time and print the process's RSS and /healthz latency during it.
Called by bench/availability.sh (which starts PostgreSQL and attaind).

  uploads    N concurrent 32 MiB POST /v1/deals/bulk (anonymous, or with
             --token), each sent as fast as the server takes it
  slowloris  N half-open requests from 127.0.0.2, one header byte every
             --drip seconds, held for --seconds
"""

import argparse
import resource
import socket
import statistics
import threading
import time

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("attack", choices=("uploads", "slowloris"))
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--drip", type=float, default=20)
    ap.add_argument("--token", default="")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, a.count + 256)), hard))
    threading.stack_size(256 << 10)
    lock = threading.Lock()
    stop = threading.Event()
    results = {}
    opened = {"open": 0, "held": 0, "dropped": 0}
    before = rss_kb(a.pid)
    workers = []
    for _ in range(a.count):
        if a.attack == "uploads":
            t = threading.Thread(target=upload, args=(a.port, a.token, results, lock), daemon=True)
        else:
            t = threading.Thread(target=slowloris, args=(a.port, a.drip, stop, opened, lock), daemon=True)
        t.start()
        workers.append(t)

    lat, fails, peak = [], 0, 0
    deadline = time.monotonic() + a.seconds
    while time.monotonic() < deadline:
        peak = max(peak, rss_kb(a.pid)["VmRSS"])
        ok, ms = probe(a.port)
        lat.append(ms)
        fails += not ok
        if a.attack == "uploads" and not any(t.is_alive() for t in workers):
            break
        time.sleep(0.2)
    stop.set()
    for t in workers:
        t.join(timeout=30)
    after = rss_kb(a.pid)
    lat.sort()
    what = f"{a.count} {'authenticated' if a.token else 'anonymous'} 32 MiB uploads" if a.attack == "uploads" \
        else f"{a.count} slowloris connections from 127.0.0.2 (a byte every {a.drip:g} s, {a.seconds:g} s)"
    print(f"attack: {what}")
    print(f"  RSS before {before['VmRSS'] / 1024:.0f} MB, peak sampled {peak / 1024:.0f} MB, "
          f"VmHWM {after['VmHWM'] / 1024:.0f} MB, after {after['VmRSS'] / 1024:.0f} MB")
    print(f"  /healthz from 127.0.0.1: {len(lat)} probes, {fails} failed, "
          f"p50 {statistics.median(lat):.1f} ms, max {lat[-1]:.1f} ms")
    if a.attack == "uploads":
        print(f"  answers to the uploads: {dict(sorted(results.items()))}")
    else:
        print(f"  attack connections: {opened['open']} opened, {opened['held']} still open at the end, "
              f"{opened['dropped']} dropped by the server")


if __name__ == "__main__":
    main()
