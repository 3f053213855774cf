#!/usr/bin/env bash
# `sigmactl up` / `sigmactl down` and the README's first command
# (scripts/local.sh), as a newcomer runs them, in a temporary state directory
# and on a free base port chosen here (P..P+3: coordinator, producer, w1, w2).
#   up_test.sh BINDIR SOURCE_DIR CASE
# CASE:
#   first  scripts/local.sh --symbols 20 --workers 2 --port P: the summary
#          (phases, failures, betas table, logs, page, stop hint), the run
#          completed in the database, every component answers /readyz and
#          the coordinator serves the status page
#   again  a second up says "already up" and starts nothing; without run/system
#          (a start that never finished) it asks for down
#   down   every started process gone, PostgreSQL stopped; a process named by
#          forged pidfiles (a sleep) survives; down again: nothing running
#   port   a port in use: exit 1 naming port and component, nothing started
#   state  a state dir that cannot be made or written, a missing program: exit 1
#          with the reason; usage errors: exit 2
#   dies   workers that exit while starting (a bad -X): named with their
#          log's end, the rest stopped, nothing left
#   lock   another up holding the state dir's lock: up and down exit 1 naming
#          its pid (scripts/local.sh too), nothing started
# Every wait has a deadline; the trap stops whatever is left, also on failure.
set -euo pipefail
bin=$1
src=$2
case_=$3
work=$(mktemp -d /tmp/sigma-up-test.XXXXXX)
chmod 755 "$work" # the postgres user reaches the cluster in the state dir
state=$work/state
helpers=() # processes the test started (sleep, port holders)
claim=     # this test's port claim (pick_port)

# Stops what up started even when down is broken: down first, then any
# process whose command line names this test's directory, then the cluster.
cleanup() {
  local p pgbin
  "$bin/sigmactl" down --state "$state" >/dev/null 2>&1 || true
  for p in "${helpers[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in $(pgrep -f "$work" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  if [[ -f $state/pg/data/postmaster.pid ]]; then
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$pgbin/pg_ctl" -D "$state/pg/data" -m immediate stop >/dev/null 2>&1 || true
    else "$pgbin/pg_ctl" -D "$state/pg/data" -m immediate stop >/dev/null 2>&1 || true; fi
  fi
  [[ -L $state/pg ]] && rm -rf "$(readlink "$state/pg")"
  rm -rf "$work"
  [[ -z ${claim:-} ]] || rm -f "$claim"
}
trap cleanup EXIT

