#!/usr/bin/env bash
# Installs the Debian 12 packages sigmabatch needs, only those that are missing.
#   scripts/deps.sh          build and run dependencies
#   scripts/deps.sh --test   also what the tests use: the oracle's Python stack (live oracle test,
#                            benchmarks), curl, promtool (package prometheus), a headless chromium,
#                            and deploy/'s checkers: docker-compose (config), python3-yaml,
#                            systemd (systemd-analyze verify), clang and libFuzzer (tests/fuzz)
#   scripts/deps.sh --build  the toolchain and the libraries only, no PostgreSQL server: what the
#                            container image's build stage needs to build and run the unit tests
#   scripts/deps.sh --image  what scripts/image.sh needs to build and check the container image
#                            iproute2 and socat (the multi-host test's namespaces and forwarders)
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config        # toolchain
  liblapacke-dev libopenblas-dev          # regression (LAPACKE resolves to OpenBLAS)
  libcmocka-dev                           # unit tests
  librdkafka-dev libpq-dev                # bus and store
  libcurl4-openssl-dev libjansson-dev     # price providers
  libmsgpack-dev                          # messages
  libmicrohttpd-dev                       # the programs' HTTP server (common/serve), the fixture of the provider tests
)
case "${1:-}" in
--build) ;;
--image)
  # podman builds and mounts the image (overlay storage as root), debootstrap makes its base;
  # postgresql serves the image's sigmactl in the test, curl asks the image's worker /readyz.
  pkgs=(podman debootstrap postgresql curl)
  ;;
--test)
  pkgs+=(postgresql)
  pkgs+=(python3-pandas python3-sklearn python3-statsmodels time bc kcat)
  pkgs+=(curl prometheus chromium)      # HTTP endpoints: a client, promtool check metrics, browser tests
  pkgs+=(iproute2 socat)                # pipeline.hosts: network namespaces, veth pairs, forwarders
  pkgs+=(valgrind)                      # soak.valgrind: every program a whole night under memcheck
  pkgs+=(docker-compose python3-yaml systemd) # deploy/: compose config, the manifests parsed, units verified
  pkgs+=(clang libclang-rt-14-dev)      # tests/fuzz: libFuzzer's runtime is only recommended by clang-14
  ;;
*) pkgs+=(postgresql) ;;                # the store's tests and the local default
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "% deps: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
