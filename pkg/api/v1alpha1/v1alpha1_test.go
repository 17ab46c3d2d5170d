package v1alpha1_test

import (
	"encoding/json"
	"slices"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/api/v1alpha1"
)

// The embedded CRD is the one for these types: its names, its group and
// version, a status subresource and the printer columns kubectl shows.
func TestCRDNamesTheTypes(t *testing.T) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(v1alpha1.CRD(), &crd); err != nil {
		t.Fatalf("embedded CRD: %v", err)
	}
	if crd.Name != "releases.lade.dev" || crd.Spec.Group != v1alpha1.Group || crd.Spec.Names.Kind != v1alpha1.Kind ||
		crd.Spec.Names.ListKind != "ReleaseList" || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Fatalf("CRD names %s %s %+v %s", crd.Name, crd.Spec.Group, crd.Spec.Names, crd.Spec.Scope)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Versions[0].Name != v1alpha1.Version {
		t.Fatalf("CRD versions %+v", crd.Spec.Versions)
	}
	v := crd.Spec.Versions[0]
	if v.Subresources == nil || v.Subresources.Status == nil {
		t.Error("CRD has no status subresource")
	}
	var cols []string
	for _, c := range v.AdditionalPrinterColumns {
		cols = append(cols, c.Name)
	}
	if got, want := cols, []string{"Chart", "Version", "Ready", "Age"}; !slices.Equal(got, want) {
		t.Errorf("printer columns %v, want %v", got, want)
	}
	spec := v.Schema.OpenAPIV3Schema.Properties["spec"]
	if d := spec.Properties["wait"].Default; d == nil || string(d.Raw) != "true" {
		t.Errorf("spec.wait default %v, want true", d)
	}
	if !*spec.Properties["values"].XPreserveUnknownFields {
		t.Error("spec.values does not preserve unknown fields")
	}
}

// A Release decodes from YAML, keeps arbitrary values, and survives a
// round trip and a deep copy unchanged.
func TestReleaseRoundTrip(t *testing.T) {
	doc := `apiVersion: lade.dev/v1alpha1
kind: Release
metadata: {name: web, namespace: apps, labels: {tier: front}}
spec:
  chart: {ref: oci://registry.example/charts/web, version: ">=1.2 <2"}
  values: {replicas: 3, image: {tag: "1.0"}, list: [1, "two", {three: 3}]}
  valuesFiles: [values/web.yaml]
  valuesFrom: [{kind: ConfigMap, name: web-values, optional: true}]
  overlay: {inline: {patches: [{patch: "- op: add", target: {kind: Deployment}}]}}
  dependsOn: [{name: db}]
  wait: false
  timeout: 90s
  maxHistory: 3
  crds: create-replace
  interval: 1h
  driftCorrection: warn
  uninstall: {keep: true}
`
	var r v1alpha1.Release
	if err := yaml.UnmarshalStrict([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	if r.Spec.Timeout.Duration.Seconds() != 90 || *r.Spec.Wait || *r.Spec.MaxHistory != 3 || r.Spec.CRDs != v1alpha1.CRDsCreateReplace {
		t.Errorf("decoded %+v", r.Spec)
	}
	var values map[string]any
	if err := json.Unmarshal(r.Spec.Values.Raw, &values); err != nil || values["image"].(map[string]any)["tag"] != "1.0" {
		t.Errorf("values %s: %v", r.Spec.Values.Raw, err)
	}
	c := r.DeepCopy()
	c.Spec.Values.Raw[0] = 'X'
	c.Spec.DependsOn[0].Name = "other"
	if r.Spec.Values.Raw[0] == 'X' || r.Spec.DependsOn[0].Name != "db" {
		t.Error("DeepCopy shares memory with the original")
	}
	out, err := yaml.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var back v1alpha1.Release
	if err := yaml.UnmarshalStrict(out, &back); err != nil {
		t.Fatal(err)
	}
	if again, _ := yaml.Marshal(&back); string(again) != string(out) {
		t.Errorf("round trip changed the object:\n%s\n---\n%s", out, again)
	}
	s := runtime.NewScheme()
	if err := v1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if gvks, _, err := s.ObjectKinds(&r); err != nil || gvks[0].Kind != "Release" || gvks[0].GroupVersion() != v1alpha1.GroupVersion {
		t.Errorf("scheme kinds %v: %v", gvks, err)
	}
}
