#!/usr/bin/env bash
# Lists the OpenBLAS kernels this processor runs, one per line, for the test
# passes that check results do not depend on the kernel (issue 8): older and
# newer x86 kernels, each forced by OPENBLAS_CORETYPE. The default pass is the
# environment's own (its OPENBLAS_CORETYPE, or OpenBLAS's own choice when it sets
# none) and is not listed. Nothing here or in the passes unsets a variable the
# environment set: some processors need OPENBLAS_CORETYPE with older OpenBLAS
# builds, so OpenBLAS's own choice is tried only when the environment leaves it
# to OpenBLAS. A kernel is listed only if OpenBLAS loads it by that name and the
# ridge unit test passes under it; the others are named on stderr with the reason.
#   scripts/coretypes.sh BUILD_DIR
set -uo pipefail
probe=${1:?usage: coretypes.sh BUILD_DIR}/tests/test_regression
[ -x "$probe" ] || { echo "coretypes.sh: $probe not built" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo auto; exit 0; }

own=${OPENBLAS_CORETYPE:-}
seen=" ${own,,} "
core_of() { grep -o 'Core: [A-Za-z0-9]*' | head -1 | cut -d' ' -f2; }

# The default pass's kernel: the environment's, or the one OpenBLAS picks by itself
if [ -z "$own" ]; then
  seen+="$(OPENBLAS_VERBOSE=2 "$probe" 2>&1 >/dev/null | core_of | tr '[:upper:]' '[:lower:]') "
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
