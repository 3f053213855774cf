#!/usr/bin/env bash
# Issue 8: one value, row, file or date never sinks a run nor erases stored
# data. Values that do not fit their columns become that symbol's failure (or
# NULL); a missing factor definition is an error, not a silent drop; dates
# outside the data are refused and bookkeeping dates never move back;
# import-profiles needs a profile column and updates only the columns it has;
# database-side import errors name the file, the line and the value.
#   values_test.sh SIGMACTL SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"
"$sigmactl" migrate up -d "$ci" >/dev/null
D=2025-07-15

run() { # EXPECTED-EXIT COMMAND...: output (stdout and stderr) in $work/out
  local want=$1 got=0
  shift
  "$@" >"$work/out" 2>&1 || got=$?
  [[ $got == "$want" ]] || { cat "$work/out"; fail "exit $got, expected $want: $*"; }
}
has() { grep -qF -- "$1" "$work/out" || { cat "$work/out"; fail "output lacks: $1"; }; }
fingerprint() { # every row's identity and version: unchanged rows keep their xmin
  q "SELECT (SELECT count(*) || string_agg(id::text || xmin::text, ',' ORDER BY id) FROM symbol_factor_exposures)
      || (SELECT count(*) || string_agg(symbol || xmin::text, ',' ORDER BY symbol) FROM symbol_daily_metrics)
      || (SELECT count(*) || string_agg(symbol || xmin::text, ',' ORDER BY symbol) FROM symbol_universe)" | md5sum
}

echo "== compute on an empty database: nothing to compute, said so, exit 1"
run 1 "$sigmactl" compute --date $D -d "$ci"
has "nothing to compute for $D: no stored prices for any of the"
[[ $(q "SELECT count(*) FROM symbol_universe") == 0 ]] || fail "an empty compute registered symbols"

"$sigmactl" import-prices "$src/samples/universe.csv" -d "$ci" >/dev/null
"$sigmactl" import-profiles "$src/samples/profiles.csv" -d "$ci" >/dev/null

echo "== --symbols '' names nothing: an error, nothing written"
got=0
"$sigmactl" compute --date $D --symbols '' -d "$ci" >"$work/out" 2>&1 || got=$?
[[ $got != 0 ]] || { cat "$work/out"; fail "--symbols '' exits 0"; }
[[ -s "$work/out" ]] || fail "--symbols '' says nothing"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics") == 0 ]] || fail "--symbols '' wrote metrics"

echo "== a factor definition named differently: a clear error, nothing written, no date moves"
for name in Value 'Provider Beta (1Y)' 'Momentum Spread'; do
  q "UPDATE factor_definitions SET name = 'Renamed' WHERE name = '$name'"
  run 1 "$sigmactl" compute --date $D -d "$ci"
  has "factor_definitions has no row named '$name'"
  q "UPDATE factor_definitions SET name = '$name' WHERE name = 'Renamed'"
  [[ $(q "SELECT count(*) FROM symbol_factor_exposures") == 0 ]] || fail "rows written without '$name'"
  [[ $(q "SELECT count(*) FROM symbol_universe WHERE last_factor_date IS NOT NULL") == 0 ]] || fail "last_factor_date moved without '$name'"
  [[ $(q "SELECT count(*) FROM symbol_daily_metrics") == 0 ]] || fail "metrics written without '$name'"
done

run 0 "$sigmactl" compute --date $D -d "$ci"

echo "== dates outside the data are refused and change nothing"
before=$(fingerprint)
for d in 9999-12-31 1800-01-01 1900-01-01 2025-08-30 2024-04-01; do
  run 1 "$sigmactl" compute --date $d -d "$ci"
  has "nothing to compute for $d: no stored close in the 7 days up to it"
  has "their stored closes run from 2024-05-02 to 2025-07-15"
  [[ $(fingerprint) == "$before" ]] || fail "compute --date $d changed rows"
done

