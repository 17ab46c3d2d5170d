package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/internal/testenv"
)

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// widgetSchemaYAML is a widget schema: spec.size and spec.color, plus the
// extra properties, with the required list given.
func widgetSchemaYAML(required, extra string) string {
	req := ""
	if required != "" {
		req = "\n              required: [" + required + "]"
	}
	return `
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object` + req + `
              properties:
                size: {type: integer}
                color: {type: string}` + extra
}

// writeCRDChart writes a chart with the definition widgets.GROUP in crds/
// (scope and versions given), a Widget w1 (spec from .Values.spec, at
// apiVersion GROUP/.Values.version) and a ConfigMap holding .Values.data.
func writeCRDChart(t *testing.T, dir, group, scope, versions string) {
	t.Helper()
	files := map[string]string{
		"Chart.yaml":  "apiVersion: v2\nname: operator\nversion: 0.1.0\n",
		"values.yaml": "data: one\nversion: v1\nspec: {color: red}\n",
		"crds/widgets.yaml": `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.` + group + `
spec:
  group: ` + group + `
  scope: ` + scope + `
  names: {plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}
  versions:` + versions + "\n",
		"templates/widget.yaml": "apiVersion: " + group + "/{{ .Values.version }}\nkind: Widget\nmetadata:\n  name: w1\nspec: {{ toJson .Values.spec }}\n",
		"templates/cm.yaml":     "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: operator-config\ndata:\n  data: {{ .Values.data | quote }}\n",
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
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

func crdVersion(name string, served, storage bool, schema string) string {
	return fmt.Sprintf("\n    - name: %s\n      served: %t\n      storage: %t", name, served, storage) + schema
}

// TestCRDPolicyAndCheck walks an operator chart's definition through the
// --crds policies and the compatibility check, as a user sees them.
func TestCRDPolicyAndCheck(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }
	fail := func(want string, args ...string) result { return failLade(t, want, append(args, kc...)...) }
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	group := strings.ReplaceAll(ns, "-", "") + ".example.com"
	crdName := "widgets." + group
	t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(context.Background(), crdName, metav1.DeleteOptions{}) })
	liveCRD := func() *unstructured.Unstructured {
		t.Helper()
		u, err := dyn.Resource(crdGVR).Get(ctx, crdName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	specProps := func() string {
		props, _, _ := unstructured.NestedMap(liveCRD().Object, "spec", "versions", "0", "schema")
		_ = props
		vs, _, _ := unstructured.NestedSlice(liveCRD().Object, "spec", "versions")
		b, _ := json.Marshal(vs)
		return string(b)
	}
	configData := func() string {
		cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(ctx, "operator-config", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return cm.Data["data"]
	}
	revisions := func() int {
		var hist []historyRow
		if err := json.Unmarshal([]byte(run("history", "op", "-o", "json").stdout), &hist); err != nil {
			t.Fatal(err)
		}
		return len(hist)
	}
	dir := filepath.Join(t.TempDir(), "operator")
	v1 := crdVersion("v1", true, true, widgetSchemaYAML("", ""))
	withShape := crdVersion("v1", true, true, widgetSchemaYAML("", "\n                shape: {type: string}"))
	sizeRequired := crdVersion("v1", true, true, widgetSchemaYAML("size", "\n                shape: {type: string}"))

	writeCRDChart(t, dir, group, "Namespaced", v1)
	run("install", "op", dir)
	widgets := dyn.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}).Namespace(ns)
	stray := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "stray"}, "spec": map[string]any{"color": "blue"}}}
	if _, err := widgets.Create(ctx, stray, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	// create (the default) and skip never change a definition on upgrade.
	writeCRDChart(t, dir, group, "Namespaced", withShape)
	run("upgrade", "op", dir)
	run("upgrade", "op", dir, "--crds", "skip")
	if strings.Contains(specProps(), "shape") {
		t.Fatalf("--crds create/skip changed the definition on upgrade: %s", specProps())
	}

	// The diff of that upgrade shows the widget gaining the field the
	// definition gains: not dry-run against the live schema, which lacks it.
	pre := run("diff", "upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.shape=round,data=two")
	for _, want := range []string{
		"CustomResourceDefinition " + crdName + " (update)",
		"Widget " + ns + "/w1 (update)",
		"# custom resource of a CustomResourceDefinition this operation changes first",
		"+  shape: round",
		"-  data: one",
	} {
		if !strings.Contains(pre.stdout, want) {
			t.Errorf("diff upgrade lacks %q:\n%s", want, pre.stdout)
		}
	}
	if strings.Contains(pre.stdout, "stray") {
		t.Errorf("diff upgrade shows the widget the release does not own:\n%s", pre.stdout)
	}
	if strings.Contains(specProps(), "shape") {
		t.Fatalf("diff upgrade changed the definition: %s", specProps())
	}

	// create-replace applies the new optional field first, then the custom
	// resource using it in the same upgrade keeps it (not pruned).
	r := run("upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.shape=round,data=two")
	if !strings.Contains(specProps(), "shape") {
		t.Fatalf("create-replace did not apply the definition: %s", specProps())
	}
	w1, err := widgets.Get(ctx, "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if shape, _, _ := unstructured.NestedString(w1.Object, "spec", "shape"); shape != "round" {
		t.Fatalf("w1's spec.shape = %q after the upgrade, want round (pruned by the old schema?): %v\n%s", shape, w1.Object["spec"], r.stdout)
	}

	// Making size required: the two existing widgets lack it.
	writeCRDChart(t, dir, group, "Namespaced", sizeRequired)
	d := run("diff", "upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.size=3")
	for _, want := range []string{
		"CustomResourceDefinitions (compatibility check)",
		"CustomResourceDefinition " + crdName + ": update: refused (2 existing objects checked)",
		"version v1: 2 of 2 existing objects would be invalid under the new schema:",
		ns + "/stray: spec.size: Required value",
		ns + "/w1: spec.size: Required value",
		"--force-crd-update applies them",
	} {
		if !strings.Contains(d.stdout, want) {
			t.Errorf("diff upgrade lacks %q:\n%s", want, d.stdout)
		}
	}
	d = run("diff", "upgrade", "op", dir, "--crds", "create-replace", "-o", "json")
	var rep struct {
		CRDs []struct {
			Name     string `json:"name"`
			Change   string `json:"change"`
			Problems []struct {
				Rule    string `json:"rule"`
				Version string `json:"version"`
				Count   int    `json:"count"`
				Objects []struct {
					Namespace, Name string
					Errors          []string
				} `json:"objects"`
			} `json:"problems"`
		} `json:"crds"`
	}
	if err := json.Unmarshal([]byte(d.stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, d.stdout)
	}
	if len(rep.CRDs) != 1 || rep.CRDs[0].Name != crdName || len(rep.CRDs[0].Problems) != 1 {
		t.Fatalf("diff -o json crds: %+v", rep.CRDs)
	}
	if p := rep.CRDs[0].Problems[0]; p.Rule != "invalid-objects" || p.Version != "v1" || p.Count != 2 || p.Objects[0].Name != "stray" || p.Objects[0].Errors[0] != "spec.size: Required value" {
		t.Errorf("diff -o json problem: %+v", p)
	}
	before := revisions()
	fail("version v1: 2 of 2 existing objects would be invalid under the new schema:\n    "+ns+"/stray: spec.size: Required value",
		"upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.size=3,data=three")
	if strings.Contains(specProps(), `"required"`) || configData() != "two" || revisions() != before {
		t.Fatalf("a refused upgrade changed something: data %q, revisions %d -> %d, definition %s", configData(), before, revisions(), specProps())
	}

	// Changing the scope: refused before anything.
	writeCRDChart(t, dir, group, "Cluster", withShape)
	fail(`spec.scope changes from "Namespaced" to "Cluster"`, "upgrade", "op", dir, "--crds", "create-replace")

	// --force-crd-update applies what the check refuses and says so.
	writeCRDChart(t, dir, group, "Namespaced", sizeRequired)
	r = run("upgrade", "op", dir, "--crds", "create-replace", "--force-crd-update", "--set", "spec.size=3,data=four")
	if !strings.Contains(r.stderr, "warning: --force-crd-update: applying CustomResourceDefinition changes the compatibility check refuses:") ||
		!strings.Contains(r.stderr, ns+"/stray: spec.size: Required value") {
		t.Errorf("--force-crd-update stderr:\n%s", r.stderr)
	}
	if !strings.Contains(specProps(), `"required":["size"]`) || configData() != "four" {
		t.Fatalf("--force-crd-update: data %q, definition %s", configData(), specProps())
	}

	// A second version becomes the storage version, then the first is dropped
	// while status.storedVersions still lists it.
	writeCRDChart(t, dir, group, "Namespaced", crdVersion("v1", true, false, widgetSchemaYAML("", ""))+crdVersion("v2", true, true, widgetSchemaYAML("", "")))
	run("upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.size=3")
	writeCRDChart(t, dir, group, "Namespaced", crdVersion("v2", true, true, widgetSchemaYAML("", "")))
	fail("version v1 is dropped, but it is in the live status.storedVersions", "upgrade", "op", dir, "--crds", "create-replace", "--set", "version=v2")

	// Another group in the same crds/ file: refused, the objects stay
	// under the old one.
	group2 := "other" + group
	writeCRDChart(t, dir, group2, "Namespaced", crdVersion("v1", true, false, widgetSchemaYAML("", ""))+crdVersion("v2", true, true, widgetSchemaYAML("", "")))
	renamed := `replaces ` + crdName + ` (the same crds/ file): spec.group changes from "` + group + `" to "` + group2 + `"`
	if d := run("diff", "upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.size=3"); !strings.Contains(d.stdout, renamed) {
		t.Errorf("diff upgrade of the renamed definition:\n%s", d.stdout)
	}
	fail(renamed, "upgrade", "op", dir, "--crds", "create-replace", "--set", "spec.size=3")
	if _, err := dyn.Resource(crdGVR).Get(ctx, "widgets."+group2, metav1.GetOptions{}); err == nil {
		t.Fatalf("the refused upgrade created widgets.%s", group2)
	}

	// Uninstall leaves the definition (and the stray widget) and says so.
	r = run("uninstall", "op")
	if !strings.Contains(r.stdout, "These CustomResourceDefinitions were left, with their custom resources") ||
		!strings.Contains(r.stdout, "[CustomResourceDefinition "+crdName+"]") {
		t.Errorf("uninstall output:\n%s", r.stdout)
	}
	liveCRD()
	if _, err := widgets.Get(ctx, "stray", metav1.GetOptions{}); err != nil {
		t.Errorf("the stray widget went with the release: %v", err)
	}
}

