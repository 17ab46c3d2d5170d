#!/usr/bin/env bash
# Regenerates the golden files in this folder from the REFERENCE HELM v4.3.1
# (never from lade): runs every case of cases.yaml through `helm template` with
# an empty Helm home and no kubeconfig, from the repository root.
#   HELM_REF=/path/to/helm testdata/golden/regen.sh [-run 'TestTemplateGolden/name']
set -euo pipefail
cd "$(dirname "$0")/../.."
export HELM_REF="${HELM_REF:-$PWD/bin/helmref/helm}"  # make helm-ref builds it
args=(-run 'TestTemplateGolden')
if [ $# -gt 0 ]; then args=("$@"); fi
exec go test ./cmd/lade -count=1 "${args[@]}" -update
