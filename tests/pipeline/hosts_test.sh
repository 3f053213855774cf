#!/usr/bin/env bash
# The nightly run across five hosts: network namespaces this test creates,
# linked by veth pairs to a bridge in a sixth, hub namespace (a switch):
#
#   NS-hub: bridge br0, one port per host (named after it)
#   NS-broker NET.1  sigmactl broker (on its own 127.0.0.1), socat on .1
#   NS-db     NET.2  PostgreSQL on TCP NET.2:5432, trusting NET.0/24
#   NS-w1     NET.3  sigma-worker w1     \  each with socat on its own
#   NS-w2     NET.4  sigma-worker w2      } 127.0.0.1:PORT forwarding to
#   NS-ctl    NET.5  producer, coordinator, sigmactl run, kcat, pipetool
#
# NS = sigma-hosts-PID, NET = 10.211.X (tests/pipeline/netns.sh builds them:
# parallel runs never collide). The addresses exist only inside these namespaces
# (the root namespace gets no address, route or link), in 10.211.0.0/16, which
# nothing on this machine uses. Every forwarder keeps TCP keepalives on its legs.
# The broker: the mock cluster listens on 127.0.0.1:PORT of NS-broker and
# advertises that address in its metadata (librdkafka 2.0.2's mock has no way
# to advertise another), so a client that bootstraps elsewhere reconnects to
# 127.0.0.1:PORT. Hence a socat in NS-broker (TCP-LISTEN on NET.1:PORT ->
# 127.0.0.1:PORT) and one in each client namespace (TCP-LISTEN on its own
# 127.0.0.1:PORT -> NET.1:PORT): the advertised address works on every
# host, and every byte between a program and the broker crosses the veth links.
# The programs reach PostgreSQL over TCP at NET.2; the test itself reads
# the database through its unix socket (an observer, not a host). Prices are
# synth's Yahoo JSON through file:// URLs on the shared filesystem.
#   hosts_test.sh BINDIR PIPETOOL SOURCE_DIR CASE
# CASE: night  a 200-stock night completes; the database equals `sigmactl
#              compute`'s on the same prices (check_run in lib.sh)
#       cut    the same night with batches of 4; midway through the factors phase,
#              both workers inside a unit of work (held there by a table lock),
#              w1's link goes down (its bridge port): w2 takes all partitions
#              after the session timeout and finishes the factors phase, w1's
#              batch in hand included; the link comes back, the night completes,
#              w1 rejoins; the same checks
# Both: every event on sigma.events is either an outcome or counted in
# duplicates (sum(duplicates) + outcomes = events), each program exits 0 on
# SIGTERM. Exit 77 (skipped) when not root or when namespaces, veth pairs or a
# bridge cannot be created here. Every condition is awaited with a deadline.
set -euo pipefail
bin=$1
pipetool=$2
case_=$4
command -v kcat >/dev/null || { echo "SKIPPED: kcat is not installed (scripts/deps.sh --test)"; exit 77; }
. "$(dirname "$0")/lib.sh" "$3" "hosts-test-$$"
. "$(dirname "$0")/netns.sh"
LOG_TAIL=15
D=2025-07-15
NSTOCKS=200
LACKING="GLD USO UUP"
KX=(-X session.timeout.ms=6000)
# A vanished peer found in 2 + 3 x 1 = 5 s (by default 30 + 3 x 10), by both ends
# of each database session (common/store.c): the test's scale, as session.timeout.ms
DX=(-X db.keepalives_idle_s=2 -X db.keepalives_interval_s=1 -X db.keepalives_count=3)
url="file://$work/synth/yahoo/{symbol}.json"

# --- the network (tests/pipeline/netns.sh: NS, NET, NETNS_IP) ----------------------
HOSTS=(broker db w1 w2 ctl)
netns_on_stale() { rm -rf "/tmp/sigma-hosts-test-$1".*; } # a dead run's work directory
net_up() {
  local h n=1
  netns_init hosts
  for h in "${HOSTS[@]}"; do netns_host "$h" $((n++)); done
}
in_ns() { netns_exec "$@"; }
declare -n IP=NETNS_IP

