package rules

import (
	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/values"
)

// Input is what the rules read from one chart. The lint runner fills it once
// (from a directory or an archive) so no rule reads the disk or loads the chart again.
type Input struct {
	// Dir is the absolute chart directory, printed by the dependency rules.
	Dir string
	// ChartYAML is Chart.yaml's content; ChartYAMLErr is why it could not be read.
	ChartYAML    []byte
	ChartYAMLErr error
	// ChartYAMLIsDir is set when Chart.yaml is a directory.
	ChartYAMLIsDir bool
	// Values is values.yaml's content; HasValues tells whether the file exists.
	Values    []byte
	HasValues bool
	// Schema is values.schema.json's content (empty when absent).
	Schema []byte
	// TemplatesDir is "" (absent), "dir" or "file".
	TemplatesDir string
	// CRDsDir is "" (absent), "dir" or "file".
	CRDsDir string
	// Chart is the loaded chart; LoadErr is set when loading failed.
	Chart   *chart.Chart
	LoadErr error
	// Precompiled are values.schema.json compiles started ahead (nil:
	// none), for the schema checks to start from.
	Precompiled *values.Precompiled
}
