#!/bin/sh
# `sigmactl broker` for real (issue 9 §3): started in the background, its
# address awaited with a deadline, used by an independent client (kcat) and
# by the bus module (test_bus_broker), then stopped by a signal: exit 0,
# promptly, address file gone. Also its usage errors (exit 2).
# The fault commands of --control (socat as the client):
#   control  every command's reply, bad commands answered (never fatal),
#            several commands on one connection, socket gone at exit
#   down     `down 1` for 3 s while kcat produces and consumes: refused while
#            down, then every message arrives once both recover after `up 1`
#   errors   `errors Produce 5 NOT_LEADER_FOR_PARTITION`: kcat's produce still
#            succeeds (retried) and the broker's log shows the 5 served
#   broker_test.sh SIGMACTL TEST_BUS_BROKER CASE
#   CASE: usage | sigterm | sigint | control | down | errors
set -u
BIN=$1
BUSTEST=$2
LABEL=broker.$3
. "$(dirname "$0")/../cli/lib.sh"

# await COMMAND...: polls until it succeeds; fails after $DEADLINE seconds.
DEADLINE=30
await() {
    end=$(($(date +%s) + DEADLINE))
    until "$@"; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.05
    done
}

usage_cases() {
    for args in "--partitions 0" "--partitions -1" "--partitions abc" "--partitions 1001" "--partitions 2x" \
        "--partitions" "--brokers 0" "--brokers 17" "--bogus" "extra" "-X no.such.setting=1"; do
        STEP="broker $args"
        # shellcheck disable=SC2086
        run broker $args
        expect_rc 2
        err_has "usage: sigmactl broker"
        out_empty
    done
    STEP="--partitions 0 reason"
    run broker --partitions 0
    err_has "--partitions: expected a whole number in 1..1000, got: 0"
    STEP="bad setting"
    run broker -X bus.partitions=0
    expect_rc 2
    err_has "bus.partitions=0: out of range (allowed: an integer from 1 to 10000)"
    STEP="--help"
    run broker --help
    expect_rc 0
    out_has "usage: sigmactl broker"
}

# The broker's exit within 10 s of the signal, then its status.
stop_broker() {
    kill "-$1" "$pid" || fail "kill -$1"
    DEADLINE=10
    await sh -c "! kill -0 $pid 2>/dev/null" || { kill -9 "$pid"; fail "still running 10 s after SIG$1"; }
    wait "$pid"
    RC=$?
    cp "$T/berr" "$T/err"
    not_crashed
    expect_rc 0
    [ ! -e "$T/addr" ] || fail "address file left behind"
}

# start_broker [ARGS...]: in the background ($pid, killed if the test fails),
# $addr once its address file is there.
start_broker() {
    STEP=start
    "$BIN" broker --partitions 3 --address-file "$T/addr" "$@" >"$T/bout" 2>"$T/berr" &
    pid=$!
    trap 'kill "$pid" 2>/dev/null; rm -rf "$T"' EXIT
    DEADLINE=30
    await test -s "$T/addr" || { cp "$T/berr" "$T/err"; fail "no address file within 30 s"; }
    addr=$(cat "$T/addr")
}

serve_case() {
    sig=$1
    start_broker
    case $addr in 127.0.0.1:*) ;; *) fail "address '$addr' is not on loopback" ;; esac
    await grep -qxF "$addr" "$T/bout" || fail "stdout lacks the address"

    STEP="kcat metadata"
    timeout 30 kcat -b "$addr" -L >"$T/out" 2>"$T/err" || fail "kcat -L"
    for t in sigma.tasks sigma.onboarding sigma.events sigma.deadletter; do
        out_has "topic \"$t\" with 3 partitions"
    done

    if [ "$sig" = TERM ]; then
        STEP="kcat produce/consume"
        i=0
        while [ $i -lt 20 ]; do echo "K$((i % 7)):value $i"; i=$((i + 1)); done >"$T/msgs"
        timeout 30 kcat -P -b "$addr" -t sigma.events -K: -X enable.idempotence=true -X acks=all \
            <"$T/msgs" 2>"$T/err" || fail "kcat -P"
        timeout 30 kcat -C -b "$addr" -t sigma.events -o beginning -c 20 -q -f '%k:%s\n' >"$T/out" 2>"$T/err" ||
            fail "kcat -C"
        sort "$T/msgs" >"$T/want"
        sort "$T/out" >"$T/got"
        cmp -s "$T/want" "$T/got" || fail "kcat read back other messages than it wrote"

        STEP="bus module"
        SIGMA_BROKERS=$addr timeout 120 "$BUSTEST" >"$T/out" 2>"$T/err"
        RC=$?
        not_crashed
        expect_rc 0
    fi
    STEP="SIG$sig"
    stop_broker "$sig"
}

