#!/bin/sh
# synth_test.sh - `sigmactl synth` (sigmactl/synth_cmd.c, common/synth.c) from
# the outside: the files it writes, that they are the same on every run, that
# `sigmactl factors` computes every factor row of a stock from them, and the
# command line's contract (exit 0 done, 1 I/O error as "% sigmactl: error:
# PATH: cause", 2 usage error with the usage on stderr; never a crash).
#
# usage: synth_test.sh SIGMACTL      (ctest: cli.synth)
set -u

BIN=$1
export LC_ALL=C
STEP=start
LABEL=synth
. "$(dirname "$0")/lib.sh"

usage_error() { # MESSAGE ARGS...
    msg=$1
    shift
    run synth "$@"
    expect_rc 2
    err_has "sigmactl synth: $msg"
    err_has "usage: sigmactl synth"
    out_empty
}

io_error() { # MESSAGE ARGS...
    msg=$1
    shift
    run synth "$@"
    expect_rc 1
    err_has "% sigmactl: error: $msg"
    out_empty
}

# ---- a universe: 50 stocks, 260 days, --end on a Sunday, DIR created with its parents ----
STEP=universe
U=$T/a/b/u
run synth --symbols 50 --days 260 --end 2025-07-13 --out "$U"
expect_rc 0
err_empty
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "summary is not one line"
out_has "wrote 59 files to $U"
out_has "58 symbols (8 ETFs, 50 stocks), 260 trading days 2024-06-27..2025-07-11, seed 42"

P=$U/prices.csv
[ "$(head -n 1 "$P")" = "symbol,date,open,high,low,close,volume" ] || fail "prices.csv header"
[ "$(wc -l <"$P")" -eq $((58 * 260 + 1)) ] || fail "prices.csv has $(wc -l <"$P") lines"
tail -n +2 "$P" | sort -t, -k1,1 -k2,2 -c || fail "prices.csv is not sorted by symbol, then date"
[ "$(tail -n +2 "$P" | cut -d, -f1,2 | sort -u | wc -l)" -eq $((58 * 260)) ] || fail "duplicate (symbol, date)"
SYMS=$(cut -d, -f1 "$P" | tail -n +2 | uniq | tr '\n' ' ')
[ "$SYMS" = "IWM MTUM QUAL $(seq -f 'S%04g' 1 50 | tr '\n' ' ')SPY TLT USMV VTV VUG " ] || fail "symbols: $SYMS"
# The same 260 dates for every symbol, the last the Friday before the Sunday.
[ "$(grep -c '^SPY,' "$P")" -eq 260 ] || fail "SPY has $(grep -c '^SPY,' "$P") rows"
[ "$(tail -n 1 "$P" | cut -d, -f2)" = 2025-07-11 ] || fail "the last date is $(tail -n 1 "$P" | cut -d, -f2)"
[ "$(cut -d, -f2 "$P" | tail -n +2 | sort -u | wc -l)" -eq 260 ] || fail "symbols on different dates"
# OHLC: four decimals, low <= open, close <= high, all > 0; volume a positive INTEGER.
tail -n +2 "$P" | awk -F, '
    function p(x) { return x ~ /^[0-9]+\.[0-9][0-9][0-9][0-9]$/ }
    !(NF == 7 && p($3) && p($4) && p($5) && p($6) && $7 ~ /^[1-9][0-9]*$/ && $7 + 0 < 2147483648 &&
      $5 + 0 > 0 && $5 + 0 <= $3 + 0 && $5 + 0 <= $6 + 0 && $4 + 0 >= $3 + 0 && $4 + 0 >= $6 + 0)' >"$T/bad"
[ ! -s "$T/bad" ] || fail "bad rows: $(head -n 3 "$T/bad")"

