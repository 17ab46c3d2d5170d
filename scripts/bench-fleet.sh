#!/usr/bin/env bash
# Fleet benchmark on the test cluster (internal/testenv: etcd and kube-apiserver,
# no controllers): 50 releases of 20 objects (gen-umbrella --subcharts 4
# --templates 3) applied by `lade apply -f DIR`, by 50 sequential
# `helm upgrade --install` runs of a reference Helm v4.3.1 and by `helmfile sync`
# (v1.8.0, default concurrency) driving that Helm; first apply and no-op
# re-apply, wall time, CPU time and peak resident set of the process tree.
# Nobody waits for readiness (no pods run here; the fleet says wait: false).
# Usage: scripts/bench-fleet.sh [HELM_BIN [HELMFILE_BIN]]
#   (default $HELM / $HELMFILE; make helm-ref helmfile-ref build them into bin/)
#   RUNS=N        no-op re-applies per tool (median reported; default 3)
#   STAND_IN=1    time `lade upgrade --install` x50 instead of `lade apply`
# Needs the control-plane binaries (make k8s-bins, or LADE_K8S_BIN) and bin/lade
# (make build). Takes 3-6 minutes on 2 cores. See docs/benchmarks.md, "Fleets".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
helm=${1:-${HELM:-}}
helmfile=${2:-${HELMFILE:-}}
shared=${SHARED:-$root/../shared}
lade=$root/bin/lade
[ -x "$lade" ] || { echo "build lade first: make build" >&2; exit 1; }
[ -x "$shared/bench/gen-umbrella" ] || { echo "# $shared/bench/gen-umbrella not found: fleet benchmark skipped"; exit 0; }
if [ -z "$helm" ] || [ ! -x "$helm" ]; then
  echo "# no reference helm (HELM=/path/to/helm, make helm-ref): timing lade alone"
  helm= helmfile=
elif [ -z "$helmfile" ] || [ ! -x "$helmfile" ]; then
  echo "# no helmfile (HELMFILE=/path/to/helmfile, make helmfile-ref): helmfile sync skipped"
  helmfile=
fi
stand_in=()
if [ "${STAND_IN:-}" = 1 ] || ! "$lade" apply --help >/dev/null 2>&1; then
  echo "# lade apply not available (or STAND_IN=1): timing lade upgrade --install x50 as a stand-in"
  stand_in=(-stand-in)
fi
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cd "$root"
go build -o "$bin/benchfleet" ./internal/benchfleet
"$bin/benchfleet" -lade "$lade" -helm "$helm" -helmfile "$helmfile" -shared "$shared" -runs "${RUNS:-3}" "${stand_in[@]}"