fail() {
  local f
  echo "FAIL (up.$case_): $*"
  for f in "$work/out" "$work/err" "$state"/logs/*.log; do
    [[ -e $f ]] && { echo "--- $f"; tail -20 "$f"; }
  done
  exit 1
}
# await SECONDS COMMAND...: polls every 0.1 s; 1 at the deadline.
await() {
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    (($(date +%s) < end)) || return 1
    sleep 0.1
  done
}
has() { grep -qE -- "$2" "$work/$1" || fail "$1 lacks /$2/"; }
lacks() { ! grep -qE -- "$2" "$work/$1" || fail "$1 has /$2/"; }
# running PID: alive and not a zombie (nobody here reaps orphans)
running() {
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [[ -n $st && $st != Z && $st != X ]]
}
pidfile_pids() { sed -n 's/^pid=//p' "$state"/run/*.pid 2>/dev/null; }
# the system's processes name the state dir on their command line, or the
# cluster's directory when STATE/pg is a link (the postgres user could not reach it)
system_re() {
  local re="$work/state"
  [[ -L $state/pg ]] && re="$re|$(readlink "$state/pg")"
  echo "$re"
}
ours() { # how many of them run
  local p n=0
  for p in $(pgrep -f "$(system_re)" 2>/dev/null); do running "$p" && n=$((n + 1)); done
  echo $n
}
none_running() { [[ $(ours) == 0 ]]; }
nothing_left() {
  [[ -z $(ls "$state/run/"*.pid 2>/dev/null) ]] || fail "pidfiles left: $(ls "$state/run")"
  await 10 none_running || fail "processes left: $(pgrep -af "$(system_re)")"
}
no_sanitizer_report() {
  ! grep -l 'Sanitizer\|runtime error:' "$state"/logs/*.log "$work/err" 2>/dev/null || fail "a sanitizer report"
}

# A base port P with P..P+3 free, below the ephemeral range (so no client
# socket and no mock broker listener takes one meanwhile), and claimed: a free
# port is only free until someone binds it, and the up tests (of this build and
# of another run beside it) start together and bind theirs seconds after the
# check. A claim is a file CLAIMS/P holding the test's pid, made under a lock;
# no new P comes within 3 of a live claim; a claim whose test is gone is stale.
CLAIMS=/tmp/sigma-up-ports
port_free() {
  python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}
claimed_near() { # P: a live claim within 3 of P (stale ones removed)
  local c pid
  for c in "$CLAIMS"/[0-9]*; do
    [[ -e $c ]] || continue
    pid=$(cat "$c" 2>/dev/null || true)
    if ! [[ $pid =~ ^[0-9]+$ && -d /proc/$pid ]]; then rm -f "$c"; continue; fi
    ((${c##*/} - $1 <= 3 && $1 - ${c##*/} <= 3)) && return 0
  done
  return 1
}
pick_port() {
  local try p ok
  mkdir -p "$CLAIMS"
  chmod 1777 "$CLAIMS" 2>/dev/null || true
  exec 9<"$CLAIMS" # the lock is the directory's own (flock(1) on its descriptor)
  flock -w 60 9 || fail "the port claims' lock ($CLAIMS) was not free within 60 s"
  for try in $(seq 50); do
    P=$((20000 + RANDOM % 12000))
    claimed_near $P && continue
    ok=1
    for p in $P $((P + 1)) $((P + 2)) $((P + 3)); do port_free $p || ok=0; done
    if ((ok)); then
      echo $$ >"$CLAIMS/$P"
      claim=$CLAIMS/$P
      exec 9>&-
      return 0
    fi
  done
  fail "no 4 free ports in a row"
}
pick_port

# up ARGS...: sigmactl up in the state dir; output in out/err, status in rc.
up() {
  set +e
  "$bin/sigmactl" up --state "$state" --port "$P" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
}
down() {
  set +e
  "$bin/sigmactl" down --state "$state" "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
}
db() { psql "host=$state/pg port=5432 user=postgres" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }

