#!/bin/sh
# cli_test.sh - the command line's contract (sigmactl/main.c, compute_cmd.c):
#   exit 0 done, 1 failed (bad input, I/O) with "file:line: reason" on stderr,
#   2 usage error with the usage on stderr; never a crash (exit >= 128).
#
# usage: cli_test.sh SIGMACTL SOURCE_DIR CASE
# Each CASE is one ctest test (cli.CASE, see CMakeLists.txt). Inputs are
# generated into a private temp dir, removed on exit; nothing big is committed.
# Expected factor/metric lines were printed by oracle.py on samples/universe.csv
# (FACTOR_SPEC §15), with --db-round, where sigmactl matches it byte for byte.
set -u

BIN=$1
SRC=$2
CASE=$3
U=$SRC/samples/universe.csv
PROF=$SRC/samples/profiles.csv
D=2025-07-15

LABEL=$CASE
. "$(dirname "$0")/lib.sh"

# usage_error ARGS...: exit 2, the usage on stderr, nothing on stdout.
usage_error() {
    run "$@"
    expect_rc 2
    err_has "usage: sigmactl"
    out_empty
}

# input_error FILE-MESSAGE ARGS...: exit 1, "% sigmactl: error: <message>" on stderr, nothing on stdout.
input_error() {
    msg=$1
    shift
    run "$@"
    expect_rc 1
    err_has "% sigmactl: error: $msg"
    out_empty
}

HDR="symbol,date,open,high,low,close,volume"

# make_base: $T/base.csv, the header, the eight factor ETFs and S001 of the sample
# universe (a small file on which S001 gets all its factor rows).
make_base() {
    grep -E "^($HDR|S001,|SPY,|VTV,|VUG,|MTUM,|QUAL,|IWM,|USMV,|TLT,)" "$U" >"$T/base.csv"
}

case "$CASE" in

# ---- usage of the database and provider commands (no database is reached) ----------
usage.db_commands)
    usage_error compute
    err_has "--date is required"
    usage_error compute --date 2025-13-01
    usage_error compute --date 2025-07-15 --pipeline v9
    usage_error compute --date 2025-07-15 --metrics-mode sometimes
    usage_error compute --date 2025-07-15 extra
    usage_error import-prices
    usage_error import-prices a.csv b.csv
    usage_error import-profiles --date 2025-07-15 p.csv
    usage_error migrate
    usage_error migrate sideways
    usage_error migrate up --all
    usage_error migrate down --steps 0
    usage_error migrate down --steps 2 --all
    ;;
usage.fetch)
    usage_error fetch
    err_has "expected at least one SYMBOL"
    usage_error fetch AAPL --provider bing
    usage_error fetch AAPL --date 2025-02-30
    usage_error fetch aapl --csv "$T/x.csv"
    err_has "symbol \"aapl\": lower-case 'a' at position 1 is not allowed"
    usage_error fetch AAPL -X nosuch.setting=1
    err_has "unknown setting"
    usage_error fetch AAPL -X provider.order=yahoo,bing
    usage_error fetch AAPL --all
    usage_error fetch --all --csv "$T/x.csv"
    usage_error fetch AAPL --csv "$T/x.csv" -d "host=/nonexistent"
    run fetch -X list
    expect_rc 0
    out_has "provider.yahoo.url="
    out_has "http.retries="
    run fetch --help
    expect_rc 0
    out_has "usage: sigmactl fetch"
    ;;

# ---- usage ------------------------------------------------------------------------
usage.no_command)
    usage_error
    err_has "commands:"
    ;;
usage.unknown_command)
    usage_error frobnicate
    err_has "sigmactl: unknown command 'frobnicate'"
    usage_error --bogus
    ;;
usage.help)
    for h in --help -h help; do
        run $h
        expect_rc 0
        out_has "usage: sigmactl COMMAND"
        err_empty
    done
    run factors --help
    expect_rc 0
    out_has "usage: sigmactl factors PRICES.csv --date YYYY-MM-DD"
    err_empty
    run metrics --help
    expect_rc 0
    out_has "usage: sigmactl metrics PRICES.csv --date YYYY-MM-DD"
    err_empty
    # shellcheck disable=SC3043 # the subcommand, not the shell keyword
    run local --help
    expect_rc 0
    out_has "usage: sigmactl local"
    ;;
