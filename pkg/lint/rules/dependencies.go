package rules

import (
	"errors"
	"fmt"
	"strings"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/lint/support"
)

// DependencyMessages checks that Chart.yaml's dependencies and charts/ agree.
// Run it before the chart is rendered (rendering drops disabled subcharts);
// the messages are added with Linter.Add after the templates rule, in Helm's order.
func DependencyMessages(in *Input) []support.Message {
	const rule = "helm/dependencies"
	var l support.Linter
	if in.LoadErr != nil {
		l.Run(support.Error, rule, "", fmt.Errorf("unable to load chart\n\t%w", in.LoadErr))
		return l.Messages
	}
	c := in.Chart
	l.Run(support.Error, rule, in.Dir, depsInMetadata(c))
	l.Run(support.Error, rule, in.Dir, depsUnique(c))
	l.Run(support.Warning, rule, in.Dir, depsInChartsDir(c))
	return l.Messages
}

func depsInChartsDir(c *chart.Chart) error {
	have := map[string]bool{}
	for _, d := range c.Dependencies() {
		have[d.Name()] = true
	}
	var missing []string
	for _, d := range c.Metadata.Dependencies {
		if d != nil && !have[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chart directory is missing these dependencies: %s", strings.Join(missing, ","))
	}
	return nil
}

func depsInMetadata(c *chart.Chart) error {
	declared := map[string]bool{}
	for _, d := range c.Metadata.Dependencies {
		if d != nil {
			declared[d.Name] = true
		}
	}
	var missing []string
	for _, d := range c.Dependencies() {
		if !declared[d.Name()] {
			missing = append(missing, d.Name())
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("chart metadata is missing these dependencies: %s", strings.Join(missing, ","))
	}
	return nil
}

func depsUnique(c *chart.Chart) error {
	seen := map[string]bool{}
	var dups []string
	for _, d := range c.Metadata.Dependencies {
		if d == nil {
			continue
		}
		key := d.Name
		if d.Alias != "" {
			key = d.Alias
		}
		if seen[key] {
			dups = append(dups, key)
		}
		seen[key] = true
	}
	if len(dups) > 0 {
		return fmt.Errorf("multiple dependencies with name or alias: %s", strings.Join(dups, ","))
	}
	return nil
}

// CRDs checks that every document under crds/ (of the chart and its
// subcharts) is a CustomResourceDefinition, when the chart has a crds/ directory.
func CRDs(l *support.Linter, in *Input) {
	const rule = "helm/crds"
	const dir = "crds/"
	switch in.CRDsDir {
	case "":
		return
	case "file":
		l.Run(support.Error, rule, dir, errors.New("not a directory"))
		return
	}
	if !l.Run(support.Error, rule, dir, in.LoadErr) {
		return
	}
	for _, crd := range in.Chart.CRDObjects() {
		name := crd.Name
		ok := parseDocs(name, string(crd.File.Data), func(_ *Doc, head *k8sYamlStruct, err error) bool {
			if !l.Run(support.Error, rule, name, yamlContentError(err)) {
				return false
			}
			if head != nil {
				if !strings.HasPrefix(head.APIVersion, "apiextensions.k8s.io") {
					l.Run(support.Error, rule, name, errors.New("apiVersion is not in 'apiextensions.k8s.io'"))
				}
				if head.Kind != "CustomResourceDefinition" {
					l.Run(support.Error, rule, name, errors.New("object kind is not 'CustomResourceDefinition'"))
				}
			}
			return true
		})
		if !ok {
			return
		}
	}
}
