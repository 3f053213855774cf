#!/usr/bin/env bash
# Replay and the group's provider budget (issue 10 §4, §5), real processes: a
# throwaway PostgreSQL, `sigmactl broker`, fakeprov over http, sigma-producer,
# sigma-coordinator, sigma-workers, and pipetool / kcat as clients. Every
# condition is awaited with a deadline in a poll loop.
#   replay_test.sh BINDIR PIPETOOL FAKEPROV SOURCE_DIR CASE
#   CASE: usage | night | deadletters | upgrade | budget
set -euo pipefail
bin=$1
pipetool=$2
fakeprov=$3
src=$4
case_=$5
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" replay-test
prog=() # the pipeline's programs (stop_all stops them with SIGTERM); killed on exit too
trap 'for p in "${prog[@]}"; do kill -9 "$p" 2>/dev/null || true; done; fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT

D=2025-07-15
KX=(-X session.timeout.ms=6000)

start_pg_migrated() {
    start_pg
    "$bin/sigmactl" migrate up -d "$ci" >/dev/null
}
stop_all() { # SIGTERM to the pipeline's programs and the broker; each must exit 0
    local p
    for p in "${prog[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${prog[@]}"; do wait "$p" || fail "process $p: exit code after SIGTERM"; done
    prog=()
    kill -TERM "$broker"
    wait "$broker" || true
    ! grep -l 'Sanitizer' "$work"/*.log || fail "a sanitizer report"
}
# start_pipeline CONNINFO NWORKERS [-X ...]: coordinator, producer, workers.
start_pipeline() {
    local db=$1 n=$2
    shift 2
    "$bin/sigma-coordinator" -d "$db" -v "${KX[@]}" -X coordinator.poll_ms=200 2>>"$work/coordinator.log" &
    prog+=($!)
    "$bin/sigma-producer" -d "$db" -v -X producer.poll_ms=200 2>>"$work/producer.log" &
    prog+=($!)
    for i in $(seq "$n"); do
        "$bin/sigma-worker" -d "$db" --id "w$i" -v "${KX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" "$@" \
            2>>"$work/worker$i.log" &
        prog+=($!)
    done
}
provider_settings() { # PX: yahoo only, at fakeprov
    mapfile -t PX < <(fakeprov_urls)
    PX+=(-X provider.order=yahoo -X http.retries=0)
}

# ---- usage ------------------------------------------------------------------------------
case_usage() {
    local args rc
    while IFS= read -r args; do
        set +e
        # shellcheck disable=SC2086
        "$bin/sigmactl" replay $args >"$work/out" 2>"$work/err"
        rc=$?
        set -e
        [[ $rc == 2 ]] || fail "replay $args: exit $rc, expected 2"
        grep -q "usage: sigmactl replay" "$work/err" || fail "replay $args: no usage"
        local named=${args##* }
        [[ $args == "" || $args == "--topic T" ]] || grep -q -- "${named%%=*}" "$work/err" ||
            grep -q "exactly one\|before --since" "$work/err" || fail "replay $args: argument not named: $(head -1 "$work/err")"
    done <<'EOF'

--topic T
--topic T --from-offset 1 --since 0
--topic T --from-offset -1
--topic T --from-offset x
--topic T --since yesterday
--topic T --since 2025-02-30T00:00:00Z
--topic T --since 2025-07-15T22:00:00Z --until 2025-07-15T21:00:00Z
--topic T --from-offset 0 --until 2025-13-01T00:00:00Z
--topic T --from-offset 0 --partition -3
--topic T --from-offset 0 --symbol aapl
--topic T --from-offset 0 --run a/b
--topic T --from-offset 0 -X no.such.property=1
--topic T --from-offset 0 -F /no/such/kafka.conf
--topic T --from-offset 0 extra
--topic T --from-offset 0 --bogus
EOF
    "$bin/sigmactl" replay --help | grep -q -- "--failed-only" || fail "--help"
}

# ---- upgrade: the coordinator's rule, events written by pipetool -----------------------
events() { # OUTCOME PHASE SYMBOL...
    local outcome=$1 phase=$2 s
    shift 2
    for s in "$@"; do
        if [[ $outcome == ok ]]; then echo "$run $phase $s ok"; else echo "$run $phase $s failed provider down"; fi
    done | "$pipetool" encode-events | timeout 30 kcat -P -b "$addr" -t sigma.events -K: -D '#EOM#' || fail "kcat -P"
}
case_upgrade() {
    start_pg_migrated
    start_broker "$bin/sigmactl" 3
    "$bin/sigmactl" run --date "$D" --symbols AAA,BBB -d "$ci" >/dev/null || fail "sigmactl run"
    "$bin/sigma-producer" -d "$ci" --once 2>>"$work/producer.log" || fail "producer --once"
    run=$(q "SELECT batch_run_id FROM sigma_runs")
    mapfile -t syms < <(q "SELECT symbol FROM sigma_run_outcomes WHERE phase='prices' ORDER BY symbol")
    "$bin/sigma-coordinator" -d "$ci" -v "${KX[@]}" -X coordinator.poll_ms=200 2>>"$work/coordinator.log" &
    prog+=($!)
    events failed prices "${syms[@]}"
    await 60 is "SELECT phase || fanned_out FROM sigma_runs" factorstrue || fail "factors not started"
    events ok factors "${syms[@]}"
    await 60 is "SELECT phase || fanned_out FROM sigma_runs" metricstrue || fail "metrics not started"
    events ok metrics "${syms[@]}"
    local n=${#syms[@]}
    await 60 is "SELECT status || ',' || failed_jobs FROM batch_run_history" "failed,$n" || fail "not failed"
    echo "== replayed prices succeed: the failed run becomes completed"
    events ok prices "${syms[@]}"
    await 60 is "SELECT status || ',' || completed_jobs || ',' || failed_jobs || ',' || (error_summary ? 'failed')
        || ',' || (error_summary->>'batch_type') FROM batch_run_history" "completed,$(q "SELECT count(*) FROM sigma_run_outcomes"),0,false,nightly" ||
        fail "not recounted: $(q "SELECT status, completed_jobs, failed_jobs, error_summary FROM batch_run_history")"
    await 30 grep -q "closed run recounted after a replay" "$work/coordinator.log" || fail "recount not logged"
    echo "== a late failure never downgrades an ok"
    events failed prices AAA
    await 30 is "SELECT outcome || ',' || duplicates FROM sigma_run_outcomes WHERE phase='prices' AND symbol='AAA'" "ok,1" ||
        fail "downgraded: $(q "SELECT outcome, duplicates FROM sigma_run_outcomes WHERE phase='prices' AND symbol='AAA'")"
    is "SELECT status || ',' || failed_jobs FROM batch_run_history" "completed,0" || fail "counts changed by a duplicate"
    stop_all
}

# ---- deadletters ---------------------------------------------------------------------------
case_deadletters() {
    start_broker "$bin/sigmactl" 2
    SIGMA_TOPIC_TASKS=sigma.deadletter "$pipetool" publish prices "$D" run-dl-1 1 GOOD || fail "publish to dead letters"
    printf 'not msgpack' | timeout 30 kcat -P -b "$addr" -t sigma.deadletter -k JUNK -H "sigma.reason=task: malformed" ||
        fail "kcat -P"
    "$bin/sigmactl" replay --dead-letters --from-offset 0 --dry-run >"$work/dry" || fail "dry run: $(cat "$work/dry")"
    grep -q "would republish run-dl-1 prices GOOD $D attempt 2 -> sigma.tasks" "$work/dry" || fail "dry run: $(cat "$work/dry")"
    grep -q "^read 2, matched 1, republished 0 (dry run)" "$work/dry" || fail "dry-run summary: $(cat "$work/dry")"
    [[ -z $(timeout 10 kcat -C -b "$addr" -t sigma.tasks -o beginning -e -q) ]] || fail "a dry run published"
    "$bin/sigmactl" replay --dead-letters --from-offset 0 >"$work/out" || fail "replay: $(cat "$work/out")"
    grep -q "^stays: sigma.deadletter \[[0-9]*\] @[0-9]* key JUNK: task: " "$work/out" ||
        fail "undecodable not reported: $(cat "$work/out")"
    grep -q "dead-lettered for: task: malformed" "$work/out" || fail "first reason not shown"
    grep -q "^read 2, matched 1, republished 1 " "$work/out" || fail "summary: $(cat "$work/out")"
    grep -q "^1 dead letter(s) still undecodable: left in sigma.deadletter" "$work/out" || fail "stays line"
    local t
    t=$(timeout 30 kcat -C -b "$addr" -t sigma.tasks -o beginning -e -q -f '%k %S %s' | "$pipetool" decode-tasks)
    [[ $t == "run-dl-1 prices GOOD 2 $D" ]] || fail "republished task: $t"
    [[ $(timeout 30 kcat -C -b "$addr" -t sigma.deadletter -o beginning -e -q -f '%k\n' | sort | tr '\n' ' ') == "GOOD JUNK " ]] ||
        fail "the dead-letter topic changed"
    echo "== --since after everything: nothing read"
    "$bin/sigmactl" replay --topic sigma.tasks --since "$(($(date +%s) * 1000 + 60000))" >"$work/out2" || fail "since"
    grep -q "^read 1, matched 0, republished 0 (0 not tasks, 1 filtered out" "$work/out2" || fail "since: $(cat "$work/out2")"
    "$bin/sigmactl" replay --topic sigma.tasks --since 2000-01-01T00:00:00Z --symbol GOOD --dry-run >"$work/out3" ||
        fail "since ISO"
    grep -q "^read 1, matched 1" "$work/out3" || fail "since ISO: $(cat "$work/out3")"
    kill -TERM "$broker"
}

# ---- night: failed, fixed, replayed; a whole-run replay changes nothing ---------------------
FAILING=(FLA FLB FLC FLD FLE FLF FLG FLH FLI FLJ FLK FLL FLM FLN FLO FLP FLQ FLR FLS FLT)
SYMS=$(IFS=,; echo "AAA,BBB,CCC,DDD,EEE,${FAILING[*]}")
NSYM=$((5 + 20 + 8))

stored() { # CONNINFO: the night's rows as text, without ids or timestamps
    psql "$1" -X --csv -c "SELECT symbol, date, open, high, low, close, volume, data_source FROM market_data_cache
        ORDER BY symbol COLLATE \"C\", date"
    psql "$1" -X --csv -c "SELECT e.symbol, f.name, e.calculation_date, e.beta_value, e.r_squared, e.observations,
          e.calculation_method, e.quality_flag, e.regularization_alpha, e.regression_window_days
        FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
        ORDER BY e.symbol COLLATE \"C\", f.name COLLATE \"C\""
    psql "$1" -XAtq -c "SELECT (to_jsonb(m) - 'updated_at')::text FROM symbol_daily_metrics m ORDER BY symbol COLLATE \"C\""
}
versions() { # CONNINFO: every stored row's xmin (a rewrite changes it, even to equal values)
    local t
    for t in market_data_cache symbol_factor_exposures symbol_daily_metrics symbol_universe batch_run_history; do
        psql "$1" -XAtq -c "SELECT '$t', count(*), md5(string_agg(xmin::text || ':' || t::text, ',' ORDER BY t::text))
            FROM $t t"
    done
}
closed() { is "SELECT count(*) FROM sigma_runs WHERE closed_at IS NOT NULL" 1 "$1"; }
dup_at_least() { (($(q "SELECT coalesce(sum(duplicates), 0) FROM sigma_run_outcomes" "$1") >= $2)); }

case_night() {
    start_pg_migrated
    q "CREATE DATABASE ref"
    ref="${ci/dbname=postgres/dbname=ref}"
    SIGMA_MIGRATIONS=$src/migrations "$bin/sigmactl" migrate up -d "$ref" >/dev/null
    fakeprov_start "$fakeprov" "$work" --fail-prefix FL || fail "fakeprov"
    provider_settings
    PX+=(-X provider.yahoo.rate=1000 -X provider.yahoo.burst=1000)

    echo "== a clean night (database ref)"
    fp_get /_fault/off >/dev/null
    start_broker "$bin/sigmactl" 4
    start_pipeline "$ref" 2
    "$bin/sigmactl" run --date "$D" --symbols "$SYMS" -d "$ref" >/dev/null || fail "sigmactl run"
    await 180 closed "$ref" || fail "clean night not closed"
    local run
    run=$(q "SELECT batch_run_id FROM sigma_runs" "$ref")
    local jobs # prices of the list and the factor ETFs, factors and metrics of the list
    jobs=$(q "SELECT count(*) FROM sigma_run_outcomes" "$ref")
    is "SELECT status || ',' || completed_jobs || ',' || failed_jobs FROM batch_run_history" "completed,$jobs,0" "$ref" ||
        fail "clean night: $(q "SELECT status, failed_jobs, error_summary FROM batch_run_history" "$ref")"
    stored "$ref" >"$work/want"
    [[ $(wc -l <"$work/want") -gt 5000 ]] || fail "the clean night stored too few rows"

    echo "== a replay of the whole completed run changes no stored row"
    versions "$ref" >"$work/v1"
    "$bin/sigmactl" replay --topic sigma.tasks --from-offset 0 --run "$run" -d "$ref" >"$work/whole" ||
        fail "replay: $(cat "$work/whole")"
    grep -q "^read $jobs, matched $jobs, republished $jobs " "$work/whole" ||
        fail "whole replay: $(cat "$work/whole")"
    await 120 dup_at_least "$ref" $jobs || fail "the replay's events were not all counted"
    versions "$ref" >"$work/v2"
    diff "$work/v1" "$work/v2" || fail "a whole-run replay changed stored rows"
    is "SELECT count(*) FROM sigma_run_outcomes WHERE outcome = 'ok'" $jobs "$ref" || fail "outcomes changed"
    stop_all

    echo "== a night where the provider fails for 20 symbols (database postgres, a new broker)"
    fp_get /_fault/on >/dev/null
    start_broker "$bin/sigmactl" 4
    start_pipeline "$ci" 2
    "$bin/sigmactl" run --date "$D" --symbols "$SYMS" -d "$ci" >/dev/null || fail "sigmactl run"
    await 180 closed "$ci" || fail "failing night not closed"
    run=$(q "SELECT batch_run_id FROM sigma_runs")
    is "SELECT string_agg(symbol, ',' ORDER BY symbol) FROM sigma_run_outcomes WHERE phase = 'prices' AND outcome = 'failed'" \
        "$(IFS=,; echo "${FAILING[*]}")" || fail "prices failures: $(q "SELECT symbol, reason FROM sigma_run_outcomes WHERE outcome='failed'")"
    local failed
    failed=$(q "SELECT failed_jobs FROM batch_run_history")
    ((failed >= 20)) || fail "failed_jobs $failed"
    local expect
    expect=$(q "SELECT count(*) FROM sigma_run_outcomes WHERE symbol LIKE 'FL%'") # every phase of the 20
    echo "   failed_jobs $failed ($(q "SELECT string_agg(DISTINCT phase, ',') FROM sigma_run_outcomes WHERE outcome='failed'"))"

    echo "== the fault fixed, replay --failed-only: completed, rows equal the clean night's"
    fp_get /_fault/off >/dev/null
    "$bin/sigmactl" replay --topic sigma.tasks --from-offset 0 --failed-only --dry-run -d "$ci" >"$work/dry" || fail "dry run"
    grep -q "^read [0-9]*, matched $expect, republished 0 (dry run)" "$work/dry" || fail "dry run: $(tail -1 "$work/dry")"
    "$bin/sigmactl" replay --topic sigma.tasks --from-offset 0 --failed-only -d "$ci" >"$work/replay" ||
        fail "replay: $(cat "$work/replay")"
    grep -q "^read [0-9]*, matched $expect, republished $expect " "$work/replay" || fail "replay: $(cat "$work/replay")"
    await 180 is "SELECT status || ',' || completed_jobs || ',' || failed_jobs || ',' || (error_summary ? 'failed')
        FROM batch_run_history" "completed,$jobs,0,false" ||
        fail "not completed after the replay: $(q "SELECT status, failed_jobs FROM batch_run_history")"
    stored "$ci" >"$work/got"
    diff "$work/want" "$work/got" >"$work/diff" || { head -20 "$work/diff"; fail "rows differ from the clean night's"; }
    stop_all
    fakeprov_stop || fail "fakeprov exit code"
}

# ---- budget: three workers never exceed a provider's rate -------------------------------------
RATE=20
BURST=5
nevents() { [[ $(awk '$1 == "prices"' "$work/events" | wc -l) -ge $1 ]]; }
case_budget() {
    start_pg_migrated
    fakeprov_start "$fakeprov" "$work" || fail "fakeprov"
    provider_settings
    start_broker "$bin/sigmactl" 12
    local i n=150 syms=()
    for i in $(seq -w 1 $n); do syms+=("B$i"); done
    for i in 1 2 3; do
        "$bin/sigma-worker" -d "$ci" --id "w$i" -v "${KX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" \
            -X provider.yahoo.rate=$RATE -X provider.yahoo.burst=$BURST 2>>"$work/worker$i.log" &
        prog+=($!)
    done
    await 60 assigned_all 24 "$work/worker1.log" "$work/worker2.log" "$work/worker3.log" || fail "three workers never shared the partitions" # tasks + onboarding, 12 each
    : >"$work/events"
    "$pipetool" collect "$work/events" 2>"$work/collect.log" &
    pids+=($!)
    "$pipetool" publish prices "$D" run-budget-1 1 "${syms[@]}" || fail "publish"
    await 120 nevents $n || fail "events: $(wc -l <"$work/events") of $n"
    [[ $(awk '$1 == "prices" && $3 == "ok"' "$work/events" | sort -u -k2,2 | wc -l) == "$n" ]] || fail "not every symbol ok"
    fp_get /_times >"$work/times"
    [[ $(wc -l <"$work/times") == "$n" ]] || fail "requests: $(wc -l <"$work/times"), expected $n"
    local busy=0
    for i in 1 2 3; do grep -q "fetch: [0-9]* symbols, [1-9][0-9]* requests" "$work/worker$i.log" && busy=$((busy + 1)); done
    ((busy == 3)) || fail "only $busy of 3 workers fetched"
    # the most requests in any 1000 ms window (sliding over every arrival)
    local worst
    worst=$(sort -n "$work/times" | awk '{ t[NR] = $1 } END { j = 1; m = 0
        for (i = 1; i <= NR; i++) { while (t[i] - t[j] >= 1000) j++; if (i - j + 1 > m) m = i - j + 1 }
        print m }')
    echo "   $n requests by 3 workers; at most $worst in any second (budget $RATE/s + burst $BURST)"
    # The budget holds on the times tokens are granted; the fixture sees arrivals, up to a few
    # milliseconds later, so one more request (1/RATE = 50 ms of slack) may fall in a window.
    # Without the shared budget three workers make about 68 in a second.
    ((worst <= RATE + BURST + 1)) || fail "$worst requests in one second: over the budget"
    stop_all
}

"case_$case_"
echo "replay $case_: ok"
