package kube_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/chart/common"
	"github.com/lade-dev/lade/pkg/kube"
	"github.com/lade-dev/lade/pkg/render"
)

// staticMapper maps the kinds of the generated umbrella without a cluster.
type staticMapper struct{ *meta.DefaultRESTMapper }

func (staticMapper) Reset() {}

// BenchmarkBuildRendered200 renders the 200-object umbrella of
// gen-umbrella --subcharts 40 --templates 3 as an install does (the render
// parses each document) and builds its objects: "objects" from the
// rendered objects (Client.BuildObjects, what install and upgrade do),
// "text" from the manifest text (Client.Build, what a stored revision
// takes: every document parsed again). Needs ../shared/bench/gen-umbrella.
func BenchmarkBuildRendered200(b *testing.B) {
	gen, _ := filepath.Abs(filepath.Join("..", "..", "..", "shared", "bench", "gen-umbrella"))
	if _, err := os.Stat(gen); err != nil {
		b.Skipf("%s not found", gen)
	}
	dir := filepath.Join(b.TempDir(), "umbrella")
	if out, err := exec.Command(gen, dir, "--subcharts", "40", "--templates", "3").CombinedOutput(); err != nil {
		b.Fatalf("gen-umbrella: %v\n%s", err, out)
	}
	ch, err := chart.Load(dir)
	if err != nil {
		b.Fatal(err)
	}
	m := meta.NewDefaultRESTMapper(nil)
	for _, gvk := range []schema.GroupVersionKind{{Version: "v1", Kind: "ConfigMap"}, {Version: "v1", Kind: "Service"}, {Group: "apps", Version: "v1", Kind: "Deployment"}} {
		m.Add(gvk, meta.RESTScopeNamespace)
	}
	kc := &kube.Client{Mapper: staticMapper{m}}
	opts := render.Options{ReleaseName: "bench", Namespace: "default", Capabilities: common.DefaultCapabilities(nil), ParseObjects: true}
	for _, c := range []struct {
		name  string
		build func(*render.Result) (int, error)
	}{
		{"objects", func(res *render.Result) (int, error) {
			b, err := kc.BuildObjects(res.Manifests, "default", false)
			return len(b.Resources), err
		}},
		{"text", func(res *render.Result) (int, error) {
			rs, err := kc.Build(res.ManifestText(false), "default")
			return len(rs), err
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := render.Chart(context.Background(), ch, nil, opts)
				if err != nil {
					b.Fatal(err)
				}
				n, err := c.build(res)
				if err != nil || n != 200 {
					b.Fatalf("%d objects: %v", n, err)
				}
			}
		})
	}
}
