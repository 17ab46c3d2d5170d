package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/lade-dev/lade/cmd/lade/internal/gcstart"
	"github.com/lade-dev/lade/pkg/diff"
	"github.com/lade-dev/lade/pkg/release"
)

// diffFlags are the output flags of every diff command.
type diffFlags struct {
	context      int
	color        string
	output       string
	detailedExit bool
	showSecrets  bool
	concurrency  int
}

func (d *diffFlags) add(f *pflag.FlagSet) {
	f.IntVarP(&d.context, "context", "C", 3, "lines of context around each change")
	f.StringVar(&d.color, "color", "auto", "colour the diff: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.StringVarP(&d.output, "output", "o", "diff", "output format: diff (unified diff per object), summary (one line per object) or json")
	f.BoolVar(&d.detailedExit, "detailed-exitcode", false, "exit 0 when nothing changes, 2 when something changes, 1 on error")
	f.BoolVar(&d.showSecrets, "show-secrets", false, "print Secret values instead of masking them")
	f.IntVar(&d.concurrency, "concurrency", 0, "maximum parallel dry-run requests (default 16)")
}

func (d *diffFlags) check() error {
	switch d.output {
	case "diff", "summary", "json":
	default:
		return fmt.Errorf("invalid output %q: allowed values are diff, summary, json", d.output)
	}
	switch d.color {
	case "auto", "always", "never":
	default:
		return fmt.Errorf("invalid --color %q: allowed values are auto, always, never", d.color)
	}
	return nil
}

func (d *diffFlags) options() diff.Options {
	return diff.Options{Concurrency: d.concurrency, ShowSecrets: d.showSecrets, NoFields: d.output != "json"}
}

// useColor decides --color for w: always, never, or auto (a terminal and
// NO_COLOR unset or empty).
func useColor(mode string, w io.Writer) bool {
	switch mode {
	case "always":
		return true
	case "never":
		return false
	}
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// print writes the report and, with --detailed-exitcode, turns changes into
// exit status 2.
func (d *diffFlags) print(cmd *cobra.Command, rep *diff.Report) error {
	w := cmd.OutOrStdout()
	to := diff.TextOptions{Context: d.context, Color: useColor(d.color, w)}
	var err error
	switch d.output {
	case "json":
		err = diff.WriteJSON(w, rep)
	case "summary":
		err = diff.WriteSummary(w, rep, to)
	default:
		err = diff.WriteText(w, rep, to)
	}
	if err != nil {
		return err
	}
	if d.detailedExit && rep.HasChanges() {
		return exitCode(2)
	}
	return nil
}

// diffGCPercent is the GC target of the diff commands: a diff decodes a
// few hundred API objects, normalises and prints them, all short-lived
// garbage on a small live heap. Collecting at 5x the live heap instead of 2x
// cut the client CPU of a 200-object diff by about a fifth (tens of MiB
// more at most). GOGC, when set, still decides.
const diffGCPercent = 400

// diffGC sets the diff GC target and returns what restores the previous one.
func diffGC() func() {
	return gcstart.Set(diffGCPercent)
}

func newDiffCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "show what an upgrade, a rollback or drift changes in the live cluster",
		Long: `Show, object by object, what an operation would change in the live cluster.

Each object is server-side applied with dryRun=All (field manager "lade"), so
the diff is what the API server would store, compared with the live object
(managed fields, resourceVersion, uid, generation, creationTimestamp and status
are left out). Created and deleted objects are listed, Secret values are masked
(--show-secrets reveals them) and fields owned by other field managers are
reported as conflicts.

  lade diff upgrade NAME CHART [upgrade flags]   the next upgrade
  lade diff rollback NAME [REVISION]             a rollback
  lade diff revision NAME REV1 REV2              two stored revisions
  lade diff drift NAME                           the live cluster against the deployed revision

The "-" side is always the older state (the live cluster; REV1 for revision),
the "+" side what the operation makes of it. For drift the "+" side is what
re-applying the deployed revision would restore.`,
	}
	cmd.AddCommand(newDiffUpgradeCmd(g), newDiffRollbackCmd(g), newDiffRevisionCmd(g), newDiffDriftCmd(g))
	return cmd
}

