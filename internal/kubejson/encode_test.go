package kubejson

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/lade-dev/lade/internal/yamljson"
)

func checkMarshal(t *testing.T, obj map[string]any) {
	t.Helper()
	want, werr := json.Marshal(obj)
	got, gerr := Marshal(obj)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%#v: error %v, encoding/json %v", obj, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%#v:\n got %s\nwant %s", obj, got, want)
	}
}

var yamlSamples = []string{
	"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\n  labels: {a: b}\nspec:\n  replicas: 3\n  r: 0.25\n  t: [1, 2.5, 1e21, 1e-7, 0.000001, 123456789012345678, -0.0, true, null, '<&>']\n",
	"a: \"\\u2028\\u2029\\x01\\b\\f\\t\\r\\n\\\\\\\"\\x7f é 😀\"\nb: {}\nc: []\nd: ~\n\"<k>\": 1\n",
	"a: 1.7976931348623157e308\nb: 5e-324\nc: 100000000000000000000\nd: 1e20\ne: 0.1\nf: -1e-6\n",
}

func TestMarshalObjectMatchesEncodingJSON(t *testing.T) {
	for _, y := range yamlSamples {
		var m map[string]any
		if err := yamljson.UnmarshalMap([]byte(y), &m); err != nil {
			t.Fatal(err)
		}
		checkMarshal(t, m)
	}
	for _, s := range jsonSamples {
		var v any
		if utiljson.Unmarshal([]byte(s), &v) == nil {
			checkMarshal(t, map[string]any{"v": v})
		}
	}
	// What the unstructured setters and SetOwnership leave in an object.
	u := &unstructured.Unstructured{Object: map[string]any{"kind": "ConfigMap"}}
	u.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "Helm"})
	u.SetAnnotations(map[string]string{"meta.helm.sh/release-name": "r"})
	u.SetNamespace("ns")
	u.SetGeneration(3)
	checkMarshal(t, u.Object)
	// Types it leaves to encoding/json, and values encoding/json refuses.
	checkMarshal(t, map[string]any{"a": map[string]string{"b": "<c>"}, "n": []string{"x"}, "i": int32(7)})
	checkMarshal(t, map[string]any{"nan": math.NaN()})
	checkMarshal(t, map[string]any{"inf": []any{math.Inf(-1)}})
	checkMarshal(t, map[string]any{"m": map[string]any(nil), "s": []any(nil), "i": 42, "j": int64(-9)})
}

func FuzzMarshalObject(f *testing.F) {
	for _, y := range yamlSamples {
		f.Add(y, "k\xff\u2028<", 1.5, int64(3))
	}
	f.Fuzz(func(t *testing.T, y, s string, x float64, i int64) {
		checkMarshal(t, map[string]any{s: s, "x": x, "i": i, "l": []any{s, x, map[string]any{s: i}}})
		var m map[string]any
		if yamljson.UnmarshalMap([]byte(y), &m) == nil {
			checkMarshal(t, m)
		}
	})
}
