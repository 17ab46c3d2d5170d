package main

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/lade-dev/lade/internal/table"
	"github.com/lade-dev/lade/pkg/release"
)

type listRow struct {
	Name       string `json:"name"`
	Namespace  string `json:"namespace"`
	Revision   string `json:"revision"`
	Updated    string `json:"updated"`
	Status     string `json:"status"`
	Chart      string `json:"chart"`
	AppVersion string `json:"app_version"`
}

func newListCmd(g *globalFlags) *cobra.Command {
	var out outputFlag
	var kf *kubeFlags
	var all, allNS, short, deployed, failed, pending, superseded, uninstalled, uninstalling, reverse, byDate, noHeaders bool
	var filter, selector, timeFormat string
	var max, offset int
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list releases (from Secret metadata only: no release payload is downloaded)",
		Long: `List the releases of a namespace (-n, or the kubeconfig context's; -A for all),
the newest revision of each, in any status unless status flags (--deployed,
--failed, --pending, --superseded, --uninstalled, --uninstalling) pick some.

Releases are sorted by name, or with -d by date (oldest first); -r reverses
the order. --max (default 256) and --offset page through the list.

Only the records' metadata is read; records written by Helm, which carry no
summary, have their newest revision read whole.`,
		Args: noArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.check(); err != nil {
				return err
			}
			var re *regexp.Regexp
			if filter != "" {
				var err error
				if re, err = regexp.Compile(filter); err != nil {
					return err
				}
			}
			sel, err := labels.Parse(selector)
			if err != nil {
				return err
			}
			cfg, err := kf.config(kf.namespace(), nil)
			if err != nil {
				return err
			}
			var statuses []release.Status
			set := func(on bool, s ...release.Status) {
				if on {
					statuses = append(statuses, s...)
				}
			}
			set(deployed, release.StatusDeployed)
			set(failed, release.StatusFailed)
			set(pending, release.StatusPendingInstall, release.StatusPendingUpgrade, release.StatusPendingRollback)
			set(superseded, release.StatusSuperseded)
			set(uninstalled, release.StatusUninstalled)
			set(uninstalling, release.StatusUninstalling)
			// As Helm: --superseded alone lists every superseded revision.
			onlySuperseded := len(statuses) == 1 && superseded
			if all {
				statuses = nil
			}
			rows, err := cfg.List(cmd.Context(), release.ListOptions{
				AllNamespaces: allNS, Statuses: statuses, AllRevisions: onlySuperseded,
				Filter: re, Selector: sel, ByDate: byDate, Reverse: reverse, Offset: offset, Max: max,
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if short {
				for _, r := range rows {
					fmt.Fprintln(w, r.Name)
				}
				return nil
			}
			outRows := make([]listRow, 0, len(rows))
			for _, r := range rows {
				updated := "-"
				if !r.Updated.IsZero() {
					updated = r.Updated.String()
					if timeFormat != "" {
						updated = r.Updated.Format(timeFormat)
					}
				}
				outRows = append(outRows, listRow{r.Name, r.Namespace, fmt.Sprint(r.Version), updated, string(r.Status), r.Chart, r.AppVersion})
			}
			if done, err := out.encode(w, outRows); done {
				return err
			}
			var cells [][]string
			if !noHeaders {
				cells = append(cells, []string{"NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"})
			}
			for _, r := range outRows {
				cells = append(cells, []string{r.Name, r.Namespace, r.Revision, r.Updated, r.Status, r.Chart, r.AppVersion})
			}
			return table.Write(w, cells, 0)
		},
	}
	f := cmd.Flags()
	out.add(f)
	f.BoolVarP(&allNS, "all-namespaces", "A", false, "list releases across all namespaces")
	// Helm 4 dropped --all (every release is listed by default); lade
	// still accepts it from Helm 3 scripts.
	f.BoolVarP(&all, "all", "a", false, "show all releases without any filter applied")
	_ = f.MarkHidden("all")
	f.BoolVarP(&short, "short", "q", false, "output short (quiet) listing format")
	f.BoolVar(&deployed, "deployed", false, "show deployed releases")
	f.BoolVar(&failed, "failed", false, "show failed releases")
	f.BoolVar(&pending, "pending", false, "show pending releases")
	f.BoolVar(&superseded, "superseded", false, "show superseded releases")
	f.BoolVar(&uninstalled, "uninstalled", false, "show uninstalled releases (if 'lade uninstall --keep-history' was used)")
	f.BoolVar(&uninstalling, "uninstalling", false, "show releases that are currently being uninstalled")
	f.BoolVarP(&reverse, "reverse", "r", false, "reverse the sort order")
	f.BoolVarP(&byDate, "date", "d", false, "sort by release date")
	f.StringVarP(&filter, "filter", "f", "", "a regular expression (Perl compatible). Any releases that match the expression will be included in the results")
	f.BoolVar(&noHeaders, "no-headers", false, "don't print headers when using the default output format")
	f.StringVar(&timeFormat, "time-format", "", `format time using golang time formatter. Example: --time-format "2006-01-02 15:04:05Z0700"`)
	f.IntVarP(&max, "max", "m", 256, "maximum number of releases to fetch")
	f.IntVar(&offset, "offset", 0, "next release index in the list, used to offset from start value")
	f.StringVarP(&selector, "selector", "l", "", "selector (label query) to filter on, supports '=', '==', and '!=' (e.g. -l key1=value1,key2=value2)")
	kf = newKubeFlags(g, f)
	return cmd
}
