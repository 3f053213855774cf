#!/usr/bin/env bash
# The producer and the coordinator as real processes: a throwaway PostgreSQL
# (scripts/pg.sh), `sigmactl broker`, and kcat standing in for the workers
# (their events written by pipetool with common/messages). Every condition is
# awaited with a deadline in a poll loop.
#   pipeline_test.sh BINDIR PIPETOOL SOURCE_DIR CASE
#   CASE: usage | flow | coordkill | producerkill | timeout | lead | today
set -euo pipefail
bin=$1
pipetool=$2
src=$3
case_=$4
. "$(dirname "$0")/lib.sh" "$src" pipeline-test

KX=(-X session.timeout.ms=6000)
SYMS=AAA,BBB,CCC,DDD
N=12 # 4 symbols + the 8 factor ETFs: the prices phase
NL=4  # the factors and metrics phases: the run's list only (the ETFs are inputs)
J=$((N + 2 * NL)) # the run's jobs
DATE=2025-06-30

start_services() {
    start_pg
    "$bin/sigmactl" migrate up -d "$ci" >/dev/null
    start_broker "$bin/sigmactl" 3
}

start_coordinator() { # [LOG [-X ...]]
    local log=${1:-coordinator}
    shift || true
    "$bin/sigma-coordinator" -d "$ci" -v -v "${KX[@]}" -X coordinator.poll_ms=200 "$@" 2>>"$work/$log.log" &
    coord=$!
    pids+=($coord)
}

# The tasks on the topic: "RUN PHASE SYMBOL ATTEMPT DATE" lines.
tasks() {
    timeout 30 kcat -C -b "$addr" -t sigma.tasks -o beginning -e -q -f '%k %S %s' 2>/dev/null | "$pipetool" decode-tasks
}
ntasks() { # PHASE: distinct symbols with a task of PHASE
    tasks | awk -v p="$1" '$2 == p { print $3 }' | sort -u | wc -l
}
have_tasks() { [[ $(ntasks "$1") == "$2" ]]; }

