#!/usr/bin/env bash
# deploy/k8s/, parsed (python3-yaml) and checked by check_k8s.py: what
# kustomization.yaml applies (and only that; secret.example.yaml never), the
# same image everywhere, probes, resources, security contexts, no secret
# inlined, the KEDA cap = SIGMA_BUS_PARTITIONS and its group and topic = the
# workers', the PodDisruptionBudgets, the Service, the Job and the CronJob.
# With a kubectl on the machine (not a Debian package: optional), `kubectl
# kustomize` must render the same set. Then broken copies of the directory,
# each of which the check must refuse.
#   k8s_test.sh SOURCE_DIR
set -euo pipefail
src=$1
work=$(mktemp -d /tmp/sigma-k8s-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
IMAGE=ghcr.io/sigmasight/sigmabatch:1.0.0
PY=/usr/bin/python3 # Debian's, with python3-yaml (scripts/deps.sh --test)
$PY -c "import yaml" || fail "python3-yaml is not installed (scripts/deps.sh --test)"
dir=$src/deploy/k8s

rendered=()
if command -v kubectl >/dev/null; then
  echo "== kubectl kustomize ($(kubectl version --client 2>/dev/null | head -1))"
  kubectl kustomize "$dir" >"$work/rendered.yaml" || fail "kubectl kustomize"
  rendered=("$work/rendered.yaml")
else
  echo "== no kubectl here: the rendering is not checked, the files are"
fi
echo "== the checks"
$PY "$src/tests/deploy/check_k8s.py" "$dir" "$IMAGE" "${rendered[@]}" || fail "check_k8s.py"

echo "== broken copies: each refused"
for m in no_readiness liveness_readyz other_image inline_password keda_cap keda_group no_limits root writable \
  namespace coordinator_one secret_applied secret_with_data password_in_configmap; do
  rm -rf "$work/k8s"
  cp -r "$dir" "$work/k8s"
  $PY "$src/tests/deploy/check_k8s.py" --mutate $m "$work/k8s"
  if $PY "$src/tests/deploy/check_k8s.py" "$work/k8s" "$IMAGE" >"$work/check.out"; then
    fail "$m: the check accepted it"
  fi
  echo "$m: $(head -1 "$work/check.out")"
done
echo "k8s: ok"
