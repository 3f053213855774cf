# Sourced by the store tests: a throwaway PostgreSQL for the test, removed on
# exit, and small helpers. Sets: sigmactl, src, work, ci.
#   . lib.sh SIGMACTL SOURCE_DIR
sigmactl=$1
src=$2
work=$(mktemp -d /tmp/sigma-store-test.XXXXXX)
chmod 755 "$work"
ci=$("$src/scripts/pg.sh" start "$work/pg")
trap '"$src/scripts/pg.sh" stop "$work/pg"; rm -rf "$work"' EXIT
export SIGMA_MIGRATIONS=$src/migrations
fail() { echo "FAIL: $*"; exit 1; }
q() { psql "$ci" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
