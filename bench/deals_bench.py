#!/usr/bin/python3
"""bench/deals_bench.py — helpers for bench/deals_bulk.sh and bench/deals_list.sh
(standard library only).

  free-port                                   print a free TCP port on 127.0.0.1
  gen-bulk DIR ORG MIN_ID COUNT CALLS PER_CALL
                                              write DIR/bulk-K.json (the API's body) and
                                              DIR/copy-K.tsv (the same deals as COPY rows);
                                              print the COPY column list
  check-bulk RESPONSE PER_CALL                the answer of one bulk call created PER_CALL deals
  report-bulk RESULTS.tsv DEALS               per-run and median deals/s, and the ratio
  list-sql BINARY narrow|wide                 the SQL of stmt_deal_list (or _wide) as compiled into attaind
  pgbench-list SQL_FILE                       that SQL as a pgbench script (:org :team :from :to)
  wrk OUTPUT                                  "req/s p50_ms p99_ms" of wrk --latency; fails on
                                              errors or non-2xx answers
  pgbench OUTPUT LOG_PREFIX CLIENTS           "tps p50_ms p99_ms" from pgbench's per-transaction
                                              log, corrected for coordinated omission as wrk is
  report-list RESULTS.tsv                     per-run values and medians of both sides

The generated deals are a pure function of their number: the same run after run.
"""
import datetime
import glob
import json
import os
import re
import socket
import statistics
import sys

# The default stages (migration 0002_pipeline): key, probability, forecast category, status.
STAGES = [("prospecting", 10, "pipeline", "open"), ("qualification", 20, "pipeline", "open"),
          ("needs_analysis", 40, "pipeline", "open"), ("proposal", 60, "best_case", "open"),
          ("negotiation", 80, "commit", "open"), ("closed_won", 100, "closed", "won"),
          ("closed_lost", 0, "omitted", "lost")]
TYPES = ["new_business", "upsell", "cross_sell", "renewal"]


def die(msg):
    print(f"deals_bench.py: {msg}", file=sys.stderr)
    sys.exit(1)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def deal(i, min_id, count):
    """Deal number i: (the API item, the row COPY stores for it)."""
    owner = min_id + (i * 7919) % count
    key, prob, cat, status = STAGES[i % len(STAGES)]
    close = datetime.date(2026, 1, 1) + datetime.timedelta(days=(i * 37) % 730)
    created = close - datetime.timedelta(days=i % 120)
    cents = (i * 104729) % 10000000 + 100
    amount = f"{cents // 100}.{cents % 100:02d}"
    item = {"external_id": f"bench-{i}", "name": f"Deal {i}", "account": f"Account {i % 5000}",
            "owner_id": str(owner), "segment": "b2c" if i % 5 == 0 else "b2b",
            "type": TYPES[i % 4], "amount": float(amount), "stage": key,
            "close_date": close.isoformat(), "created_on": created.isoformat()}
    persons, percents = "{}", "{}"
    if i % 10 == 0:
        other = min_id + (i * 7919 + 1) % count
        if other == owner:
            other = min_id + (i * 7919 + 2) % count
        split = sorted([(owner, "60.00"), (other, "40.00")])
        item["splits"] = [{"person_id": str(p), "percent": float(c)} for p, c in split]
        persons = "{" + ",".join(str(p) for p, _ in split) + "}"
        percents = "{" + ",".join(c for _, c in split) + "}"
    row = "\t".join([item["external_id"], item["name"], item["account"], str(owner), item["segment"],
                     item["type"], amount, key, str(prob), cat, status, item["close_date"],
                     item["created_on"], persons, percents])
    return item, row


COPY_COLUMNS = ("external_id, name, account, owner_id, segment, type, amount, stage, probability, "
                "forecast_category, status, close_date, created_on, split_person_ids, split_percents")


def gen_bulk(directory, org, min_id, count, calls, per_call):
    min_id, count, calls, per_call = int(min_id), int(count), int(calls), int(per_call)
    for k in range(calls):
        items, rows = [], []
        for i in range(k * per_call, (k + 1) * per_call):
            item, row = deal(i, min_id, count)
            items.append(item)
            rows.append(row)
        with open(os.path.join(directory, f"bulk-{k}.json"), "w") as f:
            json.dump(items, f, separators=(",", ":"))
        with open(os.path.join(directory, f"copy-{k}.tsv"), "w") as f:
            f.write("".join(f"{org}\t{row}\n" for row in rows))
    print("org_id, " + COPY_COLUMNS)


