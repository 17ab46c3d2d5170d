package render

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

// sharedDir is the workspace's shared folder (conformance corpus, generators);
// benchmarks that need it skip when it is absent.
func sharedDir(tb testing.TB) string {
	tb.Helper()
	d, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared"))
	if _, err := os.Stat(d); err != nil {
		tb.Skip("../shared not found: skipping")
	}
	return d
}

// umbrella generates (once per run) the 100-subchart umbrella chart.
func umbrella(b *testing.B) string {
	b.Helper()
	gen := filepath.Join(sharedDir(b), "bench", "gen-umbrella")
	dir := filepath.Join(os.TempDir(), "lade-bench-umbrella-100")
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return dir
	}
	if out, err := exec.Command(gen, dir, "--subcharts", "100").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	return dir
}

func benchRender(b *testing.B, dir string, load bool) {
	ch, err := chart.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		c := ch
		if load {
			if c, err = chart.Load(dir); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := Chart(context.Background(), c, nil, Options{ReleaseName: "bench", Namespace: "default"}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUmbrella100 loads and renders the generated 100-subchart umbrella.
func BenchmarkUmbrella100(b *testing.B) { benchRender(b, umbrella(b), true) }

// BenchmarkConformance loads and renders each conformance chart with its defaults.
func BenchmarkConformance(b *testing.B) {
	charts, _ := filepath.Glob(filepath.Join(sharedDir(b), "conformance", "charts", "*"))
	for _, dir := range charts {
		b.Run(filepath.Base(dir), func(b *testing.B) {
			ch, err := chart.Load(dir)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := Chart(context.Background(), ch, nil, Options{ReleaseName: "bench", Namespace: "default"}); err != nil {
				b.Skipf("chart does not render with defaults: %v", err)
			}
			benchRender(b, dir, true)
		})
	}
}
