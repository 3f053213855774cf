#!/usr/bin/env bash
# bench/fetch: SYMBOLS symbols x 1 year from fakeprov (tests/fixtures/fakeprov.c), a local
# server answering in Yahoo's chart v8 format after a fixed latency per response.
#   bench/fetch/run.sh [SYMBOLS] [LATENCY_MS] [PARALLEL...]     (defaults: 1000 20 16 64)
# For each http.parallel, three ways:
#   engine  sg_fetch_run alone (fetchonly.c: transfers and parsing, nothing written)
#   csv     sigmactl fetch --csv (no database: fetching plus writing the CSV)
#   db      sigmactl fetch -d (a throwaway PostgreSQL, emptied before each run: fetch windows,
#           fetching, one transaction per symbol)
#   curl    the baseline: curl --parallel --parallel-max PARALLEL, the same requests (the same
#           URLs, Yahoo's, a year each), bodies to /dev/null: transfers only, nothing parsed
# and reports symbols/s against the limit concurrency sets: every transfer holds one of the
# `parallel` slots for at least the latency, so parallel / latency symbols per second at most.
# Yahoo only, with a rate limit far above what the run can reach. The fixture generates each
# body once (a warm-up run) and serves copies after, so it costs the client little CPU.
# Ends with the BENCH summary lines (bench/summary.sh): each mode's symbols/s against curl's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/summary.sh"
nsym=${1:-1000}
latency=${2:-20}
shift 2 || shift $#
parallels=("$@")
((${#parallels[@]})) || parallels=(16 64)
date=2025-07-15
from=2024-07-15
"$root/scripts/deps.sh"
"$root/scripts/build.sh" "$root/build" >/dev/null
sigmactl=$root/build/bin/sigmactl
. "$root/tests/fixtures/fakeprov.sh"
work=$(mktemp -d /tmp/sigma-bench-fetch.XXXXXX)
chmod 755 "$work"
ci=$("$root/scripts/pg.sh" start "$work/pg")
trap 'fakeprov_stop || true; "$root/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
export SIGMA_MIGRATIONS=$root/migrations
"$sigmactl" migrate up -d "$ci" >/dev/null
fetchonly=$root/build/tests/fetchonly # bench/fetch/fetchonly.c, built with the tests
fakeprov_start "$root/build/tests/fakeprov" "$work" --latency-ms "$latency"
mapfile -t urls < <(fakeprov_urls)
symbols=()
for i in $(seq 1 "$nsym"); do symbols+=("$(printf 'B%04d' "$i")"); done
settings=(-X provider.order=yahoo -X provider.yahoo.rate=100000 -X provider.yahoo.burst=100000)
# curl's config: one URL a symbol, the window the fetcher asks for (Yahoo's period1..period2:
# the sessions from $from to $date inclusive), bodies discarded.
p1=$(date -ud "$from" +%s)
p2=$(date -ud "$date + 1 day" +%s)
for s in "${symbols[@]}"; do
  printf 'url = "%s/v8/finance/chart/%s?period1=%s&period2=%s&interval=1d&events=history"\noutput = /dev/null\n' \
    "$fp_url" "$s" "$p1" "$p2"
done >"$work/curl.cfg"

now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
stat_of() { fp_get /_stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }

run() { # MODE PARALLEL: prints one result line
  local mode=$1 par=$2 t0 t1 rc=0 rows secs rate limit
  [[ $mode == db ]] && psql "$ci" -XAtq -c "TRUNCATE market_data_cache, symbol_universe CASCADE" >/dev/null 2>&1
  fp_get /_reset >/dev/null
  t0=$(now)
  case $mode in
  engine) "$fetchonly" $from $date "${symbols[@]}" "${urls[@]}" "${settings[@]}" -X http.parallel="$par" ;;
  csv) "$sigmactl" fetch "${symbols[@]}" --date $date --csv "$work/out.csv" "${urls[@]}" "${settings[@]}" \
         -X http.parallel="$par" ;;
  db) "$sigmactl" fetch "${symbols[@]}" --date $date -d "$ci" "${urls[@]}" "${settings[@]}" -X http.parallel="$par" ;;
  curl) curl -sS --fail --parallel --parallel-max "$par" -w '%{size_download}\n' -K "$work/curl.cfg" ;;
  esac >"$work/stdout" 2>"$work/stderr" || rc=$?
  t1=$(now)
  ((rc == 0)) || { cat "$work/stderr"; grep -v ' rows ' "$work/stdout" | head; echo "$mode failed ($rc)"; exit 1; }
  case $mode in
  engine) rows=$(awk '{ print $6 }' "$work/stdout") ;;
  csv) rows=$(($(wc -l <"$work/out.csv") - 1)) ;;
  db) rows=$(psql "$ci" -XAtq -c "SELECT count(*) FROM market_data_cache") ;;
  curl) rows=$(awk '{ b += $1 } END { printf "%.0fKB", b / 1024 }' "$work/stdout") ;;
  esac
  [[ $mode == engine || $mode == curl ]] || (($(grep -c ' rows ' "$work/stdout") == nsym)) || { echo "$mode: not all served"; exit 1; }
  secs=$(calc %.3f "$t1 - $t0")
  rate=$(calc %.0f "$nsym / $secs")
  limit=$(calc %.0f "$par / ($latency / 1000)")
  printf '%-8s %8s %8.3f %8s %10s %7s %9s %6s %6s %6s\n' "$mode" "$par" "$secs" "$rows" "$rate" "$limit" \
    "$(calc %.0f%% "100 * $rate / $limit")" "$(stat_of requests)" "$(stat_of connections)" \
    "$(stat_of max_open_connections)"
  rate_of[$mode]=$rate
}
declare -A rate_of

echo "bench/fetch: $nsym symbols x 1 year ($from..$date), Yahoo format, ${latency} ms per response, $(nproc) cores"
"$fetchonly" $from $date "${symbols[@]}" "${urls[@]}" "${settings[@]}" -X http.parallel=64 >/dev/null # warm-up
printf '%-8s %8s %8s %8s %10s %7s %9s %6s %6s %6s\n' mode parallel seconds rows "symbols/s" limit "of limit" reqs \
  conns "open"
for par in "${parallels[@]}"; do
  for mode in curl engine csv db; do run $mode "$par"; done
  for mode in engine csv db; do
    bench_summary fetch "${mode}_p$par" "${rate_of[$mode]}" symbols/s "${rate_of[curl]}" higher \
      "curl --parallel --parallel-max $par, the same $nsym requests, bodies discarded"
  done
done
fakeprov_stop
