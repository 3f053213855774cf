#!/usr/bin/env bash
# deploy/systemd/, checked with systemd's own tools, offline:
# * `systemd-analyze verify` on every unit (the worker template as instances 1 and
#   12) must print nothing. It resolves ExecStart under --root, so a scratch
#   root holds the units, the system's own units (sysinit.target, ...), the
#   built programs at /usr/local/bin and a /bin/sh: nothing is installed on
#   this machine. A broken copy (a misspelt directive, a program missing) must
#   make it print, so the check is not vacuous.
# * `systemd-analyze security --offline` rates each service's exposure: at
#   most 2.0 ("OK"; 10 is an unhardened service).
# * sigmabatch.sysusers makes the system user sigma (systemd-sysusers --root);
# * the timer's calendar parses and elapses at 22:30 New York time;
# * the worker template's command: instance 3 is `--id HOST-3`, port 8483; a
#   name that is not a number is refused;
# * each service: User=sigma, ProtectSystem=strict, NoNewPrivileges, ..., the
#   settings file, the password only through PGPASSFILE (no password in a
#   unit); the example settings file names only settings that exist.
#   systemd_test.sh BINDIR SOURCE_DIR
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d /tmp/sigma-systemd-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v systemd-analyze >/dev/null || fail "systemd-analyze is not installed (scripts/deps.sh --test: systemd)"
units=$src/deploy/systemd
root=$work/root
SERVICES=(sigma-producer.service sigma-coordinator.service sigma-worker@1.service sigma-worker@12.service
  sigma-nightly.service)