# events OUTCOME PHASE [SYMBOL...]: one event each (every symbol of the run by default).
events() {
    local outcome=$1 phase=$2
    shift 2
    local syms=("$@")
    ((${#syms[@]})) || mapfile -t syms < <(q "SELECT symbol FROM sigma_run_outcomes WHERE batch_run_id='$run' AND phase='$phase' ORDER BY symbol")
    for s in "${syms[@]}"; do
        if [[ $outcome == ok ]]; then echo "$run $phase $s ok"; else echo "$run $phase $s failed no data from any provider"; fi
    done | "$pipetool" encode-events | timeout 30 kcat -P -b "$addr" -t sigma.events -K: -D '#EOM#' ||
        fail "kcat -P events"
}

request() {
    "$bin/sigmactl" run --date "$DATE" --symbols "$SYMS" -d "$ci" >"$work/run.out" 2>"$work/run.err" || fail "sigmactl run"
    "$bin/sigma-producer" -d "$ci" --once -v -v 2>>"$work/producer.log" || fail "producer --once"
    run=$(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date='$DATE' AND closed_at IS NULL")
    [[ -n $run ]] || fail "no run opened"
}

status_is() { is "SELECT status FROM batch_run_history WHERE batch_run_id='$run'" "$1"; }
phase_is() { is "SELECT phase || ',' || fanned_out FROM sigma_runs WHERE batch_run_id='$run'" "$1"; }

case_usage() {
    local rc
    for args in "" "--date" "--date 2025-02-30" "--date 1969-12-31" "--date 2025-06-30 --symbols aapl" \
        "--date 2025-06-30 --symbols ," "--date 2025-06-30 extra" "--bogus" "--date Today" "--date today extra" \
        "--date yesterday"; do
        set +e
        # shellcheck disable=SC2086
        "$bin/sigmactl" run $args >"$work/out" 2>"$work/err"
        rc=$?
        set -e
        [[ $rc == 2 ]] || fail "sigmactl run $args: exit $rc, expected 2"
        grep -q "usage: sigmactl run" "$work/err" || fail "sigmactl run $args: no usage"
    done
    for p in sigma-producer sigma-coordinator; do
        set +e
        "$bin/$p" --bogus 2>"$work/err"; rc=$?
        "$bin/$p" -X coordinator.poll_ms=0 2>>"$work/err"; rc2=$?
        set -e
        [[ $rc == 2 && $rc2 == 2 ]] || fail "$p usage exit codes $rc $rc2"
        grep -q "coordinator.poll_ms=0: out of range" "$work/err" || fail "$p: bad setting not named"
        # -F FILE: unreadable, or a bad line named by FILE:LINE without echoing it (it may be a secret)
        printf '# kafka\nsasl.username = u\nsasl.password Hunter2Secret\n' >"$work/kafka.conf"
        set +e
        "$bin/$p" -F "$work/no-such.conf" 2>"$work/err"; rc=$?
        "$bin/$p" -F "$work/kafka.conf" 2>>"$work/err"; rc2=$?
        set -e
        [[ $rc == 2 && $rc2 == 2 ]] || fail "$p -F usage exit codes $rc $rc2"
        grep -q -- "-F $work/no-such.conf: cannot read it: No such file or directory" "$work/err" || fail "$p: -F unreadable"
        grep -q "kafka.conf:3: expected name=value" "$work/err" || fail "$p: -F bad line not named: $(cat "$work/err")"
        ! grep -q Hunter2Secret "$work/err" || fail "$p: -F echoed a secret line"
        # a good file is taken as its -X would be (-X list shows it, the secret redacted)
        printf 'sasl.username = u\nsasl.password = Hunter2Secret\nlinger.ms=9\ncoordinator.poll_ms = 300\n' >"$work/kafka.conf"
        "$bin/$p" -F "$work/kafka.conf" -X list >"$work/out" 2>"$work/err" || fail "$p -F FILE -X list"
        grep -qx "linger.ms=9" "$work/out" && grep -qx "sasl.password=\[redacted\]" "$work/out" &&
            grep -q "^coordinator.poll_ms=300" "$work/out" || fail "$p: -F not taken: $(cat "$work/out")"
        ! grep -q Hunter2Secret "$work/out" "$work/err" || fail "$p: -X list showed the secret"
    done
}

case_flow() {
    start_services
    echo "== two requests for one date: one run"
    "$bin/sigmactl" run --date "$DATE" --symbols "$SYMS" -d "$ci" >"$work/r1" || fail "run 1"
    "$bin/sigmactl" run --date "$DATE" -d "$ci" >"$work/r2" 2>"$work/r2.err" || fail "run 2"
    grep -qx "request [0-9]*" "$work/r1" || fail "first request: $(cat "$work/r1")"
    grep -qx "request [0-9]* pending" "$work/r2" || fail "second request: $(cat "$work/r2")"
    "$bin/sigma-producer" -d "$ci" --once -v -v 2>>"$work/producer.log" || fail "producer --once"
    run=$(q "SELECT batch_run_id FROM sigma_runs WHERE calc_date='$DATE' AND closed_at IS NULL")
    "$bin/sigmactl" run --date "$DATE" -d "$ci" >"$work/r3" 2>"$work/r3.err" || fail "run 3"
    grep -qx "run $run open (phase prices)" "$work/r3" || fail "third request: $(cat "$work/r3")"
    grep -q "not starting a second" "$work/r3.err" || fail "third request does not say so"
    is "SELECT count(*) FROM sigma_runs" 1 || fail "more than one run"
    is "SELECT status || ',' || (error_summary->>'batch_type') || ',' || (error_summary->>'calc_date') || ',' || total_jobs
        FROM batch_run_history WHERE batch_run_id='$run'" "running,nightly,$DATE,$J" || fail "batch_run_history row"

    echo "== the producer published $N prices tasks, keys = symbols"
    await 30 have_tasks prices $N || fail "prices tasks: $(ntasks prices)"
    tasks | awk '{ if ($4 != 1 || $5 != "'$DATE'") bad = 1 } END { exit bad }' || fail "attempt 1 and the date"
    timeout 30 kcat -C -b "$addr" -t sigma.tasks -o beginning -e -q -f '%k\n' | sort -u >"$work/keys"
    grep -qx SPY "$work/keys" && grep -qx AAA "$work/keys" && [[ $(wc -l <"$work/keys") == "$N" ]] || fail "keys"
    is "SELECT fanned_out FROM sigma_runs" t || fail "not marked fanned out"

    echo "== events: ok twice, an unknown run, garbage"
    start_coordinator
    events ok prices
    events ok prices AAA BBB
    echo "nightly-2000-01-01-r999 prices AAA ok" | "$pipetool" encode-events | timeout 30 kcat -P -b "$addr" -t sigma.events -K: -D '#EOM#'
    printf 'not msgpack' | timeout 30 kcat -P -b "$addr" -t sigma.events -k JUNK
    await 60 phase_is "factors,true" || fail "factors not started: $(q "SELECT phase, fanned_out FROM sigma_runs")"
    await 30 have_tasks factors $NL || fail "factors tasks"
    await 30 is "SELECT sum(duplicates) FROM sigma_run_outcomes WHERE batch_run_id='$run'" 2 || fail "duplicates counted"
    await 30 grep -q "unknown event ignored: run nightly-2000-01-01-r999" "$work/coordinator.log" || fail "unknown run not logged"
    timeout 30 kcat -C -b "$addr" -t sigma.deadletter -o beginning -c 1 -q -f '%k|%s|%h\n' >"$work/dl" || fail "no dead letter"
    grep -q "^JUNK|not msgpack|.*sigma.reason=event: " "$work/dl" || fail "dead letter: $(cat "$work/dl")"
    grep -q "sigma.topic=sigma.events" "$work/dl" && grep -q "sigma.offset=" "$work/dl" || fail "dead-letter headers"

    echo "== factors, metrics: the run completes"
    events ok factors
    await 60 phase_is "metrics,true" || fail "metrics not started"
    events ok metrics
    events failed metrics CCC
    await 60 status_is completed || fail "not completed: $(q "SELECT status FROM batch_run_history")"
    is "SELECT total_jobs || ',' || completed_jobs || ',' || failed_jobs || ',' || (completed_at IS NOT NULL)
        FROM batch_run_history WHERE batch_run_id='$run'" "$J,$J,0,true" || fail "counts"
    is "SELECT (SELECT count(*) FROM jsonb_object_keys(phase_durations)) FROM batch_run_history" 3 || fail "phase durations"
    is "SELECT count(*) FROM sigma_runs WHERE closed_at IS NULL" 0 || fail "run not closed"
    is "SELECT string_agg(status || ':' || batch_run_id, ' ') FROM sigma_run_requests" "started:$run" ||
        fail "requests: $(q "SELECT status FROM sigma_run_requests")"
    kill -TERM "$coord"
    await 20 sh -c "! kill -0 $coord 2>/dev/null" || fail "coordinator did not stop on SIGTERM"
    wait "$coord" || fail "coordinator exit code after SIGTERM"
}

case_coordkill() {
    start_services
    request
    start_coordinator
    events ok prices
    await 60 phase_is "factors,true" || fail "factors not started"
    kill -9 "$coord"
    events ok factors # while no coordinator runs
    start_coordinator coordinator2
    await 60 phase_is "metrics,true" || fail "restarted coordinator did not start metrics"
    events ok metrics
    await 60 status_is completed || fail "not completed"
    is "SELECT completed_jobs || ',' || failed_jobs FROM batch_run_history" "$J,0" || fail "counts"
}

case_producerkill() {
    start_services
    "$bin/sigmactl" run --date "$DATE" --symbols "$SYMS" -d "$ci" >/dev/null || fail "sigmactl run"
    # linger.ms holds the tasks in the client: the claim is committed, the
    # acknowledgements are not in when the SIGKILL comes.
    "$bin/sigma-producer" -d "$ci" -v -v -X linger.ms=20000 -X producer.poll_ms=200 2>>"$work/producer.log" &
    local p=$!
    pids+=($p)
    await 30 is "SELECT count(*) FROM sigma_run_outcomes WHERE attempt = 1" $N || fail "tasks never claimed"
    kill -9 $p
    run=$(q "SELECT batch_run_id FROM sigma_runs")
    is "SELECT fanned_out FROM sigma_runs" f || fail "marked fanned out before the acknowledgements"
    "$bin/sigma-producer" -d "$ci" --once -v -v 2>>"$work/producer.log" || fail "restarted producer"
    is "SELECT fanned_out FROM sigma_runs" t || fail "restart did not finish the fan-out"
    is "SELECT count(*) FROM sigma_run_outcomes WHERE attempt = 2" $N || fail "attempt 2"
    await 30 have_tasks prices $N || fail "prices tasks after the restart"
    start_coordinator
    events ok prices
    await 60 phase_is "factors,true" || fail "factors not started"
}

case_timeout() {
    start_services
    request
    start_coordinator coordinator -X coordinator.phase_timeout_s=10
    events ok prices AAA BBB CCC SPY VTV VUG MTUM QUAL IWM USMV # DDD and TLT never answer
    await 30 is "SELECT count(*) FROM sigma_run_outcomes WHERE outcome = 'ok'" 10 || fail "events before the deadline"
    is "SELECT phase FROM sigma_runs" prices || fail "phase ended before its deadline"
    await 60 phase_is "factors,true" || fail "deadline did not end the phase"
    is "SELECT string_agg(symbol || ':' || reason, ',' ORDER BY symbol) FROM sigma_run_outcomes
        WHERE phase='prices' AND outcome='failed'" "DDD:timed out,TLT:timed out" || fail "timed out symbols"
    events ok factors
    await 60 phase_is "metrics,true" || fail "metrics not started"
    events ok metrics
    await 60 status_is completed || fail "not completed"
    is "SELECT completed_jobs || ',' || failed_jobs || ',' || (error_summary->>'failed_count')
        || ',' || (error_summary->'failed'->0->>'reason') FROM batch_run_history" "$((J - 2)),2,2,timed out" ||
        fail "counts: $(q "SELECT completed_jobs, failed_jobs, error_summary FROM batch_run_history")"
}

case_lead() {
    start_services
    request
    start_coordinator coordA
    local a=$coord
    await 30 grep -q "leading (" "$work/coordA.log" || fail "first coordinator does not lead"
    start_coordinator coordB
    local b=$coord
    await 30 grep -q "another coordinator leads" "$work/coordB.log" || fail "second coordinator never tried"
    ! grep -q "leading (" "$work/coordB.log" || fail "two coordinators lead"
    kill -9 "$a"
    await 30 grep -q "leading (" "$work/coordB.log" || fail "second coordinator did not take over"
    events ok prices
    await 60 phase_is "factors,true" || fail "factors not started by the new leader"
    kill -TERM "$b"
    wait "$b" || fail "exit code after SIGTERM"
}

# `sigmactl run --date today`: New York's date by the database's clock, whatever
# the client's time zone (TZ, PGTZ); the same request as the explicit date.
case_today() {
    start_pg
    "$bin/sigmactl" migrate up -d "$ci" >/dev/null
    local ny="SELECT (now() AT TIME ZONE 'America/New_York')::date" before after sys got
    before=$(q "$ny")
    sys=$(TZ=America/New_York date +%F)
    TZ=Pacific/Kiritimati PGTZ=Pacific/Kiritimati "$bin/sigmactl" run --date today -d "$ci" >"$work/r1" 2>"$work/r1.err" ||
        fail "run --date today: $(cat "$work/r1.err")"
    after=$(q "$ny")
    got=$(q "SELECT calc_date FROM sigma_run_requests")
    [[ $got == "$before" || $got == "$after" ]] || fail "today is $got, New York's date is $before..$after"
    [[ $got == "$sys" || $(TZ=America/New_York date +%F) == "$got" ]] || fail "today is $got, the system's New York date $sys"
    grep -qx "request [0-9]*" "$work/r1" || fail "stdout: $(cat "$work/r1")"
    grep -qx "% sigmactl: today in New York is $got" "$work/r1.err" || fail "stderr: $(cat "$work/r1.err")"
    # the same date, however it is spelled: one pending request
    TZ=Asia/Tokyo "$bin/sigmactl" run --date today --symbols AAA -d "$ci" >"$work/r2" 2>"$work/r2.err" || fail "run 2"
    "$bin/sigmactl" run --date "$got" -d "$ci" >"$work/r3" 2>"$work/r3.err" || fail "run 3"
    local id
    id=$(sed -n 's/^request \([0-9]*\)$/\1/p' "$work/r1")
    grep -qx "request $id pending" "$work/r2" || fail "second today: $(cat "$work/r2")"
    grep -qx "request $id pending" "$work/r3" || fail "explicit date: $(cat "$work/r3")"
    grep -q "a request for $got waits already" "$work/r3.err" || fail "explicit date's stderr: $(cat "$work/r3.err")"
    is "SELECT count(*) FROM sigma_run_requests" 1 || fail "more than one request"
    # today needs the database's clock: no database, no request (exit 1, not a guess)
    set +e
    "$bin/sigmactl" run --date today -d "host=$work/nowhere port=1 connect_timeout=2" >"$work/r4" 2>"$work/r4.err"
    local rc=$?
    set -e
    [[ $rc == 1 && ! -s $work/r4 ]] || fail "no database: exit $rc, stdout $(cat "$work/r4")"
    grep -q "sigmactl run: " "$work/r4.err" || fail "no database: $(cat "$work/r4.err")"
}

"case_$case_"
echo "pipeline $case_: ok"
