#!/bin/sh
# regen.sh - regenerates every input (data/) and expected output (expected/)
# of the golden suite from the Python reference: make_prices.py writes the
# price universes, edit_prices.py derives the edge-case files from one of
# them, and oracle.py computes the expected output of every case listed in
# cases.txt. Deterministic: the same reference gives the same bytes.
#
#   tests/golden/regen.sh            (needs /usr/bin/python3 with pandas,
#                                     scikit-learn and statsmodels)
#
# The reference is $SIGMA_REFERENCE, by default ../shared/reference next to
# the repository root. PYTHON overrides the interpreter. The tests themselves
# (run.sh) never need Python.
#
# Inputs written to data/:
#   u1.csv  make_prices --symbols 12 --days 280 --end 2025-07-15 --seed 11
#           (the generator's own format: symbol,date,open,high,low,close,volume)
#   u2.csv  make_prices --symbols 20 --days 300 --end 2024-11-29 --seed 2024
#           (the day after Thanksgiving), reduced to symbol,date,close
#   u3.csv  make_prices --symbols 26 --days 260 --end 2025-01-02 --seed 777
#           (the day after New Year), reduced to symbol,date,close
#   Each holds the 8 ETFs, the S stocks and every special of make_prices.py
#   (IPO45, IPO20, FLAT, DLST, GAPPY and every 7th S stock gapped 15 sessions
#   back, LEV6, the USMV gap 40 sessions back).
#   e_*.csv edge cases, all edits of the edge base
#           make_prices --symbols 5 --days 220 --end 2025-03-14 --seed 5
#           reduced to symbol,date,close (the base itself is not kept):
#     e_no_usmv     USMV dropped: ridge runs with k = 5
#     e_no_spy      SPY dropped: no market rows, no spread rows
#     e_no_tlt      TLT dropped: no IR rows
#     e_const       USMV and SPY at a constant close
#     e_dirty       S001 close 0 on one day, S002 close 0 on two consecutive
#                   days, S003 rows on a Saturday and a Sunday, S004 a row on
#                   Presidents' Day, SPY a Saturday row, S005 close 0 on the
#                   calculation date (the db/onboarding path keeps all of
#                   them, the cache path drops them)
#     e_dups        duplicate (symbol,date) rows (appended at the end, adjacent
#                   after, adjacent before: the last row wins), one of them in
#                   SPY; S003 renamed to lower-case s003
#     e_no_spread6  VUG VTV MTUM SPY IWM QUAL all dropped (the departure)
#   profiles.csv  company_profiles: quoted commas and quotes, zero market cap
#                 and P/E, empty and zero beta (no provider row), negative
#                 beta, values that round half up, tiny negatives that round
#                 to -0.000000 / -0.00 (as the oracle prints them), repr in
#                 exponent form, a duplicate symbol (last wins), a symbol
#                 with no prices.
#
# The departure case (KIND "depart" in cases.txt). With all six spread ETFs
# missing, fetch_spread_returns raises ValueError and the app, so the
# oracle, stops the universe run: no spread, market, IR or provider rows
# (FACTOR_SPEC §1.3, §13). sigmabatch deliberately goes on and skips only
# the spread step (common/factors.h). Market beta still has no rows (SPY is
# one of the six), but IR beta depends only on the symbol and TLT, and
# provider beta only on the profiles. So the expected output is
#   the oracle's rows on e_no_spread6.csv
#   + the ols_ir and provider rows of an oracle run, with the same
#     arguments, on the edge base (the same file with the six ETFs put back),
#     for the symbols of e_no_spread6.csv,
# merged and sorted by (symbol, factor_name) in byte order, as the oracle
# sorts.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SIGMA_REFERENCE:-}" ]; then
    TOP=$(git -C "$HERE" rev-parse --show-toplevel)
    SIGMA_REFERENCE=$TOP/../shared/reference
fi
REF=$(cd "$SIGMA_REFERENCE" && pwd)
PY=${PYTHON:-/usr/bin/python3}
for f in make_prices.py oracle.py; do
    [ -f "$REF/$f" ] || { echo "regen.sh: $REF/$f not found (set SIGMA_REFERENCE)" >&2; exit 1; }
