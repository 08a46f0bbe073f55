#!/usr/bin/env bash
# bench/people_get.sh — GET /v1/people/{id} through attaind (HTTP, real JWT)
# against pgbench running the same SELECT directly on PostgreSQL, in the same
# run, at the same concurrency and with the same number of PostgreSQL
# connections. Prints req/s, p50 and p99 of both (medians of --runs runs) and
# the ratio attaind / pgbench. See bench/README.md.
#
#   bench/people_get.sh [--runs 5] [--duration 10] [--connections 32]
#                       [--people 10000] [--teams 1000] [--warmup 3]
#                       [--build build-bench]
#
# --build names the release build to measure (another checkout's, to compare
# two versions with the same script).
#
# Starts and stops its own PostgreSQL cluster (scripts/pg) and attaind; leaves
# nothing running. Exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=5 duration=10 conns=32 people=10000 teams=1000 warmup=3 build=build-bench
usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:-} ;;
	--duration) duration=${2:-} ;;
	--connections) conns=${2:-} ;;
	--people) people=${2:-} ;;
	--teams) teams=${2:-} ;;
	--warmup) warmup=${2:-} ;;
	--build) build=${2:-} ;;
	-h | --help) usage ;;
	*) echo "people_get.sh: unknown option $1" >&2; usage ;;
	esac
	[ $# -ge 2 ] || { echo "people_get.sh: $1 needs a value" >&2; exit 2; }
	shift 2
done
for opt in runs:runs duration:duration conns:connections people:people teams:teams warmup:warmup; do
	v=${opt%%:*}
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "people_get.sh: --${opt#*:} must be a positive whole number, got '${!v}'" >&2; exit 2; }
done
if [ "$people" -lt "$teams" ]; then
	echo "people_get.sh: need --people >= --teams" >&2; exit 2
fi
# wrk -t2 and pgbench -j 2 need >= 2 connections; attaind's pool stays open while
# pgbench runs, so both together must fit in max_connections=200 (scripts/pg).
if [ "$conns" -lt 2 ] || [ "$conns" -gt 95 ]; then
	echo "people_get.sh: --connections must be 2..95" >&2; exit 2
fi
cmdline="bench/people_get.sh --runs $runs --duration $duration --connections $conns --people $people --teams $teams --warmup $warmup --build $build"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
PY=/usr/bin/python3
helper() { "$PY" "$root/bench/people_get.py" "$@"; }
org=bench
# Our own settings only: nothing from the caller's environment leaks into attaind.
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)
unset PGOPTIONS

log() { echo "people_get.sh: $*" >&2; }

