package main

import (
	"bytes"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/client-go/util/jsonpath"

	"github.com/lade-dev/lade/pkg/chart"
)

func newShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "show",
		Aliases: []string{"inspect"},
		Short:   "show information of a chart",
		Long: `Show information about a chart: its Chart.yaml (chart), its default
values (values), its README (readme), its CRDs (crds) or all of them (all).`,
		Args: noArgs(),
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
		var version, jsonPath string
		var devel bool
		sub := &cobra.Command{
			Use:   part.name + " CHART",
			Short: part.short,
			Args:  exactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				ch, err := reg.load(c, args[0], develVersion(version, devel))
				if err != nil {
					return err
				}
				if jsonPath != "" {
					return showValuesPath(c.OutOrStdout(), ch, jsonPath)
				}
				text, err := chart.Show(ch, chart.ShowPart(part.name))
				if err != nil {
					return err
				}
				_, err = fmt.Fprint(c.OutOrStdout(), text)
				return err
			},
		}
		reg.add(sub.Flags())
		reg.addRepo(sub.Flags())
		reg.addVerify(sub.Flags())
		sub.Flags().StringVar(&version, "version", "", "a version or SemVer constraint for an oci:// chart (default: the highest release)")
		addDevelFlag(sub.Flags(), &devel)
		if part.name == "values" {
			sub.Flags().StringVar(&jsonPath, "jsonpath", "", "supply a JSONPath expression to filter the output")
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

// showValuesPath prints what a JSONPath template (kubectl's syntax) selects
// from the chart's values. As with Helm, a path that selects nothing
// prints nothing.
func showValuesPath(w io.Writer, ch *chart.Chart, tmpl string) error {
	jp := jsonpath.New("out")
	if err := jp.Parse(tmpl); err != nil {
		return fmt.Errorf("error parsing jsonpath %s: %w", tmpl, err)
	}
	var out bytes.Buffer
	_ = jp.Execute(&out, ch.Values)
	_, err := w.Write(out.Bytes())
	return err
}
