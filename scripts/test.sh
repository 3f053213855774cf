#!/usr/bin/env bash
# Every test: installs what is missing, builds (warnings are errors), runs ctest,
# then builds the tests again with AddressSanitizer + UBSan and runs them there,
# then builds the libFuzzer targets (clang) and runs each for 30 s (tests/fuzz).
# The container image's test (label image, minutes) is not among them: scripts/image.sh test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --test

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh build >/dev/null
echo "== ctest"
(cd build && ctest --output-on-failure -j"$(nproc)" -LE image)

# Results must not depend on the BLAS kernel's blocking: the engine's tests
# again under every other OpenBLAS kernel this processor runs (the default
# pass above keeps the environment's own OPENBLAS_CORETYPE, untouched).
for ct in $(scripts/coretypes.sh build); do
  echo "== ctest unit + golden under OpenBLAS kernel $ct"
  if [ "$ct" = auto ]; then
    (cd build && env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ctest --output-on-failure -j"$(nproc)" -L 'unit|golden' -E live_oracle)
  else
    (cd build && OPENBLAS_CORETYPE=$ct ctest --output-on-failure -j"$(nproc)" -L 'unit|golden' -E live_oracle)
  fi
done

echo "== build with AddressSanitizer + UndefinedBehaviorSanitizer"
scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DSG_SANITIZE=ON >/dev/null
echo "== ctest (sanitizers; the live oracle test runs in the first pass only)"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --output-on-failure -j"$(nproc)" -E 'live_oracle' -LE image)

echo "== fuzz targets (clang, libFuzzer + ASan + UBSan), 30 s each"
CC=clang scripts/build.sh build-fuzz -DCMAKE_BUILD_TYPE=Debug -DSG_FUZZ=ON >/dev/null
(cd build-fuzz && ctest --output-on-failure -j2 -L fuzz)
