#!/usr/bin/env bash
# The fault suite (issue 14): a nightly run of N synthetic stocks, clean once, then
# with one fault per trial at a moment drawn from a recorded seed, and after each
# trial the checks (check_trial, below). Prints a table (fault, trials, passed, time
# to recover, run time) and writes it with the seed to --out. tests/faults/README.md
# says what each fault simulates and how its moment is drawn.
#   tests/faults/run.sh [--symbols N] [--trials N] [--seed S] [--faults a,b,...] [--out FILE]
#                       [--build DIR]
# Defaults: 10,000 symbols, 3 trials, a seed from /dev/urandom (printed and recorded),
# every fault, tests/faults/RESULTS.md, the build directory `build` of this checkout.
# Exit 0 when every trial passed, 1 when one failed, 2 on a usage error.
# Owns: the driver (the suite's setup, the clean run, the trials, the table). Must
# not: weaken a check for a fault (a failing trial is a product bug, found and fixed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)

usage() {
  echo "usage: tests/faults/run.sh [--symbols N] [--trials N] [--seed S] [--faults a,b,...] [--out FILE] [--build DIR]" >&2
  echo "  faults: $(printf '%s ' "${FAULTS[@]%%|*}")" >&2
  exit 2
}
. "$here/faults.sh" # the table FAULTS and one function per fault
nsym=10000 trials=3 seed= only= out=$src/tests/faults/RESULTS.md build=$src/build
while (($#)); do
  [[ $# -ge 2 ]] || { echo "tests/faults/run.sh: $1 needs a value" >&2; usage; }
  case $1 in
  --symbols) nsym=$2 ;;
  --trials) trials=$2 ;;
  --seed) seed=$2 ;;
  --faults) only=$2 ;;
  --out) out=$2 ;;
  --build) build=$2 ;;
  *) echo "tests/faults/run.sh: unknown argument $1" >&2; usage ;;
  esac
  shift 2
done
[[ $nsym =~ ^[1-9][0-9]{0,5}$ && $nsym -ge 20 ]] || { echo "--symbols $nsym: an integer from 20 to 999999" >&2; usage; }
[[ $trials =~ ^[1-9][0-9]?$ ]] || { echo "--trials $trials: an integer from 1 to 99" >&2; usage; }
[[ -z $seed || $seed =~ ^[0-9]{1,10}$ ]] || { echo "--seed $seed: a decimal integer" >&2; usage; }
[[ -n $seed ]] || seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
selected=()
for f in ${only//,/ }; do
  fault_known "$f" || { echo "--faults: unknown fault $f" >&2; usage; }
  selected+=("$f")
done
((${#selected[@]})) || selected=("${FAULTS[@]%%|*}")
bin=$build/bin
sigmactl=$build/bin/sigmactl
pipetool=$build/tests/pipetool
fakeprov=$build/tests/fakeprov
for x in "$sigmactl" "$bin/sigma-worker" "$pipetool" "$fakeprov"; do
  [[ -x $x ]] || { echo "tests/faults/run.sh: $x is missing: build first (scripts/build.sh $build)" >&2; exit 1; }
done
out=$(realpath -m "$out")
kept=${TMPDIR:-/tmp}/sigma-faults-failed.$$ # the logs of failed trials (kept after the suite)

. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" faults
suite_work=$work
trap 'fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT
. "$here/lib.sh" # the trial: programs, moments, checks
echo "fault suite: $nsym symbols, $trials trial(s) each, seed $seed, faults ${selected[*]}"
echo "replay: tests/faults/run.sh --symbols $nsym --trials $trials --seed $seed --faults $(IFS=,; echo "${selected[*]}")"

suite_setup
echo "== the clean run"
clean_run
echo "clean run: $clean_s s; reference: $(wc -l <"$suite_work/ref.rows") rows, onboarding $(tr '\n' ' ' <"$suite_work/ref.onboarding")"

declare -A passed recover runtime
for f in "${selected[@]}"; do
  passed[$f]=0
  for k in $(seq 1 "$trials"); do
    if result=$(trial "$f" "$k"); then
      passed[$f]=$((passed[$f] + 1))
      echo "$f #$k: ok, $result"
      recover[$f]+="$(sed -n 's/.*recover \([0-9.-]*\) s.*/\1/p' <<<"$result") "
      runtime[$f]+="$(sed -n 's/.*run \([0-9.]*\) s.*/\1/p' <<<"$result") "
    else
      echo "$f #$k: FAILED (its logs: $kept/$f.$k)"
      grep -m1 '^FAIL' "$suite_work/$f.$k/trial.out" | sed 's/^/  | /' || true
      mkdir -p "$kept"
      cp -r "$suite_work/$f.$k" "$kept/"
    fi
  done
done
write_table >"$out.tmp"
mv "$out.tmp" "$out"
cat "$out"
all=1
for f in "${selected[@]}"; do ((passed[$f] == trials)) || all=0; done
((all)) || { echo "fault suite: a trial failed (above)"; exit 1; }
echo "fault suite: every trial passed"
