#!/usr/bin/env bash
# Regenerates tests/store/expected/ from the oracle (needs the Python stack: scripts/deps.sh --test).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=${SIGMA_REFERENCE:-$root/../shared/reference}
for p in v2 v1; do
  /usr/bin/python3 "$ref/oracle.py" "$root/samples/universe.csv" --date 2025-07-15 --db-round --full \
    --profiles "$root/samples/profiles.csv" --pipeline $p >"$root/tests/store/expected/samples-2025-07-15-$p.csv"
done
