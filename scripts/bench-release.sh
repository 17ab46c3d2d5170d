#!/usr/bin/env bash
# Release benchmarks against the test cluster (internal/testenv, 5 kwok nodes):
# install, --wait install (with how long after the last Deployment became ready
# each tool returns), no-op upgrade of the 200-object umbrella
# (gen-umbrella DIR --subcharts 40 --templates 3) and list over 1,000 revisions
# (time and bytes received), lade beside a reference Helm v4.3.1 when one is given.
# Usage: scripts/bench-release.sh [HELM_BIN]   (defaults to $HELM or `helm` on PATH)
#   RUNS=N     runs per timing (median reported; default 3)
# Needs the control-plane binaries (make k8s-bins) and bin/lade (make build).
# Takes 5-10 minutes on 2 cores. See docs/benchmarks.md, "Releases".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
helm=${1:-${HELM:-$(command -v helm || true)}}
lade=$root/bin/lade
[ -x "$lade" ] || { echo "build lade first: make build" >&2; exit 1; }
if [ -n "$helm" ] && [ ! -x "$helm" ]; then
  echo "# $helm is not executable: timing lade alone" >&2
  helm=
fi
[ -n "$helm" ] || echo "# no reference helm (set HELM=/path/to/helm): timing lade alone"
export LADE_BENCH_RELEASE=1 LADE_BIN=$lade HELM=$helm SHARED=${SHARED:-$root/../shared} RUNS=${RUNS:-3}
if [ ! -x "$SHARED/bench/gen-umbrella" ]; then
  echo "# $SHARED/bench/gen-umbrella not found: release benchmarks skipped"
  exit 0
fi
cd "$root"
go test -count=1 -run '^$' -bench '^BenchmarkReleases$' -benchtime 1x -timeout 60m ./pkg/release
