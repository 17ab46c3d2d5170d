package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/lade-dev/lade/pkg/chart"
)

func newShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show",
		Aliases: []string{"inspect"},
		Short:   "show information of a chart",
		Long: `Show information about a chart: its Chart.yaml (chart), its default
values (values), its README (readme), its CRDs (crds) or all of them (all).`,
		Args: cobra.NoArgs,
	}
	for _, part := range []struct{ name, short string }{
		{"all", "show all information of the chart"},
		{"chart", "show the chart's definition"},
		{"values", "show the chart's values"},
		{"readme", "show the chart's README"},
		{"crds", "show the chart's CRDs"},
	} {
		part := part
		var reg registryFlags
		var version string
		sub := &cobra.Command{
			Use:   part.name + " CHART",
			Short: part.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				ch, err := reg.load(c, args[0], version)
				if err != nil {
					return err
				}
				text, err := showChart(ch, part.name)
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(c.OutOrStdout(), text)
				return err
			},
		}
		reg.add(sub.Flags())
		sub.Flags().StringVar(&version, "version", "", "a version or SemVer constraint for an oci:// chart (default: the highest release)")
		cmd.AddCommand(sub)
	}
	return cmd
}

var readmeNames = []string{"readme.md", "readme.txt", "readme"}

// showChart formats what `helm show PART` prints.
func showChart(ch *chart.Chart, part string) (string, error) {
	all := part == "all"
	var out []byte
	if part == "chart" || all {
		cf, err := yaml.Marshal(ch.Metadata)
		if err != nil {
			return "", err
		}
		out = append(append(out, cf...), '\n')
	}
	if (part == "values" || all) && ch.Values != nil {
		if all {
			out = append(out, "---\n"...)
		}
		for _, f := range ch.Raw {
			if f.Name == "values.yaml" {
				out = append(append(out, f.Data...), '\n')
			}
		}
	}
	if part == "readme" || all {
		if r := findReadme(ch.Files); r != nil {
			if all {
				out = append(out, "---\n"...)
			}
			out = append(append(out, r.Data...), '\n')
		}
	}
	if part == "crds" || all {
		for _, crd := range ch.CRDObjects() {
			if len(crd.File.Data) < 3 || string(crd.File.Data[:3]) != "---" {
				out = append(out, "---\n"...)
			}
			out = append(append(out, crd.File.Data...), '\n')
		}
	}
	return string(out), nil
}

func findReadme(files []*chart.File) *chart.File {
	for _, f := range files {
		if f == nil {
			continue
		}
		for _, n := range readmeNames {
			if strings.EqualFold(f.Name, n) {
				return f
			}
		}
	}
	return nil
}
