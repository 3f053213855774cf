#!/bin/sh
# `sigmactl broker` for real (issue 9 §3): started in the background, its
# address awaited with a deadline, used by an independent client (kcat) and
# by the bus module (test_bus_broker), then stopped by a signal: exit 0,
# promptly, address file gone. Also its usage errors (exit 2).
#   broker_test.sh SIGMACTL TEST_BUS_BROKER CASE     CASE: usage | sigterm | sigint
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

serve_case() {
    sig=$1
    STEP=start
    "$BIN" broker --partitions 3 --address-file "$T/addr" >"$T/bout" 2>"$T/berr" &
    pid=$!
    await test -s "$T/addr" || { cp "$T/berr" "$T/err"; fail "no address file within 30 s"; }
    addr=$(cat "$T/addr")
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

case $3 in
usage) usage_cases ;;
sigterm) serve_case TERM ;;
sigint) serve_case INT ;;
*) fail "unknown case" ;;
esac
echo ok
