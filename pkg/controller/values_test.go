package controller

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestMergeValuesAsHelmMergesFiles(t *testing.T) {
	dst := map[string]any{"image": map[string]any{"repo": "a", "tag": "1"}, "list": []any{1, 2}, "keep": true}
	src := map[string]any{"image": map[string]any{"tag": "2"}, "list": []any{3}, "new": "x"}
	got := mergeValues(dst, src)
	want := map[string]any{"image": map[string]any{"repo": "a", "tag": "2"}, "list": []any{3}, "keep": true, "new": "x"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("merge = %v, want %v", got, want)
	}
	if dst["image"].(map[string]any)["tag"] != "1" {
		t.Errorf("merge changed its input: %v", dst)
	}
}

func TestFingerprintChangesWithEachInput(t *testing.T) {
	src := []valuesSource{{Kind: "ConfigMap", Name: "v", ResourceVersion: "10"}}
	base := fingerprint(3, "sha256:aa", src)
	if base != fingerprint(3, "sha256:aa", []valuesSource{{Kind: "ConfigMap", Name: "v", ResourceVersion: "10"}}) {
		t.Fatal("fingerprint is not deterministic")
	}
	for name, fp := range map[string]string{
		"generation":      fingerprint(4, "sha256:aa", src),
		"chart digest":    fingerprint(3, "sha256:bb", src),
		"resourceVersion": fingerprint(3, "sha256:aa", []valuesSource{{Kind: "ConfigMap", Name: "v", ResourceVersion: "11"}}),
		"source kind":     fingerprint(3, "sha256:aa", []valuesSource{{Kind: "Secret", Name: "v", ResourceVersion: "10"}}),
		"no source":       fingerprint(3, "sha256:aa", nil),
	} {
		if fp == base {
			t.Errorf("a change of the %s leaves the fingerprint unchanged", name)
		}
	}
}

func TestSourceRefusesLocalPaths(t *testing.T) {
	s, err := NewSource(SourceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"./charts/web", "/charts/web", "charts/web/", "web-1.0.0.tgz", "file:///charts/web"} {
		if _, err := s.Resolve(context.Background(), ref, "", ""); !errors.Is(err, ErrLocalChart) {
			t.Errorf("Resolve(%q) = %v, want ErrLocalChart", ref, err)
		}
	}
}
