#!/usr/bin/env bash
# The main job on the local default: installs what is missing, builds, runs.
# Today: the factor rows and metrics of the sample universe (samples/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh >/dev/null
exec build/bin/sigmactl local "$@"
