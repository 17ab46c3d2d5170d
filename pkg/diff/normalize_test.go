package diff

import (
	"encoding/json"
	"testing"
)

// Normalize shares unchanged subtrees with its input: nothing the diff does
// to normalised objects (dropping allocated Service fields, masking Secret
// values) may reach the objects it was given (Change.Live and Predicted).
func TestNormalizeLeavesItsInputAlone(t *testing.T) {
	objs := []map[string]any{
		{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "s", "resourceVersion": "1",
			"annotations": map[string]any{"kubectl.kubernetes.io/last-applied-configuration": "{}", "a": "b"}},
			"data": map[string]any{"k": "djE="}, "stringData": map[string]any{"p": "x"}, "status": map[string]any{}},
		{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "svc", "managedFields": []any{map[string]any{"manager": "lade"}}},
			"spec": map[string]any{"clusterIP": "10.0.0.1", "clusterIPs": []any{"10.0.0.1"},
				"ports": []any{map[string]any{"port": int64(80), "nodePort": int64(30080)}}}},
	}
	for _, obj := range objs {
		before, _ := json.Marshal(obj)
		old, new := Normalize(obj), Normalize(obj)
		dropAllocated(new, map[string]any{})
		maskSecrets(old, new)
		if after, _ := json.Marshal(obj); string(after) != string(before) {
			t.Fatalf("input changed:\n%s\n%s", before, after)
		}
		if _, ok := old["status"]; ok {
			t.Fatal("status kept")
		}
	}
	svc := Normalize(objs[1])
	dropAllocated(svc, map[string]any{})
	if got := toYAML(svc); got != "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc\nspec:\n  ports:\n  - port: 80\n" {
		t.Fatalf("service:\n%s", got)
	}
	old, new := Normalize(objs[0]), Normalize(objs[0])
	maskSecrets(old, new)
	if got := toYAML(new); got != "apiVersion: v1\ndata:\n  k: '***'\nkind: Secret\nmetadata:\n  annotations:\n    a: b\n  name: s\nstringData:\n  p: '***'\n" {
		t.Fatalf("secret:\n%s", got)
	}
}