// writeTemplateCRDChart writes a chart whose templates/ hold the
// definition widgets.GROUP (one version v1 with the given schema).
func writeTemplateCRDChart(t *testing.T, dir, group, schema string) {
	t.Helper()
	writeCRDChart(t, dir, group, "Namespaced", crdVersion("v1", true, true, schema))
	crd, err := os.ReadFile(filepath.Join(dir, "crds/widgets.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"crds/widgets.yaml", "templates/widget.yaml"} {
		if err := os.Remove(filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "templates/crd.yaml"), crd, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTemplateCRDs: definitions rendered from templates/ get the same
// check, and uninstall deletes only those lade created.
func TestTemplateCRDs(t *testing.T) {
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	run := func(args ...string) result { return mustLade(t, append(args, kc...)...) }
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := strings.ReplaceAll(ns, "-", "")
	created, adopted := base+"a.example.com", base+"b.example.com"
	for _, g := range []string{created, adopted} {
		t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(context.Background(), "widgets."+g, metav1.DeleteOptions{}) })
	}
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")

	writeTemplateCRDChart(t, dirA, created, widgetSchemaYAML("", ""))
	run("install", "a", dirA)
	u, err := dyn.Resource(crdGVR).Get(ctx, "widgets."+created, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := u.GetAnnotations()["lade.dev/created-by"]; got != ns+"/a" {
		t.Fatalf("created-by annotation %q", got)
	}
	waitServed(t, dyn, schema.GroupVersionResource{Group: created, Version: "v1", Resource: "widgets"})
	w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": created + "/v1", "kind": "Widget",
		"metadata": map[string]any{"name": "old"}, "spec": map[string]any{"color": "red"}}}
	if _, err := dyn.Resource(schema.GroupVersionResource{Group: created, Version: "v1", Resource: "widgets"}).Namespace(ns).Create(ctx, w, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	writeTemplateCRDChart(t, dirA, created, widgetSchemaYAML("size", ""))
	failLade(t, "CustomResourceDefinition widgets."+created+": update: refused (1 existing object checked)\n  version v1: 1 of 1 existing object would be invalid under the new schema:\n    "+ns+"/old: spec.size: Required value",
		append([]string{"upgrade", "a", dirA, "--set", "data=two"}, kc...)...)
	if cm, err := env.Clientset().CoreV1().ConfigMaps(ns).Get(ctx, "operator-config", metav1.GetOptions{}); err != nil || cm.Data["data"] != "one" {
		t.Fatalf("the refused upgrade applied the ConfigMap: %v %v", cm.Data, err)
	}

	// A definition that existed before the release adopted it is left.
	writeTemplateCRDChart(t, dirB, adopted, widgetSchemaYAML("", ""))
	if err := os.Remove(filepath.Join(dirB, "templates/cm.yaml")); err != nil {
		t.Fatal(err)
	}
	createFromFile(t, dyn, filepath.Join(dirB, "templates/crd.yaml"))
	run("install", "b", dirB, "--take-ownership")

	r := run("uninstall", "b")
	if !strings.Contains(r.stdout, "[CustomResourceDefinition widgets."+adopted+"]") {
		t.Errorf("uninstall b does not name the definition it leaves:\n%s", r.stdout)
	}
	if _, err := dyn.Resource(crdGVR).Get(ctx, "widgets."+adopted, metav1.GetOptions{}); err != nil {
		t.Errorf("uninstall deleted the adopted definition: %v", err)
	}
	r = run("uninstall", "a")
	if strings.Contains(r.stdout, "CustomResourceDefinitions were left") {
		t.Errorf("uninstall a leaves the definition it created:\n%s", r.stdout)
	}
	if u, err := dyn.Resource(crdGVR).Get(ctx, "widgets."+created, metav1.GetOptions{}); err == nil && u.GetDeletionTimestamp() == nil {
		t.Errorf("uninstall a left the definition it created")
	}
}

// waitServed waits until the API server lists the resource.
func waitServed(t *testing.T, dyn dynamic.Interface, gvr schema.GroupVersionResource) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(gvr).List(ctx, metav1.ListOptions{Limit: 1})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("%s not served: %v", gvr, err)
	}
}