def gen_ndjson(directory, calls):
    """The bodies bulk-K.json as one NDJSON file, deals.ndjson (what attainctl import reads)."""
    with open(os.path.join(directory, "deals.ndjson"), "w") as out:
        for k in range(int(calls)):
            for item in json.load(open(os.path.join(directory, f"bulk-{k}.json"))):
                out.write(json.dumps(item, separators=(",", ":")) + "\n")


def check_bulk(path, per_call):
    try:
        body = json.load(open(path))
    except ValueError:
        die(f"{path}: not JSON: {open(path).read()[:500]}")
    want = {"created": int(per_call), "updated": 0, "unchanged": 0, "rejected": 0, "errors": []}
    if body != want:
        die(f"{path}: expected {want}, got {json.dumps(body)[:500]}")


def report_bulk(path, deals):
    deals = int(deals)
    runs = {"bulk": [], "copy": [], "import": []}
    for line in open(path):
        side, run, secs = line.split("\t")
        runs[side].append((int(run), float(secs)))
    if not runs["import"]:
        del runs["import"]
    if not runs["bulk"] or any(len(r) != len(runs["bulk"]) for r in runs.values()):
        die(f"{path}: unequal or missing runs")
    sides = [s for s in ("bulk", "copy", "import") if s in runs]
    label = {"bulk": "attaind  POST /v1/deals/bulk", "copy": "psql     COPY into deals",
             "import": "attainctl import deals"}
    print("per run:")
    print(f"  {'':30} {'run':>3} {'seconds':>9} {'deals/s':>10}")
    for side in sides:
        for run, secs in runs[side]:
            print(f"  {label[side]:30} {run:>3} {secs:>9.2f} {deals / secs:>10.0f}")
    med = {s: statistics.median(deals / secs for _, secs in runs[s]) for s in runs}
    print()
    print(f"medians of {len(runs['bulk'])} runs ({deals:,} deals each):")
    print(f"  {'':30} {'deals/s':>10}")
    for side in sides:
        print(f"  {label[side]:30} {med[side]:>10.0f}")
    print(f"  {'ratio bulk / COPY':30} {med['bulk'] / med['copy']:>9.2f}x")
    if "import" in med:
        print(f"  {'ratio import / bulk':30} {med['import'] / med['bulk']:>9.2f}x")


# stmt_deal_list (a team's deals by its people's indexes) and stmt_deal_list_wide (a large
# team: the org's deals in id order, each kept when a holder is in the team), as compiled.
LIST_SQL = {
    "narrow": re.compile(rb"WITH drv AS MATERIALIZED \(SELECT [^\x00]*?"
                         rb"cand AS \(SELECT o\.id FROM deals o WHERE o\.org_id = \$1[^\x00]*?"
                         rb"ORDER BY c\.id LIMIT \$12\x00"),
    "wide": re.compile(rb"WITH tp AS MATERIALIZED \(SELECT p\.id FROM people p JOIN team_closure a[^\x00]*?"
                       rb"ORDER BY d\.id LIMIT \$12\x00"),
}


def list_sql(binary, kind):
    if kind not in LIST_SQL:
        die(f"list-sql: the kind is narrow or wide, not {kind!r}")
    data = open(binary, "rb").read()
    found = {m.group(0)[:-1] for m in LIST_SQL[kind].finditer(data)}
    if len(found) != 1:
        die(f"{binary}: expected exactly one {kind} deal list SQL string, found {len(found)} "
            "(did internal/deals/store.c change? update LIST_SQL in bench/deals_bench.py)")
    print(found.pop().decode())


# The parameters attaind binds for GET /v1/deals?team_id=&close_from=&close_to= by an admin
# (internal/deals/store.c, deal_list: $1 org, $2 cursor, $3..$11 the filters, $12 the limit + 1,
# $13 the team, $14..$16 the scope): pgbench variables, or NULL where attaind sends NULL.
LIST_PARAMS = {1: ":org", 2: "0", 3: "NULL", 4: "NULL", 5: "NULL", 6: "NULL", 7: "NULL",
               8: ":from", 9: ":to", 10: "NULL", 11: "NULL", 12: "101", 13: ":team", 14: "true",
               15: "NULL", 16: "'{}'"}


