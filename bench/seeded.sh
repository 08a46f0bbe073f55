# bench/seeded.sh — sourced by bench/performance.sh and bench/replicas.sh, which read a generated
# org: their shared options, build and database.
#
#   seeded_options NAME "$@"   parse --deals --people --teams --runs --duration --connections --today
#                              --build --only --cache-mb into deals people teams runs duration conns
#                              today build only cache_mb (set the defaults first); defines PY, helper and log (NAME: prefix)
#   seeded_traps               on exit: stop the processes in pids, call bench_stop when defined,
#                              stop the cluster in pgdir, remove pgdir, the dirs in scratch, and work
#                              unless the script failed
#   seeded_build               scripts/deps --bench, a release build in $build; sets bin
#   seeded_pgdir PREFIX        sets pgdir: the --pgdir directory when given (kept), else a new
#                              temporary directory /tmp/PREFIX.XXXXXX, removed at exit
#   seeded_pg DIR DB           start a cluster in DIR on a free port (scripts/pg), create DB,
#                              migrate, seed the org `bench` ($teams teams, $people people, $deals
#                              deals up to $today) with attainctl, vacuum and analyse; sets pgport, admin_url,
#                              db and db_url. With --pgdir DIR (keep_pgdir) the cluster is kept
#                              there: a later run with the same --pgdir and the same --teams, --people,
#                              --deals and --today migrates it and reads it again, without seeding
#                              (a 10M-deal org takes 80 minutes to seed); other values are refused
seeded_options() {
	seeded_name=$1
	shift
	while [ $# -gt 0 ]; do
		case "$1" in
		--deals) deals=$2 ;; --people) people=$2 ;; --teams) teams=$2 ;; --runs) runs=$2 ;;
		--duration) duration=$2 ;; --connections) conns=$2 ;; --today) today=$2 ;; --build) build=$2 ;;
		--only) only=$2 ;; --cache-mb) cache_mb=$2 ;; --pgdir) keep_pgdir=$(realpath -m "$2") ;;
		*) echo "$seeded_name: unknown option $1" >&2; exit 2 ;;
		esac
		shift 2
	done
	PY=/usr/bin/python3
	pids=() scratch=()
	keep_pgdir=${keep_pgdir:-}
	while read -r v; do unset "$v"; done < <(compgen -e | grep '^ATTAIN_' || true)
}
helper() { "$PY" "$root/bench/people_get.py" "$@"; }
log() { echo "$seeded_name: $*" >&2; }

seeded_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
	if declare -F bench_stop >/dev/null; then bench_stop; fi
	"$root/scripts/pg" stop "$pgdir"
	[ -n "$keep_pgdir" ] || rm -rf "$pgdir"
	rm -rf "${scratch[@]}"
	[ "$rc" = 0 ] && rm -rf "$work" || log "FAILED (exit $rc); logs kept in $work"
	exit "$rc"
}
seeded_traps() {
	trap seeded_cleanup EXIT
	trap 'exit 130' INT
}

seeded_build() {
	scripts/deps --bench
	[ -f "$build/build.ninja" ] || meson setup "$build" -Dbuildtype=release >/dev/null
	ninja -C "$build" >/dev/null
	case "$build" in /*) bin=$build ;; *) bin=$root/$build ;; esac
}

seeded_pgdir() {
	if [ -n "$keep_pgdir" ]; then pgdir=$keep_pgdir; else pgdir=$(mktemp -d "/tmp/$1.XXXXXX"); fi
}

seeded_pg() {
	pgport=$(helper free-port)
	scripts/pg start "$1" "$pgport"
	admin_url=$(scripts/pg url "$1" "$pgport")
	db=$2
	db_url=${admin_url%/*}/$db
	local params="teams=$teams people=$people deals=$deals today=$today"
	if [ -n "$keep_pgdir" ] && [ -f "$1/seeded.params" ]; then
		if [ "$(cat "$1/seeded.params")" != "$params" ]; then
			log "$1 holds an org seeded with $(cat "$1/seeded.params"), not $params"
			return 1
		fi
		log "reusing the org seeded in $1 ($params)"
		DATABASE_URL=$db_url "$bin/attainctl" migrate >/dev/null
		psql -X -q "$db_url" -c "CHECKPOINT" -c "VACUUM ANALYZE" -c "CHECKPOINT"
		return 0
	fi
	psql -X -q -v ON_ERROR_STOP=1 "$admin_url" -c "CREATE DATABASE $db"
	DATABASE_URL=$db_url "$bin/attainctl" migrate >/dev/null
	log "seeding $teams teams, $people people, $deals deals up to $today"
	local t0
	t0=$(date +%s)
	DATABASE_URL=$db_url "$bin/attainctl" seed --org bench --teams "$teams" --people "$people" --deals "$deals" \
		--today "$today" >/dev/null
	log "seeded in $(($(date +%s) - t0)) s"
	# scripts/pg runs with synchronous_commit=off: until the seed's commit record is flushed,
	# VACUUM may not set its rows' hint bits, so it would leave every page of the tables it
	# reaches first (deals, people, quotas) out of the visibility map, and their index-only
	# scans fetching the heap (the quota tree: a heap page per quota). A checkpoint flushes it.
	psql -X -q "$db_url" -c "CHECKPOINT" -c "VACUUM ANALYZE" -c "CHECKPOINT"
	if [ -n "$keep_pgdir" ]; then echo "$params" >"$1/seeded.params"; fi
}
