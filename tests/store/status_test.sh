#!/usr/bin/env bash
# The operator's view (common/status, `sigmactl status`) against a throwaway PostgreSQL
# holding the state of status_seed.sql (two runs, outcomes with awkward reasons, a queue in
# every state, two workers); docs/status.md is the contract.
#   status_test.sh SIGMACTL STATUSTOOL SOURCE_DIR CASE
# CASE:
#   text       the plain lines exactly; the named run vs the latest; no such run, no run at
#              all, no server: exit 1 with the message
#   tty        through a terminal (script): bars and ANSI; --watch on a closed run: one redraw
#   json       --json parsed and its fields asserted (open and closed runs)
#   usage      bad command lines: exit 2 with the usage; --help
#   watch      --watch prints blocks until the run closes (closed from here once the first
#              block is out), keeps to its run when a newer one opens; --json --watch
#   interrupt  --watch on an open run ends with exit 0 on SIGINT
#   html       the page: every database value escaped, self-contained, its ids and data-*
#   runs       /runs: newest first, the limit
#   symbol     /symbols/{symbol}/status: ready, processing, pending, error, unknown, invalid,
#              the estimate's rule
#   heartbeat  sg_status_heartbeat upserts, keeps started_at, prunes rows an hour old; leave
# Conditions are awaited with deadlines (await), never with a bare sleep.
set -euo pipefail
sigmactl=$1
statustool=$2
src=$3
case=$4
. "$src/tests/store/lib.sh" "$sigmactl" "$src"
"$sigmactl" migrate up -d "$ci" >/dev/null
OLD=nightly-2025-07-14-r1
RUN=nightly-2025-07-15-r2

