package diff_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/release"
)

// BenchmarkDiffUpgrade200 diffs an upgrade of the 200-object umbrella
// (gen-umbrella --subcharts 40 --templates 3) that changes a label of every
// object: in process per iteration (render, 200 dry-runs, normalise, diff),
// then whole processes (median of 5): `lade diff upgrade` beside
// `kubectl diff --server-side` on the same rendered manifests (field
// manager lade, --force-conflicts, so both predict the same apply).
// Needs ../shared/bench/gen-umbrella (or $SHARED); kubectl is optional.
func BenchmarkDiffUpgrade200(b *testing.B) {
	shared := os.Getenv("SHARED")
	if shared == "" {
		shared = "../../../shared"
	}
	gen := filepath.Join(shared, "bench", "gen-umbrella")
	if _, err := os.Stat(gen); err != nil {
		b.Skipf("%s not found", gen)
	}
	dir := filepath.Join(b.TempDir(), "umbrella")
	if out, err := exec.Command(gen, dir, "--subcharts", "40", "--templates", "3").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	env := testenv.Shared(b)
	ns := env.NewNamespace(b)
	kc, err := kube.New(env.Config())
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cfg := &release.Config{Kube: kc, Namespace: ns}
	load := func() *chart.Chart {
		ch, err := chart.Load(dir)
		if err != nil {
			b.Fatal(err)
		}
		return ch
	}
	if _, err := cfg.Install(ctx, release.InstallOptions{Name: "bench", Chart: load()}); err != nil {
		b.Fatal(err)
	}
	vals := map[string]any{"global": map[string]any{"commonLabels": map[string]any{"team": "payments"}}}
	plan := func() *diff.Report {
		p, err := cfg.PlanUpgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "bench", Chart: load(), Values: vals}})
		if err != nil {
			b.Fatal(err)
		}
		next, current := p.Next, p.Current
		var in diff.Input
		if in.Desired, in.Unmapped, err = kc.BuildLenient(next.Manifest, ns); err != nil {
			b.Fatal(err)
		}
		kube.SetOwnership(in.Desired, "bench", ns)
		in.FieldManager = next.FieldManager
		if in.Previous, _, err = kc.BuildLenient(current.Manifest, ns); err != nil {
			b.Fatal(err)
		}
		rep, err := diff.Apply(ctx, kc, in, diff.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return rep
	}
	rep := plan()
	if rep.Summary.Update != 200 {
		b.Fatalf("want 200 updates, got %+v", rep.Summary)
	}
	b.ResetTimer()
	for b.Loop() {
		plan()
	}
	b.StopTimer()

	// Whole processes on the same rendered objects.
	root, _ := filepath.Abs("../..")
	tmp := b.TempDir()
	ladeBin := os.Getenv("LADE_BIN")
	if ladeBin == "" {
		ladeBin = filepath.Join(tmp, "lade")
		if out, err := exec.Command("go", "build", "-o", ladeBin, filepath.Join(root, "cmd", "lade")).CombinedOutput(); err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
	}
	p, err := cfg.PlanUpgrade(ctx, release.UpgradeOptions{InstallOptions: release.InstallOptions{Name: "bench", Chart: load(), Values: vals}})
	if err != nil {
		b.Fatal(err)
	}
	next := p.Next
	objs, _, err := kc.BuildLenient(next.Manifest, ns)
	if err != nil {
		b.Fatal(err)
	}
	kube.SetOwnership(objs, "bench", ns)
	var manifest strings.Builder
	for _, r := range objs {
		y, err := yaml.Marshal(r.Object.Object)
		if err != nil {
			b.Fatal(err)
		}
		manifest.WriteString("---\n")
		manifest.Write(y)
	}
	mf := filepath.Join(tmp, "upgrade.yaml")
	if err := os.WriteFile(mf, []byte(manifest.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	timeIt := func(name string, okCodes []int, args ...string) (time.Duration, string) {
		var times []time.Duration
		var out []byte
		for range 5 {
			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env = append(os.Environ(), "KUBECONFIG="+env.KubeconfigPath)
			start := time.Now()
			var err error
			out, err = cmd.Output()
			times = append(times, time.Since(start))
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				b.Fatalf("%s: %v", name, err)
			}
			if !slices.Contains(okCodes, code) {
				b.Fatalf("%s: exit %d\n%s", name, code, out)
			}
		}
		slices.Sort(times)
		return times[len(times)/2], string(out)
	}
	lt, lout := timeIt("lade diff", []int{2}, ladeBin, "diff", "upgrade", "bench", dir, "-n", ns,
		"--set", "global.commonLabels.team=payments", "--detailed-exitcode", "--color", "never")
	b.ReportMetric(lt.Seconds(), "lade-diff-s")
	b.Logf("lade diff upgrade (process, median of 5): %s, %d objects shown", lt.Round(time.Millisecond), strings.Count(lout, "\n--- live\n"))
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		b.Log("kubectl not on PATH: no comparison")
		return
	}
	kt, kout := timeIt("kubectl diff", []int{0, 1}, kubectl, "diff", "--server-side", "--field-manager=lade", "--force-conflicts", "-f", mf)
	b.ReportMetric(kt.Seconds(), "kubectl-diff-s")
	b.ReportMetric(kt.Seconds()/lt.Seconds(), "speedup-x")
	b.Logf("kubectl diff --server-side (process, median of 5): %s, %d objects shown; lade is %.1fx faster",
		kt.Round(time.Millisecond), strings.Count(kout, "\ndiff -u -N ")+boolInt(strings.HasPrefix(kout, "diff -u -N ")), kt.Seconds()/lt.Seconds())
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
