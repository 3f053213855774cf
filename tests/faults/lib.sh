# tests/faults/lib.sh: one trial of the fault suite, sourced by run.sh after
# tests/pipeline/lib.sh (q, is, await, spawn, stop_all, night_rows, ...).
# Owns: the suite's setup (PostgreSQL, fakeprov, the template database), the
# programs of a trial, the seeded draws, the moments, the checks and the table.
# Must not: know any one fault (faults.sh does) or loosen a check for one.
D=2025-07-15
ETFS="SPY VTV VUG MTUM QUAL IWM USMV TLT GLD USO UUP" # every run's list holds them (FACTOR_SPEC §1.2)
ONBOARD="ONBA ONBB ONBC NXONB"                         # NX*: unknown to fakeprov (a failed row)
LOG_TAIL=20

# --- the seeded draws: the same seed, fault, trial and name give the same number,
# whatever else is drawn or selected (--faults replays a subset exactly) ----------
draw() { local h; h=$(printf '%s' "$seed:$*" | md5sum); echo $((16#${h:0:8})); }   # KEY... -> 0..2^32-1
between() { local lo=$1 hi=$2; shift 2; echo $((lo + $(draw "$@") % (hi - lo + 1))); } # LO HI KEY...
# moment: the phase and the share of its outcomes (percent) at which trial $k of $fault strikes
moment() {
  local phases=(prices factors metrics)
  m_phase=${phases[$(between 0 2 "$fault/$k/phase")]}
  m_pct=$(between 10 80 "$fault/$k/percent")
}
# at_moment: awaits the moment (its phase has m_pct % of its outcomes, or a later phase began)
reached() {
  is "SELECT CASE WHEN r.closed_at IS NOT NULL OR array_position(p, r.phase) > array_position(p, '$m_phase') THEN true
                  WHEN r.phase <> '$m_phase' THEN false
                  ELSE (SELECT count(*) > 0 AND count(outcome) * 100 >= $m_pct * count(*) FROM sigma_run_outcomes o
                        WHERE o.batch_run_id = r.batch_run_id AND o.phase = r.phase) END
      FROM sigma_runs r, (SELECT ARRAY['prices', 'factors', 'metrics', 'done'] p) x WHERE r.batch_run_id = '$run'" t
}
at_moment() { await "$run_deadline" reached || fail "the moment ($m_phase, $m_pct %) never came"; }
# landed: where the run was when the fault struck (for the trial's line)
landed() {
  q "SELECT r.phase || ' ' || count(o.outcome) FILTER (WHERE o.phase = r.phase) || '/' || count(*) FILTER (WHERE o.phase = r.phase)
     FROM sigma_runs r JOIN sigma_run_outcomes o USING (batch_run_id) WHERE r.batch_run_id = '$run' GROUP BY r.phase"
}
now() { date +%s.%N; }
since() { printf %.2f "$(echo "$(now) - $1" | bc)"; } # T0: seconds since it

# --- the suite: PostgreSQL, fakeprov, the template database ----------------------
# fault_tmpl: migrations, nsym stocks registered as the app does (never fetched: each
# run fetches a year of history for every stock, over http from fakeprov), and the
# factor ETFs' year stored (so onboarding, which reads them, is the same whenever it runs).
suite_setup() {
  start_pg
  base=$ci
  fakeprov_start "$fakeprov" "$work" --hang-s 10
  PX=(-X provider.order=yahoo -X provider.bulk=0
      -X "provider.yahoo.url=$fp_url/v8/finance/chart/{symbol}?period1={period1}&period2={period2}&interval=1d&events=history"
      -X provider.yahoo.rate=100000 -X provider.yahoo.burst=10000 -X http.backoff_ms=50 -X http.retry_after_max_ms=200
      -X http.timeout_ms=4000 -X onboarding.date=$D -X worker.batch_max=200)
  q "CREATE DATABASE fault_tmpl"
  local tmpl=${base/dbname=postgres/dbname=fault_tmpl}
  "$sigmactl" migrate up -d "$tmpl" >/dev/null
  register_stocks "$nsym" "$tmpl"
  # shellcheck disable=SC2086
  "$sigmactl" fetch $ETFS --date $D -d "$tmpl" --provider yahoo "${PX[@]}" >"$work/etfs.out" 2>"$work/etfs.log" ||
    fail "the ETFs' history"
  run_deadline=$((120 + nsym / 20))
  netns_setup
}

# --- a trial's programs (spawn, start_worker, start_coordinator, start_producer,
# night_start, sigkill, stop_all: tests/pipeline/lib.sh, with KX and PX above) ------
onboard() { "$sigmactl" onboard $ONBOARD -d "$ci" >>"$work/onboard.out" 2>>"$work/onboard.log" || fail "sigmactl onboard"; }
run_closed() { is "SELECT closed_at IS NOT NULL FROM sigma_runs WHERE batch_run_id = '$run'" t; }
onboarding_done() { is "SELECT count(*) FROM symbol_onboarding_queue WHERE status IN ('pending', 'processing')" 0; }
hook() { if [[ $(type -t "$1") == function ]]; then "$@"; fi; } # FUNCTION: runs it when the fault defines it

# trial FAULT K: prints "recover R s, run T s, ..." and returns 0 when every check passed.
# Runs in a subshell (its own trap: its programs killed, its database dropped); its
# output goes to $suite_work/FAULT.K/trial.out.
trial() {
  fault=$1 k=$2
  work=$suite_work/$fault.$k
  mkdir -p "$work"
  chmod 755 "$work"
  exec 3>&1 >"$work/trial.out" 2>&1
  pids=() procs=() killed=()
  db=t_${fault}_$k
  trap trial_cleanup EXIT
  q "CREATE DATABASE $db TEMPLATE fault_tmpl" "$base"
  # Durable commits, as a production server makes them: the throwaway cluster's
  # synchronous_commit=off loses the last commits in a crash (pg_restart), commits
  # whose work the programs had already acknowledged to Kafka.
  q "ALTER DATABASE $db SET synchronous_commit = on" "$base"
  ci=${base/dbname=postgres/dbname=$db}
  fp_get /_reset >/dev/null
  t_end= recover_sql= expect_failed= expect_gone= onboard_by_fault= producer_x=() broker_x=() paused=
  hook "setup_$fault"
  t0=$(now)
  start_broker "$sigmactl" 4 "${broker_x[@]}"
  if [[ $(type -t "start_$fault") == function ]]; then "start_$fault"; else night_start; fi
  start_producer producer "${PX[@]}" "${producer_x[@]}"
  prod=$last
  echo "timing: broker and programs ready in $(since "$t0") s"
  hook "ready_$fault"
  t_request=$(now)
  "$sigmactl" run --date $D -d "$ci" >"$work/run.out" 2>>"$work/run.log" || fail "sigmactl run"
  await 30 run_exists || fail "no run opened"
  run=$(run_id)
  [[ -n $onboard_by_fault ]] || onboard
  hook "fault_$fault"
  echo "fault $fault #$k struck: ${landed_at:-}"
  await "$run_deadline" run_closed || fail "run $run not closed within $run_deadline s: $(q "SELECT phase, fanned_out FROM sigma_runs")
    $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
  t_run=$(since "$t_request")
  await 120 onboarding_done || fail "onboarding rows unfinished: $(q "SELECT symbol, status FROM symbol_onboarding_queue")"
  hook "after_$fault"
  t0=$(now)
  if [[ $fault == clean ]]; then save_reference; else check_trial; fi
  echo "timing: run $t_run s, checks $(since "$t0") s"
  t0=$(now)
  stop_all
  echo "timing: programs stopped in $(since "$t0") s"
  cut -d' ' -f1 /proc/loadavg >>"$suite_work/loads" # the machine's load, for the table
  echo "$(recovery), run $t_run s, duplicates $(q "SELECT coalesce(sum(duplicates), 0) FROM sigma_run_outcomes"),
    struck ${landed_at:-}${note:+, $note}" | tr -s ' \n' ' ' >&3
  echo >&3
}
trial_cleanup() {
  local rc=$? p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  hook "cleanup_$fault"
  q "DROP DATABASE IF EXISTS $db WITH (FORCE)" "$base" >/dev/null 2>&1 || true
  # a passed trial keeps its summary only (a 10,000-symbol night logs megabytes)
  ((rc != 0)) || find "$work" -mindepth 1 ! -name trial.out -delete
  exit $rc
}
# recovery: seconds from the fault's end ($t_end) to the first outcome recorded after
# it, or what the fault's recover_sql measures (an epoch); "-" when the fault has none.
recovery() {
  local r
  [[ -n $t_end ]] || { echo "recover - s"; return; }
  r=$(q "SELECT round((${recover_sql:-(SELECT extract(epoch FROM min(recorded_at)) FROM sigma_run_outcomes
        WHERE batch_run_id = '$run' AND recorded_at > to_timestamp($t_end))} - $t_end)::numeric, 2)")
  echo "recover ${r:--} s"
}

