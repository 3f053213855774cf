#!/usr/bin/env bash
# bench/pipeline: the nightly run's factors and metrics phases through the
# broker and PostgreSQL, two workers on this machine, side by side with
# `sigmactl compute --date D` of the same date in one process (the floor).
#   bench/pipeline/run.sh [SYMBOLS]        (default 10000 stocks)
# Prices are already stored (sigmactl synth + import-prices), every stock
# registered active in symbol_universe. The prices phase then answers at once:
# every symbol holds D, so its fetch window is empty and nothing is fetched
# (GLD USO UUP, in every run's list, have no file behind the file:// Yahoo URL
# and fail at once). The clock runs from `sigmactl run` to `completed`.
# compute runs first, its rows are kept as text and removed, then the run
# writes them again into the same empty tables; the two sets must be equal.
# Ends with the BENCH summary line (bench/summary.sh; baseline: compute).
set -euo pipefail
nsym=${1:-10000}
PRODUCER_X=()
. "$(dirname "$0")/lib.sh" pipeline
stored() {
  psql "$ci" -X --csv -c "SELECT e.symbol, f.name, e.calculation_date, e.beta_value, e.r_squared, e.observations,
      e.calculation_method, e.quality_flag, e.regularization_alpha, e.regression_window_days
    FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
    ORDER BY e.symbol COLLATE \"C\", f.name COLLATE \"C\""
  psql "$ci" -XAtq -c "SELECT (to_jsonb(m) - 'updated_at' - 'created_at' - 'id')::text
    FROM symbol_daily_metrics m ORDER BY symbol COLLATE \"C\""
}

echo "== setup: $nsym stocks x 260 days (sigmactl synth), import-prices, symbol_universe"
bench_prices "$nsym"
echo "prices: $(q "SELECT count(*) FROM market_data_cache") rows, $(q "SELECT count(*) FROM symbol_universe") symbols registered"

echo "== the floor: sigmactl compute --date $D (one process)"
t0=$(now)
"$bin/sigmactl" compute --date $D -d "$ci" -v >/dev/null 2>"$work/compute.log"
t_compute=$(echo "$(now) - $t0" | bc)
compute_split=$(grep 'timing:' "$work/compute.log" | sed 's/.*timing: //')
stored >"$work/want"
q "TRUNCATE symbol_factor_exposures, symbol_daily_metrics"
q "VACUUM ANALYZE symbol_factor_exposures, symbol_daily_metrics, symbol_universe" >/dev/null

echo "== the pipeline: broker, coordinator, 2 workers, producer"
bench_pipeline "${@:2}"

t0=$(now)
"$bin/sigmactl" run --date $D -d "$ci" >/dev/null
closed() { [[ -n $(q "SELECT status FROM batch_run_history WHERE status <> 'running'") ]]; }
await 300 closed
t_run=$(echo "$(now) - $t0" | bc)
run=$(q "SELECT batch_run_id FROM batch_run_history")
status=$(q "SELECT status || ' ' || total_jobs || ' jobs, ' || failed_jobs || ' failed' FROM batch_run_history")
durations=$(q "SELECT phase_durations::text FROM batch_run_history")
rss=()
for p in "${wk[@]}"; do rss+=("$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' /proc/$p/status) MB"); done
rss_c=$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' /proc/$coord/status)
for p in "${wk[@]}" $coord $prod; do kill -TERM "$p"; done
for p in "${wk[@]}" $coord $prod; do wait "$p" || echo "bench: pid $p exited $?" >&2; done
stored >"$work/got"
same=$(cmp -s "$work/want" "$work/got" && echo "equal" || echo "DIFFERENT")

echo
printf '%-52s %8s\n' "" seconds
printf '%-52s %8.2f\n' "sigmactl compute --date $D (the floor)" "$t_compute"
printf '%-52s %8.2f\n' "pipeline: sigmactl run -> completed (2 workers)" "$t_run"
printf '%-52s %8.2fx\n' "ratio" "$(echo "$t_run / $t_compute" | bc -l)"
echo
echo "run $run: $status; rows $same to compute's ($(wc -l <"$work/got") lines)"
echo "phase durations: $durations"
echo "compute split: $compute_split"
q "SELECT phase, count(*) AS tasks, round(extract(epoch FROM max(recorded_at) - min(recorded_at))::numeric, 2)
     AS first_to_last_s, round(avg(elapsed_ms)) AS avg_batch_ms FROM sigma_run_outcomes GROUP BY phase ORDER BY min(recorded_at)" |
  sed 's/^/ledger (phase|tasks|first..last outcome s|avg elapsed ms): /'
for n in w1 w2; do
  for ph in factors metrics; do
    grep "timing: $ph" "$work/$n.log" | awk -v n=$n -v ph=$ph '{ for (i = 1; i <= NF; i++) {
        if ($i == "read") r += $(i + 1); if ($i == "engine") e += $(i + 1); if ($i == "write") w += $(i + 1) } b++ }
      END { printf "%s %s: %d batches, read %.0f ms, engine %.0f ms, write %.0f ms\n", n, ph, b, r, e, w }'
  done
  echo "$n: $(grep -c 'batch:' "$work/$n.log") batches, $(grep -c 'kafka rebalance' "$work/$n.log") rebalance lines"
done
grep 'timing:' "$work/coordinator.log" | awk '{ for (i = 1; i <= NF; i++) { if ($i == "record") r += $(i + 1)
    if ($i == "offsets") f += $(i + 1); if ($i == "events:") e += $(i - 1) } b++ }
  END { printf "coordinator: %d batches, %d events: record %.0f ms, fan-out and offsets %.0f ms\n", b, e, r, f }'
echo "peak RSS (VmHWM): w1 ${rss[0]}, w2 ${rss[1]}, coordinator $rss_c MB"
bench_summary pipeline night_wall "$t_run" s "$t_compute" lower "sigmactl compute --date $D, one process, same database"
