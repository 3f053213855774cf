#!/usr/bin/env bash
# Faults of the database, against a throwaway PostgreSQL (scripts/pg.sh) and fakeprov:
#   faults_test.sh SIGMACTL FAKEPROV SOURCE_DIR CASE
# CASE:
#   restart   `pg_ctl restart -m immediate` in the middle of a fetch and of a compute: the
#             units of work reconnect and retry, every symbol is stored, exit 0
#   down      the server stops for good in the middle of a fetch: one clear error, exit 1,
#             and no provider request after the store gave up (fakeprov counts them)
#   deadlock  6 computes of overlapping symbol sets and 2 fetches at once, 24 rounds, with
#             retries off: no failure, and no "deadlock detected" in the server's log
#   secrets   connection strings with passwords of every shape: the password is never printed
# Conditions are awaited with deadlines (await), never with a bare sleep.
set -euo pipefail
sigmactl=$1
fakeprov=$2
src=$3
case=$4
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/store/lib.sh" "$sigmactl" "$src"
trap 'fakeprov_stop || true; "$src/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
D=2025-07-15
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
pg_ctl() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w "$@" >/dev/null; }

# await SECONDS DESCRIPTION COMMAND...: polls COMMAND every 20 ms until it succeeds; fails at the deadline.
await() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "gave up after $deadline s waiting for: $what"
    sleep 0.02
  done
}
stored_symbols() { psql "$ci" -XAtq -c "SELECT count(DISTINCT symbol) FROM market_data_cache" 2>/dev/null || echo 0; }
at_least_stored() { (($(stored_symbols) >= $1)); }
running() { kill -0 "$1" 2>/dev/null; }
not_running() { ! kill -0 "$1" 2>/dev/null; }
show() { echo "--- stdout"; tail -20 "$work/out"; echo "--- stderr"; tail -20 "$work/err"; }
fp_requests() { fp_get /_stats | grep -o '"requests":[0-9]*' | head -1 | cut -d: -f2; }
symbols() { for i in $(seq -f "%03g" 1 "$1"); do echo "F$i"; done; }

"$sigmactl" migrate up -d "$ci" >/dev/null
# The scratch server runs with synchronous_commit=off, so a crash (an immediate shutdown) may lose
# the last commits it acknowledged; the programs under test connect with it on, as a real server is.
cis="$ci options='-c synchronous_commit=on'"