done
"$PY" -c 'import pandas, sklearn, statsmodels' || {
    echo "regen.sh: $PY lacks pandas/scikit-learn/statsmodels" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/golden-regen.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir "$WORK/data" "$WORK/expected"
D=$WORK/data
export PYTHONDONTWRITEBYTECODE=1
gen() { "$PY" "$REF/make_prices.py" "$@"; }
edit() { "$PY" "$HERE/edit_prices.py" "$@"; }

echo "regen.sh: reference $REF"
echo "regen.sh: universes"
gen --symbols 12 --days 280 --end 2025-07-15 --seed 11 --out "$D/u1.csv"
gen --symbols 20 --days 300 --end 2024-11-29 --seed 2024 --out "$WORK/u2.full.csv"
edit "$WORK/u2.full.csv" "$D/u2.csv" strip
gen --symbols 26 --days 260 --end 2025-01-02 --seed 777 --out "$WORK/u3.full.csv"
edit "$WORK/u3.full.csv" "$D/u3.csv" strip

echo "regen.sh: edge cases"
gen --symbols 5 --days 220 --end 2025-03-14 --seed 5 --out "$WORK/e_base.full.csv"
B=$WORK/e_base.csv
edit "$WORK/e_base.full.csv" "$B" strip
edit "$B" "$D/e_no_usmv.csv" drop=USMV
edit "$B" "$D/e_no_spy.csv" drop=SPY
edit "$B" "$D/e_no_tlt.csv" drop=TLT
edit "$B" "$D/e_const.csv" const=USMV:86.0000 const=SPY:520.0000
edit "$B" "$D/e_dirty.csv" \
    set=S001@2025-02-20:0.0000 \
    set=S002@2025-02-24:0 set=S002@2025-02-25:0.0 \
    add=S003@2025-03-01:101.5000 add=S003@2025-03-02:99.2500 \
    add=S004@2025-02-17:55.5500 \
    add=SPY@2025-03-08:600.0000 \
    set=S005@2025-03-14:0.0000
edit "$B" "$D/e_dups.csv" \
    dup=S001@2025-03-05:350.0000 \
    dupnear=S002@2025-03-10:77.7777 \
    dupbefore=S004@2025-02-03:1.0000 \
    dup=SPY@2025-02-28:500.0000 \
    rename=S003:s003
edit "$B" "$D/e_no_spread6.csv" drop=VUG,VTV,MTUM,SPY,IWM,QUAL

cat > "$D/profiles.csv" <<'EOF'
symbol,company_name,sector,industry,market_cap,pe_ratio,beta
S001,"Acme, Inc.",Technology,"Software, Application",2500000000.5,23.45675,1.2345675
S002,"The ""Best"" Co",Health Care,Biotechnology,0,0,-0.85
S003,Plain Corp,Energy,Oil & Gas,123456789.125,-12.5,
S004,Zero Beta Ltd,,,,15,0
S005,"Quote""Only",Financials,"Banks, Regional",7.5e9,8.123456789,0.9999995
S006,First Six,Industrials,Machinery,1000,10,0.5
S006,Second Six,Industrials,Machinery,2000,20,0.75
S007,,,,,,1.1
S008,Tiny Cap,Materials,Chemicals,0.005,0.00001,1e-07
S009,Huge Cap,Technology,Semiconductors,1e16,123.456789,-1.0000005
S010,Negative Zero,,,-0.001,-0.00001,-0.0000004
S011,Eleven,Utilities,Water,55555555.555,-0.00005,3
S012,Negative Half,,,-0.005,-0.00005,-0.0000005
S014,Fourteen,Real Estate,REIT,999.995,99.99995,-2.5
SPY,"SPDR S&P 500 ETF Trust",ETF,,5.1e11,,1.0
TLT,iShares 20+ Year Treasury Bond ETF,ETF,Bonds,,,-0.25
FLAT,Flat Line,Utilities,Water,1000,10,0.0000001
LEV6,"Leveraged, 6x",,,,,6.5
DLST,Gone Inc,Retail,Stores,50000000,,1.1
IPO45,New Co,Technology,,,,2
GHOST,No Prices Inc,,,1,1,1.5
EOF

# oracle_args COMMAND ARGS...: sigmactl's arguments as oracle.py's
oracle_args() {
    cmd=$1
    shift
    mode_app=0 full=0 out=
    while [ $# -gt 0 ]; do
        case $1 in
        --mode) mode_app=1; shift ;;   # "app": the only mode the oracle has
        --full) full=1 ;;
        *) out="$out $1" ;;
        esac
        shift
    done
    if [ "$cmd" = metrics ]; then
        [ $mode_app = 1 ] || { echo "regen.sh: metrics cases must use --mode app" >&2; exit 1; }
        if [ $full = 1 ]; then out="$out --metrics-full"; else out="$out --metrics"; fi
    elif [ $full = 1 ]; then
        out="$out --full"
    fi
    echo "$out"
}

oracle() { "$PY" "$REF/oracle.py" "$@"; }

echo "regen.sh: expected outputs"
n=0
grep -v '^[[:space:]]*#' "$HERE/cases.txt" | grep -v '^[[:space:]]*$' > "$WORK/cases"
while read -r name kind prices cmd args; do
    # shellcheck disable=SC2086 # args are blank-separated on purpose
    oargs=$(oracle_args "$cmd" $args)
    exp=$WORK/expected/$name.csv
    (
        cd "$D"
        case $kind in
        oracle)
            # shellcheck disable=SC2086
            oracle "$prices" $oargs < /dev/null > "$exp"
            ;;
        depart)
            # shellcheck disable=SC2086
            oracle "$prices" $oargs < /dev/null > "$WORK/depart.own.csv"
            # shellcheck disable=SC2086
            oracle "$B" $oargs < /dev/null > "$WORK/depart.base.csv"
            "$PY" - "$prices" "$WORK/depart.own.csv" "$WORK/depart.base.csv" > "$exp" <<'EOF'
import csv, sys
prices, own, base = sys.argv[1:]
with open(prices) as f:
    syms = {r["symbol"] for r in csv.DictReader(f)}
own_lines = open(own).read().splitlines()
header, rows = own_lines[0], own_lines[1:]
# the oracle stopped at the spread step: ridge rows only
assert all(l.split(",")[5] == "ridge_regression" for l in rows), "oracle did not stop"
for line in open(base).read().splitlines()[1:]:
    sym, factor, _, _, _, method = line.split(",")[:6]
    if sym in syms and method in ("ols_ir", "provider"):
        rows.append(line)
# the oracle sorts by (symbol, factor_name); neither contains a comma
rows.sort(key=lambda l: tuple(l.split(",")[:2]))
sys.stdout.write("\n".join([header] + rows) + "\n")
EOF
            ;;
        *)
            echo "regen.sh: $name: unknown kind $kind" >&2
            exit 1
            ;;
        esac
    )
    n=$((n + 1))
done < "$WORK/cases"

rm -rf "$HERE/data" "$HERE/expected"
mv "$WORK/data" "$WORK/expected" "$HERE/"
echo "regen.sh: $n cases; $(du -sk "$HERE/data" | cut -f1) KB of inputs, $(du -sk "$HERE/expected" | cut -f1) KB of expected outputs"
