#!/usr/bin/env bash
# bench/replicas.sh — dashboard reads with a hot standby against the primary alone (issue 15 item 5),
# same machine, same data, same run (medians of --runs alternating runs):
#
#   board    GET /v1/performance/leaderboard?period=<quarter> (the whole org, first page)
#   person   GET /v1/performance?scope=person:{random}&period=<quarter>
#
# each through two attaind on the same primary: `primary` (no ATTAIN_DATABASE_READ_URL) and
# `replica` (ATTAIN_DATABASE_READ_URL = a streaming standby of it, made by pg_basebackup -R).
# Beside req/s and latency: the primary's load during the run (its transactions per second from
# pg_stat_database over the run, and the CPU seconds of its processes), and the standby's. Each run
# is followed by 11 s idle before the counters are read, so its transactions are all counted.
# Both attaind run without the result cache (ATTAIN_RESULT_CACHE_MB=0): every read reaches a database.
#
#   bench/replicas.sh [--deals 100000] [--people 1000] [--teams 100] [--runs 3] [--duration 10]
#                     [--connections 32] [--today 2026-12-06] [--build build-bench] [--only board,person]
#
# Starts and stops its own two PostgreSQL clusters (scripts/pg) and attaind, seeds with
# `attainctl seed --deals` (deterministic), leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
deals=100000 people=1000 teams=100 runs=3 duration=10 conns=32 today=2026-12-06 build=build-bench
only=board,person
. bench/seeded.sh
seeded_options replicas.sh "$@"
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

seeded_build
bindir=$(pg_config --bindir)

seeded_pgdir attain-repl-pg
sbdir=$(mktemp -d /tmp/attain-repl-sb.XXXXXX)
work=$(mktemp -d /tmp/attain-repl.XXXXXX)
scratch+=("$sbdir")
bench_stop() { as_owner "$bindir/pg_ctl" -D "$sbdir/data" -m fast -w stop >/dev/null 2>&1 || true; }
seeded_traps

seeded_pg "$pgdir" attain_repl

# the standby: a base backup of the primary that streams from it (the primary's pg_hba.conf, as
# initdb writes it, lets local replication connections in)
sbport=$(helper free-port)
if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$sbdir"; chmod 700 "$sbdir"; fi
as_owner "$bindir/pg_basebackup" -h 127.0.0.1 -p "$pgport" -U postgres -D "$sbdir/data" -R -X stream -c fast
as_owner mkdir -p "$sbdir/sock"
as_owner "$bindir/pg_ctl" -D "$sbdir/data" -l "$sbdir/server.log" -w -t 120 \
	-o "-p $sbport -k $sbdir/sock -c listen_addresses=127.0.0.1 -c max_connections=200 -c hot_standby=on -c fsync=off -c shared_buffers=256MB" \
	start >/dev/null
sb_url=postgresql://postgres@127.0.0.1:$sbport/$db
log "standby on port $sbport"

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$bin/attainctl" token --sub bench --org bench --roles admin --ttl 86400)
start_attaind() { # name port [READ_URL]
	env DATABASE_URL="$db_url" ${3:+ATTAIN_DATABASE_READ_URL="$3"} ATTAIN_JWT_HS256_SECRET="$secret" \
		ATTAIN_LISTEN=127.0.0.1:$2 ATTAIN_THREADS=$conns ATTAIN_DB_POOL=$conns ATTAIN_LOG_LEVEL=warn \
		ATTAIN_MIGRATE=off ATTAIN_RESULT_CACHE_MB=0 "$bin/attaind" >"$work/attaind-$1.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$2/healthz" 2>/dev/null && return; sleep 0.1; done
	log "attaind $1 did not start"; exit 1
}
port_primary=$(helper free-port)
start_attaind primary "$port_primary"
port_replica=$(helper free-port)
start_attaind replica "$port_replica" "$sb_url"

