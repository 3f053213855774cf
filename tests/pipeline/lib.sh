# The pipeline tests' shared harness, sourced by pipeline_test.sh, worker_test.sh,
# e2e_test.sh, onboard_test.sh, replay_test.sh, http_test.sh, hosts_test.sh and
# tests/soak:
#   . lib.sh SOURCE_DIR NAME
# Sets src, work (a fresh directory, removed on exit), pids (every background
# process, SIGKILLed on exit, so a failing test leaves nothing behind) and
# SIGMA_MIGRATIONS; defines fail (prints the tails of the logs), q, is, await,
# alive, exited, start_pg (sets ci) and start_broker (sets SIGMA_BROKERS, addr);
# register_stocks and night_rows (also tests/faults);
# the programs of a night (spawn, start_worker, start_coordinator,
# start_producer, sigkill, stop_all; e2e_test.sh and tests/soak);
# and a night's universe, run and checks (night_universe, await_run,
# await_finished, check_run, hold_factors, release_factors) for e2e_test.sh,
# hosts_test.sh and tests/badinput; a night's processes (spawn, start_worker,
# start_coordinator, start_producer, stop_all, night_setup, night_start,
# night_request) for e2e_test.sh and tests/badinput/volume_test.sh.
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

# start_broker SIGMACTL PARTITIONS [ARGS...]: `sigmactl broker` in the background, its
# address awaited; sets broker (its pid) and addr, exports SIGMA_BROKERS (every
# program and pipetool use it). ARGS go to `sigmactl broker` (tests/faults: --control PATH).
start_broker() {
  rm -f "$work/addr"
  "$1" broker --partitions "$2" --address-file "$work/addr" "${@:3}" >"$work/broker.out" 2>"$work/broker.log" &
  broker=$!
  pids+=($broker)
  await 30 test -s "$work/addr" || fail "no broker address within 30 s"
  addr=$(cat "$work/addr")
  export SIGMA_BROKERS=$addr
}

