#!/usr/bin/env bash
# Before/after benchmarks of two commits of lade: builds lade at BASE and at
# HEAD (both from `git archive`, so uncommitted changes are left out) and
# times the whole-process figures of issue 18 on the test cluster
# (pkg/release BenchmarkCompare): template of the 100-subchart umbrella,
# install, no-op upgrade and diff upgrade of the 200-object umbrella, list
# over 1,000 revisions. The two binaries alternate run by run; medians are
# printed side by side with HEAD/BASE (below 1: HEAD is faster).
# Usage: scripts/bench-compare.sh BASE [HEAD]   (make bench-compare BASE=REV)
#   RUNS=N   runs of each binary per figure (default 5; template runs 2N)
# Needs the control-plane binaries (make k8s-bins, or LADE_K8S_BIN) and
# ../shared/bench/gen-umbrella. Takes 3-5 minutes on 2 cores.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
base=${1:?usage: scripts/bench-compare.sh BASE [HEAD]}
head=${2:-HEAD}
export SHARED=${SHARED:-$root/../shared}
[ -x "$SHARED/bench/gen-umbrella" ] || { echo "$SHARED/bench/gen-umbrella not found (set SHARED)" >&2; exit 1; }
base_rev=$(git -C "$root" rev-parse --short "$base^{commit}")
head_rev=$(git -C "$root" rev-parse --short "$head^{commit}")
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# build REV NAME: lade at REV as make build builds it (static, trimmed,
# with the tree's own default.pgo), then copied: a binary the linker has
# just written maps into more memory than a copy (see bench-render.sh).
build() {
  local src=$tmp/src-$2
  mkdir -p "$src"
  git -C "$root" archive "$1" | tar -x -C "$src"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$tmp/build-$2" ./cmd/lade)
  cp "$tmp/build-$2" "$tmp/lade-$2"
  rm -rf "$src" "$tmp/build-$2"
}
echo "# building lade at $base_rev (base) and $head_rev (head)"
build "$base_rev" base
build "$head_rev" head

cd "$root"
LADE_BENCH_COMPARE=1 LADE_BASE_BIN=$tmp/lade-base LADE_HEAD_BIN=$tmp/lade-head \
  LADE_BASE_NAME=$base_rev LADE_HEAD_NAME=$head_rev RUNS=${RUNS:-5} \
  go test -count=1 -run '^$' -bench '^BenchmarkCompare$' -benchtime 1x -timeout 60m ./pkg/release |
  grep -v -e '^goos:' -e '^goarch:' -e '^pkg:' -e '^cpu:' -e '^PASS' -e '^ok ' -e '^BenchmarkCompare'