# Yahoo chart documents: one per symbol, one line each, the API's shape.
# shellcheck disable=SC2012 # our own names, [A-Z0-9]+.json; ls sorts them as LC_ALL=C says
[ "$(ls "$U/yahoo" | wc -l)" -eq 58 ] || fail "yahoo/ holds $(ls "$U/yahoo" | wc -l) files"
# shellcheck disable=SC2012
[ "$(ls "$U/yahoo" | sed 's/\.json$//' | tr '\n' ' ')" = "$SYMS" ] || fail "yahoo/ files do not match the symbols"
J=$U/yahoo/SPY.json
[ "$(wc -l <"$J")" -eq 1 ] || fail "SPY.json is not one line"
# 2024-06-27 09:30 EDT = 1719495000; 2025-07-11 16:00 EDT = 1752264000
grep -q '^{"chart":{"result":\[{"meta":{"currency":"USD","symbol":"SPY","exchangeName":"PCX","instrumentType":"ETF","firstTradeDate":1719495000,"regularMarketTime":1752264000,"gmtoffset":-14400,"timezone":"EDT","exchangeTimezoneName":"America/New_York","regularMarketPrice":[0-9.]*,"chartPreviousClose":520.0,"priceHint":2,"dataGranularity":"1d","range":"","validRanges":\["1d","5d","1mo","3mo","6mo","1y","2y","5y","10y","ytd","max"\]},"timestamp":\[1719495000,' "$J" ||
    fail "SPY.json meta: $(head -c 700 "$J")"
grep -q '"instrumentType":"EQUITY"' "$U/yahoo/S0001.json" || fail "S0001 is not an EQUITY"
grep -q '\]}\],"adjclose":\[{"adjclose":\[.*\]}\]}}\],"error":null}}$' "$J" || fail "SPY.json tail"
last_close=$(tail -n 1 "$P" | cut -d, -f6) # VUG's last close, in the JSON without trailing zeros
json_close=$(sed 's/.*"regularMarketPrice":\([0-9.]*\),.*/\1/' "$U/yahoo/VUG.json")
awk -v a="$last_close" -v b="$json_close" 'BEGIN { exit !(a + 0 == b + 0) }' ||
    fail "VUG regularMarketPrice $json_close, last close $last_close"
if command -v python3 >/dev/null 2>&1; then # a real JSON parser, where there is one
    python3 - "$U/yahoo" <<'EOF' || fail "yahoo/*.json do not parse as chart documents"
import json, os, sys
d = sys.argv[1]
for name in os.listdir(d):
    r = json.load(open(os.path.join(d, name)))["chart"]["result"][0]
    q = r["indicators"]["quote"][0]
    n = len(r["timestamp"])
    assert n == 260 and all(len(q[k]) == n for k in ("open", "high", "low", "close", "volume")), name
    assert r["indicators"]["adjclose"][0]["adjclose"] == q["close"], name
    assert r["meta"]["symbol"] + ".json" == name and r["meta"]["firstTradeDate"] == r["timestamp"][0], name
EOF
fi

# ---- determinism: the same arguments, the same bytes; another seed, another market ------
STEP=determinism
run synth --symbols 50 --days 260 --end 2025-07-13 --out "$T/again"
expect_rc 0
diff -r "$U" "$T/again" >/dev/null || fail "a second run differs"
run synth --symbols 50 --days 260 --end 2025-07-13 --out "$T/seed7" --seed 7
expect_rc 0
out_has "seed 7"
! cmp -s "$P" "$T/seed7/prices.csv" || fail "--seed 7 gives seed 42's prices"
run synth --symbols 50 --days 260 --end 2025-07-13 --out "$U" # over the old files
expect_rc 0
diff -r "$U" "$T/again" >/dev/null || fail "rewriting into the same directory differs"

# ---- the engine reads it: every stock gets its 12 rows (6 ridge, 4 spread, market, IR) --
STEP=factors
run factors "$P" --date 2025-07-11
expect_rc 0
[ "$(grep -c '^S0001,' "$T/out")" -eq 12 ] || fail "S0001 has $(grep -c '^S0001,' "$T/out") factor rows"
for m in ridge_regression spread_regression ols_market ols_ir; do
    grep -q "^S0001,.*,$m\$" "$T/out" || fail "S0001 has no $m row"
done
[ "$(grep -c '^S0' "$T/out")" -eq $((50 * 12)) ] || fail "$(grep -c '^S0' "$T/out") stock rows, expected 600"

# ---- edges --------------------------------------------------------------------------------
STEP=edges
run synth --symbols 0 --days 2 --end 2025-07-15 --out "$T/tiny" --seed 18446744073709551615
expect_rc 0
out_has "8 symbols (8 ETFs, 0 stocks), 2 trading days 2025-07-14..2025-07-15"
[ "$(wc -l <"$T/tiny/prices.csv")" -eq 17 ] || fail "tiny prices.csv"
run synth --symbols 3 --days 5 --end 2025-01-10 --out "$T/winter" # EST; Jan 9 2025 closed (Carter)
expect_rc 0
out_has "5 trading days 2025-01-03..2025-01-10"
grep -q '"gmtoffset":-18000,"timezone":"EST"' "$T/winter/yahoo/SPY.json" || fail "winter meta"
grep -q '"timestamp":\[1735914600,1736173800,1736260200,1736346600,1736519400\]' "$T/winter/yahoo/SPY.json" ||
    fail "winter timestamps: $(grep -o '"timestamp":[^]]*' "$T/winter/yahoo/SPY.json")"

