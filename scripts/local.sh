#!/usr/bin/env bash
# The main job on the local default: installs what is missing, builds, runs.
# Today: the sample universe (samples/) through the engine; then a synthetic
# universe (sigmactl synth) fetched as Yahoo chart JSON through the providers'
# code path into a throwaway PostgreSQL under state/local/pg, and computed.
# The state directory is state/local, or $SIGMA_LOCAL_STATE.
set -euo pipefail
cd "$(dirname "$0")/.."
state=${SIGMA_LOCAL_STATE:-$PWD/state/local}
mkdir -p "$state"
state=$(cd "$state" && pwd)
# One state directory, one owner: a second run would stop and remove the
# first one's database. flock releases the lock when this shell exits.
exec 9>"$state/.lock"
if ! flock -n 9; then
  echo "local.sh: $state is in use by another run (pid $(cat "$state/.owner" 2>/dev/null || echo '?'));" \
       "wait for it to finish, or stop it" >&2
  exit 1
fi
echo $$ >"$state/.owner"

scripts/deps.sh
scripts/build.sh >/dev/null
sigmactl=build/bin/sigmactl

echo "== the engine on the sample universe"
"$sigmactl" local --state "$state" "$@"

echo
echo "== a synthetic universe through the providers' code path and PostgreSQL"
scripts/pg.sh stop "$state/pg"
db=$(scripts/pg.sh start "$state/pg")
trap 'scripts/pg.sh stop "$state/pg"' EXIT
echo "throwaway PostgreSQL: $db"
"$sigmactl" migrate up -d "$db"
"$sigmactl" synth --symbols 200 --days 300 --end 2025-07-15 --out "$state/synth"
# Yahoo's chart API, served from files through the same libcurl path as the real one.
symbols=$(ls "$state/synth/yahoo" | sed 's/\.json$//')
"$sigmactl" fetch $symbols --date 2025-07-15 --provider yahoo -d "$db" \
  -X "provider.yahoo.url=file://$state/synth/yahoo/{symbol}.json" | tail -3
"$sigmactl" compute --date 2025-07-15 -d "$db"
psql "$db" -XAt -F ' ' -c "SELECT 'stored:', (SELECT count(*) FROM market_data_cache), 'prices,',
    (SELECT count(*) FROM symbol_factor_exposures), 'factor rows,',
    (SELECT count(*) FROM symbol_daily_metrics), 'metrics rows,',
    (SELECT count(*) FROM symbol_universe), 'symbols in symbol_universe'"
# The run's list always holds the macro ETFs (SPY TLT GLD USO UUP); the
# synthetic universe has no prices for some of them: say which, and why.
noprice=$(psql "$db" -XAt -c "SELECT string_agg(u.symbol, ' ' ORDER BY u.symbol) FROM symbol_universe u
    WHERE NOT EXISTS (SELECT 1 FROM market_data_cache m WHERE m.symbol = u.symbol)")
[[ -n $noprice ]] && echo "without prices: $noprice (in every run's symbol list; the synthetic universe does not generate them)"
echo "(the database is removed on exit; scripts/pg.sh start DIR keeps one running)"
