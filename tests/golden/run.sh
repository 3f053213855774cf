#!/bin/sh
# run.sh - runs golden cases of cases.txt and compares sigmactl's output with
# the committed oracle output in expected/.
#
#   run.sh SIGMACTL CSVCMP [-o OUTDIR] [CASE...]
#   run.sh --check        checks cases.txt against data/ and expected/
#
# No CASE runs every case. Each case runs `sigmactl COMMAND PRICES ARGS`
# inside data/ and writes OUTDIR/CASE.csv (OUTDIR defaults to a temporary
# directory, removed when everything passed). Outputs with --db-round must
# equal the expected file byte for byte (a diff is printed otherwise); raw
# outputs are compared with csvcmp at 1e-12. Exit 0 when every case passed,
# 1 otherwise. No Python needed.
set -u

usage() { echo "usage: run.sh SIGMACTL CSVCMP [-o OUTDIR] [CASE...] | run.sh --check" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)

# --check: every case well-formed and unique, with its input and expected
# file; no expected file without a case.
if [ "${1:-}" = --check ]; then
    bad=0
    names=$(grep -v '^[[:space:]]*#' "$HERE/cases.txt" | grep -v '^[[:space:]]*$' |
        while read -r name kind prices cmd args; do
            case $kind in oracle | depart) ;; *) echo "cases.txt: $name: bad kind '$kind'" >&2 ;; esac
            case $cmd in factors | metrics) ;; *) echo "cases.txt: $name: bad command '$cmd'" >&2 ;; esac
            [ -f "$HERE/data/$prices" ] || echo "cases.txt: $name: data/$prices is missing" >&2
            [ -f "$HERE/expected/$name.csv" ] || echo "cases.txt: $name: expected/$name.csv is missing" >&2
            echo "$name"
        done 2>&1)
    errors=$(echo "$names" | grep '^cases.txt: ')
    [ -z "$errors" ] || { echo "$errors"; bad=1; }
    names=$(echo "$names" | grep -v '^cases.txt: ')
    dups=$(echo "$names" | sort | uniq -d)
    [ -z "$dups" ] || { echo "cases.txt: duplicate names: $dups"; bad=1; }
    for f in "$HERE"/expected/*.csv; do
        n=$(basename "$f" .csv)
        echo "$names" | grep -qxF "$n" || { echo "expected/$n.csv has no case in cases.txt"; bad=1; }
    done
    [ $bad = 0 ] && echo "cases.txt: $(echo "$names" | wc -l) cases, inputs and expected files all present"
    exit $bad
fi
[ $# -ge 2 ] || usage
abspath() { case $1 in /*) echo "$1" ;; *) echo "$(pwd)/$1" ;; esac; }
SIGMACTL=$(abspath "$1")
CSVCMP=$(abspath "$2")
shift 2
OUT=''
keep=1
if [ "${1:-}" = -o ]; then
    [ $# -ge 2 ] || usage
    OUT=$(abspath "$2")
    shift 2
fi
for tool in "$SIGMACTL" "$CSVCMP"; do
    [ -x "$tool" ] || { echo "run.sh: $tool is not an executable" >&2; exit 2; }
done
CASES=$(grep -v '^[[:space:]]*#' "$HERE/cases.txt" | grep -v '^[[:space:]]*$')
for c in "$@"; do
    echo "$CASES" | awk '{print $1}' | grep -qxF "$c" ||
        { echo "run.sh: no case '$c' in cases.txt" >&2; exit 2; }
done
if [ -z "$OUT" ]; then
    OUT=$(mktemp -d "${TMPDIR:-/tmp}/golden-run.XXXXXX")
    keep=0
fi
mkdir -p "$OUT"

run_case() { # NAME KIND PRICES COMMAND ARGS...
    name=$1 prices=$3 cmd=$4
    shift 4
    exp=$HERE/expected/$name.csv
    act=$OUT/$name.csv
    if [ ! -f "$exp" ]; then
        echo "FAIL $name: $exp is missing (run regen.sh)"
        return 1
    fi
    if ! (cd "$HERE/data" && "$SIGMACTL" "$cmd" "$prices" "$@") < /dev/null > "$act" 2> "$act.err"; then
        echo "FAIL $name: sigmactl exited with an error:"
        sed 's/^/  /' "$act.err" | head -20
        return 1
    fi
    case " $* " in
    *" --db-round "*)
        if cmp -s "$exp" "$act"; then
            echo "ok   $name (byte-identical, $(wc -l < "$act") lines)"
            return 0
        fi
        echo "FAIL $name: output differs from expected/$name.csv (byte comparison)"
        diff -u "$exp" "$act" | head -60
        ;;
    *)
        if res=$("$CSVCMP" --tol 1e-12 "$exp" "$act"); then
            echo "ok   $name ($res)"
            return 0
        fi
        echo "FAIL $name: output differs from expected/$name.csv (csvcmp --tol 1e-12)"
        echo "$res" | head -60
        ;;
    esac
    echo "  reproduce: cd $HERE/data && $SIGMACTL $cmd $prices $*"
    return 1
}

failed=0 total=0
while read -r name kind prices cmd args; do
    if [ $# -gt 0 ]; then
        want=0
        for c in "$@"; do [ "$c" = "$name" ] && want=1; done
        [ $want = 1 ] || continue
    fi
    total=$((total + 1))
    # shellcheck disable=SC2086 # args are blank-separated on purpose
    run_case "$name" "$kind" "$prices" "$cmd" $args || failed=$((failed + 1))
done <<EOF
$CASES
EOF

if [ $failed -gt 0 ]; then
    echo "$failed of $total golden cases failed; outputs in $OUT"
    exit 1
fi
[ $total -gt 1 ] && echo "all $total golden cases passed"
[ $keep = 1 ] || rm -rf "$OUT"
exit 0
