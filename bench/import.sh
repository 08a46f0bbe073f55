#!/usr/bin/env bash
# bench/import.sh — attainctl import against the CRM sync it stands for:
# the deals of bench/deals_bulk.sh (its generator, bench/deals_bench.py
# gen-bulk) through POST /v1/deals/bulk, COPY, and `attainctl import deals`
# of the same deals as one NDJSON file, in the same run, each on an emptied
# table, with the stored deals fingerprinted identical. Prints deals/s of
# each and the ratio import / bulk (the target: >= 0.8x).
#
#   bench/import.sh [--runs 3] [--deals 1000000] [--per-call 100000] ...
#                   (the options of bench/deals_bulk.sh)
set -euo pipefail
exec "$(dirname "$0")/deals_bulk.sh" --import 1 "$@"