def pgbench_list(path):
    sql = open(path).read().strip()
    # see people_get.py: a colon followed by a name is a pgbench variable, even in a literal
    sql = sql.replace("HH24:MI:SS", 'HH24":"MI":"SS')
    for n in sorted(LIST_PARAMS, reverse=True):
        sql = sql.replace(f"${n}", LIST_PARAMS[n])
    left = sorted(set(re.findall(r"(?<!:):[A-Za-z_]\w*", sql)) - {":org", ":team", ":from", ":to"})
    if left or "$" in sql:
        die(f"{path}: the SQL still holds pgbench variables or parameters {left}; adapt pgbench_list()")
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
    if not (rps and p50 and p99 and total) or int(total.group(1)) == 0:
        die(f"{path}: not the output of a wrk --latency run that completed requests:\n{out}")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx and int(non2xx.group(1)) > 0:
        die(f"{path}: {non2xx.group(1)} answers were not 2xx/3xx:\n{out}")
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock and any(int(x) for x in sock.groups()):
        die(f"{path}: socket errors:\n{out}")
    print(f"{float(rps.group(1)):.1f}\t{to_ms(p50.group(1)):.3f}\t{to_ms(p99.group(1)):.3f}")


def percentile(hist, count, q):
    """wrk's stats_percentile(): hist[i] = number of samples of i microseconds."""
    rank = int(q / 100 * count + 1)
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
    if (failed and int(failed.group(1)) > 0) or "aborted" in out:
        die(f"{path}: failed or aborted transactions:\n{out}")
    lat = []
    for name in sorted(glob.glob(prefix + ".*")):
        with open(name) as f:
            for line in f:
                cols = line.split()
                if len(cols) < 3 or not cols[2].isdigit():
                    die(f"{name}: unexpected log line {line!r}")
                lat.append(int(cols[2]))
    if not lat or len(lat) != int(done.group(1)):
        die(f"{prefix}.*: {len(lat)} logged transactions, pgbench reports {done.group(1)}")
    hist = [0] * (max(lat) + 1)
    for v in lat:
        hist[v] += 1
    count = correct(hist, len(lat), int(secs.group(1)) * 1000000 // max(1, len(lat) // int(clients)))
    print(f"{float(tps.group(1)):.1f}\t{percentile(hist, count, 50) / 1000:.3f}"
          f"\t{percentile(hist, count, 99) / 1000:.3f}")


def report_list(path):
    runs = {"attaind": [], "pgbench": []}
    for line in open(path):
        side, run, rps, p50, p99 = line.split("\t")
        runs[side].append((int(run), float(rps), float(p50), float(p99)))
    if not runs["attaind"] or len(runs["attaind"]) != len(runs["pgbench"]):
        die(f"{path}: unequal or missing runs")
    label = {"attaind": "attaind  GET /v1/deals?team_id..", "pgbench": "pgbench  same SELECT"}
    print("per run:")
    print(f"  {'':33} {'run':>3} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for side in ("attaind", "pgbench"):
        for run, rps, p50, p99 in runs[side]:
            print(f"  {label[side]:33} {run:>3} {rps:>10.0f} {p50:>9.3f} {p99:>9.3f}")
    med = {s: [statistics.median(v[i] for v in runs[s]) for i in (1, 2, 3)] for s in runs}
    print()
    print(f"medians of {len(runs['attaind'])} runs:")
    print(f"  {'':33} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9}")
    for side in ("attaind", "pgbench"):
        rps, p50, p99 = med[side]
        print(f"  {label[side]:33} {rps:>10.0f} {p50:>9.3f} {p99:>9.3f}")
    a, p = med["attaind"], med["pgbench"]
    ratio = [a[i] / p[i] if p[i] else float("nan") for i in range(3)]
    print(f"  {'ratio attaind / pgbench':33} {ratio[0]:>9.2f}x {ratio[1]:>8.2f}x {ratio[2]:>8.2f}x")


def main(argv):
    cmds = {
        "free-port": (0, free_port),
        "gen-bulk": (6, gen_bulk),
        "gen-ndjson": (2, gen_ndjson),
        "check-bulk": (2, check_bulk),
        "report-bulk": (2, report_bulk),
        "list-sql": (2, list_sql),
        "pgbench-list": (1, pgbench_list),
        "wrk": (1, parse_wrk),
        "pgbench": (3, parse_pgbench),
        "report-list": (1, report_list),
    }
    if len(argv) < 2 or argv[1] not in cmds or len(argv) - 2 != cmds[argv[1]][0]:
        die("usage: see the top of bench/deals_bench.py")
    cmds[argv[1]][1](*argv[2:])


if __name__ == "__main__":
    main(sys.argv)
