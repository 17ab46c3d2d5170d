package chart

import (
	"slices"
	"testing"
)

func TestMetadataValidate(t *testing.T) {
	valid := func() *Metadata { return &Metadata{APIVersion: APIVersionV2, Name: "x", Version: "1.0.0"} }
	tests := []struct {
		name   string
		edit   func(md *Metadata) *Metadata
		want   string // "" for valid
		verify func(t *testing.T, md *Metadata)
	}{
		{name: "nil", edit: func(*Metadata) *Metadata { return nil }, want: "validation: chart.metadata is required"},
		{name: "no apiVersion", edit: func(md *Metadata) *Metadata { md.APIVersion = ""; return md }, want: "validation: chart.metadata.apiVersion is required"},
		{name: "lenient semver", edit: func(md *Metadata) *Metadata { md.Version = "v1.2"; return md }},
		{name: "semver with prerelease", edit: func(md *Metadata) *Metadata { md.Version = "1.0.0-rc.1+build.5"; return md }},
		{name: "bad semver", edit: func(md *Metadata) *Metadata { md.Version = "1.0.0-"; return md }, want: `validation: chart.metadata.version "1.0.0-" is invalid`},
		{name: "library", edit: func(md *Metadata) *Metadata { md.Type = "library"; return md }},
		{name: "whitespace normalized", edit: func(md *Metadata) *Metadata {
			md.Name = "a\tb"
			md.Description = "line1\nline2\r\n"
			md.Keywords = []string{"k\u00a0w"}
			md.Maintainers = []*Maintainer{{Name: "n\nm"}}
			md.Dependencies = []*Dependency{{Name: "d", Tags: []string{"t\tu"}}}
			return md
		}, verify: func(t *testing.T, md *Metadata) {
			if md.Name != "a b" || md.Description != "line1 line2  " || md.Keywords[0] != "k w" || md.Maintainers[0].Name != "n m" ||
				!slices.Equal(md.Dependencies[0].Tags, []string{"t u"}) {
				t.Errorf("not normalized: %+v", md)
			}
		}},
		{name: "annotations untouched", edit: func(md *Metadata) *Metadata { md.Annotations = map[string]string{"a": "x\ty"}; return md },
			verify: func(t *testing.T, md *Metadata) {
				if md.Annotations["a"] != "x\ty" {
					t.Error("annotation changed")
				}
			}},
		{name: "non-printable in source", edit: func(md *Metadata) *Metadata { md.Sources = []string{"https://x\u0000"}; return md },
			want: "validation: chart.metadata.sources[0] contains the non-printable character U+0000"},
		{name: "bidi override", edit: func(md *Metadata) *Metadata { md.Home = "https://\u202eevil"; return md },
			want: "validation: chart.metadata.home contains the non-printable character U+202E"},
		{name: "unicode printable", edit: func(md *Metadata) *Metadata { md.Description = "Grüße, 世界 ✓"; return md }},
		{name: "dependency without name", edit: func(md *Metadata) *Metadata { md.Dependencies = []*Dependency{{Repository: "r"}}; return md }},
		{name: "dependency alias ok", edit: func(md *Metadata) *Metadata {
			md.Dependencies = []*Dependency{{Name: "a", Alias: "A_b-1"}, {Name: "a", Alias: "c"}}
			return md
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			md := tt.edit(valid())
			err := md.Validate()
			if tt.want != "" {
				wantErr(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.verify != nil {
				tt.verify(t, md)
			}
		})
	}
	var c *Chart
	wantErr(t, c.Validate(), "validation: chart is nil")
	wantErr(t, (&Chart{}).Validate(), "validation: chart.metadata is required")
}

func TestDependencyValidate(t *testing.T) {
	var d *Dependency
	wantErr(t, d.Validate(), "validation: dependency is empty")
	wantErr(t, (&Dependency{Name: "."}).Validate(), `validation: dependency.name "." is not allowed (it must not be "." or ".." or contain a path separator)`)
	wantErr(t, (&Dependency{Name: `a\b`}).Validate(), `validation: dependency.name "a\\b" is not allowed (it must not be "." or ".." or contain a path separator)`)
	wantErr(t, (&Dependency{Name: "a", Alias: "a b"}).Validate(), `validation: dependency "a" has disallowed characters in the alias`)
	wantErr(t, (&Dependency{Name: "a", ImportValues: []any{nil}}).Validate(), "validation: dependency.import-values[0] is empty")
	wantErr(t, (&Dependency{Name: "a", Condition: "x\x01"}).Validate(), "validation: dependency.condition contains the non-printable character U+0001")
	if err := (&Dependency{Name: "a", Alias: "b", ImportValues: []any{"x", map[string]any{"child": "c", "parent": "p"}}}).Validate(); err != nil {
		t.Fatal(err)
	}
}

// Chart.yaml is decoded with sigs.k8s.io/yaml like Helm: scalars given to a
// string field are converted, so a number version becomes a string (with
// float formatting, as in Helm: 1.10 is "1.1").
func TestChartYAMLScalarConversion(t *testing.T) {
	tests := []struct{ in, version, appVersion string }{
		{"version: 1.0\nappVersion: 2\n", "1", "2"},
		{"version: 1.10\nappVersion: 1.20\n", "1.1", "1.2"},
		{"version: \"1.10\"\nappVersion: true\n", "1.10", "true"},
		{"version: 010\n", "8", ""},
	}
	for _, tt := range tests {
		c, err := LoadFiles([]*BufferedFile{{Name: "Chart.yaml", Data: []byte("apiVersion: v2\nname: n\n" + tt.in)}})
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if c.Metadata.Version != tt.version || c.Metadata.AppVersion != tt.appVersion {
			t.Errorf("%q: version %q appVersion %q, want %q %q", tt.in, c.Metadata.Version, c.Metadata.AppVersion, tt.version, tt.appVersion)
		}
	}
	// Without apiVersion a chart is a Helm 2 (v1) chart.
	c, err := LoadFiles([]*BufferedFile{{Name: "Chart.yaml", Data: []byte("name: n\nversion: 1.0.0\n")}})
	if err != nil || c.Metadata.APIVersion != APIVersionV1 {
		t.Fatalf("apiVersion = %v, %v", c, err)
	}
}