# await SECONDS DESCRIPTION COMMAND...: polls COMMAND every 20 ms until it succeeds; fails at the deadline.
await() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    ((SECONDS < deadline)) || fail "gave up after $1 s waiting for: $what"
    sleep 0.02
  done
}
running() { kill -0 "$1" 2>/dev/null; }
not_running() { ! kill -0 "$1" 2>/dev/null; }
has_line() { grep -q -- "$2" "$1" 2>/dev/null; }
seed() { psql "$ci" -XAtq -v ON_ERROR_STOP=1 -f "$src/tests/store/status_seed.sql"; }
# st ARGS...: sigmactl status with stdout in $work/out, stderr in $work/err, the exit in rc.
st() {
  set +e
  "$sigmactl" status "$@" >"$work/out" 2>"$work/err"
  rc=$?
  set -e
  clean "$work/err"
}
# No sanitizer report in a program's stderr.
clean() { ! grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1" || { cat "$1"; fail "sanitizer report"; }; }
show() { echo "--- stdout"; cat "$work/out"; echo "--- stderr"; cat "$work/err"; }
expect() { [[ $rc == "$1" ]] || { show; fail "exit $rc, expected $1"; }; }
py() { python3 -c "$1" "$2" || fail "$3"; }

case_text() {
  echo "== no run at all"
  st -d "$ci"
  expect 1
  grep -qx 'sigmactl status: no run recorded yet' "$work/err" || { show; fail "no-run message"; }
  seed
  echo "== the latest run, plain lines"
  st -d "$ci"
  expect 0
  # What changes from second to second: the running phase's elapsed time, the workers' ages.
  sed -E 's/running [0-9]+\.[0-9]s$/running Ts/; s/ seen [0-9]+s ago / seen Ns ago /' "$work/out" >"$work/norm"
  cat >"$work/want" <<'EOF'
run nightly-2025-07-15-r2 date 2025-07-15 phase factors status running
created 2025-07-15T22:00:00Z
phase prices: ok 3 failed 2 pending 0 total 5 done 3.2s
phase factors: ok 1 failed 1 pending 2 total 4 running Ts
phase metrics: ok 0 failed 0 pending 4 total 4 waiting
bulk days 3 ok 1 failed 1 pending 1 symbols waiting 0
failed prices BBB: <script>alert(1)</script>
failed prices CCC: he said "no" & it's 'bad' second line
failed factors BBB: ridge: Insufficient aligned data: 19 days
failures 3 shown 3
queue pending 2 processing 1 completed 2 failed 1
queue failed ZZZZ at 2025-07-15T21:00:02Z: unknown symbol ZZZZ: <b>no</b> provider serves it
worker hostA:101 alive pid 101 host hostA http 127.0.0.1:40123 seen Ns ago lag 12 partitions sigma.tasks/0,sigma.tasks/1
worker hostB:202 gone pid 202 host hostB http - seen Ns ago lag 100 partitions sigma.tasks/2
workers alive 1 gone 1 lag 12
EOF
  diff "$work/want" "$work/norm" || fail "plain text of the latest run"
  elapsed=$(sed -nE 's/^phase factors: .* running ([0-9.]+)s$/\1/p' "$work/out")
  awk -v e="$elapsed" 'BEGIN { exit !(e >= 2 && e < 60) }' || fail "factors elapsed $elapsed s (it started 2 s before)"
  grep -qE '^worker hostB:202 gone .* seen (6[0-9]|[7-9][0-9])s ago ' "$work/out" || fail "hostB seen a minute ago"
  [[ -s $work/err ]] && { show; fail "stderr not empty"; }

  echo "== a named run (closed)"
  st "$OLD" -d "$ci"
  expect 0
  head -8 "$work/out" >"$work/norm"
  cat >"$work/want" <<'EOF'
run nightly-2025-07-14-r1 date 2025-07-14 phase done status completed
created 2025-07-14T22:00:00Z
closed 2025-07-14T22:00:09Z
jobs total 6 ok 6 failed 0
phase prices: ok 2 failed 0 pending 0 total 2 done 4.5s
phase factors: ok 2 failed 0 pending 0 total 2 done 3.2s
phase metrics: ok 2 failed 0 pending 0 total 2 done 1.8s
failures 0 shown 0
EOF
  diff "$work/want" "$work/norm" || fail "plain text of the named run"
  st "$RUN" -d "$ci"
  expect 0
  grep -q '^run nightly-2025-07-15-r2 ' "$work/out" || fail "the named latest run"

  echo "== no such run, no server"
  st nightly-1999-01-01-r9 -d "$ci"
  expect 1
  [[ ! -s $work/out ]] || fail "stdout for a missing run"
  grep -qx "sigmactl status: no run 'nightly-1999-01-01-r9'" "$work/err" || { show; fail "missing-run message"; }
  st "x'; DROP TABLE sigma_runs; --" -d "$ci"
  expect 1
  [[ $(q "SELECT count(*) FROM sigma_runs") == 2 ]] || fail "the run id reached the SQL"
  st -d "host=$work/nowhere port=1"
  expect 1
  grep -q '^sigmactl status: connect' "$work/err" || { show; fail "connection message"; }
}

case_tty() {
  seed
  echo "== on a terminal: bars"
  script -qfec "$sigmactl status -d '$ci'" /dev/null >"$work/out" 2>"$work/err" || { show; fail "status on a terminal"; }
  clean "$work/out"
  tr -d '\r' <"$work/out" >"$work/tty"
  grep -qF '  prices   [##################!!!!!!!!!!!!] 100%' "$work/tty" || { cat -v "$work/tty"; fail "prices bar"; }
  grep -qF '  factors  [#######!!!!!!!!...............]  50%' "$work/tty" || { cat -v "$work/tty"; fail "factors bar"; }
  grep -qF '  metrics  [..............................]   0%' "$work/tty" || { cat -v "$work/tty"; fail "metrics bar"; }
  sed 's/\x1b\[[0-9;]*m//g' "$work/tty" | grep -qF '  bulk     3 day(s): ok 1  failed 1  pending 1; 0 symbol(s) waiting for one' ||
    { cat -v "$work/tty"; fail "bulk days line"; }
  grep -qF $'\033[1mrun nightly-2025-07-15-r2' "$work/tty" || { cat -v "$work/tty"; fail "bold run line"; }
  ! grep -q '^phase ' "$work/tty" || fail "plain lines on a terminal"
  echo "== --watch on a terminal, a closed run: one redraw, exit 0"
  script -qfec "$sigmactl status $OLD --watch --interval 0.1 -d '$ci'" /dev/null >"$work/out" 2>"$work/err" ||
    { show; fail "--watch of a closed run on a terminal"; }
  grep -qF $'\033[H\033[2J' "$work/out" || { cat -v "$work/out"; fail "no clear before the redraw"; }
  [[ $(grep -c 'prices   \[' "$work/out") == 1 ]] || { cat -v "$work/out"; fail "a closed run is drawn once"; }
}

case_json() {
  seed
  st --json -d "$ci"
  expect 0
  py '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["run"]
assert r["id"] == "nightly-2025-07-15-r2" and r["status"] == "running" and r["closed"] is False, r
assert r["calc_date"] == "2025-07-15" and r["phase"] == "factors" and r["closed_at"] is None, r
assert r["created_at"] == "2025-07-15T22:00:00Z" and r["error_summary"]["batch_type"] == "nightly", r
p = j["phases"]
assert list(p) == ["prices", "factors", "metrics"], list(p)
assert p["prices"] == {"state": "done", "total": 5, "ok": 3, "failed": 2, "pending": 0,
    "started_at": "2025-07-15T22:00:00Z", "finished_at": p["factors"]["started_at"], "seconds": 3.214}, p["prices"]
f = p["factors"]
assert (f["state"], f["total"], f["ok"], f["failed"], f["pending"]) == ("running", 4, 1, 1, 2), f
assert 2 <= f["seconds"] < 60 and f["finished_at"] is None, f
m = p["metrics"]
assert (m["state"], m["total"], m["pending"], m["started_at"], m["seconds"]) == ("waiting", 4, 4, None, None), m
assert j["bulk_days"] == {"days": 3, "ok": 1, "failed": 1, "pending": 1, "symbols_waiting": 0}, j["bulk_days"]
fl = j["failures"]
assert fl["total"] == 3 and len(fl["items"]) == 3, fl
assert fl["items"][0] == {"phase": "prices", "symbol": "BBB", "reason": "<script>alert(1)</script>"}, fl
assert fl["items"][1]["reason"] == "he said \"no\" & it'"'"'s '"'"'bad'"'"'\nsecond line", fl
assert fl["items"][2]["phase"] == "factors", fl
q = j["queue"]
assert (q["pending"], q["processing"], q["completed"], q["failed"], q["other"]) == (2, 1, 2, 1, 0), q
assert q["failures"] == [{"symbol": "ZZZZ", "message": "unknown symbol ZZZZ: <b>no</b> provider\nserves it",
    "at": "2025-07-15T21:00:02Z"}], q
w = j["workers"]
assert (w["alive_within_seconds"], w["alive"], w["gone"], w["lag_total"]) == (15, 1, 1, 12), w
a, b = w["members"]
assert a["id"] == "hostA:101" and a["alive"] is True and a["pid"] == 101 and a["http"] == "127.0.0.1:40123", a
assert a["partitions"] == ["sigma.tasks/0", "sigma.tasks/1"], a
assert a["lag"] == {"sigma.tasks/0": 5, "sigma.tasks/1": 7} and a["lag_total"] == 12, a
assert b["alive"] is False and b["http"] is None and b["seen_seconds_ago"] >= 60, b
assert [x["id"] for x in j["runs"]] == ["nightly-2025-07-15-r2", "nightly-2025-07-14-r1"], j["runs"]
' "$work/out" "json of the latest run"
  st "$OLD" --json -d "$ci"
  expect 0
  py '
import json, sys
j = json.load(open(sys.argv[1]))
r = j["run"]
assert r["status"] == "completed" and r["closed"] is True and r["closed_at"] == "2025-07-14T22:00:09Z", r
assert (r["total_jobs"], r["completed_jobs"], r["failed_jobs"]) == (6, 6, 0), r
p = j["phases"]
assert [p[k]["seconds"] for k in p] == [4.5, 3.25, 1.75], p
assert all(p[k]["state"] == "done" and p[k]["pending"] == 0 for k in p), p
assert p["prices"]["started_at"] == "2025-07-14T22:00:00Z" and p["prices"]["finished_at"] == "2025-07-14T22:00:04Z", p
assert p["factors"]["finished_at"] == "2025-07-14T22:00:07Z" and p["metrics"]["finished_at"] == "2025-07-14T22:00:09Z", p
assert j["failures"] == {"total": 0, "items": []}, j["failures"]
assert j["bulk_days"] == {"days": 0, "ok": 0, "failed": 0, "pending": 0, "symbols_waiting": 0}, j["bulk_days"]
' "$work/out" "json of the closed run"
}

case_usage() {
  for args in "--bogus" "a b" "--interval" "--interval 0 --watch" "--interval abc --watch" "--interval 5" "''" \
    "--interval 3601 --watch"; do
    eval "st $args -d \"\$ci\""
    expect 2
    grep -q '^usage: sigmactl status' "$work/err" || { show; fail "no usage for: $args"; }
    grep -q '^sigmactl status: ' "$work/err" || { show; fail "no message for: $args"; }
  done
  grep -q "'3601'" "$work/err" || fail "the bad value is not named"
  st --help
  expect 0
  grep -q '^usage: sigmactl status' "$work/out" || fail "--help on stdout"
  "$sigmactl" --help | grep -q '^  status \[RUN\]' || fail "status not in sigmactl's usage"
}

# Closes the latest run as sg_runs_check would: every outcome ok, phase done, completed.
close_run() {
  psql "$ci" -XAtq -v ON_ERROR_STOP=1 <<EOF
BEGIN;
UPDATE sigma_run_outcomes SET outcome = 'ok', recorded_at = now() WHERE batch_run_id = '$RUN' AND outcome IS NULL;
INSERT INTO sigma_run_outcomes (batch_run_id, phase, symbol, outcome, recorded_at)
  SELECT '$RUN', 'metrics', s, 'ok', now() FROM unnest('{AAA,BBB,CCC,DDD}'::text[]) s;
UPDATE sigma_runs SET phase = 'done', closed_at = now() WHERE batch_run_id = '$RUN';
UPDATE batch_run_history SET status = 'completed', completed_at = now(), total_jobs = 13, completed_jobs = 11,
  failed_jobs = 2, phase_durations = phase_durations || '{"factors": 1.5, "metrics": 0.5}' WHERE batch_run_id = '$RUN';
COMMIT;
EOF
}

case_watch() {
  seed
  echo "== --watch (plain): a block per look until the run closes"
  "$sigmactl" status --watch --interval 0.2 -d "$ci" >"$work/out" 2>"$work/err" &
  pid=$!
  await 20 "the first block" has_line "$work/out" '^workers alive '
  # A newer run opens meanwhile: the watch keeps to the run it showed first.
  q "INSERT INTO sigma_runs (batch_run_id, calc_date, phase) VALUES ('nightly-2025-07-16-r3', '2025-07-16', 'prices')"
  await 20 "a second block" has_line "$work/out" '^$'
  running "$pid" || { show; fail "the watch ended while the run is open"; }
  close_run
  await 20 "the watch to end" not_running "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  clean "$work/err"
  expect 0
  ! grep -q 'nightly-2025-07-16-r3' "$work/out" || { show; fail "the watch moved to the newer run"; }
  blocks=$(grep -c '^run nightly-2025-07-15-r2 ' "$work/out")
  ((blocks >= 2)) || { show; fail "$blocks blocks"; }
  # Every block but the first follows a blank line; the last shows the run closed.
  [[ $(grep -B1 '^run ' "$work/out" | grep -c '^$') == $((blocks - 1)) ]] || { show; fail "blocks not separated"; }
  awk '/^run /{b=""} {b=b $0 "\n"} END{printf "%s", b}' "$work/out" >"$work/last"
  grep -qx 'run nightly-2025-07-15-r2 date 2025-07-15 phase done status completed' "$work/last" || fail "last block: status"
  grep -qx 'phase metrics: ok 4 failed 0 pending 0 total 4 done 0.5s' "$work/last" || { cat "$work/last"; fail "last block: metrics"; }
  [[ $(grep -c '^run .* status completed' "$work/out") == 1 ]] || fail "the closed run shown more than once"

  echo "== --json --watch of a closed run: one document"
  st "$RUN" --json --watch -d "$ci"
  expect 0
  py 'import json, sys; j = json.load(open(sys.argv[1])); assert j["run"]["closed"] is True' "$work/out" "json watch"
}

case_interrupt() {
  seed
  "$sigmactl" status --watch --interval 0.5 -d "$ci" >"$work/out" 2>"$work/err" &
  pid=$!
  await 20 "the first block" has_line "$work/out" '^workers alive '
  kill -INT "$pid"
  await 10 "the watch to end on SIGINT" not_running "$pid"
  set +e
  wait "$pid"
  rc=$?
  set -e
  clean "$work/err"
  expect 0
}

case_html() {
  seed
  # A run id with markup in it (sigma_runs takes any text; the page must not).
  q "INSERT INTO sigma_runs (batch_run_id, calc_date, phase, created_at, closed_at) VALUES
     ('<i>x</i>\"''', '2025-07-01', 'done', '2025-07-01', '2025-07-01')"
  "$statustool" html "$ci" >"$work/page.html" 2>"$work/err" || { cat "$work/err"; fail "statustool html"; }
  clean "$work/err"
  page=$work/page.html
  ! grep -qi '<script' "$page" || fail "a raw <script> on the page"
  grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$page" || fail "the reason is not escaped"
  grep -qF 'he said &quot;no&quot; &amp; it&#39;s &#39;bad&#39; second line' "$page" || fail "quotes not escaped"
  grep -qF '&lt;i&gt;x&lt;/i&gt;&quot;&#39;' "$page" || fail "the run id is not escaped"
  ! grep -qE 'https?://|src=|<link|url\(|@import|<iframe|<object|<img' "$page" || fail "an external asset"
  grep -qF '<meta http-equiv="refresh" content="2">' "$page" || fail "meta refresh"
  py '
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(s):
        super().__init__(); s.ids = {}; s.rows = {}; s.stack = []; s.text = {}
    def handle_starttag(s, tag, attrs):
        a = dict(attrs)
        if "id" in a: s.ids[a["id"]] = a
        for c in (a.get("class") or "").split(): s.rows.setdefault(c, []).append(a)
        s.stack.append(a.get("class"))
    def handle_endtag(s, tag):
        if s.stack: s.stack.pop()
    def handle_data(s, d):
        if s.stack and s.stack[-1] == "reason": s.text.setdefault("reason", []).append(d)
p = P(); p.feed(open(sys.argv[1]).read())
i = p.ids
assert i["run"]["data-run"] == "nightly-2025-07-15-r2" and i["run"]["data-closed"] == "false", i["run"]
assert {k: i["phase-prices"][k] for k in ("data-state", "data-total", "data-done", "data-failed", "data-pending")} == \
    {"data-state": "done", "data-total": "5", "data-done": "3", "data-failed": "2", "data-pending": "0"}, i["phase-prices"]
assert (i["phase-factors"]["data-state"], i["phase-factors"]["data-pending"]) == ("running", "2"), i["phase-factors"]
assert (i["phase-metrics"]["data-state"], i["phase-metrics"]["data-pending"]) == ("waiting", "4"), i["phase-metrics"]
assert {k: i["bulk-days"][k] for k in ("data-days", "data-done", "data-failed", "data-pending", "data-waiting")} == \
    {"data-days": "3", "data-done": "1", "data-failed": "1", "data-pending": "1", "data-waiting": "0"}, i["bulk-days"]
assert i["failures"]["data-total"] == "3" and len(p.rows["failure"]) == 3, p.rows.get("failure")
assert [(r["data-phase"], r["data-symbol"]) for r in p.rows["failure"]] == [("prices", "BBB"), ("prices", "CCC"), ("factors", "BBB")]
assert "<script>alert(1)</script>" in p.text["reason"], p.text["reason"]
assert (i["queue"]["data-pending"], i["queue"]["data-processing"], i["queue"]["data-failed"]) == ("2", "1", "1"), i["queue"]
assert [r["data-symbol"] for r in p.rows["queue-failure"]] == ["ZZZZ"]
assert (i["workers"]["data-alive"], i["workers"]["data-gone"], i["workers"]["data-lag"]) == ("1", "1", "12"), i["workers"]
assert [(r["data-id"], r["data-alive"], r["data-lag"]) for r in p.rows["worker"]] == \
    [("hostA:101", "true", "12"), ("hostB:202", "false", "100")], p.rows["worker"]
assert [r["data-run"] for r in p.rows["run"]] == ["nightly-2025-07-15-r2", "nightly-2025-07-14-r1", "<i>x</i>\"'"'"'"]
' "$page" "the page's elements"
  echo "== the refresh hint"
  "$statustool" html "$ci" "$OLD" 0 >"$work/closed.html"
  ! grep -q 'http-equiv' "$work/closed.html" || fail "refresh 0 still refreshes"
  grep -qF 'data-closed="true"' "$work/closed.html" || fail "the closed run"
  "$statustool" html "$ci" - '5; url=http://example.com' >"$work/odd.html"
  grep -qF '<meta http-equiv="refresh" content="2">' "$work/odd.html" || fail "a hint that is not seconds"
  ! grep -q 'example.com' "$work/odd.html" || fail "the hint reached the page"
  echo "== no run yet: a page all the same"
  q "TRUNCATE sigma_runs CASCADE"
  "$statustool" html "$ci" >"$work/empty.html" || fail "page without a run"
  grep -qF 'No run recorded yet' "$work/empty.html" || fail "no-run page"
  grep -qF 'id="workers"' "$work/empty.html" || fail "no-run page: workers"
}

case_runs() {
  seed
  "$statustool" runs "$ci" 10 >"$work/out" || fail "runs 10"
  py '
import json, sys
r = json.load(open(sys.argv[1]))["runs"]
assert [x["id"] for x in r] == ["nightly-2025-07-15-r2", "nightly-2025-07-14-r1"], r
assert r[1] == {"id": "nightly-2025-07-14-r1", "calc_date": "2025-07-14", "phase": "done", "status": "completed",
    "closed": True, "created_at": "2025-07-14T22:00:00Z", "closed_at": "2025-07-14T22:00:09Z", "total_jobs": 6,
    "completed_jobs": 6, "failed_jobs": 0}, r[1]
assert r[0]["closed"] is False and r[0]["status"] == "running", r[0]
' "$work/out" "runs 10"
  "$statustool" runs "$ci" 1 >"$work/out" || fail "runs 1"
  py 'import json, sys; r = json.load(open(sys.argv[1]))["runs"]; assert len(r) == 1 and r[0]["id"].endswith("-r2"), r' \
    "$work/out" "runs 1"
  if "$statustool" runs "$ci" 0 2>"$work/err"; then fail "limit 0 accepted"; fi
  grep -q 'limit 0 is not in 1..1000' "$work/err" || fail "limit message"
}

# symbol SYMBOL STATUS MESSAGE ESTIMATE: /symbols/SYMBOL/status says that ("null" for no estimate).
symbol() {
  "$statustool" symbol "$ci" "$1" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "symbol $1"; }
  clean "$work/err"
  python3 - "$work/out" "$2" "$3" "$4" "$5" <<'EOF' || fail "symbol status of '$1'"
import json, sys
j = json.load(open(sys.argv[1]))
want = {"symbol": sys.argv[5], "status": sys.argv[2], "message": sys.argv[3],
        "estimated_seconds": None if sys.argv[4] == "null" else int(sys.argv[4])}
assert j == want, (j, want)
EOF
}

case_symbol() {
  seed
  # D = 1.5 s (2 s and 1 s of processing), I = 1.5 s (one 29 s gap, counted as D).
  symbol NEWA pending "queued for onboarding, 2 ahead" 5 NEWA # 1.5 + 2 x 1.5 (PROC, and NEWB of higher priority)
  symbol newa pending "queued for onboarding, 2 ahead" 5 NEWA # as the user typed it
  symbol NEWB pending "queued for onboarding, 1 ahead" 3 NEWB # 1.5 + 1 x 1.5
  symbol PROC processing "onboarding (attempt 1)" 1 PROC      # 1.5 - its second so far, at least 1
  symbol ZZZZ error $'unknown symbol ZZZZ: <b>no</b> provider\nserves it' null ZZZZ
  symbol DONE1 ready "onboarded; factors as of 2025-07-15" null DONE1
  symbol DONE2 ready "onboarded" null DONE2                   # its row says done2
  symbol AAA ready "factors as of 2025-07-15" null AAA        # no queue row: its factor rows
  symbol UNIV pending "in the symbol universe; its factors come with the next nightly run" null UNIV
  symbol NOPE unknown "not onboarded: no queue row and no factor rows" null NOPE
  echo "== invalid symbols: unknown with the reason, never a query"
  for bad in "BAD;SYM" "x'; DROP TABLE symbol_universe; --" "" "TOOLONGSYMBOLTOOLONGSYMBOL" $'A\001B'; do
    "$statustool" symbol "$ci" "$bad" >"$work/out" 2>"$work/err" || { cat "$work/err"; fail "symbol '$bad'"; }
    py '
import json, sys
j = json.load(open(sys.argv[1]))
assert j["status"] == "unknown" and j["estimated_seconds"] is None and j["message"], j
assert all(32 <= ord(c) < 127 for c in j["symbol"]), j
' "$work/out" "invalid symbol '$bad'"
  done
  [[ $(q "SELECT count(*) FROM symbol_universe") == 3 ]] || fail "the universe changed"
  echo "== the latest row decides; no history, no estimate"
  q "INSERT INTO symbol_onboarding_queue (symbol, status) VALUES ('ZZZZ', 'pending')"
  symbol ZZZZ pending "queued for onboarding, 3 ahead" 6 ZZZZ # 1.5 + 3 x 1.5
  q "DELETE FROM symbol_onboarding_queue WHERE status = 'completed'"
  symbol NEWA pending "queued for onboarding, 2 ahead" null NEWA
  symbol PROC processing "onboarding (attempt 1)" null PROC
}

row() { q "SELECT host, pid, coalesce(http, '-'), partitions, lag, lag_total FROM sigma_workers WHERE id = '$1'"; }

case_heartbeat() {
  echo "== a first heartbeat"
  "$statustool" heartbeat "$ci" w9 host9 909 127.0.0.1:5000 sigma.tasks/0=3 sigma.tasks/1=-1 sigma.onboarding/2=4
  [[ $(row w9) == 'host9|909|127.0.0.1:5000|{sigma.tasks/0,sigma.tasks/1,sigma.onboarding/2}|{"sigma.tasks/0": 3, "sigma.tasks/1": null, "sigma.onboarding/2": 4}|7' ]] ||
    fail "first row: $(row w9)"
  [[ $(q "SELECT started_at = seen_at FROM sigma_workers WHERE id = 'w9'") == t ]] || fail "started_at of a new row"
  t0=$(q "SELECT started_at FROM sigma_workers WHERE id = 'w9'")
  s0=$(q "SELECT seen_at FROM sigma_workers WHERE id = 'w9'")
  echo "== the next one: an upsert; started_at kept"
  "$statustool" heartbeat "$ci" w9 host9 909 - sigma.tasks/0=1
  [[ $(row w9) == 'host9|909|-|{sigma.tasks/0}|{"sigma.tasks/0": 1}|1' ]] || fail "second row: $(row w9)"
  [[ $(q "SELECT started_at = '$t0' AND seen_at > '$s0' FROM sigma_workers WHERE id = 'w9'") == t ]] ||
    fail "started_at kept, seen_at moved"
  [[ $(q "SELECT count(*) FROM sigma_workers") == 1 ]] || fail "one row per worker"
  echo "== a restart under the same id: started_at anew"
  "$statustool" heartbeat "$ci" w9 host9 910 -
  [[ $(row w9) == 'host9|910|-|{}|{}|0' ]] || fail "no partitions: $(row w9)"
  [[ $(q "SELECT started_at > '$t0' FROM sigma_workers WHERE id = 'w9'") == t ]] || fail "started_at of a restart"
  echo "== quoting"
  "$statustool" heartbeat "$ci" "w\"x'{}" 'h,"1' 1 - 'odd,"topic}/3=2'
  [[ $(q "SELECT partitions[1] || '|' || (lag ->> partitions[1]) || '|' || host FROM sigma_workers WHERE id = 'w\"x''{}'") == 'odd,"topic}/3|2|h,"1' ]] ||
    fail "quoted values: $(q "SELECT * FROM sigma_workers")"
  echo "== rows an hour old are pruned by the next heartbeat"
  q "INSERT INTO sigma_workers (id, host, pid, seen_at) VALUES ('old', 'h', 1, now() - interval '61 min'),
     ('recent', 'h', 2, now() - interval '30 min')"
  "$statustool" heartbeat "$ci" w9 host9 910 - sigma.tasks/5=2
  [[ $(q "SELECT string_agg(id, ',' ORDER BY id) FROM sigma_workers") == "recent,w\"x'{},w9" ]] ||
    fail "prune: $(q "SELECT id FROM sigma_workers")"
  echo "== status shows them"
  seed
  st -d "$ci"
  expect 0
  grep -qE '^worker w9 alive pid 910 host host9 http - seen [0-9]+s ago lag 2 partitions sigma.tasks/5$' "$work/out" ||
    { show; fail "w9 in the status"; }
  grep -qE '^worker recent gone ' "$work/out" || { show; fail "recent is gone"; }
  grep -qx 'workers alive 3 gone 2 lag 16' "$work/out" || { show; fail "workers line"; }
  echo "== leave"
  "$statustool" leave "$ci" w9
  [[ $(q "SELECT count(*) FROM sigma_workers WHERE id = 'w9'") == 0 ]] || fail "leave"
  "$statustool" leave "$ci" w9 || fail "leaving twice"
  if "$statustool" heartbeat "$ci" "" h 1 - 2>"$work/err"; then fail "a member without an id"; fi
  grep -q 'needs an id' "$work/err" || fail "message for a member without an id"
}

"case_$case"
echo "status $case: all checks passed"
