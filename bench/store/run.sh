#!/usr/bin/env bash
# bench/store: a whole universe through PostgreSQL on this machine.
#   bench/store/run.sh [SYMBOLS] [DAYS]      (defaults: 10000 symbols x 260 days = 2.6M price rows)
# Starts a throwaway PostgreSQL (scripts/pg.sh), migrates, then times:
#   1. import-prices of the universe (bulk initial load), and again (upsert of unchanged rows);
#   2. compute --date (read the prices, compute every factor row and metric, write them);
#   3. compute again (idempotent: nothing changes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
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

printf '\n%-44s %8s %14s\n' step "seconds" "rows/s"
printf '%-44s %8.2f %14.0f\n' "import-prices (bulk load, empty table)" "$t_import" "$(echo "$rows / $t_import" | bc -l)"
printf '%-44s %8.2f %14.0f\n' "import-prices again (upsert, no change)" "$t_reimport" "$(echo "$rows / $t_reimport" | bc -l)"
printf '%-44s %8.2f %14s\n' "compute --date $date (read+compute+write)" "$t_compute" "$factor_rows factor rows"
printf '%-44s %8.2f\n' "compute again (idempotent)" "$t_recompute"
echo "compute split: $split"
