#!/usr/bin/env bash
# bench/availability.sh — the availability attacks of issue 13 against a live
# attaind on loopback, each for a bounded time, printing attaind's RSS and the
# latency of /healthz probes (from 127.0.0.1) during each:
#   20 and --uploads (1000) anonymous 32 MiB uploads, 20 authenticated ones,
#   --slow (1100) slowloris connections from 127.0.0.2 (a byte every 20 s)
#   held for --slow-seconds (70, past the 60 s idle timeout).
#
#   bench/availability.sh [--uploads 1000] [--slow 1100] [--slow-seconds 70] [--build build-bench]
#
# Starts and stops its own PostgreSQL cluster (scripts/pg) and attaind with the
# default settings (ATTAIN_THREADS=4); leaves nothing running.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

uploads=1000 slow=1100 slow_seconds=70 build=build-bench
while [ $# -gt 0 ]; do
	case "$1" in
	--uploads) uploads=${2:-} ;;
	--slow) slow=${2:-} ;;
	--slow-seconds) slow_seconds=${2:-} ;;
	--build) build=${2:-} ;;
	*) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
	shift 2
done
PY=/usr/bin/python3
log() { echo "availability.sh: $*" >&2; }
while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)

[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release >/dev/null
ninja -C "$build" >/dev/null
case "$build" in /*) bin=$build ;; *) bin=$root/$build ;; esac

pgdir=$(mktemp -d /tmp/attain-bench-pg.XXXXXX)
work=$(mktemp -d /tmp/attain-bench.XXXXXX)
attaind_pid=
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$attaind_pid" ] && kill -0 "$attaind_pid" 2>/dev/null; then
		kill -TERM "$attaind_pid" 2>/dev/null || true
		for _ in $(seq 100); do kill -0 "$attaind_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$attaind_pid" 2>/dev/null || true
		wait "$attaind_pid" 2>/dev/null || true
	fi
	"$root/scripts/pg" stop "$pgdir"
	rm -rf "$pgdir"
	[ "$rc" = 0 ] && rm -rf "$work" || log "FAILED (exit $rc); logs kept in $work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
scripts/pg start "$pgdir" "$pgport"
db_url=$(scripts/pg url "$pgdir" "$pgport")
port=$(free_port)
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
token=$(ATTAIN_JWT_HS256_SECRET=$secret "$bin/attainctl" token --sub bench --org bench --roles service --ttl 86400)
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
env DATABASE_URL="$db_url" ATTAIN_JWT_HS256_SECRET="$secret" ATTAIN_LISTEN="127.0.0.1:$port" ATTAIN_THREADS=4 \
	ATTAIN_LOG_LEVEL=warn "$bin/attaind" >"$work/attaind.log" 2>&1 &
attaind_pid=$!
for i in $(seq 100); do
	curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
	kill -0 "$attaind_pid" 2>/dev/null || { log "attaind died:"; tail -n 50 "$work/attaind.log" >&2; exit 1; }
	[ "$i" = 100 ] && { log "attaind did not answer /healthz within 10 s"; exit 1; }
	sleep 0.1
done
attack() { "$PY" "$root/bench/availability.py" "$@" --port "$port" --pid "$attaind_pid"; }
echo "attaind $(git rev-parse --short HEAD) ($build/), defaults, ATTAIN_THREADS=4; $(nproc) CPUs"
attack uploads --count 20 --seconds 60
attack uploads --count "$uploads" --seconds 120
attack uploads --count 20 --seconds 60 --token "$token"
attack slowloris --count "$slow" --seconds "$slow_seconds" --drip 20
