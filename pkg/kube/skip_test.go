package kube

import (
	"encoding/json"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func obj(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(y), &m); err != nil {
		t.Fatal(err)
	}
	return &unstructured.Unstructured{Object: m}
}

const desiredSvc = `
apiVersion: v1
kind: Service
metadata: {name: s, namespace: ns, labels: {a: b}}
spec:
  selector: {app: x}
  ports: [{name: http, port: 80, targetPort: 8080}]
`

// liveSvc is desiredSvc as the apiserver returns it (defaults, int64
// numbers), with lade's apply entry.
func liveSvc(t *testing.T, mutate func(m map[string]any), fields string) *unstructured.Unstructured {
	t.Helper()
	u := obj(t, `
apiVersion: v1
kind: Service
metadata: {name: s, namespace: ns, labels: {a: b}, resourceVersion: "7"}
spec:
  clusterIP: 10.0.0.1
  selector: {app: x}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
`)
	// Numbers as the API decodes them.
	spec := u.Object["spec"].(map[string]any)
	p := spec["ports"].([]any)[0].(map[string]any)
	p["port"], p["targetPort"] = int64(80), int64(8080)
	if mutate != nil {
		mutate(u.Object)
	}
	u.SetManagedFields([]metav1.ManagedFieldsEntry{{
		Manager: FieldManager, Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1",
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields),
	}})
	return u
}

const svcFields = `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:selector":{},"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:name":{},"f:port":{},"f:targetPort":{}}}}}`

func TestUpToDate(t *testing.T) {
	d := obj(t, desiredSvc)
	if !upToDate(d, liveSvc(t, nil, svcFields)) {
		t.Fatal("identical object not up to date")
	}
	cases := map[string]*unstructured.Unstructured{
		"missing": nil,
		"value changed": liveSvc(t, func(m map[string]any) {
			m["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)["targetPort"] = int64(9090)
		}, svcFields),
		"label removed": liveSvc(t, func(m map[string]any) { delete(m["metadata"].(map[string]any), "labels") }, svcFields),
		"list longer": liveSvc(t, func(m map[string]any) {
			s := m["spec"].(map[string]any)
			s["ports"] = append(s["ports"].([]any), map[string]any{"port": int64(81)})
		}, svcFields),
		"number as string": liveSvc(t, func(m map[string]any) {
			m["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)["targetPort"] = "8080"
		}, svcFields),
		"field not owned":   liveSvc(t, nil, `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:ports":{}}}`),
		"element not owned": liveSvc(t, nil, `{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:selector":{},"f:ports":{"k:{\"port\":81,\"protocol\":\"TCP\"}":{}}}}`),
		"no lade entry":     liveSvc(t, nil, `{}`),
	}
	cases["no lade entry"].SetManagedFields(nil)
	for name, live := range cases {
		if upToDate(d, live) {
			t.Errorf("%s: up to date", name)
		}
	}
	// A null in the desired object is a doubt.
	dn := obj(t, desiredSvc)
	dn.Object["spec"].(map[string]any)["externalName"] = nil
	if upToDate(dn, liveSvc(t, nil, svcFields)) {
		t.Error("desired null: up to date")
	}
}

func TestSameValue(t *testing.T) {
	for _, c := range []struct {
		a, b any
		want bool
	}{
		{float64(3), int64(3), true},
		{int64(3), float64(3.5), false},
		{"3", int64(3), false},
		{true, true, true},
		{true, "true", false},
		{int64(1 << 60), float64(1 << 60), false},
		{json.Number("2"), int64(2), true},
		{nil, nil, false},
	} {
		if got := sameValue(c.a, c.b); got != c.want {
			t.Errorf("sameValue(%#v, %#v) = %v", c.a, c.b, got)
		}
	}
}
