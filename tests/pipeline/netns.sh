# netns.sh - hosts for the pipeline tests: network namespaces on a private switch,
# sourced after lib.sh (it uses work, pids, fail, await, lib_cleanup).
#
#   NS-hub   a bridge br0 (the switch), one port per host named after it, and the
#            switch's own address NET.254, where services of the root namespace
#            are published (netns_publish_root)
#   NS-HOST  eth0 with NET.N/24 (netns_host HOST N), its own loopback
#
# NS = sigma-NAME-PID and NET = 10.211.X (X = 1 + PID mod 254): two tests running
# at once (ctest -j2) use other names, and even on the same X their switches never
# meet. Addresses exist only inside these namespaces: the root namespace gets no
# address, route or link (a root service is reached through a unix socket relay).
#
#   netns_init NAME            skips (exit 77) unless root with ip netns, a bridge,
#                              socat and ss; removes what dead runs of NAME left
#                              (namespaces of a gone PID; then netns_on_stale PID if
#                              the test defines it); creates the switch; cleans up on
#                              exit (lib_cleanup, then every namespace of this run)
#   netns_host HOST N          a host: namespace, veth to the switch, NET.N, lo up;
#                              its address in NETNS_IP[HOST]
#   netns_exec HOST CMD...     CMD in HOST, in the foreground
#   netns_bg HOST CMD...       CMD in HOST in the background: pid in $last (the
#                              program's own: ip execs it), added to pids
#   netns_fwd HOST LADDR PORT TADDR [TPORT]
#                              socat in HOST: TCP LADDR:PORT -> TADDR:TPORT (PORT);
#                              TCP keepalives on both legs (a cut link is found in 5 s)
#   netns_publish_root PORT TARGET
#                              a root-namespace service at NET.254:PORT for every host:
#                              TARGET UNIX:PATH (a unix socket, e.g. PostgreSQL's, is
#                              reachable from any namespace) or TCP:127.0.0.1:P (relayed
#                              through a unix socket in $work by a socat in the root)
#   netns_root_services        lib.sh's broker ($addr, start_broker) and PostgreSQL ($ci,
#                              start_pg), both in the root namespace, published on the
#                              switch; sets NETNS_DB, the conninfo for a client host
#                              (TCP 127.0.0.1:PGPORT, trusted: it arrives on the socket)
#   netns_client HOST [PORT...]  makes HOST a client of them: in HOST, the broker's
#                              advertised address ($addr) and 127.0.0.1:PGPORT (or
#                              127.0.0.1:PORT for each PORT given, published with
#                              netns_publish_root) lead to them through the switch
#                              (what netns_cut HOST cuts). A
#                              cut session ends on both sides within about 5 s
#                              (keepalives), so the server releases its locks.
#   netns_listening HOST ADDR:PORT   something listens there (for await)
#   netns_cut HOST / netns_restore HOST   HOST's switch port down / up: its packets
#                              are lost, its connections stall (as when a cable is pulled)
#   netns_down                 every namespace of this run, processes killed, deleted
# Must not: touch the root namespace's network, or namespaces of other runs that live.
NETNS_BRIDGE_ADDR=254
NETNS_KEEPALIVE=keepalive,keepidle=2,keepintvl=1,keepcnt=3,setsockopt-int=6:18:5000 # 18: TCP_USER_TIMEOUT (ms)
declare -A NETNS_IP=()

netns_skip() { echo "SKIPPED: $*"; exit 77; }

