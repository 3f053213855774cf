#!/usr/bin/env bash
# The container image for real (deploy/Containerfile), in a podman storage of its own
# that is removed at the end:
#   1. base: debootstrap --variant=minbase bookworm from this machine's apt mirror,
#      imported as docker.io/library/debian:bookworm (scripts/image.sh base);
#   2. build: podman build --isolation=chroot --pull=never (both stages: the build
#      with its unit tests, the runtime) as sigmabatch:test;
#   3. the image's configuration: a non-root numeric user that is sigma in its
#      /etc/passwd, the entry point sigma-worker, the HTTP settings, port 8080, the
#      health check; no compiler, no -dev package, no build tree in it;
#   4. its programs, run as a container would run them (podman run cannot set rlimits
#      in this sandbox): the image mounted (podman image mount), chroot as its user,
#      its environment alone, from its WorkingDir, with /proc and /dev mounted in a
#      mount namespace of their own: every program's --help by name through the
#      image's PATH (each is an entry point); sigmactl finds the installed
#      migrations, applies them to a throwaway PostgreSQL (on 127.0.0.1) and shows
#      them applied; the image's own `sigmactl broker` and sigma-worker start on the
#      image's settings, /healthz and /readyz answer on the HTTP port, the image's
#      HEALTHCHECK command passes, and SIGTERM ends the worker cleanly.
# Prints the time of each step and the image's size. Slow (minutes) and needs root,
# podman, debootstrap and the mirror: skipped (77) otherwise, and unless
# SIGMA_IMAGE_TEST=1 (scripts/image.sh test sets it), so that a plain ctest never
# spends minutes on it. SIGMA_IMAGE_KEEP=1 keeps the work directory and its storage.
#   image_test.sh
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
skip() { echo "SKIP: $*"; exit 77; }
[[ ${SIGMA_IMAGE_TEST:-} == 1 ]] || skip "slow: run it with scripts/image.sh test (or SIGMA_IMAGE_TEST=1 ctest -L image)"
[[ $(id -u) -eq 0 ]] || skip "needs root (debootstrap, podman's storage, chroot)"
for c in podman debootstrap chroot unshare curl; do
  command -v "$c" >/dev/null || skip "$c is missing (scripts/deps.sh --image)"
done
ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1 || skip "PostgreSQL is missing (scripts/deps.sh --image)"

