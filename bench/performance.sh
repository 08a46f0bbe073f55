#!/usr/bin/env bash
# bench/performance.sh — the performance reads of issue 10 on a generated org,
# each beside its baseline in the same run (medians of --runs runs):
#
#   person   GET /v1/performance?scope=person:{random}&period=<quarter>  vs  pgbench running the
#            naive attainment SQL (the person's credited won deals in the quarter joined to the quota)
#   board    GET /v1/performance/leaderboard?period=<quarter> (the whole org, first page)
#   team     GET /v1/performance?scope=team:<root>&period=<quarter> (the top of the tree)
#   deals    GET /v1/deals?team_id=<a leaf team>&limit=100
#
#   bench/performance.sh [--deals 1000000] [--people 1000] [--teams 100] [--runs 3]
#                        [--duration 10] [--connections 32] [--today 2026-12-06]
#                        [--build build-bench] [--only person,board,team,deals] [--cache-mb 64]
#                        [--pgdir DIR]
#
# --pgdir keeps the seeded cluster in DIR (stopped at the end) and reads it again on a later run
# with the same org options, without seeding: for 10M deals (about 80 minutes to seed).
# --cache-mb is attaind's ATTAIN_RESULT_CACHE_MB: 0 measures the cold path (every read computed);
# with the cache on, board and team are answered from it after their first call (nothing writes).
#
# Starts and stops its own PostgreSQL (scripts/pg) and attaind, seeds with
# `attainctl seed --deals` (deterministic), leaves nothing running. The
# figures go into the README with the command line.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
deals=1000000 people=1000 teams=100 runs=3 duration=10 conns=32 today=2026-12-06 build=build-bench
only=person,board,team,deals cache_mb=64
. bench/seeded.sh
seeded_options performance.sh "$@"

seeded_build

seeded_pgdir attain-perf-pg
work=$(mktemp -d /tmp/attain-perf.XXXXXX)
seeded_traps

seeded_pg "$pgdir" attain_perf

