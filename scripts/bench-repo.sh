#!/usr/bin/env bash
# Chart repository benchmarks, lade beside a reference Helm v4.3.1 on the same
# repositories.yaml and index cache: `search repo` over the ~15 MB index made by
# ../shared/bench/gen-index (1000 charts x 15 versions), the bytes an unchanged
# `repo update` transfers, and `template REPO/CHART` with a warm cache against
# `template DIR` of the same chart.
# Usage: scripts/bench-repo.sh [HELM_BIN]   (defaults to $HELM or `helm` on PATH)
#   RUNS=N  runs per timing (median and min reported; default 5)
# Needs bin/lade (make build), python3 and GNU time (/usr/bin/time).
# See docs/benchmarks.md, "Chart repositories".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
helm=${1:-${HELM:-$(command -v helm || true)}}
shared=${SHARED:-$root/../shared}
runs=${RUNS:-5}
[ -x "$root/bin/lade" ] || { echo "build lade first: make build" >&2; exit 1; }
[ -x "$shared/bench/gen-index" ] || { echo "# $shared/bench/gen-index not found: skipped"; exit 0; }
[ -n "$helm" ] && [ -x "$helm" ] || { echo "# no reference helm (set HELM=...): skipped"; exit 0; }

tmp=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# Fresh copies: a binary the linker just wrote maps larger pages (see "Render").
cp "$root/bin/lade" "$tmp/lade"; cp "$helm" "$tmp/helm"
lade=$tmp/lade helm=$tmp/helm
export HELM_REPOSITORY_CONFIG=$tmp/repositories.yaml HELM_REPOSITORY_CACHE=$tmp/cache \
  HELM_CONFIG_HOME=$tmp/helmconfig HELM_CACHE_HOME=$tmp/helmcache HELM_DATA_HOME=$tmp/helmdata \
  XDG_CACHE_HOME=$tmp/xdg
python3 "$shared/bench/gen-index" "$tmp/pub" >/dev/null
mkdir -p "$tmp/pub/real" "$tmp/src/app/templates"
printf 'apiVersion: v2\nname: app\nversion: 1.0.0\n' >"$tmp/src/app/Chart.yaml"
for i in $(seq 1 20); do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-%s\ndata:\n  v: {{ .Values.v | default "x" | quote }}\n' "$i" >"$tmp/src/app/templates/cm$i.yaml"
done
"$lade" package "$tmp/src/app" -d "$tmp/pub/real" >/dev/null
"$lade" repo index "$tmp/pub/real"

# A static file server (Python's, Last-Modified and If-Modified-Since) that
# appends "sent received" byte counts of each request to $tmp/bytes.
cat >"$tmp/serve.py" <<'PY'
import http.server, sys, functools
class Count:
    def __init__(self, w): self.w, self.n = w, 0
    def write(self, b): self.n += len(b); return self.w.write(b)
    def flush(self): self.w.flush()
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def handle_one_request(self):
        self.wfile = Count(self.wfile)
        super().handle_one_request()
        if getattr(self, "requestline", ""):
            recv = len(self.raw_requestline) + len(str(self.headers or ""))
            with open(sys.argv[2], "a") as f: f.write(f"{self.wfile.n} {recv}\n")
        self.wfile = self.wfile.w
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(H, directory=sys.argv[1]))
print(s.server_address[1], flush=True)
s.serve_forever()
PY
python3 "$tmp/serve.py" "$tmp/pub" "$tmp/bytes" >"$tmp/port" &
server=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
url=http://127.0.0.1:$(cat "$tmp/port")
"$lade" repo add bench "$url" >/dev/null
"$lade" repo add real "$url/real" >/dev/null
echo "# index: $(stat -c %s "$tmp/cache/bench-index.yaml") bytes, $(wc -l <"$tmp/cache/bench-charts.txt") charts; $runs runs; load $(cut -d' ' -f1-3 /proc/loadavg)"

# measure NAME CMD...: median and min seconds, max RSS (MiB) over $runs runs.
measure() {
  local name=$1; shift
  local f=$tmp/m.$name; : >"$f"
  for _ in $(seq "$runs"); do /usr/bin/time -a -o "$f" -f '%e %M' "$@" >/dev/null 2>&1; done
  sort -n "$f" | awk -v n="$name" '{t[NR]=$1; if ($2>m) m=$2} END {printf "%s %s %s %.1f\n", n, t[int((NR+1)/2)], t[1], m/1024}'
}
cmp() { [ "$("$lade" "$@")" = "$("$helm" "$@")" ] && echo same || echo DIFFERENT; }
echo "| command | lade median / min | Helm median / min | speed-up (median) | lade max RSS | Helm max RSS | output |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for args in "search repo cache" "search repo" "search repo gateway --versions"; do
  read -r _ lm lmin lr < <(measure lade "$lade" $args)
  read -r _ hm hmin hr < <(measure helm "$helm" $args)
  printf '| `%s` | %s s / %s s | %s s / %s s | %sx | %s MiB | %s MiB | %s |\n' "$args" "$lm" "$lmin" "$hm" "$hmin" \
    "$(awk -v a="$hm" -v b="$lm" 'BEGIN {printf "%.1f", a/(b>0?b:0.01)}')" "$lr" "$hr" "$(cmp $args)"
done

: >"$tmp/bytes"
"$lade" repo update bench >/dev/null
awk '{s+=$1; r+=$2; n++} END {printf "unchanged `lade repo update bench`: %d request(s), %d bytes sent by the server, %d received\n", n, s, r}' "$tmp/bytes"
: >"$tmp/bytes"
"$helm" repo update bench >/dev/null 2>&1
awk '{s+=$1; r+=$2; n++} END {printf "unchanged `helm repo update bench`: %d request(s), %d bytes sent by the server, %d received\n", n, s, r}' "$tmp/bytes"

"$lade" template x real/app >/dev/null # warm the content cache
# per NAME CMD...: mean milliseconds of 20 runs (GNU time rounds to 10 ms).
per() {
  local name=$1; shift
  local t0 t1; t0=$(date +%s%N)
  for _ in $(seq 20); do "$@" >/dev/null; done
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 20000000 ))"
}
for _ in 1 2; do
  read -r _ rt < <(per repo "$lade" template x real/app)
  read -r _ dt < <(per dir "$lade" template x "$tmp/src/app")
  echo "\`lade template x real/app\` (warm cache): mean $rt ms; \`lade template x DIR\` of the same chart: mean $dt ms"
done
