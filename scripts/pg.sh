#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and the local default (never a system cluster).
#   scripts/pg.sh start DIR [PORT]   initdb (as the postgres user when root) and start; prints a conninfo
#   scripts/pg.sh stop DIR           stop and remove DIR
# The server listens on a unix socket in DIR only, with fsync off and no WAL beyond
# what crash recovery needs: a scratch server, fast for bulk loads.
# SIGMA_PG_LISTEN=ADDR: also TCP on ADDR (listen_addresses), for clients that cannot
# reach DIR (a chroot: the image test; another network namespace: the multi-host test);
# SIGMA_PG_TRUST=CIDR: a pg_hba.conf line trusting CIDR. The conninfo printed stays the socket's.
# SIGMA_PG_OPTIONS: more server options, as postgres takes them (bench/pipeline/profile.sh:
# "-c shared_preload_libraries=pg_stat_statements").
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop DIR [PORT]}
dir=${2:?usage: pg.sh start|stop DIR [PORT]}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
as_pg=()
[[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)

case $cmd in
start)
  port=${3:-$((20000 + RANDOM % 20000))}
  mkdir -p "$(dirname "$dir")"
  dir=$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")
  if [[ $(id -u) -eq 0 ]] && ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
    # The postgres user cannot reach DIR (a checkout under /root, say): keep the
    # cluster in a directory it can reach, and DIR as a link to it.
    real=$(mktemp -d /tmp/sigma-pg.XXXXXX)
    chmod 755 "$real"
    rm -rf "$dir"
    ln -s "$real" "$dir"
    dir=$real
  fi
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown postgres "$dir"
  "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  [[ -z ${SIGMA_PG_TRUST:-} ]] || echo "host all all $SIGMA_PG_TRUST trust" >>"$dir/data/pg_hba.conf"
  # A random port may be taken: try a few before giving up.
  for attempt in 1 2 3 4 5; do
    if "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-p $port -k $dir -c listen_addresses='${SIGMA_PG_LISTEN:-}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
          -c shared_buffers=${SIGMA_PG_SHARED_BUFFERS:-512MB} -c max_wal_size=8GB -c checkpoint_timeout=30min \
          -c wal_level=minimal -c max_wal_senders=0 ${SIGMA_PG_OPTIONS:-}" \
      start >/dev/null; then
      break
    fi
    [[ -n ${3:-} || $attempt == 5 ]] && { cat "$dir/server.log" >&2; exit 1; }
    port=$((20000 + RANDOM % 20000))
  done
  echo "host=$dir port=$port user=postgres dbname=postgres"
  ;;
stop)
  [[ -d $dir/data ]] && "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  [[ -L $dir ]] && rm -rf "$(readlink "$dir")"
  rm -rf "$dir"
  ;;
*)
  echo "usage: pg.sh start|stop DIR [PORT]" >&2
  exit 2
  ;;
esac