# ---- usage: exit 2, the usage on stderr ---------------------------------------------------
STEP=usage
run synth --help
expect_rc 0
out_has "usage: sigmactl synth --symbols N --days N --end YYYY-MM-DD --out DIR [--seed S]"
err_empty
run --help
out_has "synth --end D --out DIR"
usage_error "--symbols is required"
usage_error "--symbols is required" --days 10 --end 2025-07-15 --out "$T/x"
usage_error "--days is required" --symbols 10 --end 2025-07-15 --out "$T/x"
usage_error "--end is required" --symbols 1 --days 10 --out "$T/x"
usage_error "--out is required" --symbols 1 --days 10 --end 2025-07-15
usage_error "--out: empty directory name" --symbols 1 --days 10 --end 2025-07-15 --out ""
for n in -1 100001 abc 1x "" " 5" +5 0x10 99999999999999999999; do
    usage_error "--symbols: '$n' is not a whole number in 0..100000" --symbols "$n" --days 10 --end 2025-07-15 --out "$T/x"
done
for n in 0 1 5001 -3 2.5 ""; do
    usage_error "--days: '$n' is not a whole number in 2..5000" --symbols 1 --days "$n" --end 2025-07-15 --out "$T/x"
done
for d in 2025-02-30 2025-13-01 20250715 yesterday ""; do
    usage_error "--end: '$d' is not a date (expected YYYY-MM-DD)" --symbols 1 --days 10 --end "$d" --out "$T/x"
done
usage_error "--end: the trading days would start before the year 1" --symbols 1 --days 5000 --end 0010-01-01 --out "$T/x"
for s in -1 18446744073709551616 seed; do
    usage_error "--seed: '$s' is not a whole number" --symbols 1 --days 10 --end 2025-07-15 --out "$T/x" --seed "$s"
done
usage_error "unknown option '--bogus'" --symbols 1 --days 10 --end 2025-07-15 --out "$T/x" --bogus
usage_error "option '--days' needs a value" --symbols 1 --days
usage_error "unexpected argument 'extra'" --symbols 1 --days 10 --end 2025-07-15 --out "$T/x" extra
[ ! -e "$T/x" ] || fail "a usage error created the output directory"

# ---- I/O errors: exit 1, "% sigmactl: error: PATH: cause" ----------------------------------
STEP=io
: >"$T/file"
io_error "$T/file: Not a directory" --symbols 1 --days 10 --end 2025-07-15 --out "$T/file"
io_error "$T/file/sub: Not a directory" --symbols 1 --days 10 --end 2025-07-15 --out "$T/file/sub"
mkdir -p "$T/y1" "$T/y2/prices.csv" && : >"$T/y1/yahoo"
io_error "$T/y1/yahoo: Not a directory" --symbols 1 --days 10 --end 2025-07-15 --out "$T/y1"
io_error "$T/y2/prices.csv: Is a directory" --symbols 1 --days 10 --end 2025-07-15 --out "$T/y2"
mkdir -p "$T/y3/yahoo/SPY.json"
io_error "$T/y3/yahoo/SPY.json: Is a directory" --symbols 1 --days 10 --end 2025-07-15 --out "$T/y3"
if [ -w /dev/full ]; then # a full disk, seen when the buffered data is flushed
    mkdir -p "$T/y4/yahoo" && ln -s /dev/full "$T/y4/prices.csv"
    io_error "$T/y4/prices.csv: No space left on device" --symbols 1 --days 10 --end 2025-07-15 --out "$T/y4"
fi

# ---- speed: 1,000 stocks x 260 days (prints the time; fails only if absurdly slow) -------
STEP=speed
t0=$(date +%s%N)
run synth --symbols 1000 --days 260 --end 2025-07-15 --out "$T/big"
t1=$(date +%s%N)
expect_rc 0
ms=$(((t1 - t0) / 1000000))
echo "synth: 1008 symbols x 260 days in $ms ms"
[ "$ms" -lt 20000 ] || fail "took $ms ms"

echo "synth: all checks passed"
exit 0
