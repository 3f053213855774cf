#!/usr/bin/env bash
# Database -> engine -> database against a throwaway PostgreSQL 15: import the
# sample universe and profiles, compute, and the stored rows printed by
# `psql --csv` are text-identical to `oracle.py --db-round --full`; a second
# run changes no row; bad imports are rejected with line and reason and write
# nothing.
#   compute_test.sh SIGMACTL SOURCE_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh" "$1" "$2"
"$sigmactl" migrate up -d "$ci" >/dev/null

stored_factors() { # DATE
  psql "$ci" -X --csv -c "SELECT e.symbol, f.name AS factor_name, e.beta_value AS beta, e.r_squared,
    e.observations, e.calculation_method, e.quality_flag, e.regularization_alpha, e.regression_window_days
    FROM symbol_factor_exposures e JOIN factor_definitions f ON f.id = e.factor_id
    WHERE e.calculation_date = '$1' ORDER BY e.symbol COLLATE \"C\", f.name COLLATE \"C\""
}
fingerprint() { # every row's identity and version: unchanged rows keep their xmin
  q "SELECT (SELECT string_agg(id::text || xmin::text, ',' ORDER BY id) FROM symbol_factor_exposures)
      || (SELECT string_agg(symbol || xmin::text, ',' ORDER BY symbol) FROM symbol_daily_metrics)
      || (SELECT string_agg(symbol || xmin::text, ',' ORDER BY symbol) FROM symbol_universe)" | md5sum
}

echo "== import the sample universe and profiles"
"$sigmactl" import-prices "$src/samples/universe.csv" -d "$ci"
"$sigmactl" import-profiles "$src/samples/profiles.csv" -d "$ci"
[[ $(q "SELECT count(*) FROM market_data_cache") == $(($(wc -l <"$src/samples/universe.csv") - 1)) ]] || fail "row count"
[[ $(q "SELECT count(*) FROM symbol_universe WHERE added_source = 'admin'") == 54 ]] || fail "symbols registered"
[[ $(q "SELECT last_price_date FROM symbol_universe WHERE symbol = 'DLST'") == 2025-06-06 ]] || fail "last_price_date of DLST"

for pipeline in v2 v1; do
  echo "== compute ($pipeline) and compare with the oracle"
  q "DELETE FROM symbol_factor_exposures"
  "$sigmactl" compute --date 2025-07-15 --pipeline $pipeline -d "$ci"
  stored_factors 2025-07-15 >"$work/stored.csv"
  diff "$src/tests/store/expected/samples-2025-07-15-$pipeline.csv" "$work/stored.csv" || fail "stored rows differ from the oracle ($pipeline)"
done
[[ $(q "SELECT count(*) FROM symbol_universe WHERE last_factor_date = '2025-07-15'") == 53 ]] || fail "last_factor_date"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE metrics_date = '2025-07-15'") == 57 ]] || fail "metrics rows"
[[ $(q "SELECT current_price || ' ' || return_1d || ' ' || data_quality_score FROM symbol_daily_metrics WHERE symbol = 'FLAT'") == "10.0000 0.000000 100.00" ]] || fail "FLAT metrics"

echo "== a second run leaves every row unchanged"
before=$(fingerprint)
"$sigmactl" compute --date 2025-07-15 --pipeline v1 -d "$ci" >/dev/null
[[ $(fingerprint) == "$before" ]] || fail "second run changed rows"
"$sigmactl" import-prices "$src/samples/universe.csv" -d "$ci" >/dev/null
[[ $(q "SELECT count(*) FROM market_data_cache WHERE updated_at > created_at") == 0 ]] || fail "re-import rewrote prices"

