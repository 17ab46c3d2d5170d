package render

import (
	"strings"
	"testing"
)

// fromYaml results are cached per render, but every caller gets its own copy:
// mutating one (set) must not show in the next parse of the same text.
func TestFromYamlCacheReturnsCopies(t *testing.T) {
	c := newChart("c", map[string]string{"templates/t.yaml": `{{- $a := fromYaml "x: {k: 1}\nl: [1]" }}{{- $_ := set $a.x "k" 2 }}{{- $b := fromYaml "x: {k: 1}\nl: [1]" }}a={{ $a.x.k }} b={{ $b.x.k }} bad={{ (fromYaml "a: [").Error | contains "yaml" }}`})
	out, err := renderTop(t, &Engine{}, c, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if got := out["c/templates/t.yaml"]; !strings.HasPrefix(got, "a=2 b=1 bad=true") {
		t.Fatalf("got %q", got)
	}
}
