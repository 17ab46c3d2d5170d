package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/chart"
	"github.com/lade-dev/lade/pkg/registry"
)

func newDependencyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:     "dependency update|build|list [CHART]",
		Aliases: []string{"dep", "dependencies"},
		Short:   "manage a chart's dependencies",
		Long: `Manage the dependencies of a chart directory (Chart.yaml's dependencies).

Repositories may be oci:// registries, http(s):// chart repositories (added
with 'lade repo add' or not), @NAME or alias:NAME of an added repository,
file:// directories, or empty (the chart is already under charts/). 'update' resolves versions and constraints,
downloads the charts into charts/ and writes Chart.lock, in Helm's format plus
each oci:// dependency's manifest digest (chart repository archives are
checked against their index's digest). 'build' fetches exactly what
Chart.lock pins, verifying the digests; charts already in the cache are not
fetched again. 'list' shows each dependency and the state of charts/ for it.`,
		Args: noArgs(),
	}
	cmd.AddCommand(newDependencyRunCmd("update", []string{"up"}, "update charts/ and Chart.lock from Chart.yaml"),
		newDependencyRunCmd("build", nil, "rebuild charts/ from Chart.lock"),
		newDependencyListCmd())
	return cmd
}

func newDependencyListCmd() *cobra.Command {
	var maxColWidth uint
	cmd := &cobra.Command{
		Use:     "list [CHART]",
		Aliases: []string{"ls"},
		Short:   "list the dependencies of a chart and their state in charts/",
		Long: `List the dependencies in Chart.yaml with the state of each in charts/, as
'helm dependency list' does:

  ok                a matching archive NAME-VERSION.tgz
  unpacked          a matching chart directory (or archive under another name)
  missing           nothing for it in charts/
  wrong version     the chart's version does not satisfy the dependency's
  invalid version   the dependency's version or the chart's is not valid
  misnamed          the archive holds a chart of another name
  corrupt           the archive cannot be loaded
  too many matches  several archives NAME-VERSION.tgz

Entries of charts/ that are not charts, or not in Chart.yaml, are warned about.`,
		Args: maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			c, err := chart.Load(dir)
			if err != nil {
				return err
			}
			return chart.WriteDependencyList(cmd.OutOrStdout(), dir, c, maxColWidth)
		},
	}
	cmd.Flags().UintVar(&maxColWidth, "max-col-width", 80, "maximum column width for the output table")
	return cmd
}

func newDependencyRunCmd(name string, aliases []string, short string) *cobra.Command {
	var rf registryFlags
	var skipRefresh bool
	var vf verifyFlags
	cmd := &cobra.Command{
		Use:     name + " [CHART]",
		Aliases: aliases,
		Short:   short,
		Args:    maxArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := "."
			if len(args) > 0 {
				dir = args[0]
			}
			c, err := rf.client(cmd.OutOrStdout())
			if err != nil {
				return err
			}
			defer c.Close()
			rc, err := rf.repoPaths.client(rf.cacheDir)
			if err != nil {
				return err
			}
			opts := registry.DependencyOptions{Out: cmd.OutOrStdout(), Repos: rc.Dependencies(), SkipRefresh: skipRefresh}
			if vf.verify {
				opts.Verify = func(filename string, archive []byte, prov func() ([]byte, error)) error {
					_, err := vf.check(archive, filename, "the provenance of "+filename, prov)
					return err
				}
			}
			if name == "update" {
				return c.UpdateDependencies(cmd.Context(), dir, opts)
			}
			return c.BuildDependencies(cmd.Context(), dir, opts)
		},
	}
	rf.add(cmd.Flags())
	rf.repoPaths.add(cmd.Flags())
	cmd.Flags().BoolVar(&skipRefresh, "skip-refresh", false, "do not refresh the local repository cache")
	vf.add(cmd.Flags())
	return cmd
}

func errNotOCI(ref string) error {
	return fmt.Errorf("%s is not a chart reference lade can pull: use oci://HOST/PATH/NAME, REPO/CHART of an added repository, --repo URL CHART, or an https:// archive URL", ref)
}
