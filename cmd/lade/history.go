package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

type historyRow struct {
	Revision    int    `json:"revision"`
	Updated     string `json:"updated"`
	Status      string `json:"status"`
	Chart       string `json:"chart"`
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`
}

func newHistoryCmd(g *globalFlags) *cobra.Command {
	var out outputFlag
	var max int
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:     "history RELEASE_NAME",
		Aliases: []string{"hist"},
		Short:   "fetch release history",
		Args:    exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			cfg, err := kf.config(kf.namespace(), nil)
			if err != nil {
				return err
			}
			hist, err := cfg.Storage().History(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if len(hist) == 0 {
				return fmt.Errorf("release: not found")
			}
			if max > 0 && len(hist) > max {
				hist = hist[len(hist)-max:]
			}
			rows := make([]historyRow, 0, len(hist))
			for _, r := range hist {
				rows = append(rows, historyRow{
					Revision: r.Version, Updated: fmtTime(r.Info.LastDeployed), Status: string(r.Info.Status),
					Chart: r.ChartRef(), AppVersion: r.AppVersion(), Description: r.Info.Description,
				})
			}
			w := cmd.OutOrStdout()
			if done, err := out.encode(w, rows); done {
				return err
			}
			tw := tabwriter.NewWriter(w, 0, 8, 1, '\t', 0)
			fmt.Fprintln(tw, "REVISION\tUPDATED\tSTATUS\tCHART\tAPP VERSION\tDESCRIPTION")
			for _, r := range rows {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", r.Revision, r.Updated, r.Status, r.Chart, r.AppVersion, r.Description)
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	out.add(f)
	f.IntVar(&max, "max", 256, "maximum number of revision to include in history")
	kf = newKubeFlags(g, f)
	return cmd
}
