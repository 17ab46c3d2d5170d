package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lade-dev/lade/pkg/release"
	"github.com/lade-dev/lade/pkg/values"
)

// fmtTime prints a record's time as Helm does (time.ANSIC, in the zone
// it was recorded in); "" for none.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.ANSIC)
}

// printStatus prints a release as Helm's status printer does (install,
// upgrade, status, test, get all): the head; with debug, the user-supplied and computed
// values; with debug or after a dry run, the hooks and the manifest; then
// the notes, when shown.
func printStatus(w io.Writer, r *release.Release, debug, showChart, showNotes bool) error {
	printReleaseHead(w, r, showChart)
	if debug {
		fmt.Fprintln(w, "USER-SUPPLIED VALUES:")
		if err := writeYAML(w, r.Config); err != nil {
			return err
		}
		fmt.Fprintln(w)
		computed, err := values.CoalesceValues(r.Chart, r.Config)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, "COMPUTED VALUES:")
		if err := writeYAML(w, computed); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if debug || strings.EqualFold(r.Info.Description, "Dry run complete") {
		fmt.Fprintln(w, "HOOKS:")
		writeHooks(w, r.Hooks)
		fmt.Fprintf(w, "MANIFEST:\n%s\n", r.Manifest)
	}
	if notes := strings.TrimSpace(r.Info.Notes); showNotes && notes != "" {
		fmt.Fprintf(w, "NOTES:\n%s\n", notes)
	}
	return nil
}

// writeHooks prints hooks as Helm does, each under its "# Source:" line.
func writeHooks(w io.Writer, hooks []*release.Hook) {
	for _, h := range hooks {
		fmt.Fprintf(w, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
}

// printReleaseHead prints the lines Helm's status starts with, the chart's
// name and versions too with showChart (as `get all` does), and the test
// suite's last run.
func printReleaseHead(w io.Writer, r *release.Release, showChart bool) {
	fmt.Fprintf(w, "NAME: %s\n", r.Name)
	if !r.Info.LastDeployed.IsZero() {
		fmt.Fprintf(w, "LAST DEPLOYED: %s\n", fmtTime(r.Info.LastDeployed))
	}
	fmt.Fprintf(w, "NAMESPACE: %s\n", r.Namespace)
	fmt.Fprintf(w, "STATUS: %s\n", r.Info.Status)
	fmt.Fprintf(w, "REVISION: %d\n", r.Version)
	if showChart && r.Chart != nil && r.Chart.Metadata != nil {
		fmt.Fprintf(w, "CHART: %s\nVERSION: %s\nAPP_VERSION: %s\n", r.Chart.Metadata.Name, r.Chart.Metadata.Version, r.Chart.Metadata.AppVersion)
	}
	fmt.Fprintf(w, "DESCRIPTION: %s\n", r.Info.Description)
	tests := false
	for _, h := range r.Hooks {
		if strings.Contains(fmt.Sprint(h.Events), "test") {
			tests = true
			if !h.LastRun.StartedAt.IsZero() {
				fmt.Fprintf(w, "TEST SUITE:     %s\nLast Started:   %s\nLast Completed: %s\nPhase:          %s\n", h.Name, fmtTime(h.LastRun.StartedAt), fmtTime(h.LastRun.CompletedAt), h.LastRun.Phase)
			}
		}
	}
	if !tests {
		fmt.Fprintln(w, "TEST SUITE: None")
	}
}

func newStatusCmd(g *globalFlags) *cobra.Command {
	var out outputFlag
	var revision int
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "status RELEASE_NAME",
		Short: "display the status of the named release, with the live state of each resource",
		Args:  exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := out.check(); err != nil {
				return err
			}
			cfg, err := kf.config(kf.namespace(), nil)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			r, err := getRevision(ctx, cfg, args[0], revision)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if done, err := out.encode(w, r); done {
				return err
			}
			if err := printStatus(w, r, false, false, true); err != nil {
				return err
			}
			return printResources(ctx, w, cfg, r)
		},
	}
	f := cmd.Flags()
	out.add(f)
	f.IntVar(&revision, "revision", 0, "if set, display the status of the named release with revision")
	kf = newKubeFlags(g, f)
	return cmd
}

// printResources lists the release's objects with their live kstatus.
func printResources(ctx context.Context, w io.Writer, cfg *release.Config, r *release.Release) error {
	if r.Info.Status == release.StatusUninstalled {
		return nil
	}
	b, err := cfg.StoredObjects(r, false)
	if err != nil {
		return err
	}
	sts, err := cfg.Kube.Statuses(ctx, b.Resources)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "RESOURCES:")
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAMESPACE\tNAME\tSTATUS\tMESSAGE")
	for _, s := range sts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Resource.Kind(), s.Resource.Namespace(), s.Resource.Name(), s.Status, s.Message)
	}
	return tw.Flush()
}
