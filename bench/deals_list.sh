#!/usr/bin/env bash
# bench/deals_list.sh — a manager's pipeline page on a big database:
# GET /v1/deals?team_id=T&close_from=F&close_to=U through attaind (HTTP, real
# JWT) against pgbench running attaind's own SELECT with the same parameters,
# on --deals deals generated with generate_series (deterministic), in the same
# run, at the same concurrency. Prints req/s, p50 and p99 of both (medians of
# --runs runs), the ratio, and the EXPLAIN (ANALYZE, BUFFERS) of the query.
# See bench/README-deals.md.
#
#   bench/deals_list.sh [--runs 3] [--duration 10] [--connections 32]
#                       [--deals 10000000] [--people 10000] [--teams 1000]
#                       [--team-rank 12] [--from 2025-04-01] [--to 2025-06-30]
#                       [--build build-bench]
#
# --team-rank N picks the org's N-th team by id (with the default seed, 12 is
# a second-level team: itself and 10 child teams, 110 people). Starts and
# stops its own PostgreSQL cluster and attaind; leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=3 duration=10 conns=32 deals=10000000 people=10000 teams=1000 rank=12 from=2025-04-01 to=2025-06-30
build=build-bench warmup=3
usage() {
	sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}
while [ $# -gt 0 ]; do
	case "$1" in
	--runs) runs=${2:-} ;;
	--duration) duration=${2:-} ;;
	--connections) conns=${2:-} ;;
	--deals) deals=${2:-} ;;
	--people) people=${2:-} ;;
	--teams) teams=${2:-} ;;
	--team-rank) rank=${2:-} ;;
	--from) from=${2:-} ;;
	--to) to=${2:-} ;;
	--build) build=${2:-} ;;
	-h | --help) usage ;;
	*) echo "deals_list.sh: unknown option $1" >&2; usage ;;
	esac
	[ $# -ge 2 ] || { echo "deals_list.sh: $1 needs a value" >&2; exit 2; }
	shift 2
done
for v in runs duration conns deals people teams rank; do
	[[ ${!v} =~ ^[0-9]+$ ]] || { echo "deals_list.sh: numeric option expected, got '${!v}'" >&2; exit 2; }
done
for v in from to; do
	[[ ${!v} =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}$ ]] || { echo "deals_list.sh: --$v must be YYYY-MM-DD" >&2; exit 2; }
done
if [ "$runs" -lt 1 ] || [ "$duration" -lt 1 ] || [ "$teams" -lt 1 ] || [ "$people" -lt "$teams" ] ||
	[ "$rank" -lt 1 ] || [ "$rank" -gt "$teams" ] || [ "$conns" -lt 2 ] || [ "$conns" -gt 95 ]; then
	echo "deals_list.sh: need --runs, --duration >= 1, --people >= --teams >= --team-rank >= 1, --connections 2..95" >&2
	exit 2
fi
cmdline="bench/deals_list.sh --runs $runs --duration $duration --connections $conns --deals $deals --people $people --teams $teams --team-rank $rank --from $from --to $to --build $build"

load0=$(cut -d' ' -f1-3 /proc/loadavg)
PY=/usr/bin/python3
helper() { "$PY" "$root/bench/deals_bench.py" "$@"; }
org=bench
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)
unset PGOPTIONS
log() { echo "deals_list.sh: $*" >&2; }

