#!/usr/bin/env bash
# bench/all.sh: every benchmark under bench/ in sequence, then BENCHMARKS.md at the repo root.
#   bench/all.sh [--quick] [--only NAME[,NAME...]] [--out DIR] [--render]
# Installs what the benchmarks need (scripts/deps.sh --test), builds build/ if needed, runs
# each benchmark with its command (below), keeps its output, its command, the date, the load
# average before and after it in DIR (default /tmp/sigma-bench-results, or $SIGMA_BENCH_OUT),
# and writes BENCHMARKS.md from every benchmark recorded in DIR: the machine, then per
# benchmark a table of its BENCH summary lines (bench/summary.sh: sigmabatch, the baseline
# run side by side in the same invocation, the speed-up), the command that reproduces it and
# its whole output. --only reruns some and rewrites the file with the others' kept records;
# --render runs nothing and rewrites the file from the records (after editing its notes).
# --quick: small sizes, a smoke check that every script runs and prints its summary lines
# (its figures mean nothing); it writes DIR/BENCHMARKS.md, never the repo's.
# Hand-written notes survive a rewrite: a block between `<!-- notes: NAME -->` and
# `<!-- /notes: NAME -->` in the old file is put back under benchmark NAME.
# Exit status: 1 when a benchmark failed or printed no BENCH line (the file is still written).
# Must not: change the environment the benchmarks see (OPENBLAS_CORETYPE is reported, never set).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  echo "usage: bench/all.sh [--quick] [--only NAME[,NAME...]] [--out DIR] [--render]   (names: ${names[*]})" >&2
  exit 2
}

# The benchmarks, in the order they run: NAME, then the full and the quick arguments.
names=(engine store fetch pipeline bulk onboard profile)
declare -A script=(
  [engine]=bench/engine/run.sh [store]=bench/store/run.sh [fetch]=bench/fetch/run.sh
  [pipeline]=bench/pipeline/run.sh [bulk]=bench/pipeline/bulk.sh
  [onboard]=bench/pipeline/onboard_latency.sh [profile]=bench/pipeline/profile.sh
)
declare -A full=(
  [engine]="2000 5" [store]="10000 260" [fetch]="1000 20 16 64" [pipeline]="10000" [bulk]="10000 20"
  [onboard]="100 2000 42" [profile]="10000"
)
declare -A quick=(
  [engine]="50 1" [store]="100 260" [fetch]="50 20 16" [pipeline]="200" [bulk]="200 20"
  [onboard]="10 200 42" [profile]="200"
)
declare -A title=(
  [engine]="bench/engine: sigmactl factors vs oracle.py"
  [store]="bench/store: a whole universe through PostgreSQL"
  [fetch]="bench/fetch: a year of prices for 1,000 symbols from a local provider with 20 ms latency"
  [pipeline]="bench/pipeline: the distributed night vs sigmactl compute"
  [bulk]="bench/pipeline/bulk.sh: a night's prices in one request vs per symbol"
  [onboard]="bench/pipeline/onboard_latency.sh: onboarding latency"
  [profile]="bench/pipeline/profile.sh: the profile of the 10,000-symbol night"
)