# --- the checks ------------------------------------------------------------------
# Per phase "phase:outcomes:ok:failed", as text (the clean run's is the reference).
ledger() {
  q "SELECT string_agg(phase || ':' || n || ':' || ok || ':' || failed, ' ' ORDER BY phase) FROM (SELECT phase, count(outcome) n,
       count(*) FILTER (WHERE outcome = 'ok') ok, count(*) FILTER (WHERE outcome = 'failed') failed
     FROM sigma_run_outcomes WHERE batch_run_id = '$run' GROUP BY phase) x"
}
failed_symbols() { q "SELECT string_agg(DISTINCT symbol, ' ' ORDER BY symbol) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND outcome = 'failed'"; }
onboarding_rows() { q "SELECT symbol || ':' || status FROM symbol_onboarding_queue ORDER BY symbol"; }
# without SYMBOLS...: the reference rows as a run where SYMBOLS had no prices stores them:
# no factor row (CSV) of theirs, and their metrics row (JSON) all NULL (docs/pipeline.md:
# "a symbol without prices gets compute's all-NULL row"), in the same place.
NULL_METRICS='{"sector": null, "symbol": "SYM", "industry": null, "pb_ratio": null, "pe_ratio": null, "ps_ratio": null, "return_1d": null, "return_1m": null, "return_1y": null, "return_3m": null, "market_cap": null, "return_mtd": null, "return_ytd": null, "factor_size": null, "company_name": null, "factor_value": null, "metrics_date": "DATE", "current_price": null, "factor_growth": null, "factor_low_vol": null, "factor_quality": null, "factor_momentum": null, "enterprise_value": null, "data_quality_score": 0.00, "factor_size_spread": null, "factor_quality_spread": null, "factor_momentum_spread": null, "factor_growth_value_spread": null}'
without() {
  awk -v s=" $* " -v null="${NULL_METRICS/DATE/$D}" 'BEGIN { FS = "," } {
      if ($0 !~ /^\{/) { if (index(s, " " $1 " ") == 0) print; next }
      sym = $0; sub(/.*"symbol": "/, "", sym); sub(/".*/, "", sym)
      if (index(s, " " sym " ") == 0) print; else { row = null; sub(/SYM/, sym, row); print row } }' "$suite_work/ref.rows"
}
# check_trial: the run closed completed; every (phase, symbol) has one outcome, the
# counts add up, each counted once; the failed symbols are the clean run's and exactly
# those the fault must fail ($expect_failed), each with a reason; every factor and
# metrics row's text equals the clean run's, less the rows of the symbols that must
# lose them ($expect_gone: the failed ones and onboarding rows the fault fails); no
# onboarding row pending or processing, each ended as in the clean run (or failed,
# when in $expect_gone).
check_trial() {
  local want_failed
  is "SELECT status FROM batch_run_history WHERE batch_run_id = '$run'" completed ||
    fail "status $(q "SELECT status, error_summary FROM batch_run_history WHERE batch_run_id = '$run'")"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND outcome IS NULL" 0 ||
    fail "(phase, symbol) rows without an outcome: $(q "SELECT phase, count(*) FROM sigma_run_outcomes WHERE outcome IS NULL GROUP BY 1")"
  is "SELECT (b.completed_jobs = o.ok AND b.failed_jobs = o.failed AND b.total_jobs = o.n
              AND b.completed_jobs + b.failed_jobs = b.total_jobs)
      FROM batch_run_history b, (SELECT count(*) FILTER (WHERE outcome = 'ok') ok,
        count(*) FILTER (WHERE outcome = 'failed') failed, count(*) n
        FROM sigma_run_outcomes WHERE batch_run_id = '$run') o WHERE b.batch_run_id = '$run'" t ||
    fail "counts: $(q "SELECT total_jobs, completed_jobs, failed_jobs FROM batch_run_history WHERE batch_run_id = '$run'") against $(ledger)"
  # shellcheck disable=SC2086
  want_failed=$(printf '%s\n' $ref_failed $expect_failed | LC_ALL=C sort -u | xargs)
  [[ $(failed_symbols) == "$want_failed" ]] ||
    fail "failed symbols '$(failed_symbols)', expected '$want_failed': $(q "SELECT phase, symbol, reason FROM sigma_run_outcomes
      WHERE batch_run_id = '$run' AND outcome = 'failed' LIMIT 20")"
  is "SELECT count(*) FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND outcome = 'failed' AND coalesce(reason, '') = ''" 0 ||
    fail "a failed outcome without its reason"
  [[ -n $expect_failed ]] || [[ $(ledger) == "$ref_ledger" ]] || fail "ledger $(ledger), the clean run's $ref_ledger"
  is "SELECT count(*) FROM sigma_runs WHERE closed_at IS NULL" 0 || fail "a run is still open"
  night_rows "$ci" >"$work/got"
  # shellcheck disable=SC2086
  without ${expect_gone:-$expect_failed} >"$work/want"
  diff "$work/want" "$work/got" >"$work/diff" || { head -20 "$work/diff"; fail "stored rows differ from the clean run's ($(wc -l <"$work/diff") diff lines)"; }
  local s want_onboarding=" $ref_onboarding"
  for s in $expect_gone; do want_onboarding=${want_onboarding/ $s:completed / $s:failed }; done
  [[ " $(onboarding_rows | tr '\n' ' ')" == "$want_onboarding" ]] ||
    fail "onboarding rows $(onboarding_rows | tr '\n' ' '), expected $want_onboarding"
}

