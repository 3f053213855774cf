#!/usr/bin/env bash
# Builds the libFuzzer targets (build-fuzz: clang, -DSG_FUZZ=ON) and runs each
# for SECONDS (default 30) on a scratch copy of its corpus (tests/fuzz/run.sh).
#   scripts/fuzz.sh [-j N] [SECONDS] [TARGET...]   TARGETs: names of tests/fuzz/targets.txt (default all)
#   -j N  N targets at once (default 1; the machine's other work counts: at most 3 on 2 cores)
# Exit 1 when any target finds something (run.sh prints the crashing input's path).
set -euo pipefail
cd "$(dirname "$0")/.."
usage() {
  echo "usage: scripts/fuzz.sh [-j N] [SECONDS] [TARGET...]" >&2
  exit 2
}
jobs=1
if [[ ${1:-} == -j ]]; then
  [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || usage
  jobs=$2
  shift 2
fi
secs=30
if [[ ${1:-} =~ ^[0-9]+$ ]]; then
  secs=$1
  shift
elif [[ ${1:-} == -* ]]; then
  usage
fi
known=$(awk '/^[a-z]/ { print $1 }' tests/fuzz/targets.txt)
targets=("$@")
((${#targets[@]})) || read -r -a targets <<<"$(echo $known)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$known" || { echo "scripts/fuzz.sh: unknown target '$t' (known: $(echo $known))" >&2; usage; }
done

CC=clang scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSG_FUZZ=ON >/dev/null
printf '%s\n' "${targets[@]}" |
  xargs -P "$jobs" -I{} tests/fuzz/run.sh build-fuzz/tests/fuzz/fuzz_{} {} "$secs" || exit 1
