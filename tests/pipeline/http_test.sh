#!/usr/bin/env bash
# The operator's view of a running system (issue 11 §3-§6), every program a real
# process: a throwaway PostgreSQL, `sigmactl broker`, fakeprov over http, one
# sigma-producer, one sigma-coordinator, two sigma-workers, each serving HTTP
# on 127.0.0.1 at a port it picks (serve.port=0; the log's "http: listening on"
# line says which). Clients: curl, promtool, headless Chromium, sigmactl status.
#   http_test.sh BINDIR FAKEPROV SOURCE_DIR CASE [ARTIFACTS_DIR]
#   CASE: endpoints  every endpoint of every program during and after a night
#                    (/healthz, /readyz, /metrics through promtool, /, /runs,
#                    /runs/{id}, /symbols/{symbol}/status, 404, 405, HEAD), the
#                    page in Chromium during the run (DOM read, screenshot saved
#                    to ARTIFACTS_DIR), `sigmactl status` in its three forms
#                    against the live system, JSON log lines, no secret in a log
#         readiness  /readyz of every program goes 503 when PostgreSQL stops and
#                    200 when it returns, /healthz stays 200 throughout
# Every condition is awaited with a deadline.
set -euo pipefail
bin=$1
fakeprov=$2
src=$3
case_=$4
artifacts=${5:-}
. "$src/tests/fixtures/fakeprov.sh"
. "$src/tests/pipeline/lib.sh" "$src" http-test
prog=()
trap 'for p in "${prog[@]}"; do kill -9 "$p" 2>/dev/null || true; done; fakeprov_stop >/dev/null 2>&1 || true; lib_cleanup' EXIT
LOG_TAIL=12
D=2025-07-15
KX=(-X session.timeout.ms=6000)
HX=(-X serve.address=127.0.0.1 -X serve.port=0)
SECRET=Hunter2Secret # a password on every program's conninfo: no log may show it
OK_SYMS=(AAA BBB CCC DDD EEE FFF)
HANG_S=0

