#!/usr/bin/env bash
# bench/leads_score.sh — POST /v1/leads/score (a stateless scoring) through two
# attaind builds in the same run: this checkout's release build and a baseline
# (another checkout's release build, e.g. before R_NOTX). Prints calls per
# second and p50/p99 of each (medians of --runs runs, alternating) and the
# ratio build / baseline. Loopback only; bounded by --runs x --duration.
#
#   bench/leads_score.sh --baseline DIR [--runs 5] [--duration 5]
#                        [--connections 4] [--warmup 2] [--build build-bench]
#
# DIR holds the baseline's attaind and attainctl (its build directory).
# Starts and stops its own PostgreSQL cluster (scripts/pg) and both attainds;
# each has its own database (migrated by its own attainctl) with the same
# data: 400 closed b2c leads and a model trained on them, so every score
# blends a trained probability. Exit status non-zero on any failure
# (a non-2xx answer included).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# options: --name value pairs, kept in opt[name]
declare -A opt=([runs]=5 [duration]=5 [connections]=4 [warmup]=2 [build]=build-bench [baseline]=)
while [ $# -gt 0 ]; do
	name=${1#--}
	if [ "$1" = "$name" ] || [ -z "${opt[$name]+set}" ] || [ $# -lt 2 ]; then
		sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
		exit 2
	fi
	opt[$name]=$2
	shift 2
done
for name in runs duration connections warmup; do
	[[ ${opt[$name]} =~ ^[1-9][0-9]*$ ]] || { echo "leads_score.sh: --$name must be a positive whole number" >&2; exit 2; }
done
runs=${opt[runs]} duration=${opt[duration]} conns=${opt[connections]} warmup=${opt[warmup]}
build=${opt[build]} baseline=${opt[baseline]}
[ -n "$baseline" ] && [ -x "$baseline/attaind" ] && [ -x "$baseline/attainctl" ] ||
	{ echo "leads_score.sh: --baseline DIR must hold attaind and attainctl" >&2; exit 2; }
[ "$conns" -ge 2 ] && [ "$conns" -le 64 ] || { echo "leads_score.sh: --connections must be 2..64" >&2; exit 2; }

PY=/usr/bin/python3
helper() { "$PY" "$root/bench/people_get.py" "$@"; }
log() { echo "leads_score.sh: $*" >&2; }
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)
unset PGOPTIONS

scripts/deps --bench
[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release >/dev/null
ninja -C "$build" >/dev/null
case "$build" in /*) bin=$build ;; *) bin=$root/$build ;; esac
base=$(realpath "$baseline")

pgdir=$(mktemp -d /tmp/attain-bench-pg.XXXXXX)
work=$(mktemp -d /tmp/attain-bench.XXXXXX)
pids=()
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	"$root/scripts/pg" stop "$pgdir"
	rm -rf "$pgdir"
	if [ "$rc" = 0 ]; then rm -rf "$work"; else log "FAILED (exit $rc); logs kept in $work"; fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pgport=$(helper free-port)
scripts/pg start "$pgdir" "$pgport"
admin_url=$(scripts/pg url "$pgdir" "$pgport")
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$bin/attainctl" token --sub bench --org bench --roles admin --ttl 86400)
auth=(-H "Authorization: Bearer $token")

# closed b2c leads whose conversion follows their channel and visits (deterministic)
"$PY" - >"$work/closed.ndjson" <<'PYEOF'
import json
x = 1
for i in range(400):
    x = (x * 1103515245 + 12345) % 2 ** 31
    ch = ("web", "ads", "fair")[i % 3]
    visits = (x >> 8) % 20
    p = {"web": 0.75, "ads": 0.45, "fair": 0.15}[ch] + (visits - 10) * 0.02
    print(json.dumps({"external_id": f"b-{i}", "segment": "b2c", "attributes": {"channel": ch, "visits": visits},
                      "status": "converted" if ((x >> 4) % 1000) / 1000 < p else "disqualified"}))
PYEOF

start() { # name bindir -> $port (attaind started, data loaded, model trained)
	local name=$1 dir=$2 url
	port=$(helper free-port)
	url=${admin_url%/*}/bench_$name
	psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE bench_$name"
	DATABASE_URL=$url "$dir/attainctl" migrate >/dev/null
	env DATABASE_URL="$url" ATTAIN_JWT_HS256_SECRET="$secret" ATTAIN_LISTEN="127.0.0.1:$port" \
		ATTAIN_THREADS=$((conns + 1)) ATTAIN_DB_POOL=$((conns + 1)) ATTAIN_MAX_CONCURRENT_PER_SUBJECT="$conns" \
		ATTAIN_MAX_CONCURRENT_PER_ORG="$conns" ATTAIN_LOG_LEVEL=warn ATTAIN_MIGRATE=off \
		"$dir/attaind" >"$work/attaind-$name.log" 2>&1 &
	pids+=($!)
	for i in $(seq 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
		[ "$i" = 100 ] && { log "$name: attaind did not start"; tail -n 20 "$work/attaind-$name.log" >&2; exit 1; }
		sleep 0.1
	done
	curl -fsS -o /dev/null "${auth[@]}" -H "Content-Type: application/x-ndjson" --data-binary "@$work/closed.ndjson" \
		"http://127.0.0.1:$port/v1/leads/bulk?atomic=true"
	# a training is a job (202 + Location) against this build; the baseline trains in the call
	local job state
	job=$(curl -fsS -D - -o /dev/null "${auth[@]}" -X POST "http://127.0.0.1:$port/v1/lead-scoring/models/b2c/train" |
		tr -d '\r' | sed -n 's/^Location: //Ip')
	while [ -n "$job" ]; do
		state=$(curl -fsS "${auth[@]}" "http://127.0.0.1:$port$job" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
		case "$state" in succeeded) break ;; failed) log "$name: the training failed"; exit 1 ;; esac
		sleep 0.2
	done
	# which learner serves (issue 12 item 5; a build before the trees has only the logistic one)
	curl -fsS "${auth[@]}" "http://127.0.0.1:$port/v1/lead-scoring/models/b2c/evaluation" |
		"$PY" -c 'import json,sys; print("'"$name"': serving", json.load(sys.stdin).get("learner", "logistic_regression"))' >&2
}
start build "$bin"
port_build=$port
start baseline "$base"
port_base=$port
log "attaind (this build) on :$port_build, baseline ($base) on :$port_base; $conns connections"

run() { # port tag seconds -> "req/s p50 p99"
	BENCH_TOKEN=$token wrk -t2 -c"$conns" -d"$3"s --latency -s bench/leads_score.lua "http://127.0.0.1:$1" \
		>"$work/wrk-$2.out" 2>&1 || { log "wrk failed:"; cat "$work/wrk-$2.out" >&2; exit 1; }
	helper wrk "$work/wrk-$2.out"
}
run "$port_build" warm-build "$warmup" >/dev/null
run "$port_base" warm-base "$warmup" >/dev/null
: >"$work/results.tsv"
for r in $(seq "$runs"); do
	printf 'build\t%s\n' "$(run "$port_build" "build-$r" "$duration")" >>"$work/results.tsv"
	printf 'baseline\t%s\n' "$(run "$port_base" "base-$r" "$duration")" >>"$work/results.tsv"
	log "run $r/$runs: $(tail -n 2 "$work/results.tsv" | tr '\n\t' '; ')"
done

rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || rev="$rev + uncommitted changes"
cat <<REPORT

== POST /v1/leads/score: this build against a baseline, $runs x ${duration}s each, alternating
machine:  $(nproc) CPUs, $(grep -m1 '^model name' /proc/cpuinfo | sed 's/.*: //'); wrk, both attainds and PostgreSQL share them
build:    $bin/attaind ($rev)
baseline: $base/attaind
wrk:      wrk -t2 -c$conns -d${duration}s --latency -s bench/leads_score.lua (after ${warmup}s warm-up of each)
REPORT
"$PY" - "$work/results.tsv" <<'PYEOF'
import statistics, sys
rows = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
med = {}
for side in ("build", "baseline"):
    v = [[float(x) for x in r[1:4]] for r in rows if r[0] == side]
    med[side] = [statistics.median(c) for c in zip(*v)]
    print(f"{side:9} calls/s per run: {', '.join(f'{x[0]:.0f}' for x in v)}")
print()
print("| side | calls/s (median) | p50 ms | p99 ms |")
print("|---|---|---|---|")
for side in ("baseline", "build"):
    m = med[side]
    print(f"| {side} | {m[0]:.0f} | {m[1]:.2f} | {m[2]:.2f} |")
print(f"\nratio build / baseline (median calls/s): {med['build'][0] / med['baseline'][0]:.2f}")
PYEOF