# ---- 1. tools and a release build --------------------------------------------
scripts/deps --bench
[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release >/dev/null
buildtype=$(meson introspect --buildoptions "$build" |
	"$PY" -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"]=="buildtype"))')
[ "$buildtype" = release ] || { log "$build/ is a $buildtype build; use another --build or reconfigure with -Dbuildtype=release"; exit 1; }
ninja -C "$build" >/dev/null
attaind=$root/$build/attaind attainctl=$root/$build/attainctl

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

# ---- 3. the deals, straight from SQL -------------------------------------------
# Deal g: owner = person (g * 7919) mod people (about deals/people each), stage
# g mod 7 with that stage's defaults, close dates spread over 2024..2027, every
# 10th deal split 60/40 with another person. The secondary indexes are dropped
# for the load and rebuilt from their own definitions (pg_get_indexdef), and
# the load skips the triggers (session_replication_role = replica): every row
# is valid by construction, and deal_splits is filled from the splits arrays
# at the end, as the trigger would have.
log "generating $deals deals"
t0=$(date +%s)
psql_ "$db_url" -At -c "SELECT pg_get_indexdef(indexrelid) || ';' FROM pg_index
	WHERE indrelid = 'deals'::regclass AND NOT indisprimary" >"$work/indexes.sql"
psql_ "$db_url" -At -c "SELECT 'DROP INDEX ' || indexrelid::regclass || ';' FROM pg_index
	WHERE indrelid = 'deals'::regclass AND NOT indisprimary" | psql_ "$db_url"
chunk=1000000
for ((lo = 1; lo <= deals; lo += chunk)); do
	hi=$((lo + chunk - 1 < deals ? lo + chunk - 1 : deals))
	psql_ "$db_url" -c "SET session_replication_role = replica" -c "
	INSERT INTO deals (org_id, external_id, name, account, owner_id, segment, type, amount, stage,
		probability, forecast_category, status, close_date, created_on, split_person_ids, split_percents)
	SELECT '$org', 'bench-' || g, 'Deal ' || g, 'Account ' || g % 50000, o.owner,
		CASE WHEN g % 5 = 0 THEN 'b2c' ELSE 'b2b' END,
		(ARRAY['new_business', 'upsell', 'cross_sell', 'renewal'])[g % 4 + 1],
		((g * 104729) % 10000000 + 100) / 100.0, s.key, s.probability, s.forecast_category, s.status,
		date '2024-01-01' + ((g * 37) % 1461)::int, date '2024-01-01' + ((g * 37) % 1461)::int - (g % 120)::int,
		CASE WHEN g % 10 = 0 THEN ARRAY[least(o.owner, o.other), greatest(o.owner, o.other)] ELSE '{}' END,
		CASE WHEN g % 10 = 0 THEN CASE WHEN o.owner < o.other THEN '{60,40}' ELSE '{40,60}' END
		     ELSE '{}' END::numeric[]
	FROM generate_series($lo::bigint, $hi) g
	CROSS JOIN (SELECT min(id) AS first, count(*) AS n FROM people WHERE org_id = '$org') p
	CROSS JOIN LATERAL (SELECT p.first + (g * 7919) % p.n AS owner, p.first + (g * 7919 + 1) % p.n AS other) o
	JOIN (VALUES (0, 'prospecting', 10, 'pipeline', 'open'), (1, 'qualification', 20, 'pipeline', 'open'),
		(2, 'needs_analysis', 40, 'pipeline', 'open'), (3, 'proposal', 60, 'best_case', 'open'),
		(4, 'negotiation', 80, 'commit', 'open'), (5, 'closed_won', 100, 'closed', 'won'),
		(6, 'closed_lost', 0, 'omitted', 'lost'))
		AS s (i, key, probability, forecast_category, status) ON s.i = g % 7"
	log "  $hi deals"
done
log "rebuilding the indexes, filling deal_splits"
psql_ "$db_url" -c "SET maintenance_work_mem = '1GB'" -f "$work/indexes.sql"
psql_ "$db_url" -c "SET session_replication_role = replica" -c "INSERT INTO deal_splits (org_id, deal_id,
	person_id, close_date) SELECT d.org_id, d.id, p, d.close_date FROM deals d, unnest(d.split_person_ids) p
	WHERE d.split_person_ids <> '{}'"
psql_ "$db_url" -c "VACUUM ANALYZE deals, deal_splits" -c "CHECKPOINT"
gen_secs=$(($(date +%s) - t0))
db_size=$(psql_ "$db_url" -At -c "SELECT pg_size_pretty(pg_total_relation_size('deals'))")
splits_size=$(psql_ "$db_url" -At -c "SELECT count(*) || ' rows, ' || pg_size_pretty(pg_total_relation_size('deal_splits')) FROM deal_splits")

read -r team subtree members < <(psql_ "$db_url" -At -F ' ' -c "
	WITH t AS (SELECT id FROM teams WHERE org_id = '$org' ORDER BY id OFFSET $((rank - 1)) LIMIT 1),
	sub AS (SELECT * FROM (WITH RECURSIVE s(id) AS (SELECT id FROM t UNION
		SELECT c.id FROM teams c JOIN s ON c.parent_id = s.id WHERE c.org_id = '$org') SELECT id FROM s) x)
	SELECT (SELECT id FROM t), (SELECT count(*) FROM sub),
	       (SELECT count(*) FROM people WHERE org_id = '$org' AND team_id IN (SELECT id FROM sub))")

# ---- 4. attaind -----------------------------------------------------------------
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
	[ "$i" = 100 ] && { log "attaind did not answer /healthz within 10 s"; exit 1; }
	sleep 0.1
done
path="/v1/deals?team_id=$team&close_from=$from&close_to=$to"

# ---- 5. the pgbench side: attaind's own statement, read out of the binary ----------
# attaind takes stmt_deal_list_wide for a team of at least 50 people and 1 % of the org's
# when no close-date range is asked (internal/deals/store.c, deal_list and team_is_large),
# else stmt_deal_list: the same one here (this query always has a range: narrow; the rule is
# kept whole so that the script follows attaind if the query changes).
has_range=true
kind=$(psql_ "$db_url" -At -c "SELECT CASE WHEN NOT $has_range AND n >= 50 AND n * 100 >= a THEN 'wide' ELSE 'narrow' END FROM
	(SELECT (SELECT count(*) FROM people p JOIN team_closure c ON c.org_id = p.org_id AND c.team_id = p.team_id
	 WHERE p.org_id = '$org' AND c.ancestor_id = $team) AS n,
	 (SELECT count(*) FROM people WHERE org_id = '$org') AS a) x")
log "the team's list statement: $kind"
helper list-sql "$attaind" "$kind" >"$work/stmt_deal_list.sql"
helper pgbench-list "$work/stmt_deal_list.sql" >"$work/deals_list.pgbench"
matching=$(psql_ "$db_url" -At -c "WITH RECURSIVE s(id) AS (SELECT $team::bigint UNION SELECT c.id
	FROM teams c JOIN s ON c.parent_id = s.id WHERE c.org_id = '$org'),
	p AS (SELECT id FROM people WHERE org_id = '$org' AND team_id IN (SELECT id FROM s))
	SELECT count(*) FROM deals d WHERE d.org_id = '$org' AND d.close_date BETWEEN '$from' AND '$to'
	AND (d.owner_id IN (SELECT id FROM p) OR d.split_person_ids && (SELECT array_agg(id) FROM p))")
# Same answer both ways: the items of attaind's page are the JSON column of the SELECT.
via_http=$(curl -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path" |
	"$PY" -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["items"], sort_keys=True))')
sed 's/;$//' "$work/deals_list.pgbench" >"$work/check.sql"
via_sql=$(psql_ "$db_url" -At -v org="'$org'" -v team="$team" -v from="'$from'" -v to="'$to'" \
	-f "$work/check.sql" | head -n 100 | cut -d'|' -f1 |
	"$PY" -c 'import json,sys; print(json.dumps([json.loads(l) for l in sys.stdin], sort_keys=True))')
[ "$via_http" = "$via_sql" ] || { log "attaind's page and the pgbench SELECT disagree"; exit 1; }

# ---- 6. the plan (a fresh PREPARE: its first executions are planned for their values,
# as attaind's unprepared execution always is) ------------------------------------------
{
	echo "PREPARE deal_list AS $(cat "$work/stmt_deal_list.sql");"
	echo "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE deal_list('$org', 0, NULL, NULL, NULL, NULL, NULL, '$from', '$to', NULL, NULL, 101, $team, true, NULL, '{}');"
} >"$work/explain.sql"
psql_ "$db_url" -At -f "$work/explain.sql" >/dev/null # warm the cache first
plan=$(psql_ "$db_url" -At -f "$work/explain.sql")

# ---- 7. warm-up, then alternating runs --------------------------------------------
run_wrk() { # seconds tag -> "req/s p50 p99"
	wrk_cmd=(wrk -t2 -c"$conns" -d"$1"s --timeout 30s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path")
	"${wrk_cmd[@]}" >"$work/wrk-$2.out" 2>&1 || { log "wrk failed:"; cat "$work/wrk-$2.out" >&2; exit 1; }
	alive
	helper wrk "$work/wrk-$2.out"
}
pg_options="-c statement_timeout=30000 -c idle_in_transaction_session_timeout=30000 -c TimeZone=UTC"
run_pgbench() { # seconds tag -> "tps p50 p99"
	pgbench_cmd=(pgbench -n -M extended -c "$conns" -j 2 -T "$1" -D org="$org" -D team="$team"
		-D from="$from" -D to="$to" -f "$work/deals_list.pgbench" --log --log-prefix="$work/pgblog-$2"
		-h 127.0.0.1 -p "$pgport" -U postgres "$db")
	PGOPTIONS=$pg_options "${pgbench_cmd[@]}" >"$work/pgbench-$2.out" 2>&1 ||
		{ log "pgbench failed:"; cat "$work/pgbench-$2.out" >&2; exit 1; }
	helper pgbench "$work/pgbench-$2.out" "$work/pgblog-$2" "$conns"
}
log "warm-up: ${warmup}s each (not counted)"
run_wrk "$warmup" warmup >/dev/null
run_pgbench "$warmup" warmup >/dev/null
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	res=$(run_wrk "$duration" "run$r")
	printf 'attaind\t%s\t%s\n' "$r" "$res" >>"$work/results.tsv"
	log "run $r/$runs attaind: $res"
	res=$(run_pgbench "$duration" "run$r")
	printf 'pgbench\t%s\t%s\n' "$r" "$res" >>"$work/results.tsv"
	log "run $r/$runs pgbench: $res"
done
alive
warn_lines=$(grep -c . "$work/attaind.log" || true)

# ---- report -----------------------------------------------------------------------
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + uncommitted changes"
cpu=$(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //')
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
cat <<EOF

== GET /v1/deals?team_id&close_from&close_to on $deals deals: attaind vs the same SELECT in pgbench
command:  $cmdline
machine:  $(nproc) CPUs (nproc), $cpu, $mem RAM, Linux $(uname -r)
          wrk, pgbench, attaind and PostgreSQL share these CPUs; load average before the start: $load0
versions: attaind $rev (release build, $build/), $(pg_config --version | sed 's/ (.*//'), $(wrk -v 2>&1 | awk 'NR==1{print $1, $2}')
data:     org $org: $teams teams, $people people, $deals deals (deals table and indexes: $db_size;
          deal_splits: $splits_size; generated and indexed in ${gen_secs} s)
query:    GET $path (admin; first page, limit 100)
          team $team = rank $rank: $subtree teams, $members people; $matching deals match the filter
wrk:      wrk -t2 -c$conns -d${duration}s --timeout 30s --latency -H 'Authorization: Bearer <jwt>' http://127.0.0.1:PORT$path
pgbench:  PGOPTIONS='$pg_options' pgbench -n -M extended -c $conns -j 2 -T $duration -D org=$org -D team=$team -D from=$from -D to=$to -f deals_list.pgbench
          deals_list.pgbench = stmt_deal_list (read out of attaind) with attaind's parameters;
          -M extended: planned for its parameters on every execution, as attaind runs it
          (db_exec_planned: a cached generic plan would ignore the date range)
runs:     $runs x ${duration}s per side, alternating, after ${warmup}s warm-up of each

$(helper report-list "$work/results.tsv")

EXPLAIN (ANALYZE, BUFFERS) of the statement as attaind prepares it, with these parameters:
$plan

attaind log lines at warn or above: $warn_lines
EOF