# the summary of a clean run of 20 stocks (and the 3 onboarded)
check_summary() {
  local ph b='( +-?[0-9]+\.[0-9]{3}| +-){8}$'
  has out '^nightly run nightly-2025-07-15-r1 for 2025-07-15: completed$'
  for ph in prices factors metrics; do has out "^  $ph +[0-9]+ done +[0-9]+ failed +[0-9.]+ s$"; done
  has out '^  prices +28 done +3 failed'
  has out '^  failed +prices GLD USO UUP: not fetched'
  has out '^  symbol +from +market +value +growth +momentum +quality +size +low vol +rates$'
  has out "^  S0001 +nightly$b"
  has out "^  S0021 +onboard$b"
  has out '^  S0023 +completed in [0-9.]+ s$'
  has out "^  logs +$state/logs/"
  has out "^  status page +http://127.0.0.1:$P/"
  has out "^  stop it +.*sigmactl down --state $state$"
  has out "scripts/local.sh down"
}
check_database() {
  [[ $(db "SELECT status FROM batch_run_history") == completed ]] || fail "run: $(db "SELECT status, error_summary FROM batch_run_history")"
  [[ $(db "SELECT completed_jobs + failed_jobs = total_jobs AND failed_jobs = 6 FROM batch_run_history") == t ]] ||
    fail "counts: $(db "SELECT total_jobs, completed_jobs, failed_jobs FROM batch_run_history")"
  [[ $(db "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'completed'") == 3 ]] ||
    fail "onboarding: $(db "SELECT symbol, status, error_message FROM symbol_onboarding_queue")"
  # the 20 stocks, SPY and TLT (in every run's list), the 3 onboarded
  [[ $(db "SELECT count(DISTINCT symbol) FROM symbol_factor_exposures") == 25 ]] || fail "factor rows' symbols"
}
ready() { [[ $(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/readyz") == 200 ]]; }

case $case_ in
first)
  set +e
  SIGMA_BIN=$bin SIGMA_STATE=$state "$src/scripts/local.sh" --symbols 20 --workers 2 --port "$P" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  ((rc == 0)) || fail "scripts/local.sh exited $rc"
  check_summary
  check_database
  for p in $P $((P + 1)) $((P + 2)) $((P + 3)); do ready $p || fail "port $p: not ready"; done
  [[ $(curl -s --noproxy '*' -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$P/") == "200 text/html"* ]] ||
    fail "the status page at http://127.0.0.1:$P/ does not answer"
  [[ $(pidfile_pids | wc -l) == 6 ]] || fail "pidfiles: $(ls "$state/run")"
  for p in $(pidfile_pids); do running "$p" || fail "pid $p (a pidfile's) is not running"; done
  SIGMA_BIN=$bin SIGMA_STATE=$state "$src/scripts/local.sh" down >"$work/out" 2>"$work/err" || fail "local.sh down"
  has out 'stopped 6 processes'
  nothing_left
  no_sanitizer_report
  ;;
again)
  up --symbols 5
  ((rc == 0)) || fail "up exited $rc"
  before=$(ours)
  sums=$(md5sum "$state"/run/*.pid)
  ((before == 6)) || fail "$before processes name the state dir, expected 6"
  up --symbols 5 --workers 3
  ((rc == 0)) || fail "the second up exited $rc"
  has out "already up in $state \(6 processes running\); nothing started"
  has out "status page +http://127.0.0.1:$P/"
  [[ $(ours) == "$before" ]] || fail "processes: $before before, $(ours) after"
  [[ $(md5sum "$state"/run/*.pid) == "$sums" ]] || fail "the pidfiles changed"
  # live processes without run/system: a start that never finished (an up killed midway)
  rm "$state/run/system"
  up --symbols 5
  ((rc == 1)) || fail "up over an unfinished start exited $rc, expected 1"
  has err "a start in $state did not finish \(6 processes running, no run/system\); run sigmactl down"
  [[ $(ours) == "$before" ]] || fail "processes: $before before, $(ours) after the unfinished start"
  ;;
down)
  up --symbols 5
  ((rc == 0)) || fail "up exited $rc"
  started=$(pidfile_pids)
  pm=$(sed -n 's/^pid=//p' "$state/run/postgres.pid")
  sleep 600 &
  sleeper=$!
  helpers+=($sleeper)
  start=$(sed 's/.*) //' /proc/$sleeper/stat | cut -d' ' -f20)
  # two forgeries naming the sleep: another program's exe, and a pid reused (another start time)
  printf 'pid=%s\nstart=%s\nexe=%s\n' $sleeper "$start" "$(readlink -f "$bin/sigma-worker")" >"$state/run/w8.pid"
  printf 'pid=%s\nstart=%s\nexe=%s\n' $sleeper $((start + 1)) "$(readlink /proc/$sleeper/exe)" >"$state/run/w9.pid"
  down
  ((rc == 0)) || fail "down exited $rc"
  for n in producer coordinator w1 w2 broker postgres; do has out "^  $n +stopped \(pid [0-9]+"; done
  has out '^  w8 +not running .*left alone'
  has out '^  w9 +not running .*left alone'
  for p in $started; do ! running "$p" || fail "pid $p still runs after down"; done
  running $sleeper || fail "down stopped the unrelated sleep"
  ! running "$pm" || fail "the postmaster still runs"
  [[ ! -e $state/pg/.s.PGSQL.5432 ]] || fail "PostgreSQL's socket is still there"
  [[ ! -e $state/pg/data/postmaster.pid ]] || fail "postmaster.pid is still there"
  nothing_left
  no_sanitizer_report
  down
  ((rc == 0)) || fail "down again exited $rc"
  has out "nothing running in $state"
  ;;
port)
  python3 -c 'import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); print("listening", flush=True); time.sleep(600)' $((P + 1)) >"$work/holder" &
  helpers+=($!)
  await 10 grep -q listening "$work/holder" || fail "the port holder did not listen"
  up
  ((rc == 1)) || fail "up exited $rc, expected 1"
  has err "port $((P + 1)) \(producer\) is in use: Address already in use; choose another with --port"
  [[ ! -e $state/pg ]] || fail "PostgreSQL was set up although a port was taken"
  nothing_left
  ;;
state)
  touch "$work/file"
  "$bin/sigmactl" up --state "$work/file/state" --port "$P" >"$work/out" 2>"$work/err" && fail "up in a path under a file succeeded"
  has err "cannot use the state directory $work/file/state: mkdir $work/file: Not a directory"
  if [[ $(id -u) -eq 0 ]] && id nobody >/dev/null 2>&1 && runuser -u nobody -- test -x "$bin/sigmactl"; then
    mkdir -m 755 "$work/root-owned"
    set +e
    runuser -u nobody -- "$bin/sigmactl" up --state "$work/root-owned/state" --port "$P" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    ((rc == 1)) || fail "up as nobody in a root-owned directory exited $rc"
    has err "cannot use the state directory $work/root-owned/state: mkdir $work/root-owned/state: Permission denied"
  fi
  # a missing program: a copy of sigmactl without the workers next to it
  mkdir "$work/bin"
  cp "$bin/sigmactl" "$work/bin/"
  ln -s "$bin/sigma-producer" "$bin/sigma-coordinator" "$work/bin/"
  "$work/bin/sigmactl" up --state "$state" --port "$P" >"$work/out" 2>"$work/err" && fail "up without sigma-worker succeeded"
  has err "missing program $work/bin/sigma-worker: No such file or directory"
  [[ ! -e $state ]] || fail "the state dir was made although a program is missing"
  # usage errors: exit 2 with the usage
  for bad in "--workers 0" "--workers 33" "--symbols x" "--port 80" "--port 65534" "--bogus" "extra"; do
    set +e
    "$bin/sigmactl" up $bad >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    ((rc == 2)) || fail "up $bad exited $rc, expected 2"
    has err '^usage: sigmactl up'
  done
  "$bin/sigmactl" down extra >"$work/out" 2>"$work/err" && fail "down extra succeeded"
  has err '^usage: sigmactl down'
  "$bin/sigmactl" up --help >"$work/out" || fail "up --help"
  has out '^usage: sigmactl up'
  ;;
dies)
  # workers that die at once: the real sigma-worker with a bad setting
  mkdir "$work/bin"
  cp "$bin/sigmactl" "$work/bin/"
  ln -s "$bin/sigma-producer" "$bin/sigma-coordinator" "$work/bin/"
  printf '#!/bin/sh\nexec %s "$@" -X worker.batch_max=abc\n' "$bin/sigma-worker" >"$work/bin/sigma-worker"
  chmod +x "$work/bin/sigma-worker"
  set +e
  "$work/bin/sigmactl" up --state "$state" --port "$P" --symbols 5 >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  ((rc == 1)) || fail "up exited $rc, expected 1"
  has err '^sigmactl up: w[12] \(sigma-worker\) exited with status 2 while starting; the end of .*/logs/w[12]\.log:'
  has err 'worker.batch_max'
  has err '^sigmactl up: stopped what it had started: postgres, broker, coordinator, w1, w2, producer$'
  nothing_left
  [[ ! -e $state/pg/.s.PGSQL.5432 ]] || fail "PostgreSQL still runs"
  ;;
lock)
  mkdir -p "$state"
  exec 9>"$state/.lock"
  echo 4242 >&9
  flock -n 9 || fail "cannot take the test's own lock"
  up
  ((rc == 1)) || fail "up exited $rc, expected 1"
  has err "$state is locked by another sigmactl up starting a system there \(pid 4242\)"
  down
  ((rc == 1)) || fail "down exited $rc, expected 1"
  has err "locked by pid 4242"
  set +e
  SIGMA_BIN=$bin SIGMA_STATE=$state "$src/scripts/local.sh" --port "$P" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  ((rc == 1)) || fail "scripts/local.sh exited $rc, expected 1"
  has err "pid 4242"
  [[ ! -e $state/pg ]] || fail "PostgreSQL was set up under another's lock"
  nothing_left
  exec 9>&-
  ;;
*)
  fail "unknown case $case_"
  ;;
esac
echo "ok (up.$case_)"
