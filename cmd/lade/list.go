package main

import (
	"fmt"
	"regexp"
	"sort"
	"sync"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/labels"

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
	var all, allNS, short, deployed, failed, pending, superseded, uninstalled, uninstalling, reverse, byDate bool
	var filter, selector string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "list releases (from Secret metadata only: no release payload is downloaded)",
		Args:    noArgs(),
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
			ns := kf.namespace()
			cfg, err := kf.config(ns, nil)
			if err != nil {
				return err
			}
			st := cfg.Storage()
			if allNS {
				st = release.NewStorage(cfg.Kube.Clientset, cfg.Kube.Metadata, "")
			}
			sums, err := st.Summaries(cmd.Context(), "")
			if err != nil {
				return err
			}
			mask := map[release.Status]bool{}
			set := func(on bool, s ...release.Status) {
				if on {
					for _, x := range s {
						mask[x] = true
					}
				}
			}
			set(deployed, release.StatusDeployed)
			set(failed, release.StatusFailed)
			set(pending, release.StatusPendingInstall, release.StatusPendingUpgrade, release.StatusPendingRollback)
			set(superseded, release.StatusSuperseded)
			set(uninstalled, release.StatusUninstalled)
			set(uninstalling, release.StatusUninstalling)
			onlySuperseded := len(mask) == 1 && superseded
			if len(mask) == 0 || all {
				mask = nil
			}
			latest := map[string]*release.Summary{}
			var picked []*release.Summary
			for _, sm := range sums {
				if re != nil && !re.MatchString(sm.Name) {
					continue
				}
				if onlySuperseded {
					picked = append(picked, sm)
					continue
				}
				k := sm.Namespace + "/" + sm.Name
				if cur, ok := latest[k]; !ok || cur.Version < sm.Version {
					latest[k] = sm
				}
			}
			for _, sm := range latest {
				picked = append(picked, sm)
			}
			var rows []*release.Summary
			for _, sm := range picked {
				if mask != nil && !mask[sm.Status] {
					continue
				}
				if !sel.Matches(labels.Set(sm.Labels)) {
					continue
				}
				rows = append(rows, sm)
			}
			// Records written by Helm carry no summary annotations: read those
			// (newest revision only), a few at a time.
			var wg sync.WaitGroup
			sem := make(chan struct{}, 8)
			errs := make([]error, len(rows))
			for i, sm := range rows {
				if sm.Chart != "" {
					continue
				}
				wg.Add(1)
				sem <- struct{}{}
				go func() {
					defer wg.Done()
					defer func() { <-sem }()
					errs[i] = st.Fill(cmd.Context(), sm)
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					return err
				}
			}
			sort.Slice(rows, func(i, j int) bool {
				if byDate {
					if reverse {
						return rows[i].Updated.Before(rows[j].Updated)
					}
					return rows[i].Updated.After(rows[j].Updated)
				}
				if reverse {
					return rows[i].Name > rows[j].Name
				}
				return rows[i].Name < rows[j].Name
			})
			w := cmd.OutOrStdout()
			if short {
				for _, r := range rows {
					fmt.Fprintln(w, r.Name)
				}
				return nil
			}
			outRows := make([]listRow, 0, len(rows))
			for _, r := range rows {
				outRows = append(outRows, listRow{r.Name, r.Namespace, fmt.Sprint(r.Version), fmtTime(r.Updated), string(r.Status), r.Chart, r.AppVersion})
			}
			if done, err := out.encode(w, outRows); done {
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 8, 1, '\t', 0)
			fmt.Fprintln(tw, "NAME\tNAMESPACE\tREVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION")
			for _, r := range outRows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Namespace, r.Revision, r.Updated, r.Status, r.Chart, r.AppVersion)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	out.add(f)
	f.BoolVarP(&allNS, "all-namespaces", "A", false, "list releases across all namespaces")
	f.BoolVarP(&all, "all", "a", false, "show all releases without any filter applied")
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
	f.StringVarP(&selector, "selector", "l", "", "selector (label query) to filter on, supports '=', '==', and '!=' (e.g. -l key1=value1,key2=value2)")
	kf = newKubeFlags(g, f)
	return cmd
}
