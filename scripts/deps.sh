#!/usr/bin/env bash
# Installs the Debian 12 packages sigmabatch needs, only those that are missing.
#   scripts/deps.sh          build and run dependencies
#   scripts/deps.sh --test   also what the tests use: the oracle's Python stack (live oracle test,
#                            benchmarks), curl, promtool (package prometheus), a headless chromium,
#                            iproute2 and socat (the multi-host test's namespaces and forwarders)
set -euo pipefail

pkgs=(
  build-essential cmake pkg-config        # toolchain
  liblapacke-dev libopenblas-dev          # regression (LAPACKE resolves to OpenBLAS)
  libcmocka-dev                           # unit tests
  librdkafka-dev libpq-dev postgresql     # bus and store (next issues)
  libcurl4-openssl-dev libjansson-dev     # price providers (next issues)
  libmsgpack-dev                          # messages (next issues)
  libmicrohttpd-dev                       # the programs' HTTP server (common/serve), the fixture of the provider tests
)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(python3-pandas python3-sklearn python3-statsmodels time bc kcat)
  pkgs+=(curl prometheus chromium)      # HTTP endpoints: a client, promtool check metrics, browser tests
  pkgs+=(iproute2 socat)                # pipeline.hosts: network namespaces, veth pairs, forwarders
fi

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