usage.unknown_option)
    usage_error factors "$U" --date $D --bogus
    err_has "sigmactl factors: unknown option '--bogus'"
    usage_error metrics "$U" --date $D -x
    err_has "sigmactl metrics: unknown option"
    usage_error factors "$U" --date $D --mode app # a metrics option
    err_has "--mode is an option of 'sigmactl metrics'"
    usage_error local --bogus
    ;;
usage.missing_date)
    usage_error factors "$U"
    err_has "--date is required"
    usage_error metrics "$U" --mode app
    err_has "--date is required"
    usage_error factors "$U" --date # no value
    err_has "needs a value"
    ;;
usage.bad_date)
    for d in 2025-13-01 2025-02-30 2023-02-29 2025-7-15 20250715 yesterday "" "2025-07-15 "; do
        usage_error factors "$U" --date "$d"
        err_has "--date: '$d' is not a date"
    done
    usage_error metrics "$U" --date 2025-00-10
    usage_error local --date 2025-13-01
    ;;
usage.bad_pipeline)
    for p in v3 V2 "" onboard; do
        usage_error factors "$U" --date $D --pipeline "$p"
        err_has "--pipeline: '$p' is not one of v2, v1, onboarding"
    done
    ;;
usage.bad_mode)
    for m in foo APP ""; do
        usage_error metrics "$U" --date $D --mode "$m"
        err_has "--mode: '$m' is not one of trading, app"
    done
    ;;
usage.bad_alpha)
    for a in abc -1 inf nan 1x ""; do
        usage_error factors "$U" --date $D --alpha "$a"
        err_has "--alpha: '$a' is not a finite number >= 0"
    done
    ;;
usage.file_arguments)
    usage_error factors --date $D
    err_has "expected one PRICES.csv argument"
    usage_error factors "$U" "$U" --date $D
    err_has "expected exactly one PRICES.csv argument"
    usage_error local extra-argument
    ;;

# ---- bad input files: exit 1, "file:line: reason" ---------------------------------------
input.missing_file)
    input_error "$T/nope.csv: cannot open: No such file or directory" factors "$T/nope.csv" --date $D
    input_error "$T/nope.csv: cannot open: No such file or directory" metrics "$T/nope.csv" --date $D
    ;;
input.empty_file)
    : >"$T/empty.csv"
    input_error "$T/empty.csv: empty file: expected a header line" factors "$T/empty.csv" --date $D
    printf '\n\r\n\n' >"$T/blank.csv"
    input_error "$T/blank.csv: empty file" factors "$T/blank.csv" --date $D
    ;;
input.missing_column)
    printf 'symbol,date,open\nA,2025-07-15,1\n' >"$T/f.csv"
    input_error "$T/f.csv:1: header lacks column 'close'" factors "$T/f.csv" --date $D
    printf '\nsymbol,close\n' >"$T/g.csv" # the header is on line 2
    input_error "$T/g.csv:2: header lacks column 'date'" metrics "$T/g.csv" --date $D
    ;;
input.bad_date)
    # line 1 header, line 2 a row, line 3 blank, lines 4-5 a quoted two-line
    # volume, line 6 the bad date
    printf '%s\nA,2025-07-14,1,1,1,1,1\n\nB,2025-07-14,1,1,1,1,"1\n1"\nA,2025-02-30,1,1,1,1,1\n' "$HDR" >"$T/f.csv"
    input_error "$T/f.csv:6: bad date '2025-02-30': day is out of range for month" factors "$T/f.csv" --date $D
    printf '%s\r\nA,2025-07-14,1,1,1,1,1\r\nA,07/15/2025,1,1,1,1,1\r\n' "$HDR" >"$T/g.csv"
    input_error "$T/g.csv:3: bad date '07/15/2025': expected YYYY-MM-DD" factors "$T/g.csv" --date $D
    ;;
input.bad_close)
    printf '%s\nA,2025-07-14,1,1,1,10.5,1\nA,2025-07-15,1,1,1,abc,1\n' "$HDR" >"$T/f.csv"
    input_error "$T/f.csv:3: bad close 'abc' for A: close is not a number" factors "$T/f.csv" --date $D
    for c in NaN inf -Infinity 1,5 "1.2.3"; do
        printf '%s\nA,2025-07-15,1,1,1,"%s",1\n' "$HDR" "$c" >"$T/g.csv"
        input_error "$T/g.csv:2: bad close '$c' for A: close is not a number" factors "$T/g.csv" --date $D
    done
    ;;
