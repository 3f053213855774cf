#!/usr/bin/env bash
# The container image (deploy/Containerfile), built offline with podman.
#   scripts/image.sh build [TAG]   build the image (default sigmabatch:latest); makes the base first
#                                  when podman has no docker.io/library/debian:bookworm
#   scripts/image.sh base          debootstrap a minimal Debian 12 from this machine's own apt
#                                  mirror and import it as docker.io/library/debian:bookworm
#   scripts/image.sh test          build it in a private podman storage and check it for real
#                                  (tests/deploy/image_test.sh; a few minutes)
# Environment: SIGMA_PODMAN_ROOT=DIR keeps podman's images and containers under DIR instead of
# the machine's storage (the test does); SIGMA_PODMAN_DRIVER=vfs where overlay cannot mount;
# SIGMA_PODMAN_ISOLATION (default chroot: `podman run`'s OCI runtime cannot set rlimits in
# every sandbox, the chroot isolation needs none).
# Exit codes: 0 done, 1 failed, 2 usage, 77 this machine cannot do it (the reason on stderr:
# not root, podman or debootstrap missing, no network to the mirror).
# The mirror is read from /etc/apt/sources.list and /etc/apt/sources.list.d/ at each run and
# written only into the base image's own apt sources, never into the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
base_tag=docker.io/library/debian:bookworm

dir=
trap '[[ -z $dir ]] || rm -rf "$dir"' EXIT
say() { echo "% image: $*" >&2; }
cannot() { say "cannot $*"; exit 77; }

# pm ARGS...: podman, with the storage this run uses.
pm_opts=()
[[ -z ${SIGMA_PODMAN_ROOT:-} ]] || pm_opts+=(--root "$SIGMA_PODMAN_ROOT/storage" --runroot "$SIGMA_PODMAN_ROOT/run")
[[ -z ${SIGMA_PODMAN_DRIVER:-} ]] || pm_opts+=(--storage-driver "$SIGMA_PODMAN_DRIVER")
pm() { podman "${pm_opts[@]}" "$@"; }

# apt_uri SUITE: the first URI of this machine's apt sources that serves SUITE's main
# component (one-line .list files and deb822 .sources files, as apt reads them).
apt_uri() {
  local suite=$1 f
  {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [[ -r $f ]] || continue
      awk -v s="$suite" '$1 == "deb" {
          i = 2
          if ($2 ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
          if ($(i + 1) == s) for (j = i + 2; j <= NF; j++) if ($j == "main") { print $i; exit }
        }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
      [[ -r $f ]] || continue
      awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
        {
          delete v
          for (k = 1; k <= NF; k++) {
            if ($k ~ /^[ \t#]/ || $k !~ /:/) continue
            key = tolower(substr($k, 1, index($k, ":") - 1))
            v[key] = " " substr($k, index($k, ":") + 1) " "
          }
          if (v["enabled"] ~ / no /) next
          if (v["types"] ~ / deb / && v["suites"] ~ (" " s " ") && v["components"] ~ / main /) {
            split(v["uris"], u, " "); print u[1]; exit
          }
        }' "$f"
    done
  } | head -1
}

make_base() {
  [[ $(id -u) -eq 0 ]] || cannot "make the base: debootstrap needs root"
  command -v debootstrap >/dev/null || cannot "make the base: debootstrap is missing (scripts/deps.sh --image)"
  command -v podman >/dev/null || cannot "make the base: podman is missing (scripts/deps.sh --image)"
  local mirror security updates
  mirror=$(apt_uri bookworm)
  [[ -n $mirror ]] || cannot "make the base: no apt source of this machine serves bookworm main"
  updates=$(apt_uri bookworm-updates)
  security=$(apt_uri bookworm-security)
  dir=$(mktemp -d /var/tmp/sigma-base.XXXXXX)
  if ! timeout 60 /usr/lib/apt/apt-helper download-file "${mirror%/}/dists/bookworm/Release" "$dir/Release" \
      >/dev/null 2>&1; then
    cannot "make the base: no network to this machine's mirror (${mirror%/}/dists/bookworm/Release)"
  fi
  say "debootstrap --variant=minbase bookworm from this machine's mirror"
  if ! debootstrap --variant=minbase bookworm "$dir/root" "$mirror" >"$dir/debootstrap.log" 2>&1; then
    tail -20 "$dir/debootstrap.log" >&2
    say "debootstrap failed"
    return 1
  fi
  # As Debian's own image: the same apt sources (the main archive, its updates and the
  # security archive, where this machine has them), no package lists or archives, an
  # empty /dev (a container's runtime provides it).
  local keyring=/usr/share/keyrings/debian-archive-keyring.gpg suites=bookworm
  [[ $updates != "$mirror" ]] || suites+=" bookworm-updates"
  rm -f "$dir/root/etc/apt/sources.list"
  {
    printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: %s\n' "$mirror" "$suites" "$keyring"
    [[ -z $updates || $updates == "$mirror" ]] ||
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-updates\nComponents: main\nSigned-By: %s\n' "$updates" "$keyring"
    [[ -z $security ]] ||
      printf '\nTypes: deb\nURIs: %s\nSuites: bookworm-security\nComponents: main\nSigned-By: %s\n' "$security" "$keyring"
  } >"$dir/root/etc/apt/sources.list.d/debian.sources"
  rm -rf "$dir/root/var/lib/apt/lists/"* "$dir/root/var/cache/apt/archives/"*.deb "$dir/root/var/cache/apt/"*.bin \
    "$dir/root/dev/"*
  say "import as $base_tag"
  tar -C "$dir/root" -c . | pm import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' - "$base_tag" >/dev/null
}

build() {
  local tag=${1:-sigmabatch:latest}
  command -v podman >/dev/null || cannot "build: podman is missing (scripts/deps.sh --image)"
  pm image exists "$base_tag" || make_base
  say "podman build -f deploy/Containerfile -t $tag"
  # --format docker keeps the HEALTHCHECK (the OCI image format has no such field).
  pm build --isolation="${SIGMA_PODMAN_ISOLATION:-chroot}" --pull=never --format docker \
    -f deploy/Containerfile -t "$tag" .
}

case ${1:-} in
base) make_base ;;
build) build "${2:-}" ;;
test)
  scripts/deps.sh --image
  SIGMA_IMAGE_TEST=1 exec tests/deploy/image_test.sh
  ;;
*)
  echo "usage: scripts/image.sh build [TAG] | base | test" >&2
  exit 2
  ;;
esac
