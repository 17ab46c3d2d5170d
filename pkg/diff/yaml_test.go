package diff

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestWriteYAMLRoundTrips(t *testing.T) {
	obj := map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "x", "labels": map[string]any{"app.kubernetes.io/name": "web", "empty": ""}, "annotations": map[string]any{}},
		"data": map[string]any{
			"file.conf": "a = 1\n  b: 2\n\n# c\n", "nofinal": "x\ny", "yes": "yes", "num": "012", "float": "1.5", "colon": "a: b",
			"hash": "a #b", "star": "*** (before)", "quote": "it's", "ctl": "a\tb", "lead": " x", "dash": "-", "dashy": "- x",
			"tilde": "~", "null": "null", "inf": ".inf", "hex": "0x1F", "date": "2024-01-01", "url": "http://x:80/a?b=c", "trail": "x ",
			"unicode": "héllo", "brace": "{x}", "pct": "%x", "at": "@x", "bang": "!x", "amp": "&x", "pipe": "|", "gt": ">", "crlf": "a\r\nb",
			"spaces\nin": "x", "": "empty key",
		},
		"spec": map[string]any{
			"replicas": int64(3), "ratio": 0.25, "big": float64(1e20), "on": true, "none": nil,
			"list":   []any{"a", int64(1), map[string]any{"name": "c", "image": "nginx:1", "ports": []any{map[string]any{"port": int64(80)}}}, []any{"x", "y"}, []any{}, map[string]any{}},
			"nested": map[string]any{"deep": map[string]any{"text": "line1\nline2\n"}},
		},
	}
	var b = toYAML(obj)
	var back map[string]any
	if err := yaml.Unmarshal([]byte(b), &back); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	j1, _ := json.Marshal(obj)
	j2, _ := json.Marshal(back)
	if string(j1) != string(j2) {
		t.Fatalf("round trip differs:\n%s\n%s\nYAML:\n%s", j1, j2, b)
	}
}
