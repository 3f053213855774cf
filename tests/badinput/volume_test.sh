#!/usr/bin/env bash
# Bad input at volume (issue 14, item 2): COUNT bad messages on each topic the
# programs consume (tasks, onboarding, events; tests/badinput/badgen.c makes
# them: not msgpack, truncated at every length, over 64 KiB, wrong types,
# missing and rule-breaking unknown fields, unknown major, wrong phases, dates
# and numbers out of range, a key that is not the symbol, hostile symbols)
# while a night of NSTOCKS symbols runs with every program a real process (the
# e2e harness of tests/pipeline/lib.sh: a producer, a coordinator, two
# workers). The injection happens while the factors' writes wait on a lock
# this test holds, so the run is in progress by construction, not by timing.
# Checks:
#   * the run completes and check_run passes (every row equals `sigmactl compute`'s);
#   * every bad message is in the dead-letter topic, from the topic it was sent
#     to, with the reason the consumers' own decoder gives (the generator
#     computes it; compared on its first 200 bytes), no header with a control
#     byte; nothing else is dead-lettered. Kafka may deliver a message twice
#     (a rebalance between the dead letter and the offset commit): a bad
#     message counts once, however many copies; the copies are reported;
#   * sigma_dead_letters_total of the workers (tasks, onboarding) and of the
#     coordinator (events) equals the dead-letter topic's entries per source;
#   * `sigmactl replay --dead-letters` refuses every one of them ("stays", one
#     line each, with its reason), republishes nothing, exits 0;
#   * every program exits 0 on SIGTERM, no sanitizer report, and no log line
#     that does not start as the programs' lines do (nothing forged by a newline).
# The 2 MB messages badgen also tries are refused by its producer
# (message.max.bytes), so they never reach a consumer: badgen fails otherwise.
# The largest message its producer takes (~1 MB) no longer fits with the dead
# letter's headers: its dead letter keeps the first 64 KiB (header sigma.cut).
#   volume_test.sh BINDIR BADGEN SOURCE_DIR COUNT
set -euo pipefail
bin=$1
badgen=$2
count=$4
case_=volume-$count
. "$3/tests/pipeline/lib.sh" "$3" badinput-volume
LOG_TAIL=15
D=2025-07-15
NSTOCKS=${NSTOCKS:-200}
LACKING="GLD USO UUP"
export SIGMA_SERVE_ADDRESS=127.0.0.1 # every program's /metrics, on a port it picks (logged)
TOPICS="tasks onboarding events"

port_of() { sed -n 's/.*http: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$1.log" | tail -1; }
metric() { # PROGRAM PREFIX: the sum of the samples whose line starts with PREFIX
  curl -sS "http://127.0.0.1:$(port_of "$1")/metrics" | awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { print s + 0 }'
}

# dead_letters: the dead-letter topic read to its end into $work/dl; true when every
# bad message's id is there.
dead_letters() {
  "$badgen" dead "$work/dl" 2>>"$work/badgen.log" || return 1
  (($(cut -f1 "$work/dl" | grep -Fxf <(cut -f1 "$work/expect") | sort -u | wc -l) == $(wc -l <"$work/expect")))
}

night_setup
night_held

echo "== $count bad messages on each of $TOPICS, the run in phase factors"
t0=$(date +%s.%N)
seed=1
for t in $TOPICS; do
  "$badgen" garbage $t "$count" $seed "$work/expect.$t" >"$work/gen.$t.out" 2>"$work/gen.$t.log" &
  gen[$seed]=$!
  pids+=(${gen[$seed]})
  seed=$((seed + 1))
done
for s in 1 2 3; do wait "${gen[$s]}" || fail "badgen: $(cat "$work"/gen.*.log)"; done
cat "$work"/gen.*.out
cat "$work"/expect.* >"$work/expect"
phase_is factors || fail "the run left phase factors during the injection"
release_factors
await_finished
check_run

echo "== the dead-letter topic"
await 180 dead_letters || fail "$(cut -f1 "$work/dl" | grep -Fxf <(cut -f1 "$work/expect") | sort -u | wc -l) of $(wc -l <"$work/expect") bad messages dead-lettered"
echo "dead letters in $(echo "$(date +%s.%N) - $t0" | bc) s after the injection began: $(wc -l <"$work/dl") entries"
LC_ALL=C awk -F'\t' -v near="-$((count + 3))\$" '
  FNR == NR { want[$1] = $2; next }
  $1 == "-" || !($1 in want) { print "not a bad message of this test: " $0; bad++; next }
  { split($1, p, "-"); src = "sigma." p[1] }
  $2 != src { print "from " $2 ", expected " src ": " $0; bad++ }
  index($3, want[$1]) != 1 { print "reason: " $3 "\n  expected: " want[$1]; bad++ }
  $1 ~ near && $4 !~ /^value 65536 of 9[0-9][0-9][0-9][0-9][0-9] bytes, key [0-9]+ of [0-9]+ bytes$/ { print "not cut: " $0; bad++ }
  $1 !~ near && $4 != "-" { print "cut: " $0; bad++ }
  { n[$1]++ }
  END { for (k in n) if (n[k] > 1) copies += n[k] - 1
        printf "%d distinct, %d copies of a message dead-lettered twice\n", length(n), copies
        exit bad > 0 }' "$work/expect" "$work/dl" >"$work/dlcheck" || { head -20 "$work/dlcheck"; fail "dead letters"; }
cat "$work/dlcheck"
! grep -q '!a control byte' "$work/dl" || fail "a header with a control byte"

echo "== metrics"
for t in tasks onboarding events; do
  entries=$(awk -F'\t' -v s=sigma.$t '$2 == s' "$work/dl" | wc -l)
  if [[ $t == events ]]; then
    counted=$(metric coordinator "sigma_dead_letters_total{topic=\"sigma.$t\"}")
  else
    counted=$(($(metric w1 "sigma_dead_letters_total{topic=\"sigma.$t\"}") + $(metric w2 "sigma_dead_letters_total{topic=\"sigma.$t\"}")))
  fi
  echo "sigma.$t: $entries dead-letter entries, sigma_dead_letters_total $counted"
  ((entries == counted)) || fail "sigma.$t: the metric counts $counted, the topic holds $entries"
done
invalid=$(metric coordinator 'sigma_events_total{result="invalid"}')
((invalid >= count)) || fail "sigma_events_total{result=invalid} is $invalid, fewer than $count"

echo "== replay of the dead letters"
"$bin/sigmactl" replay --dead-letters --from-offset 0 >"$work/replay.out" 2>"$work/replay.log" ||
  fail "replay: $(tail -3 "$work/replay.out" "$work/replay.log")"
n=$(wc -l <"$work/dl")
grep -q "^read $n, matched 0, republished 0 " "$work/replay.out" || fail "replay: $(tail -2 "$work/replay.out")"
grep -q "^$n dead letter(s) still undecodable" "$work/replay.out" || fail "replay: $(tail -1 "$work/replay.out")"
(($(grep -c '^stays: sigma.deadletter \[[0-9]*\] @[0-9]* key .*: \(task\|event\): ' "$work/replay.out") == n)) ||
  fail "replay: not one 'stays' line per dead letter: $(grep -v '^stays: ' "$work/replay.out" | head -3)"
(($(wc -l <"$work/replay.out") == n + 2)) || fail "replay printed $(wc -l <"$work/replay.out") lines for $n dead letters"
grep -q "republished" "$work/replay.log" && fail "replay republished: $(head -3 "$work/replay.log")"

stop_all
no_forged_lines "$work"/{coordinator,producer,w1,w2}.log
echo "badinput volume $count: ok"
