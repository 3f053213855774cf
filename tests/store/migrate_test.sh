#!/usr/bin/env bash
# Migrations against a throwaway PostgreSQL 15 (scripts/pg.sh): up, idempotence,
# down --all then up gives the identical schema, the checksum refusal, two
# concurrent `migrate up`, the seeded factor definitions, and the queue's
# partial unique index.
#   migrate_test.sh SIGMACTL SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"
schema() { pg_dump -s "$ci" | grep -v '^\\\(un\)\?restrict'; }
# The migration files: how many, the last, and how many come after version V.
nmig=$(ls "$src/migrations"/*.up.sql | wc -l)
last=$(basename "$(ls "$src/migrations"/*.up.sql | sort | tail -1)" .up.sql)
after() { ls "$src/migrations"/*.up.sql | xargs -n1 basename | awk -v v="$1" 'substr($0, 1, 4) + 0 > v' | wc -l; }

echo "== up from empty"
"$sigmactl" migrate up -d "$ci" | tee "$work/out"
grep -q "applied 0005_onboarding" "$work/out" || fail "0005 not applied"
grep -q "applied 0004_pipeline" "$work/out" || fail "0004 not applied"
[[ $(q "SELECT count(*) FROM sigmabatch_schema_migrations") == "$nmig" ]] || fail "$nmig versions recorded"
[[ $(q "SELECT count(*) FROM factor_definitions") == 13 ]] || fail "13 factor definitions seeded"
q "SELECT column_name FROM information_schema.columns WHERE table_name='symbol_universe' AND column_name IN ('added_source','last_price_date','last_factor_date')" | wc -l | grep -qx 3 || fail "symbol_universe columns"
schema >"$work/schema1.sql"

echo "== schemas/tables.sql is what the migrations build"
"$src/schemas/dump.sh" "$ci" >"$work/tables.sql"
diff "$src/schemas/tables.sql" "$work/tables.sql" || fail "schemas/tables.sql is not current: run schemas/regen.sh"

echo "== up again is a no-op"
grep -q "nothing to apply" <<<"$("$sigmactl" migrate up -d "$ci")" || fail "second up did something"

echo "== down --all, then up: identical schema"
"$sigmactl" migrate down --all -d "$ci"
[[ $(q "SELECT count(*) FROM pg_tables WHERE schemaname='public' AND tablename <> 'sigmabatch_schema_migrations'") == 0 ]] || fail "down --all left tables"
"$sigmactl" migrate up -d "$ci" >/dev/null
schema >"$work/schema2.sql"
diff "$work/schema1.sql" "$work/schema2.sql" || fail "schema differs after down --all + up"

echo "== down --steps 1 reverts only the last"
[[ $(q "SELECT count(*) FROM pg_tables WHERE tablename = 'sigma_workers'") == 1 ]] || fail "0007 made no sigma_workers"
grep -qx "reverted $last" <<<"$("$sigmactl" migrate down --steps 1 -d "$ci")" || fail "down 1"
[[ $last != 0007_sigma_workers || $(q "SELECT count(*) FROM pg_tables WHERE tablename = 'sigma_workers'") == 0 ]] ||
  fail "0007 down left sigma_workers"
grep -q "$last *pending" <<<"$("$sigmactl" migrate status -d "$ci")" || fail "status after down"
"$sigmactl" migrate up -d "$ci" >/dev/null

echo "== a changed applied file is refused"
cp -r "$src/migrations" "$work/mig"
echo "-- edited" >>"$work/mig/0002_v2_batch_tables.up.sql"
if "$sigmactl" migrate up -d "$ci" --dir "$work/mig" 2>"$work/err"; then fail "changed file accepted"; fi
grep -q "0002_v2_batch_tables.up.sql was changed after it was applied" "$work/err" || { cat "$work/err"; fail "message"; }

echo "== factor definitions: an existing name is kept as it is"
"$sigmactl" migrate down --steps "$(after 2)" -d "$ci" >/dev/null
q "INSERT INTO factor_definitions (name, factor_type, calculation_method, etf_proxy, display_order) VALUES ('Size Spread', 'spread', 'OLS_SPREAD', 'IWM-SPY', 12)"
"$sigmactl" migrate up -d "$ci" >/dev/null
[[ $(q "SELECT factor_type || '/' || etf_proxy FROM factor_definitions WHERE name='Size Spread'") == "spread/IWM-SPY" ]] || fail "existing definition changed"
[[ $(q "SELECT count(*) FROM factor_definitions") == 13 ]] || fail "13 definitions"
"$sigmactl" migrate down --steps "$(after 2)" -d "$ci" >/dev/null
[[ $(q "SELECT count(*) FROM factor_definitions") == 1 ]] || fail "down removed the pre-existing definition"
"$sigmactl" migrate up -d "$ci" >/dev/null

echo "== two concurrent migrate up"
"$sigmactl" migrate down --all -d "$ci" >/dev/null
"$sigmactl" migrate up -d "$ci" >"$work/a" 2>&1 &
pa=$!
"$sigmactl" migrate up -d "$ci" >"$work/b" 2>&1 &
pb=$!
wait $pa || { cat "$work/a"; fail "first concurrent up failed"; }
wait $pb || { cat "$work/b"; fail "second concurrent up failed"; }
[[ $(cat "$work/a" "$work/b" | grep -c '^applied') == "$nmig" ]] || { cat "$work/a" "$work/b"; fail "each migration applied once"; }
schema >"$work/schema3.sql"
diff "$work/schema1.sql" "$work/schema3.sql" || fail "schema after concurrent up"

echo "== the queue allows one pending or processing job per symbol"
q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('AAPL')"
if q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('AAPL')" 2>"$work/err"; then fail "second pending row accepted"; fi
grep -q idx_queue_pending_symbol "$work/err" || fail "refused by the wrong constraint"
q "UPDATE symbol_onboarding_queue SET status='processing' WHERE symbol='AAPL'"
if q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('AAPL')" 2>/dev/null; then fail "pending beside processing accepted"; fi
q "UPDATE symbol_onboarding_queue SET status='completed' WHERE symbol='AAPL'"
q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('AAPL')"
[[ $(q "SELECT status || ',' || priority FROM symbol_onboarding_queue WHERE status='pending'") == "pending,normal" ]] || fail "defaults"

echo "== 0004: one open run per date, one pending request per date"
q "INSERT INTO sigma_runs (batch_run_id, calc_date, phase) VALUES ('r1', '2025-06-30', 'prices')"
if q "INSERT INTO sigma_runs (batch_run_id, calc_date, phase) VALUES ('r2', '2025-06-30', 'prices')" 2>"$work/err"; then fail "second open run accepted"; fi
grep -q sigma_runs_one_open "$work/err" || fail "refused by the wrong constraint"
q "UPDATE sigma_runs SET closed_at = now(), phase = 'done' WHERE batch_run_id = 'r1'"
q "INSERT INTO sigma_runs (batch_run_id, calc_date, phase) VALUES ('r2', '2025-06-30', 'prices')"
q "INSERT INTO sigma_run_requests (calc_date, requested_by) VALUES ('2025-06-30', 'test')"
if q "INSERT INTO sigma_run_requests (calc_date, requested_by) VALUES ('2025-06-30', 'test')" 2>/dev/null; then fail "second pending request accepted"; fi
echo "== 0005: the queue's NOTIFY, its claim index, its attempts column; down removes only those"
q "SELECT count(*) FROM symbol_onboarding_queue WHERE attempts = 0" >/dev/null || fail "attempts column"
[[ $(q "SELECT count(*) FROM pg_indexes WHERE indexname IN ('symbol_onboarding_queue_claim', 'symbol_onboarding_queue_processing')") == 2 ]] || fail "0005 indexes"
rows_before=$(q "SELECT count(*) FROM symbol_onboarding_queue")
"$sigmactl" migrate down --steps "$(after 4)" -d "$ci" >/dev/null
[[ $(q "SELECT count(*) FROM pg_proc WHERE proname = 'symbol_onboarding_queue_notify'") == 0 ]] || fail "0005 down left its function"
[[ $(q "SELECT count(*) FROM information_schema.columns WHERE table_name = 'symbol_onboarding_queue' AND column_name = 'attempts'") == 0 ]] || fail "0005 down left attempts"
[[ $(q "SELECT count(*) FROM symbol_onboarding_queue") == "$rows_before" ]] || fail "0005 down touched the app's rows"
[[ $(q "SELECT count(*) FROM pg_indexes WHERE indexname IN ('idx_queue_status', 'idx_queue_pending_symbol')") == 2 ]] || fail "0005 down removed the app's indexes"
"$sigmactl" migrate down --steps 1 -d "$ci" >/dev/null
[[ $(q "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'sigma\_%'") == 0 ]] || fail "0004 down left tables"
[[ $(q "SELECT count(*) FROM pg_proc WHERE proname = 'sigma_budget_take'") == 0 ]] || fail "0006 down left its function"
[[ $(q "SELECT count(*) FROM pg_proc WHERE proname = 'sigma_run_requests_notify'") == 0 ]] || fail "0004 down left its function"
"$sigmactl" migrate up -d "$ci" >/dev/null

echo "== bad arguments"
set +e
"$sigmactl" migrate sideways -d "$ci" 2>/dev/null; [[ $? == 2 ]] || fail "bad action exit code"
"$sigmactl" migrate up --all -d "$ci" 2>/dev/null; [[ $? == 2 ]] || fail "--all with up"
"$sigmactl" migrate up -d "host=$work/nowhere port=1" 2>"$work/err"; [[ $? == 1 ]] || fail "no server exit code"
grep -q "connect:" "$work/err" || fail "connect message"
set -e
echo "migrate: all checks passed"
