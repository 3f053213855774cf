#!/usr/bin/env bash
# `sigmactl probe URL`: the health check of deploy/ (compose, Kubernetes exec
# probes if wanted, anything without curl). Against fakeprov (a local HTTP
# server): 200 is exit 0 with the body on stdout; 404, a request that hangs
# past --timeout, a refused connection are exit 1 with one line on stderr; a
# proxy in the environment is not used; bad command lines are exit 2.
#   probe_test.sh SIGMACTL FAKEPROV SOURCE_DIR
set -euo pipefail
ctl=$1
fakeprov=$2
src=$3
work=$(mktemp -d /tmp/sigma-probe-test.XXXXXX)
fp_pid=
trap '[[ -z $fp_pid ]] || kill -9 "$fp_pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/out "$work"/err; do [[ -e $f ]] && { echo "--- $f"; head -5 "$f"; }; done; exit 1; }
. "$src/tests/fixtures/fakeprov.sh"
fakeprov_start "$fakeprov" "$work" --hang-s 20 || fail "fakeprov"

probe() { # EXPECTED_EXIT ARGS...: runs sigmactl probe, stdout/stderr in $work/out, $work/err
  local want=$1 rc=0
  shift
  "$ctl" probe "$@" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc == "$want" ]] || fail "probe $*: exit $rc, expected $want"
}

echo "== usage"
for args in "" "file:///etc/passwd" "ftp://127.0.0.1/" "127.0.0.1:8080/healthz" "--timeout 0 $fp_url/_stats" \
  "--timeout x $fp_url/_stats" "--timeout 3601 $fp_url/_stats" "$fp_url/_stats $fp_url/_stats" "--bogus $fp_url/"; do
  # shellcheck disable=SC2086
  probe 2 $args
  grep -q "usage: sigmactl probe URL" "$work/err" || fail "probe $args: no usage"
done
probe 0 --help
grep -q "usage: sigmactl probe URL" "$work/out" || fail "--help on stdout"

echo "== 200: exit 0, the body on stdout, nothing on stderr"
probe 0 "$fp_url/_stats"
grep -q '"requests"' "$work/out" && [[ ! -s $work/err ]] || fail "200: body or stderr"

echo "== 404: exit 1, status and the body's first line on stderr"
probe 1 "$fp_url/v8/finance/chart/UNKNOWN?period1=0&period2=1"
grep -q "^sigmactl probe: $fp_url/v8/finance/chart/UNKNOWN.*: HTTP 404: {\"chart\"" "$work/err" || fail "404 line"
[[ $(wc -l <"$work/err") == 1 ]] || fail "404: more than one line on stderr"

echo "== a request that hangs: exit 1 at --timeout"
t0=$(date +%s%N)
probe 1 --timeout 0.5 "$fp_url/v8/finance/chart/HANG?period1=0&period2=1"
ms=$((($(date +%s%N) - t0) / 1000000))
((ms < 3000)) || fail "the timeout took $ms ms"
grep -qi "timeout\|timed out" "$work/err" || fail "timeout line"

echo "== nothing listening: exit 1"
port=$(( fp_port == 1 ? 2 : 1 ))
probe 1 --timeout 2 "http://127.0.0.1:$port/healthz"
grep -q "Couldn't connect" "$work/err" || fail "refused line"

echo "== a proxy in the environment is not used"
http_proxy=http://127.0.0.1:1 HTTP_PROXY=http://127.0.0.1:1 all_proxy=http://127.0.0.1:1 probe 0 "$fp_url/_stats"

fakeprov_stop || fail "fakeprov exit code"
echo "probe: ok"
