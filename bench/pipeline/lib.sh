# bench/pipeline's shared setup, sourced by run.sh and onboard_latency.sh:
#   . lib.sh NAME
# Sets root, bin, D, work (removed on exit; the logs are copied to
# /tmp/sigma-bench-NAME-logs), pids (SIGKILLed on exit), ci (a throwaway
# PostgreSQL, migrated by bench_prices); defines q, await, now, bench_prices
# and bench_pipeline; sources bench/summary.sh (bench_summary).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$root/bench/summary.sh"
bench_name=$1
D=2025-07-15
"$root/scripts/deps.sh" --test >/dev/null
"$root/scripts/build.sh" "$root/build" >/dev/null
bin=$root/build/bin
export SIGMA_MIGRATIONS=$root/migrations
work=$(mktemp -d "/tmp/sigma-bench-$bench_name.XXXXXX")
chmod 755 "$work"
pids=()
ci=$("$root/scripts/pg.sh" start "$work/pg")
cleanup() {
  local p
  mkdir -p "/tmp/sigma-bench-$bench_name-logs" && cp "$work"/*.log "/tmp/sigma-bench-$bench_name-logs/" 2>/dev/null || true
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  "$root/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
q() { psql "$ci" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
await() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    (($(date +%s) < end)) || { echo "bench: timed out waiting for: $*" >&2; tail -5 "$work"/*.log >&2; exit 1; }
    sleep 0.05
  done
}
now() { date +%s.%N; }

# bench_prices NSYM [STORED]: `sigmactl synth` of NSYM stocks (and the 8 ETFs)
# x 260 days ending D under $work/synth (its Yahoo JSON serves the workers);
# the rows of the ETFs and of stocks S0001..S<STORED> (default all) stored with
# import-prices, the stored stocks registered active in symbol_universe.
bench_prices() {
  "$bin/sigmactl" migrate up -d "$ci" >/dev/null
  "$bin/sigmactl" synth --symbols "$1" --days 260 --end $D --out "$work/synth" >/dev/null
  if [[ -n ${2:-} ]]; then
    awk -F, -v m="$2" '!($1 ~ /^S[0-9]+$/ && substr($1, 2) + 0 > m)' "$work/synth/prices.csv" >"$work/stored.csv"
  else
    ln -s "$work/synth/prices.csv" "$work/stored.csv"
  fi
  "$bin/sigmactl" import-prices "$work/stored.csv" -d "$ci" >/dev/null
  q "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source)
     SELECT DISTINCT symbol, 'stock', true, 'bench' FROM market_data_cache
     WHERE symbol NOT IN ('SPY', 'VTV', 'VUG', 'MTUM', 'QUAL', 'IWM', 'USMV', 'TLT')
     ON CONFLICT (symbol) DO UPDATE SET is_active = true"
  q "VACUUM ANALYZE" >/dev/null
}

# bench_pipeline [-X worker-setting...]: `sigmactl broker` (12 partitions), a
# coordinator, workers w1 and w2 (Yahoo through file:// URLs into $work/synth,
# -v -v), their first assignment awaited, then a producer with
# PRODUCER_X (an array of -X settings, may be unset). Sets SIGMA_BROKERS, coord,
# wk (the workers' pids), prod.
bench_pipeline() {
  "$bin/sigmactl" broker --partitions 12 --address-file "$work/addr" >/dev/null 2>"$work/broker.log" &
  pids+=($!)
  await 30 test -s "$work/addr"
  export SIGMA_BROKERS; SIGMA_BROKERS=$(cat "$work/addr")
  local KX=(-X session.timeout.ms=6000) n
  "$bin/sigma-coordinator" -d "$ci" "${KX[@]}" -X coordinator.poll_ms=100 -v -v 2>"$work/coordinator.log" &
  coord=$!; pids+=($coord)
  wk=()
  for n in w1 w2; do
    "$bin/sigma-worker" -d "$ci" --id $n "${KX[@]}" -X provider.order=yahoo \
      -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json" -v -v "$@" 2>"$work/$n.log" &
    wk+=($!); pids+=($!)
  done
  for n in w1 w2; do await 60 grep -q 'kafka rebalance: assigned [1-9]' "$work/$n.log"; done
  await 30 grep -q 'kafka rebalance: assigned [1-9]' "$work/coordinator.log" 2>/dev/null || true
  "$bin/sigma-producer" -d "$ci" -X producer.poll_ms=100 "${PRODUCER_X[@]}" -v 2>"$work/producer.log" &
  prod=$!; pids+=($prod)
  await 30 grep -q 'topic sigma.deadletter' "$work/producer.log"
}
