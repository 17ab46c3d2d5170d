package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/internal/table"
	"github.com/lade-dev/lade/pkg/repo"
)

func newSearchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search",
		Short: "search for a keyword in charts",
		Args:  noArgs(),
	}
	cmd.AddCommand(newSearchRepoCmd())
	return cmd
}

func newSearchRepoCmd() *cobra.Command {
	var pf repoPathFlags
	var out outputFlag
	var o repo.SearchOptions
	var maxColWidth uint
	var failOnNoResult bool
	cmd := &cobra.Command{
		Use:   "repo [KEYWORD]",
		Short: "search repositories for a keyword in charts",
		Long: `Search the cached indexes of the repositories you have added (see 'lade repo
update'), with Helm's rules and output: the newest release of each matching
chart, or with --devel prereleases too, or with --version a SemVer constraint.
lade reads a compact form of each index written beside Helm's files, so a
search does not parse the repositories' YAML.`,
		Example: `  lade search repo nginx
  lade search repo nginx --devel
  lade search repo nginx-ingress --version ^1.0.0 -l`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			c, err := pf.client("")
			if err != nil {
				return err
			}
			o.Keyword = strings.Join(args, " ")
			res, err := c.Search(o)
			if err != nil {
				return err
			}
			if len(res) == 0 && failOnNoResult {
				return errors.New("no results found")
			}
			if done, err := out.encode(cmd.OutOrStdout(), res); done {
				return err
			}
			if len(res) == 0 {
				_, err := fmt.Fprintln(cmd.OutOrStdout(), "No results found")
				return err
			}
			rows := make([][]string, 0, len(res)+1)
			rows = append(rows, []string{"NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION"})
			for _, r := range res {
				rows = append(rows, []string{r.Name, r.Version, r.AppVersion, r.Description})
			}
			return table.Write(cmd.OutOrStdout(), rows, int(maxColWidth))
		},
	}
	f := cmd.Flags()
	pf.add(f)
	out.add(f)
	f.BoolVarP(&o.Regexp, "regexp", "r", false, "use regular expressions for searching repositories you have added")
	f.BoolVarP(&o.Versions, "versions", "l", false, "show the long listing, with each version of each chart on its own line, for repositories you have added")
	f.BoolVar(&o.Devel, "devel", false, "use development versions (alpha, beta, and release candidate releases), too. Equivalent to version '>0.0.0-0'. If --version is set, this is ignored")
	f.StringVar(&o.Version, "version", "", "search using semantic versioning constraints on repositories you have added")
	f.UintVar(&maxColWidth, "max-col-width", 50, "maximum column width for output table")
	f.BoolVar(&failOnNoResult, "fail-on-no-result", false, "search fails if no results are found")
	return cmd
}
