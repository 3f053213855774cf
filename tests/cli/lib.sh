# lib.sh - sourced by the command-line tests: a private temp dir ($T, removed
# on exit), running sigmactl ($BIN) with its output kept, and assertions.
# Set BIN and LABEL (and optionally STEP) before sourcing.
T=$(mktemp -d "${TMPDIR:-/tmp}/sgcli.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' HUP INT PIPE TERM

fail() {
    echo "FAIL [$LABEL${STEP:+: $STEP}]: $*" >&2
    echo "--- stdout (head):" >&2
    head -c 2000 "$T/out" >&2 2>/dev/null
    echo "--- stderr (head):" >&2
    head -c 2000 "$T/err" >&2 2>/dev/null
    exit 1
}

# not_crashed: no signal, and no AddressSanitizer/UBSan report (a sanitizer
# build exits 1 on an error, like a bad input).
not_crashed() {
    if [ "$RC" -ge 128 ]; then
        fail "crashed: exit $RC (signal $((RC - 128)))"
    fi
    if grep -qE "ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:" "$T/err"; then
        fail "sanitizer report, exit $RC"
    fi
}

# run ARGS...: runs sigmactl, keeps stdout in $T/out, stderr in $T/err, status in RC.
run() {
    "$BIN" "$@" >"$T/out" 2>"$T/err"
    RC=$?
    not_crashed
}

expect_rc() { [ "$RC" -eq "$1" ] || fail "exit $RC, expected $1"; }
err_has() { grep -qF -- "$1" "$T/err" || fail "stderr lacks: $1"; }
out_has() { grep -qF -- "$1" "$T/out" || fail "stdout lacks: $1"; }
out_empty() { [ ! -s "$T/out" ] || fail "stdout is not empty"; }
err_empty() { [ ! -s "$T/err" ] || fail "stderr is not empty"; }
