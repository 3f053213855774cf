#!/usr/bin/env bash
# Bulk days in the nightly run, every program a real process: a throwaway PostgreSQL,
# `sigmactl broker`, fakeprov over http (per-symbol and bulk endpoints, Polygon first
# with its key, Yahoo after it), sigma-producer, sigma-coordinator, two sigma-workers.
# The history (a year of bars up to the night before) is fetched per symbol from the
# same fixture, so every bar of the night continues the same path. Then `sigmactl run`
# for the night, awaited with a deadline, and the checks: fakeprov's /_stats (bulk and
# per-symbol requests), the ledger (one prices outcome per symbol: covered by bulk,
# fetched alone, or failed), what is stored, last_price_date.
#   bulk_test.sh BINDIR FAKEPROV SOURCE_DIR CASE
# CASE:
#   night    every symbol misses only D: one bulk request, no per-symbol request; the
#            stored rows equal, as text, a per-symbol night's on a second database
#   outage   a three-day outage: three bulk requests, no per-symbol request
#   newsym   six new symbols (a year each) and one that missed two nights (an isolated
#            gap): one bulk request, and per-symbol requests for exactly those seven
#   faults   five nights: the bulk provider answers 429, 500, a truncated body, a day
#            without some tickers (only they go per symbol), and, in a three-day outage,
#            fails its middle day (the symbols already hold D: fetched alone from their
#            planned window, the gap filled)
#   kill     the worker holding the bulk day is SIGKILLed in its write (a lock the test
#            holds); the other redoes the day after the rebalance: nothing else happens
set -euo pipefail
bin=$1
fakeprov=$2
src=$3
case_=$4
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" bulk-test
trap 'fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT
LOG_TAIL=15
KX=(-X session.timeout.ms=6000)
secret='pk_bulk.Zq8+Wp3/Kf9=Lm2'
export POLYGON_API_KEY=$secret
unset FMP_API_KEY
STOCKS=$(seq -f 'T%03g' 1 40 | tr '\n' ' ')
ETFS="SPY VTV VUG MTUM QUAL IWM USMV TLT GLD USO UUP"