# ctl COMMAND-LINES: sends them on one connection; the replies on stdout.
ctl() { printf '%s\n' "$1" | timeout 10 socat -t5 - UNIX-CONNECT:"$T/ctl"; }

# reply_is COMMAND EXPECTED-REPLY (a grep -E pattern for the whole line)
reply_is() {
    STEP="control: $1"
    ctl "$1" >"$T/out" 2>"$T/err" || fail "socat failed"
    [ "$(wc -l <"$T/out")" -eq 1 ] || fail "expected one reply line"
    grep -qxE -- "$2" "$T/out" || fail "reply is not /$2/"
}

control_case() {
    STEP="--control on a file"
    : >"$T/ctl"
    run broker --control "$T/ctl"
    expect_rc 1
    err_has "exists and is not a socket"
    rm -f "$T/ctl"
    start_broker --brokers 2 --control "$T/ctl"
    [ -S "$T/ctl" ] || fail "no control socket once the address is out"
    reply_is help "ok commands: errors API COUNT ERROR \[ERROR...\] \| clear API \| pending API \| down BROKER \| up BROKER \| rtt BROKER MS \| help; BROKER 1..2; API one of Produce .*"
    reply_is "errors Produce 3 NOT_LEADER_FOR_PARTITION" "ok Produce: 3 error\(s\) queued, 3 pending"
    reply_is "errors 0 2 RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT leader_not_available" "ok Produce: 2 error\(s\) queued, 5 pending"
    reply_is "pending Produce" "ok Produce 5"
    reply_is "clear Produce" "ok Produce: 5 pending error\(s\) dropped"
    reply_is "pending 0" "ok Produce 0"
    reply_is "errors FindCoordinator 1 COORDINATOR_NOT_AVAILABLE" "ok FindCoordinator: 1 error\(s\) queued, 1 pending"
    reply_is "clear FindCoordinator" "ok FindCoordinator: 1 pending error\(s\) dropped"
    reply_is "down 2" "ok broker 2 down"
    reply_is "up 2" "ok broker 2 up"
    reply_is "rtt 1 250" "ok broker 1 rtt 250 ms"
    reply_is "rtt 1 0" "ok broker 1 rtt 0 ms"
    reply_is "errors Metadata 1 NOT_LEADER_FOR_PARTITION" "error: Metadata: librdkafka 2.0.2's mock cluster never answers Metadata requests with queued errors.*"
    reply_is "errors Bogus 1 NOT_COORDINATOR" "error: Bogus: not an API whose requests the mock cluster fails on demand.*"
    reply_is "errors Produce 0 NOT_COORDINATOR" "error: count '0': expected a whole number in 1..100000"
    reply_is "errors Produce 2 NOT_COORDINATOR REQUEST_TIMED_OUT LEADER_NOT_AVAILABLE" "error: 3 errors for a count of 2: give one \(repeated\) or 2"
    reply_is "errors Produce 1 NO_SUCH_ERROR" "error: NO_SUCH_ERROR: not a librdkafka error name.*"
    reply_is "errors Produce" "error: usage: errors API COUNT ERROR \[ERROR...\]"
    reply_is "down 3" "error: broker '3': expected a broker number in 1..2"
    reply_is "up x" "error: broker 'x': expected a broker number in 1..2"
    reply_is "down" "error: usage: down BROKER"
    reply_is "rtt 1 -5" "error: rtt '-5': expected milliseconds in 0..600000"
    reply_is "clear" "error: usage: clear API"
    reply_is "frobnicate 1" "error: unknown command 'frobnicate' \(help lists them\)"
    reply_is "" "error: empty command \(help lists them\)"
    reply_is "$(head -c 1500 /dev/zero | tr '\0' x)" "error: command longer than 1023 bytes"
    STEP="three commands, one connection"
    ctl "$(printf 'pending Fetch\nbogus\nrtt 2 0')" >"$T/out" 2>"$T/err" || fail "socat failed"
    printf 'ok Fetch 0\nerror: unknown command %s (help lists them)\nok broker 2 rtt 0 ms\n' "'bogus'" >"$T/want"
    cmp -s "$T/want" "$T/out" || fail "replies differ from $(cat "$T/want")"
    STEP="the broker still serves"
    timeout 30 kcat -b "$addr" -L >"$T/out" 2>"$T/err" || fail "kcat -L"
    stop_broker TERM
    [ ! -e "$T/ctl" ] || fail "control socket left behind"
}