echo "== an older date: its factor rows are added, nothing newer is replaced, no date moves back"
run 0 "$sigmactl" compute --date 2025-07-01 -d "$ci"
has "kept 57 newer metrics rows"
[[ $(q "SELECT count(*) FROM symbol_factor_exposures WHERE calculation_date = '2025-07-01'") -gt 0 ]] || fail "no rows of 2025-07-01"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE metrics_date <> '$D'") == 0 ]] || fail "an older date replaced metrics"
[[ $(q "SELECT count(*) FROM symbol_universe WHERE last_factor_date < '$D' OR last_seen_date < '$D'") == 0 ]] || fail "bookkeeping moved back"
printf 'symbol,date,open,high,low,close,volume\nS010,2024-06-03,1,1,1,10,100\n' >"$work/old.csv"
"$sigmactl" import-prices "$work/old.csv" -d "$ci" >/dev/null
[[ $(q "SELECT last_price_date FROM symbol_universe WHERE symbol = 'S010'") == $D ]] || fail "last_price_date moved back"

echo "== values that do not fit their columns: that symbol's failure or NULL, every other row written"
# Each fits company_profiles but not the column it is copied to.
printf '%s\n' symbol,pe_ratio,market_cap,beta S001,1250000,, S002,-999999.99995,, S003,,1e17, \
  S004,,,10000 S005,,,-12345.5 S006,,,9999.9999995 >"$work/absurd.csv"
"$sigmactl" import-profiles "$work/absurd.csv" -d "$ci" >/dev/null
# A previous close of 0.0001: returns of 10^4 and more.
q "UPDATE market_data_cache SET close = 0.0001 WHERE symbol = 'S007' AND date = '2025-07-14'"
q "DELETE FROM symbol_factor_exposures WHERE calculation_date = '$D'" # a failed factor keeps an earlier run's row
q "UPDATE market_data_cache SET close = 0.0001 WHERE symbol = 'S008' AND date = '2025-06-13'"
run 0 "$sigmactl" compute --date $D -d "$ci"
has "S004: Provider Beta (1Y): beta 10000.0 does not fit NUMERIC(10,6)"
has "S001: pe_ratio: 1250000.0 does not fit symbol_daily_metrics.pe_ratio NUMERIC(10,4)"
has "S007: return_1d:"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE metrics_date = '$D'") == 57 ]] || fail "metrics rows"
for c in "S001 pe_ratio" "S002 pe_ratio" "S003 market_cap" "S007 return_1d" "S008 return_1m"; do
  set -- $c
  [[ $(q "SELECT $2 IS NULL FROM symbol_daily_metrics WHERE symbol = '$1'") == t ]] || fail "$1 $2 is not NULL"