port=$(helper free-port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$bin/attainctl" token --sub bench --org bench --roles admin --ttl 86400)
env DATABASE_URL="$db_url" ATTAIN_JWT_HS256_SECRET="$secret" ATTAIN_LISTEN=127.0.0.1:$port ATTAIN_THREADS=$conns \
	ATTAIN_DB_POOL=$conns ATTAIN_LOG_LEVEL=warn ATTAIN_MIGRATE=off ATTAIN_RESULT_CACHE_MB=$cache_mb "$bin/attaind" >"$work/attaind.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.1; done

q() { psql -X -At "$db_url" -c "$1"; }
read -r pmin pmax < <(q "SELECT min(id), max(id) FROM people WHERE org_id = 'bench'" | tr '|' ' ')
root_team=$(q "SELECT min(id) FROM teams WHERE org_id = 'bench' AND parent_id IS NULL")
leaf_team=$(q "SELECT max(t.id) FROM teams t WHERE t.org_id = 'bench'")
read -r period pstart pend < <(q "SELECT 'FY' || extract(year FROM d)::int || '-Q' || extract(quarter FROM d)::int,
	date_trunc('quarter', d)::date, (date_trunc('quarter', d) + interval '3 months - 1 day')::date
	FROM (SELECT '$today'::date AS d) x" | tr '|' ' ')

cat >"$work/naive.pgbench" <<SQL
\\set id random($pmin, $pmax)
SELECT q.amount, (SELECT coalesce(sum(c.credit), 0) FROM (
    SELECT d.amount, d.owner_id, d.split_person_ids, d.split_percents FROM deals d
    WHERE d.org_id = 'bench' AND d.owner_id = :id AND d.status = 'won' AND d.close_date BETWEEN '$pstart' AND '$pend'
    UNION ALL
    SELECT d.amount, d.owner_id, d.split_person_ids, d.split_percents FROM deal_splits s
    JOIN deals d ON d.org_id = s.org_id AND d.id = s.deal_id
    WHERE s.org_id = 'bench' AND s.person_id = :id AND s.close_date BETWEEN '$pstart' AND '$pend'
      AND d.status = 'won' AND d.owner_id <> :id) d
  CROSS JOIN LATERAL deal_credit_rows(d.amount, d.owner_id, d.split_person_ids, d.split_percents) c
  WHERE c.person_id = :id)
FROM quotas q WHERE q.org_id = 'bench' AND q.person_id = :id AND q.period = '$period' AND q.metric = 'revenue'
  AND q.filter_type IS NULL AND q.filter_segment IS NULL;
SQL

run_wrk() { # name path min max
	BENCH_PATH=$2 BENCH_MIN_ID=$3 BENCH_MAX_ID=$4 BENCH_TOKEN=$token \
		wrk -t2 -c"$conns" -d"$duration"s --timeout 60s --latency -s bench/performance.lua "http://127.0.0.1:$port" \
		>"$work/wrk-$1.out" 2>&1 || { cat "$work/wrk-$1.out" >&2; exit 1; }
	# a read too slow to answer cleanly within the run is reported (its wrk output kept), not fatal
	local out
	if out=$(helper wrk "$work/wrk-$1.out" 2>/dev/null); then
		echo "$out" | awk -v n="$1" '{print n "\t" $1 "\t" $2 "\t" $3}'
	else
		log "$1: no clean run (see below)"
		grep -E "requests in|Socket errors|50%" "$work/wrk-$1.out" >&2 || true
		printf '%s\t0\tnan\tnan\n' "$1"
	fi
}
run_pgbench() {
	pgbench -n -M prepared -c "$conns" -j 2 -T "$duration" -f "$work/naive.pgbench" --log \
		--log-prefix="$work/pgblog-$1" -h 127.0.0.1 -p "$pgport" -U postgres "$db" >"$work/pgbench-$1.out" 2>&1 ||
		{ cat "$work/pgbench-$1.out" >&2; exit 1; }
	helper pgbench "$work/pgbench-$1.out" "$work/pgblog-$1" "$conns" | awk '{print "naive_sql\t" $1 "\t" $2 "\t" $3}'
}
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	case ",$only," in *,person,*)
		run_wrk person "/v1/performance?scope=person:{id}&period=$period" "$pmin" "$pmax" >>"$work/results.tsv"
		run_pgbench "$r" >>"$work/results.tsv" ;;
	esac
	case ",$only," in *,board,*) run_wrk board "/v1/performance/leaderboard?period=$period" 1 1 >>"$work/results.tsv" ;; esac
	case ",$only," in *,team,*) run_wrk team "/v1/performance?scope=team:$root_team&period=$period" 1 1 >>"$work/results.tsv" ;; esac
	case ",$only," in *,deals,*) run_wrk deals "/v1/deals?team_id=$leaf_team&limit=100" 1 1 >>"$work/results.tsv" ;; esac
	log "run $r/$runs done"
done
echo
echo "== performance reads at $deals deals, $people people, $teams teams (bench/performance.sh)"
echo "command: bench/performance.sh --deals $deals --people $people --teams $teams --runs $runs --duration $duration --connections $conns --today $today --cache-mb $cache_mb"
echo "period $period; medians of $runs runs of ${duration}s at $conns connections; machine: $(nproc) CPUs shared by all"
"$PY" - "$work/results.tsv" <<'PYEOF'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    n, rps, p50, p99 = line.split("\t")
    rows.setdefault(n, []).append((float(rps), float(p50), float(p99)))
med = {n: tuple(statistics.median(x[i] for x in v) for i in range(3)) for n, v in rows.items()}
print(f"{'read':<12}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
for n, (rps, p50, p99) in med.items():
    print(f"{n:<12}{rps:>10.0f}{p50:>10.2f}{p99:>10.2f}")
if "person" in med and "naive_sql" in med:
    print(f"person / naive SQL throughput: {med['person'][0] / med['naive_sql'][0]:.2f}x")
PYEOF
