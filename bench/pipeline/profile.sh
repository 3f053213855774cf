#!/usr/bin/env bash
# bench/pipeline/profile.sh: where the time of one nightly run of SYMBOLS stocks goes.
#   bench/pipeline/profile.sh [SYMBOLS] [LATENCY_MS]     (defaults 10000, 20)
# The real programs, as bulk.sh sets them up (lib.sh: bench_night_setup, bench_pipeline,
# bench_warmup): a throwaway PostgreSQL with pg_stat_statements preloaded, `sigmactl broker`
# (12 partitions), coordinator, two workers, producer, fakeprov answering after LATENCY_MS;
# every symbol of the run misses exactly D, so the night fetches D (Polygon's grouped daily
# bars: one request, the default when a bulk provider has a key), then computes the factors
# and the metrics. A warm-up run first. Measured on the night, from `sigmactl run` to
# `completed`:
#   * the programs' own figures: the ledger's phase boundaries (the last outcome of each
#     phase), the workers' `timing:` and `batch:` lines, the coordinator's, and the workers'
#     /metrics (batch and phase histograms, scraped before and after: the difference);
#   * PostgreSQL's view: pg_stat_statements, reset before the night (every session's
#     statements; reads are SELECTs, writes the rest);
#   * `perf record --call-graph dwarf` on worker w1 and its PostgreSQL sessions (found by
#     PGAPPNAME, set by lib.sh): on-CPU samples classified by their call chains;
#   * the scheduler's view (/proc/PID/task/*/schedstat, before and after): each process's
#     time on a CPU and time runnable but waiting for one (the machine is shared: its other
#     load shows here), the rest of the main thread's wall time asleep (waiting for
#     PostgreSQL, the broker, a message).
# Then `sigmactl compute --date D` in one process on the same database (the factor and
# metric tables emptied; the prices the night stored stay): the floor of the compute phases,
# for the BENCH line. Prints the raw figures, then, after a `<!-- report -->` line, the
# report in markdown (bench/all.sh puts it into BENCHMARKS.md).
# Must not: change anything the programs do (their settings are bulk.sh's); perf's sampling
# slows w1 a little (its overhead is in the figures; w2 runs without it, for comparison).
set -euo pipefail
nsym=${1:-10000}
latency=${2:-20}
if ! [[ $nsym =~ ^[1-9][0-9]*$ && $latency =~ ^[0-9]+$ && $# -le 2 ]]; then
  echo "usage: bench/pipeline/profile.sh [SYMBOLS] [LATENCY_MS]   (defaults 10000, 20)" >&2
  exit 2
fi
PRODUCER_X=()
export SIGMA_PG_OPTIONS="-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all"
. "$(dirname "$0")/lib.sh" profile
freq=499 # samples per second per thread (a prime: no lockstep with 100 ms loops)

bench_night_setup "$nsym" "$latency"
q "CREATE EXTENSION pg_stat_statements"
echo "== the pipeline: broker, coordinator, 2 workers, producer"
PRODUCER_X=("${PX[@]}" -v)
bench_pipeline "${PX[@]}"
bench_warmup

metrics_of() { # WORKER: its /metrics
  local port
  port=$(sed -n '/http: listening on /{s/.*:\([0-9]*\)$/\1/p;q}' "$work/$1.log")
  curl -sS --fail "http://127.0.0.1:$port/metrics"
}
for n in w1 w2; do metrics_of $n >"$work/$n.metrics0"; done
marks=()
for n in w1 w2 coordinator; do marks+=("$(wc -l <"$work/$n.log")"); done
backends=$(q "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = 'sigma-worker-w1'")
[[ -n $backends ]] || { echo "bench: no PostgreSQL session of w1 (application_name sigma-worker-w1)" >&2; exit 1; }
q "SELECT pg_stat_statements_reset()" >/dev/null
# The processes the scheduler's view follows, "label pid" a line: the programs, then every
# PostgreSQL process of the cluster by who it serves.
{
  echo "w1 ${wk[0]}"; echo "w2 ${wk[1]}"; echo "coordinator $coord"; echo "producer $prod"; echo "broker $broker"
  echo "fakeprov $fp_pid"
  q "SELECT CASE WHEN application_name LIKE 'sigma-worker-%' THEN 'postgres-for-' || substr(application_name, 14)
                 WHEN application_name = 'sigmabatch' THEN 'postgres-for-coordinator-and-producer'
                 WHEN backend_type = 'client backend' THEN 'postgres-for-psql'
                 ELSE 'postgres-background' END || ' ' || pid FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
} >"$work/tracked"
# sched_snapshot: "label pid run_ns wait_ns main_run_ns main_wait_ns" per tracked process
# (run and wait summed over its threads; main: the thread the pid names).
sched_snapshot() {
  local label pid t a b c r w
  while read -r label pid; do
    r=0 w=0
    for t in /proc/"$pid"/task/*/schedstat; do
      read -r a b c <"$t" 2>/dev/null || continue
      r=$((r + a)) w=$((w + b))
    done
    read -r a b c <"/proc/$pid/schedstat" 2>/dev/null || a=0 b=0
    echo "$label $pid $r $w $a $b"
  done <"$work/tracked"
}
sched_snapshot >"$work/sched0"

echo "== the night: $nsym stocks, D = $D; perf on w1 (pid ${wk[0]}) and its sessions ($backends)"
perf record -q -F $freq --call-graph dwarf,8192 -p "${wk[0]},$backends" -o "$work/perf.data" 2>"$work/perf.log" &
perf_pid=$!
pids+=($perf_pid)
await 10 test -s "$work/perf.data"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t0=$(now)
"$bin/sigmactl" run --date $D -d "$ci" >/dev/null
closed() { [[ -n $(q "SELECT 1 FROM batch_run_history WHERE batch_run_id LIKE 'nightly-$D-%' AND status <> 'running'") ]]; }
await 600 closed
t_run=$(echo "$(now) - $t0" | bc)
sched_snapshot >"$work/sched1"
kill -INT $perf_pid
wait $perf_pid || true
load1=$(cut -d' ' -f1-3 /proc/loadavg)
for n in w1 w2; do metrics_of $n >"$work/$n.metrics1"; done
run=$(q "SELECT batch_run_id FROM batch_run_history WHERE batch_run_id LIKE 'nightly-$D-%'")
status=$(q "SELECT status || ', ' || total_jobs || ' jobs, ' || failed_jobs || ' failed' FROM batch_run_history
  WHERE batch_run_id = '$run'")
i=0
for n in w1 w2 coordinator; do tail -n +$((marks[i] + 1)) "$work/$n.log" >"$work/$n.night"; i=$((i + 1)); done

# Phase boundaries (epoch seconds): the run's start, the last outcome of each phase, the end.
q "SELECT 'start', extract(epoch FROM started_at) FROM batch_run_history WHERE batch_run_id = '$run'
   UNION ALL SELECT phase, extract(epoch FROM max(recorded_at)) FROM sigma_run_outcomes
     WHERE batch_run_id = '$run' GROUP BY phase
   UNION ALL SELECT 'end', extract(epoch FROM completed_at) FROM batch_run_history WHERE batch_run_id = '$run'" |
  tr '|' ' ' >"$work/bounds"
phase_durations=$(q "SELECT phase_durations::text FROM batch_run_history WHERE batch_run_id = '$run'")

# ---- the scheduler's view: per label, seconds on a CPU and waiting for one over the night ----
awk -v wall="$t_run" 'FNR == NR { r0[$2] = $3; w0[$2] = $4; m0[$2] = $5; q0[$2] = $6; next }
  ($2 in r0) { l = $1; if (!(l in n)) o[++k] = l; n[l]++
    R[l] += ($3 - r0[$2]) / 1e9; W[l] += ($4 - w0[$2]) / 1e9; M[l] += ($5 - m0[$2]) / 1e9; Q[l] += ($6 - q0[$2]) / 1e9 }
  END { for (i = 1; i <= k; i++) { l = o[i]; s = n[l] == 1 ? wall - M[l] - Q[l] : -1
          printf "%s %d %.3f %.3f %.3f %.3f %.3f\n", l, n[l], R[l], W[l], M[l], Q[l], s } }' \
  "$work/sched0" "$work/sched1" >"$work/sched"

# ---- PostgreSQL's view --------------------------------------------------------------------
q "SELECT CASE WHEN query ~* '^\s*(select|with[^;]*\)\s*select)' AND query !~* '(insert|update|delete)\s' THEN 'read'
              WHEN query ~* '^\s*(begin|commit|rollback|set|savepoint|release|show|listen|notify|select pg_)' THEN 'control'
              ELSE 'write' END, round(sum(total_exec_time)::numeric / 1000, 3), sum(calls), sum(rows)
   FROM pg_stat_statements GROUP BY 1 ORDER BY 2 DESC" | tr '|' ' ' >"$work/pgss_kinds"
psql "$ci" -XAt -F $'\t' -c "SELECT round(total_exec_time::numeric / 1000, 3), calls, rows,
    round(mean_exec_time::numeric, 2), regexp_replace(left(query, 110), '\s+', ' ', 'g')
   FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10" >"$work/pgss_top"

# The floor: compute in one process, the factor and metric tables emptied.
q "TRUNCATE symbol_factor_exposures, symbol_daily_metrics"
t1=$(now)
"$bin/sigmactl" compute --date $D -d "$ci" -v >/dev/null 2>"$work/compute.log"
t_compute=$(echo "$(now) - $t1" | bc)
compute_split=$(grep 'timing:' "$work/compute.log" | sed 's/.*timing: //')

for p in "${wk[@]}" $coord $prod; do kill -TERM "$p"; done
for p in "${wk[@]}" $coord $prod; do wait "$p" || echo "bench: pid $p exited $?" >&2; done
fakeprov_stop || true

# ---- the workers' wall time, per phase --------------------------------------------------
# split.awk: reads the bounds, then a worker's night log; prints per phase the seconds of
# fetch, read, engine, write, the rest of its batches, and the time outside any batch.
# A batch belongs to the phase whose window holds its start (its end minus its duration);
# the time outside batches is the window minus the batches in it (never below 0).
cat >"$work/split.awk" <<'EOF'
function epoch(ts,   c, t) { # 2026-11-27T12:00:57.327Z -> seconds since the epoch (TZ=UTC)
  c = ts; gsub(/[-T:Z]/, " ", c); split(c, t, " ")
  return mktime(t[1] " " t[2] " " t[3] " " t[4] " " t[5] " " int(t[6])) + (t[6] - int(t[6]))
}
function phase_at(t,   i) { for (i = 1; i <= np; i++) if (t < end[i]) return i; return np }
function num(s) { sub(/ms,?$/, "", s); return s / 1000 }
FNR == NR { if ($1 == "start") start = $2; else if ($1 == "end") fin = $2; else b[$1] = $2; next }
FNR == 1 {
  np = 0
  split("prices factors metrics", names, " ")
  prev = start
  for (i = 1; i <= 3; i++) if (names[i] in b) { np++; name[np] = names[i]; beg[np] = prev; end[np] = b[names[i]]; prev = b[names[i]] }
  if (fin > end[np]) end[np] = fin
}
/timing: (factors|metrics) [0-9]+ symbols:/ {
  for (i = 1; i <= NF; i++) {
    if ($i == "read") r += num($(i + 1)); if ($i == "engine") e += num($(i + 1)); if ($i == "write") w += num($(i + 1))
  }
}
/timing: bulk / { for (i = 1; i <= NF; i++) { if ($i == "parse") fe += num($(i + 1)); if ($i == "store") w += num($(i + 1)) } }
/ batch: .* ms$/ {
  dur = $(NF - 1) / 1000; p = phase_at(epoch($1) - dur)
  B[p] += dur; R[p] += r; E[p] += e; W[p] += w; F[p] += fe; N[p]++
  r = e = w = fe = 0
}
END {
  for (p = 1; p <= np; p++) {
    win = end[p] - beg[p]; out = win - B[p]; if (out < 0) out = 0
    printf "%s %.3f %d %.3f %.3f %.3f %.3f %.3f %.3f\n", name[p], win, N[p], F[p], R[p], E[p], W[p], B[p] - F[p] - R[p] - E[p] - W[p], out
  }
}
EOF
for n in w1 w2; do TZ=UTC awk -f "$work/split.awk" "$work/bounds" "$work/$n.night" | sed "s/^/$n /"; done >"$work/split"
# The coordinator's recording and fan-outs per phase (its timing lines, by the same windows).
TZ=UTC awk 'FNR == NR { if ($1 == "start") s = $2; else if ($1 != "end") b[$1] = $2; next }
  /timing: [0-9]+ events:/ { c = $1; gsub(/[-T:Z]/, " ", c); split(c, f, " ")
    t = mktime(f[1] " " f[2] " " f[3] " " f[4] " " f[5] " " int(f[6])) + (f[6] - int(f[6]))
    ph = t <= b["prices"] ? "prices" : t <= b["factors"] ? "factors" : "metrics"
    for (i = 1; i <= NF; i++) { if ($i == "record") rec[ph] += $(i + 1) / 1000; if ($i == "offsets") fo[ph] += $(i + 1) / 1000 } }
  END { for (p in rec) printf "coordinator %s %.3f %.3f\n", p, rec[p], fo[p] }' "$work/bounds" "$work/coordinator.night" \
  >"$work/coord"

# ---- /metrics: the difference over the night ---------------------------------------------
hist() { # FILE0 FILE1 FAMILY LABEL: sum and count gained
  local a b
  a=$(awk -v f="$3" -v l="$4" '$1 ~ "^" f "_(sum|count)" && index($1, l) { v[$1 ~ /_sum/] = $2 } END { print v[1] + 0, v[0] + 0 }' "$1")
  b=$(awk -v f="$3" -v l="$4" '$1 ~ "^" f "_(sum|count)" && index($1, l) { v[$1 ~ /_sum/] = $2 } END { print v[1] + 0, v[0] + 0 }' "$2")
  echo "$a $b" | awk '{ printf "%.3f %d\n", $3 - $1, $4 - $2 }'
}
for n in w1 w2; do
  for fam in "sigma_batch_duration_seconds " "sigma_batch_messages " "sigma_phase_duration_seconds prices_bulk" \
    "sigma_phase_duration_seconds factors" "sigma_phase_duration_seconds metrics"; do
    read -r f l <<<"$fam"
    echo "$n $f ${l:--} $(hist "$work/$n.metrics0" "$work/$n.metrics1" "$f" "${l:+phase=\"$l\"}")"
  done
done >"$work/metrics"

# ---- perf: w1's and its sessions' on-CPU samples, classified by call chain ---------------
perf script -i "$work/perf.data" -F comm,pid,tid,ip,sym,dso 2>/dev/null >"$work/perf.txt" || true
cat >"$work/classify.awk" <<'EOF'
# A sample: a header line (comm pid/tid), then its frames (a tab, address, symbol, (dso)),
# leaf first; a blank line ends it.
# The first rule that matches the whole chain names the category. The worker's categories
# follow its code (worker/phases.c, bulkday.c, batch.c; common/compute.c, store_io.c).
function category(   c) {
  if (pid != wpid) { # a PostgreSQL session of w1
    if (c = match(chain, /ExecInsert|ExecUpdate|ExecDelete|CopyFrom|heap_insert|btinsert|XLogInsert|RecordTransactionCommit|ExecOnConflict/)) return "postgres: write"
    if (match(chain, /exec_simple_query|exec_execute_message|PortalRun/) && match(chain, /ExecScan|IndexNext|SeqNext|index_getnext|heap_getnext|ExecAgg|printtup|ExecSort|ExecHash|ExecNestLoop|ExecMergeJoin|ExecResult/)) return "postgres: read"
    if (match(chain, /raw_parser|pg_parse_query|pg_plan_query|pg_analyze_and_rewrite|planner|GetCachedPlan/)) return "postgres: parse and plan"
    return "postgres: other (protocol, commit, sockets)"
  }
  if (comm ~ /^rdk:/) return "broker (librdkafka's threads)"
  if (match(chain, /sg_compute_write|write_rows|write_bars|store_unit|sg_store_write|sg_bulk_store|sg_runs_/)) return "database writes"
  if (match(chain, /sg_compute_load|read_windows|read_waiting|sg_store_read|sg_store_load|sg_store_windows|sg_series_load/)) return "database reads"
  if (match(chain, /sg_factors_|sg_factor_|sg_ridge|sg_ols|sg_regression|sg_metrics_compute|sg_compute_factors|sg_compute_metrics|sg_path_|sg_returns|sg_retset|sg_datapath|cblas_|dgemm|dsyrk|dpotr|LAPACKE|libopenblas|liblapack/)) return "engine"
  if (match(chain, /curl|Curl_|sg_fetch|json_|libjansson|libssl|libcrypto|libnghttp2/)) return "provider fetch"
  if (match(chain, /rd_kafka|sg_bus_|msgpack|produce_event|librdkafka/)) return "broker (produce, consume, commit)"
  if (match(chain, /MHD_|sg_serve|libmicrohttpd/)) return "HTTP server (/metrics)"
  return "other"
}
function flush(   c) {
  if (comm != "") { c = category(); n[c]++; lf[c "\t" leaf]++; if (pid == wpid) wt++; else bt++ }
  comm = ""; chain = ""; leaf = ""
}
/^\t/ { chain = chain ";" $2 " " $3; if (leaf == "") leaf = $2 " " $3; next }
/^[ \t]*$/ { flush(); next }
{ flush(); comm = $1; split($2, a, "/"); pid = a[1] }
END {
  flush()
  for (k in n) printf "%s\t%d\n", k, n[k]
  printf "TOTAL worker\t%d\nTOTAL postgres\t%d\n", wt, bt
  for (k in lf) printf "LEAF\t%s\t%d\n", k, lf[k] > "/dev/stderr"
}
EOF
awk -v wpid="${wk[0]}" -f "$work/classify.awk" "$work/perf.txt" 2>"$work/perf_leaves.raw" |
  sort -t$'\t' -k2,2nr >"$work/perf_classes"
# The three most frequent leaf frames of each category ("category<TAB>frame<TAB>samples").
sort -t$'\t' -k2,2 -k4,4nr "$work/perf_leaves.raw" | awk -F'\t' '$1 == "LEAF" && c[$2]++ < 3 { print $2 "\t" $3 "\t" $4 }' \
  >"$work/perf_leaves"
# The top frames (self), worker and sessions apart.
top_frames() { # PIDS
  perf report -i "$work/perf.data" --pid "$1" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
    awk '/^ +[0-9.]+%/ && n++ < 12 { $1 = $1; print }' # reads it all: no SIGPIPE under pipefail
}
top_frames "${wk[0]}" >"$work/top_worker"
top_frames "$backends" >"$work/top_backend"

# ---- the raw figures ------------------------------------------------------------------------
echo
echo "night $run: $status; sigmactl run -> completed $(printf %.2f "$t_run") s; phase_durations $phase_durations"
echo "load average (1, 5, 15 min) before the night: $load0; after: $load1"
echo "compute (floor, one process): $(printf %.2f "$t_compute") s; split: $compute_split"
echo "per worker and phase: window s, batches, fetch, read, engine, write, rest of batches, outside batches (s)"
sed 's/^/  /' "$work/split"
sed 's/^/  /' "$work/coord"
echo "/metrics over the night (worker family label: sum, count):"
sed 's/^/  /' "$work/metrics"
echo "scheduler (label, processes, on CPU s, waiting for a CPU s, main thread: on CPU, waiting, asleep s):"
sed 's/^/  /' "$work/sched"
echo "pg_stat_statements (kind: seconds, calls, rows):"
sed 's/^/  /' "$work/pgss_kinds"
echo "perf samples (w1 and its sessions, $freq Hz):"
sed 's/^/  /' "$work/perf_classes"
bench_summary profile night_wall "$t_run" s "$t_compute" lower \
  "sigmactl compute --date $D after the night, one process (prices stored, factor and metric tables emptied)"

# ---- the report, in markdown ------------------------------------------------------------------
echo "<!-- report -->"
cat <<EOF
**The night**: \`$run\`, $nsym stocks + the run's ETFs, D = $D, $status; \`sigmactl run\` to
\`completed\` **$(printf %.2f "$t_run") s** (perf sampling w1 at $freq Hz); \`sigmactl compute\` of the same date in one
process afterwards $(printf %.2f "$t_compute") s. Load average before the night $load0, after $load1.
Phases as the ledger records them: \`$phase_durations\`.

### The workers' wall time per phase

From each worker's \`timing:\` and \`batch:\` lines (\`-v -v\`), its batches placed in the phase windows
the ledger gives (the run's start, the last outcome of each phase, the end). **fetch**: the bulk
request and its parsing; **reads** / **writes**: the units of work reading the closes and storing
rows (PostgreSQL's time included: the worker waits for it); **engine**: the factor math;
**broker and rest**: the rest of the batch (decoding, producing the events and waiting for their
acknowledgements, committing offsets, the prices phase's unlogged waiting-symbols read);
**waiting**: outside any batch (the consumer's fetch wait, \`worker.batch_wait_ms\`, the phase
barriers: the coordinator recording, advancing and fanning out).

EOF
awk '{ k = $2; win[k] = $3; nb[k] += $4; for (i = 5; i <= 10; i++) s[k, i] += $i; c[k]++
       if (!(k in seen)) { seen[k] = 1; order[++no] = k } }
  END {
    print "| phase | window s | batches | fetch | reads | engine | writes | broker and rest | waiting |"
    print "|---|---|---|---|---|---|---|---|---|"
    for (j = 1; j <= no; j++) { k = order[j]; line = sprintf("| %s | %.2f | %d |", k, win[k], nb[k])
      for (i = 5; i <= 10; i++) { v = s[k, i] / c[k]; line = line sprintf(" %.2f s (%.0f%%) |", v, win[k] > 0 ? 100 * v / win[k] : 0) }
      print line }
    for (i = 5; i <= 10; i++) tot[i] = 0
    for (j = 1; j <= no; j++) { k = order[j]; W += win[k]; for (i = 5; i <= 10; i++) tot[i] += s[k, i] / c[k] }
    line = sprintf("| **night** | %.2f | |", W)
    for (i = 5; i <= 10; i++) line = line sprintf(" **%.2f s (%.0f%%)** |", tot[i], W > 0 ? 100 * tot[i] / W : 0)
    print line
  }' "$work/split"
cat <<EOF

Seconds are the mean of the two workers (w1 under perf, w2 without). Per worker:

| worker | phase | window s | batches | fetch | reads | engine | writes | broker and rest | waiting |
|---|---|---|---|---|---|---|---|---|---|
EOF
awk '{ printf "| %s | %s | %.2f | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$work/split"
echo
echo "The coordinator in the same windows (its \`timing:\` lines): $(awk '{ printf "%s: record %.2f s, fan-out and offsets %.2f s; ", $2, $3, $4 }' "$work/coord")"
echo
echo "The workers' /metrics over the night (scraped before and after; histogram sums, counts):"
echo
echo "| worker | family | phase | seconds (sum) | count |"
echo "|---|---|---|---|---|"
awk '{ printf "| %s | `%s` | %s | %s | %s |\n", $1, $2, $3, $4, $5 }' "$work/metrics" |
  sed 's/| `sigma_batch_messages` | - | \([0-9.]*\) |/| `sigma_batch_messages` | - | \1 messages |/'
cat <<EOF

### The scheduler's view: on a CPU, waiting for one, asleep

\`/proc/PID/task/*/schedstat\` of every process of the night, before and after it ($(printf %.2f "$t_run") s of wall
time): **on CPU** (all threads), **waiting for a CPU** (runnable, all threads: the 2 cores were
busy, with this night's other processes or with the machine's other load), and for a
single-process row the main thread's **asleep** (the wall time it was neither: blocked on a
socket, waiting for PostgreSQL, the broker or a message).

| process | count | on CPU s | waiting for a CPU s | main thread: on CPU s | main: waiting for a CPU s | main: asleep s |
|---|---|---|---|---|---|---|
EOF
awk '{ one = $2 == 1; m = one ? sprintf("%.2f", $5) : ""; q = one ? sprintf("%.2f", $6) : ""; a = one ? sprintf("%.2f", $7) : ""
       printf "| %s | %d | %.2f | %.2f | %s | %s | %s |\n", $1, $2, $3, $4, m, q, a }' "$work/sched"
awk -v wall="$t_run" '{ r += $3; w += $4 } END { printf "| **all** | | **%.2f** | **%.2f** | | | |\n\nThe night'"'"'s processes used %.2f of the %.2f core-seconds the 2 cores had (%.0f%%); their threads waited %.2f s in all for a core.\n", r, w, r, 2 * wall, 50 * r / wall, w }' "$work/sched"
cat <<EOF

### PostgreSQL's view (pg_stat_statements, every session, the night only)

| kind | execution s | calls | rows |
|---|---|---|---|
EOF
awk '{ printf "| %s | %.2f | %d | %d |\n", $1, $2, $3, $4 }' "$work/pgss_kinds"
echo
echo "The ten statements that took longest:"
echo
echo "| s | calls | rows | ms per call | statement (its start) |"
echo "|---|---|---|---|---|"
awk -F'\t' '{ gsub(/\|/, "\\|", $5); printf "| %s | %s | %s | %s | `%s` |\n", $1, $2, $3, $4, $5 }' "$work/pgss_top"
cat <<EOF

### perf: worker w1 and its PostgreSQL sessions, on CPU

\`perf record -F $freq --call-graph dwarf\` on w1 (all its threads) and its sessions, for the whole night;
each sample's call chain classified (bench/pipeline/profile.sh, classify.awk: the first rule that
matches). CPU seconds = samples / $freq; the rest of w1's wall time it was off the CPU (waiting).

| who: category | samples | CPU s | share of the process's samples |
|---|---|---|---|
EOF
awk -F'\t' -v f=$freq '$1 == "TOTAL worker" { tw = $2 } $1 == "TOTAL postgres" { tb = $2 } $1 !~ /^TOTAL/ { k[++n] = $1; v[n] = $2 }
  END { for (pass = 0; pass < 2; pass++) for (i = 1; i <= n; i++) { pg = k[i] ~ /^postgres/; if (pg != pass) continue
          t = pg ? tb : tw
          printf "| %s: %s | %d | %.2f | %.0f%% |\n", pg ? "sessions" : "w1", k[i], v[i], v[i] / f, t ? 100 * v[i] / t : 0 }
        printf "| **w1, all** | %d | **%.2f** | |\n| **sessions, all** | %d | **%.2f** | |\n", tw, tw / f, tb, tb / f }' \
  "$work/perf_classes"
awk -F'\t' -v f=$freq '$1 == "LEAF" && $2 !~ /^postgres/ { all += $4; if ($3 ~ /printf_fp|strtod|hack_digit|__mpn_|round_and_return|str_to_mpn|strfromd/) { fp += $4; by[$2] += $4 } }
  END { printf "\nOf w1'"'"'s %d samples, **%d (%.0f%%) are in glibc'"'"'s decimal conversions** (strfromd, strtod: their leaf frame is `__printf_fp_l`, `____strtod_l_internal`, `hack_digit`, `__mpn_*`, `round_and_return`):", all, fp, all ? 100 * fp / all : 0
        for (c in by) printf " %s %d;", c, by[c]; printf "\n" }' "$work/perf_leaves.raw"
echo
echo "Each category's most frequent leaf frames (where the CPU was when sampled):"
echo
echo "| category | leaf frame | samples |"
echo "|---|---|---|"
awk -F'\t' '{ gsub(/\|/, "\\|", $2); printf "| %s | `%s` | %d |\n", $1, $2, $3 }' "$work/perf_leaves"
echo
echo "Top frames of w1 (self time, \`perf report --no-children --sort dso,sym\`):"
echo
echo '```'
cat "$work/top_worker"
echo '```'
echo
echo "Top frames of its PostgreSQL sessions:"
echo
echo '```'
cat "$work/top_backend"
echo '```'
