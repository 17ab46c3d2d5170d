package main

import (
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/internal/table"
	"github.com/lade-dev/lade/pkg/release"
)

// historyRow is one revision as `helm history -o json|yaml` prints it: the
// time as a JSON time (left out when unset).
type historyRow struct {
	Revision         int        `json:"revision"`
	Updated          *time.Time `json:"updated,omitempty"`
	Status           string     `json:"status"`
	Chart            string     `json:"chart"`
	AppVersion       string     `json:"app_version"`
	RollbackRevision int        `json:"rollback_revision,omitempty"`
	Description      string     `json:"description"`
}

func newHistoryCmd(g *globalFlags) *cobra.Command {
	var out outputFlag
	var max int
	var showRollback bool
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:     "history RELEASE_NAME",
		Aliases: []string{"hist"},
		Short:   "fetch release history",
		Long: `Print the revisions of a release, oldest first (at most --max, the newest).

--show-rollback-revision adds a column with the revision each rollback
returned to.`,
		Args: exactArgs(1),
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
				return release.ErrNotFound
			}
			if max > 0 && len(hist) > max {
				hist = hist[len(hist)-max:]
			}
			rows := make([]historyRow, 0, len(hist))
			for _, r := range hist {
				row := historyRow{
					Revision: r.Version, Status: string(r.Info.Status), Chart: r.ChartRef(),
					AppVersion: r.AppVersion(), RollbackRevision: r.Info.RollbackRevision, Description: r.Info.Description,
				}
				if !r.Info.LastDeployed.IsZero() {
					row.Updated = &r.Info.LastDeployed
				}
				rows = append(rows, row)
			}
			w := cmd.OutOrStdout()
			if done, err := out.encode(w, rows); done {
				return err
			}
			head := []string{"REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"}
			if showRollback {
				head = []string{"REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "ROLLBACK", "DESCRIPTION"}
			}
			cells := [][]string{head}
			for _, r := range rows {
				var updated time.Time
				if r.Updated != nil {
					updated = *r.Updated
				}
				line := []string{strconv.Itoa(r.Revision), updated.Format(time.ANSIC), r.Status, r.Chart, r.AppVersion}
				if showRollback {
					rollback := ""
					if r.RollbackRevision > 0 {
						rollback = strconv.Itoa(r.RollbackRevision)
					}
					line = append(line, rollback)
				}
				cells = append(cells, append(line, r.Description))
			}
			return table.Write(w, cells, 0)
		},
	}
	f := cmd.Flags()
	out.add(f)
	f.IntVar(&max, "max", 256, "maximum number of revision to include in history")
	f.BoolVar(&showRollback, "show-rollback-revision", false, "show the rollback revision column in table output")
	kf = newKubeFlags(g, f)
	return cmd
}
