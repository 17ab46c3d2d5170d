#!/usr/bin/env bash
# Side-by-side render benchmarks: lade against a reference Helm v4.3.1 on the
# 100-subchart umbrella and on every conformance chart (first case of each).
# Usage: scripts/bench-render.sh [HELM_BIN]   (HELM_BIN defaults to $HELM or `helm` on PATH)
# Build the reference Helm outside the project:
#   GOBIN=/opt/helmref go install helm.sh/helm/v4/cmd/helm@v4.3.1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=${SHARED:-$root/../shared}
helm=${1:-${HELM:-$(command -v helm || true)}}
runs=${RUNS:-5}
lade=$root/bin/lade

[ -x "$lade" ] || { echo "build lade first: make build" >&2; exit 1; }
# Both binaries run from fresh copies. A binary the Go linker has just
# written sits in the page cache in large folios, and mapping it adds about
# 5 MiB to every process's resident set (one 2 MiB huge page of text and
# larger fault-around): a copy written with write(2) does not. Copying both
# measures them alike, however each was installed.
bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
cp "$lade" "$bins/lade"
lade=$bins/lade
(cd "$root" && go build -o "$bins/benchcmp" ./internal/benchcmp)
cmp=("$bins/benchcmp" -n "$runs")
others=()
if [ -n "$helm" ] && [ -x "$helm" ]; then
  cp "$helm" "$bins/helm"
  helm=$bins/helm
  others=(-- "$helm")
else
  echo "# no reference helm (set HELM=/path/to/helm): timing lade alone"
fi
export KUBECONFIG=/dev/null HELM_CACHE_HOME=$(mktemp -d) HELM_CONFIG_HOME=$(mktemp -d) HELM_DATA_HOME=$(mktemp -d)

if [ -x "$shared/bench/gen-umbrella" ]; then
  umb=$(mktemp -d)/umbrella
  "$shared/bench/gen-umbrella" "$umb" --subcharts 100 >/dev/null
  if [ ${#others[@]} -gt 0 ]; then
    "${cmp[@]}" -name umbrella-100 -- "$lade" template u "$umb" -- "$helm" template u "$umb"
  else
    "${cmp[@]}" -name umbrella-100 -- "$lade" template u "$umb"
  fi
fi

corpus=$shared/conformance
[ -d "$corpus" ] || { echo "# $corpus not found: conformance timings skipped"; exit 0; }
seen=""
for case in "$corpus"/cases/*.yaml; do
  grep -q '^  golden:' "$case" || continue
  chart=$(sed -n 's/^chart_name: //p' "$case")
  case " $seen " in *" $chart "*) continue;; esac
  seen="$seen $chart"
  args=$(sed -n 's/^command: helm template //p' "$case")
  if [ ${#others[@]} -gt 0 ]; then
    # shellcheck disable=SC2086
    "${cmp[@]}" -C "$corpus" -name "$chart" -- "$lade" template $args -- "$helm" template $args
  else
    # shellcheck disable=SC2086
    "${cmp[@]}" -C "$corpus" -name "$chart" -- "$lade" template $args
  fi
done