netns_init() {
  local name=$1 t stale
  [[ $(id -u) -eq 0 ]] || netns_skip "not root: network namespaces need CAP_SYS_ADMIN"
  for t in ip socat ss; do
    command -v $t >/dev/null || netns_skip "$t is not installed (scripts/deps.sh --test installs iproute2 and socat)"
  done
  NETNS_PREFIX=sigma-$name
  NS=$NETNS_PREFIX-$$
  NET=10.211.$((1 + $$ % 254))
  # What a run killed before its trap ran (SIGKILL, a ctest timeout) left, its PID gone.
  for stale in $(ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^\($NETNS_PREFIX-[0-9]*\)-.*/\1/p" | sort -u); do
    alive "${stale##*-}" && continue
    netns_delete "$stale"
    if declare -F netns_on_stale >/dev/null; then netns_on_stale "${stale##*-}"; fi
  done
  trap 'lib_cleanup; netns_down' EXIT
  ip netns add "$NS-hub" 2>"$work/netns.err" || netns_skip "ip netns add: $(cat "$work/netns.err")"
  ip -n "$NS-hub" link add br0 type bridge 2>"$work/netns.err" || netns_skip "a bridge: $(cat "$work/netns.err")"
  ip -n "$NS-hub" addr add "$NET.$NETNS_BRIDGE_ADDR/24" dev br0
  ip -n "$NS-hub" link set br0 up
  ip -n "$NS-hub" link set lo up
}

netns_host() {
  local h=$1
  ip netns add "$NS-$h"
  ip -n "$NS-hub" link add "$h" type veth peer name eth0 netns "$NS-$h" 2>"$work/netns.err" ||
    netns_skip "a veth pair: $(cat "$work/netns.err")"
  ip -n "$NS-hub" link set "$h" master br0 up
  ip -n "$NS-$h" addr add "$NET.$2/24" dev eth0
  ip -n "$NS-$h" link set eth0 up
  ip -n "$NS-$h" link set lo up
  NETNS_IP[$h]=$NET.$2
}

netns_exec() { local h=$1; shift; ip netns exec "$NS-$h" "$@"; }

# Not a subshell: `ip netns exec ... &` here makes $! the program itself (ip execs it).
netns_bg() {
  local h=$1
  shift
  ip netns exec "$NS-$h" "$@" &
  last=$!
  pids+=($last)
}

netns_fwd() {
  local h=$1 laddr=$2 port=$3 taddr=$4 tport=${5:-$3}
  netns_bg "$h" socat "TCP-LISTEN:$port,bind=$laddr,fork,reuseaddr,$NETNS_KEEPALIVE" \
    "TCP:$taddr:$tport,$NETNS_KEEPALIVE" 2>>"$work/socat-$h.log"
}

netns_listening() { netns_exec "$1" ss -Hltn "src $2" | grep -q .; }

netns_publish_root() {
  local port=$1 target=$2 relay
  case $target in
  UNIX:*) relay=${target#UNIX:} ;;
  TCP:*)
    relay=$work/netns-root-$port.sock
    socat "UNIX-LISTEN:$relay,fork,unlink-early" "TCP:${target#TCP:}" 2>>"$work/socat-root.log" &
    pids+=($!)
    await 10 test -S "$relay" || fail "the root relay $relay -> ${target#TCP:} did not start"
    ;;
  *) fail "netns_publish_root: TARGET is UNIX:PATH or TCP:ADDR:PORT, not $target" ;;
  esac
  netns_bg hub socat "TCP-LISTEN:$port,bind=$NET.$NETNS_BRIDGE_ADDR,fork,reuseaddr,$NETNS_KEEPALIVE" \
    "UNIX-CONNECT:$relay" 2>>"$work/socat-hub.log"
  await 10 netns_listening hub "$NET.$NETNS_BRIDGE_ADDR:$port" || fail "nothing listens on $NET.$NETNS_BRIDGE_ADDR:$port"
}

netns_root_services() {
  local bport=${addr##*:} dir port
  dir=$(sed -n 's/.*host=\([^ ]*\).*/\1/p' <<<"$ci")
  port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$ci")
  [[ -n $dir && -n $port && -n $bport ]] || fail "netns_root_services: no broker (\$addr) or PostgreSQL (\$ci) to publish"
  netns_publish_root "$bport" "TCP:127.0.0.1:$bport"
  netns_publish_root "$port" "UNIX:$dir/.s.PGSQL.$port"
  NETNS_PGPORT=$port
  NETNS_DB="host=127.0.0.1 port=$port user=postgres dbname=postgres connect_timeout=10"
}

netns_client() {
  local h=$1 p ports=("${@:2}")
  ((${#ports[@]})) || ports=("${addr##*:}" "${NETNS_PGPORT:?netns_client: netns_root_services first, or name the ports}")
  for p in "${ports[@]}"; do
    netns_fwd "$h" 127.0.0.1 "$p" "$NET.$NETNS_BRIDGE_ADDR"
    await 10 netns_listening "$h" "127.0.0.1:$p" || fail "no forwarder on 127.0.0.1:$p in $NS-$h"
  done
}

netns_cut() { ip -n "$NS-hub" link set "$1" down; }
netns_restore() { ip -n "$NS-hub" link set "$1" up; }

# netns_delete NAME-PREFIX: its namespaces' processes SIGKILLed (socat's children, a
# program the test did not reach), then the namespaces deleted (veth ends go with them).
netns_delete() {
  local n p names
  names=$(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$1-" || true)
  for n in $names; do
    for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  done
  for n in $names; do ip netns delete "$n" 2>/dev/null || true; done
}
netns_down() { [[ -z ${NS:-} ]] || netns_delete "$NS"; }