input.negative_close)
    printf '%s\nA,2025-07-14,1,1,1,10.5,1\n\nZZ,2025-07-15,1,1,1,-0.01,1\n' "$HDR" >"$T/f.csv"
    input_error "$T/f.csv:4: bad close '-0.01' for ZZ: close is negative" metrics "$T/f.csv" --date $D
    ;;
input.too_many_fields)
    printf '%s\nA,2025-07-14,1,1,1,10.5,1,extra\n' "$HDR" >"$T/f.csv"
    input_error "$T/f.csv:2: 8 fields, but the header has 7" factors "$T/f.csv" --date $D
    ;;
input.unterminated_quote)
    printf '%s\nA,2025-07-14,1,1,1,10.5,1\nA,2025-07-15,1,1,1,"10.5,1\nB,2025-07-15,1,1,1,1,1\n' "$HDR" >"$T/f.csv"
    input_error "$T/f.csv:3: unterminated quoted field" factors "$T/f.csv" --date $D
    ;;
input.huge_line)
    # a 10 MB close field: refused, and the message quotes only its start
    { printf 'symbol,date,close\nA,2025-07-15,'; head -c 10000000 /dev/zero | tr '\0' '7'; printf '\n'; } >"$T/huge.csv"
    input_error "$T/huge.csv:2: bad close '7777777777777777777777777777777777777777...' for A: close is not a number" \
        factors "$T/huge.csv" --date $D
    [ "$(wc -c <"$T/err")" -lt 1000 ] || fail "the error message is $(wc -c <"$T/err") bytes"
    # a 10 MB field in a column nobody reads is fine
    make_base
    {
        cat "$T/base.csv"
        printf 'S001,2025-07-16,'
        head -c 10000000 /dev/zero | tr '\0' '1'
        printf ',1,1,204.5,1\n'
    } >"$T/wide.csv"
    run factors "$T/wide.csv" --date $D --db-round --symbols S001
    expect_rc 0
    out_has "S001,Value,0.803218,0.1853,81,ridge_regression"
    ;;
input.not_a_file)
    input_error "$T: cannot read: Is a directory" factors "$T" --date $D
    # bytes 1..255 with no header names: refused, not a crash
    awk 'BEGIN { for (i = 1; i < 256; i++) printf "%c", i; printf "\n"; for (i = 255; i > 0; i--) printf "%c", i }' \
        >"$T/bin.csv"
    run factors "$T/bin.csv" --date $D
    expect_rc 1
    err_has "$T/bin.csv"
    ;;
input.bad_profiles)
    printf 'symbol,beta\nS001,1\nS002,abc\n' >"$T/p.csv"
    run factors "$U" --date $D --symbols S001 --profiles "$T/p.csv"
    expect_rc 1
    err_has "% sigmactl: error: $T/p.csv:3: beta"
    err_has "is not a finite number"
    out_empty
    input_error "$T/none.csv: cannot open" factors "$U" --date $D --profiles "$T/none.csv"
    printf 'name,beta\nS001,1\n' >"$T/q.csv"
    input_error "$T/q.csv:1: header lacks column 'symbol'" metrics "$U" --date $D --profiles "$T/q.csv"
    ;;

# ---- rows the app cannot store, duplicates, order --------------------------------------
input.empty_close)
    # 7 rows with an empty close: each skipped with a warning (the first five
    # shown, then the count), exit 0, and the output is as without them
    make_base
    head -1 "$T/base.csv" >"$T/gaps.csv"
    sed -n '2,101p' "$T/base.csv" >>"$T/gaps.csv"
    for i in 1 2 3 4 5 6 7; do printf 'S001,2025-01-0%s,1,1,1,,1\n' "$i" >>"$T/gaps.csv"; done
    sed -n '102,$p' "$T/base.csv" >>"$T/gaps.csv"
    run metrics "$T/base.csv" --date $D --mode app --full
    expect_rc 0
    cp "$T/out" "$T/want"
    run metrics "$T/gaps.csv" --date $D --mode app --full
    expect_rc 0
    cmp -s "$T/out" "$T/want" || fail "output changed by rows that were skipped"
    err_has "% sigmactl: warning: $T/gaps.csv:102: empty close; row skipped (the app cannot store it)"
    err_has "% sigmactl: warning: $T/gaps.csv:106: empty close; row skipped"
    grep -qF "$T/gaps.csv:107:" "$T/err" && fail "more than five row warnings"
    err_has "% sigmactl: warning: $T/gaps.csv: 7 rows skipped in all (empty symbol or close)"
    [ "$(grep -c warning "$T/err")" -eq 6 ] || fail "expected 6 warning lines"
    ;;
