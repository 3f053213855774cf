#!/usr/bin/env bash
# bench/store: a whole universe through PostgreSQL on this machine.
#   bench/store/run.sh [SYMBOLS] [DAYS]      (defaults: 10000 symbols x 260 days = 2.6M price rows)
# Starts a throwaway PostgreSQL (scripts/pg.sh), migrates, then times:
#   1. import-prices of the universe (bulk initial load), and again (upsert of unchanged rows);
#   2. compute --date (read the prices, compute every factor row and metric, write them);
#   3. compute again (idempotent: nothing changes).
# Baselines, side by side in the same run: PostgreSQL's own COPY of the same CSV
# (psql \copy) into an empty table shaped as market_data_cache (its defaults and
# indexes: LIKE ... INCLUDING ALL), the floor of a bulk load; and `sigmactl
# factors` on the same CSV (the same factor rows, no database), the engine's
# floor under compute. Ends with the BENCH summary lines (bench/summary.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/summary.sh"
ref=${SIGMA_REFERENCE:-$root/../shared/reference}
nsym=${1:-10000}
days=${2:-260}
date=2025-07-15
"$root/scripts/deps.sh" --test
"$root/scripts/build.sh" "$root/build" >/dev/null
work=$(mktemp -d /tmp/sigma-bench-store.XXXXXX)
chmod 755 "$work"
ci=$("$root/scripts/pg.sh" start "$work/pg")
trap '"$root/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
sigmactl=$root/build/bin/sigmactl
export SIGMA_MIGRATIONS=$root/migrations

/usr/bin/python3 "$ref/make_prices.py" --symbols "$nsym" --days "$days" --end "$date" --seed 11 --out "$work/prices.csv"
rows=$(($(wc -l <"$work/prices.csv") - 1))
echo "universe: $nsym stocks + ETFs and specials, $rows price rows"
"$sigmactl" migrate up -d "$ci" >/dev/null

timed() { # prints seconds
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}
t_import=$(timed "$sigmactl" import-prices "$work/prices.csv" -d "$ci")
t_reimport=$(timed "$sigmactl" import-prices "$work/prices.csv" -d "$ci")
t_compute=$(timed "$sigmactl" compute --date "$date" -d "$ci" -v)
split=$(grep 'timing:' "$work/err" | sed 's/.*timing: //')
factor_rows=$(psql "$ci" -XAtc "SELECT count(*) FROM symbol_factor_exposures")
t_recompute=$(timed "$sigmactl" compute --date "$date" -d "$ci")
psql "$ci" -XAtq -v ON_ERROR_STOP=1 -c "CREATE TABLE bench_copy (LIKE market_data_cache INCLUDING ALL)"
t_copy=$(timed psql "$ci" -XAtq -v ON_ERROR_STOP=1 \
  -c "\\copy bench_copy (symbol, date, open, high, low, close, volume) FROM '$work/prices.csv' CSV HEADER")
t_factors=$(timed "$sigmactl" factors "$work/prices.csv" --date "$date")

printf '\n%-44s %8s %14s\n' step "seconds" "rows/s"
printf '%-44s %8.2f %14.0f\n' "import-prices (bulk load, empty table)" "$t_import" "$(echo "$rows / $t_import" | bc -l)"
printf '%-44s %8.2f %14.0f\n' "import-prices again (upsert, no change)" "$t_reimport" "$(echo "$rows / $t_reimport" | bc -l)"
printf '%-44s %8.2f %14s\n' "compute --date $date (read+compute+write)" "$t_compute" "$factor_rows factor rows"
printf '%-44s %8.2f\n' "compute again (idempotent)" "$t_recompute"
printf '%-44s %8.2f %14.0f\n' "baseline: psql \\copy into a copy of the table" "$t_copy" "$(echo "$rows / $t_copy" | bc -l)"
printf '%-44s %8.2f\n' "baseline: sigmactl factors from the CSV" "$t_factors"
echo "compute split: $split"
bench_summary store import "$t_import" s "$t_copy" lower "psql \\copy of the CSV into an empty copy of market_data_cache"
bench_summary store compute "$t_compute" s "$t_factors" lower "sigmactl factors on the same CSV (no database)"
bench_summary store compute_again "$t_recompute" s "$t_factors" lower "sigmactl factors on the same CSV (no database)"
