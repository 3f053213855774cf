# tests/faults/faults.sh: the faults of the suite, sourced by run.sh.
# FAULTS is the table the driver iterates ("name|what it simulates"). Each fault is
# one function fault_NAME, called once the run is open (the trial's programs
# running, the onboarding rows inserted unless the fault inserts them itself), which
# awaits its moment (drawn: lib.sh moment), strikes, and sets t_end (the end of the
# fault, an epoch) and landed_at. Optional hooks: setup_NAME (the database made, before
# the broker and the programs: settings), start_NAME (starts the coordinator and the
# workers instead of night_start), ready_NAME (everything running, right before the run
# is requested: extra processes, switches), after_NAME (the run closed, before the
# checks: expect_failed, recover_sql), cleanup_NAME (the trial's end, passed or not).
# Owns: how each fault is made. Must not: check anything the checks of lib.sh decide.
FAULTS=(
  "kill_worker|SIGKILL of one of the two workers mid-phase (no replacement)"
  "pause_worker|SIGSTOP of one of the two workers mid-phase until the other took its partitions, then SIGCONT"
  "kill_coordinator|SIGKILL of the coordinator mid-phase, then a new one"
  "kill_producer|SIGKILL of the producer mid fan-out (tasks claimed, not yet acknowledged), then a new one"
  "kill_relay|SIGKILL of the producer between the relay's publication and its mark, then a new one"
  "pg_restart|pg_ctl restart -m immediate of PostgreSQL mid-phase"
  "broker_errors|request errors of the broker (Produce, Fetch, OffsetCommit) mid-phase"
  "broker_down|the broker down for seconds mid-phase"
  "worker_netcut|one worker's network cut for seconds mid-phase"
  "provider_500|500s for a share of symbols (their first request)"
  "provider_429|429s for a share of symbols (their first request)"
  "provider_hang|no answer for a share of symbols (their first request)"
  "provider_garbage|garbage answers for a share of symbols (every request: they fail)"
  "dup_reorder|a share of tasks and events published again, held back and shuffled"
)
fault_known() { local e; for e in "${FAULTS[@]}"; do [[ ${e%%|*} == "$1" ]] && return 0; done; return 1; }

struck() { landed_at=$(landed); } # where the run was, right after the blow