# ---- the system -------------------------------------------------------------------
spawn() { # NAME PROGRAM ARGS...: stderr to NAME.log
    local name=$1
    shift
    "$@" 2>>"$work/$name.log" >/dev/null &
    prog+=($!)
    pids+=($!)
}
port_of() { sed -n 's/.*http: listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$1.log" | tail -1; }
listening() { [[ -n $(port_of "$1") ]]; }
start_system() { # [extra worker -X ...]
    start_pg
    "$bin/sigmactl" migrate up -d "$ci" >/dev/null
    db="$ci password=$SECRET"
    fakeprov_start "$fakeprov" "$work" --hang-s "${HANG_S:-0}" || fail "fakeprov"
    mapfile -t PX < <(fakeprov_urls)
    PX+=(-X provider.order=yahoo -X http.retries=1 -X http.backoff_ms=50 -X provider.yahoo.rate=1000
         -X provider.yahoo.burst=1000)
    start_broker "$bin/sigmactl" 4
    spawn coordinator "$bin/sigma-coordinator" -d "$db" -v "${KX[@]}" "${HX[@]}" -X coordinator.poll_ms=200
    spawn producer "$bin/sigma-producer" -d "$db" -v "${HX[@]}" -X producer.poll_ms=200
    spawn w1 "$bin/sigma-worker" -d "$db" --id w1 -v "${KX[@]}" "${HX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}" \
        -X log.format=json
    spawn w2 "$bin/sigma-worker" -d "$db" --id w2 -v "${KX[@]}" "${HX[@]}" -X worker.batch_wait_ms=100 "${PX[@]}"
    for p in coordinator producer w1 w2; do
        await 30 listening $p || fail "$p: no 'http: listening on' line"
        eval "port_$p=$(port_of $p)"
    done
}
url() { local v="port_$1"; echo "http://127.0.0.1:${!v}$2"; }

# http PROGRAM PATH [curl args...]: sets code and body (the reply's status and text).
http() {
    local p=$1 path=$2
    shift 2
    code=$(curl -sS -o "$work/body" -w '%{http_code}' "$@" "$(url "$p" "$path")") || code=000
    body=$(cat "$work/body" 2>/dev/null || true)
}
expect() { # STATUS PROGRAM PATH [curl args...]
    local want=$1
    shift
    http "$@"
    [[ $code == "$want" ]] || fail "$2 $3 ${*:3}: HTTP $code, expected $want: $body"
}
ready() { http "$1" /readyz && [[ $code == 200 ]]; }
not_ready() { http "$1" /readyz && [[ $code == 503 ]]; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/body" "$1"; }
metric() { # PROGRAM PROMQL-LIKE-PREFIX: the sum of the samples whose line starts with it
    curl -sS "$(url "$1" /metrics)" | awk -v p="$2" 'index($0, p) == 1 { s += $NF } END { print s + 0 }'
}
run_id() { q "SELECT batch_run_id FROM sigma_runs ORDER BY created_at DESC LIMIT 1"; }
run_opened() { [[ -n $(run_id) ]]; } # a function: await runs it anew each time
closed() { is "SELECT closed_at IS NOT NULL FROM sigma_runs WHERE batch_run_id = '$run'" t; }
in_prices() { is "SELECT phase FROM sigma_runs WHERE batch_run_id = '$run'" prices; }

# ---- endpoints --------------------------------------------------------------------------
case_endpoints() {
    HANG_S=10
    start_system
    for p in coordinator producer w1 w2; do
        expect 200 $p /healthz
        [[ $body == ok ]] || fail "$p /healthz body: $body"
        await 60 ready $p || fail "$p never ready: $body"
        [[ $body == ready ]] || fail "$p /readyz body: $body"
        expect 404 $p /nope
        [[ $body == *"/nope"* ]] || fail "$p 404 does not name the path: $body"
        for m in POST PUT DELETE; do
            expect 405 $p /metrics -X $m
            grep -qi '^allow: GET, HEAD' <(curl -sS -D - -o /dev/null -X $m "$(url $p /metrics)") ||
                fail "$p: 405 without Allow"
        done
        [[ -z $(curl -sS -I "$(url $p /healthz)" -o /dev/null -w '%{size_download}') ||
            $(curl -sS -I "$(url $p /healthz)" -o /dev/null -w '%{size_download}') == 0 ]] || fail "$p: HEAD with a body"
    done
    expect 405 coordinator /runs -X POST
    expect 404 coordinator /runs/nightly-1999-01-01-r1
    [[ $(json 'd["error"]') == *"no run"* ]] || fail "/runs/{missing}: $body"
    expect 404 coordinator /symbols/AAA
    expect 404 coordinator /symbols/AAA/other

    echo "== a night: ${OK_SYMS[*]}, R429 (one 429 first), NXBAD (unknown), HANG (holds prices 2 x $HANG_S s)"
    local syms
    syms=$(IFS=,; echo "${OK_SYMS[*]},R429,NXBAD,HANG")
    "$bin/sigmactl" run --date $D --symbols "$syms" -d "$ci" >/dev/null || fail "sigmactl run"
    await 30 run_opened || fail "no run opened"
    run=$(run_id)
    # The page during the run, in a real browser: HANG holds the prices phase open.
    await 30 is "SELECT count(outcome) >= 1 FROM sigma_run_outcomes WHERE batch_run_id = '$run' AND phase = 'prices'" t ||
        fail "prices outcomes did not come"
    in_prices || fail "the run left prices before the browser looked: HANG did not hold it"
    browse "$(url coordinator /)" "$work/dom.html" "${artifacts:+$artifacts/status-page.png}"
    in_prices || fail "the run left prices while the browser looked"
    dom_checks "$work/dom.html"

    await 120 closed || fail "run $run not closed: $(q "SELECT phase, count(outcome), count(*) FROM sigma_run_outcomes GROUP BY 1")"
    echo "run $run closed: $(q "SELECT status, completed_jobs, failed_jobs FROM batch_run_history WHERE batch_run_id = '$run'")"

    echo "== the coordinator's JSON"
    expect 200 coordinator /runs
    [[ $(json 'd["runs"][0]["id"]') == "$run" ]] || fail "/runs: $body"
    expect 200 coordinator "/runs/$run"
    [[ $(json 'd["run"]["closed"]') == True ]] || fail "/runs/{id} closed: $body"
    [[ $(json '(d["phases"]["prices"]["ok"], d["phases"]["prices"]["failed"], d["phases"]["prices"]["pending"])') == \
        "($(( ${#OK_SYMS[@]} + 1 + 8 )), 2, 0)" ]] || fail "/runs/{id} prices counts: $(json 'd["phases"]["prices"]')"
    [[ $(json 'sorted(f["symbol"] for f in d["failures"]["items"] if f["phase"] == "prices")') == "['HANG', 'NXBAD']" ]] ||
        fail "/runs/{id} failures: $(json 'd["failures"]')"
    [[ $(json '[f["reason"] for f in d["failures"]["items"] if f["symbol"] == "HANG"][0]') == *504* ]] ||
        fail "HANG's reason: $(json 'd["failures"]')"
    [[ $(json 'd["workers"]["alive"]') == 2 ]] || fail "/runs/{id} workers: $(json 'd["workers"]')"
    symbol_status AAA ready
    symbol_status NXBAD pending # in symbol_universe (the run registered it) without factor rows
    symbol_status ZZZQ unknown
    symbol_status "A%27B%3BDROP%20TABLE%20x" unknown 400
    [[ $(json 'd["message"]') != "" ]] || fail "an invalid symbol's status has no reason"
    symbol_status "$(printf 'X%.0s' {1..30})" unknown 400

    echo "== /metrics of every program, through promtool"
    for p in coordinator producer w1 w2; do
        curl -sS "$(url $p /metrics)" >"$work/$p.prom"
        grep -qi '^content-type: text/plain; version=0.0.4' <(curl -sS -D - -o /dev/null "$(url $p /metrics)") ||
            fail "$p /metrics content type"
        promtool check metrics <"$work/$p.prom" >"$work/promtool.out" 2>&1 ||
            fail "$p /metrics: promtool: $(cat "$work/promtool.out")"
        grep -q "^sigma_build_info{program=\"sigma-$( [[ $p == w* ]] && echo worker || echo $p)\"" "$work/$p.prom" ||
            fail "$p: no sigma_build_info"
    done
    local consumed outcomes failed
    consumed=$(( $(metric w1 'sigma_messages_consumed_total{topic="sigma.tasks"}') + $(metric w2 'sigma_messages_consumed_total{topic="sigma.tasks"}') ))
    ((consumed >= 17)) || fail "tasks consumed by the workers: $consumed"
    outcomes=$(( $(metric w1 'sigma_outcomes_total{phase="prices"') + $(metric w2 'sigma_outcomes_total{phase="prices"') ))
    ((outcomes >= 17)) || fail "prices outcomes counted by the workers: $outcomes"
    failed=$(( $(metric w1 'sigma_outcomes_total{phase="prices",outcome="failed"') + $(metric w2 'sigma_outcomes_total{phase="prices",outcome="failed"') ))
    ((failed >= 2)) || fail "failed prices outcomes: $failed"
    (( $(metric w1 'sigma_provider_requests_total{provider="yahoo",status="429"}') + $(metric w2 'sigma_provider_requests_total{provider="yahoo",status="429"}') >= 1 )) ||
        fail "no 429 counted: $(grep provider "$work/w1.prom" "$work/w2.prom")"
    (( $(metric w1 'sigma_provider_retries_total{provider="yahoo",status="429"}') + $(metric w2 'sigma_provider_retries_total{provider="yahoo",status="429"}') >= 1 )) ||
        fail "no retry of the 429 counted"
    (( $(metric w1 'sigma_provider_requests_total{provider="yahoo",status="200"}') + $(metric w2 'sigma_provider_requests_total{provider="yahoo",status="200"}') >= 7 )) ||
        fail "200s not counted"
    (( $(metric w1 'sigma_batch_messages_count') + $(metric w2 'sigma_batch_messages_count') >= 2 )) || fail "no batch observed"
    grep -q '^sigma_phase_duration_seconds_bucket{phase="factors",le="+Inf"}' "$work/w1.prom" "$work/w2.prom" ||
        fail "no factors duration histogram"
    grep -q '^sigma_consumer_lag{topic="sigma.tasks",partition="[0-9]*"} 0$' "$work/w1.prom" "$work/w2.prom" ||
        fail "no lag per partition: $(grep lag "$work/w1.prom")"
    (( $(metric w1 'sigma_consumer_assigned_partitions') + $(metric w2 'sigma_consumer_assigned_partitions') == 8 )) ||
        fail "assigned partitions (2 topics x 4)"
    (( $(metric coordinator 'sigma_events_total{result="new"}') >= 27 )) || fail "coordinator: new events"
    (( $(metric coordinator 'sigma_outcomes_recorded_total{phase="prices",outcome="failed"') == 2 )) ||
        fail "coordinator: recorded failed prices outcomes"
    (( $(metric coordinator 'sigma_runs_closed_total') == 1 )) || fail "coordinator: runs closed"
    (( $(metric producer 'sigma_messages_produced_total{topic="sigma.tasks",result="acknowledged"}') >= 17 )) ||
        fail "producer: tasks acknowledged"

    echo "== sigmactl status against the live system (plain, terminal, JSON)"
    "$bin/sigmactl" status -d "$ci" >"$work/status.txt" || fail "sigmactl status"
    grep -q "^run $run" "$work/status.txt" || fail "status: $(head -3 "$work/status.txt")"
    grep -q "^phase prices: .*failed 2 pending 0" "$work/status.txt" || fail "status prices: $(cat "$work/status.txt")"
    grep -q "^worker w1 .*alive" "$work/status.txt" || fail "status workers: $(cat "$work/status.txt")"
    script -qfec "$bin/sigmactl status $run -d '$ci'" /dev/null >"$work/status.tty" || fail "status on a terminal"
    grep -q '\[' "$work/status.tty" && grep -q '#' "$work/status.tty" || fail "no progress bar on a terminal"
    "$bin/sigmactl" status --json "$run" -d "$ci" >"$work/body" || fail "status --json"
    [[ $(json 'd["run"]["id"]') == "$run" && $(json 'd["phases"]["metrics"]["state"]') == done ]] || fail "status --json"

    echo "== logs: JSON lines from w1, context fields, no secret anywhere"
    python3 - "$work/w1.log" <<'PY' || fail "w1's JSON log"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
objs = [json.loads(l) for l in lines]           # every line parses
assert all({"time", "level", "program", "message"} <= o.keys() for o in objs), "a line without its fields"
assert all(o["program"] == "sigma-worker" for o in objs)
ctx = [o for o in objs if "run" in o and "phase" in o]
assert ctx, "no line with run and phase"
PY
    grep -q '"symbol":"\(NXBAD\|HANG\)","message":"failed: ' "$work/w1.log" ||
        grep -q " symbol=\(NXBAD\|HANG\): failed: " "$work/w2.log" || fail "no line for a failed symbol"
    grep -q "^20[0-9-]*T[0-9:.]*Z info sigma-coordinator run=$run" "$work/coordinator.log" ||
        fail "the coordinator's text lines lack time and run"
    ! grep -l "$SECRET" "$work"/*.log || fail "the password is in a log"
    no_sanitizer_report
    stop_all
}

# ---- the page in a real browser ---------------------------------------------------------
# browse URL DOM_OUT [SCREENSHOT]: headless Chromium renders the page; the DOM it built is saved.
browse() {
    local flags=(--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
                 --user-data-dir="$work/chromium" --window-size=1280,1000)
    timeout 60 chromium "${flags[@]}" --dump-dom "$1" >"$2" 2>"$work/chromium.log" ||
        fail "chromium --dump-dom: $(tail -5 "$work/chromium.log")"
    if [[ -n ${3:-} ]]; then
        mkdir -p "$(dirname "$3")"
        timeout 60 chromium "${flags[@]}" --screenshot="$3" "$1" >>"$work/chromium.log" 2>&1 ||
            fail "chromium --screenshot"
        [[ -s $3 ]] || fail "no screenshot"
        echo "screenshot: $3"
    fi
}
dom_checks() {
    python3 - "$1" "$run" <<'PY' || fail "the page's DOM: $(head -c 600 "$1")"
import sys
from html.parser import HTMLParser
els = []
class P(HTMLParser):
    def handle_starttag(self, tag, attrs):
        els.append((tag, dict(attrs)))
P().feed(open(sys.argv[1]).read())
by_id = {a.get("id"): (t, a) for t, a in els if a.get("id")}
run = by_id["run"][1]
assert run["data-run"] == sys.argv[2], run
assert run["data-closed"] == "false", "the browser saw the run closed: not during the run"
prices = by_id["phase-prices"][1]
assert prices["data-state"] == "running", prices
assert int(prices["data-pending"]) >= 1 and int(prices["data-done"]) + int(prices["data-failed"]) >= 1, prices
assert by_id["phase-factors"][1]["data-state"] == "waiting"
assert "failures" in by_id and "queue" in by_id and "workers" in by_id and "runs" in by_id
assert any(t == "meta" and a.get("http-equiv") == "refresh" for t, a in els), "no self-refresh"
assert not any(t in ("script", "link", "img", "iframe") for t, a in els), "an external asset or script"
PY
}

# symbol_status PATH-SYMBOL STATUS [HTTP-STATUS: 200; 400 for an invalid symbol]
symbol_status() {
    expect "${3:-200}" coordinator "/symbols/$1/status"
    [[ $(json 'd["status"]') == "$2" ]] || fail "/symbols/$1/status: $body, expected $2"
    [[ $(json 'sorted(d.keys())') == "['estimated_seconds', 'message', 'status', 'symbol']" ]] ||
        fail "/symbols/$1/status fields: $body"
}

stop_all() {
    local p
    for p in "${prog[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${prog[@]}"; do wait "$p" || fail "process $p: exit code after SIGTERM"; done
    prog=()
    is "SELECT count(*) FROM sigma_workers" 0 || fail "a stopped worker is still in sigma_workers"
}

# ---- readiness follows PostgreSQL ---------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
pg_ctl() { "${as_pg[@]}" "$pgbin/pg_ctl" -D "$work/pg/data" -l "$work/pg/server.log" -w "$@" >/dev/null; }
case_readiness() {
    start_system
    for p in coordinator producer w1 w2; do await 60 ready $p || fail "$p never ready: $body"; done
    local sock port
    sock=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$ci")
    port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$ci")
    echo "== PostgreSQL stops"
    pg_ctl stop -m fast
    for p in coordinator producer w1 w2; do
        await 30 not_ready $p || fail "$p still ready with PostgreSQL stopped: $code $body"
        [[ $body == "not ready: PostgreSQL"* ]] || fail "$p: the reason does not name PostgreSQL: $body"
        expect 200 $p /healthz
    done
    expect 503 coordinator /runs
    echo "== PostgreSQL returns"
    pg_ctl start -o "-p $port -k $sock -c listen_addresses='' -c fsync=off"
    for p in coordinator producer w1 w2; do
        await 60 ready $p || fail "$p not ready again after PostgreSQL returned: $code $body"
    done
    expect 200 coordinator /runs
    no_sanitizer_report
    stop_all
}

case_"$case_"
echo "PASS $case_"
