# bench/summary.sh: the machine-readable summary line every benchmark prints,
# sourced by the scripts under bench/ and read by bench/all.sh.
#   bench_summary BENCH METRIC VALUE UNIT BASELINE_VALUE lower|higher BASELINE...
# prints
#   BENCH <bench> <metric> <value> <unit> <baseline_value> <ratio> <baseline...>
# ratio is the speed-up over the baseline, > 1 when sigmabatch does better:
# baseline / value for a metric where lower is better (seconds, MB), value /
# baseline where higher is better (rows/s). The baseline's name (free text,
# spaces allowed) ends the line. Must not measure anything itself.
bench_summary() {
  local bench=$1 metric=$2 value=$3 unit=$4 base=$5 better=$6
  shift 6
  # The name through the environment: awk's -v would read its backslashes as escapes.
  BENCH_BASELINE="$*" awk -v b="$bench" -v m="$metric" -v v="$value" -v u="$unit" -v x="$base" -v d="$better" 'BEGIN {
    r = (d == "lower") ? (v > 0 ? x / v : 0) : (x > 0 ? v / x : 0)
    printf "BENCH %s %s %.6g %s %.6g %.3g %s\n", b, m, v, u, x, r, ENVIRON["BENCH_BASELINE"] }'
}
