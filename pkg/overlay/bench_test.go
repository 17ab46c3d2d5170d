package overlay_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/lade-dev/lade/internal/parallel"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/overlay"
	"github.com/lade-dev/lade/pkg/render"
)

// generated makes (once per machine) a chart with ../shared/bench/gen-umbrella.
func generated(b testing.TB, name string, args ...string) string {
	b.Helper()
	gen, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "bench", "gen-umbrella"))
	if _, err := os.Stat(gen); err != nil {
		b.Skip("../shared/bench/gen-umbrella not found: skipping")
	}
	dir := filepath.Join(os.TempDir(), "lade-bench-overlay-"+name)
	if _, err := os.Stat(filepath.Join(dir, "Chart.yaml")); err == nil {
		return dir
	}
	if out, err := exec.Command(gen, append([]string{dir}, args...)...).CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	return dir
}

// benchOverlay reports, for one chart, the render alone ("render") and each
// overlay alone on that render ("overlay=bench": labels, annotations,
// namespace, images and a patch of every Deployment; "overlay=bench-light":
// the same without the patch), so they can be compared. "floor" is the
// least any overlay printing kustomize's output must do: read every
// rendered document into yaml.v3 nodes and print them with kustomize's
// encoder settings, on all cores, with no transformation at all.
func benchOverlay(b *testing.B, dir string) {
	ch, err := chart.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	opts := render.Options{ReleaseName: "bench", Namespace: "default"}
	res, err := render.Chart(context.Background(), ch, nil, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := render.Chart(context.Background(), ch, nil, opts); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("floor", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			errs := make([]error, len(res.Manifests))
			parallel.For(0, len(res.Manifests), func(i int) {
				var n kyaml.Node
				if errs[i] = kyaml.Unmarshal([]byte(res.Manifests[i].Content), &n); errs[i] != nil {
					return
				}
				var buf bytes.Buffer
				e := kyaml.NewEncoder(&buf)
				if errs[i] = e.Encode(&n); errs[i] == nil {
					errs[i] = e.Close()
				}
			})
			for _, err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	for _, name := range []string{"bench", "bench-light"} {
		ov, err := overlay.Load(filepath.Join(testdata, name))
		if err != nil {
			b.Fatal(err)
		}
		b.Run("overlay="+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				out, err := overlay.Apply(res, ov, overlay.Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Manifests) != len(res.Manifests) {
					b.Fatalf("%d manifests, want %d", len(out.Manifests), len(res.Manifests))
				}
			}
		})
	}
}

// BenchmarkOverlayUmbrella100: the 100-subchart umbrella (500 objects).
func BenchmarkOverlayUmbrella100(b *testing.B) {
	benchOverlay(b, generated(b, "umbrella-100", "--subcharts", "100"))
}

// BenchmarkOverlay200Objects: a 200-object chart (40 subcharts, 3 templates each).
func BenchmarkOverlay200Objects(b *testing.B) {
	benchOverlay(b, generated(b, "200-objects", "--subcharts", "40", "--templates", "3"))
}
