#!/usr/bin/python3
"""bench/people_get.py — helpers for bench/people_get.sh (standard library only).

  free-port                      print a free TCP port on 127.0.0.1
  extract-sql BINARY             print the SQL of stmt_person_get as compiled into attaind
  pgbench-sql SQL_FILE           turn that SQL into the SELECT of the pgbench script
  wrk OUTPUT                     print "req/s p50_ms p99_ms"; fail on errors or non-2xx answers
  pgbench OUTPUT LOG_PREFIX C    print "tps p50_ms p99_ms raw_p50_ms raw_p99_ms" from the per-transaction
                                 log of C clients; p50/p99 corrected the way wrk corrects its own
  cpu-snap PID...                print "machine_total ours others" in clock ticks: ours = CPU time of
                                 the process trees rooted at PID..., others = every other process
  cpu-other BEFORE AFTER         print the % of the machine's CPU used by other processes in between
  slow METRICS                   from attaind's /metrics: "answers >100ms >1s" of GET /v1/people/{id}
  report RESULTS.tsv             print the per-run values and the table of medians

Every command exits non-zero with a message on stderr when its input is not what it expects.
"""
import glob
import os
import re
import socket
import statistics
import sys


def die(msg):
    print(f"people_get.py: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


# The statement is one C string literal (PERSON_JSON pasted into DB_STMT), so the
# binary holds it verbatim, NUL-terminated: the exact text attaind prepares.
PERSON_GET = re.compile(
    rb"SELECT json_build_object\('id', p\.id::text[^\x00]*? FROM people p WHERE p\.org_id = \$1 AND p\.id = \$2\x00"
)


def extract_sql(binary):
    with open(binary, "rb") as f:
        data = f.read()
    found = {m.group(0)[:-1] for m in PERSON_GET.finditer(data)}
    if len(found) != 1:
        die(f"{binary}: expected exactly one stmt_person_get SQL string, found {len(found)} "
            "(did internal/org/store.c change? update PERSON_GET in bench/people_get.py)")
    print(found.pop().decode())


def pgbench_sql(path):
    with open(path) as f:
        sql = f.read().strip()
    # pgbench (-M prepared) turns every `:name` into a parameter, even inside a
    # string literal, so the to_char format 'HH24:MI:SS' would become two
    # undefined variables. `":"` is the same output in a to_char format (quoted
    # literal text), with no colon followed by a name.
    sql = sql.replace("HH24:MI:SS", 'HH24":"MI":"SS')
    sql = sql.replace("$1", ":org").replace("$2", ":id")
    left = sorted(set(re.findall(r"(?<!:):[A-Za-z_]\w*", sql)) - {":org", ":id"})
    if left or "$" in sql:
        die(f"{path}: the SQL still holds pgbench variables or parameters {left}; adapt pgbench_sql()")
    print(sql + ";")


UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}


def to_ms(text):
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not m:
        die(f"cannot read the latency {text!r}")
    return float(m.group(1)) * UNIT[m.group(2)]


