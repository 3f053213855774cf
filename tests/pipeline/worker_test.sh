#!/usr/bin/env bash
# sigma-worker against real services: a throwaway PostgreSQL, `sigmactl broker`
# (librdkafka's mock cluster), two workers, and pipetool / kcat as clients.
# Every condition is awaited with a deadline in a poll loop.
#   worker_test.sh SIGMACTL SIGMA_WORKER PIPE_HELPER SOURCE_DIR CASE
# CASE: rows (factors then metrics equal `sigmactl compute`), prices (file://
# Yahoo JSON, one symbol without a file), deadletter (garbage, an unknown major,
# an onboarding task naming no queue row), kill (SIGKILL of a worker mid-phase), twice (every task
# published twice).
set -euo pipefail
worker=$2
helper=$3
case_=$5
sigmactl=$1
. "$(dirname "$0")/lib.sh" "$4" worker-test
start_pg
D=2025-07-15
RUN=run-test-1

die() { fail "$@"; }

# start_worker NAME [-X ...]: a worker in the background; its pid in $wpid.
start_worker() {
  local name=$1; shift
  "$worker" -d "$ci" --id "$name" -X session.timeout.ms=6000 -X worker.batch_wait_ms=100 -v "$@" \
    >"$work/$name.out" 2>"$work/$name.log" &
  wpid=$!
  pids+=($wpid)
  wpids+=($wpid)
}
wpids=()
# stop_workers: SIGTERM to every live worker; each exits 0 within 30 s, and
# no sanitizer report (ASan builds) is in any log.
stop_workers() {
  local p
  for p in "${wpids[@]}"; do alive "$p" && kill -TERM "$p"; done
  for p in "${wpids[@]}"; do
    await 30 bash -c "! kill -0 $p 2>/dev/null" || die "worker $p still runs 30 s after SIGTERM"
    if [[ $p != "${killed:-}" ]]; then wait "$p" || die "worker $p exited non-zero after SIGTERM"; fi
  done
  no_sanitizer_report
}
start_events() {
  : >"$work/events"
  "$helper" collect "$work/events" 2>"$work/events.log" &
  pids+=($!)
}
# every_event PHASE FILE: each symbol of FILE has an event of PHASE.
every_event() {
  local missing
  missing=$(LC_ALL=C comm -23 <(LC_ALL=C sort -u "$2") <(awk -v p="$1" '$1 == p { print $2 }' "$work/events" | LC_ALL=C sort -u) | wc -l)
  [[ $missing == 0 ]]
}
publish() { "$helper" publish "$@" || die "publish $1"; }