input.duplicate_last_wins)
    # S001 closes 204.6912 on 2025-07-15 (207.0528 the day before). A later row
    # for the same day wins: the output equals that of a file where the close
    # was replaced, and differs from the original.
    make_base
    sed 's/^S001,2025-07-15,\(.*\),204.6912,/S001,2025-07-15,\1,210.0000,/' "$T/base.csv" >"$T/replaced.csv"
    cmp -s "$T/base.csv" "$T/replaced.csv" && fail "test setup: the S001 row was not replaced"
    cp "$T/base.csv" "$T/dup.csv"
    echo "S001,2025-07-15,0,0,0,210.0000,1" >>"$T/dup.csv"
    for cmd in "metrics --mode app --db-round" "factors --db-round"; do
        # shellcheck disable=SC2086
        run $cmd "$T/base.csv" --date $D --symbols S001
        expect_rc 0
        cp "$T/out" "$T/orig"
        # shellcheck disable=SC2086
        run $cmd "$T/replaced.csv" --date $D --symbols S001
        expect_rc 0
        cp "$T/out" "$T/want"
        # shellcheck disable=SC2086
        run $cmd "$T/dup.csv" --date $D --symbols S001
        expect_rc 0
        cmp -s "$T/out" "$T/want" || fail "$cmd: the duplicate row did not win"
        cmp -s "$T/out" "$T/orig" && fail "$cmd: the duplicate row changed nothing"
    done
    # (210 - 207.0528) / 207.0528, NUMERIC(10,6); the first duplicate (204.6912) gives -0.011406
    run metrics "$T/dup.csv" --date $D --symbols S001 --mode app --db-round
    out_has "S001,0.014234,"
    ;;
input.unsorted)
    # rows in reverse order, header first: the same output
    head -1 "$U" >"$T/rev.csv"
    sed '1d' "$U" | awk '{ l[NR] = $0 } END { for (i = NR; i > 0; i--) print l[i] }' >>"$T/rev.csv"
    run factors "$U" --date $D --db-round --symbols S001,GAPPY
    expect_rc 0
    cp "$T/out" "$T/want"
    run factors "$T/rev.csv" --date $D --db-round --symbols S001,GAPPY
    expect_rc 0
    cmp -s "$T/out" "$T/want" || fail "row order changed the output"
    ;;

# ---- happy paths, against oracle.py -----------------------------------------------------
output.symbol_alone)
    # A symbol's raw lines are the same bytes in a full run, alone, and in a
    # subset (issue 8: the last digits depended on the batch's other symbols).
    run factors "$U" --date $D
    expect_rc 0
    mv "$T/out" "$T/all"
    cut -d, -f1 "$T/all" | sed 1d | sort -u >"$T/syms"
    [ "$(wc -l <"$T/syms")" -gt 50 ] || fail "too few symbols in the full run"
    while read -r sym; do
        STEP=$sym
        run factors "$U" --date $D --symbols "$sym"
        expect_rc 0
        grep "^$sym," "$T/all" >"$T/want"
        sed 1d "$T/out" | cmp -s - "$T/want" || fail "$sym alone differs from the full run"
    done <"$T/syms"
    STEP=subset
    run factors "$U" --date $D --symbols "$(awk 'NR % 3 == 0' "$T/syms" | paste -sd, -)"
    expect_rc 0
    sed 1d "$T/out" >"$T/got"
    awk -F, 'NR == FNR { if (FNR % 3 == 0) pick[$0] = 1; next } $1 in pick' "$T/syms" "$T/all" >"$T/want"
    cmp -s "$T/got" "$T/want" || fail "a subset differs from the full run"
    ;;
