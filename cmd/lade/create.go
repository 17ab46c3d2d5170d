package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/internal/helmenv"
	"github.com/lade-dev/lade/pkg/chart/scaffold"
)

func newCreateCmd() *cobra.Command {
	var starter string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "create a new chart with the given name",
		Long: `Create a chart directory with the files Helm v4's 'helm create' writes,
byte for byte:

    NAME/
    ├── .helmignore   # patterns to leave out when packaging
    ├── Chart.yaml    # the chart's metadata
    ├── values.yaml   # the default values of the templates
    ├── charts/       # charts this chart depends on
    └── templates/    # the templates (a Deployment, Service, Ingress, ...)
        └── tests/    # the test hooks

NAME may be a path: the chart is created in its last element's name, inside
the directory before it, which must exist. Files of the scaffold that are
there already are overwritten (each with a warning); other files are left
alone.

--starter copies a starter chart instead: an absolute path (a directory or a
.tgz), or a name looked up in Helm's starters directory,
$HELM_DATA_HOME/starters (by default ~/.local/share/helm/starters). Its
Chart.yaml is replaced by the new chart's, and <CHARTNAME> in its templates
and values.yaml becomes NAME.`,
		Example: `  lade create mychart
  lade create charts/web --starter /srv/starters/webapp
  lade create api -p company-starter    # $HELM_DATA_HOME/starters/company-starter`,
		Args: exactArgs(1),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return nil, cobra.ShellCompDirectiveDefault // NAME may be a path
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			name := args[0]
			fmt.Fprintf(out, "Creating %s\n", name)
			chartName, dir := filepath.Base(name), filepath.Dir(name)
			if starter == "" {
				_, err := scaffold.Create(chartName, dir, out)
				return err
			}
			src, err := scaffold.StarterPath(starter, helmenv.DataPath("starters"))
			if err != nil {
				return err
			}
			_, err = scaffold.CreateFrom(chartName, dir, src)
			return err
		},
	}
	cmd.Flags().StringVarP(&starter, "starter", "p", "", "the name or absolute path to Helm starter scaffold")
	_ = cmd.RegisterFlagCompletionFunc("starter", completeStarters)
	return cmd
}

// completeStarters completes --starter to the starters in Helm's starters
// directory, and to paths for an absolute path.
func completeStarters(_ *cobra.Command, _ []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if filepath.IsAbs(toComplete) {
		return nil, cobra.ShellCompDirectiveDefault
	}
	entries, err := os.ReadDir(helmenv.DataPath("starters"))
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var names []cobra.Completion
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), toComplete) && (e.IsDir() || strings.HasSuffix(e.Name(), ".tgz")) {
			names = append(names, e.Name())
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