# A synthetic universe in two databases: the pipeline's, and compute's.
setup_universe() {
  "$sigmactl" migrate up -d "$ci" >/dev/null
  q "CREATE DATABASE ref"
  ref="${ci/dbname=postgres/dbname=ref}"
  "$sigmactl" migrate up -d "$ref" >/dev/null
  "$sigmactl" synth --symbols 60 --days 300 --end $D --out "$work/synth" >/dev/null
  "$sigmactl" import-prices "$work/synth/prices.csv" -d "$ci" >/dev/null
  "$sigmactl" import-prices "$work/synth/prices.csv" -d "$ref" >/dev/null
  "$sigmactl" compute --date $D -d "$ref" >/dev/null
  # compute's symbol list is the run's: every symbol it wrote a metrics row for
  psql "$ref" -XAtq -c "SELECT symbol FROM symbol_daily_metrics ORDER BY symbol" >"$work/symbols"
  [[ $(wc -l <"$work/symbols") -ge 60 ]] || fail "symbol list"
}
stored() { # CONNINFO: the rows as text, without ids or timestamps
  psql "$1" -X --csv -c "SELECT e.symbol, f.name, e.calculation_date, e.beta_value, e.r_squared, e.observations,
      e.calculation_method, e.quality_flag, e.regularization_alpha, e.regression_window_days
    FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
    ORDER BY e.symbol COLLATE \"C\", f.name COLLATE \"C\""
  psql "$1" -XAtq -c "SELECT (to_jsonb(m) - 'updated_at')::text FROM symbol_daily_metrics m ORDER BY symbol COLLATE \"C\""
}
compare_rows() {
  stored "$ci" >"$work/got"
  stored "$ref" >"$work/want"
  [[ $(wc -l <"$work/want") -gt 500 ]] || fail "the reference has too few rows"
  diff "$work/want" "$work/got" >"$work/diff" || { head -20 "$work/diff"; die "stored rows differ from compute's"; }
}
# run_phases [TIMES]: factors, then metrics, for every symbol; every event awaited.
run_phases() {
  local times=${1:-1}
  mapfile -t syms <"$work/symbols"
  publish factors $D $RUN "$times" "${syms[@]}"
  await 120 every_event factors "$work/symbols" || die "factors events missing"
  publish metrics $D $RUN "$times" "${syms[@]}"
  await 120 every_event metrics "$work/symbols" || die "metrics events missing"
}
check_events() {
  # factors: ok exactly for the symbols compute wrote factor rows for
  psql "$ref" -XAtq -c "SELECT DISTINCT symbol FROM symbol_factor_exposures ORDER BY 1" >"$work/with_rows"
  awk '$1 == "factors" && $3 == "ok" { print $2 }' "$work/events" | sort -u >"$work/ok_factors"
  LC_ALL=C sort "$work/with_rows" >"$work/with_rows.s"
  LC_ALL=C sort "$work/ok_factors" >"$work/ok_factors.s"
  diff "$work/with_rows.s" "$work/ok_factors.s" || die "ok factors events differ from the symbols with rows"
  awk '$1 == "factors" && $3 == "failed" && NF < 7 { bad = 1 } END { exit bad }' "$work/events" ||
    die "a failed event without a reason"
  ! grep -q UNDECODABLE "$work/events" || die "an undecodable event"
  [[ $(awk '$1 == "metrics" && $3 == "ok"' "$work/events" | wc -l) -ge $(wc -l <"$work/symbols") ]] || die "metrics ok"
}