case $case in
restart)
  echo "== pg_ctl restart -m immediate in the middle of a fetch of 150 symbols"
  fakeprov_start "$fakeprov" "$work" --latency-ms 40
  mapfile -t urls < <(fakeprov_urls)
  mapfile -t syms < <(symbols 150)
  "$sigmactl" fetch "${syms[@]}" --date $D -d "$cis" "${urls[@]}" -X provider.yahoo.rate=1000 \
    -X provider.yahoo.burst=1000 -X http.parallel=2 >"$work/out" 2>"$work/err" &
  pid=$!
  await 30 "10 symbols stored" at_least_stored 10
  pg_ctl restart -m immediate
  running $pid || fail "the fetch ended before the restart was over: the test did not exercise it"
  n_at_restart=$(stored_symbols)
  rc=0
  wait $pid || rc=$?
  [[ $rc == 0 ]] || { show; fail "fetch exit code $rc after a restart"; }
  grep -q "NOT STORED" "$work/out" && { show; fail "symbols not stored"; }
  [[ $(stored_symbols) == 150 ]] || { show; q "SELECT s FROM unnest(string_to_array('${syms[*]}', ' ')) s EXCEPT SELECT symbol FROM market_data_cache"; fail "$(stored_symbols) of 150 symbols stored"; }
  [[ $(q "SELECT count(*) FROM market_data_cache") == $((150 * 251)) ]] || fail "row count"
  grep -q "reconnecting, retry 1 of" "$work/err" || { show; fail "no reconnect was logged"; }
  echo "   restarted with $n_at_restart symbols stored; all 150 stored in the end"
  fakeprov_stop

  echo "== pg_ctl restart -m immediate in the middle of a compute's write"
  q "DELETE FROM market_data_cache; DELETE FROM symbol_universe"
  "$sigmactl" import-prices "$src/samples/universe.csv" -d "$ci" >/dev/null
  # A lock held by another session holds the compute inside its unit of work;
  # the restart kills both, and the compute's retry must write everything.
  psql "$ci" -XAtq -c "BEGIN; LOCK TABLE symbol_daily_metrics IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60)" \
    >/dev/null 2>&1 &
  locker=$!
  await 30 "the lock is held" bash -c "[[ \$(psql '$ci' -XAtq -c \"SELECT count(*) FROM pg_locks
    WHERE relation = 'symbol_daily_metrics'::regclass AND mode = 'AccessExclusiveLock' AND granted\") == 1 ]]"
  "$sigmactl" compute --date $D -d "$cis" >"$work/out" 2>"$work/err" &
  pid=$!
  waiting() { [[ $(psql "$ci" -XAtq -c "SELECT count(*) FROM pg_locks WHERE relation =
    'symbol_daily_metrics'::regclass AND NOT granted" 2>/dev/null) -ge 1 ]]; }
  await 30 "the compute waits on the lock" waiting
  pg_ctl restart -m immediate
  wait $locker || true
  rc=0
  wait $pid || rc=$?
  [[ $rc == 0 ]] || { show; fail "compute exit code $rc after a restart"; }
  grep -q "reconnecting, retry 1 of" "$work/err" || { show; fail "no reconnect was logged"; }
  [[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE metrics_date = '$D'") == 57 ]] || fail "metrics rows"
  [[ $(q "SELECT count(*) FROM symbol_universe WHERE last_factor_date = '$D'") == 53 ]] || fail "last_factor_date"
  ;;

down)
  echo "== the server stops for good in the middle of a fetch of 100 symbols"
  fakeprov_start "$fakeprov" "$work" --latency-ms 40
  mapfile -t urls < <(fakeprov_urls)
  mapfile -t syms < <(symbols 100)
  SIGMA_DB_RETRY_MAX_MS=1500 "$sigmactl" fetch "${syms[@]}" --date $D -d "$ci" "${urls[@]}" \
    -X provider.yahoo.rate=1000 -X provider.yahoo.burst=1000 -X http.parallel=2 >"$work/out" 2>"$work/err" &
  pid=$!
  await 30 "5 symbols stored" at_least_stored 5
  pg_ctl stop -m immediate
  await 60 "the fetch gives up" not_running $pid
  rc=0
  wait $pid || rc=$?
  requests=$(fp_requests)
  [[ $rc == 1 ]] || { show; fail "fetch exit code $rc, expected 1"; }
  [[ $(grep -c "fetch stopped: the database is unreachable" "$work/err") == 1 ]] || { show; fail "no clear error"; }
  grep -q "the database stayed unreachable after" "$work/err" || { show; fail "the store's reason"; }
  (($(grep -c "NOT STORED" "$work/out") <= 1)) || { show; fail "kept fetching symbols it could not store"; }
  handled=$(grep -o '[0-9]* of 100 symbols handled' "$work/err" | cut -d' ' -f1)
  # After the store gave up: no new request; those in flight (at most http.parallel) are dropped.
  ((requests <= handled + 2 && requests < 100)) || { show; fail "$requests provider requests for $handled symbols handled"; }
  echo "   gave up after $handled symbols with $requests provider requests"
  ;;

deadlock)
  echo "== 6 computes of overlapping symbol sets and 2 fetches at once, 24 rounds, retries off"
  "$sigmactl" import-prices "$src/samples/universe.csv" -d "$ci" >/dev/null
  fakeprov_start "$fakeprov" "$work" --latency-ms 5
  mapfile -t urls < <(fakeprov_urls)
  export SIGMA_DB_RETRIES=0
  mapfile -t all < <(q "SELECT DISTINCT symbol FROM market_data_cache ORDER BY 1")
  mapfile -t fx < <(symbols 12)
  # The fetched symbols are stored once, so every compute has their prices
  # (a --symbols name without stored prices is an error of its own); each
  # round removes their last days and the fetches write them again.
  "$sigmactl" fetch "${fx[@]}" --date $D -d "$ci" "${urls[@]}" >/dev/null
  for round in $(seq 24); do
    q "DELETE FROM market_data_cache WHERE symbol LIKE 'F%' AND date > DATE '$D' - 10"
    pids=()
    for w in 1 2 3 4 5 6; do
      # Each writer: a different stride through the universe, plus some of the fetched symbols.
      set=()
      for i in "${!all[@]}"; do ((i % (w + 1) != round % (w + 1))) && set+=("${all[$i]}"); done
      for i in "${!fx[@]}"; do ((i % 3 != w % 3)) && set+=("${fx[$i]}"); done
      (IFS=,; exec "$sigmactl" compute --date $D --symbols "${set[*]}" -d "$ci") >"$work/c$w.out" 2>"$work/c$w.err" &
      pids+=($!)
    done
    for f in 1 2; do
      "$sigmactl" fetch "${fx[@]}" --date $D -d "$ci" "${urls[@]}" -X provider.yahoo.rate=1000 \
        -X provider.yahoo.burst=1000 >"$work/f$f.out" 2>"$work/f$f.err" &
      pids+=($!)
    done
    for i in "${!pids[@]}"; do
      rc=0
      wait "${pids[$i]}" || rc=$?
      if [[ $rc != 0 ]]; then
        cat "$work"/c*.err "$work"/f*.err
        fail "round $round: writer $((i + 1)) exit code $rc"
      fi
    done
  done
  if grep -c "deadlock detected" "$work/pg/server.log"; then fail "deadlocks in the server's log"; fi
  ;;

secrets)
  echo "== passwords in connection strings are never printed, whatever their shape"
  nosuch=$work/nosuch
  check() { # PASSWORD-FRAGMENTS CONNINFO: every command prints an error, none a fragment
    local frags=$1 conn=$2
    for cmd in "migrate status" "compute --date $D" "import-prices $src/samples/universe.csv" "fetch AAPL --date $D"; do
      rc=0
      # shellcheck disable=SC2086
      "$sigmactl" $cmd -d "$conn" >"$work/out" 2>"$work/err" || rc=$?
      [[ $rc == 1 ]] || { show; fail "$cmd with '$conn': exit code $rc"; }
      grep -q "connect: " "$work/err" || { show; fail "$cmd: no connection error"; }
      for f in $frags; do
        if grep -qF -- "$f" "$work/out" "$work/err"; then show; fail "$cmd printed '$f' of the password in '$conn'"; fi
      done
    done
  }
  check "S3cr%t-pass S3cr" "postgresql://batch:S3cr%t-pass@localhost/db"          # the issue's example
  check "S3cr%25t S3cr%t" "postgresql://batch:S3cr%25t-pass@/db?host=$nosuch"      # well-formed
  check "Pa/ss@wd Pa/ss ss@wd" "postgresql://batch:Pa/ss@wd@localhost/db"         # raw / and @
  check "Qz%zz9secret Qz%zz9" "postgresql:///db?host=$nosuch&password=Qz%zz9secret" # in the query
  check "Xy7Secret Tail9Word" "host=$nosuch user=batch password=Xy7Secret Tail9Word"  # unquoted, with a space
  check "K3y%quoted" "host=$nosuch user=batch password='K3y%quoted pass' port=abc"
  check "Unterm1nated" "host=$nosuch password='Unterm1nated"
  check "Portsecret9" "host=$nosuch port=Portsecret9x password=Portsecret9x"
  PGPASSWORD=EnvSecret42 check "EnvSecret42" "postgresql://batch@localhost:EnvSecret42/db"
  ;;
*) fail "unknown case $case" ;;
esac
echo "faults $case: all checks passed"
