package main

import (
	"fmt"

	"github.com/spf13/cobra"

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
		var version string
		sub := &cobra.Command{
			Use:   part.name + " CHART",
			Short: part.short,
			Args:  exactArgs(1),
			RunE: func(c *cobra.Command, args []string) error {
				ch, err := reg.load(c, args[0], version)
				if err != nil {
					return err
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
		sub.Flags().StringVar(&version, "version", "", "a version or SemVer constraint for an oci:// chart (default: the highest release)")
		cmd.AddCommand(sub)
	}
	return cmd
}