# --- the services -------------------------------------------------------------------
start_db() {
  ci=$(SIGMA_PG_LISTEN=${IP[db]} SIGMA_PG_TRUST=$NET.0/24 in_ns db "$src/scripts/pg.sh" start "$work/pg" 5432) ||
    fail "PostgreSQL in $NS-db"
  db="host=${IP[db]} port=5432 user=postgres dbname=postgres connect_timeout=10"
  in_ns ctl psql "$db" -XAtqc "SELECT 1" >/dev/null || fail "PostgreSQL at ${IP[db]} from $NS-ctl"
}
metadata() { in_ns "$1" timeout 20 kcat -L -b "$addr" -t sigma.tasks -m 10 2>&1 | grep -q "broker 1 at $addr"; }
start_kafka() {
  local h
  rm -f "$work/addr"
  netns_bg broker "$bin/sigmactl" broker --partitions 4 --address-file "$work/addr" >"$work/broker.out" 2>"$work/broker.log"
  await 30 test -s "$work/addr" || fail "no broker address within 30 s"
  addr=$(cat "$work/addr")
  [[ $addr =~ ^127\.0\.0\.1:([0-9]+)$ ]] || fail "broker address $addr: expected one 127.0.0.1:PORT"
  port=${BASH_REMATCH[1]}
  netns_fwd broker "${IP[broker]}" "$port" 127.0.0.1
  for h in w1 w2 ctl; do netns_fwd $h 127.0.0.1 "$port" "${IP[broker]}"; done
  await 10 netns_listening broker "${IP[broker]}:$port" || fail "no forwarder on ${IP[broker]}:$port"
  for h in w1 w2 ctl; do
    await 10 netns_listening $h "127.0.0.1:$port" || fail "no forwarder on 127.0.0.1:$port in $NS-$h"
    await 30 metadata $h || fail "no broker metadata through the forwarders from $NS-$h"
  done
  export SIGMA_BROKERS=$addr
}

