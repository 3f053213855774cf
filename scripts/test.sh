#!/usr/bin/env bash
# Every test: installs what is missing, builds (warnings are errors), runs ctest,
# then builds the tests again with AddressSanitizer + UBSan and runs them there.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh build >/dev/null
echo "== ctest"
(cd build && ctest --output-on-failure -j"$(nproc)")

echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSG_SANITIZE=ON >/dev/null
echo "== ctest (sanitizers; the live oracle test runs in the first pass only)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$(nproc)" -E 'live_oracle')
