#!/bin/sh
# live.sh - golden.live_oracle: compares sigmactl with oracle.py, live, on a
# fresh universe.
#
#   live.sh SIGMACTL CSVCMP
#
# Generates make_prices.py --symbols 60 --days 300 with a seed and a
# calculation date derived from the seed (SIGMA_LIVE_SEED, default today's
# UTC date as YYYYMMDD, so the universe changes every day and a failure is
# reproducible from the logged seed), then compares:
#   factors (v2) raw                      csvcmp --tol 1e-12
#   factors (v2) --db-round --full        byte for byte
#   factors --pipeline onboarding raw     csvcmp --tol 1e-12
#   metrics --mode app --full --db-round  byte for byte (oracle --metrics-full),
#                                         with data/profiles.csv
# Exit 0 when all four agree, 1 when one differs, 77 (ctest: skipped) when
# the Python stack (pandas, scikit-learn, statsmodels) or the reference is
# absent. SIGMA_REFERENCE and PYTHON as in regen.sh.
set -u

skip() { echo "SKIPPED: $*"; exit 77; }
[ $# -eq 2 ] || { echo "usage: live.sh SIGMACTL CSVCMP" >&2; exit 2; }
SIGMACTL=$1 CSVCMP=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=${PYTHON:-/usr/bin/python3}

[ -x "$PY" ] || skip "$PY not found"
"$PY" -c 'import pandas, sklearn, statsmodels' 2>/dev/null ||
    skip "$PY cannot import pandas, sklearn and statsmodels"
if [ -z "${SIGMA_REFERENCE:-}" ]; then
    TOP=$(git -C "$HERE" rev-parse --show-toplevel 2>/dev/null) || TOP=$HERE/../..
    SIGMA_REFERENCE=$TOP/../shared/reference
fi
REF=$SIGMA_REFERENCE
if [ ! -f "$REF/oracle.py" ] || [ ! -f "$REF/make_prices.py" ]; then
    skip "no oracle.py/make_prices.py in $REF (set SIGMA_REFERENCE)"
fi

SEED=${SIGMA_LIVE_SEED:-$(date -u +%Y%m%d)}
case $SEED in '' | *[!0-9]*) echo "live.sh: SIGMA_LIVE_SEED must be a number" >&2; exit 2 ;; esac
# a calendar day (weekends and holidays included) between 2023-06-01 and 2025-12-31
END=$("$PY" -c "import datetime, sys; s = int(sys.argv[1]); print(datetime.date(2023, 6, 1) + datetime.timedelta(days=s * 7919 % 945))" "$SEED")
W=$(mktemp -d "${TMPDIR:-/tmp}/golden-live.XXXXXX")
export PYTHONDONTWRITEBYTECODE=1
echo "live oracle: seed $SEED, date $END, work dir $W"
echo "  reproduce: SIGMA_LIVE_SEED=$SEED $0 $SIGMACTL $CSVCMP"

P=$W/prices.csv
PROF=$HERE/data/profiles.csv
"$PY" "$REF/make_prices.py" --symbols 60 --days 300 --end "$END" --seed "$SEED" --out "$P" ||
    { echo "live.sh: make_prices.py failed"; exit 1; }

# NAME|COMPARE|COMMAND ARGS (sigmactl)|ORACLE ARGS
cat > "$W/cases" <<EOF
v2.raw|csvcmp|factors --date $END|--date $END
v2.db|cmp|factors --date $END --db-round --full|--date $END --db-round --full
onboarding.raw|csvcmp|factors --date $END --pipeline onboarding|--date $END --pipeline onboarding
metrics.full_db|cmp|metrics --mode app --date $END --full --db-round --profiles $PROF|--date $END --metrics-full --db-round --profiles $PROF
EOF

# the oracle runs, in parallel (each takes a few seconds)
pids=
while IFS='|' read -r name how sargs oargs; do
    # shellcheck disable=SC2086 # blank-separated on purpose
    "$PY" "$REF/oracle.py" "$P" $oargs < /dev/null > "$W/$name.oracle.csv" 2> "$W/$name.oracle.err" &
    pids="$pids $!"
done < "$W/cases"
ostatus=0
for p in $pids; do wait "$p" || ostatus=1; done
[ $ostatus = 0 ] || { echo "live.sh: oracle.py failed:"; cat "$W"/*.oracle.err; exit 1; }

failed=0
while IFS='|' read -r name how sargs oargs; do
    # shellcheck disable=SC2086
    if ! "$SIGMACTL" ${sargs%% *} "$P" ${sargs#* } < /dev/null > "$W/$name.sigmactl.csv" 2> "$W/$name.sigmactl.err"; then
        echo "FAIL $name: sigmactl exited with an error:"
        cat "$W/$name.sigmactl.err"
        failed=$((failed + 1))
        continue
    fi
    if [ "$how" = cmp ]; then
        if cmp -s "$W/$name.oracle.csv" "$W/$name.sigmactl.csv"; then
            echo "ok   $name (byte-identical, $(wc -l < "$W/$name.oracle.csv") lines)"
            continue
        fi
        echo "FAIL $name (byte comparison):"
        diff -u "$W/$name.oracle.csv" "$W/$name.sigmactl.csv" | head -60
    else
        if res=$("$CSVCMP" --tol 1e-12 "$W/$name.oracle.csv" "$W/$name.sigmactl.csv"); then
            echo "ok   $name ($res)"
            continue
        fi
        echo "FAIL $name (csvcmp --tol 1e-12):"
        echo "$res" | head -60
    fi
    echo "  sigmactl ${sargs%% *} $P ${sargs#* }"
    echo "  oracle.py $P $oargs"
    failed=$((failed + 1))
done < "$W/cases"

if [ $failed -gt 0 ]; then
    echo "live oracle: $failed of 4 comparisons failed (seed $SEED); files kept in $W"
    exit 1
fi
rm -rf "$W"
echo "live oracle: all 4 comparisons passed (seed $SEED, date $END)"
exit 0
