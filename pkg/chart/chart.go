package chart

import (
	"fmt"
	"path"
	"strings"
	"time"
)

// APIVersionV1 and APIVersionV2 are the Chart.yaml apiVersion values lade accepts.
const (
	APIVersionV1 = "v1"
	APIVersionV2 = "v2"
)

// File is one named blob of a chart: a template, a CRD, or any other file.
// Its JSON form matches Helm's so release records stay interchangeable.
type File struct {
	Name    string    `json:"name"`
	Data    []byte    `json:"data"`
	ModTime time.Time `json:"modtime,omitzero"`
}

// Chart is a loaded chart with its subcharts. The JSON form is Helm's
// (as stored in release records).
type Chart struct {
	// Raw holds every file of the chart as loaded (after .helmignore), including Chart.yaml.
	Raw []*File `json:"-"`
	// Metadata is the parsed Chart.yaml.
	Metadata *Metadata `json:"metadata"`
	// Lock is the parsed Chart.lock (or requirements.lock for v1), if any.
	Lock *Lock `json:"lock"`
	// Templates are the files under templates/.
	Templates []*File `json:"templates"`
	// Values are the chart's default values from values.yaml.
	Values map[string]any `json:"values"`
	// Schema is the raw values.schema.json, if any.
	Schema []byte `json:"schema"`
	// Files are all files that are not templates, Chart.yaml, values.yaml,
	// the schema or subcharts; they back .Files in templates.
	Files []*File `json:"files"`

	parent       *Chart
	dependencies []*Chart
}

// Name returns the chart's name from its metadata.
func (c *Chart) Name() string {
	if c == nil || c.Metadata == nil {
		return ""
	}
	return c.Metadata.Name
}

// AppVersion returns the chart's appVersion.
func (c *Chart) AppVersion() string {
	if c == nil || c.Metadata == nil {
		return ""
	}
	return c.Metadata.AppVersion
}

// IsRoot reports whether the chart has no parent.
func (c *Chart) IsRoot() bool { return c.parent == nil }

// Parent returns the parent chart, or nil for the root.
func (c *Chart) Parent() *Chart { return c.parent }

// Root returns the top-most chart.
func (c *Chart) Root() *Chart {
	if c.IsRoot() {
		return c
	}
	return c.parent.Root()
}

// Dependencies returns the subcharts, in load order.
func (c *Chart) Dependencies() []*Chart { return c.dependencies }

// SetDependencies replaces the subcharts and makes c their parent.
func (c *Chart) SetDependencies(charts ...*Chart) {
	c.dependencies = nil
	c.AddDependency(charts...)
}

// AddDependency appends subcharts and makes c their parent.
func (c *Chart) AddDependency(charts ...*Chart) {
	for _, x := range charts {
		x.parent = c
		c.dependencies = append(c.dependencies, x)
	}
}

// ChartPath is the dotted path of names from the root, e.g. "parent.child".
func (c *Chart) ChartPath() string {
	if !c.IsRoot() {
		return c.Parent().ChartPath() + "." + c.Name()
	}
	return c.Name()
}

// ChartFullPath is the template path prefix of the chart, e.g. "parent/charts/child".
func (c *Chart) ChartFullPath() string {
	if !c.IsRoot() {
		return c.Parent().ChartFullPath() + "/charts/" + c.Name()
	}
	return c.Name()
}

// IsLibrary reports whether the chart is of type library.
func (c *Chart) IsLibrary() bool {
	return c.Metadata != nil && c.Metadata.Type == "library"
}

// CRD is a file under crds/ of a chart or subchart.
type CRD struct {
	// Name is the file name relative to the chart root (crds/x.yaml).
	Name string
	// Filename is the path from the root chart, e.g. "parent/charts/child/crds/x.yaml".
	Filename string
	// File is the file itself.
	File *File
}

// CRDObjects returns the crds/ files of the chart and all its subcharts,
// the chart's own first, in Helm's order.
func (c *Chart) CRDObjects() []CRD {
	var crds []CRD
	for _, f := range c.Files {
		if strings.HasPrefix(f.Name, "crds/") && hasYAMLExt(f.Name) {
			crds = append(crds, CRD{Name: f.Name, Filename: path.Join(c.ChartFullPath(), f.Name), File: f})
		}
	}
	for _, d := range c.Dependencies() {
		crds = append(crds, d.CRDObjects()...)
	}
	return crds
}

// hasYAMLExt reports a manifest extension (.yaml, .yml, .json, any case).
func hasYAMLExt(name string) bool {
	ext := path.Ext(name)
	return strings.EqualFold(ext, ".yaml") || strings.EqualFold(ext, ".yml") || strings.EqualFold(ext, ".json")
}

// Maintainer is a chart maintainer from Chart.yaml.
type Maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Metadata is the content of Chart.yaml. Field names and JSON tags are Helm's,
// so templates (.Chart.Name, .Chart.AppVersion...) and release records match.
type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []*Maintainer     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []*Dependency     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

// Dependency is an entry of Chart.yaml's dependencies (or requirements.yaml for v1).
type Dependency struct {
	Name         string   `json:"name" yaml:"name"`
	Version      string   `json:"version,omitempty" yaml:"version,omitempty"`
	Repository   string   `json:"repository" yaml:"repository"`
	Condition    string   `json:"condition,omitempty" yaml:"condition,omitempty"`
	Tags         []string `json:"tags,omitempty" yaml:"tags,omitempty"`
	Enabled      bool     `json:"enabled,omitempty" yaml:"enabled,omitempty"`
	ImportValues []any    `json:"import-values,omitempty" yaml:"import-values,omitempty"`
	Alias        string   `json:"alias,omitempty" yaml:"alias,omitempty"`
}

// Lock is the content of Chart.lock.
type Lock struct {
	Generated    time.Time     `json:"generated"`
	Digest       string        `json:"digest"`
	Dependencies []*Dependency `json:"dependencies"`
}

// CheckDependencies reports dependencies named in Chart.yaml that have no
// chart under charts/ (run `lade dependency build` to fetch them).
func CheckDependencies(c *Chart) error {
	if c.Metadata == nil {
		return nil
	}
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if d == nil {
			continue
		}
		found := false
		for _, sub := range c.Dependencies() {
			if sub.Name() == d.Name {
				found = true
				break
			}
		}
		if !found {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("found in Chart.yaml, but missing in charts/ directory: %s", strings.Join(missing, ", "))
	}
	return nil
}