settings() { # PX: the providers at fakeprov, Polygon first (the bulk provider: it has a key), Yahoo after
  mapfile -t PX < <(fakeprov_urls)
  PX+=(-X "provider.polygon.bulk_url=$fp_url/v2/aggs/grouped/locale/us/market/stocks/{date}?adjusted=false&apiKey={apikey}"
       -X provider.order=polygon,yahoo -X provider.polygon.rate=1000 -X provider.polygon.burst=100
       -X provider.yahoo.rate=1000 -X provider.yahoo.burst=100 -X http.retries=1 -X http.backoff_ms=50
       -X http.retry_after_max_ms=200 -X provider.bulk_min_symbols=10)
}
# setup [EXTRA-UNIVERSE...]: PostgreSQL, fakeprov (its bulk universe: the run's symbols, the
# extra ones, and 30 tickers no run asks for), the broker.
setup() {
  start_pg
  "$bin/sigmactl" migrate up -d "$ci" >/dev/null
  printf '%s\n' $STOCKS $ETFS "$@" >"$work/universe.txt"
  seq -f 'ZZ%03g' 1 30 >>"$work/universe.txt"
  fakeprov_start "$fakeprov" "$work" --apikey "$secret" --page-size 1000 --universe "$work/universe.txt"
  settings
  start_broker "$bin/sigmactl" 4
}
# history DB DATE SYMBOLS...: a year of bars up to DATE, per symbol from fakeprov (registers them active)
history() {
  local db=$1 date=$2
  shift 2
  "$bin/sigmactl" fetch "$@" --date "$date" -d "$db" --provider polygon "${PX[@]}" >"$work/history.out" 2>>"$work/history.log" ||
    fail "history up to $date"
}
start() { # the coordinator, two workers (both assigned), the producer
  spawn coordinator "$bin/sigma-coordinator" -d "$ci" "${KX[@]}" -X coordinator.poll_ms=200 -v
  spawn w1 "$bin/sigma-worker" -d "$ci" --id w1 "${KX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" -v
  spawn w2 "$bin/sigma-worker" -d "$ci" --id w2 "${KX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" -v
  await 60 grep -q 'kafka rebalance: assigned [1-9]' "$work/w1.log" || fail "w1 never got partitions"
  await 60 grep -q 'kafka rebalance: assigned [1-9]' "$work/w2.log" || fail "w2 never got partitions"
  spawn producer "$bin/sigma-producer" -d "$ci" -X producer.poll_ms=200 "${PX[@]}" -v
}
# night DATE: requests the run of DATE and awaits its close; sets run.
night() {
  fp_get /_reset >/dev/null
  "$bin/sigmactl" run --date "$1" -d "$ci" >/dev/null 2>>"$work/run.log" || fail "sigmactl run"
  await 30 is "SELECT count(*) > 0 FROM sigma_runs WHERE calc_date = '$1'" t || fail "no run opened for $1"
  run=$(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date = '$1'")
  await 120 is "SELECT status IN ('completed', 'failed') FROM batch_run_history WHERE batch_run_id = '$run'" t ||
    fail "run $run not closed: $(q "SELECT phase, fanned_out FROM sigma_runs WHERE batch_run_id = '$run'")
      $(q "SELECT phase, stage, count(outcome), count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' GROUP BY 1, 2")
      $(q "SELECT day, attempt, outcome, reason FROM sigma_run_bulk WHERE batch_run_id = '$run'")"
  is "SELECT status FROM batch_run_history WHERE batch_run_id = '$run'" completed ||
    fail "run $run: $(q "SELECT status, error_summary FROM batch_run_history WHERE batch_run_id = '$run'")"
  echo "night $1: run $run, prices phase $(q "SELECT phase_durations->>'prices' FROM batch_run_history
    WHERE batch_run_id = '$run'") s; bulk: $(q "SELECT string_agg(day || ' ' || outcome || ' (' || rows_written || ')', '; '
    ORDER BY day) FROM sigma_run_bulk WHERE batch_run_id = '$run'"); requests: $(fp_get /_stats | cut -c1-160)"
}
stat() { fp_get /_stats | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"; }                     # requests, connections
bulk_requests() { fp_get /_stats | sed -n 's/.*"bulk":{"fmp":[0-9]*,"polygon":\([0-9]*\)}.*/\1/p'; }
per_symbol() { fp_get /_log | awk '$2 != "@bulk" { print $2 }' | LC_ALL=C sort -u | tr '\n' ' '; } # symbols asked alone
expect_requests() { # BULK PER-SYMBOL-SYMBOLS: the bulk requests and the symbols asked alone
  [[ $(bulk_requests) == "$1" ]] || { fp_get /_log; fail "$(bulk_requests) bulk requests, expected $1"; }
  [[ $(per_symbol) == "$2" ]] || { fp_get /_log | head -20; fail "per-symbol requests for '$(per_symbol)', expected '$2'"; }
}
outcomes() { # the prices outcomes of the run: "covered:N alone-ok:N held:N failed:N"
  q "SELECT 'covered:' || count(*) FILTER (WHERE reason LIKE 'covered by the bulk daily bars of %')
      || ' alone:' || count(*) FILTER (WHERE outcome = 'ok' AND reason NOT LIKE 'covered by%')
      || ' failed:' || count(*) FILTER (WHERE outcome = 'failed') || ' pending:' || count(*) FILTER (WHERE outcome IS NULL)
     FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices'"
}
expect_outcomes() { [[ $(outcomes) == "$1" ]] || fail "outcomes $(outcomes), expected $1: $(q "SELECT symbol, stage, outcome,
  reason FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND (reason NOT LIKE 'covered%' OR reason IS NULL) LIMIT 8")"; }
# stored_days DAY...: every symbol of the run has a bar on each day, and last_price_date is the last
stored_days() {
  local d n
  n=$(q "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices'")
  for d in "$@"; do
    is "SELECT count(*) FROM market_data_cache m JOIN sigma_run_outcomes o ON o.symbol = m.symbol
        WHERE o.batch_run_id = '$run' AND o.phase = 'prices' AND m.date = '$d'" "$n" ||
      fail "$d: $(q "SELECT count(*) FROM market_data_cache WHERE date = '$d'") of $n symbols stored"
  done
  is "SELECT count(*) FROM symbol_universe u JOIN sigma_run_outcomes o ON o.symbol = u.symbol
      WHERE o.batch_run_id = '$run' AND o.phase = 'prices' AND u.last_price_date = '${*: -1}'" "$n" || fail "last_price_date"
  is "SELECT count(*) FROM market_data_cache WHERE symbol LIKE 'ZZ%'" 0 || fail "a ticker no run holds was stored"
}
PRICE_ROWS="SELECT symbol, date, open, high, low, close, volume, data_source, sector, industry, exchange, country,
  market_cap FROM market_data_cache ORDER BY symbol COLLATE \"C\", date"

# ---- the cases -------------------------------------------------------------------------
case_night() {
  setup
  history "$ci" 2025-07-14 $STOCKS $ETFS
  start
  night 2025-07-15
  expect_requests 1 ""
  expect_outcomes "covered:51 alone:0 failed:0 pending:0"
  is "SELECT attempt || ' ' || outcome || ' ' || rows_written FROM sigma_run_bulk WHERE batch_run_id = '$run'" "1 ok 51" ||
    fail "the bulk day's ledger row"
  stored_days 2025-07-15
  is "SELECT string_agg(DISTINCT data_source, ',') FROM market_data_cache WHERE date = '2025-07-15'" polygon ||
    fail "data_source"
  echo "== the same night per symbol (provider.bulk=0) on a second database: the same rows"
  q "CREATE DATABASE ref"
  ref="${ci/dbname=postgres/dbname=ref}"
  "$bin/sigmactl" migrate up -d "$ref" >/dev/null
  history "$ref" 2025-07-14 $STOCKS $ETFS
  fp_get /_reset >/dev/null
  "$bin/sigmactl" fetch --all --date 2025-07-15 -d "$ref" "${PX[@]}" -X provider.bulk=0 >"$work/ref.out" 2>>"$work/ref.log" ||
    fail "per-symbol night"
  [[ $(bulk_requests) == 0 && $(stat requests) == 51 ]] || fail "the per-symbol night: $(fp_get /_stats)"
  psql "$ci" -XAtq -c "$PRICE_ROWS" >"$work/got"
  psql "$ref" -XAtq -c "$PRICE_ROWS" >"$work/want"
  diff "$work/want" "$work/got" >"$work/diff" || { head "$work/diff"; fail "bulk rows differ from per-symbol rows"; }
  echo "rows: $(wc -l <"$work/got") equal the per-symbol night's"
}

case_outage() {
  setup
  history "$ci" 2025-07-10 $STOCKS $ETFS
  start
  night 2025-07-15
  expect_requests 3 ""
  expect_outcomes "covered:51 alone:0 failed:0 pending:0"
  is "SELECT string_agg(day || ':' || rows_written, ' ' ORDER BY day) FROM sigma_run_bulk WHERE batch_run_id = '$run'" \
    "2025-07-11:51 2025-07-14:51 2025-07-15:51" || fail "three bulk days"
  "$bin/sigmactl" status "$run" -d "$ci" >"$work/status" || fail "sigmactl status"
  grep -qx "bulk days 3 ok 3 failed 0 pending 0 symbols waiting 0" "$work/status" ||
    fail "the operator's view of the bulk days: $(cat "$work/status")"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND rows_written = 3" 51 ||
    fail "each symbol: 3 rows"
  stored_days 2025-07-11 2025-07-14 2025-07-15
}

case_newsym() {
  local news="N01 N02 N03 N04 N05 N06"
  setup $news
  history "$ci" 2025-07-14 $(echo $STOCKS | sed 's/T002 //') $ETFS
  history "$ci" 2025-07-10 T002 # missed two nights: only it misses 07-11 and 07-14
  for s in $news; do q "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source) VALUES ('$s', 'stock', true, 'test')"; done
  start
  night 2025-07-15
  expect_requests 1 "N01 N02 N03 N04 N05 N06 T002 "
  expect_outcomes "covered:50 alone:7 failed:0 pending:0"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND symbol LIKE 'N0%'
      AND stage IS NULL AND rows_written = 251" 6 || fail "the new symbols: a year each, alone from the start"
  is "SELECT rows_written || ' ' || coalesce(stage, '-') FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices'
      AND symbol = 'T002'" "4 -" || fail "T002: its window alone"
  is "SELECT string_agg(date::text, ' ' ORDER BY date) FROM market_data_cache WHERE symbol = 'T002' AND date > '2025-07-09'" \
    "2025-07-10 2025-07-11 2025-07-14 2025-07-15" || fail "T002's gap"
  stored_days 2025-07-15
}

case_faults() {
  setup
  history "$ci" 2025-07-14 $STOCKS $ETFS
  start
  local all
  all=$(printf '%s\n' $STOCKS $ETFS | LC_ALL=C sort | tr '\n' ' ')
  echo "== 429 (Retry-After), one retry: every symbol alone"
  fp_get /_bulk/429 >/dev/null
  night 2025-07-15
  expect_requests 2 "$all"
  expect_outcomes "covered:0 alone:51 failed:0 pending:0"
  is "SELECT outcome || ': ' || reason FROM sigma_run_bulk WHERE batch_run_id = '$run'" \
    "failed: polygon grouped daily bars of 2025-07-15 not fetched: polygon: HTTP 429 after 1 retries" || fail "the bulk reason"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND stage = 'alone'
      AND attempt = 1 AND rows_written = 2" 51 || fail "alone: from the planned window [07-14, 07-15], published once"
  stored_days 2025-07-15
  echo "== 500"
  fp_get /_bulk/500 >/dev/null
  night 2025-07-16
  expect_requests 2 "$all"
  expect_outcomes "covered:0 alone:51 failed:0 pending:0"
  stored_days 2025-07-16
  echo "== a truncated body (not JSON)"
  fp_get /_bulk/trunc >/dev/null
  night 2025-07-17
  expect_requests 1 "$all"
  expect_outcomes "covered:0 alone:51 failed:0 pending:0"
  stored_days 2025-07-17
  echo "== a day without some tickers: only they alone"
  fp_get /_bulk/drop/T01 >/dev/null
  night 2025-07-18
  expect_requests 1 "T010 T011 T012 T013 T014 T015 T016 T017 T018 T019 "
  expect_outcomes "covered:41 alone:10 failed:0 pending:0"
  stored_days 2025-07-18
  echo "== a three-day outage whose middle day fails: the symbols hold D, and their gap is filled alone"
  fp_get "/_bulk/500?day=2025-07-22" >/dev/null
  night 2025-07-23
  expect_requests 4 "$all"
  expect_outcomes "covered:0 alone:51 failed:0 pending:0"
  is "SELECT string_agg(day || ':' || outcome, ' ' ORDER BY day) FROM sigma_run_bulk WHERE batch_run_id = '$run'" \
    "2025-07-21:ok 2025-07-22:failed 2025-07-23:ok" || fail "the bulk days"
  stored_days 2025-07-21 2025-07-22 2025-07-23
  fp_get /_bulk/ok >/dev/null
}

case_kill() {
  setup
  history "$ci" 2025-07-14 $STOCKS $ETFS
  start
  # the bulk write waits on a lock this test holds
  psql "$ci" -Xq -c "BEGIN; LOCK TABLE market_data_cache IN EXCLUSIVE MODE; SELECT pg_sleep(600)" >/dev/null 2>&1 &
  locker=$!
  pids+=($locker)
  await 10 is "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ExclusiveLock'
                AND relation = 'market_data_cache'::regclass" 1 || fail "the lock"
  fp_get /_reset >/dev/null
  "$bin/sigmactl" run --date 2025-07-15 -d "$ci" >/dev/null 2>>"$work/run.log" || fail "sigmactl run"
  await 60 waiting 1 || fail "the bulk write never reached the lock"
  local victim=
  for n in w1 w2; do grep -q 'fetch: 1 symbols, 1 requests' "$work/$n.log" && victim=$n; done
  [[ -n $victim ]] || fail "which worker holds the bulk day?"
  for e in "${procs[@]}"; do [[ ${e%%:*} == "$victim" ]] && sigkill "${e#*:}"; done
  echo "$victim SIGKILLed in the bulk write"
  kill "$locker" 2>/dev/null || true
  q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
  run=$(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date = '2025-07-15'")
  await 120 is "SELECT status FROM batch_run_history WHERE batch_run_id = '$run'" completed || fail "run not completed"
  [[ $(bulk_requests) == 2 && -z $(per_symbol) ]] || { fp_get /_log; fail "the day fetched twice (redelivered), nothing else"; }
  expect_outcomes "covered:51 alone:0 failed:0 pending:0"
  stored_days 2025-07-15
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND worker = '$victim'" 0 ||
    fail "the killed worker answered"
}

case "$case_" in
night | outage | newsym | faults | kill) "case_$case_" ;;
*) fail "unknown case $case_" ;;
esac
stop_all
fakeprov_stop || fail "fakeprov did not exit cleanly"
! grep -rqF -e "$secret" -e 'Zq8%2BWp3' "$work"/*.log "$work"/*.out || fail "the API key was printed"
echo "bulk $case_: ok"