# --- the programs killed ---------------------------------------------------------
fault_kill_worker() {
  local p
  victim=w$(between 1 2 "$fault/$k/victim")
  moment
  at_moment
  [[ $victim == w1 ]] && p=$w1 || p=$w2
  sigkill "$p"
  t_end=$(now)
  struck
  note="$victim killed"
  survivor=w$((3 - ${victim#w}))
}
# taken_over SURVIVOR T: the time of SURVIVOR's first assignment after epoch T (its log), or nothing
taken_over() {
  grep 'kafka rebalance: assigned' "$work/$1.log" | cut -d' ' -f1 |
    awk -v t="$(date -u -d "@$2" +%Y-%m-%dT%H:%M:%S.%3NZ)" '$1 > t { print; exit }'
}
after_at() { # TIMESTAMP: recover_sql, the first outcome recorded after it
  recover_sql="(SELECT extract(epoch FROM min(recorded_at)) FROM sigma_run_outcomes WHERE batch_run_id = '$run'
                AND recorded_at > '$1'::timestamptz)"
}
# recovered: the first outcome recorded after the survivor took the victim's partitions
# (its next assignment; the survivor's own outcomes flow on meanwhile). The takeover is
# awaited, not assumed: a blow late in the last phase can find the victim's partitions
# empty, and the run then closes before its session times out (recover "-": nothing
# was waiting on it); the group must still hand the survivor those partitions.
taken_over_since() { [[ -n $(taken_over "$1" "$2") ]]; } # SURVIVOR T
after_kill_worker() {
  await 60 taken_over_since "$survivor" "$t_end" || fail "$survivor never took the partitions of $victim"
  after_at "$(taken_over "$survivor" "$t_end")"
}
# A frozen worker (a paused VM, a swap storm): SIGSTOP until the survivor took its
# partitions (the session timed out), then SIGCONT. The victim wakes holding a batch
# it no longer owns: its writes are idempotent, its outcomes duplicates, its offsets
# refused; it must rejoin the group and stop cleanly like the others.
fault_pause_worker() {
  victim=w$(between 1 2 "$fault/$k/victim")
  survivor=w$((3 - ${victim#w}))
  moment
  at_moment
  [[ $victim == w1 ]] && paused=$w1 || paused=$w2
  kill -STOP "$paused"
  t_end=$(now) # recovery counts from the freeze, as kill_worker's from the kill
  struck
  await 60 taken_over_since "$survivor" "$t_end" || fail "$survivor never took the partitions of $victim"
  kill -CONT "$paused"
  t_cont=$(now)
  note="$victim paused $(printf %.1f "$(echo "$t_cont - $t_end" | bc)") s"
}
after_pause_worker() {
  after_kill_worker
  await 60 taken_over_since "$victim" "$t_cont" || fail "$victim never rejoined the group after SIGCONT"
}
cleanup_pause_worker() { [[ -z ${paused:-} ]] || kill -CONT "$paused" 2>/dev/null || true; }
fault_kill_coordinator() {
  moment
  at_moment
  sigkill "$coord"
  struck
  start_coordinator coordinator2
  t_end=$(now)
}
# The broker answers every Produce request with a retriable error from before the run
# (the client retries; nothing is acknowledged) until the kill: the claim is committed,
# the tasks unacknowledged (linger.ms cannot hold them: the producer's flush sends at
# once). The moment: a drawn delay in that window.
setup_kill_producer() { broker_x=(--control "$work/broker.ctl"); }
ready_kill_producer() { ctl errors Produce 100000 NOT_ENOUGH_REPLICAS; }
claimed() { is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND outcome IS NULL AND attempt = 0" 0; }
fault_kill_producer() {
  await 60 claimed || fail "the prices tasks were never claimed"
  await 30 grep -q 'with the injected error' "$work/broker.log" || fail "no Produce request reached the broker"
  sleep "0.$(between 0 9 "$fault/$k/delay")" # the moment within the window (a drawn delay, not a wait)
  sigkill "$prod"
  struck
  is "SELECT fanned_out FROM sigma_runs WHERE batch_run_id = '$run'" f || fail "marked fanned out before the acknowledgements"
  ctl clear Produce
  start_producer producer2 "${PX[@]}"
  t_end=$(now)
}
# The relay's mark of the onboarding rows waits on an advisory lock the trial holds
# (a trigger), so the relay has published and not marked when it is killed; the rows
# are inserted at the drawn moment.
setup_kill_relay() {
  onboard_by_fault=1
  q "CREATE FUNCTION fault_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END \$\$"
  q "CREATE TRIGGER fault_hold BEFORE UPDATE ON symbol_onboarding_queue FOR EACH ROW
     WHEN (OLD.status = 'pending' AND NEW.status = 'processing') EXECUTE FUNCTION fault_hold()"
  PGAPPNAME=holder psql "$ci" -XAtq -c "SELECT pg_advisory_lock(4242), pg_sleep(600)" >/dev/null 2>&1 &
  pids+=($!)
  await 10 is "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" 1 || fail "the holder's lock"
}
relay_held() { is "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'" 1; }
fault_kill_relay() {
  moment
  at_moment
  struck
  onboard
  await 30 relay_held || fail "the relay is not held at its mark"
  sigkill "$prod"
  q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
  # Not marked: no row processing, none with an attempt. A row may be completed already:
  # a worker took its message (published before the kill) and waited on the row lock of
  # the killed relay's transaction, which aborted (its client gone) once the hold ended.
  is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'processing' OR attempts > 0" 0 ||
    fail "rows marked before the kill: $(q "SELECT symbol, status, attempts FROM symbol_onboarding_queue")"
  start_producer producer2 "${PX[@]}"
  t_end=$(now)
  # recovered: the rows published again and marked (the run may be over by then)
  recover_sql="(SELECT extract(epoch FROM min(started_at)) FROM symbol_onboarding_queue WHERE started_at > to_timestamp($t_end))"
}

# --- PostgreSQL --------------------------------------------------------------------
# The new postmaster outlives the trial: it must not hold the trial's result pipe (fd 3).
fault_pg_restart() {
  local pgbin as_pg=()
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
  moment
  at_moment
  "${as_pg[@]}" "$pgbin/pg_ctl" -D "$suite_work/pg/data" -l "$suite_work/pg/server.log" -m immediate -w restart >/dev/null 3>&- ||
    fail "pg_ctl restart"
  t_end=$(now)
  struck
}

# --- the broker (sigmactl broker --control) -------------------------------------------
# ctl COMMAND...: tests/pipeline/lib.sh
setup_broker_errors() { broker_x=(--control "$work/broker.ctl"); }
fault_broker_errors() {
  moment
  at_moment
  ctl errors Produce "$(between 5 30 "$fault/$k/produce")" NOT_LEADER_FOR_PARTITION
  ctl errors Fetch "$(between 5 30 "$fault/$k/fetch")" NOT_LEADER_FOR_PARTITION
  ctl errors OffsetCommit "$(between 2 10 "$fault/$k/commit")" REQUEST_TIMED_OUT
  t_end=$(now)
  struck
}
served() { grep -c 'with the injected error' "$work/broker.log" || true; } # injected errors the broker served so far
after_broker_errors() {
  (($(served) > 0)) || fail "the broker served none of the injected errors"
  note="$(served) injected errors served"
}
setup_broker_down() { broker_x=(--control "$work/broker.ctl"); }
fault_broker_down() {
  local s
  s=$(between 2 6 "$fault/$k/seconds")
  moment
  at_moment
  ctl down 1
  struck
  sleep "$s" # the outage's drawn length (a duration, not a wait for a condition)
  ctl up 1
  t_end=$(now)
  note="down $s s"
}

# --- a worker's network (tests/pipeline/netns.sh) ----------------------------------------
# w2 runs on a host of its own (a network namespace on the suite's switch): the broker,
# PostgreSQL (over TCP, never the shared unix socket) and fakeprov reached through
# forwarders; its switch port goes down for a drawn 3-8 s, then up.
netns_setup() { # once per suite, as root (else the fault is left out, said so)
  if [[ " ${selected[*]} " == *" worker_netcut "* ]]; then
    if [[ $(id -u) -eq 0 ]]; then
      . "$src/tests/pipeline/netns.sh"
      declare -gA NETNS_IP=() # netns.sh's `declare -A`, sourced in a function, made it local
      netns_init faults
      trap 'fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup; netns_down' EXIT
    else
      echo "worker_netcut left out: network namespaces need root"
      selected=($(printf '%s\n' "${selected[@]}" | grep -vx worker_netcut))
    fi
  fi
}
start_worker_netcut() {
  local pgport=${base##*port=} pgdir=${base#host=}
  pgport=${pgport%% *}
  pgdir=${pgdir%% *}
  host=nc$k
  netns_host "$host" $((10 + k))
  netns_publish_root "${addr##*:}" "TCP:$addr"
  netns_publish_root "$pgport" "UNIX:$pgdir/.s.PGSQL.$pgport"
  netns_publish_root "$fp_port" "TCP:127.0.0.1:$fp_port"
  netns_client "$host" "${addr##*:}" "$pgport" "$fp_port" # the broker, PostgreSQL, fakeprov
  start_coordinator coordinator
  coord=$last
  start_worker w1
  w1=$last
  netns_bg "$host" "$bin/sigma-worker" -d "host=127.0.0.1 port=$pgport user=postgres dbname=$db" --id w2 "${KX[@]}" \
    -X worker.batch_wait_ms=100 "${PX[@]}" -v >"$work/w2.out" 2>>"$work/w2.log"
  w2=$last
  procs+=("w2:$w2")
  await 60 assigned w1 || fail "w1 never got partitions"
  await 60 assigned w2 || fail "w2 (in $NS-$host) never got partitions"
}
fault_worker_netcut() {
  local s
  s=$(between 3 8 "$fault/$k/seconds")
  moment
  at_moment
  netns_cut "$host"
  t_cut=$(now)
  struck
  sleep "$s" # the cut's drawn length (a duration, not a wait for a condition)
  netns_restore "$host"
  t_end=$(now)
  note="w2 cut $s s"
}
# recovered: as kill_worker's, from the cut, when w1 took w2's partitions during the cut
# (a cut longer than the session timeout); else the first outcome after the restore.
after_worker_netcut() {
  local at
  at=$(taken_over w1 "$t_cut")
  if [[ -n $at && $at < $(date -u -d "@$t_end" +%Y-%m-%dT%H:%M:%S.%3NZ) ]]; then
    t_end=$t_cut
    after_at "$at"
    note+=", w1 took over"
  fi
}

# --- the provider (fakeprov's seeded share of symbols) ---------------------------------
# The share is switched on right before the run is requested, off after it; the
# symbols it hit are fakeprov's list. Recovered: the last hit symbol's prices outcome.
share_on() { # KIND TIMES
  local pct
  pct=$(between 5 10 "$fault/$k/pct")
  fp_get "/_fault/share?kind=$1&pct=$pct&seed=$(draw "$fault/$k/share")&times=$2" | grep -q '"share"' ||
    fail "fakeprov's share fault: $(fp_get "/_fault/share?kind=$1&pct=$pct&times=$2")"
  t_end=$(now)
  landed_at="before the run"
  note="$1 for $pct % of the symbols"
}
share_hit() { fp_get /_fault/share/symbols | sed '/^$/d' | LC_ALL=C sort -u; }
after_share() { # [must fail]: the hit symbols (some), the expected failures, the recovery
  local hit
  hit=$(share_hit | tr '\n' ' ')
  [[ -n $hit ]] || fail "the share hit no symbol"
  note+=", $(wc -w <<<"$hit") symbols hit"
  if [[ -n ${1:-} ]]; then # the run's hit symbols fail; an onboarding one fails its row (not in the run)
    expect_gone=$hit
    expect_failed=$(printf '%s\n' $hit | grep -vxF -f <(printf '%s\n' $ONBOARD) | xargs || true)
  fi
  recover_sql="(SELECT extract(epoch FROM max(recorded_at)) FROM sigma_run_outcomes WHERE batch_run_id = '$run'
                AND phase = 'prices' AND symbol IN ($(printf "'%s'," $hit | sed 's/,$//')))"
}
cleanup_share() { fp_get /_fault/share/off >/dev/null 2>&1 || true; }
ready_provider_500() { share_on 500 1; }
after_provider_500() { after_share; }
cleanup_provider_500() { cleanup_share; }
ready_provider_429() { share_on 429 1; }
after_provider_429() { after_share; }
cleanup_provider_429() { cleanup_share; }
ready_provider_hang() { share_on hang 1; }
after_provider_hang() { after_share; }
cleanup_provider_hang() { cleanup_share; }
ready_provider_garbage() { share_on garbage 0; }
after_provider_garbage() {
  after_share must_fail
  # onboarding rows of hit symbols fail too (their error says why); the run's hit symbols fail with a reason
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND outcome = 'failed'
      AND reason NOT LIKE '%yahoo%'" 0 || fail "a garbage symbol's reason does not name the provider"
}
cleanup_provider_garbage() { cleanup_share; }

# --- duplicated and reordered messages (pipetool shuffle) --------------------------------
ready_dup_reorder() {
  local t
  for t in tasks events; do
    spawn "shuffle_$t" "$pipetool" shuffle "$t" "$work/$t.count" --seed "$(draw "$fault/$k/$t")" \
      --hold-ms "$(between 200 2000 "$fault/$k/$t/hold")" --share "$(between 10 30 "$fault/$k/$t/share")"
  done
}
fault_dup_reorder() { :; } # the shufflers run from before the run to its end
after_dup_reorder() {
  [[ -s $work/tasks.count && $(cat "$work/tasks.count") -gt 0 ]] || fail "no task republished"
  [[ -s $work/events.count && $(cat "$work/events.count") -gt 0 ]] || fail "no event republished"
  note="republished $(cat "$work/tasks.count") tasks, $(cat "$work/events.count") events"
}
