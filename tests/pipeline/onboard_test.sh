#!/usr/bin/env bash
# Onboarding as real processes: a throwaway PostgreSQL, `sigmactl broker`,
# sigma-producer (the relay), sigma-worker, a synthetic universe whose factor
# ETFs are stored and whose other symbols are served as Yahoo JSON through
# file:// URLs. Rows are inserted with plain SQL, as the web app does. Every
# condition is awaited with a deadline in a poll loop.
#   onboard_test.sh BINDIR SOURCE_DIR CASE
# CASE: complete | priority | tworelays | relaykill | lost
set -euo pipefail
bin=$1
src=$2
case_=$3
. "$src/tests/pipeline/lib.sh" "$src" onboard-test

D=2025-07-15
# Symbols onboarding fetches (not stored beforehand); the ETFs and the rest are.
ONB='^S000[1-4]$'
PX=(-X onboarding.date=$D -X provider.order=yahoo -X "provider.yahoo.url=file://$work/synth/yahoo/{symbol}.json")

start_services() {
  start_pg
  "$bin/sigmactl" migrate up -d "$ci" >/dev/null
  "$bin/sigmactl" synth --symbols 8 --days 300 --end $D --out "$work/synth" >/dev/null
  awk -F, -v re="$ONB" '$1 !~ re' "$work/synth/prices.csv" >"$work/stored.csv"
  "$bin/sigmactl" import-prices "$work/stored.csv" -d "$ci" >/dev/null
  start_broker "$bin/sigmactl" 3
}
# start_producer NAME [-X ...]: the relay in the background; its pid in $ppid_.
start_producer() {
  local name=$1
  shift
  "$bin/sigma-producer" -d "$ci" -v -v -X producer.poll_ms=200 "${PX[@]}" "$@" 2>>"$work/$name.log" &
  ppid_=$!
  pids+=($ppid_)
}
start_worker() {
  local name=$1
  shift
  "$bin/sigma-worker" -d "$ci" --id "$name" -v -X session.timeout.ms=6000 -X worker.batch_wait_ms=50 "${PX[@]}" "$@" \
    2>>"$work/$name.log" &
  wpid=$!
  pids+=($wpid)
}
# stop PID...: SIGTERM, exit 0 within 30 s; no sanitizer report in any log.
stop() {
  local p
  for p in "$@"; do kill -TERM "$p"; done
  for p in "$@"; do
    await 30 bash -c "! kill -0 $p 2>/dev/null" || fail "$p still runs 30 s after SIGTERM"
    wait "$p" || fail "$p exited non-zero after SIGTERM"
  done
  ! grep -l 'Sanitizer\|runtime error' "$work"/*.log || fail "a sanitizer report"
}
# The keys of the onboarding topic, one a line.
keys() { timeout 30 kcat -C -b "$addr" -t sigma.onboarding -o beginning -e -q -f '%k\n' 2>/dev/null | sed '/^$/d'; }
nkey() { keys | grep -cx -- "$1" || true; }
nkeys_is() { [[ $(keys | wc -l) == "$1" ]]; }
status_of() { q "SELECT status FROM symbol_onboarding_queue WHERE symbol = '$1' ORDER BY created_at DESC LIMIT 1"; }
status_is() { [[ $(status_of "$1") == "$2" ]]; }
unfinished() { q "SELECT count(*) FROM symbol_onboarding_queue WHERE status IN ('pending', 'processing')"; }
none_unfinished() { [[ $(unfinished) == 0 ]]; }
factor_rows() { q "SELECT count(*) FROM symbol_factor_exposures WHERE symbol = '$1' AND calculation_date = '$D'"; }

case_complete() {
  start_services
  start_producer producer
  local prod=$ppid_
  start_worker w1
  local w=$wpid
  echo "== rows inserted as the web app does: two symbols (one lower case), an unknown one, injection-shaped ones"
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('S0001')"
  q "INSERT INTO symbol_onboarding_queue (symbol, priority) VALUES ('s0002', 'high')"
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('ZZZZ')"
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('X''; DROP TABLE t;--')"
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('\$(rm -rf ~)')"
  await 90 none_unfinished || fail "rows not finished: $(q "SELECT symbol, status FROM symbol_onboarding_queue")"
  status_is S0001 completed || fail "S0001: $(status_of S0001)"
  status_is s0002 completed || fail "s0002: $(status_of s0002)"
  for s in S0001 S0002; do
    (($(factor_rows $s) >= 3)) || fail "$s: $(factor_rows $s) factor rows"
    is "SELECT added_source || ',' || is_active FROM symbol_universe WHERE symbol = '$s'" "onboarding,true" ||
      fail "$s: symbol_universe $(q "SELECT added_source, is_active FROM symbol_universe WHERE symbol = '$s'")"
    (($(q "SELECT count(*) FROM market_data_cache WHERE symbol = '$s'") >= 200)) || fail "$s: a year of bars"
  done
  is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'completed' AND completed_at >= started_at
      AND started_at >= created_at AND error_message IS NULL" 2 || fail "completed rows' timestamps"
  is "SELECT count(*) FROM symbol_factor_exposures WHERE symbol = 's0002'" 0 || fail "lower-case rows stored"
  local m
  m=$(q "SELECT error_message FROM symbol_onboarding_queue WHERE symbol = 'ZZZZ'")
  [[ $m == "unknown symbol ZZZZ: no price provider serves it (asked yahoo): yahoo: "* ]] || fail "ZZZZ's message: $m"
  m=$(q "SELECT error_message FROM symbol_onboarding_queue WHERE symbol LIKE 'X%'")
  [[ $m == "not a plausible ticker (never fetched): "*"'"* ]] || fail "injection's message: $m"
  m=$(q "SELECT error_message FROM symbol_onboarding_queue WHERE symbol LIKE '\$%'")
  [[ $m == "not a plausible ticker (never fetched): "* ]] || fail "shell-shaped message: $m"
  is "SELECT count(*) FROM pg_tables WHERE tablename = 'symbol_universe'" 1 || fail "a table went missing"
  [[ $(keys | LC_ALL=C sort | tr '\n' ' ') == "S0001 S0002 ZZZZ " ]] || fail "published keys: $(keys | tr '\n' ' ')"
  ! grep -q 'DROP\|rm -rf' "$work/w1.log" || fail "the worker saw an injection-shaped symbol"

  echo "== sigmactl onboard"
  local rc
  set +e
  "$bin/sigmactl" onboard S0003 --wait --timeout 90 -d "$ci" >"$work/onb.out" 2>"$work/onb.err"
  rc=$?
  set -e
  [[ $rc == 0 ]] || { cat "$work/onb.out" "$work/onb.err"; fail "onboard --wait S0003: exit $rc"; }
  grep -q '^S0003 queued (row .*, priority normal)$' "$work/onb.out" || fail "queued line: $(cat "$work/onb.out")"
  grep -q '^S0003 completed ([0-9]* factor rows)$' "$work/onb.out" || fail "completed line: $(cat "$work/onb.out")"
  set +e
  "$bin/sigmactl" onboard s0004 ZZZY --priority low --wait --timeout 90 -d "$ci" >"$work/onb2.out" 2>&1
  rc=$?
  set -e
  [[ $rc == 1 ]] || fail "onboard with an unknown symbol: exit $rc"
  grep -q '^S0004 completed' "$work/onb2.out" && grep -q '^ZZZY failed: unknown symbol ZZZY' "$work/onb2.out" ||
    fail "outcomes: $(cat "$work/onb2.out")"
  q "INSERT INTO symbol_onboarding_queue (symbol, status) VALUES ('HELD', 'processing')"
  "$bin/sigmactl" onboard HELD -d "$ci" >"$work/onb3.out" || fail "an already processing symbol is an error"
  grep -q '^HELD already processing (row ' "$work/onb3.out" || fail "already: $(cat "$work/onb3.out")"
  is "SELECT count(*) FROM symbol_onboarding_queue WHERE symbol = 'HELD'" 1 || fail "HELD queued twice"
  for args in "" "a;b" "--priority urgent AAA" "--timeout 0 AAA" "--bogus AAA" "ABCDEFGHIJKLMNOPQRSTU"; do
    set +e
    # shellcheck disable=SC2086
    "$bin/sigmactl" onboard $args -d "$ci" >"$work/out" 2>"$work/err"
    rc=$?
    set -e
    [[ $rc == 2 ]] || fail "sigmactl onboard $args: exit $rc, expected 2"
    grep -q "usage: sigmactl onboard" "$work/err" || fail "sigmactl onboard $args: no usage"
  done
  grep -q "21 bytes\|too long\|at most 20" "$work/err" || fail "the reason of a long symbol: $(head -1 "$work/err")"
  stop "$w" "$prod"
}

case_priority() {
  start_services
  echo "== 24 rows, priorities mixed, created one second apart; claims of 4"
  q "INSERT INTO symbol_onboarding_queue (symbol, priority, created_at)
     SELECT 'P' || lpad(i::text, 3, '0'), (ARRAY['low', 'normal', 'high'])[1 + i % 3],
            now() - interval '1 hour' + i * interval '1 second' FROM generate_series(1, 24) i"
  "$bin/sigma-producer" -d "$ci" --once -v -v "${PX[@]}" -X onboarding.claim_max=4 2>>"$work/producer.log" ||
    fail "producer --once"
  is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'processing' AND attempts = 1" 24 || fail "not all marked"
  is "SELECT count(DISTINCT started_at) FROM symbol_onboarding_queue" 6 || fail "not six claims"
  # No pair in the wrong order: (rank, created_at) before must not start after.
  is "SELECT count(*) FROM symbol_onboarding_queue a, symbol_onboarding_queue b,
        LATERAL (SELECT CASE a.priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END) ra(r),
        LATERAL (SELECT CASE b.priority WHEN 'high' THEN 0 WHEN 'low' THEN 2 ELSE 1 END) rb(r)
      WHERE (ra.r, a.created_at) < (rb.r, b.created_at) AND a.started_at > b.started_at" 0 ||
    fail "priority order violated: $(q "SELECT symbol, priority, started_at FROM symbol_onboarding_queue ORDER BY started_at, created_at")"
  is "SELECT string_agg(DISTINCT priority, ',') FROM symbol_onboarding_queue
      WHERE started_at = (SELECT min(started_at) FROM symbol_onboarding_queue)" high || fail "first claim not all high"
  is "SELECT string_agg(DISTINCT priority, ',') FROM symbol_onboarding_queue
      WHERE started_at = (SELECT max(started_at) FROM symbol_onboarding_queue)" low || fail "last claim not all low"
  await 30 nkeys_is 24 || fail "24 messages"
}

case_tworelays() {
  start_services
  start_producer relay1
  local a=$ppid_
  start_producer relay2
  local b=$ppid_
  echo "== two relays at once, 30 rows inserted one by one: each published once"
  for i in $(seq -w 1 30); do q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('R0$i')"; done
  await 60 is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'processing' AND attempts = 1" 30 ||
    fail "not all processing"
  await 30 nkeys_is 30 || fail "30 messages: $(keys | wc -l)"
  [[ -z $(keys | sort | uniq -d) ]] || fail "published twice: $(keys | sort | uniq -d)"
  grep -q 'onboarding R0.*published, attempt 1' "$work/relay1.log" || echo "(relay1 published none)"
  grep -q 'onboarding R0.*published, attempt 1' "$work/relay2.log" || echo "(relay2 published none)"
  stop "$a" "$b"
}

case_relaykill() {
  start_services
  # The mark of S0001 and S0002 waits on an advisory lock the test holds: the
  # relay has published and is killed before its mark commits.
  q "CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN PERFORM pg_advisory_xact_lock(4242); RETURN NEW; END \$\$"
  q "CREATE TRIGGER test_hold BEFORE UPDATE ON symbol_onboarding_queue FOR EACH ROW
     WHEN (OLD.status = 'pending' AND NEW.status = 'processing' AND NEW.symbol IN ('S0001', 'S0002'))
     EXECUTE FUNCTION test_hold()"
  PGAPPNAME=holder psql "$ci" -XAtq -c "SELECT pg_advisory_lock(4242), pg_sleep(600)" >/dev/null 2>&1 &
  pids+=($!)
  await 10 is "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted" 1 || fail "holder"
  start_producer relay1
  local a=$ppid_
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('S0001'), ('S0002')"
  echo "== relay 1 published S0001 and S0002; its mark waits"
  await 30 nkeys_is 2 || fail "relay 1 did not publish"
  await 10 is "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'" 1 ||
    fail "relay 1 is not held at its mark"
  start_producer relay2
  local b=$ppid_
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('S0003')"
  await 30 status_is S0003 processing || fail "relay 2 did not handle S0003"
  [[ $(nkey S0001) == 1 && $(nkey S0002) == 1 ]] || fail "relay 2 published claimed rows"
  is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'pending'" 2 || fail "held rows not pending"
  echo "== SIGKILL relay 1 between publish and mark: relay 2 publishes the rows again"
  kill -9 "$a"
  q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
  await 30 is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'processing' AND attempts = 1" 3 ||
    fail "rows not marked after the kill: $(q "SELECT symbol, status, attempts FROM symbol_onboarding_queue")"
  [[ $(nkey S0001) == 2 && $(nkey S0002) == 2 && $(nkey S0003) == 1 ]] || fail "republication: $(keys | tr '\n' ' ')"
  echo "== a worker: every row completed once, duplicates harmless"
  start_worker w1
  local w=$wpid
  await 90 is "SELECT count(*) FROM symbol_onboarding_queue WHERE status = 'completed'" 3 ||
    fail "not completed: $(q "SELECT symbol, status, error_message FROM symbol_onboarding_queue")"
  for s in S0001 S0002 S0003; do (($(factor_rows $s) >= 3)) || fail "$s factor rows"; done
  grep -qE 'the row is finished already|\(2 duplicates\)' "$work/w1.log" || fail "the duplicates were not absorbed"
  stop "$w" "$b"
}

case_lost() {
  start_services
  echo "== processing rows whose messages were lost: published again, then given up"
  q "INSERT INTO symbol_onboarding_queue (symbol, status, started_at, attempts)
     VALUES ('S0001', 'processing', now() - interval '1 hour', 1), ('S0002', 'processing', now() - interval '1 hour', 3)"
  start_worker w1
  local w=$wpid
  await 60 grep -q 'rebalance: assigned' "$work/w1.log" || fail "the worker did not join"
  start_producer producer -X onboarding.timeout_s=3 -X onboarding.attempts=3
  local p=$ppid_
  await 90 status_is S0001 completed || fail "S0001: $(status_of S0001)"
  is "SELECT attempts FROM symbol_onboarding_queue WHERE symbol = 'S0001'" 2 || fail "S0001 attempts"
  await 30 status_is S0002 failed || fail "S0002: $(status_of S0002)"
  is "SELECT error_message FROM symbol_onboarding_queue WHERE symbol = 'S0002'" \
    "no worker answered within 3 s after 3 attempt(s)" || fail "S0002's message"
  [[ $(nkey S0002) == 0 ]] || fail "S0002 published after its last attempt"
  grep -q 'onboarding S0001 .*published again (no answer in time), attempt 2' "$work/producer.log" || fail "log line"
  echo "== a row nobody answers: published attempts times, then failed"
  stop "$w"
  q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('S0003')"
  await 60 status_is S0003 failed || fail "S0003: $(status_of S0003)"
  (($(nkey S0003) == 3)) || fail "S0003 published $(nkey S0003) times"
  stop "$p"
}

"case_$case_"
echo "ok ($case_)"
