#!/usr/bin/env bash
# `promtool check metrics` (Prometheus's own parser and linter) on a
# representative rendering of the registry (tm_sample.c); and on a broken
# text, so a promtool that accepted anything would be noticed.
#   promtool_test.sh TM_SAMPLE
# promtool comes with Debian's prometheus package (scripts/deps.sh --test):
# without it this test fails, it never skips.
set -euo pipefail
sample=$1
if ! command -v promtool >/dev/null; then
  echo "FAIL: promtool not found (scripts/deps.sh --test installs the prometheus package)" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$sample" >"$dir/metrics.txt"
# what the sample must contain, so the check below is about something
for line in 'sigma_worker_tasks_total{phase="prices",outcome="ok"} 100' \
            'sigma_worker_batch_seconds_bucket{phase="metrics",le="+Inf"} 1' \
            'sigma_consumer_lag_messages{topic="sigma.tasks",partition="3"} 30' \
            'sigma_errors_total{reason="say \"no\""} 1' \
            'sigma_symbol_failures_total{symbol="other"} 10' \
            'sigma_odd_values{case="nan"} NaN'; do
  grep -qxF "$line" "$dir/metrics.txt" || { echo "FAIL: the sample has no line: $line" >&2; exit 1; }
done

if ! promtool check metrics <"$dir/metrics.txt" >"$dir/out" 2>&1; then
  echo "FAIL: promtool check metrics refused the rendering:" >&2
  cat "$dir/out" >&2
  exit 1
fi

printf '# TYPE sigma_bad counter\nsigma_bad{a="b} 1\n' >"$dir/bad.txt"
if promtool check metrics <"$dir/bad.txt" >"$dir/out" 2>&1; then
  echo "FAIL: promtool accepted a broken text" >&2
  exit 1
fi
echo "promtool check metrics: $(grep -c '^[a-z]' "$dir/metrics.txt") samples accepted"
