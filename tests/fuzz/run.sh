#!/usr/bin/env bash
# Runs one fuzz target for SECONDS on a scratch copy of its corpus (the
# repository's stays as it is), with its -max_len (targets.txt) and its
# dictionary (dict/NAME.dict). ctest -L fuzz and scripts/fuzz.sh call it.
#   tests/fuzz/run.sh BINARY NAME SECONDS
# Prints the final figures (executions, cov, ft, corpus); exit 1 on a finding
# (crash, leak, timeout, out of memory) with the input's path; the scratch
# directory is then kept, else removed (SG_FUZZ_KEEP=1 keeps it anyway, to
# merge what the run found: see README.md).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ne 3 || ! $3 =~ ^[0-9]+$ ]]; then
  echo "usage: tests/fuzz/run.sh BINARY NAME SECONDS" >&2
  exit 2
fi
bin=$1 name=$2 secs=$3
maxlen=$(awk -v n="$name" '$1 == n { print $2 }' "$here/targets.txt")
if [[ -z $maxlen || ! -d $here/corpus/$name ]]; then
  echo "run.sh: no target '$name' in $here/targets.txt, or no corpus/$name" >&2
  exit 2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sg-fuzz-$name.XXXXXX")
cp -r "$here/corpus/$name" "$work/corpus"
args=(-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" -print_final_stats=1
      -artifact_prefix="$work/")
[[ -f $here/dict/$name.dict ]] && args+=(-dict="$here/dict/$name.dict")
rc=0
"$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1 || rc=$?
found=$(find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) | head -1)
if [[ $rc -ne 0 || -n $found ]]; then
  grep -E 'ERROR|SUMMARY|broken promise|runtime error' "$work/log" | head -20 >&2
  echo "fuzz $name: FINDING (exit $rc): ${found:-no artifact, see $work/log}" >&2
  echo "  reproduce: $bin $found; the log: $work/log" >&2
  exit 1
fi
# The last status line: #RUNS DONE cov: N ft: N corp: N/SIZE ...
status=$(grep -E '^#[0-9]+' "$work/log" | tail -1)
echo "fuzz $name: ${secs}s, no finding: $status"
if [[ ${SG_FUZZ_KEEP:-0} == 1 ]]; then
  echo "  corpus kept in $work/corpus"
else
  rm -rf "$work"
fi
