#!/usr/bin/env bash
# bench/pipeline/bulk.sh: a night's prices phase for SYMBOLS stocks (default 10,000) and
# one new market day, through the whole pipeline (broker, PostgreSQL, producer,
# coordinator, two workers), fakeprov answering every request after LATENCY_MS (default
# 20): the same night twice in one run, side by side,
#   bulk        the day in one request (Polygon's grouped daily bars), one transaction;
#   per-symbol  provider.bulk=0: one request and one transaction per symbol (as before).
#   bench/pipeline/bulk.sh [SYMBOLS] [LATENCY_MS] [-X worker-setting...]
# Setup: `sigmactl synth` of SYMBOLS stocks + the 8 ETFs x 260 days up to the night
# before (2025-07-14), imported; GLD USO UUP (in every run's list) get SPY's, TLT's and
# IWM's rows, so every symbol of the run misses exactly 2025-07-15; the stocks are active
# in symbol_universe. fakeprov's bulk universe: the run's symbols and 2,000 tickers no run
# holds. Rate limits far above what is reached. Between the two nights the day's rows are
# deleted and last_price_date put back, and the producer restarted with the other setting.
# A warm-up run first (see below). Reported per night: requests made (fakeprov /_stats), the prices phase as the ledger
# records it (phase_durations.prices: from the run's opening to the last prices outcome),
# the wall time from `sigmactl run` to the factors phase, and the rows of the day; the
# two nights' rows must be equal (text). Ends with the BENCH summary lines
# (bench/summary.sh; the baseline is the per-symbol night).
set -euo pipefail
nsym=${1:-10000}
latency=${2:-20}
PRODUCER_X=()
. "$(dirname "$0")/lib.sh" bulk
bench_night_setup "$nsym" "$latency"

echo "== the pipeline: broker, coordinator, 2 workers, producer"
PRODUCER_X=("${PX[@]}" -v) # with bench_pipeline's own -v: the timing lines of the run's opening
bench_pipeline "${PX[@]}" "${@:3}"
restart_producer() { # [-X ...]
  kill -TERM "$prod"
  wait "$prod" || true
  "$bin/sigma-producer" -d "$ci" -X producer.poll_ms=100 "${PX[@]}" "$@" -v -v 2>>"$work/producer.log" &
  prod=$!
  pids+=($prod)
}
stat_of() { fp_get /_stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }
bulk_of() { fp_get /_stats | sed -n 's/.*"bulk":{"fmp":[0-9]*,"polygon":\([0-9]*\)}.*/\1/p'; }

# night NAME: the run of D, measured; a line of the table in $work/table, D's rows in $work/NAME.rows.
night() {
  local name=$1 t0 t_prices run
  fp_get /_reset >/dev/null
  t0=$(now)
  "$bin/sigmactl" run --date $D -d "$ci" >/dev/null
  opened() { [[ -n $(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date = '$D' AND closed_at IS NULL") ]]; }
  await 30 opened
  run=$(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date = '$D' AND closed_at IS NULL")
  prices_done() { [[ $(q "SELECT phase FROM sigma_runs WHERE batch_run_id = '$run'") != prices ]]; }
  closed() { [[ -n $(q "SELECT 1 FROM batch_run_history WHERE batch_run_id = '$run' AND status <> 'running'") ]]; }
  await 600 prices_done
  t_prices=$(echo "$(now) - $t0" | bc)
  local reqs bulk phase rows
  reqs=$(stat_of requests)
  bulk=$(bulk_of)
  await 600 closed
  phase=$(q "SELECT phase_durations->>'prices' FROM batch_run_history WHERE batch_run_id = '$run'")
  rows=$(q "SELECT count(*) FROM market_data_cache WHERE date = '$D'")
  phase_of[$name]=$phase
  tf_of[$name]=$t_prices
  psql "$ci" -XAtq -c "SELECT symbol, date, open, high, low, close, volume, data_source FROM market_data_cache
    WHERE date = '$D' ORDER BY symbol COLLATE \"C\"" >"$work/$name.rows"
  printf '%-11s %9s %9s %9s %14s %16s %8s  %s\n' "$name" "$reqs" "$bulk" $((reqs - bulk)) "$phase" "$t_prices" "$rows" \
    "$(q "SELECT status || ', ' || count(*) FILTER (WHERE o.reason LIKE 'covered by the bulk%') || ' covered by bulk, '
        || count(*) FILTER (WHERE o.reason NOT LIKE 'covered by the bulk%' AND o.outcome = 'ok') || ' alone, '
        || count(*) FILTER (WHERE o.outcome = 'failed') || ' failed'
        FROM batch_run_history h JOIN sigma_run_outcomes o ON o.batch_run_id = h.batch_run_id AND o.phase = 'prices'
        WHERE h.batch_run_id = '$run' GROUP BY status")" >>"$work/table"
}
declare -A phase_of tf_of
reset_day() {
  q "DELETE FROM market_data_cache WHERE date = '$D'"
  q "UPDATE symbol_universe SET last_price_date = '$prev' WHERE last_price_date = '$D'"
  q "VACUUM ANALYZE market_data_cache, symbol_universe" >/dev/null
}

bench_warmup
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== night 1: bulk"
night bulk
echo "== night 2: per symbol (provider.bulk=0)"
reset_day
restart_producer -X provider.bulk=0
night per-symbol
same=$(cmp -s "$work/bulk.rows" "$work/per-symbol.rows" && echo equal || echo DIFFERENT)

echo
echo "bench/pipeline/bulk.sh: $nsym stocks + the run's ETFs, one new market day ($D), ${latency} ms per response, $(nproc) cores"
echo "load average (1, 5, 15 min) before the first night: $load0; after the second: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-11s %9s %9s %9s %14s %16s %8s  %s\n' night requests bulk "per-symbol" "prices phase s" "run -> factors s" \
  "rows" "run"
cat "$work/table"
echo "the two nights' rows of $D: $same"
grep -h 'timing: open' "$work"/producer.log | sed 's/.*timing: /producer: /' || true
grep -h 'timing: bulk' "$work"/w1.log "$work"/w2.log | sed 's/.*timing: /worker: /' || true
fakeprov_stop
bench_summary bulk prices_phase "${phase_of[bulk]}" s "${phase_of[per-symbol]}" lower \
  "the same night per symbol (provider.bulk=0), same run"
bench_summary bulk run_to_factors "${tf_of[bulk]}" s "${tf_of[per-symbol]}" lower "the same night per symbol"
