#!/usr/bin/env bash
# Regenerates schemas/tables.sql: the schema the migrations produce on a fresh
# database (pg_dump -s of a throwaway PostgreSQL after `sigmactl migrate up`).
# The migrations are the source; this file is what they build, for reading,
# and tests/store checks that it is current.
#   schemas/regen.sh [SIGMACTL]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
sigmactl=${1:-$root/build/bin/sigmactl}
work=$(mktemp -d /tmp/sigma-schema.XXXXXX)
chmod 755 "$work"
ci=$("$root/scripts/pg.sh" start "$work/pg")
trap '"$root/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
SIGMA_MIGRATIONS=$root/migrations "$sigmactl" migrate up -d "$ci" >/dev/null
"$root/schemas/dump.sh" "$ci" >"$root/schemas/tables.sql"