echo "== bad imports are rejected whole"
rows_before=$(q "SELECT count(*) FROM market_data_cache")
bad() { # NAME ROW EXPECTED-MESSAGE
  printf 'symbol,date,open,high,low,close,volume\nGOOD,2025-07-14,1,1,1,10.5,100\n%s\n' "$2" >"$work/$1.csv"
  if "$sigmactl" import-prices "$work/$1.csv" -d "$ci" 2>"$work/err"; then fail "$1 accepted"; fi
  grep -q "$work/$1.csv:3: $3" "$work/err" || { cat "$work/err"; fail "$1: message"; }
  grep -q "nothing was written" "$work/err" || fail "$1: says nothing was written"
}
bad long "ABCDEFGHIJKLMNOPQRSTU,2025-07-14,1,1,1,10,100" 'symbol "ABCDEFGHIJKLMNOPQRSTU" is 21 characters long; at most 20 fit'
bad chars "AB\$C,2025-07-14,1,1,1,10,100" "symbol \"AB\$C\": character '\$' at position 3 is not allowed"
bad lower "aapl,2025-07-14,1,1,1,10,100" "symbol \"aapl\": lower-case 'a' at position 1 is not allowed"
bad slash "A/B,2025-07-14,1,1,1,10,100" "symbol \"A/B\": character '/' at position 2 is not allowed"
bad zero "ZERO,2025-07-14,1,1,1,0,100" "close must be positive"
bad negative "NEG,2025-07-14,1,1,1,-3,100" "close must be positive"
bad nan "NAN,2025-07-14,1,1,1,NaN,100" "close is not a number"
bad inf "INF,2025-07-14,1,1,1,inf,100" "close is not a number"
bad huge "HUGE,2025-07-14,1,1,1,123456789,100" "close is too large"
bad badopen "BO,2025-07-14,-1,1,1,10,100" "open must be positive"
bad old "OLD,1899-12-31,1,1,1,10,100" "bad date '1899-12-31': date out of range"
bad future "FUT,2999-01-01,1,1,1,10,100" "bad date '2999-01-01': date out of range"
bad baddate "BD,2025-02-30,1,1,1,10,100" "bad date '2025-02-30': day is out of range for month"
bad volume "VOL,2025-07-14,1,1,1,10,99999999999" "volume does not fit"
[[ $(q "SELECT count(*) FROM market_data_cache") == "$rows_before" ]] || fail "a rejected file wrote rows"
[[ $(q "SELECT count(*) FROM symbol_universe WHERE symbol = 'GOOD'") == 0 ]] || fail "a rejected file registered symbols"

printf 'symbol,company_name,beta\nAAPL,Apple,x\n' >"$work/badprof.csv"
if "$sigmactl" import-profiles "$work/badprof.csv" -d "$ci" 2>"$work/err"; then fail "bad profile accepted"; fi
grep -q "badprof.csv:2: beta is not a finite number" "$work/err" || { cat "$work/err"; fail "profile message"; }
echo "== the symbol list of a run (FACTOR_SPEC §1.2 step 3)"
q "INSERT INTO users (id) VALUES ('00000000-0000-0000-0000-00000000000a')"
q "INSERT INTO portfolios (id, user_id, deleted_at) VALUES
   ('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-00000000000a', NULL),
   ('00000000-0000-0000-0000-0000000000a2', '00000000-0000-0000-0000-00000000000a', now())"
live=00000000-0000-0000-0000-0000000000a1
q "INSERT INTO positions (portfolio_id, symbol, investment_class, exit_date) VALUES
   ('$live', 'aapl', 'PUBLIC', NULL),                  -- upper-cased
   ('$live', 'MSFT', NULL, NULL),                      -- a NULL class counts as public
   ('$live', 'EXITED', 'PUBLIC', '2025-06-30'),        -- closed position
   ('$live', 'PRIVCLASS', 'PRIVATE', NULL),            -- not public
   ('00000000-0000-0000-0000-0000000000a2', 'GONE', 'PUBLIC', NULL),  -- deleted portfolio
   ('$live', 'PRIV_FUND', 'PUBLIC', NULL),             -- private symbol ('_')
   ('$live', 'EQ0123ABCD', 'PUBLIC', NULL),            -- private symbol (^EQ[A-F0-9]{8,}$)
   ('$live', 'AAPL240119C00150000', 'PUBLIC', NULL),   -- option expired before D
   ('$live', 'AAPL251219C00150000', 'PUBLIC', NULL),   -- option still open
   ('$live', 'S040', 'PUBLIC', NULL)                   -- inactive in symbol_universe"