case $case_ in
rows | twice | kill)
  setup_universe
  start_broker "$sigmactl" 4
  start_events
  if [[ $case_ == kill ]]; then
    start_worker w1 -X worker.batch_max=3; w1=$wpid
    start_worker w2 -X worker.batch_max=3
    await 60 assigned_all 8 "$work/w1.log" "$work/w2.log" || die "the two workers never shared the partitions"
    # Both workers are held mid-phase: their factor writes wait on a lock
    # the test holds; w1 dies there, with its batch computed and uncommitted.
    psql "$ci" -Xq -c "BEGIN; LOCK TABLE symbol_factor_exposures IN EXCLUSIVE MODE; SELECT pg_sleep(600)" \
      >/dev/null 2>&1 &
    locker=$!
    pids+=($locker)
    mapfile -t syms <"$work/symbols"
    publish factors $D $RUN 1 "${syms[@]}"
    waiting() { [[ $(q "SELECT count(*) FROM pg_locks WHERE NOT granted
                        AND relation = 'symbol_factor_exposures'::regclass") -ge 2 ]]; }
    await 60 waiting || die "the workers did not reach the factor writes"
    kill -KILL "$w1"
    killed=$w1
    kill "$locker"
    q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%'
       AND pid <> pg_backend_pid()" >/dev/null
    echo "killed w1 after $(grep -c ' w1 ' "$work/events") of its events"
    await 150 every_event factors "$work/symbols" || die "factors events missing after the kill"
    grep -q 'revoked\|assigned' "$work/w2.log" && echo "w2: $(grep -c 'kafka rebalance' "$work/w2.log") rebalances"
    publish metrics $D $RUN 1 "${syms[@]}"
    await 150 every_event metrics "$work/symbols" || die "metrics events missing after the kill"
  else
    start_worker w1
    start_worker w2
    run_phases $([[ $case_ == twice ]] && echo 2 || echo 1)
  fi
  check_events
  compare_rows
  echo "events: $(wc -l <"$work/events") ($(grep -c ' w1 ' "$work/events") from w1, $(grep -c ' w2 ' "$work/events") from w2)"
  ;;
prices)
  "$sigmactl" migrate up -d "$ci" >/dev/null
  "$sigmactl" synth --symbols 4 --days 300 --end $D --out "$work/synth" >/dev/null
  start_broker "$sigmactl" 4
  start_events
  url="file://$work/synth/yahoo/{symbol}.json"
  start_worker w1 -X provider.order=yahoo -X "provider.yahoo.url=$url"
  start_worker w2 -X provider.order=yahoo -X "provider.yahoo.url=$url"
  printf '%s\n' S0001 S0002 S0003 S0004 SPY NOFILE >"$work/symbols"
  publish prices $D $RUN 1 S0001 S0002 S0003 S0004 SPY NOFILE
  await 60 every_event prices "$work/symbols" || die "prices events missing"
  grep -E '^prices NOFILE failed 0 w[12] not fetched \(no provider has it\): yahoo: ' "$work/events" ||
    { cat "$work/events"; die "NOFILE: the providers' reason"; }
  for s in S0001 S0002 S0003 S0004 SPY; do
    n=$(q "SELECT count(*) FROM market_data_cache WHERE symbol = '$s'")
    [[ $n -gt 100 ]] || die "$s: $n bars stored"
    grep -qE "^prices $s ok $n " "$work/events" || { cat "$work/events"; die "$s: event rows != $n bars"; }
  done
  # the same tasks again: the bars are there, nothing is fetched twice
  publish prices $D run-test-2 1 S0001
  await 60 grep -qE '^prices S0001 ok 0 ' "$work/events" || die "a second prices task"
  ;;
deadletter)
  "$sigmactl" migrate up -d "$ci" >/dev/null
  "$sigmactl" synth --symbols 4 --days 300 --end $D --out "$work/synth" >/dev/null
  "$sigmactl" import-prices "$work/synth/prices.csv" -d "$ci" >/dev/null
  start_broker "$sigmactl" 4
  start_events
  start_worker w1
  printf 'GARB:\xc1\xff not msgpack\n' | kcat -P -b "$SIGMA_BROKERS" -t sigma.tasks -K: || die "kcat -P"
  "$helper" major2 MAJ2 || die "major2"
  mapfile -t syms < <(printf 'S0001\n')
  publish onboarding $D $RUN 1 ONBRD
  publish factors $D $RUN 1 S0001
  await 60 grep -q '^factors S0001 ok ' "$work/events" || die "the worker did not go on after the garbage"
  dl() { timeout 20 kcat -C -b "$SIGMA_BROKERS" -t sigma.deadletter -o beginning -e -q \
           -f '%k|%h|%S\n' >"$work/dl" 2>/dev/null; [[ $(grep -c '^' "$work/dl") -ge 3 ]]; }
  await 60 dl || { cat "$work/dl"; die "three dead letters"; }
  grep -q '^GARB|.*sigma.reason=task: malformed msgpack at byte 1' "$work/dl" || { cat "$work/dl"; die "garbage's reason"; }
  grep -q 'sigma.topic=sigma.tasks' "$work/dl" && grep -q 'sigma.worker=w1' "$work/dl" &&
    grep -q 'sigma.offset=' "$work/dl" && grep -q 'sigma.partition=' "$work/dl" || die "dead-letter headers"
  grep -q "^MAJ2|.*unknown major version 2" "$work/dl" || die "unknown major's reason"
  grep -q "^ONBRD|.*field 'run': 'run-test-1' is not onboard-<queue row uuid>" "$work/dl" || die "onboarding's reason"
  alive "${wpids[0]}" || die "the worker stopped"
  ;;
*) fail "unknown case $case_" ;;
esac
stop_workers
echo ok
