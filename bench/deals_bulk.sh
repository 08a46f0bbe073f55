#!/usr/bin/env bash
# bench/deals_bulk.sh — CRM sync throughput: --deals generated deals through
# POST /v1/deals/bulk (--per-call deals a call, one call after the other)
# against psql COPYing the same deals, as the rows attaind stores, into the same
# table, in the same run. Prints deals/s of both (medians of --runs runs) and
# the ratio bulk / COPY. See bench/README-deals.md. With --import 1 a third
# side, attainctl import of the same deals as one NDJSON file (bench/import.sh).
#
#   bench/deals_bulk.sh [--runs 3] [--deals 1000000] [--per-call 100000]
#                       [--people 1000] [--teams 100] [--build build-bench] [--import 0|1]
#
# Starts and stops its own PostgreSQL cluster (scripts/pg) and attaind; leaves
# nothing running. Exit status is non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 deals=1000000 per_call=100000 people=1000 teams=100 build=build-bench import=0
usage() {
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:-} ;;
	--deals) deals=${2:-} ;;
	--per-call) per_call=${2:-} ;;
	--people) people=${2:-} ;;
	--teams) teams=${2:-} ;;
	--build) build=${2:-} ;;
	--import) import=${2:-} ;;
	-h | --help) usage ;;
	*) echo "deals_bulk.sh: unknown option $1" >&2; usage ;;
	esac
	[ $# -ge 2 ] || { echo "deals_bulk.sh: $1 needs a value" >&2; exit 2; }
	shift 2
done
for v in runs deals per_call people teams import; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "deals_bulk.sh: --${v//_/-} must be a whole number, got '${!v}'" >&2; exit 2; }
done
if [ "$runs" -lt 1 ] || [ "$per_call" -lt 1 ] || [ "$per_call" -gt 100000 ] || [ $((deals % per_call)) != 0 ] ||
	[ "$teams" -lt 1 ] || [ "$people" -lt "$teams" ]; then
	echo "deals_bulk.sh: need --runs >= 1, --per-call 1..100000 dividing --deals, --people >= --teams >= 1" >&2
	exit 2
fi
calls=$((deals / per_call))
cmdline="bench/deals_bulk.sh --runs $runs --deals $deals --per-call $per_call --people $people --teams $teams --build $build --import $import"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
PY=/usr/bin/python3
helper() { "$PY" "$root/bench/deals_bench.py" "$@"; }
org=bench
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)
unset PGOPTIONS
log() { echo "deals_bulk.sh: $*" >&2; }

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
		log "FAILED (exit $rc); logs kept in $work"
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
DATABASE_URL=$db_url "$attainctl" seed --org "$org" --teams "$teams" --people "$people" >/dev/null
psql_ "$db_url" -c "VACUUM ANALYZE" # the statistics of the people the owner checks read, before the first run
read -r min max count < <(psql_ "$db_url" -At -F ' ' -c "SELECT min(id), max(id), count(*) FROM people WHERE org_id = '$org'")
[ $((max - min + 1)) = "$count" ] || { log "people ids of org $org are not contiguous"; exit 1; }

# ---- 3. the deals: the API's bodies and the same rows for COPY ----------------
log "generating $deals deals ($calls bodies of $per_call)"
columns=$(helper gen-bulk "$work" "$org" "$min" "$count" "$calls" "$per_call")
body_mb=$(du -cm "$work"/bulk-*.json | tail -1 | cut -f1)
[ "$import" = 0 ] || helper gen-ndjson "$work" "$calls"

