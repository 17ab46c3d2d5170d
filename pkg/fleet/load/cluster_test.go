package load_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
	"github.com/lade-dev/lade/pkg/api/v1alpha1"
	"github.com/lade-dev/lade/pkg/fleet/load"
)

func TestMain(m *testing.M) { testenv.Main(m) }

var releases = schema.GroupVersionResource{Group: v1alpha1.Group, Version: v1alpha1.Version, Resource: "releases"}

// installCRD creates the embedded Release CRD in the test cluster and
// waits until it serves.
func installCRD(t *testing.T, env *testenv.Env) dynamic.Interface {
	t.Helper()
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	var crd unstructured.Unstructured
	if err := yaml.Unmarshal(v1alpha1.CRD(), &crd.Object); err != nil {
		t.Fatal(err)
	}
	crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
	if _, err := crds.Create(ctx, &crd, metav1.CreateOptions{FieldValidation: "Strict"}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatalf("the API server refuses the generated CRD: %v", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := dyn.Resource(releases).Namespace("default").List(ctx, metav1.ListOptions{})
		if err == nil {
			return dyn
		}
		if time.Now().After(deadline) {
			t.Fatalf("releases.lade.dev not served: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// serverCreate creates a Release document (YAML) in ns as kubectl apply
// would (strict field validation), as a dry run, and returns what the API
// server would store.
func serverCreate(dyn dynamic.Interface, ns string, doc []byte) (*unstructured.Unstructured, error) {
	var u unstructured.Unstructured
	if err := yaml.Unmarshal(doc, &u.Object); err != nil {
		return nil, err
	}
	u.SetNamespace(ns)
	return dyn.Resource(releases).Namespace(ns).Create(context.Background(), &u, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
}

// The API server and Load agree: the documents of testdata/invalid marked
// "# server: refuses" are refused by both, naming the same field, and the
// valid ones get the same defaults and keep the same values.
func TestServerAgrees(t *testing.T) {
	env := testenv.Shared(t)
	dyn := installCRD(t, env)
	ns := env.NewNamespace(t)

	files, _ := filepath.Glob("testdata/invalid/*.yaml")
	refused := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\n# server: refuses\n") {
			continue
		}
		refused++
		_, field, _ := wantOf(t, file)
		_, err = serverCreate(dyn, ns, data)
		if err == nil {
			t.Errorf("%s: the API server accepts what Load refuses", file)
			continue
		}
		if !strings.Contains(err.Error(), field) {
			t.Errorf("%s: the API server refuses it for another reason than %s: %v", file, field, err)
		}
	}
	if refused < 8 {
		t.Errorf("only %d documents marked # server: refuses", refused)
	}

	// Valid documents: every default, nulls, an inline overlay, values
	// with a null (Helm's way to delete a chart default).
	dir := t.TempDir()
	doc := `apiVersion: lade.dev/v1alpha1
kind: Release
metadata:
  name: web
  labels: {tier: front}
spec:
  chart: {ref: oci://registry.example/charts/web, version: ^1.2}
  values:
    replicas: 3
    resources: null
    nested: {list: [1, two, {three: 3.5}], "on": yes}
  valuesFrom:
    - {kind: Secret, name: web-secret}
    - {kind: ConfigMap, name: web-values, key: prod.yaml, optional: true}
  overlay:
    inline:
      patches:
        - target: {kind: Deployment}
          patch: |
            - {op: add, path: /metadata/labels/x, value: "1"}
  dependsOn:
  timeout:
  uninstall: {}
`
	for i, d := range []string{doc, "apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: minimal}\nspec:\n  chart: {ref: repo/chart}\n"} {
		file := filepath.Join(dir, "r.yaml")
		if err := os.WriteFile(file, []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := load.Load(context.Background(), file, load.Options{Namespace: ns})
		if err != nil {
			t.Fatalf("document %d: %v", i, err)
		}
		got, err := json.Marshal(f.Releases[0].Spec)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := serverCreate(dyn, ns, []byte(d))
		if err != nil {
			t.Fatalf("document %d: the API server refuses what Load accepts: %v", i, err)
		}
		// Compared as the typed object (durations print as Go writes
		// them: 10m is 10m0s).
		raw, err := json.Marshal(obj.Object["spec"])
		if err != nil {
			t.Fatal(err)
		}
		var spec v1alpha1.ReleaseSpec
		if err := json.Unmarshal(raw, &spec); err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(spec)
		if err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, got, want) {
			t.Errorf("document %d: Load's spec differs from the API server's\n load: %s\n server: %s", i, got, want)
		}
	}
}

// kubectl get releases shows the chart, version, Ready condition and age;
// status is a subresource (written apart from spec).
func TestServerPrinterColumns(t *testing.T) {
	env := testenv.Shared(t)
	dyn := installCRD(t, env)
	ns := env.NewNamespace(t)
	ctx := context.Background()

	f, err := load.Load(ctx, "testdata/good/releases.yaml", load.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	db := f.Releases[0].Release.DeepCopy()
	db.Namespace = ns
	db.APIVersion, db.Kind = v1alpha1.GroupVersion.String(), v1alpha1.Kind
	obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(db)
	if err != nil {
		t.Fatal(err)
	}
	created, err := dyn.Resource(releases).Namespace(ns).Create(ctx, &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{FieldValidation: "Strict"})
	if err != nil {
		t.Fatal(err)
	}
	cond := map[string]any{"type": "Ready", "status": "True", "reason": "Applied", "message": "revision 1", "lastTransitionTime": "2026-01-01T00:00:00Z"}
	created.Object["status"] = map[string]any{"observedGeneration": int64(1), "conditions": []any{cond}}
	if _, err := dyn.Resource(releases).Namespace(ns).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("status subresource: %v", err)
	}

	var table metav1.Table
	err = env.Clientset().Discovery().RESTClient().Get().
		AbsPath("/apis/lade.dev/v1alpha1/namespaces", ns, "releases").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").
		Do(ctx).Into(&table)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range table.ColumnDefinitions {
		cols = append(cols, c.Name)
	}
	if !slices.Equal(cols, []string{"Name", "Chart", "Version", "Ready", "Age"}) || len(table.Rows) != 1 {
		t.Fatalf("columns %v, %d rows", cols, len(table.Rows))
	}
	row := table.Rows[0].Cells
	if row[0] != "db" || row[1] != "oci://registry.example/charts/postgres" || row[2] != ">=15.0.0 <16" || row[3] != "True" {
		t.Errorf("row %v", row)
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}
