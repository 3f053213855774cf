#!/usr/bin/env bash
# bench/pipeline/onboard_latency.sh: onboarding latency, from a
# symbol_onboarding_queue row's insert (created_at) to `completed`
# (completed_at), N symbols inserted one by one with plain SQL as the web app
# does (status pending, priority normal), at random intervals (uniform
# 0..MAX_GAP_MS, a fixed seed, printed), (a) while the system is idle and
# (b) while nightly runs of RUNSYMS stocks are in progress.
#   bench/pipeline/onboard_latency.sh [N] [RUNSYMS] [SEED] [-X worker-setting...]
# (defaults 100, 2000, 42; MAX_GAP_MS from the environment, default 500).
# Setup as run.sh (lib.sh): PostgreSQL, `sigmactl broker`, coordinator, two
# workers, the producer (the relay, -X onboarding.date=D); RUNSYMS stocks + the
# 8 ETFs x 260 days stored (synth + import-prices), so a run's prices phase
# answers at once and its factors and metrics phases do the work. The 2N
# onboarded stocks (S<RUNSYMS+1>..) are only behind the file:// Yahoo URL: the
# worker fetches a year of JSON, stores it, computes, and completes the row.
# (b): a run is requested and awaited in its factors phase, then the rows are
# inserted; a new run of the same date is requested as soon as one closes, so
# a run is open during the whole insertion. Reported: p50, p95 (interpolated)
# and max of completed_at - created_at, split into relay (created_at ->
# started_at: wake-up, claim, publish, acknowledgement, mark) and worker
# (started_at -> completed_at: consume, batch wait, row read, fetch, store,
# compute, the completing transaction). Targets: p95 <= 1 s idle, <= 3 s.
# Baseline, in the same run: the same work by hand, one process after the
# other, for BYHAND (10) more stocks, idle: `sigmactl fetch SYM -d` (a year of
# the same file:// JSON, stored) then `sigmactl compute --date D --symbols SYM
# --pipeline onboarding`; its p50 sits next to (a)'s in the BENCH summary
# lines (bench/summary.sh).
set -euo pipefail
n=${1:-100}
runsyms=${2:-2000}
seed=${3:-42}
gap=${MAX_GAP_MS:-500}
byhand=10
PRODUCER_X=(-X onboarding.date=2025-07-15)
. "$(dirname "$0")/lib.sh" onboard-latency

echo "== setup: $((runsyms + 2 * n + byhand)) stocks x 260 days (sigmactl synth), S0001..S$runsyms and the ETFs stored"
bench_prices $((runsyms + 2 * n + byhand)) "$runsyms"
echo "prices: $(q "SELECT count(*) FROM market_data_cache") rows, $(q "SELECT count(*) FROM symbol_universe") symbols registered"
echo "== the pipeline: broker, coordinator, 2 workers, producer (relay)"
bench_pipeline "${@:4}"

# The gaps, in seconds, one a line: uniform 0..gap ms, seeded.
gaps() { awk -v s="$1" -v n="$n" -v g="$gap" 'BEGIN { srand(s); for (i = 0; i < n; i++) printf "%.3f\n", rand() * g / 1000 }'; }
# insert TAG FIRST: N rows S<FIRST>.., one INSERT (its own psql) each, the gaps between.
insert() {
  local i=0 sym g
  while read -r g; do
    sym=$(printf 'S%04d' $(($2 + i)))
    q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('$sym')"
    echo "$1 $sym" >>"$work/inserted"
    i=$((i + 1))
    sleep "$g"
  done < <(gaps "$seed")
}
finished() { [[ $(q "SELECT count(*) FROM symbol_onboarding_queue WHERE symbol = ANY('{$1}') AND status IN ('pending', 'processing')") == 0 ]]; }
syms() { printf 'S%04d,' $(seq "$1" $(($1 + n - 1))) | sed 's/,$//'; }
# report LABEL FIRST [WHERE]: the figures of the rows S<FIRST>..
report() {
  local where="symbol = ANY('{$(syms "$2")}')${3:+ AND $3}"
  q "SELECT count(*) FILTER (WHERE status = 'completed'), count(*) FILTER (WHERE status <> 'completed')
     FROM symbol_onboarding_queue q WHERE $where" | {
    IFS='|' read -r ok bad
    echo "$1: $ok completed, $bad not completed"
  }
  q "WITH l AS (SELECT extract(epoch FROM completed_at - created_at) AS t, extract(epoch FROM started_at - created_at) AS r,
                       extract(epoch FROM completed_at - started_at) AS w
                FROM symbol_onboarding_queue q WHERE $where AND status = 'completed')
     SELECT 'total', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY t)::numeric, 3),
            round(percentile_cont(0.95) WITHIN GROUP (ORDER BY t)::numeric, 3), round(max(t)::numeric, 3) FROM l
     UNION ALL SELECT 'relay', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r)::numeric, 3),
            round(percentile_cont(0.95) WITHIN GROUP (ORDER BY r)::numeric, 3), round(max(r)::numeric, 3) FROM l
     UNION ALL SELECT 'worker', round(percentile_cont(0.5) WITHIN GROUP (ORDER BY w)::numeric, 3),
            round(percentile_cont(0.95) WITHIN GROUP (ORDER BY w)::numeric, 3), round(max(w)::numeric, 3) FROM l" |
    awk -F'|' '{ printf "  %-8s p50 %6.3f s   p95 %6.3f s   max %6.3f s\n", $1, $2, $3, $4 }'
}
echo "gaps: uniform 0..$gap ms, seed $seed: mean $(gaps "$seed" | awk '{ s += $1 } END { printf "%.0f ms", s * 1000 / NR }')"

