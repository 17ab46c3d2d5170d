#!/usr/bin/env bash
# `make demo`: lade's main job on the local control plane (hack/cluster):
# install the demo chart and wait for it, preview a change with a
# server-side diff, upgrade, read the history, roll back. The cluster is
# left running for you to explore; `make cluster-down` stops it.
#   LADE=bin/lade  DEMO_NS=lade-demo  CLUSTER_DIR=.cluster
set -euo pipefail
cd "$(dirname "$0")/.."
LADE=${LADE:-bin/lade}
NS=${DEMO_NS:-lade-demo}
CLUSTER_DIR=${CLUSTER_DIR:-$PWD/.cluster}
CHART=testdata/charts/demo
export KUBECONFIG=$CLUSTER_DIR/kubeconfig

bold=$'\033[1m' plain=$'\033[0m'
if [ ! -t 1 ]; then bold='' plain=''; fi
say() { printf '\n%s# %s%s\n' "$bold" "$*" "$plain"; }
step() {
  printf '%s$ %s%s\n' "$bold" "$*" "$plain"
  "$@"
}

say "a release of $CHART, with a Deployment, a StatefulSet (subchart), a Service and a ConfigMap"
# A second run starts from scratch.
if "$LADE" status demo -n "$NS" >/dev/null 2>&1; then
  "$LADE" uninstall demo -n "$NS" --wait >/dev/null
fi
step "$LADE" install demo "$CHART" -n "$NS" --create-namespace --wait --timeout 2m

say "what an upgrade to 3 replicas and a new greeting would change, asked of the API server (dry run)"
step "$LADE" diff upgrade demo "$CHART" -n "$NS" --set replicaCount=3 --set config.greeting=bonjour

say "the upgrade itself"
step "$LADE" upgrade demo "$CHART" -n "$NS" --set replicaCount=3 --set config.greeting=bonjour --wait --timeout 2m

say "every revision is kept, in Helm's format (helm history reads it too)"
step "$LADE" history demo -n "$NS"

say "back to revision 1"
step "$LADE" rollback demo 1 -n "$NS" --wait --timeout 2m
step "$LADE" list -n "$NS"

printf '\n%sThe cluster is still running. To use it:%s\n  export KUBECONFIG=%s\n  %s status demo -n %s\nStop it with: make cluster-down\n' \
  "$bold" "$plain" "$KUBECONFIG" "$LADE" "$NS"
