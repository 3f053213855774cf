# The pipeline tests' shared harness, sourced by pipeline_test.sh, worker_test.sh,
# e2e_test.sh, onboard_test.sh and replay_test.sh:   . lib.sh SOURCE_DIR NAME
# Sets src, work (a fresh directory, removed on exit), pids (every background
# process, SIGKILLed on exit, so a failing test leaves nothing behind) and
# SIGMA_MIGRATIONS; defines fail (prints the tails of the logs), q, is, await,
# alive, exited, start_pg (sets ci) and start_broker (sets SIGMA_BROKERS, addr).
src=$1
work=$(mktemp -d "/tmp/sigma-$2.XXXXXX")
chmod 755 "$work"
export SIGMA_MIGRATIONS=$src/migrations
pids=()
ci=
lib_cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -z $ci ]] || "$src/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap lib_cleanup EXIT
show_logs() {
  local f
  for f in "$work"/*.log; do [[ -e $f ]] && { echo "--- $f"; tail -${LOG_TAIL:-25} "$f"; }; done
  return 0
}
fail() {
  echo "FAIL (${case_:-}): $*"
  show_logs
  exit 1
}
q() { psql "${2:-$ci}" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }        # SQL [CONNINFO]
is() { [[ $(q "$1" "${3:-$ci}") == "$2" ]]; }                       # SQL VALUE [CONNINFO]
alive() { kill -0 "$1" 2>/dev/null; }
exited() { ! kill -0 "$1" 2>/dev/null; }

# await SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds; 1 at the deadline.
await() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    (($(date +%s) < end)) || return 1
    sleep 0.1
  done
}

# start_pg: a throwaway PostgreSQL under $work/pg (stopped on exit); sets ci.
start_pg() { ci=$("$src/scripts/pg.sh" start "$work/pg"); }

# start_broker SIGMACTL PARTITIONS: `sigmactl broker` in the background, its
# address awaited; sets broker (its pid) and addr, exports SIGMA_BROKERS (every
# program and pipetool use it).
start_broker() {
  rm -f "$work/addr"
  "$1" broker --partitions "$2" --address-file "$work/addr" >"$work/broker.out" 2>"$work/broker.log" &
  broker=$!
  pids+=($broker)
  await 30 test -s "$work/addr" || fail "no broker address within 30 s"
  addr=$(cat "$work/addr")
  export SIGMA_BROKERS=$addr
}

# assigned_all TOTAL LOG...: each worker's last rebalance line (in its log) is an
# assignment, and together they hold TOTAL partitions: the group is settled, so
# work published now is shared (a worker that joins later takes the mock broker
# seconds of rebalancing, during which the first may hold everything).
assigned_all() {
  local total=$1 sum=0 n f
  shift
  for f in "$@"; do
    n=$(grep "kafka rebalance" "$f" 2>/dev/null | tail -1 | sed -n 's/.*assigned \([0-9]*\) partition.*/\1/p')
    [[ -n $n && $n -gt 0 ]] || return 1
    sum=$((sum + n))
  done
  ((sum == total))
}

# no_sanitizer_report: no ASan/UBSan report (nor a nested transaction) in any log.
no_sanitizer_report() {
  ! grep -l 'Sanitizer\|runtime error:\|transaction in progress' "$work"/*.log || fail "a sanitizer report in a log"
}