# save_reference: the clean run's rows, ledger, failed symbols and onboarding rows
save_reference() {
  night_rows "$ci" >"$suite_work/ref.rows"
  ledger >"$suite_work/ref.ledger"
  failed_symbols >"$suite_work/ref.failed"
  onboarding_rows >"$suite_work/ref.onboarding"
  (($(wc -l <"$suite_work/ref.rows") > nsym * 13)) || fail "the clean run stored $(wc -l <"$suite_work/ref.rows") rows"
}
# clean_run: the reference (rows, ledger, failed symbols, onboarding rows) and its time
clean_run() {
  local r
  r=$(trial clean 0) || { sed 's/^/  | /' "$suite_work/clean.0/trial.out" | tail -60; fail "the clean run failed"; }
  echo "clean: $r"
  clean_s=$(sed -n 's/.*run \([0-9.]*\) s.*/\1/p' <<<"$r")
  ref_ledger=$(cat "$suite_work/ref.ledger")
  ref_failed=$(cat "$suite_work/ref.failed")
  ref_onboarding=$(tr '\n' ' ' <"$suite_work/ref.onboarding")
}

# --- the table ---------------------------------------------------------------------
stats() { # VALUES...: "median / worst" of the numbers among them ("-" when none)
  printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -g | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "-"; exit } m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.2f / %.2f\n", m, v[NR] }'
}
write_table() {
  local f
  echo "# Fault suite results"
  echo
  echo "Command: \`tests/faults/run.sh --symbols $nsym --trials $trials --seed $seed --faults $(IFS=,; echo "${selected[*]}")\`"
  echo "Seed: $seed. Date: $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1),"
  echo "$(nproc) cores; load average (1 min) at the trials' ends $(sort -g "$suite_work/loads" 2>/dev/null | sed -n '1p;$p' |
    paste -sd- -) (other work on the machine included). Clean run: $clean_s s."
  echo
  echo "| fault | trials | passed | recover s (median / worst) | run s (median / worst; clean $clean_s) |"
  echo "|---|---|---|---|---|"
  for f in "${selected[@]}"; do
    # shellcheck disable=SC2086
    echo "| $f | $trials | ${passed[$f]} | $(stats ${recover[$f]:-}) | $(stats ${runtime[$f]:-}) |"
  done
  echo
  echo "Time to recover: from the end of the fault (the kill or the freeze, or the restart that follows it;"
  echo "PostgreSQL back up; the broker or the link back up; the errors injected) to the first outcome"
  echo "recorded after it (kill_worker, pause_worker: after the survivor took the victim's partitions); for"
  echo "kill_relay, to the onboarding rows marked processing again; for the"
  echo "provider faults, from the fault switched on to the prices outcome of the last symbol it hit;"
  echo "\"-\": the fault has no end (tests/faults/README.md). Run: from \`sigmactl run\` to the run closed."
}
