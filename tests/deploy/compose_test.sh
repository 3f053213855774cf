#!/usr/bin/env bash
# deploy/compose.yaml, checked without a daemon: `docker-compose config`
# validates and resolves it with the passwords it requires set (and refuses it
# without them); check_compose.py reads the file as written and as resolved
# (one image for every sigmabatch service, a /healthz health check through
# `sigmactl probe`, no literal password, the migrations and grants before the
# programs, Kafka in KRaft mode, the topics' partitions = SIGMA_BUS_PARTITIONS,
# the workers). Then broken copies of the file, each of which the check must
# refuse: the check is tested too. Last, the one script compose.yaml holds, the
# `grants` service's, runs as resolved against a throwaway PostgreSQL migrated
# by `sigmactl migrate up` (twice: it is idempotent): the login role sigma,
# in sigma_app, logs in with PGPASSWORD over SCRAM, and not with another.
#   compose_test.sh SOURCE_DIR SIGMACTL
set -euo pipefail
src=$1
ctl=$2
work=$(mktemp -d /tmp/sigma-compose-test.XXXXXX)
chmod 755 "$work"
ci=
trap '[[ -z $ci ]] || "$src/scripts/pg.sh" stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
IMAGE=ghcr.io/sigmasight/sigmabatch:1.0.0
PY=/usr/bin/python3 # Debian's, with python3-yaml (scripts/deps.sh --test)
command -v docker-compose >/dev/null || fail "docker-compose is not installed (scripts/deps.sh --test)"
$PY -c "import yaml" || fail "python3-yaml is not installed (scripts/deps.sh --test)"
file=$src/deploy/compose.yaml
APP_PW="app-$RANDOM-pw"
OWNER_PW="owner-$RANDOM-pw"

config() { # FILE: docker-compose config, resolved into $work/resolved.yaml
  env -u SIGMA_BUS_PARTITIONS -u SIGMA_STATUS_PORT PGPASSWORD=$APP_PW POSTGRES_PASSWORD=$OWNER_PW \
    docker-compose --project-directory "$src/deploy" -f "$1" config >"$work/resolved.yaml" 2>"$work/config.err"
}

echo "== docker-compose config"
config "$file" || { cat "$work/config.err"; fail "docker-compose config"; }
[[ ! -s $work/config.err ]] || { cat "$work/config.err"; fail "docker-compose config warned"; }
PGPASSWORD=x POSTGRES_PASSWORD=x docker-compose --project-directory "$src/deploy" -f "$file" config --services | sort | tr '\n' ' ' >"$work/services"
echo "services: $(cat "$work/services")"

echo "== without the passwords: refused, naming them"
for v in PGPASSWORD POSTGRES_PASSWORD; do
  set +e
  if [[ $v == PGPASSWORD ]]; then
    env -u PGPASSWORD POSTGRES_PASSWORD=x docker-compose -f "$file" config >/dev/null 2>"$work/err"
  else
    env -u POSTGRES_PASSWORD PGPASSWORD=x docker-compose -f "$file" config >/dev/null 2>"$work/err"
  fi
  rc=$?
  set -e
  [[ $rc != 0 ]] || fail "config without $v: accepted"
  grep -q "set $v" "$work/err" || { cat "$work/err"; fail "config without $v: the message does not name it"; }
done

echo "== the checks"
$PY "$src/tests/deploy/check_compose.py" "$file" "$work/resolved.yaml" "$IMAGE" "$APP_PW" "$OWNER_PW" ||
  fail "check_compose.py"

echo "== broken copies: each refused"
for m in inline_password conninfo_password other_image no_healthcheck readyz_healthcheck no_migrate_wait \
  started_only partitions zookeeper owner_programs; do
  $PY "$src/tests/deploy/check_compose.py" --mutate $m "$file" "$work/broken.yaml"
  config "$work/broken.yaml" || { cat "$work/config.err"; fail "$m: docker-compose config"; }
  if $PY "$src/tests/deploy/check_compose.py" "$work/broken.yaml" "$work/resolved.yaml" "$IMAGE" "$APP_PW" "$OWNER_PW" \
    >"$work/check.out"; then
    fail "$m: the check accepted it"
  fi
  echo "$m: $(head -1 "$work/check.out")"
done
echo "== the grants service's script, against PostgreSQL"
config "$file"
$PY - "$work/resolved.yaml" >"$work/grants.sh" <<'PYEOF'
import sys, yaml
svc = yaml.safe_load(open(sys.argv[1]))["services"]["grants"]
assert svc["entrypoint"] == ["/bin/bash", "-ec"], svc["entrypoint"]
print(svc["command"][0].replace("$$", "$"))
PYEOF
sed -i "s|/sql/grants.sql|$src/deploy/sql/grants.sql|" "$work/grants.sh"
ci=$("$src/scripts/pg.sh" start "$work/pg")
SIGMA_MIGRATIONS=$src/migrations "$ctl" migrate up -d "$ci" >/dev/null || fail "migrate up"
host=$(sed 's/.*host=\([^ ]*\).*/\1/' <<<"$ci")
port=$(sed 's/.*port=\([^ ]*\).*/\1/' <<<"$ci")
for i in 1 2; do
  PGHOST=$host PGPORT=$port PGDATABASE=postgres PGUSER=postgres SIGMA_APP_PASSWORD=$APP_PW \
    bash -ec "$(cat "$work/grants.sh")" >"$work/grants.out" 2>&1 || { cat "$work/grants.out"; fail "grants script, run $i"; }
done
q() { psql "$ci" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
[[ $(q "SELECT rolcanlogin AND pg_has_role('sigma', 'sigma_app', 'MEMBER') AND rolpassword LIKE 'SCRAM-SHA-256\$%'
        FROM pg_authid WHERE rolname = 'sigma'") == t ]] || fail "the role sigma"
# the server asks sigma for its password (SCRAM) from now on
hba=$(q "SHOW hba_file")
{ echo "local all sigma scram-sha-256"; cat "$hba"; } >"$work/hba" && cat "$work/hba" >"$hba"
q "SELECT pg_reload_conf()" >/dev/null
[[ $(PGPASSWORD=$APP_PW psql "host=$host port=$port dbname=postgres user=sigma" -XAtq -c "SELECT current_user") == sigma ]] ||
  fail "sigma cannot log in with PGPASSWORD"
if PGPASSWORD=$OWNER_PW psql "host=$host port=$port dbname=postgres user=sigma" -XAtq -c "SELECT 1" >/dev/null 2>&1; then
  fail "sigma logs in with another password"
fi
echo "compose: ok"
