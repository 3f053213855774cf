#!/usr/bin/env bash
# Every test: installs what is missing, builds (warnings are errors), runs ctest,
# then builds the tests again with AddressSanitizer + UBSan and runs them there
# (all but the soak tests: valgrind and RSS, tests/soak/README.md), then runs every
# libFuzzer target for 30 s (clang, tests/fuzz/README.md).
# The fault suite's CI form (label faults: tests/faults/README.md) runs in the first pass only.
# Not among them: the container image's test (label image, minutes: scripts/image.sh test)
# and badinput.volume.full (label badinput_full, 10,000 bad messages per topic:
# ctest -R badinput.volume.full).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test
# Twice as many tests at once as cores: the pipeline's tests spend most of their time
# waiting (rebalances, session timeouts, hangs), and every one of them awaits its
# conditions with deadlines, so a loaded machine slows them and fails none.
jobs=$(($(nproc) * 2))

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh build >/dev/null
echo "== ctest"
(cd build && ctest --output-on-failure -j"$jobs" -LE 'image|badinput_full')

# Results must not depend on the BLAS kernel's blocking: the engine's tests
# again under every other OpenBLAS kernel this processor runs (the default
# pass above keeps the environment's own OPENBLAS_CORETYPE, untouched).
for ct in $(scripts/coretypes.sh build); do
  echo "== ctest unit + golden under OpenBLAS kernel $ct"
  (cd build && OPENBLAS_CORETYPE=$ct ctest --output-on-failure -j"$(nproc)" -L 'unit|golden' -E live_oracle)
done

echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSG_SANITIZE=ON >/dev/null
echo "== ctest (sanitizers; the live oracle test, the soak tests and the fault suite run in the first pass only)"
# ASan's and LeakSanitizer's reports (detect_leaks=1) go to files of their own (log_path:
# PATH.PID), so none is lost where a test discards a program's stderr or ignores its exit code
# (`sigmactl up`'s daemons, a broker stopped in a cleanup); any report fails the pass. UBSan's
# go to stderr whatever log_path says (gcc 12's runtime with ASan), and halt the program
# (-fno-sanitize-recover=all): the tests see its exit code, and pipeline tests grep their logs.
san=$(mktemp -d /tmp/sigma-sanitizer-reports.XXXXXX)
chmod 1777 "$san" # a program a test runs as another user (up_test.sh: nobody) writes there too
rc=0
(cd build-asan && ASAN_OPTIONS=detect_leaks=1:log_path=$san/asan UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$jobs" -E 'live_oracle' -LE 'image|soak|badinput_full|faults') || rc=$?
if compgen -G "$san/*" >/dev/null; then
  echo "== sanitizer reports ($san)"
  tail -n +1 "$san"/*
  rc=1
else
  rmdir "$san"
fi

echo "== fuzz targets (clang, libFuzzer + ASan + UBSan), 30 s each"
CC=clang scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSG_FUZZ=ON >/dev/null
(cd build-fuzz && ctest --output-on-failure -j2 -L fuzz) || rc=$?
exit $rc
