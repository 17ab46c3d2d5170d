package crdcheck

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const celRule = `
                replicas:
                  type: integer
                  x-kubernetes-validations:
                    - rule: "self <= 5"
                      message: "at most 5 replicas"`

func TestValidatorReportsWhatTheAPIServerReports(t *testing.T) {
	crd := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema([]string{"size"}, celRule)))
	v, err := newValidator(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		spec string
		want []string // "" = valid
	}{
		{"valid", "{size: 3, color: red, tags: [a, b]}", nil},
		{"required", "{color: red}", []string{"spec.size: Required value"}},
		{"maximum", "{size: 11}", []string{"spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"}},
		{"enum", "{size: 1, color: green}", []string{`spec.color: Unsupported value: "green": supported values: "red", "blue"`}},
		{"type", "{size: one}", []string{`spec.size: Invalid value: "string": spec.size in body must be of type integer: "string"`}},
		{"list-type set", "{size: 1, tags: [a, a]}", []string{`spec.tags[1]: Duplicate value: "a"`}},
		{"CEL rule", "{size: 1, replicas: 7}", []string{"spec.replicas: Invalid value: 7: at most 5 replicas"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			obj := object(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: ns}\nspec: "+c.spec)
			var got []string
			for _, e := range v.validate(context.Background(), obj) {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Fatalf("errors\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

func TestPruneNamesDroppedFields(t *testing.T) {
	crd := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema(nil, "")))
	v, err := newValidator(crd.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	obj := object(t, "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, labels: {a: b}}\nspec: {size: 1, shape: round}\nstatus: {anything: 1}")
	if got := v.prune(obj); strings.Join(got, ",") != "spec.shape" {
		t.Fatalf("pruned %v, want spec.shape (metadata and the preserved status kept)", got)
	}
}

// TestPassCountsOnlyNewErrors checks one object at a time as a listing
// would hand them over: errors the live schema already had are not the
// change's fault; objects written in an unserved version are named.
func TestPassCountsOnlyNewErrors(t *testing.T) {
	liveSchema := widgetSchema(nil, "")
	next := widgetCRD(t, "Namespaced", ver("v1", true, true, widgetSchema([]string{"size"}, "")))
	nv, err := newValidator(next.Spec.Versions[0].Schema.OpenAPIV3Schema)
	if err != nil {
		t.Fatal(err)
	}
	live := widgetCRD(t, "Namespaced", ver("v1", true, true, liveSchema))
	p := &pass{source: "v1", group: "example.com", storage: "v1", unserved: []string{"v1alpha1"},
		targets: []target{{version: "v1", next: nv, live: live.Spec.Versions[0].Schema.OpenAPIV3Schema}}}
	p.init()
	objs := []string{
		"metadata: {name: ok, namespace: a}\nspec: {size: 2}",
		"metadata: {name: lacks-size, namespace: a}\nspec: {color: red}",
		"metadata: {name: was-bad, namespace: b}\nspec: {size: 2, color: green}", // invalid before, still only that
		"metadata: {name: old-client, namespace: b, managedFields: [{manager: m, operation: Apply, apiVersion: example.com/v1alpha1}]}\nspec: {size: 1}",
	}
	for i, y := range objs {
		u := &unstructured.Unstructured{Object: object(t, "apiVersion: example.com/v1\nkind: Widget\n"+y)}
		p.check(context.Background(), i, u, nil, 10)
	}
	r := &Result{}
	p.report(r, live, nil, Options{}.withDefaults())
	if r.Checked != 4 || len(r.Problems) != 2 {
		t.Fatalf("checked %d, problems %+v", r.Checked, r.Problems)
	}
	inv := r.Problems[0]
	if inv.Rule != RuleInvalidObjects || inv.Count != 1 || inv.Objects[0].String() != "a/lacks-size" || inv.Objects[0].Errors[0] != "spec.size: Required value" {
		t.Errorf("invalid objects: %+v", inv)
	}
	if !strings.Contains(inv.Message, "version v1: 1 of 4 existing objects would be invalid") {
		t.Errorf("message %q", inv.Message)
	}
	uns := r.Problems[1]
	if uns.Rule != RuleVersionUnserved || uns.Count != 1 || uns.Objects[0].String() != "b/old-client" {
		t.Errorf("unserved: %+v", uns)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "1 object already invalid under the live schema") {
		t.Errorf("warnings %v", r.Warnings)
	}
}

func TestFoundKeepsTheFirstInListOrder(t *testing.T) {
	f := &found{}
	for _, i := range []int{9, 3, 7, 1, 5} {
		f.add(i, Object{Name: string(rune('a' + i))}, 3)
	}
	var names []string
	for _, o := range f.list() {
		names = append(names, o.Name)
	}
	if f.count != 5 || strings.Join(names, "") != "bdf" {
		t.Fatalf("count %d, kept %v", f.count, names)
	}
}