work=$(mktemp -d /var/tmp/sigma-image-test.XXXXXX)
chmod 755 "$work"
export SIGMA_PODMAN_ROOT=$work/podman
pm_opts=(--root "$SIGMA_PODMAN_ROOT/storage" --runroot "$SIGMA_PODMAN_ROOT/run")
[[ -z ${SIGMA_PODMAN_DRIVER:-} ]] || pm_opts+=(--storage-driver "$SIGMA_PODMAN_DRIVER")
pm() { podman "${pm_opts[@]}" "$@"; }
tag=localhost/sigmabatch:test
pids=()
ci=
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [[ -z $ci ]] || "$src/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  if [[ ${SIGMA_IMAGE_KEEP:-} == 1 ]]; then
    echo "kept: $work (podman ${pm_opts[*]})"
    return
  fi
  # Not `podman system reset`: it would reset this machine's network configuration too.
  pm image unmount --all >/dev/null 2>&1 || true
  pm rmi --all --force >/dev/null 2>&1 || true
  findmnt -rn -o TARGET | grep "^$work/" | sort -r | xargs -r umount -l 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  local f
  for f in "$work"/*.log; do [[ -e $f ]] && { echo "--- $f"; tail -25 "$f"; }; done
  exit 1
}
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
await() { # await SECONDS COMMAND...: every 0.2 s until COMMAND succeeds
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    (($(date +%s) < end)) || return 1
    sleep 0.2
  done
}

echo "== 1. base: debootstrap + podman import"
t=$(now)
rc=0
"$src/scripts/image.sh" base 2>"$work/base.log" || rc=$?
[[ $rc != 77 ]] || skip "$(grep -o 'cannot .*' "$work/base.log" | tail -1)"
[[ $rc == 0 ]] || fail "scripts/image.sh base: exit $rc"
t_base=$(secs "$t")
echo "base: $t_base s, $(pm image inspect --format '{{.Size}}' docker.io/library/debian:bookworm) bytes"

echo "== 2. build: podman build -f deploy/Containerfile"
t=$(now)
"$src/scripts/image.sh" build "$tag" >"$work/build.log" 2>&1 || fail "podman build (log: build.log)"
t_build=$(secs "$t")
grep -q "100% tests passed" "$work/build.log" || fail "the build stage's unit tests did not report"
grep -o "100% tests passed, 0 tests failed out of [0-9]*" "$work/build.log"
size=$(pm image inspect --format '{{.Size}}' "$tag")
echo "build: $t_build s, image $size bytes ($((size / 1000000)) MB)"

echo "== 3. the image's configuration"
t=$(now)
inspect() { pm image inspect --format "$1" "$tag"; }
user=$(inspect '{{.Config.User}}')
[[ $user =~ ^[1-9][0-9]*:[1-9][0-9]*$ ]] || fail "User is '$user', not a numeric non-root uid:gid"
[[ $(inspect '{{json .Config.Entrypoint}}') == '["sigma-worker"]' ]] || fail "Entrypoint: $(inspect '{{json .Config.Entrypoint}}')"
[[ $(inspect '{{json .Config.Cmd}}') == null || $(inspect '{{json .Config.Cmd}}') == '[]' ]] ||
  fail "Cmd should be empty (arguments go to the entry point): $(inspect '{{json .Config.Cmd}}')"
mapfile -t env < <(inspect '{{range .Config.Env}}{{println .}}{{end}}' | sed '/^$/d')
envtext=$(printf '%s\n' "${env[@]}")
grep -qx 'SIGMA_SERVE_ADDRESS=0.0.0.0' <<<"$envtext" || fail "Env: no SIGMA_SERVE_ADDRESS=0.0.0.0"
grep -qx 'SIGMA_SERVE_PORT=8080' <<<"$envtext" || fail "Env: no SIGMA_SERVE_PORT=8080"
grep -q '^PATH=.*/usr/local/bin' <<<"$envtext" || fail "Env: PATH without /usr/local/bin"
grep -q '"8080/tcp"' <<<"$(inspect '{{json .Config.ExposedPorts}}')" || fail "8080/tcp is not exposed"
health=$(inspect '{{json .Config.Healthcheck.Test}}')
[[ $health == '["CMD-SHELL",'* ]] || fail "no HEALTHCHECK: $health"
workdir=$(inspect '{{.Config.WorkingDir}}')
mnt=$(pm image mount "$tag")
[[ -d $mnt/usr/local/bin ]] || fail "podman image mount: $mnt"
uid=${user%%:*}
[[ $(awk -F: -v u="$uid" '$3 == u { print $1 }' "$mnt/etc/passwd") == sigma ]] || fail "uid $uid is not sigma in /etc/passwd"
[[ $(stat -c %u "$mnt$workdir") == "$uid" ]] || fail "WorkingDir $workdir is not the user's"
# No toolchain and no build leftovers: the runtime stage has libraries and the programs only.
for c in gcc cc c99 c++ g++ cpp clang tcc ld as make cmake pkg-config; do
  for d in usr/bin usr/local/bin bin; do
    [[ ! -e $mnt/$d/$c ]] || fail "the image has a compiler or build tool: /$d/$c"
  done
done
dpkg-query --admindir="$mnt/var/lib/dpkg" -W -f='${Package} ${Status}\n' >"$work/packages.txt"
grep -E '^(gcc|gcc-12|cpp|binutils|make|cmake|build-essential|libc6-dev|[^ ]+-dev) .*installed' "$work/packages.txt" &&
  fail "build packages in the image"
echo "image packages: $(grep -c ' installed$' "$work/packages.txt")"
[[ $(ls "$mnt/usr/local/bin") == $'sigma-coordinator\nsigma-producer\nsigma-worker\nsigmactl' ]] ||
  fail "/usr/local/bin: $(ls "$mnt/usr/local/bin")"
