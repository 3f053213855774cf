#!/usr/bin/env bash
# The README's first command: the whole system on this machine (sigmactl up,
# docs/local.md).
#   scripts/local.sh [--workers N] [--symbols N] [--port P] [--state DIR] [-v]
#   scripts/local.sh down [--state DIR]
# Installs what is missing (scripts/deps.sh), builds (scripts/build.sh), then
# runs build/bin/sigmactl up in the state directory state/local of this
# checkout, or $SIGMA_STATE; `down` stops what it started. SIGMA_BIN=DIR runs
# the programs in DIR as they are, without installing or building (the tests
# run the build under test so).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
state=${SIGMA_STATE:-$root/state/local}
bin=${SIGMA_BIN:-$root/build/bin}

if [[ ${1:-} == down ]]; then
  shift
  # stopping needs no install: only sigmactl, built if it is missing
  [[ -n ${SIGMA_BIN:-} || -x $bin/sigmactl ]] || "$root/scripts/build.sh" "$root/build" >/dev/null
  exec "$bin/sigmactl" down --state "$state" "$@"
fi
if [[ -z ${SIGMA_BIN:-} ]]; then
  "$root/scripts/deps.sh"
  "$root/scripts/build.sh" "$root/build" >/dev/null
fi
exec "$bin/sigmactl" up --state "$state" "$@"