# ---- 1. tools and a release build --------------------------------------------
scripts/deps --bench
[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release >/dev/null
buildtype=$(meson introspect --buildoptions "$build" |
	"$PY" -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"))')
[ "$buildtype" = release ] || { log "$build/ is a $buildtype build; use another --build or reconfigure with -Dbuildtype=release"; exit 1; }
ninja -C "$build" >/dev/null
case "$build" in /*) bin=$build ;; *) bin=$root/$build ;; esac
attaind=$bin/attaind attainctl=$bin/attainctl

# ---- 2. throwaway cluster, cleaned up whatever happens -----------------------
pgdir=$(mktemp -d /tmp/attain-bench-pg.XXXXXX)
work=$(mktemp -d /tmp/attain-bench.XXXXXX)
attaind_pid=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$attaind_pid" ] && kill -0 "$attaind_pid" 2>/dev/null; then
		kill -TERM "$attaind_pid" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$attaind_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$attaind_pid" 2>/dev/null || true
		wait "$attaind_pid" 2>/dev/null || true
	fi
	cp "$pgdir/server.log" "$work/postgresql.log" 2>/dev/null || true
	"$root/scripts/pg" stop "$pgdir"
	rm -rf "$pgdir"
	if [ "$rc" = 0 ]; then
		rm -rf "$work"
	else
		log "FAILED (exit $rc); logs (attaind.log, postgresql.log, wrk/pgbench outputs) kept in $work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgport=$(helper free-port)
log "PostgreSQL on 127.0.0.1:$pgport ($pgdir)"
scripts/pg start "$pgdir" "$pgport"
admin_url=$(scripts/pg url "$pgdir" "$pgport")
db=attain_bench
db_url=${admin_url%/*}/$db
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
psql_ "$admin_url" -c "CREATE DATABASE $db"
DATABASE_URL=$db_url "$attainctl" migrate >/dev/null
log "seeding org $org: $teams teams, $people people"
DATABASE_URL=$db_url "$attainctl" seed --org "$org" --teams "$teams" --people "$people" >/dev/null
psql_ "$db_url" -c "VACUUM ANALYZE" -c "CHECKPOINT"

# ---- 3. attaind ---------------------------------------------------------------
port=$(helper free-port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$attainctl" token --sub bench --org "$org" --roles admin --ttl 86400)
attaind_env=("ATTAIN_LISTEN=127.0.0.1:$port" "ATTAIN_THREADS=$conns" "ATTAIN_DB_POOL=$conns" ATTAIN_LOG_LEVEL=warn ATTAIN_MIGRATE=off)
env DATABASE_URL="$db_url" ATTAIN_JWT_HS256_SECRET="$secret" "${attaind_env[@]}" "$attaind" >"$work/attaind.log" 2>&1 &
attaind_pid=$!
alive() {
	kill -0 "$attaind_pid" 2>/dev/null && return 0
	log "attaind (pid $attaind_pid) is gone; its log:"
	tail -n 50 "$work/attaind.log" >&2
	exit 1
}
for i in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	alive
	[ "$i" = 100 ] && { log "attaind did not answer /healthz within 10 s"; tail -n 50 "$work/attaind.log" >&2; exit 1; }
	sleep 0.1
done
log "attaind on 127.0.0.1:$port (pid $attaind_pid, ${attaind_env[*]})"

# ---- 4. the ids to ask for -----------------------------------------------------
read -r min max count < <(psql_ "$db_url" -At -F ' ' -c "SELECT min(id), max(id), count(*) FROM people WHERE org_id = '$org'")
if [ -z "${count:-}" ] || [ "$count" -lt 1 ] || [ $((max - min + 1)) != "$count" ]; then
	log "people ids of org $org are not one contiguous range (min=${min:-} max=${max:-} count=${count:-})"; exit 1
fi

# ---- the pgbench script: attaind's own statement ------------------------------
# The SQL is read out of the attaind binary (stmt_person_get = "SELECT " PERSON_JSON
# " FROM people p WHERE p.org_id = $1 AND p.id = $2" in internal/org/store.c),
# so it cannot drift from what attaind prepares.
helper extract-sql "$attaind" >"$work/stmt_person_get.sql"
pgb_sql=$(helper pgbench-sql "$work/stmt_person_get.sql")
printf '\\set id random(%s, %s)\n%s\n' "$min" "$max" "$pgb_sql" >"$work/people_get.pgbench"

# Same answer both ways: attaind's body must be byte for byte the first column
# of the pgbench SELECT (run here through psql with the same variables).
printf '%s\n' "${pgb_sql//:org/:\'org\'}" >"$work/check.sql"
for id in "$min" $(((min + max) / 2)) "$max"; do
	via_http=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/people/$id")
	via_sql=$(psql_ "$db_url" -At -F $'\t' -v org="$org" -v id="$id" -f "$work/check.sql" | cut -f1)
	[ "$via_http" = "$via_sql" ] || { log "id $id: attaind and the pgbench SELECT disagree:"; log "  attaind: $via_http"; log "  SQL:     $via_sql"; exit 1; }
done

# ---- 5. + 6. one measurement of each side ----------------------------------------
wrk_args() { # seconds -> wrk_cmd=(the wrk command line)
	wrk_cmd=(wrk -t2 -c"$conns" -d"$1"s --latency -s bench/people_get.lua "http://127.0.0.1:$port")
}
# CPU used by everything else on the machine during a run (our own process
# trees: this script with its children, attaind, the PostgreSQL cluster).
postmaster=$(head -n 1 "$pgdir/data/postmaster.pid")
cpu_snap() { helper cpu-snap $$ "$postmaster"; }
run_wrk() { # seconds tag -> "req/s p50 p99 - - other-cpu-%"
	local wrk_cmd before res
	wrk_args "$1"
	before=$(cpu_snap)
	BENCH_MIN_ID=$min BENCH_MAX_ID=$max BENCH_TOKEN=$token "${wrk_cmd[@]}" >"$work/wrk-$2.out" 2>&1 ||
		{ log "wrk failed:"; cat "$work/wrk-$2.out" >&2; exit 1; }
	res=$(helper cpu-other "$before" "$(cpu_snap)")
	alive
	printf '%s\t-\t-\t%s\n' "$(helper wrk "$work/wrk-$2.out")" "$res"
}
# attaind's connections carry these settings (internal/db/pool.c): give pgbench's the same.
pg_options="-c statement_timeout=30000 -c idle_in_transaction_session_timeout=30000 -c TimeZone=UTC"
pgbench_args() { # seconds log-prefix script-file -> pgbench_cmd=(the pgbench command line)
	pgbench_cmd=(pgbench -n -M prepared -c "$conns" -j 2 -T "$1" -D org="$org" -f "$3"
		--log --log-prefix="$2" -h 127.0.0.1 -p "$pgport" -U postgres "$db")
}
run_pgbench() { # seconds tag -> "tps p50 p99 raw-p50 raw-p99 other-cpu-%"
	local pgbench_cmd before res
	pgbench_args "$1" "$work/pgblog-$2" "$work/people_get.pgbench"
	before=$(cpu_snap)
	PGOPTIONS=$pg_options "${pgbench_cmd[@]}" >"$work/pgbench-$2.out" 2>&1 ||
		{ log "pgbench failed:"; cat "$work/pgbench-$2.out" >&2; exit 1; }
	res=$(helper cpu-other "$before" "$(cpu_snap)")
	printf '%s\t%s\n' "$(helper pgbench "$work/pgbench-$2.out" "$work/pgblog-$2" "$conns")" "$res"
}

# ---- 7. warm-up, then alternating runs --------------------------------------------
log "warm-up: ${warmup}s each (not counted)"
run_wrk "$warmup" warmup >/dev/null
run_pgbench "$warmup" warmup >/dev/null
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	res=$(run_wrk "$duration" "run$r")
	printf 'attaind\t%s\t%s\n' "$r" "$res" >>"$work/results.tsv"
	log "run $r/$runs attaind: $(echo "$res" | awk '{printf "%.0f req/s, p50 %s ms, p99 %s ms; other processes %s%% CPU", $1, $2, $3, $6}')"
	res=$(run_pgbench "$duration" "run$r")
	printf 'pgbench\t%s\t%s\n' "$r" "$res" >>"$work/results.tsv"
	log "run $r/$runs pgbench: $(echo "$res" | awk '{printf "%.0f tps,   p50 %s ms, p99 %s ms; other processes %s%% CPU", $1, $2, $3, $6}')"
done
alive
warn_lines=$(grep -c . "$work/attaind.log" || true)
# The pool opens connections lazily, so this is the most requests attaind ever
# had in PostgreSQL at once. It stays below C because MHD pins each keep-alive
# connection to the worker thread that accepted it and the accepts are uneven:
# some threads serve several wrk connections (one request at a time), others none.
pg_used=$(psql_ "$db_url" -At -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'attaind'")
# attaind's own request duration histogram (dispatch to answer, so without the
# time in the kernel and in libmicrohttpd): how long its slowest requests took.
curl -fsS -o "$work/metrics.txt" "http://127.0.0.1:$port/metrics"
slow=$(helper slow "$work/metrics.txt")
read -r n_all n_100ms n_1s <<<"$slow"

# ---- report -----------------------------------------------------------------------
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + uncommitted changes"
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
report=$(helper report "$work/results.tsv")
wrk_args "$duration"
pgbench_args "$duration" pgb people_get.pgbench
cat <<EOF

== GET /v1/people/{id}: attaind vs the same SELECT in pgbench
command:  $cmdline
machine:  $(nproc) CPUs (nproc), $cpu, $mem RAM, Linux $(uname -r)
          wrk, pgbench, attaind and PostgreSQL all share these CPUs; load average before the start: $load0
versions: attaind $rev (release build, build-bench/), $(pg_config --version | sed 's/ (.*//'), $(wrk -v 2>&1 | awk 'NR==1{print $1, $2}')
data:     org $org: $teams teams, $people people; every request a uniformly random id in $min..$max
attaind:  ${attaind_env[*]:1}, HS256 JWT (role admin) on every request
wrk:      BENCH_MIN_ID=$min BENCH_MAX_ID=$max BENCH_TOKEN=<jwt> ${wrk_cmd[*]}
pgbench:  PGOPTIONS='$pg_options' ${pgbench_cmd[*]}
          people_get.pgbench = \\set id random($min, $max) + stmt_person_get with \$1 -> :org, \$2 -> :id
runs:     $runs x ${duration}s per side, alternating attaind / pgbench, after ${warmup}s warm-up of each

$report

attaind log lines at warn or above during the benchmark: $warn_lines
PostgreSQL connections attaind opened (pool size $conns, = most requests in the database at once): $pg_used
attaind's own histogram: $n_all answers to GET /v1/people/{id}, $n_100ms took over 100 ms inside attaind, $n_1s over 1 s
EOF
if [ "$warn_lines" != 0 ]; then
	echo "first lines of the attaind log:"
	head -n 5 "$work/attaind.log"
fi