done
[[ $(q "SELECT market_cap FROM symbol_daily_metrics WHERE symbol = 'LEV6'") == 900000000.00 ]] || fail "LEV6 market_cap"
[[ $(q "SELECT data_quality_score FROM symbol_daily_metrics WHERE symbol = 'S007'") == 50.00 ]] || fail "S007 score counts a NULL return_1d"
provider() { q "SELECT count(*) FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
   WHERE e.symbol = '$1' AND f.name = 'Provider Beta (1Y)' AND e.calculation_date = '$D'"; }
for s in S004 S005 S006; do
  [[ $(provider $s) == 0 ]] || fail "$s provider beta written"
  [[ $(q "SELECT count(*) FROM symbol_factor_exposures WHERE symbol = '$s'") -ge 12 ]] || fail "$s lost its other rows"
  [[ $(q "SELECT last_factor_date FROM symbol_universe WHERE symbol = '$s'") == $D ]] || fail "$s last_factor_date"
done
[[ $(provider SPY) == 1 ]] || fail "SPY provider beta missing"

echo "== import-profiles: the wrong file is refused; absent columns keep their values"
names_before=$(q "SELECT string_agg(symbol || coalesce(company_name, '-') || coalesce(market_cap::text, '-'), ',' ORDER BY symbol) FROM company_profiles")
run 1 "$sigmactl" import-profiles "$src/samples/universe.csv" -d "$ci"
has "universe.csv:1: no profile column"
has "nothing was written"
[[ $(q "SELECT string_agg(symbol || coalesce(company_name, '-') || coalesce(market_cap::text, '-'), ',' ORDER BY symbol) FROM company_profiles") == "$names_before" ]] || fail "the wrong file changed profiles"
printf 'symbol\nS010\n' >"$work/symonly.csv"
run 1 "$sigmactl" import-profiles "$work/symonly.csv" -d "$ci"
has "no profile column"
name=$(q "SELECT company_name FROM company_profiles WHERE symbol = 'LEV6'")
printf 'symbol,beta\nLEV6,1.5\n' >"$work/betaonly.csv"
run 0 "$sigmactl" import-profiles "$work/betaonly.csv" -d "$ci"
[[ $(q "SELECT company_name || ' ' || beta || ' ' || (market_cap IS NOT NULL) FROM company_profiles WHERE symbol = 'LEV6'") == "$name 1.500000 true" ]] || fail "a column absent from the file was erased"
printf 'sector,symbol\nEnergy,FLAT\n' >"$work/sector.csv"
run 0 "$sigmactl" import-profiles "$work/sector.csv" -d "$ci"
[[ $(q "SELECT sector || ' ' || (company_name IS NOT NULL) || ' ' || (beta IS NOT NULL) FROM company_profiles WHERE symbol = 'FLAT'") == "Energy true true" ]] || fail "sector-only import"

echo "== import-profiles: values that do not fit company_profiles are rejected with file and line"
long=$(printf 'x%.0s' $(seq 256))
badprof() { # ROW EXPECTED
  printf 'symbol,company_name,market_cap,pe_ratio,beta\nS012,Good,1,1,1\n%s\n' "$1" >"$work/bp.csv"
  run 1 "$sigmactl" import-profiles "$work/bp.csv" -d "$ci"
  has "bp.csv:3: $2"
  has "nothing was written"
}
badprof "S013,X,1e18,," "market_cap 1000000000000000000 does not fit company_profiles.market_cap NUMERIC(20,2)"
badprof "S013,X,,99999999.99995," "pe_ratio 99999999.99995 does not fit company_profiles.pe_ratio NUMERIC(12,4)"
badprof "S013,X,,,-1000000" "beta -1000000 does not fit company_profiles.beta NUMERIC(12,6)"
badprof "S013,$long,,," "company_name has 256 characters; company_profiles.company_name holds 255"
[[ $(q "SELECT count(*) FROM company_profiles WHERE symbol IN ('S012', 'S013')") == 0 ]] || fail "a rejected profiles file wrote rows"

echo "== import-profiles: a database-side error names the file, the line and the value"
q "ALTER TABLE company_profiles ALTER COLUMN sector TYPE varchar(12) USING left(sector, 12)"
printf 'symbol,sector\nS014,Energy\nS015,Information Technology\n' >"$work/narrow.csv"
run 1 "$sigmactl" import-profiles "$work/narrow.csv" -d "$ci"
has "narrow.csv:3: "
has "Information Technology"
has "nothing was written"
q "ALTER TABLE company_profiles ALTER COLUMN sector TYPE varchar(100)"
[[ $(q "SELECT sector FROM company_profiles WHERE symbol = 'S014'") != Energy ]] || fail "a failed import wrote rows"

echo "== import-prices: a close must fit NUMERIC(12,4) and stay > 0 once rounded"
badprice() { # CLOSE EXPECTED
  printf 'symbol,date,open,high,low,close,volume\nGOOD,2025-07-14,1,1,1,10.5,100\nBAD,2025-07-14,,,,%s,1\n' "$1" >"$work/bpx.csv"
  run 1 "$sigmactl" import-prices "$work/bpx.csv" -d "$ci"
  has "bpx.csv:3: $2"
}
badprice 99999999.99995 "close is too large: 99999999.99995 does not fit market_data_cache.close NUMERIC(12,4)"
badprice 123456789.5 "close is too large"
badprice 0.00004 "close must be positive: 0.00004 rounds to 0 at NUMERIC(12,4)"
badprice 0.000001 "close must be positive"
[[ $(q "SELECT count(*) FROM market_data_cache WHERE symbol IN ('GOOD', 'BAD')") == 0 ]] || fail "a rejected price file wrote rows"
echo "values: all checks passed"
