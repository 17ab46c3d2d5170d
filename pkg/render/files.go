package render

import (
	"encoding/base64"
	"path"
	"strings"

	"github.com/gobwas/glob"

	"github.com/lade-dev/lade/pkg/chart"
)

// Files is the .Files object of templates: the chart's non-template files by name.
type Files map[string][]byte

func newFiles(from []*chart.File) Files {
	f := make(Files, len(from))
	for _, x := range from {
		f[x.Name] = x.Data
	}
	return f
}

// GetBytes returns a file's content, or an empty slice when it does not exist.
func (f Files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

// Get returns a file's content as a string ("" when it does not exist).
func (f Files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob returns the files whose names match a glob pattern ('/'-separated, ** allowed).
func (f Files) Glob(pattern string) Files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	out := make(Files)
	for name, data := range f {
		if g.Match(name) {
			out[name] = data
		}
	}
	return out
}

// AsConfig renders the files as a YAML map of base name to content (ConfigMap data).
func (f Files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets renders the files as a YAML map of base name to base64 content (Secret data).
func (f Files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines splits a file into lines (without a trailing empty line).
func (f Files) Lines(name string) []string {
	if f == nil || len(f[name]) == 0 {
		return []string{}
	}
	s := string(f[name])
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
