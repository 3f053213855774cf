#!/usr/bin/env bash
# The long soak, by hand (ctest's soak.rss is 20 nights of 300 stocks): one
# worker, coordinator and producer across NIGHTS nights of STOCKS stocks, with
# soak.rss's checks and rule (tests/soak/README.md); prints the RSS series.
#   tests/soak/run.sh [BUILD_DIR] [NIGHTS] [STOCKS]   (defaults: build 40 1000)
# NIGHTS is at most 40 (the weekdays from 2025-07-07 without an NYSE holiday).
# About 9.5 minutes here with the defaults, under load (load average 15-19 on 2 cores).
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
exec bash "$src/tests/soak/rss_test.sh" "$build/bin" "$build/tests/fakeprov" "$src" "${2:-40}" "${3:-1000}"