# ---- 4. attaind -----------------------------------------------------------------
port=$(helper free-port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$attainctl" token --sub bench --org "$org" --roles service --ttl 86400)
attaind_env=("ATTAIN_LISTEN=127.0.0.1:$port" ATTAIN_THREADS=4 ATTAIN_DB_POOL=4 ATTAIN_LOG_LEVEL=warn
	ATTAIN_MIGRATE=off ATTAIN_STATEMENT_TIMEOUT_MS=300000 ATTAIN_MAX_BODY=67108864)
env DATABASE_URL="$db_url" ATTAIN_JWT_HS256_SECRET="$secret" "${attaind_env[@]}" "$attaind" >"$work/attaind.log" 2>&1 &
attaind_pid=$!
for i in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	kill -0 "$attaind_pid" 2>/dev/null || { log "attaind died:"; tail -n 50 "$work/attaind.log" >&2; exit 1; }
	[ "$i" = 100 ] && { log "attaind did not answer /healthz within 10 s"; exit 1; }
	sleep 0.1
done

# ---- 5. alternating runs, each side on an emptied table --------------------------
empty() {
	psql_ "$db_url" -c "SET client_min_messages = warning" -c "TRUNCATE deals, deal_splits, deal_history CASCADE" -c "VACUUM ANALYZE deals, deal_splits" -c "CHECKPOINT"
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$deals" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }
fingerprint() { # the stored deals, whichever way they came in
	psql_ "$db_url" -At -c "SELECT count(*), md5(string_agg(concat_ws('|', $columns, pushes, version), ',' ORDER BY external_id)) FROM deals WHERE org_id = '$org'"
}
run_bulk() { # -> seconds
	local t0 t1
	t0=$(now)
	for k in $(seq 0 $((calls - 1))); do
		code=$(curl -sS -o "$work/resp-$k.json" -w '%{http_code}' -H "Authorization: Bearer $token" \
			-H 'Content-Type: application/json' --data-binary @"$work/bulk-$k.json" \
			"http://127.0.0.1:$port/v1/deals/bulk")
		[ "$code" = 200 ] || { log "bulk call $k answered $code: $(head -c 500 "$work/resp-$k.json")"; exit 1; }
	done
	t1=$(now)
	for k in $(seq 0 $((calls - 1))); do helper check-bulk "$work/resp-$k.json" "$per_call"; done
	elapsed "$t0" "$t1"
}
run_import() { # -> seconds; the deals as one NDJSON file through attainctl import (batches of 100,000)
	local t0 t1
	t0=$(now)
	DATABASE_URL=$db_url "$attainctl" import deals "$work/deals.ndjson" --org "$org" --batch "$per_call" >"$work/import.out" 2>"$work/import.err" ||
		{ log "attainctl import failed: $(tail -n 5 "$work/import.err")"; exit 1; }
	t1=$(now)
	grep -q "created: $deals, updated: 0, unchanged: 0, rejected: 0" "$work/import.out" ||
		{ log "attainctl import: $(cat "$work/import.out")"; exit 1; }
	elapsed "$t0" "$t1"
}
run_copy() { # -> seconds; one psql, one COPY (one transaction) per body, like the calls
	local t0 t1 script=$work/copy.sql
	: >"$script"
	for k in $(seq 0 $((calls - 1))); do
		echo "\\copy deals ($columns) FROM '$work/copy-$k.tsv'" >>"$script"
	done
	t0=$(now)
	psql_ "$db_url" -f "$script" >/dev/null
	t1=$(now)
	elapsed "$t0" "$t1"
}
# A side after bulk in round $r, on an emptied table: its seconds, and the deals bulk stored.
other_side() { # name label run-function
	local secs fp
	empty
	secs=$($3)
	printf '%s\t%s\t%s\n' "$1" "$r" "$secs" >>"$work/results.tsv"
	fp=$(fingerprint)
	log "run $r/$runs $2: $secs s ($(rate "$secs") deals/s)"
	[ "$fp_bulk" = "$fp" ] || { log "bulk and $2 stored different deals: $fp_bulk vs $fp"; exit 1; }
}
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	empty
	secs=$(run_bulk)
	printf 'bulk\t%s\t%s\n' "$r" "$secs" >>"$work/results.tsv"
	fp_bulk=$(fingerprint)
	hist=$(psql_ "$db_url" -At -c "SELECT count(*) FROM deal_history WHERE org_id = '$org'")
	[ "$hist" = "$deals" ] || { log "bulk wrote $hist history rows, expected $deals"; exit 1; }
	log "run $r/$runs bulk: $secs s ($(rate "$secs") deals/s)"
	other_side copy COPY run_copy
	[ "$import" = 0 ] || other_side import import run_import
done
warn_lines=$(grep -c . "$work/attaind.log" || true)

# ---- report -----------------------------------------------------------------------
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + uncommitted changes"
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cat <<EOF

== CRM sync: POST /v1/deals/bulk vs COPY of the same rows into deals
command:  $cmdline
machine:  $(nproc) CPUs (nproc), $cpu, $mem RAM, Linux $(uname -r)
          curl, psql, attaind and PostgreSQL share these CPUs; load average before the start: $load0
versions: attaind $rev (release build, $build/), $(pg_config --version | sed 's/ (.*//')
data:     org $org ($teams teams, $people people); $deals deals in $calls bodies of $per_call
          (${body_mb} MB of JSON in all; 10 % with two split holders; bench/deals_bench.py gen-bulk)
bulk:     curl --data-binary @bulk-K.json POST /v1/deals/bulk, one call after the other, role service;
          each call: parse + check in C, COPY into a temp table, one INSERT .. ON CONFLICT upsert
          with its history rows (one 'created' row per deal)
COPY:     psql -f: per body one \\copy deals ($columns) FROM 'copy-K.tsv',
          the rows bulk stored
          (same table, indexes, constraints, foreign keys and triggers; no history rows)
check:    after each side the stored deals are fingerprinted (md5 of every column): identical
attaind:  ${attaind_env[*]:1}

$(helper report-bulk "$work/results.tsv" "$deals")

attaind log lines at warn or above: $warn_lines
EOF