mode=full
only=()
render=0
out=${SIGMA_BENCH_OUT:-/tmp/sigma-bench-results}
while (($#)); do
  case $1 in
  --quick) mode=quick ;;
  --render) render=1 ;;
  --only) (($# > 1)) || usage; IFS=, read -ra only <<<"$2"; shift ;;
  --out) (($# > 1)) || usage; out=$2; shift ;;
  -h | --help) usage ;;
  *) echo "bench/all.sh: unknown argument '$1'" >&2; usage ;;
  esac
  shift
done
for n in "${only[@]}"; do [[ -n ${script[$n]:-} ]] || { echo "bench/all.sh: no benchmark '$n'" >&2; usage; }; done
((${#only[@]})) || only=("${names[@]}")
((render == 0)) || only=()
[[ $mode == quick && -z ${SIGMA_BENCH_OUT:-} && $out == /tmp/sigma-bench-results ]] && out=/tmp/sigma-bench-quick
mkdir -p "$out"

if ((render == 0)); then
  "$root/scripts/deps.sh" --test
  [[ -x $root/build/bin/sigmactl ]] || "$root/scripts/build.sh" "$root/build" >/dev/null
fi

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# run_one NAME: runs it, keeps NAME.{out,meta} in $out.
run_one() {
  local n=$1 args t0 t1 rc=0
  [[ $mode == full ]] && args=${full[$n]} || args=${quick[$n]}
  echo "== bench/all.sh: $n: ${script[$n]} $args ($(date -u '+%H:%M:%S UTC'), load $(loadavg))"
  {
    echo "command=${script[$n]} $args"
    echo "mode=$mode"
    echo "commit=$(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- . ':!BENCHMARKS.md' || echo ' (with uncommitted changes)')"
    echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "load_before=$(loadavg)"
  } >"$out/$n.meta"
  t0=$(date +%s)
  # shellcheck disable=SC2086 # the arguments are words
  (cd "$root" && "./${script[$n]}" $args) >"$out/$n.out" 2>&1 || rc=$?
  t1=$(date +%s)
  {
    echo "load_after=$(loadavg)"
    echo "seconds=$((t1 - t0))"
    echo "rc=$rc"
  } >>"$out/$n.meta"
  grep '^BENCH ' "$out/$n.out" || echo "bench/all.sh: $n printed no BENCH line (exit $rc); see $out/$n.out" >&2
}

meta() { sed -n "s/^$2=//p" "$out/$1.meta"; } # NAME KEY

# The machine, as markdown lines.
machine() {
  local cpu pg rdk blas
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)
  [[ -n $cpu ]] || cpu=$(sed -n 's/^model name\t*: //p' /proc/cpuinfo | head -1)
  cpu="$cpu ($(awk -F': ' '/^cpu family/ { f = $2 } /^model\t/ { m = $2 } /^flags/ { a = $2 ~ /avx512f/ ? ", AVX-512" : $2 ~ /avx2/ ? ", AVX2" : "" }
    END { printf "family %s, model %s%s", f, m, a }' /proc/cpuinfo))"
  pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  pg=$("$pg/postgres" --version 2>/dev/null || echo unknown)
  rdk=$(pkg-config --modversion rdkafka 2>/dev/null || echo unknown)
  blas=$(dpkg-query -W -f='${Version}' libopenblas0-pthread 2>/dev/null || dpkg-query -W -f='${Version}' libopenblas0 2>/dev/null || echo unknown)
  echo "| | |"
  echo "|---|---|"
  echo "| CPU | $cpu |"
  echo "| cores | $(nproc) (\`nproc\`) |"
  echo "| memory | $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  echo "| Debian | $(cat /etc/debian_version 2>/dev/null || echo unknown) |"
  echo "| PostgreSQL | $pg (throwaway clusters, scripts/pg.sh: fsync off) |"
  echo "| librdkafka | $rdk (\`sigmactl broker\`: librdkafka's mock cluster) |"
  echo "| OpenBLAS | $blas, \`OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset: detected at run time)}\` from the environment, not changed |"
}

# notes NAME: the hand-written block of the old BENCHMARKS.md for NAME, markers included.
notes() {
  [[ -f $old ]] || return 0
  awk -v n="$1" '$0 == "<!-- notes: " n " -->" { on = 1 } on { print } $0 == "<!-- /notes: " n " -->" { on = 0 }' "$old"
}

# glance: every benchmark's summary lines in one table (details and baselines in the sections).
glance() {
  local n
  echo "| benchmark | metric | sigmabatch | baseline | speed-up |"
  echo "|---|---|---|---|---|"
  for n in "${names[@]}"; do
    [[ -f $out/$n.out ]] || continue
    awk -v n="$n" 'function f(v) { return sprintf(v == int(v) || v >= 100 ? "%.0f" : v >= 1 ? "%.2f" : "%.3f", v) }
      $1 == "BENCH" { printf "| %s | %s | %s %s | %s %s | %sx |\n", n, $3, f($4), $5, f($6), $5, $7 }' "$out/$n.out"
  done
}

# section NAME: one benchmark's markdown.
section() {
  local n=$1
  echo "## ${title[$n]}"
  echo
  if [[ ! -f $out/$n.meta ]]; then
    echo "Not run. \`bench/all.sh --only $n\` runs it."
    echo
    return
  fi
  echo "Reproduce: \`$(meta "$n" command)\` (run $(meta "$n" date) at commit $(meta "$n" commit), $(meta "$n" seconds) s$([[ $(meta "$n" mode) == quick ]] && echo ", quick sizes"); exit $(meta "$n" rc))."
  echo "Load average (1, 5, 15 min) before: $(meta "$n" load_before); after: $(meta "$n" load_after)."
  echo
  if grep -q '^BENCH ' "$out/$n.out"; then
    echo "| metric | sigmabatch | baseline | speed-up | baseline, run side by side in the same invocation |"
    echo "|---|---|---|---|---|"
    awk 'function f(v) { return sprintf(v == int(v) || v >= 100 ? "%.0f" : v >= 1 ? "%.2f" : "%.3f", v) }
      $1 == "BENCH" { b = ""; for (i = 8; i <= NF; i++) b = b (i > 8 ? " " : "") $i
      printf "| %s | %s %s | %s %s | **%sx** | %s |\n", $3, f($4), $5, f($6), $5, $7, b }' "$out/$n.out"
    echo
    echo "Speed-up: the baseline's figure over sigmabatch's (over the baseline's for a rate); above 1, sigmabatch does better."
  else
    echo "**No summary line: the benchmark failed** (exit $(meta "$n" rc)); its output below."
  fi
  echo
  # The profile writes its own report after this marker.
  sed -n '/^<!-- report -->$/,$p' "$out/$n.out" | sed 1d
  notes "$n"
  echo
  echo "<details><summary>the whole output</summary>"
  echo
  echo '```'
  sed '/^<!-- report -->$/,$d' "$out/$n.out"
  echo '```'
  echo "</details>"
  echo
}

failed=0
for n in ${only[@]+"${only[@]}"}; do
  run_one "$n"
  [[ $(meta "$n" rc) == 0 ]] && grep -q '^BENCH ' "$out/$n.out" || failed=1
done

[[ $mode == full ]] && md=$root/BENCHMARKS.md || md=$out/BENCHMARKS.md
old=$(mktemp)
trap 'rm -f "$old"' EXIT
[[ -f $md ]] && cp "$md" "$old" || rm -f "$old"
{
  echo "# Benchmarks"
  echo
  echo "Written by \`bench/all.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC')); every benchmark runs sigmabatch and its baseline"
  echo "side by side in one invocation, on the same input: the ratios are what counts. What each"
  echo "benchmark does and the history of its figures: [bench/README.md](bench/README.md)."
  echo
  echo "**The machine is shared**: other engineers' builds and tests run on it at the same time, so"
  echo "absolute times vary from run to run; the load average before and after each benchmark says how"
  echo "busy it was (2 cores: a load of 2 is a full machine)."
  echo
  machine
  echo
  echo "At a glance (speed-up: above 1, sigmabatch does better than the baseline run beside it):"
  echo
  glance
  echo
  for n in "${names[@]}"; do section "$n"; done
} >"$md.new"
mv "$md.new" "$md"
echo "bench/all.sh: wrote $md"
exit $failed
