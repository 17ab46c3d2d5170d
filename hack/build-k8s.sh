#!/usr/bin/env bash
# hack/build-k8s.sh — build the control-plane binaries used by internal/testenv
# and `make cluster-up` into bin/k8s/<kubernetes version>/:
#
#   kube-apiserver, kube-controller-manager, kube-scheduler   hack/tools/go.mod      (k8s.io/kubernetes)
#   etcd                                                      hack/tools/etcd/go.mod (go.etcd.io/etcd/server/v3)
#   kwok                                                      hack/tools/kwok/go.mod (sigs.k8s.io/kwok)
#
# The build is skipped when all binaries exist and bin/k8s/<version>/.stamp holds the
# hash of the three go.mod/go.sum pairs, this script and the Go version. A cold build
# (empty Go build cache) takes roughly 15-25 minutes on 2 cores; warm, about a minute.
#
# Environment:
#   GO                 go command (default: go)
#   LADE_K8S_BIN       output directory (default: <repo>/bin/k8s/<version>)
#   LADE_K8S_FORCE=1   rebuild even when the stamp is current
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
TOOLS=$ROOT/hack/tools
GO=${GO:-go}
command -v "$GO" >/dev/null || { echo "build-k8s: go toolchain not found (set GO=...)" >&2; exit 1; }

log() { printf '[build-k8s %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Resolve the pinned Kubernetes version (and its release time for buildDate) from the tools module.
read -r KV KTIME < <(cd "$TOOLS" && "$GO" list -m -f '{{.Version}} {{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' k8s.io/kubernetes) ||
  die "cannot resolve k8s.io/kubernetes in $TOOLS/go.mod"
[[ $KV =~ ^v([0-9]+)\.([0-9]+)\. ]] || die "unexpected k8s.io/kubernetes version '$KV'"
MAJOR=${BASH_REMATCH[1]} MINOR=${BASH_REMATCH[2]}
KWOKV=$(cd "$TOOLS/kwok" && "$GO" list -m -f '{{.Version}}' sigs.k8s.io/kwok) || die "cannot resolve sigs.k8s.io/kwok"

OUT=${LADE_K8S_BIN:-$ROOT/bin/k8s/$KV}
BINS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd -P)

# One build at a time per output directory (parallel `make` runs, several test packages).
exec 9>"$OUT/.lock"
flock -w 3600 9 || die "could not lock $OUT/.lock"

KEY=$({
  for m in "$TOOLS" "$TOOLS/etcd" "$TOOLS/kwok"; do cat "$m/go.mod" "$m/go.sum"; done
  cat "${BASH_SOURCE[0]}"
  "$GO" version
} | sha256sum | cut -d' ' -f1)

current() {
  local b
  [[ -f $OUT/.stamp && $(<"$OUT/.stamp") == "$KEY" ]] || return 1
  for b in "${BINS[@]}"; do [[ -x $OUT/$b ]] || return 1; done
}
if [[ ${LADE_K8S_FORCE:-0} != 1 ]] && current; then
  log "up to date: $OUT (kubernetes $KV, kwok $KWOKV)"
  exit 0
fi

# Fast, reproducible, static binaries:
#  -trimpath, CGO_ENABLED=0  no cgo compile step, no absolute paths (as Kubernetes' own release builds)
#  -ldflags=-s -w            no symbol table / DWARF: faster link, ~30% smaller binaries
#  one `go build` per module with all its commands, so shared packages compile once.
export CGO_ENABLED=0
FLAGS=(-trimpath -buildvcs=false)
VF=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  # Without this /version reports v0.0.0-master, which breaks kubeVersion constraints and .Capabilities.
  VF+=" -X $p.gitVersion=$KV -X $p.gitMajor=$MAJOR -X $p.gitMinor=$MINOR"
  VF+=" -X $p.gitTreeState=clean -X $p.buildDate=$KTIME"
done

TMP=$OUT/.tmp
rm -rf "$TMP" && mkdir -p "$TMP" "$OUT/logs"
T0=$(date +%s)
log "building kubernetes $KV, etcd, kwok $KWOKV into $OUT"
log "(cold Go build cache: 15-25 min on 2 cores; warm: about a minute; logs: $OUT/logs/)"

gobuild() { # NAME MODULE-DIR LDFLAGS OUTPUT PKG...
  local name=$1 mod=$2 ldflags=$3 o=$4 t; t=$(date +%s); shift 4
  log "go build $*"
  if ! (cd "$mod" && "$GO" build "${FLAGS[@]}" -ldflags="$ldflags" -o "$o" "$@") >"$OUT/logs/build-$name.log" 2>&1; then
    tail -n 40 "$OUT/logs/build-$name.log" >&2
    die "building $name failed (full log: $OUT/logs/build-$name.log)"
  fi
  log "built $name in $(($(date +%s) - t))s"
}
gobuild kubernetes "$TOOLS" "-s -w$VF" "$TMP/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
gobuild etcd "$TOOLS/etcd" "-s -w" "$TMP/etcd" go.etcd.io/etcd/server/v3
gobuild kwok "$TOOLS/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=$KWOKV" "$TMP/kwok" sigs.k8s.io/kwok/cmd/kwok

for b in "${BINS[@]}"; do mv -f "$TMP/$b" "$OUT/$b"; done
rm -rf "$TMP"
echo "$KEY" >"$OUT/.stamp"
log "done in $(($(date +%s) - T0))s: $(cd "$OUT" && du -ch "${BINS[@]}" | tail -n1 | cut -f1) in $OUT"