// createFromFile creates the cluster-scoped object of a YAML file.
func createFromFile(t *testing.T, dyn dynamic.Interface, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(b, &obj); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(crdGVR).Create(context.Background(), &unstructured.Unstructured{Object: obj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestApplyCRDsCreateReplace: a Release with spec.crds: create-replace
// applies its chart's changed definition on the re-apply, as lade upgrade
// --crds create-replace does (the plan shows an upgrade though only crds/
// changed); the next apply's custom resource uses the new field.
func TestApplyCRDsCreateReplace(t *testing.T) {
	isolate(t)
	env := testenv.Shared(t)
	ns := env.NewNamespace(t)
	kc := []string{"--kubeconfig", env.KubeconfigPath, "-n", ns}
	dyn, err := dynamic.NewForConfig(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	group := strings.ReplaceAll(ns, "-", "") + ".example.com"
	crdName := "widgets." + group
	t.Cleanup(func() { _ = dyn.Resource(crdGVR).Delete(context.Background(), crdName, metav1.DeleteOptions{}) })
	dir := t.TempDir()
	chartDir := filepath.Join(dir, "operator")
	fleetFile := filepath.Join(dir, "op.yaml")
	writeRelease := func(shape string) {
		t.Helper()
		doc := fmt.Sprintf("apiVersion: lade.dev/v1alpha1\nkind: Release\nmetadata: {name: op, namespace: %s}\nspec:\n  chart: {ref: %q}\n  crds: create-replace\n  wait: false\n", ns, chartDir)
		if shape != "" {
			doc += fmt.Sprintf("  values: {spec: {color: red, shape: %s}}\n", shape)
		}
		if err := os.WriteFile(fleetFile, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCRDChart(t, chartDir, group, "Namespaced", crdVersion("v1", true, true, widgetSchemaYAML("", "")))
	writeRelease("")
	mustLade(t, append([]string{"apply", "-f", fleetFile}, kc...)...)

	writeCRDChart(t, chartDir, group, "Namespaced", crdVersion("v1", true, true, widgetSchemaYAML("", "\n                shape: {type: string}")))
	r := mustLade(t, append([]string{"apply", "-f", fleetFile}, kc...)...)
	if row := planRow(t, r.stdout, "op"); row[5] != "upgrade" {
		t.Errorf("op's plan: %q\n%s", row, r.stdout)
	}
	crd, err := dyn.Resource(crdGVR).Get(ctx, crdName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vs, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	if b, _ := json.Marshal(vs); !strings.Contains(string(b), "shape") {
		t.Fatalf("the re-apply did not apply the changed definition: %s\n%s", b, r.stdout)
	}
	writeRelease("round")
	mustLade(t, append([]string{"apply", "-f", fleetFile}, kc...)...)
	w1, err := dyn.Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}).Namespace(ns).Get(ctx, "w1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if shape, _, _ := unstructured.NestedString(w1.Object, "spec", "shape"); shape != "round" {
		t.Fatalf("w1's spec.shape = %q, want round (pruned by the old schema?): %v", shape, w1.Object["spec"])
	}
}
