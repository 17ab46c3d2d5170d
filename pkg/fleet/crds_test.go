package fleet_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/fleet"
	"github.com/lade-dev/lade/pkg/fleet/load"
)

// writeOperator writes chart operator at version with the definition
// widgets.GROUP in crds/ whose spec has the fields props.
func writeOperator(t *testing.T, dir, group, version string, props ...string) {
	t.Helper()
	fields := ""
	for _, p := range props {
		fields += "\n                " + p + ": {type: string}"
	}
	files := map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: operator\nversion: " + version + "\n",
		"crds/widgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.` + group + `
spec:
  group: ` + group + `
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:` + fields + "\n",
		"templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: operator-config\ndata:\n  chart: {{ .Chart.Version | quote }}\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// A Release's spec.crds reaches the upgrade: the default (create) leaves
// a changed definition in crds/ alone, create-replace applies it.
func TestReleaseCRDPolicy(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	group := strings.ReplaceAll(ns, "-", "") + ".fleet.example.com"
	crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	e, _ := engine(t, "ops")
	t.Cleanup(func() {
		_ = e.Kube.Dynamic.Resource(crdGVR).Delete(context.Background(), "widgets."+group, metav1.DeleteOptions{})
	})
	fields := func() string {
		t.Helper()
		u, err := e.Kube.Dynamic.Resource(crdGVR).Get(ctx, "widgets."+group, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		vs, _, _ := unstructured.NestedSlice(u.Object, "spec", "versions")
		props, _, _ := unstructured.NestedMap(vs[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec", "properties")
		var names []string
		for k := range props {
			names = append(names, k)
		}
		return strings.Join(names, ",")
	}
	dir := filepath.Join(t.TempDir(), "operator")
	apply := func(version, crds string) {
		t.Helper()
		var rel v1alpha1.Release
		doc := "apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: op, namespace: " + ns + "}\n" +
			"spec:\n  chart: {ref: " + dir + "}\n  timeout: 1m\n"
		if crds != "" {
			doc += "  crds: " + crds + "\n"
		}
		if err := yaml.UnmarshalStrict([]byte(doc), &rel); err != nil {
			t.Fatal(err)
		}
		f := &load.Fleet{Name: "ops", Releases: []*load.Release{{Release: &rel}}}
		nodes, _ := fleet.FromLoad(f, fleet.Sources{Chart: func(_ context.Context, ref, _, _ string) (*chart.Chart, error) {
			return chart.Load(ref)
		}})
		p, err := e.Plan(ctx, nodes)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Errors() {
			t.Fatalf("%s: %v", it.Key, it.Err)
		}
		if err := e.Apply(ctx, p); err != nil {
			t.Fatalf("apply of chart %s with crds %q: %v", version, crds, err)
		}
	}

	writeOperator(t, dir, group, "1.0.0", "color")
	apply("1.0.0", "")
	if got := fields(); got != "color" {
		t.Fatalf("installed definition has spec fields %q", got)
	}
	writeOperator(t, dir, group, "1.1.0", "color", "shape")
	apply("1.1.0", "")
	if got := fields(); got != "color" {
		t.Fatalf("crds: create (the default) changed the definition on upgrade: %q", got)
	}
	writeOperator(t, dir, group, "1.2.0", "color", "shape")
	apply("1.2.0", "create-replace")
	if got := fields(); !strings.Contains(got, "shape") {
		t.Fatalf("crds: create-replace did not apply the changed definition: spec fields %q", got)
	}
	if h := history(t, e, fleet.Key{Namespace: ns, Name: "op"}); len(h) != 3 {
		t.Errorf("%d revisions, want 3", len(h))
	}
}
