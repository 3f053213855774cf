#!/bin/sh
# The local default's state directory has one owner (issue 8): while another
# run holds it, scripts/local.sh exits 1 at once, names the directory and the
# owner, and touches nothing (before: the second run stopped and removed the
# first one's database).
#   local_lock_test.sh SOURCE_DIR
set -u
SRC=$1
LABEL=local.lock
BIN=/bin/false
. "$(dirname "$0")/lib.sh"
state=$T/state
mkdir -p "$state/pg"
echo keep >"$state/pg/marker"
echo 4242 >"$state/.owner"
exec 9>"$state/.lock"
flock -n 9 || fail "cannot take the test's own lock"
SIGMA_LOCAL_STATE=$state "$SRC/scripts/local.sh" >"$T/out" 2>"$T/err"
RC=$?
expect_rc 1
err_has "$state is in use by another run (pid 4242)"
[ -f "$state/pg/marker" ] || fail "the other run's database directory was touched"
exec 9>&-
echo ok