func newDiffUpgradeCmd(g *globalFlags) *cobra.Command {
	var inf installFlags
	var df diffFlags
	var kf *kubeFlags
	var install, reuse, reset, resetThenReuse bool
	cmd := &cobra.Command{
		Use:   "upgrade RELEASE CHART",
		Short: "show what `lade upgrade RELEASE CHART` would change",
		Args:  exactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(); err != nil {
				return err
			}
			defer diffGC()()
			inf.out.format = "table"
			o, err := inf.options(cmd, args[0], args[1])
			if err != nil {
				return err
			}
			ns := kf.namespace()
			cfg, err := kf.config(ns, io.Discard)
			if err != nil {
				return err
			}
			rep, err := cfg.PreviewUpgrade(cmd.Context(), release.UpgradeOptions{
				InstallOptions: o, Install: install, ReuseValues: reuse, ResetValues: reset, ResetThenReuseValues: resetThenReuse,
				ResetOverlay: inf.ov.reset,
			}, df.options())
			if err != nil {
				return err
			}
			return df.print(cmd, rep)
		},
	}
	// The upgrade flags, except its -o (diff has its own) and --dry-run.
	tmp := pflag.NewFlagSet("upgrade", pflag.ContinueOnError)
	inf.add(tmp)
	inf.ov.addReset(tmp)
	f := cmd.Flags()
	tmp.VisitAll(func(fl *pflag.Flag) {
		if fl.Name != "output" && fl.Name != "dry-run" {
			f.AddFlag(fl)
		}
	})
	f.BoolVarP(&install, "install", "i", false, "if the release does not exist, show its install")
	f.BoolVar(&reuse, "reuse-values", false, "when upgrading, reuse the last release's values and merge in any overrides from the command line")
	f.BoolVar(&reset, "reset-values", false, "when upgrading, reset the values to the ones built into the chart")
	f.BoolVar(&resetThenReuse, "reset-then-reuse-values", false, "when upgrading, reset the values to the ones built into the chart, apply the last release's values and merge in any overrides from the command line")
	df.add(f)
	kf = newKubeFlags(g, f)
	return cmd
}

func newDiffRollbackCmd(g *globalFlags) *cobra.Command {
	var df diffFlags
	var kf *kubeFlags
	var force bool
	cmd := &cobra.Command{
		Use:   "rollback RELEASE [REVISION]",
		Short: "show what `lade rollback RELEASE [REVISION]` would change",
		Args:  rangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(); err != nil {
				return err
			}
			defer diffGC()()
			rev := 0
			if len(args) == 2 {
				var err error
				if rev, err = strconv.Atoi(args[1]); err != nil {
					return fmt.Errorf("could not convert revision to a number: %w", err)
				}
			}
			cfg, err := kf.config(kf.namespace(), io.Discard)
			if err != nil {
				return err
			}
			rep, err := cfg.PreviewRollback(cmd.Context(), args[0], rev, force, df.options())
			if err != nil {
				return err
			}
			return df.print(cmd, rep)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&force, "force-conflicts", false, "take over fields owned by other field managers when applying")
	df.add(f)
	kf = newKubeFlags(g, f)
	return cmd
}

func newDiffRevisionCmd(g *globalFlags) *cobra.Command {
	var df diffFlags
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "revision RELEASE REV1 REV2",
		Short: "show the differences between two stored revisions of a release",
		Args:  exactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(); err != nil {
				return err
			}
			defer diffGC()()
			var revs [2]int
			for i := range revs {
				var err error
				if revs[i], err = strconv.Atoi(args[i+1]); err != nil {
					return fmt.Errorf("could not convert revision %q to a number: %w", args[i+1], err)
				}
			}
			cfg, err := kf.config(kf.namespace(), io.Discard)
			if err != nil {
				return err
			}
			rep, err := cfg.DiffRevisions(cmd.Context(), args[0], revs[0], revs[1], df.options())
			if err != nil {
				return err
			}
			return df.print(cmd, rep)
		},
	}
	df.add(cmd.Flags())
	kf = newKubeFlags(g, cmd.Flags())
	return cmd
}

func newDiffDriftCmd(g *globalFlags) *cobra.Command {
	var df diffFlags
	var kf *kubeFlags
	cmd := &cobra.Command{
		Use:   "drift RELEASE",
		Short: "show how the live cluster drifted from the deployed revision",
		Long: `Compare the live objects of a release with its deployed revision: manual
edits, deleted objects and fields other field managers took over. The "-" side
is the live cluster, the "+" side what re-applying the deployed revision would
restore; conflicts name the managers that changed fields the release owns.`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := df.check(); err != nil {
				return err
			}
			defer diffGC()()
			cfg, err := kf.config(kf.namespace(), io.Discard)
			if err != nil {
				return err
			}
			rep, err := cfg.Drift(cmd.Context(), args[0], df.options())
			if err != nil {
				return err
			}
			return df.print(cmd, rep)
		},
	}
	df.add(cmd.Flags())
	kf = newKubeFlags(g, cmd.Flags())
	return cmd
}

// printUpgradeDiff plans an upgrade and prints its diff before it runs
// (upgrade --diff): the plan is what the upgrade then deploys. With
// --dry-run the diff is the whole output and done is true.
func printUpgradeDiff(cmd *cobra.Command, cfg *release.Config, uo release.UpgradeOptions) (p *release.Plan, done bool, err error) {
	uo.OnInstall = nil
	if p, err = cfg.PlanUpgrade(cmd.Context(), uo); err != nil {
		return nil, true, err
	}
	rep, err := cfg.Preview(cmd.Context(), p, diff.Options{})
	if err != nil {
		return nil, true, err
	}
	w := cmd.OutOrStdout()
	to := diff.TextOptions{Context: 3, Color: useColor("auto", w)}
	if err := diff.WriteText(w, rep, to); err != nil {
		return nil, true, err
	}
	if rep.HasChanges() {
		fmt.Fprintln(w)
	}
	if err := diff.WriteSummary(w, rep, to); err != nil {
		return nil, true, err
	}
	return p, uo.DryRun.Enabled(), nil
}