def parse_wrk(path):
    out = open(path).read()
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    total = re.search(r"^\s+(\d+) requests in ", out, re.M)
    if not (rps and p50 and p99 and total):
        die(f"{path}: not the output of wrk --latency:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx and int(non2xx.group(1)) > 0:
        die(f"{path}: {non2xx.group(1)} of {total.group(1)} answers were not 2xx/3xx:\n{out}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock and any(int(x) for x in sock.groups()):
        die(f"{path}: socket errors:\n{out}")
    if int(total.group(1)) == 0:
        die(f"{path}: no request completed:\n{out}")
    print(f"{float(rps.group(1)):.1f}\t{to_ms(p50.group(1)):.3f}\t{to_ms(p99.group(1)):.3f}")


def percentile(hist, count, q):
    """wrk's stats_percentile(): hist[i] = number of samples of i microseconds."""
    rank = int(q / 100 * count + 1)  # round(q/100 * count + 0.5)
    total = 0
    for value, n in enumerate(hist):
        total += n
        if n and total >= rank:
            return value
    return len(hist) - 1


def correct(hist, count, expected):
    """wrk's stats_correct() (coordinated omission): a sample n >= 2 * expected also
    counts as n - expected, n - 2 * expected, ... while above expected."""
    for n in range(2 * expected, len(hist)):
        c = hist[n]
        m = n - expected
        while c and m > expected:
            hist[m] += c
            count += c
            m -= expected
    return count


def parse_pgbench(path, prefix, clients):
    out = open(path).read()
    tps = re.search(r"^tps = ([\d.]+) \(without initial connection time\)", out, re.M)
    done = re.search(r"^number of transactions actually processed: (\d+)", out, re.M)
    secs = re.search(r"^duration: (\d+) s", out, re.M)
    if not (tps and done and secs):
        die(f"{path}: not the output of pgbench -T:\n{out}")
    failed = re.search(r"^number of failed transactions: (\d+)", out, re.M)
    if failed and int(failed.group(1)) > 0:
        die(f"{path}: {failed.group(1)} failed transactions:\n{out}")
    if "aborted" in out:
        die(f"{path}: pgbench clients aborted:\n{out}")
    lat = []
    for name in sorted(glob.glob(prefix + ".*")):
        with open(name) as f:
            for line in f:
                cols = line.split()
                if len(cols) < 3 or not cols[2].isdigit():
                    die(f"{name}: unexpected log line {line!r}")
                lat.append(int(cols[2]))
    if not lat:
        die(f"{prefix}.*: no per-transaction log")
    if len(lat) != int(done.group(1)):
        die(f"{prefix}.*: {len(lat)} logged transactions, pgbench reports {done.group(1)}")
    hist = [0] * (max(lat) + 1)
    for v in lat:
        hist[v] += 1
    count = len(lat)
    raw50, raw99 = percentile(hist, count, 50), percentile(hist, count, 99)
    # wrk corrects its histogram with the mean interval between two requests of one
    # connection (runtime / (requests / connections)): do the same here.
    count = correct(hist, count, int(secs.group(1)) * 1000000 // max(1, len(lat) // int(clients)))
    p50, p99 = percentile(hist, count, 50), percentile(hist, count, 99)
    print(f"{float(tps.group(1)):.1f}\t{p50 / 1000:.3f}\t{p99 / 1000:.3f}\t{raw50 / 1000:.3f}\t{raw99 / 1000:.3f}")


def cpu_snap(*roots):
    with open("/proc/stat") as f:
        total = sum(int(x) for x in f.readline().split()[1:9])
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        rest = st[st.rindex(")") + 2:].split()
        # ppid; utime + stime + cutime + cstime: a child that exits is added to its
        # parent's cutime/cstime, so the sum over live processes loses nothing.
        procs[int(d)] = (int(rest[1]), sum(int(x) for x in rest[11:15]))
    children = {}
    for pid, (ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    ours, todo = set(), [int(r) for r in roots if int(r) in procs]
    while todo:
        pid = todo.pop()
        if pid not in ours:
            ours.add(pid)
            todo.extend(children.get(pid, []))
    # kernel threads (kthreadd = 2 and its children) are left out: they mostly do
    # our network and memory work.
    others = sum(t for pid, (ppid, t) in procs.items() if pid not in ours and pid != 2 and ppid != 2)
    print(total, sum(procs[pid][1] for pid in ours), others)


def cpu_other(before, after):
    b, a = [int(x) for x in before.split()], [int(x) for x in after.split()]
    total, others = a[0] - b[0], a[2] - b[2]
    print(f"{max(0.0, 100.0 * others / total) if total > 0 else 0.0:.1f}")


def slow(path):
    """From attaind's /metrics: GET /v1/people/{person_id} answers, and how many
    took longer than 100 ms and 1 s inside attaind (from dispatch to answer)."""
    buckets, count = {}, None
    pat = re.compile(r'^attain_http_request_duration_seconds_(bucket|count)\{route="/v1/people/\{person_id\}",'
                     r'method="GET"(?:,le="([^"]+)")?\} (\d+)')
    for line in open(path):
        m = pat.match(line)
        if m and m.group(1) == "bucket":
            buckets[m.group(2)] = int(m.group(3))
        elif m:
            count = int(m.group(3))
    if count is None or "0.1" not in buckets or "1" not in buckets:
        die(f"{path}: no request duration histogram for GET /v1/people/{{person_id}}")
    print(count, count - buckets["0.1"], count - buckets["1"])


def report(path):
    runs = {"attaind": [], "pgbench": []}
    for line in open(path):
        side, run, rps, p50, p99, raw50, raw99, other = line.rstrip("\n").split("\t")
        raw = None if raw50 == "-" else (float(raw50), float(raw99))
        runs[side].append((int(run), float(rps), float(p50), float(p99), raw, float(other)))
    if not runs["attaind"] or len(runs["attaind"]) != len(runs["pgbench"]):
        die(f"{path}: unequal or missing runs")
    label = {"attaind": "attaind  GET /v1/people/{id}", "pgbench": "pgbench  same SELECT"}
    print("per run:")
    print(f"  {'':30} {'run':>3} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'other CPU':>10}   (uncorrected p50, p99)")
    for side in ("attaind", "pgbench"):
        for run, rps, p50, p99, raw, other in runs[side]:
            extra = f"   ({raw[0]:.3f}, {raw[1]:.3f})" if raw else ""
            print(f"  {label[side]:30} {run:>3} {rps:>10.0f} {p50:>9.3f} {p99:>9.3f} {other:>9.1f}%{extra}")
    med = {s: [statistics.median(v[i] for v in runs[s]) for i in (1, 2, 3)] for s in runs}
    print()
    print(f"medians of {len(runs['attaind'])} runs:")
    print(f"  {'':30} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for side in ("attaind", "pgbench"):
        rps, p50, p99 = med[side]
        print(f"  {label[side]:30} {rps:>10.0f} {p50:>9.3f} {p99:>9.3f}")
    a, p = med["attaind"], med["pgbench"]
    ratio = [a[i] / p[i] if p[i] else float("nan") for i in range(3)]
    print(f"  {'ratio attaind / pgbench':30} {ratio[0]:>9.2f}x {ratio[1]:>8.2f}x {ratio[2]:>8.2f}x")
    worst = max(v[5] for s in runs for v in runs[s])
    if worst > 5:
        print()
        print(f"WARNING: other processes used up to {worst:.0f}% of the machine's CPU during a run;")
        print("         these results are disturbed (see 'other CPU' per run). Rerun on an idle machine.")


def main(argv):
    cmds = {
        "free-port": (0, free_port),
        "extract-sql": (1, extract_sql),
        "pgbench-sql": (1, pgbench_sql),
        "wrk": (1, parse_wrk),
        "pgbench": (3, parse_pgbench),
        "cpu-other": (2, cpu_other),
        "slow": (1, slow),
        "report": (1, report),
    }
    if argv[1:2] == ["cpu-snap"]:
        return cpu_snap(*argv[2:])
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][0]:
        die("usage: see the top of bench/people_get.py")
    cmds[argv[1]][1](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
