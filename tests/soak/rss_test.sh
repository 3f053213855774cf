#!/usr/bin/env bash
# soak.rss: one long-running sigma-worker, sigma-coordinator and sigma-producer
# across NIGHTS nightly runs in a row, and the worker's resident memory after
# each one must stay flat.
#   rss_test.sh BINDIR FAKEPROV SOURCE_DIR NIGHTS [STOCKS]
# A throwaway PostgreSQL, `sigmactl broker`, fakeprov over http (Yahoo's format,
# a deterministic price path per symbol: each night's bar continues the
# history). STOCKS stocks (default 300) and the factor ETFs get a year of history
# up to D0 = 2025-07-03 (sigmactl fetch, before any program starts), then
# `sigmactl run --date D` for the trading days from 2025-07-07 on (weekdays: NYSE
# has no holiday from 2025-07-07 to 2025-08-29, so NIGHTS <= 40), each awaited
# until its run is closed. Every night must complete with no failed job and
# fetch one new day per symbol: its window is [last_price_date, D] (the last
# stored day is fetched again: 2 bars written), and last_price_date becomes D.
#
# After each night: VmRSS and RssAnon (/proc/PID/status) of the three programs.
# The rule, for the worker's VmRSS and its RssAnon (docs: tests/soak/README.md):
#   nights 1-3 are warm-up (the first batches grow malloc's arenas, librdkafka's
#   buffers, libcurl's connection cache, the pages of code first run), then over
#   nights 4..NIGHTS: max - (value after night 4) <= max(2 MiB, 5 %), and the
#   least-squares slope < 64 KiB per night.
# The coordinator's and the producer's series are printed and checked by the
# same rule (they do far less work a night, so their figures are smaller still).
# The worker's VmHWM (its peak) is printed, not judged: it is a high-water mark,
# and a night whose tasks happen to come in one larger batch raises it for good.
set -euo pipefail
bin=$1
fakeprov=$2
src=$3
NIGHTS=$4
STOCKS=${5:-300}
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" soak-rss
trap 'fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT
((NIGHTS >= 10 && NIGHTS <= 40)) || fail "NIGHTS: $NIGHTS is not 10..40 (the slope wants 7 judged nights or more)"
LOG_TAIL=10
D0=2025-07-03
WARM=3 # nights of warm-up, not judged
KX=(-X session.timeout.ms=6000)
ETFS="SPY VTV VUG MTUM QUAL IWM USMV TLT GLD USO UUP"