output.factors)
    # oracle.py samples/universe.csv --date 2025-07-15 --db-round --full --symbols S001,FLAT \
    #     --profiles samples/profiles.csv
    run factors "$U" --date $D --db-round --full --symbols " S001,FLAT,S001" --profiles "$PROF"
    expect_rc 0
    cat >"$T/want" <<'EOF'
symbol,factor_name,beta,r_squared,observations,calculation_method,quality_flag,regularization_alpha,regression_window_days
FLAT,Growth,0.000000,,81,ridge_regression,full_history,1.0000,90
FLAT,Growth-Value Spread,0.000000,NaN,134,spread_regression,full_history,,180
FLAT,IR Beta,0.000000,NaN,82,ols_ir,full_history,,90
FLAT,Low Volatility,0.000000,,81,ridge_regression,full_history,1.0000,90
FLAT,Market Beta (90D),0.000000,NaN,82,ols_market,full_history,,90
FLAT,Momentum,0.000000,,81,ridge_regression,full_history,1.0000,90
FLAT,Momentum Spread,0.000000,NaN,134,spread_regression,full_history,,180
FLAT,Quality,0.000000,,81,ridge_regression,full_history,1.0000,90
FLAT,Quality Spread,0.000000,NaN,134,spread_regression,full_history,,180
FLAT,Size,0.000000,,81,ridge_regression,full_history,1.0000,90
FLAT,Size Spread,0.000000,NaN,134,spread_regression,full_history,,180
FLAT,Value,0.000000,,81,ridge_regression,full_history,1.0000,90
S001,Growth,-0.285473,0.1853,81,ridge_regression,full_history,1.0000,90
S001,Growth-Value Spread,-0.462218,0.0098,134,spread_regression,full_history,,180
S001,IR Beta,0.137775,0.0039,82,ols_ir,full_history,,90
S001,Low Volatility,-0.207984,0.1853,81,ridge_regression,full_history,1.0000,90
S001,Market Beta (90D),0.689622,0.1229,82,ols_market,full_history,,90
S001,Momentum,0.205729,0.1853,81,ridge_regression,full_history,1.0000,90
S001,Momentum Spread,0.253930,0.0098,134,spread_regression,full_history,,180
S001,Provider Beta (1Y),1.080000,,252,provider,full_history,,252
S001,Quality,0.192023,0.1853,81,ridge_regression,full_history,1.0000,90
S001,Quality Spread,-0.006411,0.0098,134,spread_regression,full_history,,180
S001,Size,0.000844,0.1853,81,ridge_regression,full_history,1.0000,90
S001,Size Spread,0.365178,0.0098,134,spread_regression,full_history,,180
S001,Value,0.803218,0.1853,81,ridge_regression,full_history,1.0000,90
EOF
    cmp -s "$T/out" "$T/want" || fail "output differs from oracle.py's: $(diff "$T/want" "$T/out" | head -5)"
    err_empty
    ;;
output.metrics_app)
    # oracle.py samples/universe.csv --date 2025-07-15 --metrics --db-round --symbols S001,SPY,FLAT,DLST,IPO20
    run metrics "$U" --date $D --mode app --db-round --symbols S001,SPY,FLAT,DLST,IPO20
    expect_rc 0
    cat >"$T/want" <<'EOF'
symbol,return_1d,return_mtd,return_ytd
DLST,,,
FLAT,0.000000,0.000000,
IPO20,0.029379,-0.060227,
S001,-0.011406,-0.040389,
SPY,0.002990,-0.021011,
EOF
    cmp -s "$T/out" "$T/want" || fail "output differs from oracle.py's: $(diff "$T/want" "$T/out" | head -5)"
    ;;
output.verbose)
    # -v logs why rows are missing (FACTOR_SPEC §13)
    run factors "$U" --date $D --symbols IPO20,NOPE,S001 -v
    expect_rc 0
    err_has "% sigmactl: info: ridge IPO20: Insufficient aligned data: 19 days"
    err_has "% sigmactl: info: ols_market NOPE: No return data"
    ;;

# ---- regressions: bugs these tests found, now fixed ------------------------------------
regression.repr_15_digits)
    # repr drops the 15th digit of a double whose shortest repr has 15 digits
    # (numfmt.c sg_dec_from_double); oracle.py --metrics prints these lines
    run metrics "$U" --date $D --mode app --symbols S003,S008
    expect_rc 0
    out_has "S003,-0.00632744511150712,0.013659172994541413,"
    out_has "S008,-0.0107673627324541,-0.03575073700527717,"
    ;;