a=$((runsyms + 1))
echo "== (a) idle: $n rows S$(printf %04d $a).. inserted one by one"
t0=$(now)
insert idle $a
await 300 finished "$(syms $a)"
t_a=$(echo "$(now) - $t0" | bc)
# The onboarded symbols are active in symbol_universe now: out of the runs' list again.
q "UPDATE symbol_universe SET is_active = false WHERE added_source = 'onboarding'"

b=$((runsyms + n + 1))
echo "== (b) during nightly runs of $runsyms stocks: $n rows S$(printf %04d $b).. inserted one by one"
runs=0
closed() { [[ $(q "SELECT count(*) FROM batch_run_history WHERE status <> 'running'") -ge $1 ]]; }
request() { "$bin/sigmactl" run --date $D -d "$ci" >/dev/null; runs=$((runs + 1)); }
in_factors() { [[ $(q "SELECT count(*) FROM sigma_runs WHERE closed_at IS NULL AND phase IN ('factors', 'metrics')") == 1 ]]; }
request
await 120 in_factors
touch "$work/inserting"
( insert run $b; rm -f "$work/inserting" ) &
ins=$!
pids+=($ins)
while [[ -e $work/inserting ]]; do
  if closed $runs; then request; fi
  sleep 0.05
done
wait $ins
await 300 finished "$(syms $b)"
await 300 closed $runs

echo
echo "== results (onboarding latency = completed_at - created_at)"
report "(a) idle ($t_a s from the first insert to the last completion)" $a
report "(b) during runs, all $n rows" $b
report "(b) rows inserted while a run was open" $b \
  "EXISTS (SELECT 1 FROM batch_run_history h WHERE q.created_at BETWEEN h.started_at AND h.completed_at)"
report "(b) rows inserted and completed within one open run" $b \
  "EXISTS (SELECT 1 FROM batch_run_history h WHERE q.created_at >= h.started_at AND q.completed_at <= h.completed_at)"
echo "runs during (b): $runs"
q "SELECT batch_run_id || ': ' || status || ', ' || total_jobs || ' jobs, ' || failed_jobs || ' failed, '
     || round(extract(epoch FROM completed_at - started_at)::numeric, 2) || ' s'
   FROM batch_run_history ORDER BY started_at" | sed 's/^/  /'
for w in w1 w2; do
  echo "$w: $(grep -c 'onboarding S.*: completed' "$work/$w.log") onboardings completed, $(grep -c 'batch:' "$work/$w.log") batches"
done
q "SELECT 'targets: idle p95 ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))::numeric, 3)
     || ' s (<= 1 s)' FROM symbol_onboarding_queue WHERE symbol = ANY('{$(syms $a)}')"
q "SELECT '         during runs p95 ' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM completed_at - created_at))::numeric, 3)
     || ' s (<= 3 s)' FROM symbol_onboarding_queue WHERE symbol = ANY('{$(syms $b)}')"
for p in "${wk[@]}" $coord $prod; do kill -TERM "$p"; done
for p in "${wk[@]}" $coord $prod; do wait "$p" || echo "bench: pid $p exited $?" >&2; done

# The baseline: the same onboarding by hand, the pipeline stopped (idle machine as in (a)).
c=$((runsyms + 2 * n + 1))
echo "== baseline: $byhand stocks S$(printf %04d $c).. by hand: sigmactl fetch -d, then compute --symbols"
for sym in $(printf 'S%04d ' $(seq $c $((c + byhand - 1)))); do
  t0=$(now)
  "$bin/sigmactl" fetch "$sym" --date $D -d "$ci" -X provider.order=yahoo \
    -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json" >/dev/null 2>>"$work/byhand.log"
  "$bin/sigmactl" compute --date $D --symbols "$sym" --pipeline onboarding -d "$ci" >/dev/null 2>>"$work/byhand.log"
  echo "$(now) - $t0" | bc
done >"$work/byhand"
p50() { sort -n | awk '{ a[NR] = $1 } END { printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
by_p50=$(p50 <"$work/byhand")
computed=$(q "SELECT count(DISTINCT symbol) FROM symbol_factor_exposures WHERE symbol = ANY('{$(syms $c | cut -d, -f1-$byhand)}')")
((computed == byhand)) || { echo "bench: by hand, $computed of $byhand symbols got factor rows" >&2; exit 1; }
echo "by hand: p50 $by_p50 s, max $(sort -n "$work/byhand" | tail -1 | xargs printf %.3f) s (fetch and compute, each a process; $computed symbols with factor rows)"
lat() { # WHERE: the latencies (s) of the completed rows, one a line
  q "SELECT extract(epoch FROM completed_at - created_at) FROM symbol_onboarding_queue WHERE status = 'completed' AND $1"
}
bench_summary onboard idle_p50 "$(lat "symbol = ANY('{$(syms $a)}')" | p50)" s "$by_p50" lower \
  "the same onboarding by hand: sigmactl fetch then compute --symbols, p50 of $byhand"
bench_summary onboard during_runs_p50 "$(lat "symbol = ANY('{$(syms $b)}')" | p50)" s "$by_p50" lower \
  "the same onboarding by hand, idle, p50 of $byhand"