q "UPDATE symbol_universe SET is_active = false WHERE symbol IN ('S040', 'UUP')"
q "DELETE FROM symbol_daily_metrics"
"$sigmactl" compute --date 2025-07-15 -d "$ci" >/dev/null
listed=$(q "SELECT string_agg(symbol, ' ' ORDER BY symbol COLLATE \"C\") FROM symbol_daily_metrics")
for s in AAPL MSFT AAPL251219C00150000 S001 SPY TLT GLD USO UUP; do
  [[ " $listed " == *" $s "* ]] || fail "$s missing from the symbol list"
done
for s in aapl EXITED PRIVCLASS GONE PRIV_FUND EQ0123ABCD AAPL240119C00150000 S040; do
  [[ " $listed " != *" $s "* ]] || fail "$s should not be in the symbol list"
done
[[ $(q "SELECT added_source || ' ' || is_active FROM symbol_universe WHERE symbol = 'AAPL'") == "batch true" ]] || fail "AAPL registered by the batch"
[[ $(q "SELECT is_active FROM symbol_universe WHERE symbol = 'UUP'") == f ]] || fail "UUP stays inactive (the five macro ETFs are listed anyway)"
echo "== invalid symbols in the database fail alone, with a reason (issue 8)"
# positions.symbol is VARCHAR(100): anything can be there. Before the fix the
# 21-character option failed the whole run with PostgreSQL's "value too long".
q "INSERT INTO positions (portfolio_id, symbol, investment_class, exit_date) VALUES
   ('$live', 'ABCDEF251219C00150000', 'PUBLIC', NULL),  -- an open option, 21 characters
   ('$live', 'A''B;DROP TABLE x', 'PUBLIC', NULL),
   ('$live', 'ÄPFEL', 'PUBLIC', NULL),
   ('$live', '../../etc/passwd', 'PUBLIC', NULL)"
metrics_before=$(q "SELECT count(*) FROM symbol_daily_metrics")
universe_before=$(q "SELECT count(*) FROM symbol_universe")
"$sigmactl" compute --date 2025-07-15 -d "$ci" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "compute with invalid symbols in positions"; }
for m in 'symbol "ABCDEF251219C00150000" is 21 characters long; at most 20 fit' \
         "symbol \"A'B;DROP TABLE X\": character ''' at position 2 is not allowed" \
         'symbol "ÄPFEL": non-ASCII character '"'Ä'"' at position 1 is not allowed' \
         'symbol "../../ETC/PASSWD": character '"'/'"' at position 3 is not allowed'; do
  grep -qF -- "$m" "$work/err" || { cat "$work/err"; fail "no reason: $m"; }
done
grep -qF "4 invalid symbols in the database not computed" "$work/out" || { cat "$work/out"; fail "summary of refused symbols"; }
[[ $(q "SELECT count(*) FROM symbol_daily_metrics") == "$metrics_before" ]] || fail "every valid symbol keeps its metrics row"
[[ $(q "SELECT count(*) FROM symbol_universe") == "$universe_before" ]] || fail "an invalid symbol was registered"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE symbol = 'MSFT' AND metrics_date = '2025-07-15'") == 1 ]] || fail "MSFT computed"