# msgs FROM TO: keyed lines "K<i mod 7>:value <i>"
msgs() {
    i=$1
    while [ "$i" -le "$2" ]; do echo "K$((i % 7)):value $i"; i=$((i + 1)); done
}

consumed_at_least() { [ "$(wc -l <"$T/got" 2>/dev/null || echo 0)" -ge "$1" ]; }
metadata_fails() { ! timeout 10 kcat -b "$addr" -L -m 2 >/dev/null 2>&1; }

# produce FROM TO: messages FROM..TO by one kcat -P, acknowledged (kcat sends
# only at the end of its input, so one process per stage of the fault; -E:
# "all brokers are down" is what we want it to live through).
produce() {
    msgs "$1" "$2" | timeout 120 kcat -P -E -b "$addr" -t sigma.events -K: -m 60 -X enable.idempotence=true \
        -X acks=all 2>"$T/perr.$1"
}

down_case() {
    start_broker --control "$T/ctl"
    STEP="before the fault"
    timeout 120 kcat -C -E -b "$addr" -t sigma.events -o beginning -c 60 -q -u -f '%k:%s\n' >"$T/got" 2>"$T/cerr" &
    cpid=$!
    produce 1 20 || { cp "$T/perr.1" "$T/err"; fail "kcat -P 1..20"; }
    DEADLINE=60
    await consumed_at_least 20 || fail "the first 20 messages were not consumed within 60 s"
    STEP="down 1"
    [ "$(ctl "down 1")" = "ok broker 1 down" ] || fail "down 1 refused"
    metadata_fails || fail "a new client still got metadata from broker 1 while it was down"
    produce 21 40 &
    ppid=$!
    # the fault lasts 3 s on purpose: the clients' reconnect backoff passes
    # several times, the consumer connected before it must come back
    sleep 3
    STEP="up 1"
    [ "$(ctl "up 1")" = "ok broker 1 up" ] || fail "up 1 refused"
    STEP="recovery"
    wait "$ppid" || { cp "$T/perr.21" "$T/err"; fail "the producer started while down failed after up"; }
    produce 41 60 || { cp "$T/perr.41" "$T/err"; fail "kcat -P 41..60 after up"; }
    DEADLINE=90
    await consumed_at_least 60 || { cp "$T/cerr" "$T/err"; fail "only $(wc -l <"$T/got") of 60 messages consumed"; }
    wait "$cpid" || fail "the consumer failed"
    msgs 1 60 | sort >"$T/want"
    sort "$T/got" >"$T/gots"
    cmp -s "$T/want" "$T/gots" || fail "consumed messages differ from the 60 produced (lost or duplicated)"
    stop_broker TERM
}

errors_case() {
    start_broker --control "$T/ctl"
    STEP="errors Produce 5"
    [ "$(ctl "errors Produce 5 NOT_LEADER_FOR_PARTITION")" = "ok Produce: 5 error(s) queued, 5 pending" ] ||
        fail "errors refused"
    msgs 1 10 >"$T/msgs"
    timeout 60 kcat -P -b "$addr" -t sigma.events -K: -X enable.idempotence=true -X acks=all <"$T/msgs" 2>"$T/err" ||
        fail "kcat -P did not succeed through 5 NOT_LEADER_FOR_PARTITION answers"
    [ "$(ctl "pending Produce")" = "ok Produce 0" ] || fail "not all 5 errors were served"
    n=$(grep -c "answered a Produce request from 127.0.0.1:[0-9]* with the injected error NOT_LEADER_FOR_PARTITION" "$T/berr")
    [ "$n" -eq 5 ] || { cp "$T/berr" "$T/err"; fail "the broker's log shows $n errors served, not 5"; }
    timeout 30 kcat -C -b "$addr" -t sigma.events -o beginning -c 10 -q -f '%k:%s\n' >"$T/out" 2>"$T/err" || fail "kcat -C"
    sort "$T/msgs" >"$T/want"
    sort "$T/out" >"$T/got"
    cmp -s "$T/want" "$T/got" || fail "read back other messages than written"
    stop_broker TERM
}

case $3 in
usage) usage_cases ;;
sigterm) serve_case TERM ;;
sigint) serve_case INT ;;
control) control_case ;;
down) down_case ;;
errors) errors_case ;;
*) fail "unknown case" ;;
esac
echo ok