q() { psql -X -At "$db_url" -c "$1"; }
read -r pmin pmax < <(q "SELECT min(id), max(id) FROM people WHERE org_id = 'bench'" | tr '|' ' ')
read -r period < <(q "SELECT 'FY' || extract(year FROM d)::int || '-Q' || extract(quarter FROM d)::int
	FROM (SELECT '$today'::date AS d) x")
# the org is known to both (its first call is written on the primary), and the standby is used
for p in "$port_primary" "$port_replica"; do
	curl -fsS -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$p/v1/org"
done
for _ in $(seq 300); do
	h=$(curl -fsS -D - -o /dev/null -H "Authorization: Bearer $token" \
		"http://127.0.0.1:$port_replica/v1/performance/leaderboard?period=$period" | tr -d '\r' |
		awk -F': ' 'tolower($1) == "attain-served-by" {print $2}')
	[ "$h" = replica ] && break
	sleep 0.1
done
[ "$h" = replica ] || { log "the replica attaind never read from the standby"; exit 1; }

xacts() { # url: the database's committed + rolled back transactions so far
	psql -X -At "$1" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$db'"
}
pm_pid() { head -1 "$1/postmaster.pid"; }
run_one() { # read mode path min max
	local port=$port_primary
	[ "$2" = replica ] && port=$port_replica
	local px0 sx0 pc0 sc0 px1 sx1 pc1 sc1
	px0=$(xacts "$db_url") sx0=$(xacts "$sb_url")
	pc0=$(helper cpu-snap "$(pm_pid "$pgdir/data")" | awk '{print $2}')
	sc0=$(helper cpu-snap "$(pm_pid "$sbdir/data")" | awk '{print $2}')
	BENCH_PATH=$3 BENCH_MIN_ID=$4 BENCH_MAX_ID=$5 BENCH_TOKEN=$token \
		wrk -t2 -c"$conns" -d"$duration"s --timeout 60s --latency -s bench/performance.lua "http://127.0.0.1:$port" \
		>"$work/wrk-$1-$2.out" 2>&1 || { cat "$work/wrk-$1-$2.out" >&2; exit 1; }
	# an idle backend reports its transactions to pg_stat_database within 10 s (PGSTAT_IDLE_INTERVAL)
	sleep 11
	px1=$(xacts "$db_url") sx1=$(xacts "$sb_url")
	pc1=$(helper cpu-snap "$(pm_pid "$pgdir/data")" | awk '{print $2}')
	sc1=$(helper cpu-snap "$(pm_pid "$sbdir/data")" | awk '{print $2}')
	local out
	out=$(helper wrk "$work/wrk-$1-$2.out")
	# ticks of 1/100 s (USER_HZ)
	echo "$out" | awk -v r="$1" -v m="$2" -v d="$duration" -v px=$((px1 - px0)) -v sx=$((sx1 - sx0)) \
		-v pc=$((pc1 - pc0)) -v sc=$((sc1 - sc0)) \
		'{printf "%s\t%s\t%s\t%s\t%s\t%.0f\t%.2f\t%.0f\t%.2f\n", r, m, $1, $2, $3, px / d, pc / 100, sx / d, sc / 100}'
}
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	for mode in primary replica; do
		case ",$only," in *,board,*)
			run_one board "$mode" "/v1/performance/leaderboard?period=$period" 1 1 >>"$work/results.tsv" ;;
		esac
		case ",$only," in *,person,*)
			run_one person "$mode" "/v1/performance?scope=person:{id}&period=$period" "$pmin" "$pmax" \
				>>"$work/results.tsv" ;;
		esac
	done
	log "run $r/$runs done"
done
# every read of the replica attaind came from the standby (or counts a fallback)
curl -fsS "http://127.0.0.1:$port_replica/metrics" | grep -E '^attain_(db_reads_total|replica_fallbacks_total)' >"$work/metrics"

echo
echo "== dashboard reads on a standby against the primary alone, $deals deals, $people people, $teams teams (bench/replicas.sh)"
echo "command: bench/replicas.sh --deals $deals --people $people --teams $teams --runs $runs --duration $duration --connections $conns --today $today"
echo "period $period; medians of $runs runs of ${duration}s at $conns connections; machine: $(nproc) CPUs shared by all"
"$PY" - "$work/results.tsv" <<'PYEOF'
import collections, statistics, sys
cols = ("req/s", "p50 ms", "p99 ms", "primary xact/s", "primary CPU s", "standby xact/s", "standby CPU s")
runs = collections.defaultdict(list)
with open(sys.argv[1]) as f:
    for read, mode, *values in (line.rstrip("\n").split("\t") for line in f):
        runs[read, mode].append([float(x) for x in values])
print(f"{'read':<8}{'reads on':<10}" + "".join(f"{c:>16}" for c in cols))
for (read, mode), v in runs.items():
    print(f"{read:<8}{mode:<10}" + "".join(f"{statistics.median(col):>16.2f}" for col in zip(*v)))
PYEOF
echo "the replica attaind's /metrics at the end:"
cat "$work/metrics"
