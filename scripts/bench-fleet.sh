#!/usr/bin/env bash
# Fleet benchmark against the test cluster (internal/testenv, no controllers):
# lade apply of 50 releases of 20 objects (gen-umbrella --subcharts 4
# --templates 3), first apply and no-op re-apply, beside 50 sequential
# `helm upgrade --install` runs of a reference Helm v4.3.1 and, when HELMFILE
# names a helmfile binary (v1.8.0: go install github.com/helmfile/helmfile@v1.8.0),
# `helmfile sync` of the same releases. See docs/benchmarks.md, "Fleets".
# Usage: scripts/bench-fleet.sh [HELM_BIN]   (defaults to $HELM or `helm` on PATH)
#   RUNS=N       no-op runs per tool (median reported; default 3)
#   HELMFILE=BIN the helmfile binary (skipped when unset)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
helm=${1:-${HELM:-$(command -v helm || true)}}
lade=$root/bin/lade
[ -x "$lade" ] || { echo "build lade first: make build" >&2; exit 1; }
[ -n "$helm" ] && [ -x "$helm" ] || { echo "# no reference helm (set HELM=/path/to/helm): timing lade alone"; helm=; }
export LADE_BENCH_FLEET=1 LADE_BIN=$lade HELM=$helm HELMFILE=${HELMFILE:-} SHARED=${SHARED:-$root/../shared} RUNS=${RUNS:-3}
if [ ! -x "$SHARED/bench/gen-umbrella" ]; then
  echo "# $SHARED/bench/gen-umbrella not found: fleet benchmark skipped"
  exit 0
fi
cd "$root"
go test -count=1 -run '^$' -bench '^BenchmarkFleet$' -benchtime 1x -timeout 60m -v ./pkg/fleet | grep -E 'first|Benchmark|ok|FAIL|skip'