regression.numeric_overflow)
    # sg_fmt_db writes past its 48-byte buffer for a market cap of 1e300
    # (segfault, exit 139; AddressSanitizer: stack-buffer-overflow)
    printf 'symbol,market_cap,pe_ratio\nS001,1e300,1e200\n' >"$T/p.csv"
    run metrics "$U" --date $D --symbols S001 --profiles "$T/p.csv" --full --db-round
    not_crashed
    [ "$RC" -le 1 ] || fail "exit $RC"
    ;;
regression.no_factor_rows)
    # no symbol gets a factor row: qsort(NULL, 0) in factors.c, undefined
    # behaviour; the SG_SANITIZE build aborts
    printf 'symbol,date,close\nA,2025-07-14,1\nA,2025-07-15,1.5\n' >"$T/f.csv"
    run metrics "$T/f.csv" --date $D
    expect_rc 0
    out_has "A,0.5,"
    ;;
regression.nul_in_symbol)
    # a NUL byte in a symbol reads past the symbol table's names (prices.c
    # symbol_id; AddressSanitizer: heap-buffer-overflow); PostgreSQL cannot
    # store it, so a refusal is expected
    printf 'symbol,date,close\nAB,2025-07-14,1\nAB\000,2025-07-15,1\n' >"$T/f.csv"
    run factors "$T/f.csv" --date $D
    expect_rc 1
    err_has "$T/f.csv:3:"
    ;;

regression.symbols)
    # issue 8: one validation of symbols (common/symbols.h) at every entry point.
    # --symbols of factors/metrics: a bad name is a usage error naming it (lower
    # case stays allowed: the price file may hold it, as oracle.py computes it)
    usage_error factors "$U" --date $D --symbols "A'B;DROP TABLE x"
    err_has "--symbols: symbol \"A'B;DROP TABLE x\": character ''' at position 2 is not allowed (A-Z 0-9 . - _ ^ = only)"
    usage_error metrics "$U" --date $D --symbols "S001,ÄPFEL"
    err_has "--symbols: symbol \"ÄPFEL\": non-ASCII character 'Ä' at position 1 is not allowed"
    usage_error factors "$U" --date $D --symbols "S001,..S002"
    err_has "must start with a letter, a digit, '^' or '_', not '.'"
    usage_error factors "$U" --date $D --symbols ""
    err_has "--symbols: the list is empty"
    # compute: the same, before any database is reached; lower case refused there
    for s in "A'B;DROP TABLE x" aapl "ÄPFEL" "" "A B" "S001/../X" "$(printf 'A%.0s' $(seq 300))"; do
        usage_error compute --date $D --symbols "$s" -d "host=/nonexistent"
        err_has "--symbols: "
    done
    err_has "is 300 characters long; at most 20 fit (the symbol columns are VARCHAR(20))"
    # fetch: symbols shaped like paths or URLs never reach a provider
    for s in "../etc/passwd" "A/B" "A..B" "A?x=1" "A B" "ÄPFEL"; do
        usage_error fetch "$s" --csv "$T/x.csv"
        err_has "sigmactl fetch: symbol \""
    done
    [ ! -e "$T/x.csv" ] || fail "fetch wrote a file"
    # files: a bad symbol is file:line: reason
    printf 'symbol,date,close\nS001,2025-07-14,1\n../../X,2025-07-14,1\n' >"$T/f.csv"
    input_error "$T/f.csv:3: symbol \"../../X\": character '/' at position 3 is not allowed" factors "$T/f.csv" --date $D
    printf 'symbol,beta\nS001,1\nS0 02,1\n' >"$T/p.csv"
    input_error "$T/p.csv:3: symbol \"S0 02\": a space at position 3 is not allowed" metrics "$U" --date $D --profiles "$T/p.csv"
    # a lower-case symbol in the file is computed as written (golden edge.dups)
    make_base
    sed -n 's/^S001,/s001,/p' "$T/base.csv" >>"$T/base.csv"
    run factors "$T/base.csv" --date $D --symbols s001
    expect_rc 0
    out_has "s001,Market Beta (90D),"
    ;;

*)
    echo "cli_test.sh: unknown case '$CASE'" >&2
    exit 2
    ;;
esac
exit 0