[[ ! -e $mnt/src && ! -e $mnt/build && ! -e $mnt/staging ]] || fail "the build stage's trees are in the image"
[[ $(ls "$mnt/usr/local/share/sigmabatch/migrations" | wc -l) == $(ls "$src"/migrations/*.sql | wc -l) ]] ||
  fail "installed migrations"
# LAPACKE on OpenBLAS, as the build stage linked and tested it.
for l in libblas.so.3 liblapack.so.3; do
  real=$(chroot "$mnt" readlink -f "/usr/lib/x86_64-linux-gnu/$l")
  [[ $real == *openblas* ]] || fail "$l resolves to $real, not OpenBLAS"
done

# in_image PROGRAM ARGS...: as the container would run it: its user, its Env alone
# (plus the assignments in extra), from its WorkingDir, PROGRAM looked up on its PATH.
# image_cmd sets cmd to that command line; `{ exec "${cmd[@]}"; } &` starts it in the
# background with $! the program's own pid (unshare, sh, chroot and env each exec the next).
extra=()
image_cmd() {
  cmd=(unshare -m -- sh -c 'mnt=$1; shift
    mount --rbind /dev "$mnt/dev" && mount -t proc proc "$mnt/proc" &&
    exec chroot --userspec="$0" "$mnt" "$@"' "$user" "$mnt"
    /usr/bin/env -i -C "$workdir" "${env[@]}" HOME=/home/sigma "${extra[@]}" "$@")
}
in_image() {
  image_cmd "$@"
  "${cmd[@]}"
}

echo "== 4. the programs, as the container runs them"
for p in sigma-worker sigma-producer sigma-coordinator sigmactl; do
  in_image "$p" --help >"$work/help.out" 2>"$work/help.log" || fail "$p --help: exit $?"
  grep -q "^usage: $p" "$work/help.out" || fail "$p --help: no usage"
done
echo "every program's --help: ok"
got=$(in_image sigmactl migrate --help | sed -n 's/^migrations: //p')
[[ $got == "/usr/local/share/sigmabatch/migrations (installed)" ]] || fail "sigmactl migrate looks in: $got"

ci=$(SIGMA_PG_LISTEN=127.0.0.1 "$src/scripts/pg.sh" start "$work/pg")
port=$(sed 's/.*port=\([0-9]*\).*/\1/' <<<"$ci")
db="host=127.0.0.1 port=$port user=postgres dbname=postgres"
in_image sigmactl migrate up -d "$db" | tee "$work/up.out"
n=$(ls "$src"/migrations/*.up.sql | wc -l)
[[ $(grep -c '^applied ' "$work/up.out") == "$n" ]] || fail "migrate up: expected $n applied"
in_image sigmactl migrate status -d "$db" >"$work/status.out"
[[ $(grep -c ' applied ' "$work/status.out") == "$n" ]] || { cat "$work/status.out"; fail "migrate status"; }

# The image's settings as they are, unless this machine's 8080 is taken.
http=8080
if curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$http/"; then
  http=$((20000 + RANDOM % 20000))
  extra=("SIGMA_SERVE_PORT=$http")
  echo "(port 8080 is in use here: the worker serves on $http)"
fi
image_cmd sigmactl broker
{ exec "${cmd[@]}"; } >"$work/broker.out" 2>"$work/broker.log" &
pids+=($!)
await 20 grep -q : "$work/broker.out" || fail "the image's sigmactl broker printed no address"
brokers=$(head -1 "$work/broker.out")
image_cmd sigma-worker -d "$db" --brokers "$brokers"
{ exec "${cmd[@]}"; } >"$work/worker.out" 2>"$work/worker.log" &
worker=$!
pids+=("$worker")
ready() { [[ $(curl -s --max-time 2 "http://127.0.0.1:$http/readyz") == ready ]]; }
await 60 ready || fail "the image's worker is not ready on :$http ($(curl -s "http://127.0.0.1:$http/readyz"))"
[[ $(curl -s "http://127.0.0.1:$http/healthz") == ok ]] || fail "/healthz"
curl -s "http://127.0.0.1:$http/metrics" >"$work/metrics.txt" || fail "/metrics"
grep -q '^sigma_' "$work/metrics.txt" || fail "/metrics: no sigma_ family"
hc=$(inspect '{{index .Config.Healthcheck.Test 1}}')
in_image sh -c "$hc" || fail "the image's HEALTHCHECK failed against its worker: $hc"
kill -TERM "$worker"
rc=0
wait "$worker" || rc=$?
[[ $rc == 0 ]] || fail "the worker's exit on SIGTERM: $rc"
! in_image sh -c "$hc" 2>/dev/null || fail "the HEALTHCHECK passes with the worker gone"
t_check=$(secs "$t")

echo "== summary"
echo "base ${t_base} s, build ${t_build} s, checks ${t_check} s; image $tag: $size bytes ($((size / 1000000)) MB)"
echo ok