echo "== compute --symbols: an invalid name is a usage error; a name without prices is reported, not registered"
long=$(printf 'A%.0s' $(seq 300))
usage2() { # EXPECTED-MESSAGE ARG
  local rc=0
  "$sigmactl" compute --date 2025-07-15 --symbols "$2" -d "$ci" >"$work/out" 2>"$work/err" || rc=$?
  [[ $rc == 2 ]] || { cat "$work/err"; fail "--symbols '$2': exit $rc, expected 2"; }
  grep -qF -- "$1" "$work/err" || { cat "$work/err"; fail "--symbols '$2': message"; }
  grep -qF "usage: sigmactl compute" "$work/err" || fail "--symbols '$2': usage"
  if grep -q "character varying" "$work/err"; then fail "--symbols '$2': PostgreSQL's message"; fi
}
usage2 "--symbols: symbol \"A'B;DROP TABLE x\": character ''' at position 2 is not allowed (A-Z 0-9 . - _ ^ = only)" "A'B;DROP TABLE x"
usage2 "--symbols: symbol \"aapl\": lower-case 'a' at position 1 is not allowed" aapl
usage2 "--symbols: symbol \"ÄPFEL\": non-ASCII character 'Ä' at position 1" "ÄPFEL"
usage2 "--symbols: symbol \"AAAAAAAAAAAAAAAAAAAAAAAA...\" is 300 characters long; at most 20 fit" "$long"
usage2 "--symbols: the list is empty" ""
usage2 "--symbols: the list is empty" " , "
usage2 "--symbols: symbol \"S001/../X\": character '/' at position 5" "S001,S001/../X"
[[ $(q "SELECT count(*) FROM symbol_universe") == "$universe_before" ]] || fail "a usage error registered a symbol"
rc=0
"$sigmactl" compute --date 2025-07-15 --symbols NOSUCH,S001 -d "$ci" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/err"; fail "--symbols NOSUCH: exit $rc, expected 1"; }
grep -qF "NOSUCH: no stored prices from 2024-06-10 to 2025-07-15 (market_data_cache); not computed and not registered" "$work/err" || { cat "$work/err"; fail "NOSUCH: message"; }
grep -qF "computed 2025-07-15 (v2 pipeline): 1 symbols" "$work/out" || { cat "$work/out"; fail "S001 still computed"; }
[[ $(q "SELECT count(*) FROM symbol_universe WHERE symbol = 'NOSUCH'") == 0 ]] || fail "NOSUCH registered in symbol_universe"
[[ $(q "SELECT count(*) FROM symbol_daily_metrics WHERE symbol = 'NOSUCH'") == 0 ]] || fail "NOSUCH has a metrics row"
rc=0
"$sigmactl" compute --date 2025-07-15 --symbols NOSUCH -d "$ci" >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || fail "--symbols NOSUCH alone: exit $rc, expected 1"
grep -qF "none of the --symbols has stored prices; nothing was computed or registered" "$work/err" || { cat "$work/err"; fail "NOSUCH alone: message"; }

echo "== fetch --all: refused symbols are reported and never requested"
rc=0
"$sigmactl" fetch --all --date 2025-07-15 --provider yahoo -d "$ci" -X "provider.yahoo.url=file://$work/none/{symbol}.json" \
  >"$work/out" 2>"$work/err" || rc=$?
[[ $rc == 1 ]] || { cat "$work/err"; fail "fetch --all: exit $rc, expected 1 (refused symbols)"; }
grep -qF 'not fetched: symbol "ABCDEF251219C00150000" is 21 characters long' "$work/out" || { cat "$work/out"; fail "fetch --all: refused symbol not reported"; }
grep -vF "not fetched: symbol " "$work/out" >"$work/requested" || true
if grep -qE "NOSUCH|PASSWD|DROP|PFEL|ABCDEF" "$work/requested" "$work/err"; then cat "$work/out"; fail "fetch --all requested a symbol it must not"; fi
[[ $(grep -c "^not fetched: symbol " "$work/out") == 4 ]] || fail "fetch --all: four refused symbols"
echo "compute: all checks passed"
