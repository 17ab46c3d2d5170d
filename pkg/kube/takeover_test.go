package kube

import (
	"reflect"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
)

func TestClientSideManagers(t *testing.T) {
	entry := func(m string, op metav1.ManagedFieldsOperationType, sub, fields string) metav1.ManagedFieldsEntry {
		return metav1.ManagedFieldsEntry{Manager: m, Operation: op, Subresource: sub, APIVersion: "v1", FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(fields)}
	}
	lastApplied := `{"f:metadata":{"f:annotations":{".":{},"f:kubectl.kubernetes.io/last-applied-configuration":{}}},"f:data":{"f:a":{}}}`
	mf := []metav1.ManagedFieldsEntry{
		entry("helm", metav1.ManagedFieldsOperationUpdate, "", `{"f:data":{"f:b":{}}}`),
		entry("helm", metav1.ManagedFieldsOperationApply, "", `{"f:data":{"f:c":{}}}`),
		entry("kubectl-client-side-apply", metav1.ManagedFieldsOperationUpdate, "", lastApplied),
		entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, "", `{"f:data":{"f:d":{}}}`),
		entry("lade", metav1.ManagedFieldsOperationApply, "", lastApplied),
		entry("helm", metav1.ManagedFieldsOperationUpdate, "status", `{"f:status":{}}`),
	}
	got := strings.Join(sets.List(ClientSideManagers(mf, FieldManager)), ",")
	if want := "helm,kubectl-client-side-apply"; got != want {
		t.Fatalf("managers %s, want %s", got, want)
	}
	if n := ClientSideManagers(mf[3:], FieldManager).Len(); n != 0 {
		t.Fatalf("%d managers to convert without helm's or kubectl's entries", n)
	}
}

// TestRemovePath removes map fields, list elements by key (several key
// fields, numbers as the API decodes them) and by value, and leaves the
// object alone for a path that is not there.
func TestRemovePath(t *testing.T) {
	obj := func() map[string]any {
		return map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "web", "tier": "legacy"}},
			"spec": map[string]any{
				"ports": []any{
					map[string]any{"port": int64(80), "protocol": "TCP", "name": "http"},
					map[string]any{"port": int64(81), "protocol": "TCP", "name": "alt"},
				},
				"finalizers": []any{"a", "b"},
			},
		}
	}
	parse := func(s string) fieldpath.Path {
		set := fieldpath.NewSet()
		if err := set.FromJSON(strings.NewReader(s)); err != nil {
			t.Fatal(err)
		}
		var out fieldpath.Path
		set.Iterate(func(p fieldpath.Path) { out = p.Copy() })
		return out
	}
	cases := []struct {
		path string
		want func(m map[string]any)
	}{
		{`{"f:metadata":{"f:labels":{"f:tier":{}}}}`, func(m map[string]any) {
			delete(m["metadata"].(map[string]any)["labels"].(map[string]any), "tier")
		}},
		{`{"f:spec":{"f:ports":{"k:{\"port\":81,\"protocol\":\"TCP\"}":{}}}}`, func(m map[string]any) {
			s := m["spec"].(map[string]any)
			s["ports"] = s["ports"].([]any)[:1]
		}},
		{`{"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{"f:name":{}}}}}`, func(m map[string]any) {
			delete(m["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any), "name")
		}},
		{`{"f:spec":{"f:finalizers":{"v:\"a\"":{}}}}`, func(m map[string]any) {
			s := m["spec"].(map[string]any)
			s["finalizers"] = []any{"b"}
		}},
		{`{"f:spec":{"f:ports":{"k:{\"port\":82,\"protocol\":\"TCP\"}":{}}}}`, func(map[string]any) {}},
		{`{"f:status":{"f:phase":{}}}`, func(map[string]any) {}},
	}
	for _, c := range cases {
		got, want := obj(), obj()
		got = removePath(got, parse(c.path)).(map[string]any)
		c.want(want)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("remove %s:\n got %v\nwant %v", c.path, got, want)
		}
	}
}