# --- the programs ---------------------------------------------------------------------
procs=() # name:pid of every program, stopped with SIGTERM at the end
spawn() { # NAME HOST PROGRAM ARGS...: in HOST's namespace, stderr to NAME.log; pid in $last
  local name=$1 host=$2
  shift 2
  netns_bg "$host" "$@" >"$work/$name.out" 2>>"$work/$name.log"
  procs+=("$name:$last")
}
start_worker() { # NAME [-X ...]
  local n=$1
  shift
  spawn "$n" "$n" "$bin/sigma-worker" -d "$db" --id "$n" "${KX[@]}" "${DX[@]}" -X worker.batch_wait_ms=100 \
    -X provider.order=yahoo -X "provider.yahoo.url=$url" -v "$@"
}
assignments() { grep -c 'kafka rebalance: assigned [1-9]' "$work/$1.log" || true; } # NAME: how many so far
assigned_again() { (($(assignments "$1") > $2)); }                                 # NAME COUNT
# last_assigned NAME N: the last rebalance line of NAME's log assigns N partitions
last_assigned() { grep 'kafka rebalance' "$work/$1.log" | tail -1 | grep -q "assigned $2 partition"; }
start() { # [worker -X ...]: coordinator, producer, both workers; the group settled (8 partitions: tasks + onboarding)
  spawn coordinator ctl "$bin/sigma-coordinator" -d "$db" "${KX[@]}" -X coordinator.poll_ms=200 -v
  spawn producer ctl "$bin/sigma-producer" -d "$db" -X producer.poll_ms=200 -v
  start_worker w1 "$@"
  w1=$last
  start_worker w2 "$@"
  await 60 assigned_all 8 "$work/w1.log" "$work/w2.log" || fail "the two workers never shared the 8 partitions"
}
request() {
  in_ns ctl "$bin/sigmactl" run --date $D -d "$db" >"$work/run.out" 2>>"$work/run.log" || fail "sigmactl run from $NS-ctl"
  t_request=$(date +%s.%N)
}
stop() { # NAME...: SIGTERM; each exits 0 within 30 s
  local e p n
  for n in "$@"; do
    for e in "${procs[@]}"; do [[ ${e%%:*} == "$n" ]] && { p=${e#*:}; alive "$p" && kill -TERM "$p"; }; done
  done
  for n in "$@"; do
    for e in "${procs[@]}"; do
      [[ ${e%%:*} == "$n" ]] || continue
      p=${e#*:}
      await 30 exited "$p" || fail "$n still runs 30 s after SIGTERM"
      wait "$p" || fail "$n exited $? after SIGTERM"
    done
  done
}

# --- the events -------------------------------------------------------------------------
# After the workers stopped: every event on sigma.events (kcat counts them, pipetool
# decodes them from the beginning in a group of its own) is an outcome of the run or
# one of its duplicates, as the coordinator recorded them.
events_on_topic() {
  in_ns ctl timeout 30 kcat -C -b "$addr" -t sigma.events -o beginning -e -q -f 'x\n' 2>>"$work/kcat.log" | wc -l
}
collected() { [[ -s $work/events && $(wc -l <"$work/events") -ge $1 ]]; }
check_events() {
  local n
  n=$(events_on_topic)
  ((n >= 2 * NSTOCKS)) || fail "only $n events on sigma.events"
  spawn collect ctl "$pipetool" collect "$work/events"
  await 60 collected "$n" || fail "pipetool collected $(wc -l <"$work/events" 2>/dev/null) of $n events"
  stop collect
  [[ $(wc -l <"$work/events") -eq $n ]] || fail "pipetool collected $(wc -l <"$work/events") events, kcat counted $n"
  ! grep -q UNDECODABLE "$work/events" || fail "an event does not decode"
  await 60 is "SELECT count(outcome) + sum(duplicates) FROM sigma_run_outcomes WHERE batch_run_id = '$run'" "$n" ||
    fail "$n events, but $(q "SELECT count(outcome), sum(duplicates) FROM sigma_run_outcomes WHERE batch_run_id = '$run'") outcomes and duplicates recorded"
  echo "events: $n = $(q "SELECT count(outcome) FROM sigma_run_outcomes WHERE batch_run_id = '$run'") outcomes" \
    "+ $(q "SELECT sum(duplicates) FROM sigma_run_outcomes WHERE batch_run_id = '$run'") duplicates;" \
    "by worker: $(awk '{print $5}' "$work/events" | sort | uniq -c | awk '{printf "%s=%s ", $2, $1}')"
}

# --- the cut --------------------------------------------------------------------------
# hold NAME [queued]: a session named NAME takes symbol_factor_exposures in EXCLUSIVE
# mode and keeps it (every factor write waits); awaited granted, or with `queued`
# awaited waiting for it (behind the writers already waiting).
hold() {
  psql "$ci application_name=$1" -Xq -c "BEGIN; LOCK TABLE symbol_factor_exposures IN EXCLUSIVE MODE;
    SELECT pg_sleep(600)" >/dev/null 2>&1 &
  pids+=($!)
  if [[ ${2:-} == queued ]]; then
    await 10 is "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND wait_event_type = 'Lock'" 1 ||
      fail "$1 does not wait for the lock: $(locks)"
  else
    await 10 held "$1" || fail "$1 did not get the lock: $(locks)"
  fi
}
held() { is "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = '$1'
             AND l.granted AND l.mode = 'ExclusiveLock' AND l.relation = 'symbol_factor_exposures'::regclass" 1; }
let_go() { q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '$1'" >/dev/null; }
# writers_waiting N: N of the programs' sessions wait for a lock
writers_waiting() {
  (($(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = 'sigmabatch'") >= $1))
}
factors_midway() { # the factors phase has recorded some outcomes, not all
  local n
  phase_is factors || return 1
  n=$(q "SELECT count(outcome) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'factors'")
  ((n > 0 && n < NSTOCKS + 5))
}
# w1's symbols: those it answered in the prices phase (the group was settled and
# the key is the symbol, so they are exactly the symbols of its partitions)
W1_SYMBOLS="SELECT symbol FROM sigma_run_outcomes WHERE batch_run_id = '\$run' AND phase = 'prices' AND worker = 'w1'"
w1_sql() { echo "${W1_SYMBOLS//\$run/$run}"; }
factors_done() { is "SELECT count(outcome) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'factors'" $((NSTOCKS + 5)); }
taken_over() { # w2 recorded a later phase's ok of one of w1's symbols, since the cut
  is "SELECT count(*) > 0 FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase <> 'prices'
      AND worker = 'w2' AND outcome = 'ok' AND recorded_at >= '$t_cut' AND symbol IN ($(w1_sql))" t
}

net_up
start_db
night_universe
start_kafka
echo "[${SECONDS}s] five hosts up: broker ${IP[broker]}:$port (advertised $addr), PostgreSQL ${IP[db]}:5432"
case $case_ in
night)
  start
  request
  await_run
  await_finished
  ;;
cut)
  # The factor writes wait on a table lock the test holds (h1) from the start;
  # once both workers wait there, a second holder (h2) queues behind them and
  # h1 lets go: each worker commits the one batch (4 tasks) it had, and waits
  # on h2 with its next. The factors phase is midway, and w1 is cut in the
  # middle of a unit of work: its transaction open on the server, holding row
  # locks on its batch's symbol_universe rows, its write's answer about to be
  # lost. Then h2 lets go.
  start -X worker.batch_max=4
  hold h1
  request
  await_run
  await 120 phase_is factors || fail "factors never started: $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
  await 60 writers_waiting 2 || fail "the workers did not both reach their factor writes: $(locks)"
  hold h2 queued
  let_go h1
  await 60 held h2 || fail "h2 never got the lock: $(locks)"
  await 60 writers_waiting 2 || fail "the workers did not both come back to their factor writes: $(locks)"
  await 60 factors_midway || fail "no factors outcome recorded: $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
  before=$(assignments w2)
  t_cut=$(q "SELECT clock_timestamp()")
  netns_cut w1
  let_go h2
  echo "cut w1's link at $t_cut, both workers writing: factors $(q "SELECT count(outcome) FROM sigma_run_outcomes
    WHERE batch_run_id = '$run' AND phase = 'factors'") of $((NSTOCKS + 5)) recorded"
  await 60 assigned_again w2 "$before" || fail "w2 got no new assignment while w1 was cut"
  last_assigned w2 8 || fail "w2's assignment after the cut is not all 8 partitions: $(grep 'kafka rebalance' "$work/w2.log" | tail -1)"
  # w1's batch in hand is among the tasks w2 now owns: its rows are locked until the
  # server ends w1's session (common/store.c: both ends' keepalives, tcp_user_timeout)
  await 45 factors_done || fail "w2 did not finish the factors phase while w1 was cut: $(locks)"
  taken_over || fail "w2 recorded none of w1's factors while w1 was cut"
  before=$(assignments w1)
  t_restore=$(q "SELECT clock_timestamp()")
  netns_restore w1
  echo "restored w1's link after $(q "SELECT round(extract(epoch FROM '$t_restore'::timestamptz - '$t_cut'::timestamptz), 1)") s;" \
    "the factors phase done; w2 had answered $(q "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run'
      AND worker = 'w2' AND recorded_at >= '$t_cut' AND symbol IN ($(w1_sql))") of w1's tasks"
  await_finished
  echo "[${SECONDS}s] run finished; awaiting w1's return to the group"
  await 90 assigned_again w1 "$before" || fail "w1 never rejoined the group after its link came back"
  await 60 assigned_all 8 "$work/w1.log" "$work/w2.log" || fail "the workers do not share the partitions again"
  alive "$w1" || fail "w1 exited"
  echo "takeover: w2 recorded $(q "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND worker = 'w2'
    AND phase <> 'prices' AND symbol IN ($(w1_sql))") factors/metrics outcomes of w1's $(q "SELECT count(*) FROM ($(w1_sql)) x") symbols;" \
    "the server ended w1's session: $(grep -c 'could not receive data from client\|connection to client lost' "$work/pg/server.log" || true) line(s)"
  ;;
*) fail "unknown case $case_" ;;
esac
echo "[${SECONDS}s] phases (s): $(q "SELECT phase_durations FROM batch_run_history WHERE batch_run_id = '$run'")"
stop w1 w2
check_events
check_run
stop coordinator producer
no_sanitizer_report
echo "[${SECONDS}s] hosts $case_: ok"
