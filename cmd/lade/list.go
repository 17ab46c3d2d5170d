package main

import (
	"fmt"
	"io"
	"regexp"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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

// listFlags are the flags of lade list.
type listFlags struct {
	out                                                              outputFlag
	kf                                                               *kubeFlags
	all, allNS, short, reverse, byDate, noHeaders                    bool
	deployed, failed, pending, superseded, uninstalled, uninstalling bool
	filter, selector, timeFormat                                     string
	max, offset                                                      int
}

func newListCmd(g *globalFlags) *cobra.Command {
	l := &listFlags{}
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
		RunE: l.run,
	}
	l.add(cmd.Flags(), g)
	return cmd
}

func (l *listFlags) add(f *pflag.FlagSet, g *globalFlags) {
	l.out.add(f)
	f.BoolVarP(&l.allNS, "all-namespaces", "A", false, "list releases across all namespaces")
	// Helm 4 dropped --all (every release is listed by default); lade
	// still accepts it from Helm 3 scripts.
	f.BoolVarP(&l.all, "all", "a", false, "show all releases without any filter applied")
	_ = f.MarkHidden("all")
	f.BoolVarP(&l.short, "short", "q", false, "output short (quiet) listing format")
	f.BoolVar(&l.deployed, "deployed", false, "show deployed releases")
	f.BoolVar(&l.failed, "failed", false, "show failed releases")
	f.BoolVar(&l.pending, "pending", false, "show pending releases")
	f.BoolVar(&l.superseded, "superseded", false, "show superseded releases")
	f.BoolVar(&l.uninstalled, "uninstalled", false, "show uninstalled releases (if 'lade uninstall --keep-history' was used)")
	f.BoolVar(&l.uninstalling, "uninstalling", false, "show releases that are currently being uninstalled")
	f.BoolVarP(&l.reverse, "reverse", "r", false, "reverse the sort order")
	f.BoolVarP(&l.byDate, "date", "d", false, "sort by release date")
	f.StringVarP(&l.filter, "filter", "f", "", "a regular expression (Perl compatible). Any releases that match the expression will be included in the results")
	f.BoolVar(&l.noHeaders, "no-headers", false, "don't print headers when using the default output format")
	f.StringVar(&l.timeFormat, "time-format", "", `format time using golang time formatter. Example: --time-format "2006-01-02 15:04:05Z0700"`)
	f.IntVarP(&l.max, "max", "m", 256, "maximum number of releases to fetch")
	f.IntVar(&l.offset, "offset", 0, "next release index in the list, used to offset from start value")
	f.StringVarP(&l.selector, "selector", "l", "", "selector (label query) to filter on, supports '=', '==', and '!=' (e.g. -l key1=value1,key2=value2)")
	l.kf = newKubeFlags(g, f)
}

// options turns the flags into the library's ListOptions.
func (l *listFlags) options() (release.ListOptions, error) {
	var re *regexp.Regexp
	if l.filter != "" {
		var err error
		if re, err = regexp.Compile(l.filter); err != nil {
			return release.ListOptions{}, err
		}
	}
	sel, err := labels.Parse(l.selector)
	if err != nil {
		return release.ListOptions{}, err
	}
	var statuses []release.Status
	set := func(on bool, s ...release.Status) {
		if on {
			statuses = append(statuses, s...)
		}
	}
	set(l.deployed, release.StatusDeployed)
	set(l.failed, release.StatusFailed)
	set(l.pending, release.StatusPendingInstall, release.StatusPendingUpgrade, release.StatusPendingRollback)
	set(l.superseded, release.StatusSuperseded)
	set(l.uninstalled, release.StatusUninstalled)
	set(l.uninstalling, release.StatusUninstalling)
	// As Helm: --superseded alone lists every superseded revision.
	onlySuperseded := len(statuses) == 1 && l.superseded
	if l.all {
		statuses = nil
	}
	return release.ListOptions{
		AllNamespaces: l.allNS, Statuses: statuses, AllRevisions: onlySuperseded,
		Filter: re, Selector: sel, ByDate: l.byDate, Reverse: l.reverse, Offset: l.offset, Max: l.max,
	}, nil
}

func (l *listFlags) run(cmd *cobra.Command, _ []string) error {
	if err := l.out.check(); err != nil {
		return err
	}
	o, err := l.options()
	if err != nil {
		return err
	}
	cfg, err := l.kf.config(l.kf.namespace(), nil)
	if err != nil {
		return err
	}
	rows, err := cfg.List(cmd.Context(), o)
	if err != nil {
		return err
	}
	return l.print(cmd.OutOrStdout(), rows)
}

// print writes the releases as Helm's list does: names only (-q), encoded
// (-o json|yaml) or a table.
func (l *listFlags) print(w io.Writer, rows []*release.Summary) error {
	if l.short {
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
			if l.timeFormat != "" {
				updated = r.Updated.Format(l.timeFormat)
			}
		}
		outRows = append(outRows, listRow{r.Name, r.Namespace, fmt.Sprint(r.Version), updated, string(r.Status), r.Chart, r.AppVersion})
	}
	if done, err := l.out.encode(w, outRows); done {
		return err
	}
	var cells [][]string
	if !l.noHeaders {
		cells = append(cells, []string{"NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION"})
	}
	for _, r := range outRows {
		cells = append(cells, []string{r.Name, r.Namespace, r.Revision, r.Updated, r.Status, r.Chart, r.AppVersion})
	}
	return table.Write(w, cells, 0)
}