make_root() { # UNITS_DIR: a scratch root for systemd-analyze --root
  rm -rf "$root"
  mkdir -p "$root/etc/systemd/system" "$root/usr/lib/systemd" "$root/usr/local/bin" "$root/bin"
  cp -r /lib/systemd/system "$root/usr/lib/systemd/"
  cp "$1"/*.service "$1"/*.timer "$root/etc/systemd/system/"
  cp "$bin"/sigma-producer "$bin"/sigma-coordinator "$bin"/sigma-worker "$bin"/sigmactl "$root/usr/local/bin/"
  cp "$(readlink -f /bin/sh)" "$root/bin/sh"
}
verify() { # UNIT: systemd-analyze verify's output (stdout and stderr), and its exit code
  local rc=0
  systemd-analyze verify --root="$root" "$root/etc/systemd/system/$1" >"$work/verify.out" 2>&1 || rc=$?
  echo "exit $rc" >>"$work/verify.out"
}

echo "== systemd-analyze verify ($(systemd-analyze --version | head -1))"
make_root "$units"
for u in "${SERVICES[@]}" sigma-nightly.timer; do
  verify "$u"
  [[ $(cat "$work/verify.out") == "exit 0" ]] || { cat "$work/verify.out"; fail "verify $u"; }
done

echo "== a broken copy is reported"
cp -r "$units" "$work/broken"
sed -i 's/^ProtectSystem=strict/ProtectSytem=strict/' "$work/broken/sigma-producer.service"
sed -i 's|/usr/local/bin/sigma-coordinator|/usr/local/bin/sigma-coordinater|' "$work/broken/sigma-coordinator.service"
make_root "$work/broken"
verify sigma-producer.service
grep -q "ProtectSytem" "$work/verify.out" || { cat "$work/verify.out"; fail "a misspelt directive not reported"; }
verify sigma-coordinator.service
grep -q "sigma-coordinater" "$work/verify.out" || { cat "$work/verify.out"; fail "a missing program not reported"; }
make_root "$units"

echo "== systemd-analyze security --offline"
for u in "${SERVICES[@]}"; do
  systemd-analyze security --offline=yes --root="$root" "$u" >"$work/security.out" 2>&1 || true
  score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$work/security.out")
  [[ -n $score ]] || { cat "$work/security.out"; fail "security $u: no score"; }
  echo "$u: exposure $score"
  awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }' || { grep "✗" "$work/security.out"; fail "$u: exposure $score > 2.0"; }
done

echo "== the system user"
mkdir -p "$work/users/etc"
systemd-sysusers --root="$work/users" "$units/sigmabatch.sysusers" >"$work/sysusers.out" 2>&1 ||
  { cat "$work/sysusers.out"; fail "systemd-sysusers"; }
grep -q "^sigma:x:[0-9]*:[0-9]*:sigmabatch programs:/:/usr/sbin/nologin$" "$work/users/etc/passwd" ||
  { cat "$work/users/etc/passwd"; fail "no system user sigma"; }
uid=$(awk -F: '$1 == "sigma" { print $3 }' "$work/users/etc/passwd")
((uid > 0 && uid < 1000)) || fail "sigma's uid $uid is not a system uid"

echo "== the timer: 22:30 in New York, weekdays"
cal=$(sed -n 's/^OnCalendar=//p' "$units/sigma-nightly.timer")
[[ $cal == *America/New_York* ]] || fail "OnCalendar $cal: not in New York time"
systemd-analyze calendar --iterations 5 "$cal" >"$work/cal.out" || fail "calendar $cal"
grep -E "Next elapse|Iter" "$work/cal.out" | sed 's/.*: //' >"$work/elapses"
[[ $(wc -l <"$work/elapses") == 5 ]] || { cat "$work/cal.out"; fail "five elapses"; }
while read -r line; do
  # "Sat 2026-11-28 03:30:00 UTC" -> in New York: a weekday at 22:30
  ny=$(TZ=America/New_York date -d "$line" '+%u %H:%M')
  [[ ${ny#* } == 22:30 && ${ny%% *} -le 5 ]] || fail "an elapse at $line is $ny in New York"
done <"$work/elapses"
grep -qx "Persistent=true" "$units/sigma-nightly.timer" || fail "the timer is not persistent"

echo "== the worker template's command"
/usr/bin/python3 - "$units/sigma-worker@.service" >"$work/execstart" <<'EOF'
import shlex, sys
text = open(sys.argv[1]).read().replace("\\\n", " ")
line = next(l for l in text.splitlines() if l.startswith("ExecStart="))
argv = shlex.split(line[len("ExecStart="):])
assert argv[:2] == ["/bin/sh", "-c"], argv
print(argv[2])
EOF
instance() { # N: the worker's command line for instance N, the program replaced by echo
  local s
  s=$(sed -e "s/%H/testhost/g; s/%i/$1/g; s/\\\$\\\$/\$/g" -e 's|exec /usr/local/bin/sigma-worker|exec echo|' "$work/execstart")
  sh -c "$s"
}
[[ $(instance 3) == "--id testhost-3 -X serve.port=8483 -v" ]] || fail "instance 3: $(instance 3)"
[[ $(instance 12) == "--id testhost-12 -X serve.port=8492 -v" ]] || fail "instance 12: $(instance 12)"
for bad in x 1x ""; do
  set +e
  instance "$bad" >/dev/null 2>"$work/err"
  rc=$?
  set -e
  [[ $rc == 2 ]] && grep -q "is a worker number" "$work/err" || fail "instance '$bad': exit $rc"
done

echo "== each service: hardening, settings, the password"
for f in "$units"/*.service; do
  u=$(basename "$f")
  for d in User=sigma Group=sigma ProtectSystem=strict ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
    PrivateDevices=yes CapabilityBoundingSet= EnvironmentFile=/etc/sigmabatch/sigmabatch.env \
    Environment=PGPASSFILE=/etc/sigmabatch/pgpass; do
    grep -qx "$d" "$f" || fail "$u: no $d"
  done
  if [[ $u == sigma-nightly.service ]]; then
    grep -qx "Type=oneshot" "$f" || fail "$u: not a oneshot"
    grep -q "^ExecStart=/usr/local/bin/sigmactl run --date today$" "$f" || fail "$u: not sigmactl run --date today"
  else
    grep -qx "Restart=on-failure" "$f" || fail "$u: no Restart=on-failure"
  fi
  ! grep -qi "PGPASSWORD\|password=" "$f" || fail "$u: a password in the unit"
done

echo "== the example settings file names settings that exist"
grep -qi "^[^#]*PASSWORD" "$units/sigmabatch.env.example" && fail "a password in sigmabatch.env.example"
while IFS='=' read -r k _; do
  [[ -z $k || $k == \#* ]] && continue
  case $k in
  PG*) ;;
  SIGMA_MIGRATIONS) ;;
  SIGMA_*) grep -q "\"$k\"" "$src/common/config.c" || fail "sigmabatch.env.example: $k is no setting (common/config.c)" ;;
  *) fail "sigmabatch.env.example: $k" ;;
  esac
done <"$units/sigmabatch.env.example"
echo "systemd: ok"
