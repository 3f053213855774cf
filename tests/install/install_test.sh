#!/usr/bin/env bash
# The install rules (README.md, "Installing"): `cmake --install` into a temp
# prefix, that prefix moved elsewhere (a relocated install must still work),
# then from there, with SIGMA_MIGRATIONS unset and, where this user may make a
# mount namespace, the source tree hidden under an empty tmpfs:
#   every program's --help exits 0;
#   `sigmactl migrate --help` names the installed migrations and says so;
#   the lookup order: --dir, then $SIGMA_MIGRATIONS, then the installed
#   directory; the build tree's sigmactl takes the source tree's;
#   `sigmactl migrate up` against a throwaway PostgreSQL applies the installed
#   files (one extra migration exists only in the installed copy), and
#   `migrate status` shows every one applied;
#   `sigmactl local` runs on the installed samples.
#   install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$(cd "$2" && pwd)
work=$(mktemp -d /tmp/sigma-install.XXXXXX)
chmod 755 "$work"
ci=
cleanup() {
  [[ -z $ci ]] || "$src/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
unset SIGMA_MIGRATIONS
programs=(sigmactl sigma-producer sigma-coordinator sigma-worker)

echo "== cmake --install into a temp prefix"
cmake --install "$build" --prefix "$work/prefix" >"$work/install.log" || { cat "$work/install.log"; fail "install"; }
share=$work/prefix/share/sigmabatch
for p in "${programs[@]}"; do [[ -x $work/prefix/bin/$p ]] || fail "bin/$p not installed"; done
[[ $(ls "$work/prefix/bin" | wc -l) == "${#programs[@]}" ]] || fail "bin/ holds more than the programs: $(ls "$work/prefix/bin")"
for f in "$src"/migrations/*.sql "$src"/schemas/tables.sql "$src"/schemas/*.md "$src"/samples/*.csv; do
  rel=${f#"$src/"}
  cmp -s "$f" "$share/$rel" || fail "$rel not installed as it is in the tree"
done
[[ $(ls "$share/migrations" | wc -l) == $(ls "$src"/migrations/*.sql | wc -l) ]] || fail "migrations/ holds other files"
for f in "$src"/deploy/sql/*.sql; do
  [[ -e $f ]] || continue
  cmp -s "$f" "$share/sql/$(basename "$f")" || fail "deploy/sql/$(basename "$f") not installed"
done

echo "== the prefix moved elsewhere"
mkdir -p "$work/moved"
mv "$work/prefix" "$work/moved/opt"
prefix=$work/moved/opt
share=$prefix/share/sigmabatch
migrations=$share/migrations

# hidden COMMAND...: runs COMMAND with an empty tmpfs over the source tree,
# in a mount namespace of its own, when this user may make one (root).
hide=no
if unshare -m -- sh -c 'mount -t tmpfs tmpfs "$0" && ! test -e "$0/CMakeLists.txt"' "$src" 2>/dev/null; then
  hide=yes
fi
hidden() {
  if [[ $hide == yes ]]; then
    unshare -m -- sh -c 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"' "$src" "$@"
  else
    "$@"
  fi
}
echo "source tree hidden from the installed programs: $hide"

echo "== every program's --help"
for p in "${programs[@]}"; do
  hidden "$prefix/bin/$p" --help >"$work/help.out" 2>"$work/help.err" || fail "$p --help: exit $?: $(cat "$work/help.err")"
  grep -q "^usage: $p" "$work/help.out" || fail "$p --help: no usage on stdout"
done

echo "== where sigmactl migrate looks"
got=$(hidden "$prefix/bin/sigmactl" migrate --help | sed -n 's/^migrations: //p')
[[ $got == "$migrations (installed)" ]] || fail "installed: got '$got'"
got=$(SIGMA_MIGRATIONS=$work/env hidden "$prefix/bin/sigmactl" migrate --help | sed -n 's/^migrations: //p')
[[ $got == "$work/env (\$SIGMA_MIGRATIONS)" ]] || fail "\$SIGMA_MIGRATIONS first: got '$got'"
got=$(SIGMA_MIGRATIONS=$work/env hidden "$prefix/bin/sigmactl" migrate --dir "$work/opt" --help | sed -n 's/^migrations: //p')
[[ $got == "$work/opt (--dir)" ]] || fail "--dir first: got '$got'"
got=$("$build/bin/sigmactl" migrate --help | sed -n 's/^migrations: //p')
[[ $got == "$src/migrations (source tree)" ]] || fail "build tree: got '$got'"
ln -s "$prefix/bin/sigmactl" "$work/sigmactl-link"
got=$(hidden "$work/sigmactl-link" migrate --help | sed -n 's/^migrations: //p')
[[ $got == "$migrations (installed)" ]] || fail "through a symlink: got '$got'"

echo "== sigmactl migrate up and status against a throwaway PostgreSQL"
# A migration only the installed copy has: applied, it proves which files were read.
echo "CREATE TABLE install_probe (id int);" >"$migrations/9999_install_probe.up.sql"
echo "DROP TABLE install_probe;" >"$migrations/9999_install_probe.down.sql"
ci=$("$src/scripts/pg.sh" start "$work/pg")
hidden "$prefix/bin/sigmactl" migrate up -d "$ci" | tee "$work/up.out"
n=$(ls "$src"/migrations/*.up.sql | wc -l)
[[ $(grep -c '^applied ' "$work/up.out") == $((n + 1)) ]] || fail "expected $((n + 1)) migrations applied"
grep -qx "applied 9999_install_probe" "$work/up.out" || fail "the installed copy's own migration was not applied"
hidden "$prefix/bin/sigmactl" migrate status -d "$ci" | tee "$work/status.out"
[[ $(grep -c ' applied ' "$work/status.out") == $((n + 1)) ]] || fail "status: expected $((n + 1)) applied"
! grep -q pending "$work/status.out" || fail "status: pending migrations"
[[ $(psql "$ci" -XAtq -c "SELECT count(*) FROM sigmabatch_schema_migrations") == $((n + 1)) ]] || fail "versions recorded"

echo "== sigmactl local on the installed samples"
(cd "$work" && hidden "$prefix/bin/sigmactl" local --state "$work/state") >"$work/local.out" ||
  { cat "$work/local.out"; fail "sigmactl local"; }
grep -q "^sigmabatch local run: $share/samples/universe.csv" "$work/local.out" || { cat "$work/local.out"; fail "local: not the installed samples"; }
[[ -s $work/state/factors.csv && -s $work/state/metrics.csv ]] || fail "local: no factors.csv and metrics.csv"
echo ok
