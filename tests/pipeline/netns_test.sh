#!/usr/bin/env bash
# tests/pipeline/netns.sh's root services, as the fault suite uses them: the
# broker and PostgreSQL of lib.sh in the root namespace, one host (w) in a
# namespace reaching both through the switch, its link cut and restored:
#   reach    from w, kcat gets the broker's metadata at its advertised address and
#            produces a message a root consumer reads; psql over TCP reaches the database
#   cut      netns_cut w with two sessions from w: one idle in transaction holding a
#            lock, one in the middle of a large result (data in flight: keepalives alone
#            would wait for TCP's retransmissions, 15 min; the forwarders' TCP_USER_TIMEOUT
#            ends it). The server ends both within 30 s (about 5 s), the lock is free; a new
#            connection from w fails, kcat from w gets no metadata
#   restore  netns_restore w: both work again from w
# Exit 77 (skipped) when not root or namespaces cannot be made here.
#   netns_test.sh BINDIR SOURCE_DIR
set -euo pipefail
bin=$1
command -v kcat >/dev/null || { echo "SKIPPED: kcat is not installed (scripts/deps.sh --test)"; exit 77; }
. "$(dirname "$0")/lib.sh" "$2" "netns-test-$$"
. "$(dirname "$0")/netns.sh"
case_=root
netns_init nstest
netns_host w 1
start_pg
start_broker "$bin/sigmactl" 2
netns_root_services
netns_client w

metadata() { netns_exec w timeout 20 kcat -L -b "$addr" -t sigma.tasks -m 5 2>&1 | grep -q "broker 1 at $addr"; }
db_from_w() { netns_exec w psql "$NETNS_DB connect_timeout=3" -XAtqc "SELECT 'reached'" 2>/dev/null | grep -qx reached; }

echo "== reach: broker and database from w ($NS-w, ${NETNS_IP[w]}) through $NET.$NETNS_BRIDGE_ADDR"
await 30 metadata || fail "no broker metadata from w at $addr"
echo "K:from w" | netns_exec w timeout 30 kcat -P -b "$addr" -t sigma.events -K: 2>"$work/kcat.log" || fail "kcat -P from w"
[[ $(timeout 30 kcat -C -b "$addr" -t sigma.events -o beginning -c 1 -q -f '%k:%s') == "K:from w" ]] ||
  fail "the root consumer did not read w's message"
db_from_w || fail "psql from w to $NETNS_DB"
q "CREATE TABLE cut_probe (x int)"

echo "== cut: w's session, idle in transaction with a lock, ends; w reaches nothing"
# psql from w holds the lock, then waits (\! sleep) with its transaction open
printf 'BEGIN;\nLOCK TABLE cut_probe IN EXCLUSIVE MODE;\n\\! sleep 600\n' |
  netns_bg w psql "$NETNS_DB application_name=cutme" -Xq >/dev/null 2>>"$work/psql-w.log"
held() { is "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE a.application_name = 'cutme' AND l.granted AND l.relation = 'cut_probe'::regclass" 1; }
await 30 held || fail "w's session never held the lock"
# and one receiving rows (5 GB of them: never done before the cut)
netns_bg w psql "$NETNS_DB application_name=bulk" -XAtqc "SELECT repeat('x', 1000) FROM generate_series(1, 5000000)" \
  >/dev/null 2>>"$work/psql-w.log"
sent() { # the bulk session's rows are on their way: the switch's side of it has bytes unacknowledged
  netns_exec hub ss -Htn state established "sport = :$NETNS_PGPORT" | awk '$2 > 0' | grep -q .
}
await 30 sent || fail "the large result never started to flow"
t0=$SECONDS
netns_cut w
gone() { is "SELECT count(*) FROM pg_stat_activity WHERE application_name IN ('cutme', 'bulk')" 0; }
await 30 gone || fail "the server kept w's sessions 30 s after the cut: $(q "SELECT application_name, state
  FROM pg_stat_activity WHERE application_name IN ('cutme', 'bulk')") $(netns_exec hub ss -tno)"
echo "w's sessions ended $((SECONDS - t0)) s after the cut"
q "BEGIN; SET LOCAL lock_timeout = '5s'; LOCK TABLE cut_probe IN EXCLUSIVE MODE; COMMIT" >/dev/null ||
  fail "the lock is still held after w's session ended"
! db_from_w || fail "w reached the database while cut"
! metadata || fail "w got broker metadata while cut"

echo "== restore: both again"
netns_restore w
await 30 db_from_w || fail "w does not reach the database after the restore"
await 30 metadata || fail "w gets no broker metadata after the restore"
no_sanitizer_report
echo "netns root: ok"
