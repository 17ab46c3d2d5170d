package fleet_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lade-dev/lade/internal/testenv"
)

// BenchmarkFleet compares whole processes applying one fleet on the test
// cluster: 50 releases of the 20-object umbrella of gen-umbrella
// --subcharts 4 --templates 3 (4 ConfigMaps, 4 Services, 12 Deployments;
// the control plane runs no controllers, so no pods), not waiting for
// readiness. It times `lade apply` (first apply, then no-op re-applies)
// beside 50 sequential `helm upgrade --install` runs of the reference Helm
// and, when HELMFILE names a helmfile binary, `helmfile sync` of the same
// releases driving that Helm, and reports each tool's peak resident set
// (the largest process: helmfile's rusage covers the helm runs it waited
// for).
//
// It runs only with LADE_BENCH_FLEET=1 (scripts/bench-fleet.sh), with
// HELM=/path/to/helm (v4.3.1), LADE_BIN (built when unset), SHARED (the
// directory holding bench/gen-umbrella) and RUNS (no-op runs, default 3).
func BenchmarkFleet(b *testing.B) {
	if os.Getenv("LADE_BENCH_FLEET") != "1" {
		b.Skip("set LADE_BENCH_FLEET=1 (scripts/bench-fleet.sh) to run the fleet benchmark")
	}
	const releases = 50
	env := testenv.StartT(b)
	dir := b.TempDir()
	shared := os.Getenv("SHARED")
	if shared == "" {
		shared = "../../../shared"
	}
	chart := filepath.Join(dir, "umbrella")
	if out, err := exec.Command(filepath.Join(shared, "bench", "gen-umbrella"), chart, "--subcharts", "4", "--templates", "3").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	lade := os.Getenv("LADE_BIN")
	if lade == "" {
		lade = filepath.Join(dir, "lade")
		if out, err := exec.Command("go", "build", "-o", lade, "../../cmd/lade").CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	runs := 3
	if n, err := strconv.Atoi(os.Getenv("RUNS")); err == nil && n > 0 {
		runs = n
	}
	kc := []string{"--kubeconfig", env.KubeconfigPath}
	for b.Loop() {
		ns := env.NewNamespace(b)
		fleetFile := writeBenchFleet(b, dir, ns, chart, releases)
		first := runProc(b, lade, append([]string{"apply", "-f", fleetFile}, kc...)...)
		noop := medianOf(b, runs, func() proc { return runProc(b, lade, append([]string{"apply", "-f", fleetFile}, kc...)...) })
		report(b, "lade apply", first, noop)

		if helm := os.Getenv("HELM"); helm != "" {
			ns := env.NewNamespace(b)
			loop := func() proc {
				var all proc
				for i := range releases {
					p := runProc(b, helm, append([]string{"upgrade", "--install", fmt.Sprintf("r%02d", i), chart, "-n", ns}, kc...)...)
					all.d += p.d
					all.rss = max(all.rss, p.rss)
				}
				return all
			}
			first := loop()
			report(b, "helm upgrade --install x50", first, medianOf(b, runs, loop))
		}
		if hf := os.Getenv("HELMFILE"); hf != "" {
			ns := env.NewNamespace(b)
			file := writeHelmfile(b, dir, ns, chart, releases)
			args := []string{"--file", file, "--helm-binary", os.Getenv("HELM"), "--kubeconfig", env.KubeconfigPath, "sync"}
			first := runProc(b, hf, args...)
			report(b, "helmfile sync", first, medianOf(b, runs, func() proc { return runProc(b, hf, args...) }))
		}
	}
}

// proc is a process's wall time and peak resident set.
type proc struct {
	d   time.Duration
	rss int64 // bytes
}

func runProc(b *testing.B, bin string, args ...string) proc {
	b.Helper()
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String())
	}
	p := proc{d: time.Since(start)}
	if u, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		p.rss = u.Maxrss * 1024
	}
	return p
}

func medianOf(b *testing.B, runs int, f func() proc) proc {
	b.Helper()
	var ps []proc
	for range runs {
		ps = append(ps, f())
	}
	slices.SortFunc(ps, func(x, y proc) int { return int(x.d - y.d) })
	m := ps[len(ps)/2]
	for _, p := range ps {
		m.rss = max(m.rss, p.rss)
	}
	return m
}

func report(b *testing.B, tool string, first, noop proc) {
	b.Logf("%-28s first %7.2fs  no-op (median) %7.2fs  peak RSS %6.1f MiB", tool, first.d.Seconds(), noop.d.Seconds(), float64(max(first.rss, noop.rss))/(1<<20))
	key := strings.Fields(tool)[0]
	b.ReportMetric(first.d.Seconds(), key+"-first-s")
	b.ReportMetric(noop.d.Seconds(), key+"-noop-s")
	b.ReportMetric(float64(max(first.rss, noop.rss))/(1<<20), key+"-rss-MiB")
}

func writeBenchFleet(b *testing.B, dir, ns, chart string, n int) string {
	b.Helper()
	var docs []string
	for i := range n {
		docs = append(docs, fmt.Sprintf("apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: r%02d, namespace: %s}\nspec:\n  chart: {ref: %q}\n  wait: false\n", i, ns, chart))
	}
	f := filepath.Join(dir, ns+".yaml")
	if err := os.WriteFile(f, []byte(strings.Join(docs, "---\n")), 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}

func writeHelmfile(b *testing.B, dir, ns, chart string, n int) string {
	b.Helper()
	var s strings.Builder
	s.WriteString("releases:\n")
	for i := range n {
		fmt.Fprintf(&s, "  - name: r%02d\n    namespace: %s\n    chart: %s\n", i, ns, chart)
	}
	f := filepath.Join(dir, "helmfile-"+ns+".yaml")
	if err := os.WriteFile(f, []byte(s.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	return f
}
