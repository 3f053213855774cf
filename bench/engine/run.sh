#!/usr/bin/env bash
# bench/engine: `sigmactl factors` against `oracle.py` on the same universe,
# whole process, side by side in one run.
#   bench/engine/run.sh [SYMBOLS] [RUNS]     (defaults: 2000 symbols, 5 runs of sigmactl)
# Prints wall time, peak RSS, the ratio, and sigmactl's own split of the time
# (load / factors / report) with the compute time per symbol, then the BENCH
# summary lines (bench/summary.sh; baseline: oracle.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/bench/summary.sh"
ref=${SIGMA_REFERENCE:-$root/../shared/reference}
nsym=${1:-2000}
runs=${2:-5}
date=2025-07-15
"$root/scripts/deps.sh" --test
"$root/scripts/build.sh" "$root/build" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

/usr/bin/python3 "$ref/make_prices.py" --symbols "$nsym" --days 300 --end "$date" --seed 7 --out "$work/prices.csv"
rows=$(($(wc -l <"$work/prices.csv") - 1))
echo "universe: $nsym stocks + ETFs and specials, $rows price rows, date $date"

measure() { # output file, command...: prints "wall_s rss_kb" (wall to the microsecond)
  local out=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  /usr/bin/time -f '%M' -o "$work/time" "$@" >"$out"
  t1=$(date +%s.%N)
  printf '%.4f %s\n' "$(echo "$t1 - $t0" | bc -l)" "$(cat "$work/time")"
}

read -r o_wall o_rss < <(measure "$work/oracle.csv" /usr/bin/python3 "$ref/oracle.py" "$work/prices.csv" --date "$date")
walls=()
for ((i = 0; i < runs; i++)); do
  read -r wall rss < <(measure "$work/sigma.csv" "$root/build/bin/sigmactl" factors "$work/prices.csv" --date "$date")
  walls+=("$wall")
done
s_wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
split=$("$root/build/bin/sigmactl" factors "$work/prices.csv" --date "$date" -v 2>&1 >/dev/null | grep 'timing:' | sed 's/.*timing: //')
"$root/build/tests/csvcmp" "$work/oracle.csv" "$work/sigma.csv" | tail -1

printf '\n%-10s %10s %12s\n' program "wall (s)" "peak RSS (MB)"
printf '%-10s %10s %12.1f\n' oracle.py "$o_wall" "$(echo "$o_rss / 1024" | bc -l)"
printf '%-10s %10s %12.1f   (median of %d runs: %s)\n' sigmactl "$s_wall" "$(echo "$rss / 1024" | bc -l)" "$runs" "${walls[*]}"
echo "ratio: $(echo "$o_wall / $s_wall" | bc -l | xargs printf '%.0f')x faster, whole process"
echo "sigmactl split: $split"
bench_summary engine wall "$s_wall" s "$o_wall" lower "oracle.py (pandas, sklearn, statsmodels), same CSV"
bench_summary engine peak_rss "$(echo "$rss / 1024" | bc -l)" MB "$(echo "$o_rss / 1024" | bc -l)" lower "oracle.py"
