# bench/pipeline's shared setup, sourced by run.sh, bulk.sh, onboard_latency.sh, profile.sh:
#   . lib.sh NAME
# Sets root, bin, D, work (removed on exit; the logs are copied to
# /tmp/sigma-bench-NAME-logs), pids (SIGKILLed on exit), ci (a throwaway
# PostgreSQL, migrated by bench_prices or bench_night_setup; SIGMA_PG_OPTIONS
# passes server options to it); defines q, await, now, bench_prices,
# bench_night_setup, bench_pipeline and bench_warmup; sources
# bench/summary.sh (bench_summary).
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
  # Reaped here, quietly: bash would report each killed job ("Killed") in the output.
  for p in "${pids[@]}"; do { kill -9 "$p" && wait "$p"; } 2>/dev/null || true; done
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

# bench_night_setup NSYM LATENCY_MS: the night before a new market day. `sigmactl synth`
# of NSYM stocks + the 8 ETFs x 260 days up to prev (2025-07-14), imported; GLD USO UUP
# (in every run's list) get SPY's, TLT's and IWM's rows, so every symbol of a run of D
# misses exactly D; the stocks active in symbol_universe. fakeprov answering after
# LATENCY_MS, its bulk universe the run's symbols and 2,000 tickers no run holds; PX
# (an array of -X settings) points the providers at it, Polygon (bulk) first, rate
# limits far above what is reached. Sets prev, PX, fp_pid, fp_url.
bench_night_setup() {
  local nsym=$1 latency=$2 secret=bench-key
  . "$root/tests/fixtures/fakeprov.sh"
  prev=2025-07-14
  export POLYGON_API_KEY=$secret
  unset FMP_API_KEY
  echo "== setup: $nsym stocks x 260 days up to $prev (sigmactl synth), import-prices, symbol_universe"
  "$bin/sigmactl" migrate up -d "$ci" >/dev/null
  "$bin/sigmactl" synth --symbols "$nsym" --days 260 --end $prev --out "$work/synth" >/dev/null
  "$bin/sigmactl" import-prices "$work/synth/prices.csv" -d "$ci" >/dev/null
  q "INSERT INTO market_data_cache (id, symbol, date, open, high, low, close, volume, data_source)
     SELECT gen_random_uuid(), x.to_sym, m.date, m.open, m.high, m.low, m.close, m.volume, m.data_source
     FROM market_data_cache m JOIN (VALUES ('SPY', 'GLD'), ('TLT', 'USO'), ('IWM', 'UUP')) x(from_sym, to_sym)
     ON m.symbol = x.from_sym"
  q "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source, last_price_date)
     SELECT symbol, 'stock', true, 'bench', max(date) FROM market_data_cache
     WHERE symbol NOT IN ('SPY', 'VTV', 'VUG', 'MTUM', 'QUAL', 'IWM', 'USMV', 'TLT', 'GLD', 'USO', 'UUP')
     GROUP BY symbol ON CONFLICT (symbol) DO UPDATE SET is_active = true"
  q "VACUUM ANALYZE" >/dev/null
  q "SELECT symbol FROM market_data_cache GROUP BY symbol" >"$work/universe.txt"
  seq -f 'ZZ%05g' 1 2000 >>"$work/universe.txt"
  echo "prices: $(q "SELECT count(*) FROM market_data_cache") rows; bulk universe: $(wc -l <"$work/universe.txt") tickers"
  fakeprov_start "$root/build/tests/fakeprov" "$work" --latency-ms "$latency" --apikey "$secret" --page-size 1000 \
    --universe "$work/universe.txt"
  pids+=($fp_pid) # SIGKILLed by the cleanup if the script stops early
  mapfile -t PX < <(fakeprov_urls)
  PX+=(-X "provider.polygon.bulk_url=$fp_url/v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=false&apiKey={apikey}"
       -X provider.order=polygon,yahoo -X provider.polygon.rate=100000 -X provider.polygon.burst=100000
       -X provider.yahoo.rate=100000 -X provider.yahoo.burst=100000)
}

# bench_warmup: after bench_night_setup and bench_pipeline, a run of prev for WARM
# (unknown to the database: a prices task of the producer's) and 24 held stocks
# (factors and metrics tasks for both workers), so every process has published and
# consumed before, as long-running programs have: the first message a fresh client
# sends to a topic waits for its metadata (0.5-1 s here). WARM is then made
# inactive: it is in no night's list.
bench_warmup() {
  echo "== warm-up: a run of $prev for WARM and 24 stocks"
  "$bin/sigmactl" run --date $prev --symbols "WARM,$(q "SELECT string_agg(symbol, ',') FROM (SELECT symbol FROM symbol_universe
    WHERE symbol LIKE 'S%' ORDER BY symbol LIMIT 24) x")" -d "$ci" >/dev/null
  warm() { [[ $(q "SELECT count(*) FROM batch_run_history WHERE status = 'completed'") == 1 ]]; }
  await 120 warm
  q "UPDATE symbol_universe SET is_active = false WHERE symbol = 'WARM'"
}

# bench_pipeline [-X worker-setting...]: `sigmactl broker` (12 partitions), a
# coordinator, workers w1 and w2 (Yahoo through file:// URLs into $work/synth,
# -v -v), their first assignment awaited, then a producer with
# PRODUCER_X (an array of -X settings, may be unset). Sets SIGMA_BROKERS, broker,
# coord, wk (the workers' pids), prod.
bench_pipeline() {
  "$bin/sigmactl" broker --partitions 12 --address-file "$work/addr" >/dev/null 2>"$work/broker.log" &
  broker=$!; pids+=($broker)
  await 30 test -s "$work/addr"
  export SIGMA_BROKERS; SIGMA_BROKERS=$(cat "$work/addr")
  local KX=(-X session.timeout.ms=6000) n
  "$bin/sigma-coordinator" -d "$ci" "${KX[@]}" -X coordinator.poll_ms=100 -v -v 2>"$work/coordinator.log" &
  coord=$!; pids+=($coord)
  wk=()
  for n in w1 w2; do
    # PGAPPNAME names the worker's sessions in pg_stat_activity (profile.sh finds them).
    PGAPPNAME=sigma-worker-$n "$bin/sigma-worker" -d "$ci" --id $n "${KX[@]}" -X provider.order=yahoo \
      -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json" -v -v "$@" 2>"$work/$n.log" &
    wk+=($!); pids+=($!)
  done
  for n in w1 w2; do await 60 grep -qs 'kafka rebalance: assigned [1-9]' "$work/$n.log"; done
  await 30 grep -qs 'kafka rebalance: assigned [1-9]' "$work/coordinator.log" 2>/dev/null || true
  "$bin/sigma-producer" -d "$ci" -X producer.poll_ms=100 "${PRODUCER_X[@]}" -v 2>"$work/producer.log" &
  prod=$!; pids+=($prod)
  await 30 grep -qs 'topic sigma.deadletter' "$work/producer.log"
}
