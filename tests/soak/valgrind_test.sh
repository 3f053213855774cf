#!/usr/bin/env bash
# soak.valgrind: a whole night with the producer, the coordinator and two
# workers each under valgrind (memcheck), then onboarding, then SIGTERM.
# The night is pipeline.e2e's (tests/pipeline/lib.sh: night_universe, check_run)
# on 60 stocks, with the prices from fakeprov over http (the product's path:
# libcurl's connections, the provider budget) rather than file:// URLs: the
# first night of a deployment, a year of history for every symbol, and every
# symbol served (LACKING is empty). After the night: two onboarding rows, one a
# new symbol (completed, with its factor rows), one no provider has (NX1:
# failed, with the providers' reason). Then
# SIGTERM to every program, and for each one:
#   * it exits 0: its own code (valgrind's --error-exitcode is 99);
#   * its valgrind log says "ERROR SUMMARY: 0 errors" (memory errors and, with
#     --errors-for-leak-kinds=definite, definite leaks) and "definitely lost"
#     appears nowhere in it;
#   * no descriptor is left open at exit but the three standard ones
#     (--track-fds=yes: a connection, socket or file not closed is a leak too).
# Only third-party libraries' one-time allocations are suppressed
# (valgrind.supp, each entry says why); never a frame of ours.
#   valgrind_test.sh BINDIR FAKEPROV SOURCE_DIR
# Timings: valgrind runs code 20-50 times slower and serializes threads, so the
# programs get librdkafka timeouts fit for it (KX below) and every await a
# longer deadline; nothing waits for a fixed time.
set -euo pipefail
bin=$1
fakeprov=$2
src=$3
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" soak-valgrind
# on a failure (a program's exit 99 in stop_all too), every valgrind log that reports errors, whole
vg_errors() { grep -L 'ERROR SUMMARY: 0 errors' "$work"/*.vg 2>/dev/null | xargs -r tail -n +1; }
trap 'rc=$?; ((rc == 0)) || vg_errors; fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT
LOG_TAIL=20
D=2025-07-15
NSTOCKS=60
LACKING=      # fakeprov serves every symbol of the run
NEW=NEWCO     # onboarded after the night: nobody registered it
RUN_S=600     # the night under valgrind (about a minute and a half here, quiet)
STOP_S=180    # SIGTERM to exit: the leak check of a big process takes a while
# session.timeout.ms: librdkafka's heartbeat thread is slowed down like everything else.
# max.poll.interval.ms: a batch under valgrind can take minutes between polls.
KX=(-X session.timeout.ms=60000 -X max.poll.interval.ms=600000)
# --fair-sched=yes: valgrind runs one thread at a time; its default lock lets a
# busy thread starve the others (librdkafka's broker and heartbeat threads).
# --track-fds=yes: descriptors open at exit are listed (checked below).
under=(valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect
       --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=yes --fair-sched=yes
       --num-callers=40 --suppressions="$src/tests/soak/valgrind.supp" --log-file="$work/%p.vg")

# opened_fds LOG: the descriptors open at exit that the program opened (valgrind
# lists each with the stack that opened it; those the shell passed down, and the
# log itself, say "<inherited from parent>").
opened_fds() {
  awk '/FILE DESCRIPTORS: /{on = 1; next} on && /Open (file descriptor|AF_)/{open = $0; next}
       on && open != "" && NF > 1 {if ($2 != "<inherited") print open; open = ""}
       /HEAP SUMMARY/{on = 0}' "$1"
}
# vg_clean NAME PID: the checks of the program's valgrind log.
vg_clean() {
  local f=$work/$2.vg
  [[ -s $f ]] || fail "$1: no valgrind log"
  grep -q 'ERROR SUMMARY: 0 errors' "$f" || fail "$1: valgrind reported errors"
  ! grep -q 'definitely lost in loss record' "$f" || { cat "$f"; fail "$1: memory definitely lost"; }
  grep -q 'definitely lost: 0 bytes in 0 blocks\|no leaks are possible' "$f" || { cat "$f"; fail "$1: no leak summary"; }
  [[ -z $(opened_fds "$f") ]] || { cat "$f"; fail "$1: descriptors open at exit: $(opened_fds "$f")"; }
  echo "$1: $(grep -o 'ERROR SUMMARY: .*' "$f" | head -1); $(grep -o 'in use at exit: .*' "$f");" \
    "$(grep -o 'total heap usage: .*' "$f"); $(grep -o 'suppressed: [0-9,]* bytes in [0-9,]* blocks' "$f")"
}
onboarded() { is "SELECT count(*) FROM symbol_onboarding_queue WHERE status IN ('completed', 'failed')" 2; }

start_pg
night_universe
fakeprov_start "$fakeprov" "$work" || fail "fakeprov"
mapfile -t PX < <(fakeprov_urls)
PX+=(-X provider.order=yahoo -X provider.yahoo.rate=1000 -X provider.yahoo.burst=100 -X onboarding.date=$D)
start_broker "$bin/sigmactl" 4

start_coordinator coordinator
start_worker w1
start_worker w2
await 300 assigned_all 8 "$work/w1.log" "$work/w2.log" ||
  fail "the workers never shared the 8 partitions (tasks and onboarding, 4 each)"
start_producer producer "${PX[@]}"
"$bin/sigmactl" run --date $D -d "$ci" >"$work/run.out" 2>>"$work/run.log" || fail "sigmactl run"
t_request=$(date +%s.%N)
await_run
await_finished
check_run

echo "== onboarding: $NEW (a new symbol) and NX1 (no provider has it)"
q "INSERT INTO symbol_onboarding_queue (symbol) VALUES ('$NEW'), ('NX1')"
await 300 onboarded || fail "onboarding: $(q "SELECT symbol, status FROM symbol_onboarding_queue")"
is "SELECT status FROM symbol_onboarding_queue WHERE symbol = '$NEW'" completed || fail "$NEW: $(q "SELECT status,
  error_message FROM symbol_onboarding_queue WHERE symbol = '$NEW'")"
(($(q "SELECT count(*) FROM symbol_factor_exposures WHERE symbol = '$NEW' AND calculation_date = '$D'") >= 3)) ||
  fail "$NEW has no factor rows"
is "SELECT status || ': ' || (error_message LIKE 'unknown symbol NX1: no price provider serves it%')
    FROM symbol_onboarding_queue WHERE symbol = 'NX1'" "failed: true" ||
  fail "NX1: $(q "SELECT status, error_message FROM symbol_onboarding_queue WHERE symbol = 'NX1'")"

echo "== SIGTERM: each exits 0, its valgrind log clean"
stop_all
for e in "${procs[@]}"; do vg_clean "${e%%:*}" "${e#*:}"; done
fakeprov_stop || fail "fakeprov did not exit cleanly"
echo "soak.valgrind: ok"