# the trading days: NIGHTS weekdays from 2025-07-07
days=()
d=2025-07-07
while ((${#days[@]} < NIGHTS)); do
  (($(date -ud "$d" +%u) <= 5)) && days+=("$d")
  d=$(date -ud "$d + 1 day" +%F)
done

# rss PID: "VmRSS RssAnon" in KiB
rss() { awk '/^VmRSS:/ { v = $2 } /^RssAnon:/ { a = $2 } END { print v, a }' "/proc/$1/status"; }
hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"; } # PID: the peak VmRSS so far, KiB

# flat NAME COLUMN: the rule above on a column of $work/rss.txt (KiB); prints the figures
flat() {
  awk -v name="$1" -v c="$2" -v warm=$WARM '
    $1 > warm { n++; x = $1; y = $c; if (n == 1) base = y; if (y > max) max = y
                sx += x; sy += y; sxx += x * x; sxy += x * y }
    END {
      slope = (n * sxy - sx * sy) / (n * sxx - sx * sx)
      allowed = base * 0.05 > 2048 ? base * 0.05 : 2048
      ok = max - base <= allowed && slope < 64
      printf "%-22s after night %d %7.1f MiB, max %7.1f MiB (+%d KiB, allowed %d), slope %+6.1f KiB/night: %s\n",
             name, warm + 1, base / 1024, max / 1024, max - base, allowed, slope, ok ? "flat" : "GROWS"
      exit !ok
    }' "$work/rss.txt"
}

start_pg
"$bin/sigmactl" migrate up -d "$ci" >/dev/null
fakeprov_start "$fakeprov" "$work" || fail "fakeprov"
mapfile -t PX < <(fakeprov_urls)
PX+=(-X provider.order=yahoo -X provider.yahoo.rate=1000 -X provider.yahoo.burst=100)
stocks=$(seq -f 'T%04g' 1 "$STOCKS")
# a year of history up to D0, every symbol registered active (as sigmactl fetch does)
"$bin/sigmactl" fetch $stocks $ETFS --date $D0 -d "$ci" --provider yahoo "${PX[@]}" >"$work/history.out" 2>>"$work/history.log" ||
  fail "history up to $D0"
start_broker "$bin/sigmactl" 4

start_coordinator coordinator
coord=$last
start_worker w1
worker=$last
start_producer producer
prod=$last
await 60 assigned_all 8 "$work/w1.log" || fail "the worker never got its 8 partitions"

: >"$work/rss.txt"
printf '%5s %-10s %6s | %-17s | %-17s | %-17s | %s\n' night date secs "worker KiB" "coordinator KiB" "producer KiB" worker
printf '%5s %-10s %6s | %8s %8s | %8s %8s | %8s %8s | %8s\n' "" "" "" VmRSS RssAnon VmRSS RssAnon VmRSS RssAnon VmHWM
n=$((STOCKS + 11)) # the prices tasks: the stocks and every factor ETF
for i in "${!days[@]}"; do
  D=${days[i]}
  t_request=$(date +%s.%N)
  "$bin/sigmactl" run --date $D -d "$ci" >>"$work/run.out" 2>>"$work/run.log" || fail "sigmactl run --date $D"
  await_run
  RUN_S=300 await_finished >/dev/null
  is "SELECT status || ' ' || failed_jobs FROM batch_run_history WHERE batch_run_id = '$run'" "completed 0" ||
    fail "night $D: $(q "SELECT status, failed_jobs, error_summary FROM batch_run_history WHERE batch_run_id = '$run'")"
  is "SELECT count(*) FILTER (WHERE rows_written = 2) || ' ' || count(*) FROM sigma_run_outcomes
      WHERE batch_run_id = '$run' AND phase = 'prices'" "$n $n" ||
    fail "night $D: not the last day and D for every symbol: $(q "SELECT rows_written, count(*) FROM sigma_run_outcomes
      WHERE batch_run_id = '$run' AND phase = 'prices' GROUP BY 1")"
  is "SELECT count(*) FROM symbol_universe WHERE last_price_date = '$D'" "$n" || fail "night $D: last_price_date"
  for p in "$worker" "$coord" "$prod"; do alive "$p" || fail "a program died on night $D"; done
  secs=$(echo "$(date +%s.%N) - $t_request" | bc)
  echo "$((i + 1)) $D $(rss "$worker") $(rss "$coord") $(rss "$prod") $(hwm "$worker")" >>"$work/rss.txt"
  tail -1 "$work/rss.txt" | awk -v s="$secs" '{ printf "%5d %-10s %6.1f | %8d %8d | %8d %8d | %8d %8d | %8d\n",
    $1, $2, s, $3, $4, $5, $6, $7, $8, $9 }'
done

echo "== the rule: nights 1-$WARM warm-up; then max - night $((WARM + 1)) <= max(2 MiB, 5 %), slope < 64 KiB/night"
ok=0
flat "worker VmRSS" 3 || ok=1
flat "worker RssAnon" 4 || ok=1
flat "coordinator VmRSS" 5 || ok=1
flat "coordinator RssAnon" 6 || ok=1
flat "producer VmRSS" 7 || ok=1
flat "producer RssAnon" 8 || ok=1
((ok == 0)) || fail "resident memory grows across the nights"
STOP_S=60 stop_all
fakeprov_stop || fail "fakeprov did not exit cleanly"
echo "soak.rss ($NIGHTS nights, $STOCKS stocks): ok"