# ctl COMMAND...: one line to the broker's control socket (start_broker ...
# --control "$work/broker.ctl"); its answer must be "ok ...".
ctl() {
  local a
  a=$(printf '%s\n' "$*" | socat -t5 - "UNIX-CONNECT:$work/broker.ctl") || fail "control socket: $*"
  [[ $a == ok* ]] || fail "broker control '$*': $a"
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

# --- the programs, each a NAME (e2e_test.sh, tests/soak) ---------------------
# spawn NAME PROGRAM ARGS...: in the background, stdout to NAME.out, stderr
# appended to NAME.log; its pid in $last, in pids and in procs (NAME:PID, what
# stop_all stops). The array `under`, when set, is a command prefix for every
# program spawned (tests/soak: valgrind). start_worker NAME [ARGS...],
# start_coordinator NAME, start_producer NAME [ARGS...]: the pipeline's
# programs on $ci as a night runs them, -v, with KX (librdkafka properties) and,
# for the workers, PX (the providers' settings).
# KX and PX default to e2e's: a short session timeout (a dead worker's partitions
# move within seconds), Yahoo chart JSON of the synthetic universe via file://.
KX=(-X session.timeout.ms=6000)
PX=(-X provider.order=yahoo -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json")
procs=()
killed=() # pids SIGKILLed by the test (no exit code to check)
spawn() {
  local name=$1
  shift
  ${under[@]+"${under[@]}"} "$@" >"$work/$name.out" 2>>"$work/$name.log" &
  last=$!
  pids+=($last)
  procs+=("$name:$last")
}
start_worker() {
  local n=$1
  shift
  spawn "$n" "$bin/sigma-worker" -d "$ci" --id "$n" "${KX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" -v "$@"
}
start_coordinator() { spawn "$1" "$bin/sigma-coordinator" -d "$ci" "${KX[@]}" -X coordinator.poll_ms=200 -v; }
start_producer() {
  local n=$1
  shift
  spawn "$n" "$bin/sigma-producer" -d "$ci" -X producer.poll_ms=200 -v "$@"
}
sigkill() { kill -KILL "$1"; killed+=("$1"); wait "$1" 2>/dev/null || true; }
assigned() { grep -q 'kafka rebalance: assigned [1-9]' "$work/$1.log"; } # NAME: its log shows partitions
# stop_all: SIGTERM to every live program; each exits 0 within STOP_S seconds
# (default 30), and no sanitizer report is in a log.
stop_all() {
  local e p
  for e in "${procs[@]}"; do p=${e#*:}; alive "$p" && kill -TERM "$p"; done
  for e in "${procs[@]}"; do
    p=${e#*:}
    [[ " ${killed[*]} " == *" $p "* ]] && continue
    await "${STOP_S:-30}" exited "$p" || fail "${e%%:*} still runs ${STOP_S:-30} s after SIGTERM"
    wait "$p" || fail "${e%%:*} exited $? after SIGTERM"
  done
  no_sanitizer_report
}

# no_forged_lines LOG...: every line of the programs' text logs is one of theirs
# (a line break in a symbol or a reason must not start a line of its own).
no_forged_lines() {
  grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (error|warning|info|debug) sigma-(coordinator|producer|worker)[: ]' \
    "$@" | head -5 >"$work/forged" || true
  [[ ! -s $work/forged ]] || fail "log lines that are no program's: $(cat "$work/forged")"
}

# no_sanitizer_report: no ASan/UBSan report (nor a nested transaction) in any log.
no_sanitizer_report() {
  ! grep -l 'Sanitizer\|runtime error:\|transaction in progress' "$work"/*.log || fail "a sanitizer report in a log"
}

# --- a night on a synthetic universe (e2e_test.sh, hosts_test.sh, tests/soak) -
# The caller sets bin (sigmactl's directory), ci, D, NSTOCKS, LACKING (symbols of
# the run's list no provider has: synth never generates GLD USO UUP; empty when
# the provider is fakeprov), t_request (when `sigmactl run` ran) and, after
# await_run, run; RUN_S (default 150) bounds await_finished.

# night_universe: migrations in $ci and in a second database (sets ref) where
# `sigmactl compute` makes the reference rows; NSTOCKS synthetic stocks up to D
# under $work/synth (CSV and Yahoo chart JSON), registered in both databases as
# the app registers them: active rows of symbol_universe.
night_universe() {
  "$bin/sigmactl" migrate up -d "$ci" >/dev/null
  q "CREATE DATABASE ref"
  ref="${ci/dbname=postgres/dbname=ref}"
  "$bin/sigmactl" migrate up -d "$ref" >/dev/null
  "$bin/sigmactl" synth --symbols $NSTOCKS --days 300 --end $D --out "$work/synth" >/dev/null
  for f in $LACKING; do [[ ! -e $work/synth/yahoo/$f.json ]] || fail "synth generated $f"; done
  register_stocks "$NSTOCKS" "$ci"
  register_stocks "$NSTOCKS" "$ref"
}
# register_stocks N CONNINFO: S0001..SN (synth's names; five digits from 10,000) active in
# symbol_universe, as the app registers them (night_universe, tests/faults)
register_stocks() {
  q "INSERT INTO symbol_universe (symbol, asset_type, is_active, added_source, first_seen_date)
     SELECT format('S%s', lpad(i::text, greatest(4, length('$1')), '0')), 'stock', true, 'e2e', DATE '$D' - 400
     FROM generate_series(1, $1) i" "$2" >/dev/null
}

run_id() { q "SELECT batch_run_id FROM sigma_runs WHERE calc_date = '$D' ORDER BY batch_run_id DESC LIMIT 1"; }
run_exists() { [[ -n $(run_id) ]]; }
status_is() { is "SELECT status FROM batch_run_history WHERE batch_run_id = '$run'" "$1"; }
phase_is() { is "SELECT phase FROM sigma_runs WHERE batch_run_id = '$run'" "$1"; }
finished() { is "SELECT status IN ('completed', 'failed') FROM batch_run_history WHERE batch_run_id = '$run'" t; }
await_run() { await 30 run_exists || fail "no run opened"; run=$(run_id); }
await_finished() {
  await "${RUN_S:-150}" finished || fail "run $run not finished: $(q "SELECT phase, fanned_out FROM sigma_runs") $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
  echo "run $run $(q "SELECT status FROM batch_run_history WHERE batch_run_id = '$run'") in $(echo "$(date +%s.%N) - $t_request" | bc) s"
}

night_rows() { # CONNINFO: the factor and metrics rows as text, without ids or timestamps
  psql "$1" -X --csv -c "SELECT e.symbol, f.name, e.calculation_date, e.beta_value, e.r_squared, e.observations,
      e.calculation_method, e.quality_flag, e.regularization_alpha, e.regression_window_days
    FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
    ORDER BY e.symbol COLLATE \"C\", f.name COLLATE \"C\""
  psql "$1" -XAtq -c "SELECT (to_jsonb(m) - 'updated_at' - 'created_at' - 'id')::text
    FROM symbol_daily_metrics m ORDER BY symbol COLLATE \"C\""
}
PRICE_COLS="symbol, date, open, high, low, close, volume, sector, industry, exchange, country, market_cap, data_source"
# check_run: the run completed; one outcome per (run, phase, symbol); the counts
# add up, each counted once; the failed symbols are exactly LACKING, with the
# providers' reason; three phase durations; and every factor and metrics row
# (text) equals what `sigmactl compute --date D` stores in $ref from the same prices.
check_run() {
  local s n jobs nlacking
  nlacking=$(wc -w <<<"$LACKING")
  status_is completed || fail "status $(q "SELECT status, error_summary FROM batch_run_history WHERE batch_run_id = '$run'")"
  # prices: the run's list (the stocks, SPY TLT GLD USO UUP) and the 6 other factor ETFs;
  # factors and metrics: the run's list only (compute writes no rows for the ETFs it only reads)
  n=$((NSTOCKS + 5)); s=$((n + 6)); jobs=$((s + 2 * n))
  is "SELECT string_agg(phase || ':' || n || ':' || ok, ' ' ORDER BY phase) FROM (SELECT phase, count(*) n,
      count(DISTINCT symbol) ok FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND outcome IS NOT NULL GROUP BY phase) x" \
     "factors:$n:$n metrics:$n:$n prices:$s:$s" ||
    fail "outcomes per phase: $(q "SELECT phase, count(*), count(outcome) FROM sigma_run_outcomes GROUP BY 1")"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run'" $jobs || fail "a (phase, symbol) without an outcome"
  # the counts: completed + failed = total = outcomes, each counted once
  is "SELECT (b.completed_jobs = o.ok AND b.failed_jobs = o.failed AND b.total_jobs = o.n
              AND b.completed_jobs + b.failed_jobs = b.total_jobs)::text || ',' || b.total_jobs
      FROM batch_run_history b, (SELECT count(*) FILTER (WHERE outcome = 'ok') ok,
        count(*) FILTER (WHERE outcome = 'failed') failed, count(*) n
        FROM sigma_run_outcomes WHERE batch_run_id = '$run') o WHERE b.batch_run_id = '$run'" "true,$jobs" ||
    fail "counts: $(q "SELECT total_jobs, completed_jobs, failed_jobs FROM batch_run_history WHERE batch_run_id = '$run'")"
  # failed: exactly the symbols without a file, with the providers' reason for their prices
  is "SELECT string_agg(DISTINCT symbol, ' ' ORDER BY symbol) FROM sigma_run_outcomes
      WHERE batch_run_id = '$run' AND outcome = 'failed'" "$LACKING" ||
    fail "failed symbols: $(q "SELECT phase, symbol, reason FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND outcome = 'failed'")"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices' AND outcome = 'failed'
      AND reason LIKE 'not fetched (no provider has it): yahoo: %'" $nlacking || fail "the prices' reasons"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'factors' AND outcome = 'failed'
      AND reason <> ''" $nlacking || fail "the factors' reasons"
  is "SELECT string_agg(k, ',' ORDER BY k) FROM batch_run_history, jsonb_object_keys(phase_durations) k
      WHERE batch_run_id = '$run'" "factors,metrics,prices" || fail "phase durations"
  is "SELECT count(*) FROM sigma_runs WHERE closed_at IS NULL" 0 || fail "a run is still open"
  # compute's rows, from the same prices and the same symbol_universe, in the second database
  psql "$ci" -Xq -v ON_ERROR_STOP=1 -c "\\copy (SELECT $PRICE_COLS FROM market_data_cache ORDER BY symbol, date) TO '$work/prices.csv' CSV"
  psql "$ref" -Xq -v ON_ERROR_STOP=1 -c "TRUNCATE symbol_factor_exposures, symbol_daily_metrics, market_data_cache" \
    -c "\\copy market_data_cache ($PRICE_COLS) FROM '$work/prices.csv' CSV"
  "$bin/sigmactl" compute --date $D -d "$ref" >/dev/null 2>>"$work/compute.log" || fail "sigmactl compute"
  night_rows "$ci" >"$work/got"
  night_rows "$ref" >"$work/want"
  [[ $(wc -l <"$work/want") -gt $((NSTOCKS * 11)) ]] || fail "compute stored too few rows: $(wc -l <"$work/want")"
  diff "$work/want" "$work/got" >"$work/diff" || { head -20 "$work/diff"; fail "stored rows differ from compute's"; }
  echo "rows: $(wc -l <"$work/got") equal compute's; prices $(md5sum <"$work/prices.csv" | cut -c1-12);" \
    "rows $(md5sum <"$work/got" | cut -c1-12); duplicates $(q "SELECT sum(duplicates) FROM sigma_run_outcomes");" \
    "by worker $(q "SELECT string_agg(worker || '=' || n, ' ' ORDER BY worker) FROM (SELECT worker, count(*) n
       FROM sigma_run_outcomes WHERE batch_run_id = '$run' GROUP BY worker) x")"
}

# hold_factors: the factor writes wait on a lock this test holds (released by release_factors)
hold_factors() {
  psql "$ci" -Xq -c "BEGIN; LOCK TABLE symbol_factor_exposures IN EXCLUSIVE MODE; SELECT pg_sleep(600)" >/dev/null 2>&1 &
  locker=$!
  pids+=($locker)
  await 10 is "SELECT count(*) FROM pg_locks WHERE granted AND mode = 'ExclusiveLock'
                AND relation = 'symbol_factor_exposures'::regclass" 1 || fail "the lock"
}
# waiting N [S]: N sessions wait for a lock (for more than S seconds): on the held table, or on
# a row another held writer locked before it reached the table (both are held by this test's lock)
waiting() {
  (($(q "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()
         AND now() - query_start > make_interval(secs => ${2:-0})") >= $1))
}
locks() {
  q "SELECT a.pid, a.application_name, a.wait_event_type, a.wait_event, left(a.query, 60) FROM pg_stat_activity a
     WHERE datname = current_database() AND state <> 'idle'"
}
release_factors() {
  kill "$locker" 2>/dev/null || true
  q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(600)%' AND pid <> pg_backend_pid()" >/dev/null
}

# --- a night's processes (e2e_test.sh, badinput/volume_test.sh) -------------
# night_setup [ARGS...]: PostgreSQL, the universe (night_universe) and a
# 4-partition broker (ARGS go to `sigmactl broker`: --control for ctl).
night_setup() {
  start_pg
  night_universe
  start_broker "$bin/sigmactl" 4 "$@"
}
# night_start: the coordinator (coord) and two workers (w1, w2), both workers'
# first assignment awaited (a run that starts during the first rebalances is a
# different case).
night_start() {
  start_coordinator coordinator
  coord=$last
  start_worker w1
  w1=$last
  start_worker w2
  w2=$last
  await 60 assigned w1 || fail "w1 never got partitions"
  await 60 assigned w2 || fail "w2 never got partitions"
}
# night_held: night_start, the producer, the factor writes held (hold_factors), the
# run requested and awaited in phase factors: the run is in progress by construction.
night_held() {
  night_start
  start_producer producer
  hold_factors
  night_request
  await_run
  await 90 phase_is factors || fail "factors never started: $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
}
# night_request: `sigmactl run --date D`; sets t_request.
night_request() {
  "$bin/sigmactl" run --date $D -d "$ci" >"$work/run.out" 2>>"$work/run.log" || fail "sigmactl run"
  t_request=$(date +%s.%N)
}
