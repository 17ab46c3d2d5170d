package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/lade-dev/lade/pkg/chart"
)

// The binary loads the chart on its command line while it initialises
// (internal/prestart); what it prints must be what a load in the command
// prints, which is what run() does in this test process.
func TestChartLoadedAheadPrintsTheSame(t *testing.T) {
	bin := buildLade(t)
	dir := t.TempDir()
	good := filepath.Join(dir, "shop")
	writeFiles(t, good, map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: shop\nversion: 0.1.0\n",
		"requirements.yaml":     "dependencies: []\n", // a loader warning
		"values.yaml":           "replicas: 2\n",
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
	})
	// A schema compiled while the binary initialises (internal/precompile):
	// its warning (an urn: reference) and its errors are the same.
	schema := filepath.Join(dir, "schema")
	writeFiles(t, schema, map[string]string{
		"Chart.yaml":            "apiVersion: v2\nname: schema\nversion: 0.1.0\n",
		"values.yaml":           "replicas: 2\n",
		"values.schema.json":    `{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}, "extra": {"$ref": "urn:example:extra"}}}`,
		"templates/config.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n",
	})
	// The schema compiled is the one the chart loaded: one that
	// .helmignore drops is not applied.
	ignored := filepath.Join(dir, "ignored")
	writeFiles(t, ignored, map[string]string{
		"Chart.yaml":         "apiVersion: v2\nname: ignored\nversion: 0.1.0\n",
		".helmignore":        "values.schema.json\n",
		"values.schema.json": `{"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 1}}}`,
		"templates/cm.yaml":  "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  replicas: {{ .Values.replicas | quote }}\n",
	})
	broken := filepath.Join(dir, "broken")
	writeFiles(t, broken, map[string]string{"Chart.yaml": "apiVersion: v2\nname: [broken\n"})

	for _, args := range [][]string{
		{"template", "web", good},
		{"-n", "shop", "template", "web", good, "--set", "replicas=3"},
		{"template", "web", broken},
		{"template", "web", schema},
		{"template", "web", schema, "--set", "replicas=0"},
		{"template", "web", schema, "--set", "replicas=0", "--skip-schema-validation"},
		{"--debug", "template", "web", schema},
		{"template", "web", ignored, "--set", "replicas=0"},
		{"lint", good, broken},
	} {
		res := runBin(t, bin, args...)
		// The loader's warnings go to the process's stderr, before
		// anything else there.
		var warned strings.Builder
		old := chart.WarningHandler
		chart.WarningHandler = func(msg string) { warned.WriteString(msg + "\n") }
		stdout, stderr, code := runLade(t, args)
		chart.WarningHandler = old
		stderr = warned.String() + stderr
		if res.code != code || res.stdout != stdout || res.stderr != stderr {
			t.Errorf("lade %s\nbinary (chart loaded ahead): exit %d\n%s\n%s\nin process: exit %d\n%s\n%s",
				strings.Join(args, " "), res.code, res.stdout, res.stderr, code, stdout, stderr)
		}
		if args[0] != "lint" && strings.Count(res.stderr, "Dependencies are handled in Chart.yaml") > 1 {
			t.Errorf("lade %s: the loader's warning printed more than once:\n%s", strings.Join(args, " "), res.stderr)
		}
	}
}
